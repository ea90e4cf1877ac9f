#!/usr/bin/env bash
# The deploy_schemas test: the Kubernetes base's objects against the API's
# schemas (validate_kubernetes.mjs: kubernetes-models and
# @kubernetes-models/prometheus-operator from npm), and deploy/Dockerfile
# through dockerfile-utils' linter (the one behind VS Code's Dockerfile
# support; hadolint is neither in Debian 12 nor on npm). Each must also
# refuse a broken copy, so a validator that accepts anything fails the test.
#
# Usage: check_schemas.sh SOURCE_DIR OUT_DIR
# Exit 77 (skip) without tests/deploy/node_modules: npm ci --prefix tests/deploy.
set -euo pipefail
source_dir=${1:?usage: check_schemas.sh SOURCE_DIR OUT_DIR}
out=${2:?}
here=$source_dir/tests/deploy
if [ ! -d "$here/node_modules/kubernetes-models" ] || [ ! -d "$here/node_modules/dockerfile-utils" ]; then
  echo "SKIP: tests/deploy/node_modules is missing; run npm ci --prefix tests/deploy"
  exit 77
fi
rm -rf "$out" && mkdir -p "$out"
base=$source_dir/deploy/kubernetes
resources=$(/usr/bin/python3 -c '
import sys, yaml
k = yaml.safe_load(open(sys.argv[1] + "/kustomization.yaml"))
print("\n".join(sys.argv[1] + "/" + r for r in k["resources"]))' "$base")
mapfile -t files <<<"$resources"
node "$here/validate_kubernetes.mjs" "${files[@]}" "$base/servicemonitor/servicemonitor.yaml"

# A broken Deployment (replicas as a string, a probe port out of range) must be refused.
sed -e 's/replicas: 2/replicas: "two"/' -e 's/containerPort: 8000/containerPort: 80000/' \
  "$base/deployment.yaml" >"$out/broken-deployment.yaml"
if node "$here/validate_kubernetes.mjs" "$out/broken-deployment.yaml" >"$out/broken.log"; then
  echo "FAIL: the schema validator accepted a broken Deployment"
  exit 1
fi
echo "broken copy refused: $(grep -c INVALID "$out/broken.log") invalid object(s)"

"$here/node_modules/.bin/dockerfile-utils" lint "$source_dir/deploy/Dockerfile"
echo "deploy/Dockerfile: dockerfile-utils lint reports nothing"
sed 's/--start-period=120s/--start-period=soon/' "$source_dir/deploy/Dockerfile" >"$out/Dockerfile"
if "$here/node_modules/.bin/dockerfile-utils" lint "$out/Dockerfile" >"$out/lint.log"; then
  echo "FAIL: dockerfile-utils accepted a broken HEALTHCHECK"
  exit 1
fi
echo "broken Dockerfile refused"
