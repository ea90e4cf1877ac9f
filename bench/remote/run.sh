#!/usr/bin/env bash
# bench/remote/run.sh [BUILD_DIR]: issue 6's remote benchmark, in one run.
#
#   conveyor push/pull against `rclone copy` (Debian's rclone) moving the same
#   data to the same local S3 server (s3rver from tests/s3) in the same run:
#   (a) installs rclone when missing (idempotent; SKIP_INSTALL=1 skips);
#   (b) builds conveyor in BUILD_DIR (default build-rbench, Release);
#   (c) makes a project in a temporary directory (git + `conveyor init`) with
#       small/ = SMALL_COUNT files of SMALL_KB KiB and large/ = LARGE_FILES
#       files totalling LARGE_MB MiB, random bytes from a fixed seed, tracked
#       with `conveyor add`, committed;
#   (d) starts s3rver on a free loopback port with two buckets per round,
#       "conveyor<r>" and "rclone<r>", so the tools write to separate places
#       on the same server;
#   (e) times, for small and for large, ROUNDS times: `conveyor push` from the
#       cache and `rclone copy` up from the same files (each round into its
#       own buckets); `conveyor pull` into a fresh clone (empty cache) and
#       `rclone copy` down into an empty directory; each download is checked
#       byte for byte against the source (diff -r) and conveyor's clone must
#       be clean for that set (`conveyor status`); the order of the two tools
#       alternates from round to round and each figure is the median;
#   (f) times the no-op push of small/ (nothing missing, NOOP_RUNS times,
#       median reported) and rclone's no-op copy of the same files.
# Both tools run with the same parallelism: conveyor -j JOBS, rclone
# --transfers JOBS --checkers JOBS (RCLONE_DEFAULTS=1 adds rclone runs with its
# own defaults). Each phase also records the server's CPU time (s3rver is one
# Node process: 100% of one core is its ceiling) and the client's.
# Prints a table and the targets (PASS/MISS) and writes the raw figures as
# key=value lines to bench/results/remote-<UTC time>.txt.
#
# Environment: SMALL_COUNT (10000), SMALL_KB (4), LARGE_MB (1024), LARGE_FILES
# (4), JOBS (8 = conveyor's default on 2 cores), ROUNDS (4), NOOP_RUNS (3),
# SEED (6), WARM_MB (3072, see below),
# CACHE_TYPE (cache.type written to .dvc/config, e.g. "hardlink"; default
# unset: reflink, else copy),
# BUILD_TYPE (Release), SKIP_INSTALL=1, SKIP_BUILD=1, KEEP_WORK=1 (keep the
# temporary directory), RCLONE_DEFAULTS=1, FIRST (conveyor: which tool runs
# first in round 1; the order then alternates, so with an even ROUNDS each tool
# runs first equally often), COOLDOWN (360: seconds to wait after the previous
# run of this script ended, see below).
#
# Why rounds in alternating order: with one pair per phase, whichever tool ran
# second used more CPU for the same bytes (pull large: 0.71x with rclone first,
# 1.08x with conveyor first), so a single pair measured the order as much as
# the tools.
#
# Why the cool-down: on an ext4 file system without a journal (this VM's),
# allocating an inode skips inodes freed in the last 60 s (360 s while their
# inode-table block is dirty). Each run creates and then deletes about 60,000 files,
# so a run started right after another spends seconds of kernel time in inode
# allocation, charged to whichever tool creates files first, and to s3rver.
# Why the warm-up (WARM_MB, default 3072; 0 turns it off): this VM hands
# memory that has been free for about 10 s back to its host (virtio-balloon
# free page reporting), and the next program to use such memory pays for the
# host to supply it again. Measured here with dd into the page cache: 2 GiB
# cost 0.3 s of system time on memory freed a moment before and 1.2 s on
# memory freed 12 s before. Whoever writes more new pages pays more, and
# conveyor pull writes two copies (cache and workspace) where rclone writes
# one, so the cost depended on how long memory had sat free, which the order
# of the commands decided: conveyor's CPU time for the same pull ranged from
# 2.8 to 6.5 s. Before each timed command, dd writes a WARM_MB MiB file in
# the work directory, which is then deleted: its page cache is freed a moment
# before the command, so the command starts with memory the VM already holds.
# (A program that filled and freed anonymous memory did not have this effect
# here, nor did a file on /dev/shm.) The pages either tool writes are still
# its own cost.
# Smoke run: SMALL_COUNT=500 LARGE_MB=128 bash bench/remote/run.sh
#
# Every loop has a fixed bound, every command that can hang runs under
# timeout, and the server is stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath -m "${1:-$root/build-rbench}")
small_count=${SMALL_COUNT:-10000}
small_kb=${SMALL_KB:-4}
large_mb=${LARGE_MB:-1024}
large_files=${LARGE_FILES:-4}
jobs=${JOBS:-8}
noop_runs=${NOOP_RUNS:-3}
rounds=${ROUNDS:-4}
seed=${SEED:-6}
warm_mb=${WARM_MB:-3072}
cache_type=${CACHE_TYPE:-} # .dvc/config cache.type; empty: conveyor's default
build_type=${BUILD_TYPE:-Release}
python=/usr/bin/python3
s3rver_js=$root/tests/s3/node_modules/s3rver/bin/s3rver.js
limit=${PHASE_TIMEOUT:-1200} # seconds per timed command

