#!/usr/bin/env bash
# bench/serving/soak.sh [BUILD_DIR]: issue 9's soak. `conveyor serve` under
# steady load below capacity for a long time, with a hot swap every few
# seconds and a share of malformed requests, to see what breaks slowly:
# errors, latency creeping up, memory growing.
#
#   (a) builds conveyor and the digits stage programs in BUILD_DIR (default
#       build-bench; SKIP_BUILD=1 to use what is there), trains the digits
#       example twice (two model versions to swap between);
#   (b) starts `conveyor serve` with two bearer tokens (predict, admin) in
#       CONVEYOR_TOKENS, so every request goes through authorization;
#   (c) measures capacity: wrk, 64 connections, CAPACITY_SECONDS;
#   (d) calibrates the load: connections that each wait 1 ms after every
#       answer, as many as give LOAD_SHARE (default 0.8) of capacity;
#   (e) soaks for DURATION seconds in wrk runs of CHUNK seconds back to back
#       (bench/serving/soak.lua: 1 request in MALFORMED_EVERY carries a cut-off
#       PNG that must get 422), while a loop swaps the model every SWAP_EVERY
#       seconds; after each chunk it records req/s, p50/p99/max latency,
#       answers by kind and the server's RSS;
#   (f) prints the totals, p99 per minute and RSS growth after warm-up
#       (WARMUP seconds), and writes every chunk to
#       bench/results/soak-<UTC time>.txt.
#
# Goals (issue 9): zero non-2xx answers beyond the malformed requests' 422s,
# and RSS growth under 5% after warm-up. Not a test: 10 minutes by default.
#
# Environment: DURATION (default 600), CHUNK (10), SWAP_EVERY (10),
# CAPACITY_SECONDS (10), LOAD_SHARE (0.8), MALFORMED_EVERY (100), WARMUP (60),
# SERVE_FLAGS, BUILD_TYPE (RelWithDebInfo), SKIP_BUILD=1, KEEP_WORK=1.
# Needs wrk and curl (bench/serving/run.sh installs them). Every loop has a
# fixed bound, every command that can hang runs under timeout, and the
# server is stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath -m "${1:-$root/build-bench}")
duration=${DURATION:-600}
chunk=${CHUNK:-10}
swap_every=${SWAP_EVERY:-10}
capacity_seconds=${CAPACITY_SECONDS:-10}
load_share=${LOAD_SHARE:-0.8}
malformed_every=${MALFORMED_EVERY:-100}
warmup=${WARMUP:-60}
serve_flags=${SERVE_FLAGS:-}
build_type=${BUILD_TYPE:-RelWithDebInfo}
python=/usr/bin/python3 # Debian's
for n in "$duration" "$chunk" "$swap_every" "$capacity_seconds" "$malformed_every" "$warmup"; do
  [[ $n =~ ^[0-9]+$ ]] || {
    echo "soak: DURATION, CHUNK, SWAP_EVERY, CAPACITY_SECONDS, MALFORMED_EVERY and WARMUP are whole numbers" >&2
    exit 1
  }
done
((chunk >= 1 && duration >= chunk && duration <= 86400)) || {
  echo "soak: need 1 <= CHUNK <= DURATION <= 86400" >&2
  exit 1
}

# shellcheck source=bench/serving/lib.sh
source "$root/bench/serving/lib.sh"
need_tools soak wrk curl

step() { printf '\n== [%ds] %s\n' "$SECONDS" "$*"; }
die() {
  echo "soak: $*" >&2
  exit 1
}

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  step "(a) Build ($build_type) in $build"
  build_serving "$build" "$build_type"
fi
conveyor=$build/src/cli/conveyor
[[ -x $conveyor ]] || die "$conveyor is missing; build first"

work=$(mktemp -d "${TMPDIR:-/tmp}/conveyor-soak.XXXXXX")
server_pid=
swapper_pid=
cleanup() {
  # shellcheck disable=SC2086 # unset ones are left out on purpose
  stop_pids $swapper_pid $server_pid
  remove_work "$work"
}
trap cleanup EXIT

