#!/usr/bin/python3
"""Builds the .deb with CPack and checks it (the deploy_deb test); no root.

- `cpack -G DEB` (cmake/packaging.cmake) in a scratch directory writes
  conveyor_<version>_amd64.deb;
- dpkg-deb --field: package, version (the project's), architecture, and
  Depends naming adduser and the package of every library the binary links
  directly (readelf NEEDED, dpkg -S), as dpkg-shlibdeps found them;
- dpkg-deb --contents: exactly the binary in /usr/bin, the unit and the
  default file, nothing else (no test programs); conffiles and the
  maintainer scripts in the control area;
- the unpacked binary runs (--version) and every flag of the default
  file's CONVEYOR_SERVE_ARGS is one `conveyor serve --help` lists;
- the unit: `systemd-analyze verify` (its ExecStart pointed at the unpacked
  binary, since /usr/bin/conveyor is not installed here), the directives the
  service relies on, TimeoutStopSec above --grace, and the exposure score of
  `systemd-analyze security --offline=yes`; skipped with a note when
  systemd-analyze is absent;
- lintian, when installed: its tags are printed, not failed on.

Usage: check_deb.py SOURCE_DIR BUILD_DIR WORK_DIR
"""

import os
import re
import shlex
import shutil
import subprocess
import sys

errors = []