step() { printf '\n== [%ds] %s\n' "$SECONDS" "$*"; }
die() {
  echo "bench/remote: $*" >&2
  exit 1
}
[[ $warm_mb =~ ^[0-9]+$ ]] || die "WARM_MB must be a whole number of MiB (0: no warm-up)"
for n in "$small_count" "$small_kb" "$large_mb" "$large_files" "$jobs" "$noop_runs" "$rounds" "$seed"; do
  if ! [[ $n =~ ^[0-9]+$ ]] || ((n == 0)); then
    die "sizes, counts and JOBS must be positive whole numbers"
  fi
done

# ------------------------------------------------------ (a) dependencies --

first=${FIRST:-conveyor}
[[ $first == conveyor || $first == rclone ]] || die "FIRST must be conveyor or rclone"
cooldown=${COOLDOWN:-360}
[[ $cooldown =~ ^[0-9]+$ ]] || die "COOLDOWN must be a whole number of seconds"
last_end_file=${TMPDIR:-/tmp}/conveyor-remote-bench.last-end
if [[ -f $last_end_file ]]; then
  since=$(($(date +%s) - $(cat "$last_end_file" 2>/dev/null || echo 0)))
  if ((since >= 0 && since < cooldown)); then
    echo "the previous run ended ${since}s ago; waiting $((cooldown - since))s for the" \
      "file system's recently freed inodes to age out (COOLDOWN=0 skips)"
    sleep $((cooldown - since))
  fi
fi

step "(a) Dependencies"
if ! command -v rclone >/dev/null; then
  [[ ${SKIP_INSTALL:-0} == 1 ]] && die "rclone is missing and SKIP_INSTALL=1"
  echo "installing rclone"
  sudo=
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends rclone
else
  echo "rclone present"
fi
command -v node >/dev/null || die "node is missing (scripts/install-deps.sh installs it)"
[[ -f $s3rver_js ]] || die "$s3rver_js is missing (run scripts/install-deps.sh)"

# ------------------------------------------------------------ (b) build --

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  step "(b) Build ($build_type) in $build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
  ninja -C "$build" -j "$(nproc)" conveyor
fi
conveyor=$build/src/cli/conveyor
[[ -x $conveyor ]] || die "$conveyor is missing; build first"

# ---------------------------------------------------------- (c) project --

work=$(mktemp -d "${TMPDIR:-/tmp}/conveyor-remote-bench.XXXXXX")
s3rver_pid=
stop_all() {
  if [[ -n $s3rver_pid ]]; then
    kill -TERM "$s3rver_pid" 2>/dev/null || true
    timeout 15 tail --pid="$s3rver_pid" -f /dev/null 2>/dev/null ||
      kill -KILL "$s3rver_pid" 2>/dev/null || true
  fi
  if [[ ${KEEP_WORK:-0} == 1 ]]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
  date +%s >"$last_end_file"
}
trap stop_all EXIT

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$root/bench/results"
raw=$root/bench/results/remote-$stamp.txt
: >"$raw"
record() { printf '%s=%s\n' "$1" "$2" >>"$raw"; }
record utc "$stamp"
record first "$first"
record host "$(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
record cpu "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
record conveyor_binary "$conveyor"
record conveyor_version "$("$conveyor" --version 2>/dev/null | head -n1 || echo unknown)"
record rclone_version "$(rclone version 2>/dev/null | head -n1)"
record node_version "$(node --version)"
record s3rver_version "$(node -p "require('$root/tests/s3/node_modules/s3rver/package.json').version")"
record jobs "$jobs"
record rounds "$rounds"
record cache_type "${cache_type:-default}"
record warm_mb "$warm_mb"
record load_at_start "$(cut -d' ' -f1-3 /proc/loadavg)"
record small "$small_count x $small_kb KiB"
record large "$large_files x $((large_mb / large_files)) MiB"

