#!/usr/bin/env bash
# `make demo`: runs the bundled example pipeline in build/demo and shows what
# conveyor did — a first run, a no-op second run, and an incremental rerun
# after a parameter change.
set -euo pipefail
conveyor=$(realpath "${1:?usage: run-demo.sh PATH_TO_CONVEYOR}")
root=$(cd "$(dirname "$0")/.." && pwd)
demo="$root/build/demo"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

rm -rf "$demo"
mkdir -p "$(dirname "$demo")"
cp -r "$root/examples/quickstart" "$demo"
cd "$demo"

step "A fresh project (no Git needed for the demo)"
run "$conveyor" init --no-scm
run "$conveyor" dag

step "First run: every stage runs, outputs go to the cache, dvc.lock records them"
run "$conveyor" repro
run "$conveyor" metrics show
run cat work/top_words.csv

step "Second run: nothing changed, so nothing runs"
run "$conveyor" repro

step "Change one parameter: status says what changed, repro reruns only 'count'"
sed -i 's/top: 10 /top: 5  /' params.yaml
run "$conveyor" status
run "$conveyor" repro
run cat work/top_words.csv

step "The lock file, byte for byte what DVC 3 writes"
run cat dvc.lock
printf '\nThe demo project is in %s\n' "$demo"
