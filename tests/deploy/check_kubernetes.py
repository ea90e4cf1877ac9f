#!/usr/bin/python3
"""Checks deploy/kubernetes/, the kustomize base (the deploy_kubernetes test).

Renders the base the way kustomize does for what it uses (every file named in
kustomization.yaml's resources, and the servicemonitor component), then checks
what a cluster would only tell at rollout time:

- every document is well-formed YAML with apiVersion, kind and a DNS-1123
  metadata.name, of the kinds and API versions the base is meant to hold;
- the Deployment's selector matches its pod labels, and the Service, the
  PodDisruptionBudget and the ServiceMonitor select those pods; the HPA
  targets the Deployment;
- probe paths are routes the real binary serves (read from `conveyor serve
  --openapi`), readiness on /readyz and liveness and start-up on /healthz,
  each on the container's port; the scrape annotations name that port and
  /metrics;
- the args are `serve ... --host 0.0.0.0 --port PORT`, every flag is one
  `conveyor serve --help` lists, every $(VAR) is defined by the ConfigMap or
  the Secret, and --state-dir is a writable emptyDir;
- terminationGracePeriodSeconds exceeds the preStop sleep plus --grace;
  rolling updates keep every replica (maxUnavailable 0);
- non-root, read-only root filesystem, no capabilities, no privilege
  escalation; the user is the Dockerfile's numeric USER;
- CPU and memory requests and limits, the memory limit above the measured
  peak (docs/serving.md#memory); the Secret holds only placeholders.

With --kubectl PATH, `kubectl kustomize` renders the base too, and its output
must hold the same objects; an overlay like docs/deploy.md's (image, remote,
credentials, the ServiceMonitor component) must render with its changes.

Usage: check_kubernetes.py SOURCE_DIR CONVEYOR_BIN [--kubectl PATH] [--out DIR]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

# docs/serving.md#memory: the digits server's resident memory at the peak of
# a hot swap under load.
MEASURED_PEAK_BYTES = 55 * 1000 * 1000
DEFAULT_GRACE_SECONDS = 10  # conveyor serve --grace
EXPECTED_KINDS = {
    "ConfigMap": "v1",
    "Secret": "v1",
    "Deployment": "apps/v1",
    "Service": "v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}

errors = []


def fail(message):
    errors.append(message)


def load_documents(path):
    with open(path, encoding="utf-8") as f:
        try:
            return [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            fail(f"{path}: not well-formed YAML: {e}")
            return []


def render(directory):
    """The objects of a kustomization's resources (files only), in order."""
    kustomization = load_documents(os.path.join(directory, "kustomization.yaml"))[0]
    objects = []
    for resource in kustomization.get("resources", []):
        path = os.path.join(directory, resource)
        if not os.path.isfile(path):
            fail(f"{path}: listed in kustomization.yaml but not a file")
            continue
        for document in load_documents(path):
            objects.append((resource, document))
    return kustomization, objects


