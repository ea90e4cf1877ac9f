# shellcheck shell=bash
# Shell functions the serving benchmarks share (run.sh, metrics_ab.sh, soak.sh);
# sourced, not run. They expect `python` (Debian's /usr/bin/python3) and
# `conveyor` (the binary) to be set, and `set -euo pipefail`.
# shellcheck disable=SC2154 # python and conveyor come from the sourcing script

# need_tools SCRIPT TOOL...: exits, naming SCRIPT, when a TOOL is not on PATH.
need_tools() {
  local script=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || {
      echo "$script: $tool is missing (bench/serving/run.sh installs it)" >&2
      exit 1
    }
  done
}

# build_serving BUILD BUILD_TYPE [TARGET...]: configures BUILD (Ninja, ccache)
# and builds conveyor, the digits stage programs the benchmarks train with,
# and any further TARGETs.
build_serving() {
  local build=$1 build_type=$2 root
  shift 2
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
  ninja -C "$build" -j "$(nproc)" conveyor digits-load digits-preprocess digits-train \
    digits-evaluate "$@"
}

# stop_pids PIDS...: SIGTERM to each, up to 15 s for each to exit, then
# SIGKILL.
stop_pids() {
  local pid
  for pid in "$@"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "$@"; do
    timeout 15 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
}

# remove_work DIR: removes the benchmark's temporary directory, unless
# KEEP_WORK=1.
remove_work() {
  if [[ ${KEEP_WORK:-0} == 1 ]]; then
    echo "kept $1"
  else
    rm -rf "$1"
  fi
}

# train_digits PROJ LOG: copies examples/digits into PROJ (a new directory),
# makes it a Git repository with one commit, and runs `conveyor repro`
# there (its output in LOG, shown on failure). The stage programs must be on
# PATH.
train_digits() {
  local proj=$1 log=$2 root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  mkdir -p "$proj"
  cp -r "$root/examples/digits/." "$proj/"
  (
    cd "$proj" || exit 1
    git init -q .
    timeout 60 "$conveyor" init >/dev/null
    git add -A
    git -c user.name=bench -c user.email=bench@localhost commit -qm digits
    timeout 900 "$conveyor" repro >"$log" 2>&1 || {
      cat "$log" >&2
      exit 1
    }
  )
}

# digits_versions PROJ: the digits model's versions in PROJ's registry,
# oldest first, one "tag version md5" line each.
digits_versions() {
  "$python" - "$1/.conveyor/registry.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for tag, version, md5 in db.execute(
        "SELECT e.tag, v.version, v.md5 FROM model_versions v JOIN experiments e "
        "ON e.id = v.experiment_id WHERE v.model = 'digits' ORDER BY v.version"):
    print(tag, version, md5)
EOF
}

# free_port: a TCP port free on 127.0.0.1 now.
free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL: waits up to 60 s for URL to answer 200.
wait_http() {
  local i
  for ((i = 0; i < 600; i++)); do
    curl -sf -o /dev/null --max-time 2 "$1" && return 0
    sleep 0.1
  done
  return 1
}