step "(c) Project in $work/proj: $small_count x $small_kb KiB, $large_files files = $large_mb MiB"
proj=$work/proj
mkdir -p "$proj"
"$python" - "$proj" "$small_count" "$small_kb" "$large_files" "$large_mb" "$seed" <<'EOF'
import os, random, sys
proj, count, kb, files, mb, seed = sys.argv[1], *map(int, sys.argv[2:])
rng = random.Random(seed)
os.makedirs(f"{proj}/small")
for i in range(count):
    with open(f"{proj}/small/f{i:05d}.bin", "wb") as f:
        f.write(rng.randbytes(kb * 1024))
os.makedirs(f"{proj}/large")
each, left = divmod(mb * 1024 * 1024, files)
for i in range(files):
    with open(f"{proj}/large/part{i}.bin", "wb") as f:
        size = each + (left if i == files - 1 else 0)
        while size > 0:  # bounded: 64 MiB steps
            chunk = min(size, 64 << 20)
            f.write(rng.randbytes(chunk))
            size -= chunk
EOF
small_bytes=$((small_count * small_kb * 1024))
large_bytes=$((large_mb * 1024 * 1024))
git_commit() { git -c user.name=bench -c user.email=bench@localhost commit -qm "$1"; }
(
  cd "$proj"
  git init -q .
  timeout 60 "$conveyor" init >/dev/null
  if [[ -n $cache_type ]]; then
    printf '[cache]\n    type = %s\n' "$cache_type" >>.dvc/config
  fi
  timeout "$limit" "$conveyor" add small large >/dev/null
  git add -A
  git_commit data
)

# ----------------------------------------------------------- (d) server --

step "(d) s3rver"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# --openssl-legacy-provider: s3rver's continuation tokens use DES (see
# src/remote/s3_storage_test.cc). Buckets conveyor<r> and rclone<r> per round,
# so every round uploads everything and lists a bucket of the same size.
buckets=()
for ((r = 1; r <= rounds; r++)); do
  buckets+=(--configure-bucket "conveyor$r" --configure-bucket "rclone$r")
done
node --openssl-legacy-provider "$s3rver_js" -d "$work/s3data" -a 127.0.0.1 -p "$port" --silent \
  "${buckets[@]}" >"$work/s3rver.log" 2>&1 &
s3rver_pid=$!
endpoint=http://127.0.0.1:$port
for ((i = 0; i < 300; i++)); do
  curl -s -o /dev/null --max-time 2 "$endpoint/" && break
  kill -0 "$s3rver_pid" 2>/dev/null || {
    cat "$work/s3rver.log" >&2
    die "s3rver exited"
  }
  sleep 0.1
done
curl -s -o /dev/null --max-time 2 "$endpoint/" || die "s3rver did not answer on $endpoint"
echo "s3rver (pid $s3rver_pid) on $endpoint, buckets conveyor1..$rounds and rclone1..$rounds"

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
(
  cd "$proj"
  "$conveyor" remote add -d store s3://conveyor1/store >/dev/null
  "$conveyor" remote modify store endpointurl "$endpoint" >/dev/null
  git add -A
  git_commit remote
)
export RCLONE_CONFIG=$work/rclone.conf
cat >"$RCLONE_CONFIG" <<EOF
[s3]
type = s3
provider = Other
env_auth = false
access_key_id = S3RVER
secret_access_key = S3RVER
endpoint = $endpoint
region = us-east-1
force_path_style = true
no_check_bucket = true
EOF
rclone_par=(--transfers "$jobs" --checkers "$jobs")
# rclone's AWS SDK fails on an AWS_CA_BUNDLE it cannot apply to its own
# transport ("LoadCustomCABundleError"); the endpoint is plain http anyway.
rclone=(env -u AWS_CA_BUNDLE rclone)

# ------------------------------------------------------------ (e) timing --