def quantity(value, cpu=False):
    text = str(value)
    if cpu and text.endswith("m"):
        return float(text[:-1]) / 1000
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", text)
    if not match or match.group(2) not in UNITS:
        raise ValueError(f"not a quantity: {value!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def served_routes(binary):
    out = subprocess.run([binary, "serve", "--openapi"], check=True, capture_output=True,
                         text=True).stdout
    return set(json.loads(out)["paths"])


def serve_flags(binary):
    out = subprocess.run([binary, "serve", "--help"], check=True, capture_output=True,
                         text=True).stdout
    return set(re.findall(r"(?<![\w-])(-{1,2}[A-Za-z][\w-]*)", out))


def dockerfile_user(source):
    user = None
    with open(os.path.join(source, "deploy", "Dockerfile"), encoding="utf-8") as f:
        for line in f:
            match = re.match(r"\s*USER\s+(\S+)", line, re.IGNORECASE)
            if match:
                user = match.group(1)
    return user


def check_base(source, binary, objects):
    by_kind = {}
    for file, obj in objects:
        where = f"{file}: {obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
        for field in ("apiVersion", "kind", "metadata"):
            if field not in obj:
                fail(f"{where}: no {field}")
        name = (obj.get("metadata") or {}).get("name", "")
        if not DNS1123.match(name or ""):
            fail(f"{where}: metadata.name {name!r} is not a DNS-1123 label")
        kind = obj.get("kind")
        if kind not in EXPECTED_KINDS:
            fail(f"{where}: unexpected kind {kind}")
        elif obj.get("apiVersion") != EXPECTED_KINDS[kind]:
            fail(f"{where}: apiVersion {obj.get('apiVersion')}, expected {EXPECTED_KINDS[kind]}")
        by_kind.setdefault(kind, []).append(obj)
    for kind in EXPECTED_KINDS:
        if len(by_kind.get(kind, [])) != 1:
            fail(f"the base must hold one {kind}, holds {len(by_kind.get(kind, []))}")
    if errors:
        return None
    config = by_kind["ConfigMap"][0]
    secret = by_kind["Secret"][0]
    deployment = by_kind["Deployment"][0]
    service = by_kind["Service"][0]
    hpa = by_kind["HorizontalPodAutoscaler"][0]
    pdb = by_kind["PodDisruptionBudget"][0]

    # Labels and selectors.
    spec = deployment["spec"]
    template = spec["template"]
    pod_labels = template["metadata"].get("labels", {})
    match_labels = spec["selector"].get("matchLabels", {})
    if not selects(match_labels, pod_labels):
        fail(f"Deployment: selector {match_labels} does not match its pod labels {pod_labels}")
    if not selects(service["spec"].get("selector", {}), pod_labels):
        fail(f"Service: selector {service['spec'].get('selector')} does not select the pods")
    if not selects(pdb["spec"]["selector"].get("matchLabels", {}), pod_labels):
        fail("PodDisruptionBudget: its selector does not select the pods")
    target = hpa["spec"]["scaleTargetRef"]
    if (target.get("apiVersion"), target.get("kind"), target.get("name")) != (
            "apps/v1", "Deployment", deployment["metadata"]["name"]):
        fail(f"HPA: scaleTargetRef {target} is not the Deployment")
    if not 1 <= hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"]:
        fail("HPA: minReplicas must be between 1 and maxReplicas")

    # The container, its port and its probes.
    pod = template["spec"]
    containers = pod["containers"]
    if len(containers) != 1:
        fail(f"Deployment: expected one container, found {len(containers)}")
        return None
    container = containers[0]
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    if len(ports) != 1:
        fail(f"container: expected one port, found {ports}")
        return None
    port_name, port = next(iter(ports.items()))
    routes = served_routes(binary)
    expected_probes = {"readinessProbe": "/readyz", "livenessProbe": "/healthz",
                       "startupProbe": "/healthz"}
    for probe_name, path in expected_probes.items():
        probe = container.get(probe_name)
        if not probe or "httpGet" not in probe:
            fail(f"container: no HTTP {probe_name}")
            continue
        get = probe["httpGet"]
        if get.get("path") not in routes:
            fail(f"{probe_name}: path {get.get('path')} is not a route conveyor serves "
                 f"({', '.join(sorted(routes))})")
        if get.get("path") != path:
            fail(f"{probe_name}: path {get.get('path')}, expected {path}")
        if get.get("port") not in (port, port_name):
            fail(f"{probe_name}: port {get.get('port')} is not the container's ({port_name}, "
                 f"{port})")
    startup = container.get("startupProbe", {})
    if startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) < 60:
        fail("startupProbe: allows less than 60 s for a model to load")
    for service_port in service["spec"]["ports"]:
        if service_port.get("targetPort") not in (port, port_name):
            fail(f"Service: targetPort {service_port.get('targetPort')} is not the container's")

    annotations = template["metadata"].get("annotations", {})
    if annotations.get("prometheus.io/scrape") != "true":
        fail("pod annotations: prometheus.io/scrape must be \"true\"")
    if annotations.get("prometheus.io/path") != "/metrics" or "/metrics" not in routes:
        fail(f"pod annotations: prometheus.io/path {annotations.get('prometheus.io/path')}, "
             "expected /metrics")
    if annotations.get("prometheus.io/port") != str(port):
        fail(f"pod annotations: prometheus.io/port {annotations.get('prometheus.io/port')} is "
             f"not the container port {port}")

    # Args: flags conveyor knows, variables that are defined.
    variables = dict(config.get("data", {}))
    secret_keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    for source_ref in container.get("envFrom", []):
        if "configMapRef" in source_ref and source_ref["configMapRef"]["name"] != \
                config["metadata"]["name"]:
            fail(f"envFrom: no ConfigMap {source_ref['configMapRef']['name']} in the base")
        if "secretRef" in source_ref and source_ref["secretRef"]["name"] != \
                secret["metadata"]["name"]:
            fail(f"envFrom: no Secret {source_ref['secretRef']['name']} in the base")
    for env in container.get("env", []):
        variables[env["name"]] = env.get("value", "")
    args = [str(a) for a in container.get("args", [])]

    def resolve(arg):
        def value(match):
            name = match.group(1)
            if name in variables:
                return variables[name]
            if name in secret_keys:
                return "<secret>"
            fail(f"args: $({name}) is defined by neither the ConfigMap nor the Secret")
            return ""
        return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", value, arg)

    resolved = [resolve(a) for a in args]
    if not resolved or resolved[0] != "serve":
        fail(f"args: must start with serve, not {resolved[:1]}")
    known = serve_flags(binary)
    for arg in resolved[1:]:
        flag = arg.split("=", 1)[0]
        if flag.startswith("-") and flag not in known:
            fail(f"args: {flag} is not a flag of conveyor serve")

    def flag_value(*names):
        for i, arg in enumerate(resolved):
            if arg in names and i + 1 < len(resolved):
                return resolved[i + 1]
        return None

    if flag_value("--host") != "0.0.0.0":
        fail(f"args: --host {flag_value('--host')}; a pod must listen on 0.0.0.0")
    if flag_value("--port", "-p") != str(port):
        fail(f"args: --port {flag_value('--port', '-p')} is not the container port {port}")
    if flag_value("--remote") is None:
        fail("args: no --remote (the pods load their model from the remote)")
    state_dir = flag_value("--state-dir")
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    if state_dir not in mounts or "emptyDir" not in volumes.get(mounts.get(state_dir), {}):
        fail(f"args: --state-dir {state_dir} is not an emptyDir volume mount")
    if "/tmp" not in mounts:
        fail("container: no writable /tmp under a read-only root filesystem")

    # Shutdown: preStop, then SIGTERM and --grace, within the grace period.
    grace = float(flag_value("--grace") or DEFAULT_GRACE_SECONDS)
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    command = pre_stop.get("exec", {}).get("command", [])
    sleep = float(command[1]) if command[:1] == ["sleep"] and len(command) == 2 else \
        float(pre_stop.get("sleep", {}).get("seconds", 0))
    if sleep <= 0:
        fail("container: no preStop sleep to let endpoints drain before SIGTERM")
    period = pod.get("terminationGracePeriodSeconds", 30)
    if not period > sleep + grace:
        fail(f"terminationGracePeriodSeconds {period} must exceed preStop {sleep:g} s + --grace "
             f"{grace:g} s")
    strategy = spec.get("strategy", {})
    if strategy.get("type") != "RollingUpdate" or \
            str(strategy.get("rollingUpdate", {}).get("maxUnavailable")) != "0":
        fail("Deployment: a rolling update with maxUnavailable 0 is expected")

    # Security.
    pod_security = pod.get("securityContext", {})
    security = container.get("securityContext", {})
    if not (security.get("runAsNonRoot") or pod_security.get("runAsNonRoot")):
        fail("securityContext: runAsNonRoot is not set")
    if security.get("readOnlyRootFilesystem") is not True:
        fail("securityContext: readOnlyRootFilesystem is not true")
    if security.get("allowPrivilegeEscalation") is not False:
        fail("securityContext: allowPrivilegeEscalation is not false")
    if "ALL" not in security.get("capabilities", {}).get("drop", []):
        fail("securityContext: capabilities are not all dropped")
    user = dockerfile_user(source)
    run_as = security.get("runAsUser", pod_security.get("runAsUser"))
    if user is None or str(run_as) != user.split(":")[0]:
        fail(f"securityContext: runAsUser {run_as} is not deploy/Dockerfile's USER {user}")

    # Resources.
    resources = container.get("resources", {})
    try:
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(bound, {}):
                    fail(f"resources: no {bound}.{resource}")
        limits, requests = resources.get("limits", {}), resources.get("requests", {})
        if "memory" in limits and quantity(limits["memory"]) < 2 * MEASURED_PEAK_BYTES:
            fail(f"resources: memory limit {limits['memory']} is under twice the measured peak "
                 "(55 MB, docs/serving.md#memory)")
        for resource in ("cpu", "memory"):
            if resource in limits and resource in requests and quantity(
                    requests[resource], resource == "cpu") > quantity(limits[resource],
                                                                      resource == "cpu"):
                fail(f"resources: {resource} request above its limit")
    except ValueError as e:
        fail(f"resources: {e}")

    # The image an overlay replaces, and no real credentials.
    if container.get("image") != "conveyor":
        fail(f"container: image {container.get('image')!r}; the base names it 'conveyor' for "
             "an overlay's images: to replace")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "CONVEYOR_TOKENS"):
        value = secret.get("stringData", {}).get(key)
        if value is None:
            fail(f"Secret: no {key}")
        elif not value.startswith("REPLACE_"):
            fail(f"Secret: {key} must be a REPLACE_... placeholder in the base")
    return deployment


