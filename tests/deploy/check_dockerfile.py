#!/usr/bin/python3
"""Checks deploy/Dockerfile without a Docker engine (the deploy_dockerfile test).

Parses the Dockerfile (line continuations, comments, stages) and checks:

- the stages and their bases: build on debian:bookworm, the images (targets
  base, demo, runtime) on debian:bookworm-slim, runtime the last stage (what
  `docker build` builds without --target), every COPY --from a stage above;
- for each image target, through its FROM chain: a numeric non-root USER,
  EXPOSE of the port, a VOLUME for the state directory, a HEALTHCHECK
  requesting /healthz on that port, and ENTRYPOINT + CMD running
  `conveyor serve --host 0.0.0.0 --port PORT` with only flags that
  `conveyor serve --help` lists; the demo serves the remote the demo-model
  stage pushed to, after `conveyor repro` trained it;
- the runtime libraries: every library `ldd` lists for the built binary comes
  from a package the image installs explicitly or that apt brings with them
  (the Depends closure on this machine, which runs the same Debian 12), or
  from the packages every Debian image holds (Priority: required); and every
  library the binary names directly (readelf NEEDED) from a package the
  Dockerfile names itself;
- the build stage installs every -dev package scripts/install-deps.sh lists
  for the libraries (not the test-only ones), and npm for web/.

Usage: check_dockerfile.py SOURCE_DIR CONVEYOR_BIN
"""

import json
import os
import re
import shlex
import subprocess
import sys

errors = []
notes = []


def fail(message):
    errors.append(message)


class Stage:
    def __init__(self, base, name, line):
        self.base, self.name, self.line = base, name, line
        self.instructions = []  # (keyword, arguments, line)

    def all(self, keyword):
        return [(args, line) for k, args, line in self.instructions if k == keyword]


def parse(path):
    """Stages of a Dockerfile, with continuation lines joined."""
    stages = []
    logical, start = "", 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if logical and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not logical:
            start = number
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, args = logical.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--platform")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name, start))
        elif stages:
            stages[-1].instructions.append((keyword, args, start))
        elif keyword != "ARG":
            fail(f"Dockerfile:{start}: {keyword} before the first FROM")
        logical = ""
    return stages


def exec_form(args, where):
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        fail(f"{where}: not in exec (JSON) form: {args}")
        return []
    return value


def apt_installs(stage):
    """Packages `apt-get install` names in a stage's RUN instructions."""
    packages = []
    for args, _ in stage.all("RUN"):
        for command in re.split(r"&&|;|\|\|", args):
            words = shlex.split(command)
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                packages += [w for w in after if not w.startswith("-")]
    return packages


def chain(stages, stage):
    """stage and the stages it is built FROM, nearest first."""
    by_name = {s.name: s for s in stages if s.name}
    result = [stage]
    while result[-1].base in by_name:
        result.append(by_name[result[-1].base])
    return result


def last(chain_, keyword):
    for stage in chain_:
        found = stage.all(keyword)
        if found:
            return found[-1]
    return None


