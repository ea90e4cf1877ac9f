#!/usr/bin/env bash
# bench/serving/run.sh [BUILD_DIR]: issue 5's serving benchmark, in one run.
#
#   conveyor serve against the paper's architecture (FastAPI + Uvicorn with
#   2 workers, bench/serving/fastapi_app.py) on the digits XGBoost model:
#   (a) installs what is missing (Debian packages; idempotent);
#   (b) builds conveyor, the digits stage programs and predict_bench in
#       BUILD_DIR (default build-bench);
#   (c) trains the digits example twice in a temporary project (a first
#       `conveyor repro`, then `conveyor exp run` with another max_depth), so
#       the registry holds two experiments' models;
#   (d) starts both servers on free loopback ports on the first model and
#       checks that they give the sample PNG the same class;
#   (e) wrk posts examples/digits/sample-digit.png as multipart/form-data to
#       each server's /predict at each connection count (post_png.lua):
#       requests/s, p50/p99 latency, non-2xx and socket errors, server CPU
#       time, and RSS (VmRSS and VmHWM from /proc; FastAPI: the Uvicorn master
#       plus its workers, summed);
#   (f) predict_bench: decode + preprocess + predict in process, 1 thread and
#       one per core, with no HTTP;
#   (g) during one more wrk load on conveyor, SWAPS POST /replace_ml_model
#       calls alternating between the two experiments' tags.
# Prints a table and the target checks (PASS/MISS) and writes the raw figures
# to bench/results/serving-<UTC time>.txt.
#
# Environment: DURATION (wrk -d, default 15s), CONNS (default "1 16 64"),
# SWAP_CONNS (default 64), SWAPS (default 100), INPROC_SECONDS (default 5),
# BUILD_TYPE (default RelWithDebInfo), SKIP_INSTALL=1, SKIP_BUILD=1,
# COUNT_STATUS (default 1; 0 runs wrk without the Lua response() callback),
# FASTAPI_NODELAY (default 1: Uvicorn through uvicorn_nodelay.py; 0: stock),
# KEEP_WORK=1 keeps the temporary project, SERVE_FLAGS adds flags to
# `conveyor serve` (e.g. "--threads 8 --batch-size 8").
# Smoke run: DURATION=2s SWAPS=20 INPROC_SECONDS=2 bash bench/serving/run.sh
#
# Every loop has a fixed bound, every command that can hang runs under
# timeout, and both servers are stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath -m "${1:-$root/build-bench}")
duration=${DURATION:-15s}
conns_list=${CONNS:-1 16 64}
swap_conns=${SWAP_CONNS:-64}
swaps=${SWAPS:-100}
inproc_seconds=${INPROC_SECONDS:-5}
build_type=${BUILD_TYPE:-RelWithDebInfo}
count_status=${COUNT_STATUS:-1}
fastapi_nodelay=${FASTAPI_NODELAY:-1}
serve_flags=${SERVE_FLAGS:-}
python=/usr/bin/python3 # Debian's, with python3-fastapi & co.; not the first on PATH
image=$root/examples/digits/sample-digit.png
lua=$root/bench/serving/post_png.lua
seconds=${duration%s}
[[ $seconds =~ ^[0-9]+$ ]] || {
  echo "bench/serving: DURATION must be whole seconds, like 15s" >&2
  exit 1
}
limit=$((seconds + 60)) # per wrk run

# shellcheck source=bench/serving/lib.sh
source "$root/bench/serving/lib.sh"

step() { printf '\n== [%ds] %s\n' "$SECONDS" "$*"; }
die() {
  echo "bench/serving: $*" >&2
  exit 1
}

# ------------------------------------------------------ (a) dependencies --

step "(a) Dependencies"
packages=(wrk curl python3-fastapi python3-uvicorn python3-multipart python3-xgboost
  python3-opencv python3-yaml)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)) && [[ ${SKIP_INSTALL:-0} != 1 ]]; then
  echo "installing ${missing[*]}"
  sudo=
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "all present"
fi

# ------------------------------------------------------------ (b) build --

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  step "(b) Build ($build_type) in $build"
  build_serving "$build" "$build_type" predict_bench
