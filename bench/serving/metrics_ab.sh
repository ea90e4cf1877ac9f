#!/usr/bin/env bash
# bench/serving/metrics_ab.sh [BUILD_DIR]: what /metrics (drift included)
# costs serving throughput, through HTTP. Issue 7's budget: at most 3%.
#
#   (a) builds conveyor and the digits stage programs in BUILD_DIR (default
#       build-bench; SKIP_BUILD=1 to use what is there) and trains the digits
#       example once in a temporary project;
#   (b) starts two `conveyor serve` on free loopback ports on that model:
#       one as shipped (metrics and drift on), one with --no-metrics;
#   (c) ROUNDS times, alternately (so both see the same machine), wrk posts
#       examples/digits/sample-digit.png to one server's /predict for
#       DURATION at CONNS connections while the other idles; every 2 s during
#       the metrics run, curl scrapes /metrics as Prometheus would;
#   (d) prints each run's requests/s and server CPU per request, the medians
#       and the ratio on/off, and writes them to
#       bench/results/metrics-ab-<UTC time>.txt.
#
# Environment: ROUNDS (default 6), DURATION (wrk -d, default 10s), CONNS
# (default 16), WRK_THREADS (default 2), SERVE_FLAGS (default "--threads 2"),
# BUILD_TYPE (default RelWithDebInfo), SKIP_BUILD=1, KEEP_WORK=1.
# Needs wrk and curl (bench/serving/run.sh installs them).
#
# Every loop has a fixed bound, every command that can hang runs under
# timeout, and both servers are stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath -m "${1:-$root/build-bench}")
rounds=${ROUNDS:-6}
duration=${DURATION:-10s}
conns=${CONNS:-16}
wrk_threads=${WRK_THREADS:-2}
serve_flags=${SERVE_FLAGS:---threads 2}
build_type=${BUILD_TYPE:-RelWithDebInfo}
python=/usr/bin/python3 # Debian's
seconds=${duration%s}
[[ $seconds =~ ^[0-9]+$ ]] || {
  echo "metrics_ab: DURATION must be whole seconds, like 10s" >&2
  exit 1
}
[[ $rounds =~ ^[0-9]+$ && $rounds -ge 1 && $rounds -le 50 ]] || {
  echo "metrics_ab: ROUNDS must be 1..50" >&2
  exit 1
}

# shellcheck source=bench/serving/lib.sh
source "$root/bench/serving/lib.sh"
need_tools metrics_ab wrk curl

step() { printf '\n== [%ds] %s\n' "$SECONDS" "$*"; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  step "Build ($build_type) in $build"
  build_serving "$build" "$build_type"
fi
conveyor=$build/src/cli/conveyor
[[ -x $conveyor ]] || {
  echo "metrics_ab: $conveyor is missing; build first" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/conveyor-metrics-ab.XXXXXX")
pids=()
stop_all() {
  stop_pids "${pids[@]}"
  remove_work "$work"
}
trap stop_all EXIT

step "Training the digits example in $work/proj"
proj=$work/proj
export PATH="$build/bin:$PATH"
train_digits "$proj" "$work/repro.log"
# start NAME FLAGS...: a server in the project; sets port_NAME and pid_NAME.
start() {
  local name=$1 port
  shift
  port=$(free_port)
  # shellcheck disable=SC2086
  (cd "$proj" && exec "$conveyor" serve --no-auth --host 127.0.0.1 --port "$port" $serve_flags "$@" \
    2>"$work/serve-$name.log") &
  pids+=($!)
  printf -v "pid_$name" '%s' $!
  printf -v "port_$name" '%s' "$port"
  wait_http "http://127.0.0.1:$port/readyz" && return 0
  tail -n 20 "$work/serve-$name.log" >&2
  echo "metrics_ab: server $name did not get ready" >&2
  exit 1
}
step "Servers: metrics on and --no-metrics ($serve_flags)"
port_on='' port_off='' # set by start (with pid_on, pid_off)
start on
start off --no-metrics
curl -sf "http://127.0.0.1:$port_on/metrics" | grep -q '^conveyor_http_requests_total' || {
  echo "metrics_ab: the metrics server exports no metrics" >&2
  exit 1
}
! curl -sf -o /dev/null "http://127.0.0.1:$port_off/metrics" || {
  echo "metrics_ab: the --no-metrics server answers /metrics" >&2
  exit 1
}

hz=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# run NAME: one wrk run against server NAME; prints "rps cpu_us_per_request".
run() {
  local name=$1 port pid t0 t1 out scraper=
  port=port_$name
  port=${!port}
  pid=pid_$name
  pid=${!pid}
  out=$work/wrk-$name-$round.txt
  if [[ $name == on ]]; then
    # A scrape every 2 s, as a Prometheus would (bounded by the run's length).
    (for ((s = 0; s < seconds / 2 + 1; s++)); do
      curl -s -o /dev/null --max-time 2 \
        -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
        "http://127.0.0.1:$port/metrics" || true
      sleep 2
    done) &
    scraper=$!
  fi
  t0=$(cpu_ticks "$pid")
  IMAGE=$root/examples/digits/sample-digit.png COUNT_STATUS=1 \
    timeout $((seconds + 60)) wrk -t"$wrk_threads" -c"$conns" -d"$duration" \
    -s "$root/bench/serving/post_png.lua" "http://127.0.0.1:$port/predict" >"$out" 2>&1
  t1=$(cpu_ticks "$pid")
  if [[ -n $scraper ]]; then
    kill "$scraper" 2>/dev/null || true
    wait "$scraper" 2>/dev/null || true
  fi
  awk -v t="$((t1 - t0))" -v hz="$hz" '/^RESULT/ {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      if (f["non2xx"] + 0 > 0 || f["timeouts"] + 0 > 0) { print "errors"; exit }
      printf "%.0f %.1f\n", f["rps"], t / hz * 1e6 / f["requests"] }' "$out"
}

step "$rounds rounds of $duration each way, $conns connections"
results=$work/results.txt
: >"$results"
for ((round = 1; round <= rounds; round++)); do
  for name in on off; do
    line=$(run "$name")
    [[ $line == errors || -z $line ]] && {
      cat "$work/wrk-$name-$round.txt" >&2
      echo "metrics_ab: the run against '$name' had errors" >&2
      exit 1
    }
    echo "$name $line" | tee -a "$results"
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rps_on=$(awk '$1 == "on" { print $2 }' "$results" | median)
rps_off=$(awk '$1 == "off" { print $2 }' "$results" | median)
cpu_on=$(awk '$1 == "on" { print $3 }' "$results" | median)
cpu_off=$(awk '$1 == "off" { print $3 }' "$results" | median)
mkdir -p "$root/bench/results"
report=$root/bench/results/metrics-ab-$(date -u +%Y%m%dT%H%M%SZ).txt
{
  echo "metrics_ab $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "serve $serve_flags; wrk -t$wrk_threads -c$conns -d$duration; $rounds rounds"
  echo "runs (name rps cpu_us_per_request):"
  sed 's/^/  /' "$results"
  echo "median rps:             on $rps_on, off $rps_off, on/off $(awk -v a="$rps_on" -v b="$rps_off" 'BEGIN { printf "%.3f", a / b }')"
  echo "median cpu us/request:  on $cpu_on, off $cpu_off, on-off $(awk -v a="$cpu_on" -v b="$cpu_off" 'BEGIN { printf "%.1f", a - b }')"
} | tee "$report"
