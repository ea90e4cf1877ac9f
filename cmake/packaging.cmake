# The Debian package: `cpack -G DEB` in a build directory writes
# conveyor_<version>_amd64.deb (docs/deploy.md). It holds:
#   /usr/bin/conveyor                    the binary, stripped (Swagger UI for
#                                        /docs is compiled in: no web assets)
#   /lib/systemd/system/conveyor.service `conveyor serve` as a service
#   /etc/default/conveyor                its flags (a conffile)
# and deploy/deb's maintainer scripts (postinst adds the system user
# conveyor). Depends: the shared libraries' packages, from dpkg-shlibdeps,
# and adduser. Only these are installed: no test or benchmark programs.
# Checked by tests/deploy/check_deb.sh (ctest: deploy_deb).

# cpack and `cmake --install` copy what is built; they build nothing (no
# test programs get built just to package the binary).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(conveyor_deb_dir ${PROJECT_SOURCE_DIR}/deploy/deb)

install(TARGETS conveyor RUNTIME DESTINATION bin COMPONENT conveyor)
install(FILES ${conveyor_deb_dir}/conveyor.service DESTINATION /lib/systemd/system
        COMPONENT conveyor)
install(FILES ${conveyor_deb_dir}/conveyor.default DESTINATION /etc/default RENAME conveyor
        COMPONENT conveyor)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME conveyor)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# A placeholder address: set the real maintainer before publishing the package.
set(CPACK_PACKAGE_CONTACT "conveyor maintainers <conveyor@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "MLOps toolkit: DVC-compatible pipelines, model registry and serving")
# The extended description, one line per Debian description line (< 80).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
       "conveyor runs DVC pipelines, records experiments and model versions,"
       "and serves registered models over HTTP with Prometheus metrics."
       "This package includes a systemd unit for `conveyor serve`, configured"
       "in /etc/default/conveyor; it is not enabled on installation.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # conveyor_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${conveyor_deb_dir}/conffiles ${conveyor_deb_dir}/postinst ${conveyor_deb_dir}/prerm
    ${conveyor_deb_dir}/postrm)
include(CPack)
