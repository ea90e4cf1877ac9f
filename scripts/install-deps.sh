#!/usr/bin/env bash
# Installs every Debian package conveyor needs to build, lint and test.
# Idempotent: packages already present are not touched, and apt is not
# consulted at all when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang-format clang-tidy cppcheck
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libtomlplusplus-dev libssl-dev libsqlite3-dev libgit2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libxgboost-dev libopencv-dev libpng-dev libjpeg62-turbo-dev
  libpq-dev postgresql libcairo2-dev fonts-dejavu-core libboost-dev curl
  libcurl4-openssl-dev libssh-dev openssh-server
  prometheus-cpp-dev prometheus prometheus-alertmanager python3-yaml python3-prometheus-client
  lintian systemd rsync
  chromium
)
# Node.js and npm for web/ (Swagger UI built into `conveyor serve`, the
# OpenAPI linter, the browser test's driver). Any Node.js >= 20 with npm will
# do, so Debian's are only installed when there is no npm at all.
if ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

# node_modules of web/, tests/s3/ (s3rver, the S3 server the S3 backend's
# tests start), tests/deploy/ (Kubernetes schemas and a Dockerfile linter
# for the deploy_* tests) and tests/ci_local/ (gitlab-ci-local, which runs
# the GitLab pipeline template, and action-validator) as each
# package-lock.json pins it. Idempotent: skipped when the
# lock file has not changed since the last install (a copy is kept as a
# stamp). --ignore-scripts: no package needs one, and one would phone home.
npm_deps() {
  local root dir
  root="$(cd "$(dirname "$0")/.." && pwd)"
  for dir in "$root/web" "$root/tests/s3" "$root/tests/deploy" "$root/tests/ci_local"; do
    if cmp -s "$dir/package-lock.json" "$dir/node_modules/.conveyor-lock"; then
      continue
    fi
    echo "install-deps: npm ci in ${dir#"$root"/}/"
    npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error
    cp "$dir/package-lock.json" "$dir/node_modules/.conveyor-lock"
  done
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  npm_deps
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
# openssh-server is here for its /usr/sbin/sshd, which the SFTP backend's
# tests start themselves on a loopback port; prometheus for promtool (the
# /metrics tests) and for tests that start their own Prometheus on a loopback
# port; prometheus-alertmanager likewise for the retraining-hook test. Their
# postinsts would also start a system sshd on port 22, a system Prometheus on
# 9090 and an Alertmanager on 9093; we want none of them. Unless the machine already has
# a policy (Docker images ship one that forbids every start), a temporary
# /usr/sbin/policy-rc.d forbids (exit 101) actions on those two services
# only, which invoke-rc.d and deb-systemd-invoke honour, for the length of
# this install. The install still succeeds; other services (postgresql)
# start as before, and all three are left enabled for the next boot, as any
# install of those packages leaves them.
policy=/usr/sbin/policy-rc.d
if [[ (" ${missing[*]} " == *" openssh-server "* || " ${missing[*]} " == *" prometheus "* ||
  " ${missing[*]} " == *" prometheus-alertmanager "*) && ! -e "$policy" ]]; then
  $sudo tee "$policy" >/dev/null <<'POLICY'
#!/bin/sh
# From install-deps.sh: start no sshd, Prometheus or Alertmanager during the install.
for arg; do case "$arg" in
  ssh | ssh.service | sshd | sshd.service | prometheus | prometheus.service | \
    prometheus-alertmanager | prometheus-alertmanager.service) exit 101 ;;
esac; done
exit 0
POLICY
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
npm_deps