def check_service_monitor(directory, pod_labels, port_name):
    _, objects = render(directory)
    monitors = [o for _, o in objects if o.get("kind") == "ServiceMonitor"]
    if len(monitors) != 1 or monitors[0].get("apiVersion") != "monitoring.coreos.com/v1":
        fail("servicemonitor/: expected one monitoring.coreos.com/v1 ServiceMonitor")
        return
    monitor = monitors[0]
    if not selects(monitor["spec"]["selector"].get("matchLabels", {}), pod_labels):
        fail("ServiceMonitor: its selector does not select the Service's labels")
    for endpoint in monitor["spec"]["endpoints"]:
        if endpoint.get("port") != port_name or endpoint.get("path") != "/metrics":
            fail(f"ServiceMonitor: endpoint {endpoint} is not the http port's /metrics")


def check_with_kubectl(kubectl, base, objects, out_dir):
    rendered = subprocess.run([kubectl, "kustomize", base], capture_output=True, text=True)
    if rendered.returncode != 0:
        fail(f"kubectl kustomize {base}: {rendered.stderr.strip()}")
        return
    with open(os.path.join(out_dir, "base.yaml"), "w", encoding="utf-8") as f:
        f.write(rendered.stdout)
    theirs = sorted((json.dumps(d, sort_keys=True) for d in yaml.safe_load_all(rendered.stdout)
                     if d is not None))
    ours = sorted(json.dumps(o, sort_keys=True) for _, o in objects)
    if theirs != ours:
        fail("kubectl kustomize renders the base differently from its resource files")

    # An overlay as docs/deploy.md writes one.
    overlay = os.path.join(out_dir, "overlay")
    os.makedirs(overlay, exist_ok=True)
    relative = os.path.relpath(base, overlay)
    with open(os.path.join(overlay, "kustomization.yaml"), "w", encoding="utf-8") as f:
        f.write(f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {relative}
components:
  - {relative}/servicemonitor
images:
  - name: conveyor
    newName: registry.example.org/ml/conveyor
    newTag: "1.2.3"
configMapGenerator:
  - name: conveyor-config
    behavior: merge
    literals:
      - CONVEYOR_REMOTE_URL=s3://ml-models/digits
secretGenerator:
  - name: conveyor-credentials
    behavior: replace
    literals:
      - AWS_ACCESS_KEY_ID=AKIAEXAMPLE
      - AWS_SECRET_ACCESS_KEY=example
      - CONVEYOR_TOKENS=example
""")
    rendered = subprocess.run([kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                               overlay], capture_output=True, text=True)
    if rendered.returncode != 0:
        fail(f"kubectl kustomize (overlay): {rendered.stderr.strip()}")
        return
    with open(os.path.join(out_dir, "overlay.yaml"), "w", encoding="utf-8") as f:
        f.write(rendered.stdout)
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(rendered.stdout)
            if d is not None}
    deployment = docs.get(("Deployment", "conveyor"), {})
    image = deployment.get("spec", {}).get("template", {}).get("spec", {}).get(
        "containers", [{}])[0].get("image")
    if image != "registry.example.org/ml/conveyor:1.2.3":
        fail(f"overlay: the image is {image}, not the overlay's")
    config = next((d for (k, _), d in docs.items() if k == "ConfigMap"), {})
    if config.get("data", {}).get("CONVEYOR_REMOTE_URL") != "s3://ml-models/digits":
        fail("overlay: the ConfigMap merge did not set CONVEYOR_REMOTE_URL")
    secrets = [d for (k, _), d in docs.items() if k == "Secret"]
    if len(secrets) != 1 or "stringData" in secrets[0]:
        fail("overlay: the Secret was not replaced by the overlay's")
    refs = [r.get("secretRef", {}).get("name") for r in deployment["spec"]["template"]["spec"][
        "containers"][0].get("envFrom", [])]
    if secrets and secrets[0]["metadata"]["name"] not in refs:
        fail("overlay: the Deployment does not refer to the overlay's Secret")
    if ("ServiceMonitor", "conveyor") not in docs:
        fail("overlay: the servicemonitor component added no ServiceMonitor")
    version = subprocess.run([kubectl, "version", "--client"], capture_output=True,
                             text=True).stdout.replace("\n", "; ").strip("; ")
    print(f"kubectl kustomize rendered the base and an overlay ({version})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("binary")
    parser.add_argument("--kubectl")
    parser.add_argument("--out", help="where rendered manifests are written")
    args = parser.parse_args()
    base = os.path.join(args.source, "deploy", "kubernetes")
    _, objects = render(base)
    deployment = None if errors else check_base(args.source, args.binary, objects)
    if deployment is not None:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        port_name = deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"]
        check_service_monitor(os.path.join(base, "servicemonitor"), labels, port_name)
    out_dir = args.out or tempfile.mkdtemp(prefix="conveyor-k8s-")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "resources.yaml"), "w", encoding="utf-8") as f:
        yaml.safe_dump_all([o for _, o in objects], f, sort_keys=False)
    if args.kubectl:
        check_with_kubectl(args.kubectl, base, objects, out_dir)
    else:
        print("note: no kubectl; the base was rendered from its resource files only")
    for message in errors:
        print(f"FAIL: {message}")
    print(f"{len(objects)} objects checked, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