def installed_packages():
    """Every installed package: its Priority, Essential, and Depends with Pre-Depends."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f",
         "${Package}\t${Status}\t${Priority}\t${Essential}\t${Depends}, ${Pre-Depends}\n"],
        capture_output=True, text=True, check=True).stdout
    packages = {}
    for line in out.splitlines():
        name, status, priority, essential, depends = line.split("\t")
        if status.endswith(" installed"):
            packages[name] = (priority, essential, depends)
    return packages


def packages_of(paths):
    """The Debian package that ships each library file (usrmerge-aware): one dpkg -S."""
    candidates = {}
    for path in paths:
        names = [path, os.path.realpath(path)]
        for p in list(names):
            names.append("/usr" + p if p.startswith("/lib") else
                         p[4:] if p.startswith("/usr/lib") else p)
        candidates[path] = names
    every = sorted({c for names in candidates.values() for c in names})
    out = subprocess.run(["dpkg", "-S"] + every, capture_output=True, text=True).stdout
    owner = {}
    for line in out.splitlines():
        package, _, file = line.partition(": ")
        owner[file.strip()] = package.split(",")[0].split(":")[0].strip()
    return {path: next((owner[c] for c in names if c in owner), None)
            for path, names in candidates.items()}


def depends_closure(packages, installed):
    seen, todo = set(), list(packages)
    while todo:
        package = todo.pop()
        if package in seen or package not in installed:
            continue
        seen.add(package)
        for clause in installed[package][2].split(","):
            for alternative in clause.split("|"):
                name = alternative.strip().split(" ")[0].split(":")[0]
                if name in installed:
                    todo.append(name)
                    break
    return seen


def base_image_packages(installed):
    """What every Debian image holds: the required and essential packages and their
    dependencies (libc6, libstdc++6, libgcc-s1, zlib1g, ...)."""
    roots = {name for name, (priority, essential, _) in installed.items()
             if priority == "required" or essential == "yes"}
    return depends_closure(roots, installed)


def linked_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libraries = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+) => (/\S+)", line)
        if match:
            libraries[match.group(1)] = match.group(2)
    dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                             check=True).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic))
    return libraries, needed


def check_runtime_libraries(binary, apt_packages, image):
    libraries, needed = linked_libraries(binary)
    installed = installed_packages()
    base = base_image_packages(installed)
    explicit = set(apt_packages)
    for package in sorted(explicit):
        if package not in installed:
            notes.append(f"{image} installs {package}, which this machine lacks; its "
                         "dependencies are not followed")
    closure = depends_closure(explicit | base, installed)
    owners = packages_of(libraries.values())
    for soname, path in sorted(libraries.items()):
        if re.match(r"lib(asan|ubsan|lsan|tsan)\.so", soname):
            notes.append(f"{soname}: a sanitizer build's runtime, not the image's; skipped")
            continue
        package = owners[path]
        if package is None:
            fail(f"{soname} ({path}): no Debian package ships it")
            continue
        if package not in closure:
            fail(f"{image}: {soname} comes from {package}, which the image does not install")
        if soname in needed and package not in explicit and package not in base:
            fail(f"{image}: the binary links {soname} directly; install {package} by name")
    notes.append(f"{len(libraries)} libraries from ldd ({len(needed)} named directly) are "
                 f"provided by the {len(explicit)} packages {image} installs, their "
                 "dependencies and the base image's required packages")


def serve_flags(binary):
    out = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True,
                         check=True).stdout
    return set(re.findall(r"(?<![\w-])(-{1,2}[A-Za-z][\w-]*)", out))


def flag(argv, *names):
    for i, arg in enumerate(argv):
        if arg in names and i + 1 < len(argv):
            return argv[i + 1]
    return None


def check_image(stages, target, binary, flags):
    stage = next((s for s in stages if s.name == target), None)
    if stage is None:
        fail(f"no stage {target}")
        return None
    stages_chain = chain(stages, stage)
    root = stages_chain[-1].base
    if root != "debian:bookworm-slim":
        fail(f"{target}: built on {root}, not debian:bookworm-slim")
    user = last(stages_chain, "USER")
    if user is None:
        fail(f"{target}: no USER; it would run as root")
    else:
        uid = user[0].split(":")[0]
        if not uid.isdigit() or int(uid) == 0:
            fail(f"{target}: USER {user[0]} must be a numeric non-root uid (Kubernetes can "
                 "check runAsNonRoot only on a number)")
    exposed = [p.split("/")[0] for args, _ in
               (a for s in stages_chain for a in s.all("EXPOSE")) for p in args.split()]
    if len(exposed) != 1:
        fail(f"{target}: expected one EXPOSE port, found {exposed}")
        return None
    port = exposed[0]
    volumes = [v for s in stages_chain for args, _ in s.all("VOLUME")
               for v in (json.loads(args) if args.startswith("[") else args.split())]
    if "/var/lib/conveyor" not in volumes:
        fail(f"{target}: no VOLUME /var/lib/conveyor (the state directory)")
    health = last(stages_chain, "HEALTHCHECK")
    if health is None:
        fail(f"{target}: no HEALTHCHECK")
    else:
        command = health[0].split(" CMD ", 1)[-1] if " CMD " in f" {health[0]}" else ""
        if f"127.0.0.1:{port}/healthz" not in command and f"localhost:{port}/healthz" not in \
                command:
            fail(f"{target}: HEALTHCHECK does not request /healthz on port {port}: {health[0]}")
    entrypoint = last(stages_chain, "ENTRYPOINT")
    cmd = last(stages_chain, "CMD")
    argv = (exec_form(entrypoint[0], f"{target} ENTRYPOINT") if entrypoint else []) + \
        (exec_form(cmd[0], f"{target} CMD") if cmd else [])
    if len(argv) < 2 or os.path.basename(argv[0]) != "conveyor" or argv[1] != "serve":
        fail(f"{target}: runs {argv}, not conveyor serve")
        return argv
    if flag(argv, "--host") != "0.0.0.0":
        fail(f"{target}: --host {flag(argv, '--host')}; in a container it must be 0.0.0.0")
    if flag(argv, "--port", "-p") != port:
        fail(f"{target}: --port {flag(argv, '--port', '-p')} is not the exposed port {port}")
    for arg in argv[2:]:
        if arg.startswith("-") and arg.split("=")[0] not in flags:
            fail(f"{target}: {arg} is not a flag of conveyor serve")
    copied = {args.split()[-1] for s in stages_chain for args, _ in s.all("COPY")}
    if entrypoint and argv[0] not in copied:
        fail(f"{target}: the ENTRYPOINT {argv[0]} is not where the binary is copied ({copied})")
    return argv


def main():
    source, binary = sys.argv[1], sys.argv[2]
    stages = parse(os.path.join(source, "deploy", "Dockerfile"))
    names = [s.name for s in stages]
    expected = {"build": "debian:bookworm", "demo-model": "build",
                "base": "debian:bookworm-slim", "demo": "base", "runtime": "base"}
    for name, base in expected.items():
        stage = next((s for s in stages if s.name == name), None)
        if stage is None:
            fail(f"no stage {name} (stages: {names})")
        elif stage.base != base:
            fail(f"stage {name} is FROM {stage.base}, expected {base}")
    if names and names[-1] != "runtime":
        fail(f"the last stage is {names[-1]}; runtime must be the default target")
    for stage in stages:
        for args, line in stage.all("COPY"):
            match = re.search(r"--from=(\S+)", args)
            if match and match.group(1) not in names[:names.index(stage.name)]:
                fail(f"Dockerfile:{line}: COPY --from={match.group(1)}: no such stage above")
    if errors:
        return report()

    flags = serve_flags(binary)
    for target in ("runtime", "demo"):
        check_image(stages, target, binary, flags)
    by_name = {s.name: s for s in stages}
    demo = by_name["demo"]
    demo_cmd = exec_form(demo.all("CMD")[-1][0], "demo CMD") if demo.all("CMD") else []
    remote = flag(demo_cmd, "--remote")
    copies = [args for args, _ in demo.all("COPY") if "--from=demo-model" in args]
    if remote is None or not any(args.split()[-1] == remote for args in copies):
        fail(f"demo: serves --remote {remote}, which no COPY --from=demo-model provides")
    training = " ".join(args for args, _ in by_name["demo-model"].all("RUN"))
    for step in ("conveyor init", "conveyor repro", "conveyor push"):
        if step not in training:
            fail(f"demo-model: no `{step}`")
    if remote and remote not in training:
        fail(f"demo-model: does not push to {remote}")

    installed = apt_installs(by_name["base"])
    check_runtime_libraries(binary, installed, "base")

    build_packages = set(apt_installs(by_name["build"]))
    with open(os.path.join(source, "scripts", "install-deps.sh"), encoding="utf-8") as f:
        listed = re.search(r"packages=\((.*?)\n\)", f.read(), re.S).group(1)
    test_only = {"libbenchmark-dev"}
    for package in listed.split():
        if package.endswith("-dev") and package not in test_only and \
                package not in build_packages:
            fail(f"build: install-deps.sh's {package} is not installed")
    if "npm" not in build_packages:
        fail("build: npm is needed for web/ (Swagger UI, compiled in)")
    return report()


def report():
    for note in notes:
        print(f"note: {note}")
    for message in errors:
        print(f"FAIL: {message}")
    print(f"deploy/Dockerfile: {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