def fail(message):
    errors.append(message)


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def project_version(source):
    with open(os.path.join(source, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(conveyor VERSION (\S+)", f.read()).group(1)


def unit_directives(path):
    directives = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                key, _, value = line.partition("=")
                directives.setdefault(key, []).append(value)
    return directives


def default_args(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("CONVEYOR_SERVE_ARGS="):
                return shlex.split(line.partition("=")[2])[0].split()
    return None


def main():
    source, build, work = sys.argv[1:4]
    version = project_version(source)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    packed = run(["cpack", "-G", "DEB", "--config", os.path.join(build, "CPackConfig.cmake"),
                  "-B", work])
    if packed.returncode != 0:
        print(packed.stdout + packed.stderr)
        fail("cpack -G DEB failed")
        return report()
    deb = os.path.join(work, f"conveyor_{version}_amd64.deb")
    if not os.path.isfile(deb):
        fail(f"cpack wrote no {os.path.basename(deb)}: {os.listdir(work)}")
        return report()
    print(f"built {deb} ({os.path.getsize(deb) // 1024} KiB)")

    fields = {}
    for field in ("Package", "Version", "Architecture", "Depends", "Section", "Maintainer",
                  "Description"):
        fields[field] = run(["dpkg-deb", "--field", deb, field]).stdout.strip()
    print(f"Depends: {fields['Depends']}")
    expected = {"Package": "conveyor", "Version": version, "Architecture": "amd64"}
    for field, value in expected.items():
        if fields[field] != value:
            fail(f"{field}: {fields[field]!r}, expected {value!r}")
    depends = {d.strip().split(" ")[0] for clause in fields["Depends"].split(",")
               for d in clause.split("|")}

    contents = run(["dpkg-deb", "--contents", deb]).stdout.splitlines()
    files = sorted(line.split()[-1] for line in contents if not line.startswith("d"))
    wanted = ["./etc/default/conveyor", "./lib/systemd/system/conveyor.service",
              "./usr/bin/conveyor"]
    if files != wanted:
        fail(f"contents: {files}, expected {wanted}")
    for line in contents:
        if line.endswith("./usr/bin/conveyor") and not line.startswith("-rwxr-xr-x root/root"):
            fail(f"contents: {line}: not an executable owned by root")

    control = os.path.join(work, "control")
    run(["dpkg-deb", "--control", deb, control], check=True)
    with open(os.path.join(control, "conffiles"), encoding="utf-8") as f:
        if f.read().split() != ["/etc/default/conveyor"]:
            fail("conffiles: expected /etc/default/conveyor")
    for script in ("postinst", "prerm", "postrm"):
        path = os.path.join(control, script)
        if not os.access(path, os.X_OK):
            fail(f"control: no executable {script}")
    with open(os.path.join(control, "postinst"), encoding="utf-8") as f:
        if "adduser --system" not in f.read():
            fail("postinst: does not create the system user")
    check = run(["sh", "-n", os.path.join(control, "postinst")])
    if check.returncode != 0:
        fail(f"postinst: {check.stderr}")

    root = os.path.join(work, "root")
    run(["dpkg-deb", "-x", deb, root], check=True)
    binary = os.path.join(root, "usr", "bin", "conveyor")
    ran = run([binary, "--version"])
    if ran.returncode != 0 or version not in ran.stdout + ran.stderr:
        fail(f"the packaged binary does not run: {ran.stdout}{ran.stderr}")
    dynamic = run(["readelf", "-d", binary]).stdout
    for soname in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic):
        path = re.search(re.escape(soname) + r" => (\S+)", run(["ldd", binary]).stdout)
        owner = run(["dpkg", "-S", os.path.realpath(path.group(1))]) if path else None
        package = owner.stdout.split(":")[0] if owner and owner.returncode == 0 else None
        if package and package not in depends:
            fail(f"Depends: lacks {package}, which ships {soname}")
    if "adduser" not in depends:
        fail("Depends: lacks adduser (postinst)")

    help_text = run([binary, "serve", "--help"]).stdout
    flags = set(re.findall(r"(?<![\w-])(-{1,2}[A-Za-z][\w-]*)", help_text))
    args = default_args(os.path.join(root, "etc", "default", "conveyor"))
    if args is None:
        fail("/etc/default/conveyor: no CONVEYOR_SERVE_ARGS")
        args = []
    for arg in args:
        if arg.startswith("-") and arg not in flags:
            fail(f"/etc/default/conveyor: {arg} is not a flag of conveyor serve")
    grace = float(args[args.index("--grace") + 1]) if "--grace" in args else 10

    unit = os.path.join(root, "lib", "systemd", "system", "conveyor.service")
    directives = unit_directives(unit)
    required = {
        "ExecStart": "/usr/bin/conveyor serve $CONVEYOR_SERVE_ARGS",
        "EnvironmentFile": "-/etc/default/conveyor",
        "User": "conveyor",
        "Restart": "on-failure",
        "KillSignal": "SIGTERM",
        "StateDirectory": "conveyor",
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "WantedBy": "multi-user.target",
    }
    for key, value in required.items():
        if directives.get(key) != [value]:
            fail(f"conveyor.service: {key}={directives.get(key)}, expected {value}")
    stop = float(directives.get("TimeoutStopSec", ["90"])[0].rstrip("s"))
    if not stop > grace:
        fail(f"conveyor.service: TimeoutStopSec {stop:g} must exceed --grace {grace:g}")
    if "--state-dir" in args and args[args.index("--state-dir") + 1] != "/var/lib/conveyor":
        fail("/etc/default/conveyor: --state-dir is not the unit's StateDirectory")

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("SKIP (part): systemd-analyze not found; the unit was not verified by systemd")
    else:
        verify_dir = os.path.join(work, "verify")
        os.makedirs(verify_dir)
        copy = os.path.join(verify_dir, "conveyor.service")
        with open(unit, encoding="utf-8") as f:
            text = f.read().replace("/usr/bin/conveyor", binary)
        with open(copy, "w", encoding="utf-8") as f:
            f.write(text)
        verified = run([analyze, "verify", copy])
        if verified.returncode != 0 or verified.stderr.strip():
            fail(f"systemd-analyze verify: {verified.stderr.strip()}")
        else:
            print("systemd-analyze verify: no complaints")
        security = run([analyze, "security", "--offline=yes", copy])
        level = re.search(r"Overall exposure level for \S+: (.*)", security.stdout)
        print(f"systemd-analyze security: {level.group(1) if level else security.stderr.strip()}")
        if level and float(level.group(1).split()[0]) > 3.0:
            fail(f"systemd-analyze security: exposure {level.group(1)} (above 3.0)")

    lintian = shutil.which("lintian")
    if lintian is None:
        print("note: lintian not installed; not linted")
    else:
        linted = run([lintian, "--no-cfg", "--display-info", deb])
        tags = [line for line in linted.stdout.splitlines() if re.match(r"[EWIPX]: ", line)]
        print(f"lintian: {len(tags)} tags (reported, not failed on)")
        for tag in tags:
            print(f"  {tag}")
    return report()


def report():
    for message in errors:
        print(f"FAIL: {message}")
    print(f"conveyor .deb: {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