step "(a) Training the digits example twice in $work/proj"
proj=$work/proj
export PATH="$build/bin:$PATH"
train_digits "$proj" "$work/repro1.log"
(cd "$proj" && timeout 900 "$conveyor" exp run -S train.max_depth=3 -n other \
  >"$work/repro2.log" 2>&1) || {
  cat "$work/repro2.log" >&2
  die "the second training failed"
}
mapfile -t versions < <(digits_versions "$proj")
((${#versions[@]} >= 2)) || die "expected two model versions, found: ${versions[*]}"
read -r tag1 _ <<<"${versions[0]}"
read -r tag2 _ <<<"${versions[${#versions[@]} - 1]}"

step "(b) Server"
predict_token=$("$python" -c 'import secrets; print(secrets.token_hex(16))')
admin_token=$("$python" -c 'import secrets; print(secrets.token_hex(16))')
port=$(free_port)
# SERVE_FLAGS word-splits on purpose.
# shellcheck disable=SC2086
(cd "$proj" && CONVEYOR_TOKENS="soak-predict=$predict_token:predict,soak-admin=$admin_token:admin" \
  exec "$conveyor" serve -m "digits@$tag1" --host 127.0.0.1 --port "$port" $serve_flags \
  2>"$work/serve.log") &
server_pid=$!
url=http://127.0.0.1:$port
wait_http "$url/readyz" || {
  tail -n 20 "$work/serve.log" >&2
  die "conveyor serve did not get ready"
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }

# run_wrk SECONDS CONNS DELAY_MS MALFORMED_EVERY: one wrk run; prints its
# SOAK line.
run_wrk() {
  local threads=$(($2 < 2 ? $2 : 2))
  IMAGE=$root/examples/digits/sample-digit.png TOKEN=$predict_token DELAY_MS=$3 \
    MALFORMED_EVERY=$4 timeout $(($1 + 30)) wrk -t"$threads" -c"$2" -d"$1s" --latency \
    -s "$root/bench/serving/soak.lua" "$url/predict" 2>>"$work/wrk.err" | grep '^SOAK'
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

step "(c) Capacity: 64 connections, the median of three ${capacity_seconds}s runs"
run_wrk 2 16 0 0 >/dev/null # warm-up
runs=()
for i in 1 2 3; do
  line=$(run_wrk "$capacity_seconds" 64 0 0)
  runs+=("$(field rps "$line")")
  echo "capacity run $i: ${runs[-1]} req/s"
done
# One 10 s run is noisy on a shared 2-core machine (21,706 against 29,742
# req/s in two earlier soaks); the median of three is the figure.
capacity=$(printf '%s\n' "${runs[@]}" | sort -g | sed -n 2p)
echo "capacity: $capacity req/s"

step "(d) Calibrating: connections waiting 1 ms after each answer"
# From 8 connections, corrected until the rate is within 3% of the target
# (at most 8 rounds): the rate per connection falls as connections are
# added (they share the cores), so one linear step undershoots (58% and 73%
# of capacity in the first two soaks, which stopped after 2 corrections).
target=$("$python" -c "print($load_share * $capacity)")
conns=8
for round in 1 2 3 4 5 6 7 8; do
  line=$(run_wrk 5 "$conns" 1 0)
  got=$(field rps "$line")
  echo "round $round: $conns connections give $got req/s (target $target)"
  if "$python" -c "import sys; sys.exit(0 if abs($got / $target - 1) <= 0.03 else 1)"; then
    break
  fi
  ((round < 8)) || break
  next=$("$python" -c "print(max(1, min(1024, round($conns * $target / max($got, 1)))))")
  if [[ $next == "$conns" ]]; then
    next=$("$python" -c "print($conns + (1 if $got < $target else -1))")
  fi
  conns=$next
done
echo "$conns connections, $got req/s: $("$python" -c "print(round($got / $capacity, 2))") of capacity"

step "(e) Soak: ${duration}s in ${chunk}s runs, a swap every ${swap_every}s"
swaps=$((duration / swap_every))
(
  for ((i = 1; i <= swaps; i++)); do
    sleep "$swap_every"
    tag=$tag2
    ((i % 2 == 0)) && tag=$tag1
    code=$(curl -s -o "$work/swap.json" -w '%{http_code}' --max-time 30 -X POST \
      -H "Authorization: Bearer $admin_token" "$url/replace_ml_model?tag=$tag" || echo 000)
    echo "$((SECONDS)) $tag $code $(sed -n 's/.*"load_seconds":\([0-9.e-]*\).*/\1/p' "$work/swap.json")"
  done >"$work/swaps.txt"
) &
swapper_pid=$!
results=$root/bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p "$(dirname "$results")"
{
  echo "# bench/serving/soak.sh $(date -u +%FT%TZ), $(nproc) cores, conveyor $("$conveyor" --version 2>/dev/null | head -n1)"
  echo "# capacity=$capacity conns=$conns delay_ms=1 malformed_every=$malformed_every swap_every=$swap_every"
  echo "# t_s rps p50_ms p99_ms max_ms ok malformed_sent got_422 other_non2xx socket_errors rss_kb"
} >"$results"
start=$SECONDS
chunks=$((duration / chunk))
for ((c = 1; c <= chunks; c++)); do
  kill -0 "$server_pid" 2>/dev/null || die "the server died; see $work/serve.log"
  line=$(run_wrk "$chunk" "$conns" 1 "$malformed_every")
  printf '%d %s %s %s %s %s %s %s %s %s %s\n' $((SECONDS - start)) "$(field rps "$line")" \
    "$(field p50_ms "$line")" "$(field p99_ms "$line")" "$(field max_ms "$line")" \
    "$(field ok "$line")" "$(field malformed_sent "$line")" "$(field got_422 "$line")" \
    "$(field other_non2xx "$line")" "$(field socket_errors "$line")" "$(rss_kb)" >>"$results"
  tail -n 1 "$results"
done
timeout $((swap_every + 40)) tail --pid="$swapper_pid" -f /dev/null || true
swapper_pid=
sed 's/^/# swap /' "$work/swaps.txt" >>"$results"

step "(f) Results ($results)"
"$python" - "$results" "$warmup" "$chunk" <<'EOF'
import sys
path, warmup, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows, swaps = [], []
for line in open(path):
    if line.startswith("# swap "):
        swaps.append(line.split()[2:])
    elif not line.startswith("#"):
        rows.append([float(x) for x in line.split()])
t, rps, p50, p99, mx, ok, msent, g422, other, sock, rss = zip(*rows)
requests = sum(ok) + sum(g422) + sum(other)
unexpected = sum(other) + sum(sock) + max(0, sum(g422) - sum(msent))
print(f"requests answered: {int(requests):,} at {sum(rps) / len(rps):,.0f} req/s on average")
print(f"good requests answered 2xx: {int(sum(ok)):,}; malformed sent: {int(sum(msent)):,}, "
      f"answered 422: {int(sum(g422)):,}")
print(f"unexpected answers (non-2xx beyond the 422s, socket errors): {int(unexpected)}")
failed = [s for s in swaps if len(s) < 3 or s[2] != "200"]
loads = sorted(float(s[3]) for s in swaps if len(s) > 3 and s[3])
print(f"swaps: {len(swaps)}, failed: {len(failed)}" +
      (f", load median {loads[len(loads) // 2] * 1000:.0f} ms, max {loads[-1] * 1000:.0f} ms"
       if loads else ""))
print("p99 ms per minute (max of the chunks):",
      " ".join(f"{max(p for tt, p in zip(t, p99) if m * 60 < tt <= (m + 1) * 60):.2f}"
               for m in range(int(max(t) // 60 + (max(t) % 60 > 0)))
               if any(m * 60 < tt <= (m + 1) * 60 for tt in t)))
base = [r for tt, r in zip(t, rss) if tt >= warmup]
if base:
    growth = (rss[-1] - base[0]) / base[0] * 100
    print(f"RSS: {rss[0] / 1024:.1f} MB after the first chunk, {base[0] / 1024:.1f} MB at "
          f"{warmup} s, {rss[-1] / 1024:.1f} MB at the end (peak {max(rss) / 1024:.1f}): "
          f"{growth:+.1f}% after warm-up")
verdict = "PASS" if unexpected == 0 and not failed and base and growth < 5 else "MISS"
print(f"goals (zero unexpected answers, every swap 200, RSS growth < 5%): {verdict}")
EOF
