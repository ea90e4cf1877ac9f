#!/usr/bin/env bash
# `make demo`: the paper's four-stage pipeline (load -> preprocess -> train ->
# evaluate) on the bundled handwritten digits, run by conveyor in build/demo.
# The demo project is kept between runs, so a second `make demo` finds
# nothing changed and does not retrain.
set -euo pipefail
conveyor=$(realpath "${1:?usage: run-demo.sh PATH_TO_CONVEYOR}")
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$(dirname "$(dirname "$(dirname "$conveyor")")")/bin"  # <build>/bin: the stage programs
demo="$root/build/demo"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

[ -x "$bin/digits-train" ] || { echo "run-demo: $bin/digits-train is missing; run 'make build'" >&2; exit 1; }
export PATH="$bin:$PATH"

mkdir -p "$demo"
# Refresh the example's files; keep the demo's cache, lock and outputs.
cp -r "$root/examples/digits/." "$demo/"
cd "$demo"
if [ ! -d .dvc ]; then
  step "A fresh project (no Git needed for the demo)"
  run "$conveyor" init --no-scm
fi

step "The pipeline"
run "$conveyor" dag

step "Run it: only stages whose code, data or params changed run"
run "$conveyor" repro

step "Results"
run "$conveyor" metrics show

step "Experiments: every run that changed something, with its params and metrics"
run "$conveyor" exp show --keep 'accuracy|macro_f1|train\..*'

step "The model registry: each new model is a version of 'digits' (conveyor.yaml)"
run "$conveyor" model list

step "Plots: DVC's templates drawn to PNG and SVG"
run "$conveyor" plots show -o dvc_plots
step "Serve it: conveyor serve, then one prediction over HTTP"
# A local demo on the loopback interface: no tokens. A real server gets them
# from CONVEYOR_TOKENS or --tokens FILE (docs/security.md).
echo "Note: authentication is off for this local demo (--no-auth); see docs/security.md"
printf '$ %s serve --no-auth --port 0 &\n' "$conveyor"
"$conveyor" serve --no-auth --port 0 --threads 2 2>serve.log &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
url=
for _ in $(seq 100); do  # up to 10 s
  url=$(sed -n 's|.* on \(http://[0-9.:]*\) .*|\1|p' serve.log | head -1)
  [ -n "$url" ] && curl -sf -o /dev/null "$url/readyz" && break
  sleep 0.1
done
[ -n "$url" ] || { cat serve.log >&2; echo "run-demo: the server did not start" >&2; exit 1; }
printf 'Swagger UI: %s/docs (the API described at %s/openapi.json)\n' "$url" "$url"
run curl -s -F file=@sample-digit.pgm "$url/predict"
echo
run curl -s -o /dev/null -w '/get_experiment_metas: HTTP %{http_code}\n' "$url/get_experiment_metas?limit=1"
kill -TERM $server
wait $server
trap - EXIT
printf 'Server log (one JSON line per request): %s/serve.log\n' "$demo"

printf '\nModel and its serving spec: %s/model/\n' "$demo"
printf 'Run `make demo` again: nothing changes, nothing retrains. Edit %s/params.yaml\n' "$demo"
printf '(e.g. train.max_depth) and run `%s repro` there: only train and evaluate rerun.\n' "$conveyor"