fi
conveyor=$build/src/cli/conveyor
predict_bench=$build/bench/predict_bench
for tool in "$conveyor" "$predict_bench" "$build/bin/digits-train"; do
  [[ -x $tool ]] || die "$tool is missing; build first"
done

# ------------------------------------------------------------ (c) train --

work=$(mktemp -d "${TMPDIR:-/tmp}/conveyor-serving-bench.XXXXXX")
conveyor_pid=
fastapi_pid=
wrk_pid=
stop_all() {
  # Unset ones are left out on purpose (word splitting of empty strings).
  # shellcheck disable=SC2086
  stop_pids $wrk_pid $conveyor_pid $fastapi_pid
  remove_work "$work"
}
trap stop_all EXIT

step "(c) Training the digits example twice in $work/proj"
proj=$work/proj
export PATH="$build/bin:$PATH"
train_digits "$proj" "$work/repro1.log"
(
  cd "$proj"
  timeout 900 "$conveyor" exp run -S train.max_depth=3 -n other >"$work/repro2.log" 2>&1 || {
    cat "$work/repro2.log" >&2
    exit 1
  }
)
# Each experiment's tag and model version, oldest first: "tag version md5".
mapfile -t versions < <(digits_versions "$proj")
((${#versions[@]} >= 2)) || die "expected two model versions, the registry has: ${versions[*]}"
read -r tag1 version1 md5_1 <<<"${versions[0]}"
read -r tag2 version2 _ <<<"${versions[${#versions[@]} - 1]}"
echo "model versions: digits v$version1 ($tag1), digits v$version2 ($tag2)"

# ---------------------------------------------------------- (d) servers --

step "(d) Servers"

cport=$(free_port)
# SERVE_FLAGS word-splits on purpose (several flags).
# shellcheck disable=SC2086
(cd "$proj" && exec "$conveyor" serve --no-auth -m "digits@$tag1" --host 127.0.0.1 --port "$cport" \
  $serve_flags 2>"$work/conveyor-serve.log") &
conveyor_pid=$!
curl_conveyor=http://127.0.0.1:$cport
wait_http "$curl_conveyor/readyz" || {
  tail -n 20 "$work/conveyor-serve.log" >&2
  die "conveyor serve did not get ready"
}

fport=$(free_port)
# Uvicorn with 2 workers leaves Nagle's algorithm on (uvicorn_nodelay.py says
# why): by default the launcher that fixes it, FASTAPI_NODELAY=0 the stock one.
if [[ $fastapi_nodelay == 1 ]]; then
  uvicorn=(uvicorn_nodelay.py)
else
  uvicorn=(-m uvicorn)
fi
(cd "$root/bench/serving" && CONVEYOR_PROJECT=$proj CONVEYOR_MODEL=digits CONVEYOR_TAG=$tag1 \
  exec "$python" "${uvicorn[@]}" fastapi_app:app --host 127.0.0.1 --port "$fport" --workers 2 \
  >"$work/fastapi.log" 2>&1) &
fastapi_pid=$!
curl_fastapi=http://127.0.0.1:$fport
wait_http "$curl_fastapi/get_experiment_metas?limit=1" || {
  tail -n 30 "$work/fastapi.log" >&2
  die "the FastAPI service did not get ready"
}
# Uvicorn answers as soon as one worker is up: give each worker a request.
for ((i = 0; i < 20; i++)); do
  curl -sf -o /dev/null --max-time 5 -F "file=@$image" "$curl_fastapi/predict"
done

json_field() { "$python" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
class_c=$(curl -sf --max-time 10 -F "file=@$image" "$curl_conveyor/predict" | json_field class)
class_f=$(curl -sf --max-time 10 -F "file=@$image" "$curl_fastapi/predict" | json_field class)
printf 'sample-digit.png: conveyor says class %s, FastAPI says class %s\n' "$class_c" "$class_f"
[[ $class_c == "$class_f" ]] || die "the two servers disagree on the sample image"

# ----------------------------------------------------------- measuring --

hz=$(getconf CLK_TCK)
# pids_of SERVER: the server's processes (FastAPI: the master and its workers).
pids_of() {
  if [[ $1 == conveyor ]]; then
    echo "$conveyor_pid"
  else
    echo "$fastapi_pid" "$(pgrep -P "$fastapi_pid" | tr "\n" " " || true)"
  fi
}
# kib FIELD PIDS...: the sum of a /proc/PID/status field (VmRSS, VmHWM), KiB.
kib() {
  local field=$1 pid sum=0 v
  shift
  for pid in "$@"; do
    v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
# cpu_ticks PIDS...: user + system time of the processes so far, in 1/$hz s.
cpu_ticks() {
  local pid sum=0 v
  for pid in "$@"; do
    # Fields after the ")" of the command name: utime is the 12th, stime the 13th.
    v=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }' || true)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
# word KEY FILE: the value of KEY=value on the RESULT line of a wrk output.
word() { sed -n "s/^RESULT.* $1=\([^ ]*\).*/\1/p" "$2" | head -n 1; }

declare -A fig # "<server>_<conns>_<key>" -> value
# load SERVER CONNS NAME [DURATION]: one wrk run against SERVER's /predict;
# records its figures under NAME; the wrk output is kept in $work/wrk-NAME.txt.
load() {
  local server=$1 conns=$2 name=$3 d=${4:-$duration} url threads out pids t0 t1 k
  url=$([[ $server == conveyor ]] && echo "$curl_conveyor" || echo "$curl_fastapi")
  threads=$((conns < 2 ? conns : 2))
  out=$work/wrk-$name.txt
  read -r -a pids <<<"$(pids_of "$server")"
  t0=$(cpu_ticks "${pids[@]}")
  IMAGE=$image COUNT_STATUS=$count_status timeout "$limit" \
    wrk -t"$threads" -c"$conns" -d"$d" --latency -s "$lua" "$url/predict" >"$out" 2>&1 &
  wrk_pid=$!
  wait "$wrk_pid" || {
    cat "$out" >&2
    die "wrk failed against $server"
  }
  wrk_pid=
  t1=$(cpu_ticks "${pids[@]}")
  grep -q '^RESULT' "$out" || {
    cat "$out" >&2
    die "no RESULT line from wrk against $server"
  }
  for k in requests rps p50_ms p99_ms max_ms non2xx connect_errors read_errors write_errors timeouts; do
    fig[${name}_$k]=$(word "$k" "$out")
  done
  fig[${name}_errors]=$((fig[${name}_non2xx] + fig[${name}_connect_errors] + \
    fig[${name}_read_errors] + fig[${name}_write_errors] + fig[${name}_timeouts]))
  fig[${name}_cpu_us_per_req]=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="${fig[${name}_requests]}" \
    'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')
  fig[${name}_rss_mb]=$(awk -v k="$(kib VmRSS "${pids[@]}")" 'BEGIN { printf "%.1f", k / 1024 }')
  fig[${name}_hwm_mb]=$(awk -v k="$(kib VmHWM "${pids[@]}")" 'BEGIN { printf "%.1f", k / 1024 }')
  fig[${name}_procs]=${#pids[@]}
  printf '  %-9s %3s conns: %9s req/s  p50 %8s ms  p99 %8s ms  errors %s  RSS %s MB (peak %s)\n' \
    "$server" "$conns" "${fig[${name}_rps]}" "${fig[${name}_p50_ms]}" "${fig[${name}_p99_ms]}" \
    "${fig[${name}_errors]}" "${fig[${name}_rss_mb]}" "${fig[${name}_hwm_mb]}"
}

# ------------------------------------------------------------ (e) load --

step "(e) wrk: $duration per run, connections: $conns_list"
rss_idle_c=$(awk -v k="$(kib VmRSS "$conveyor_pid")" 'BEGIN { printf "%.1f", k / 1024 }')
read -r -a fpids <<<"$(pids_of fastapi)"
rss_idle_f=$(awk -v k="$(kib VmRSS "${fpids[@]}")" 'BEGIN { printf "%.1f", k / 1024 }')
echo "  idle RSS: conveyor $rss_idle_c MB, FastAPI $rss_idle_f MB (${#fpids[@]} processes)"
load conveyor 4 warmup_conveyor 2s >/dev/null
load fastapi 4 warmup_fastapi 2s >/dev/null
for conns in $conns_list; do
  load conveyor "$conns" "conveyor_$conns"
  load fastapi "$conns" "fastapi_$conns"
done

# ------------------------------------------------------- (f) in process --

step "(f) In process: decode + preprocess + predict, ${inproc_seconds}s per thread count"
model_dir=$proj/.conveyor/serving/$md5_1
[[ -f $model_dir/model.yaml ]] || die "$model_dir/model.yaml is missing"
timeout $((inproc_seconds * 2 + 60)) "$predict_bench" "$model_dir" "$image" "$inproc_seconds" \
  1 "$(nproc)" | tee "$work/inproc.txt"
inproc_key() { sed -n "s/^threads=$1 .* $2=\([^ ]*\).*/\1/p" "$work/inproc.txt"; }
inproc1_rps=$(inproc_key 1 rps)
inprocn_rps=$(inproc_key "$(nproc)" rps)
inproc1_p50=$(inproc_key 1 p50_us)
inprocn_p50=$(inproc_key "$(nproc)" p50_us)

# ----------------------------------------------------------- (g) swaps --

step "(g) $swaps model swaps during a $swap_conns-connection load on conveyor"
swap_log=$work/swaps.txt
: >"$swap_log"
load conveyor "$swap_conns" swap &
swap_load=$!
sleep 1
# Spread the swaps over the load, leaving a second at each end: swap i is
# due at 1 + i * gap seconds after the start; a late swap goes at once.
gap=$(awk -v s="$seconds" -v n="$swaps" 'BEGIN { g = (s - 2) / n; printf "%.6f", (g > 0 ? g : 0) }')
swap_start=$EPOCHREALTIME
for ((i = 0; i < swaps; i++)); do
  wait_s=$(awk -v t0="$swap_start" -v now="$EPOCHREALTIME" -v i="$i" -v g="$gap" \
    'BEGIN { w = i * g - (now - t0); printf "%.3f", (w > 0 ? w : 0) }')
  sleep "$wait_s"
  tag=$([[ $((i % 2)) -eq 0 ]] && echo "$tag2" || echo "$tag1")
  : >"$work/swap-body.json"
  res=$(curl -s -o "$work/swap-body.json" --max-time 30 -w '%{http_code} %{time_total}' \
    -X POST "$curl_conveyor/replace_ml_model?tag=$tag") || true
  printf '%s %s %s\n' "${res:-000 0}" "$tag" "$(tr -d '\n' <"$work/swap-body.json")" >>"$swap_log"
done
wait "$swap_load"
# `load` ran in a subshell: read its figures back from its wrk output.
for k in requests rps p50_ms p99_ms max_ms non2xx connect_errors read_errors write_errors timeouts; do
  fig[swap_$k]=$(word "$k" "$work/wrk-swap.txt")
done
fig[swap_errors]=$((fig[swap_non2xx] + fig[swap_connect_errors] + fig[swap_read_errors] + \
  fig[swap_write_errors] + fig[swap_timeouts]))
swap_ok=$(awk '$1 == 200' "$swap_log" | wc -l)
read -r swap_p50 swap_max <<<"$(awk '$1 == 200 { print $2 }' "$swap_log" | sort -g |
  awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int((NR + 1) / 2)] * 1000, v[NR] * 1000 }')"
# The server's own account of each swap: load, then check + warm-up.
read -r load_p50 warm_p50 <<<"$("$python" - "$swap_log" <<'EOF'
import json, statistics, sys
loads, warms = [], []
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split(" ", 3)
    if parts[0] == "200":
        body = json.loads(parts[3])
        loads.append(body["load_seconds"] * 1000)
        warms.append((body["check_seconds"] + body["warm_seconds"]) * 1000)
print("%.1f %.1f" % (statistics.median(loads or [0]), statistics.median(warms or [0])))
EOF
)"
hwm_c=$(awk -v k="$(kib VmHWM "$conveyor_pid")" 'BEGIN { printf "%.1f", k / 1024 }')
rss_c=$(awk -v k="$(kib VmRSS "$conveyor_pid")" 'BEGIN { printf "%.1f", k / 1024 }')
printf '  %d of %d swaps answered 200 (median %s ms, max %s ms; server-side load %s ms, check+warm %s ms)\n' \
  "$swap_ok" "$swaps" "$swap_p50" "$swap_max" "$load_p50" "$warm_p50"
printf '  during the swaps: %s req/s, p99 %s ms, %s failed or non-2xx requests\n' \
  "${fig[swap_rps]}" "${fig[swap_p99_ms]}" "${fig[swap_errors]}"
swap_span=$(awk -v t0="$swap_start" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - t0 }')
awk -v a="$swap_span" -v s="$seconds" 'BEGIN { exit !(a + 1 > s) }' &&
  echo "  MISS-prone: the swaps took ${swap_span}s, outlasting the ${seconds}s load; the last ones ran unloaded"
kill -0 "$conveyor_pid" 2>/dev/null || die "conveyor serve died during the swaps"

# ----------------------------------------------------------- the report --

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { # verdict VALUE OP LIMIT
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (v == "n/a" || v == "") { print "n/a"; exit }
    ok = (op == ">=") ? (v + 0 >= t + 0) : (op == "<=") ? (v + 0 <= t + 0) : (op == "<") ? (v + 0 < t + 0) : (v + 0 == t + 0)
    print (ok ? "PASS" : "MISS") }'
}
hi=$(echo "$conns_list" | tr ' ' '\n' | sort -n | tail -n 1)
r_fastapi=$(ratio "${fig[conveyor_64_rps]:-}" "${fig[fastapi_64_rps]:-}")
r_inproc=$(ratio "${fig[conveyor_64_rps]:-}" "$inprocn_rps")
p99_16=${fig[conveyor_16_p99_ms]:-n/a}
r_swap=$(ratio "${fig[swap_p99_ms]}" "${fig[conveyor_${swap_conns}_p99_ms]:-}")
swap_failures=$((fig[swap_errors] + swaps - swap_ok))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

step "Results"
cat <<EOF
machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load average $load_end
conveyor $("$conveyor" --version) ($build_type, $build), flags: ${serve_flags:-(none; --threads one per core)}
FastAPI $("$python" -c 'import fastapi; print(fastapi.__version__)'), Uvicorn $("$python" -c 'import uvicorn; print(uvicorn.__version__)') --workers 2 (FASTAPI_NODELAY=$fastapi_nodelay), xgboost $("$python" -c 'import xgboost; print(xgboost.__version__)')
wrk $duration per run, threads min(2, conns), post_png.lua (COUNT_STATUS=$count_status); the load generator shares the cores
EOF
printf '\n%-9s %5s %10s %9s %9s %9s %7s %9s %8s %8s\n' server conns "req/s" "p50 ms" "p99 ms" \
  "max ms" errors "cpu us/rq" "RSS MB" "peak MB"
for conns in $conns_list; do
  for server in conveyor fastapi; do
    n=${server}_$conns
    printf '%-9s %5s %10s %9s %9s %9s %7s %9s %8s %8s\n' "$server" "$conns" "${fig[${n}_rps]}" \
      "${fig[${n}_p50_ms]}" "${fig[${n}_p99_ms]}" "${fig[${n}_max_ms]}" "${fig[${n}_errors]}" \
      "${fig[${n}_cpu_us_per_req]}" "${fig[${n}_rss_mb]}" "${fig[${n}_hwm_mb]}"
  done
done
printf '%-9s %5s %10s %9s %9s %9s %7s %9s %8s %8s\n' "+swaps" "$swap_conns" "${fig[swap_rps]}" \
  "${fig[swap_p50_ms]}" "${fig[swap_p99_ms]}" "${fig[swap_max_ms]}" "${fig[swap_errors]}" "" \
  "$rss_c" "$hwm_c"
printf '\nin process (predict_bench): 1 thread %s calls/s (p50 %s us), %s threads %s calls/s (p50 %s us)\n' \
  "$inproc1_rps" "$inproc1_p50" "$(nproc)" "$inprocn_rps" "$inprocn_p50"
printf 'swaps: %d/%d answered 200, round trip median %s ms, max %s ms\n' "$swap_ok" "$swaps" \
  "$swap_p50" "$swap_max"
inprocn_mean=$(inproc_key "$(nproc)" mean_us)
printf 'server CPU per request at 64 conns: %s us; in-process time per call: %s us (ratio %s, for scale:\n' \
  "${fig[conveyor_64_cpu_us_per_req]:-n/a}" "$inprocn_mean" \
  "$(ratio "$inprocn_mean" "${fig[conveyor_64_cpu_us_per_req]:-}")"
echo "  what the served/in-process ratio would be if the server had the cores to itself, without wrk)"

printf '\n%-58s %-12s %s\n' "target (issue 5)" measured verdict
check() { printf '%-58s %-12s %s\n' "$1" "$2" "$3"; }
check "conveyor / FastAPI req/s at 64 conns >= 10" "$r_fastapi" "$(verdict "$r_fastapi" '>=' 10)"
check "conveyor req/s at 64 / in-process on $(nproc) threads >= 0.8" "$r_inproc" \
  "$(verdict "$r_inproc" '>=' 0.8)"
check "conveyor p99 at 16 conns < 5 ms" "$p99_16" "$(verdict "$p99_16" '<' 5)"
check "conveyor peak RSS (VmHWM, whole run) < 60 MB" "$hwm_c" "$(verdict "$hwm_c" '<' 60)"
check "failed or non-2xx requests and swaps during $swaps swaps = 0" "$swap_failures" \
  "$(verdict "$swap_failures" '==' 0)"
check "p99 during swaps / steady p99 at $swap_conns conns <= 2" "$r_swap" "$(verdict "$r_swap" '<=' 2)"
[[ $hi == 64 ]] || echo "(CONNS does not include 64: the targets at 64 connections are n/a)"

# ------------------------------------------------------------ raw figures --

mkdir -p "$root/bench/results"
out=$root/bench/results/serving-$(date -u +%Y%m%dT%H%M%SZ).txt
{
  echo "# bench/serving/run.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ); key=value, one per line"
  echo "nproc=$(nproc)"
  echo "loadavg_end=$load_end"
  echo "duration=$duration"
  echo "conns=$conns_list"
  echo "count_status=$count_status"
  echo "fastapi_nodelay=$fastapi_nodelay"
  echo "build_type=$build_type"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    [[ -z $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]] || echo +dirty)"
  echo "tags=$tag1 $tag2"
  echo "sample_class=$class_c"
  echo "idle_rss_mb_conveyor=$rss_idle_c"
  echo "idle_rss_mb_fastapi=$rss_idle_f"
  for key in $(printf '%s\n' "${!fig[@]}" | sort); do
    echo "$key=${fig[$key]}"
  done
  echo "inproc_1_rps=$inproc1_rps"
  echo "inproc_$(nproc)_rps=$inprocn_rps"
  sed 's/^/inproc_line=/' "$work/inproc.txt"
  echo "swaps=$swaps"
  echo "swaps_ok=$swap_ok"
  echo "swap_round_trip_ms_p50=$swap_p50"
  echo "swap_round_trip_ms_max=$swap_max"
  echo "swap_server_load_ms_p50=$load_p50"
  echo "swap_server_check_warm_ms_p50=$warm_p50"
  echo "conveyor_rss_mb_end=$rss_c"
  echo "conveyor_hwm_mb_end=$hwm_c"
  echo "ratio_conveyor_fastapi_64=$r_fastapi"
  echo "ratio_served_inproc=$r_inproc"
  echo "ratio_swap_p99=$r_swap"
  echo "swap_failures=$swap_failures"
  echo "swap_span_s=$swap_span"
  sed 's/^/swap_line=/' "$swap_log" | cut -c1-200
} >"$out"
echo "raw figures: $out"