clk_tck=$(getconf CLK_TCK)
# Server CPU seconds so far (user + system).
server_cpu() { awk -v t="$clk_tck" '{printf "%.2f", ($14 + $15) / t}' "/proc/$s3rver_pid/stat"; }
# measure NAME CMD...: runs CMD under timeout; records NAME_s (wall),
# NAME_client_cpu_s and NAME_server_cpu_s.
measure() {
  local name=$1 start end cpu0 cpu1
  shift
  # Untimed: the previous command's dirty pages reach the disk first, so
  # their writeback does not overlap this one (without it, on pull large the
  # second command of a pair ran 0.8-0.9 s slower, whichever tool it was).
  sync
  # Untimed: memory the VM holds for the command (see WARM_MB above).
  if ((warm_mb > 0)); then
    dd if=/dev/zero of="$work/warm" bs=1M count="$warm_mb" status=none ||
      die "the memory warm-up failed (is there $warm_mb MiB free on $work?)"
    rm -f "$work/warm"
  fi
  cpu0=$(server_cpu)
  start=$(date +%s.%N)
  if ! /usr/bin/time -f '%U %S' -o "$work/time.out" timeout "$limit" "$@" >"$work/$name.log" 2>&1; then
    tail -n 20 "$work/$name.log" >&2
    die "$name failed: $*"
  fi
  end=$(date +%s.%N)
  cpu1=$(server_cpu)
  local wall client server
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')
  client=$(awk '{printf "%.2f", $1 + $2}' "$work/time.out")
  server=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.2f", b - a}')
  record "${name}_s" "$wall"
  record "${name}_client_cpu_s" "$client"
  record "${name}_server_cpu_s" "$server"
  record "${name}_load1" "$(cut -d' ' -f1 /proc/loadavg)"
  printf '%-24s %8ss  client cpu %6ss  server cpu %6ss  load %s\n' "$name" "$wall" "$client" \
    "$server" "$(cut -d' ' -f1 /proc/loadavg)"
}
# same_tree A B: the two directories hold the same files with the same bytes.
same_tree() {
  timeout "$limit" diff -rq "$1" "$2" >/dev/null || die "$2 differs from $1"
}

# Median of NAME_1_s .. NAME_N_s (the mean of the middle two for an even N).
median() {
  local name=$1 n=$2
  for ((r = 1; r <= n; r++)); do
    grep "^${name}_${r}_s=" "$raw" | cut -d= -f2
  done | sort -g | awk '{v[NR] = $1} END {m = int((NR + 1) / 2); print (NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2)}'
}
# The other tool's name.
other() { [[ $1 == conveyor ]] && echo rclone || echo conveyor; }

cd "$proj"
for set in small large; do
  for ((r = 1; r <= rounds; r++)); do
    order=$first
    ((r % 2 == 0)) && order=$(other "$first")
    step "(e) $set, round $r of $rounds: upload ($order first)"
    "$conveyor" remote modify store url "s3://conveyor$r/store" >/dev/null
    up_conveyor=(measure "conveyor_push_${set}_$r" "$conveyor" push -j "$jobs" "$set.dvc")
    up_rclone=(measure "rclone_up_${set}_$r" "${rclone[@]}" copy "${rclone_par[@]}" "$proj/$set"
      "s3:rclone$r/$set")
    if [[ $order == conveyor ]]; then
      "${up_conveyor[@]}"
      "${up_rclone[@]}"
    else
      "${up_rclone[@]}"
      "${up_conveyor[@]}"
    fi

    step "(e) $set, round $r of $rounds: download ($order first)"
    clone=$work/clone-$set-$r
    down=$work/rclone-down-$set-$r
    git clone -q "$proj" "$clone"
    # The clone's remote is round r's bucket, which this round just filled.
    (cd "$clone" && "$conveyor" remote modify store url "s3://conveyor$r/store" >/dev/null)
    down_conveyor=(measure "conveyor_pull_${set}_$r" "$conveyor" pull -j "$jobs" "$set.dvc")
    down_rclone=(measure "rclone_down_${set}_$r" "${rclone[@]}" copy "${rclone_par[@]}"
      "s3:rclone$r/$set" "$down")
    if [[ $order == conveyor ]]; then
      (cd "$clone" && "${down_conveyor[@]}")
      "${down_rclone[@]}"
    else
      "${down_rclone[@]}"
      (cd "$clone" && "${down_conveyor[@]}")
    fi
    same_tree "$proj/$set" "$clone/$set"
    same_tree "$proj/$set" "$down"
    # `conveyor status` takes stage names only, so it checks the whole clone.
    status=$(cd "$clone" && timeout "$limit" "$conveyor" status 2>&1) ||
      die "conveyor status failed in the clone: $status"
    # Only $set was pulled: the other set may show as deleted, $set must not.
    [[ $status == *"up to date"* || $status != *"$set.dvc:"* ]] ||
      die "the clone is not clean: $status"
    echo "both downloads match the source; conveyor status in the clone: $status"
    # The large set's copies go now (a few inodes, gigabytes of page cache);
    # the small set's stay until the end, because deleting 10,000-file trees
    # slows the next rounds' inode allocation (see COOLDOWN above).
    [[ $set == large ]] && rm -rf "$clone" "$down"
  done
  for name in conveyor_push rclone_up conveyor_pull rclone_down; do
    record "${name}_${set}_s" "$(median "${name}_$set" "$rounds")"
  done
  if [[ ${RCLONE_DEFAULTS:-0} == 1 ]]; then
    measure "rclone_default_up_$set" "${rclone[@]}" copy "$proj/$set" "s3:rclone1/defaults/$set"
    measure "rclone_default_down_$set" "${rclone[@]}" copy "s3:rclone1/defaults/$set" "$work/rd-$set"
    same_tree "$proj/$set" "$work/rd-$set"
  fi
