#!/usr/bin/env bash
# The deploy_kubernetes test: check_kubernetes.py on deploy/kubernetes/, with
# `kubectl kustomize` rendering the base and an overlay too when kubectl is
# installed (Debian 12's kubernetes-client is kubectl 1.20, whose built-in
# kustomize is too old for components; a newer kubectl on PATH is used if
# there is one).
#
# Usage: check_kubernetes.sh SOURCE_DIR CONVEYOR_BIN OUT_DIR
set -euo pipefail
source_dir=${1:?usage: check_kubernetes.sh SOURCE_DIR CONVEYOR_BIN OUT_DIR}
binary=${2:?}
out=${3:?}
python=/usr/bin/python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
  echo "FAIL: $python cannot import yaml; install python3-yaml (scripts/install-deps.sh)"
  exit 1
fi
kubectl_args=()
if kubectl=$(command -v kubectl) && "$kubectl" kustomize --help 2>/dev/null | grep -q -- --load-restrictor; then
  kubectl_args=(--kubectl "$kubectl")
fi
exec "$python" "$source_dir/tests/deploy/check_kubernetes.py" "$source_dir" "$binary" \
  --out "$out" "${kubectl_args[@]}"