done

# Both tools' no-op copies go to the last round's buckets, where the conveyor
# remote points now.
step "(f) No-op push of small/ ($noop_runs runs each)"
for ((r = 1; r <= noop_runs; r++)); do
  measure "conveyor_noop_push_$r" "$conveyor" push -j "$jobs" small.dvc
  grep -q "already on the remote" "$work/conveyor_noop_push_$r.log" ||
    die "the no-op push did not report everything present: $(cat "$work/conveyor_noop_push_$r.log")"
  ! grep -qE '^[1-9][0-9,]* files? pushed' "$work/conveyor_noop_push_$r.log" ||
    die "the no-op push moved something: $(cat "$work/conveyor_noop_push_$r.log")"
  measure "rclone_noop_$r" "${rclone[@]}" copy "${rclone_par[@]}" "$proj/small" "s3:rclone$rounds/small"
done
echo "conveyor says: $(tail -n1 "$work/conveyor_noop_push_1.log")"
record conveyor_noop_push_median_s "$(median conveyor_noop_push "$noop_runs")"
record rclone_noop_median_s "$(median rclone_noop "$noop_runs")"

# ----------------------------------------------------------- (g) report --

get() { grep "^$1=" "$raw" | tail -n1 | cut -d= -f2; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.1f", b / 1048576 / s}'; }
verdict() { awk -v c="$1" -v r="$2" 'BEGIN {print (c <= r ? "PASS" : "MISS")}'; }

record load_at_end "$(cut -d' ' -f1-3 /proc/loadavg)"
step "Results ($raw)"
printf '%-14s %12s %12s %12s %12s %8s %8s\n' "" "conveyor s" "MiB/s" "rclone s" "MiB/s" "ratio" "target"
pass=0
miss=0
for set in small large; do
  bytes=$small_bytes
  [[ $set == large ]] && bytes=$large_bytes
  for dir in up down; do
    if [[ $dir == up ]]; then
      c=$(get "conveyor_push_${set}_s")
      label="push $set"
    else
      c=$(get "conveyor_pull_${set}_s")
      label="pull $set"
    fi
    r=$(get "rclone_${dir}_${set}_s")
    v=$(verdict "$c" "$r")
    [[ $v == PASS ]] && pass=$((pass + 1)) || miss=$((miss + 1))
    ratio=$(awk -v c="$c" -v r="$r" 'BEGIN {printf "%.2fx", r / c}')
    record "target_${dir}_${set}" "$v"
    printf '%-14s %12s %12s %12s %12s %8s %8s\n' "$label" "$c" "$(mbps "$bytes" "$c")" \
      "$r" "$(mbps "$bytes" "$r")" "$ratio" "$v"
  done
done
c=$(get conveyor_noop_push_median_s)
r=$(get rclone_noop_median_s)
v=$(awk -v c="$c" 'BEGIN {print (c < 2 ? "PASS" : "MISS")}')
[[ $v == PASS ]] && pass=$((pass + 1)) || miss=$((miss + 1))
record target_noop "$v"
printf '%-14s %12s %12s %12s %12s %8s %8s\n' "no-op push" "$c" "-" "$r" "-" "< 2 s" "$v"
echo
echo "ratio = rclone time / conveyor time (above 1: conveyor faster); JOBS=$jobs for both;"
echo "each time is the median of $rounds rounds, the tools' order alternating (round 1: $first first)"
echo "load average at start: $(get load_at_start), at end: $(get load_at_end) ($(nproc) cores)"
echo "targets: $pass PASS, $miss MISS; raw figures in $raw"
