#!/usr/bin/env bash
# `make bench` (bash bench/run.sh BUILD_DIR): the benchmarks of issue 2.
#
#   (a) hash throughput on 1 GiB of mixed files, conveyor vs md5sum, 1 and 2
#       cores, page cache warm;
#   (b) `conveyor status` (stat cache cold and warm) and `conveyor repro`
#       (no-op) on a project whose stage depends on 100,000 small files;
#   (c) `git status` on the same tree, committed, for scale.
#
# Data goes to a temporary directory under $TMPDIR (default /tmp; about
# 1.3 GB), removed on exit. Prints a table and writes the raw numbers to
# bench/results/latest.json. Environment: BENCH_REPS (default 5) runs per
# measurement, median reported; BENCH_SMALL_FILES (default 100000);
# BENCH_QUIET_WAIT (default 60) seconds to wait, before each round of (a),
# for other processes to leave the cores idle.
# Every command runs under `timeout`, every loop has a fixed count.
# Runs are kept as space-separated words in associative arrays and split on
# purpose when passed on, hence:
# shellcheck disable=SC2086
set -euo pipefail

build=$(realpath "${1:?usage: bench/run.sh BUILD_DIR}")
root=$(cd "$(dirname "$0")/.." && pwd)
conveyor=$build/src/cli/conveyor
make_tree=$build/bench/make_tree
reps=${BENCH_REPS:-5}
small_files=${BENCH_SMALL_FILES:-100000}
limit=300 # seconds, per command
quiet_wait=${BENCH_QUIET_WAIT:-60}

for tool in "$conveyor" "$make_tree"; do
  [[ -x $tool ]] || {
    echo "bench: $tool is missing; build first (make build)" >&2
    exit 1
  }
done
for tool in md5sum xargs find git timeout; do
  command -v "$tool" >/dev/null || {
    echo "bench: needs $tool" >&2
    exit 1
  }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/conveyor-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- helpers --

hz=$(getconf CLK_TCK)
# busy_ticks: CPU time spent by the whole machine (every core, every process)
# since boot, in 1/$hz s: user nice system irq softirq steal of /proc/stat.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# timed CMD...: runs CMD (stdout and stderr discarded, status checked) and
# sets t_wall / t_cpu, seconds of wall-clock and of user+system CPU time
# (children included), and t_bg, the average number of cores that other
# processes kept busy meanwhile (machine-wide busy time minus ours, over the
# wall time; resolution 1/$hz s).
t_wall=0
t_cpu=0
t_bg=0
timed() {
  local out="$work/.time" TIMEFORMAT='%3R %3U %3S' before after user sys
  before=$(busy_ticks)
  { time timeout "$limit" "$@" >/dev/null 2>"$work/.stderr"; } 2>"$out" || {
    echo "bench: failed: $*" >&2
    cat "$work/.stderr" >&2
    exit 1
  }
  after=$(busy_ticks)
  read -r t_wall user sys <"$out"
  t_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
  t_bg=$(awk -v b="$before" -v a="$after" -v hz="$hz" -v c="$t_cpu" -v w="$t_wall" \
    'BEGIN { x = ((a - b) / hz - c) / (w > 0 ? w : 1); printf "%.2f", (x < 0 ? 0 : x) }')
}

# wait_quiet: waits (at most $quiet_wait s) until other processes leave at
# least 90% of every core idle over one second, so that a measurement of
# 2-core scaling means something. Says so when the machine stays busy.
wait_quiet() {
  local a b i busy
  for ((i = 0; i < quiet_wait; i++)); do
    a=$(busy_ticks)
    sleep 1
    b=$(busy_ticks)
    busy=$(awk -v a="$a" -v b="$b" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
    if awk -v x="$busy" -v n="$(nproc)" 'BEGIN { exit !(x < 0.1 * n) }'; then
      return 0
    fi
  done
  echo "  (machine still busy after ${quiet_wait}s: $busy cores in use by others; measuring anyway)"
}

# median NUMBER...: the median (the lower middle for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Results: name -> space-separated runs.
declare -A wall cpu bg
record() { # record NAME
  wall[$1]+="$t_wall "
  cpu[$1]+="$t_cpu "
  bg[$1]+="$t_bg "
}
med_wall() { median ${wall[$1]}; }
med_cpu() { median ${cpu[$1]}; }
med_bg() { median ${bg[$1]}; }
mbps() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", (t > 0 ? n / t / 1e6 : 0) }'; }

step() { printf '\n== [%ds] %s\n' "$SECONDS" "$*"; }

# --------------------------------------------------------------- machine --

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
fs_type=$(df --output=fstype "$work" | tail -n 1 | tr -d ' ')
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit+="+dirty"
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

step "Machine"
cat <<EOF
cores (nproc)    $(nproc)
cpu              $cpu_model
memory           $((mem_kib / 1024 / 1024)) GiB
kernel           $(uname -r)
temp dir         $work ($fs_type)
load average     $load_start (1, 5, 15 min, at start)
conveyor         $($conveyor --version) at $commit, $build
md5sum           $(md5sum --version | head -n 1)
git              $(git --version)
runs             $reps per measurement, median reported
EOF

# ------------------------------------------------ (a) hash throughput --

step "(a) Generating 1 GiB of mixed files"
mixed=$work/mixed
# 16,384 x 4 KiB + 4,096 x 64 KiB + 80 x 4 MiB + 3 x 128 MiB = 1 GiB exactly.
# The large files come last in walk (relpath) order, the worst case for
# spreading the work over threads.
"$make_tree" --seed 1 "$mixed" 1-tiny:16384:4K 2-small:4096:64K 3-medium:80:4M 4-large:3:128M
sync
mixed_bytes=$(find "$mixed" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
mixed_files=$(find "$mixed" -type f | wc -l)

# md5sum over 2 processes: the files split into two lists of (nearly) equal
# bytes, largest first to the lighter list, so md5sum gets its best balance.
find "$mixed" -type f -printf '%s %p\n' | sort -k1,1nr -k2 | awk -v d="$work" '
  { if (b0 <= b1) { print $2 > (d "/list0"); b0 += $1 } else { print $2 > (d "/list1"); b1 += $1 } }'
find "$mixed" -type f | sort >"$work/list"
md5sum_1() { xargs -d '\n' -a "$work/list" md5sum; }
md5sum_2() {
  xargs -d '\n' -a "$work/list0" md5sum >/dev/null &
  local p0=$!
  xargs -d '\n' -a "$work/list1" md5sum >/dev/null &
  local p1=$!
  wait "$p0" && wait "$p1"
}
export -f md5sum_1 md5sum_2
export work

# Same answers from both tools (one large file), and from -j 1 and -j 2.
one=$(tail -n 1 "$work/list")
a=$("$conveyor" hash "$one" --json | awk -F'"' '/"md5"/ { print $4 }')
b=$(md5sum "$one" | cut -d' ' -f1)
[[ $a == "$b" ]] || {
  echo "bench: conveyor and md5sum disagree on $one: $a vs $b" >&2
  exit 1
}
h1=$("$conveyor" hash "$mixed" -j 1)
h2=$("$conveyor" hash "$mixed" -j 2)
[[ ${h1%% *} == "${h2%% *}" ]] || {
  echo "bench: -j 1 and -j 2 disagree: $h1 vs $h2" >&2
  exit 1
}

step "(a) Hashing $mixed_files files, $mixed_bytes bytes ($reps runs each, interleaved)"
# Warm-up: every file read once, so both tools read from the page cache.
timed bash -c md5sum_1
timed "$conveyor" hash "$mixed" -j 1
hash_names=(conveyor_j1 md5sum_1 conveyor_j2 md5sum_2)
last() { echo ${wall[$1]} | awk '{ print $NF }'; }
last_cpu() { echo ${cpu[$1]} | awk '{ print $NF }'; }
last_bg() { echo ${bg[$1]} | awk '{ print $NF }'; }
# A round is quiet when other processes used under 0.1 core during each of
# its four measurements; quiet rounds are also recorded as quiet_NAME.
quiet_rounds=0
for ((r = 1; r <= reps; r++)); do
  wait_quiet
  timed "$conveyor" hash "$mixed" -j 1 && record conveyor_j1
  timed bash -c md5sum_1 && record md5sum_1
  timed "$conveyor" hash "$mixed" -j 2 && record conveyor_j2
  timed bash -c md5sum_2 && record md5sum_2
  printf '  run %d: conveyor -j1 %ss, md5sum %ss, conveyor -j2 %ss, md5sum x2 %ss' "$r" \
    "$(last conveyor_j1)" "$(last md5sum_1)" "$(last conveyor_j2)" "$(last md5sum_2)"
  printf '  (others busy: %s %s %s %s cores)\n' "$(last_bg conveyor_j1)" "$(last_bg md5sum_1)" \
    "$(last_bg conveyor_j2)" "$(last_bg md5sum_2)"
  busiest=$(for name in "${hash_names[@]}"; do last_bg "$name"; done | sort -g | tail -n 1)
  if awk -v x="$busiest" 'BEGIN { exit !(x < 0.1) }'; then
    quiet_rounds=$((quiet_rounds + 1))
    for name in "${hash_names[@]}"; do
      wall[quiet_$name]+="$(last "$name") "
      cpu[quiet_$name]+="$(last_cpu "$name") "
      bg[quiet_$name]+="$(last_bg "$name") "
    done
  fi
done

# ------------------------------------------ (b) status / repro, 100k files --

step "(b) Project with a stage depending on $small_files small files"
proj=$work/proj
mkdir -p "$proj"
cd "$proj"
"$conveyor" init --no-scm >/dev/null
"$make_tree" --seed 2 --per-dir 1000 "$proj/data" "small:$small_files:100-4K"
sync
small_bytes=$(find "$proj/data" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
cat >dvc.yaml <<'EOF'
stages:
  count:
    cmd: find data -type f | wc -l > count.txt
    deps:
      - data
    outs:
      - count.txt
EOF
find data -type f >/dev/null # warm the dentry and inode caches
timed "$conveyor" repro && record repro_first
stat_db=.dvc/tmp/conveyor/stat-cache.db
for ((r = 1; r <= reps; r++)); do
  rm -f "$stat_db" "$stat_db-wal" "$stat_db-shm"
  timed "$conveyor" status && record status_cold
done
for ((r = 1; r <= reps; r++)); do
  timed "$conveyor" status && record status_warm
done
for ((r = 1; r <= reps; r++)); do
  timed "$conveyor" repro && record repro_noop
done
for ((r = 1; r <= reps; r++)); do
  timed "$conveyor" hash data && record hash_small
done
"$conveyor" status | grep -q 'up to date' || {
  echo "bench: the project is not up to date after repro" >&2
  exit 1
}

# ------------------------------------------------------- (c) git status --

step "(c) The same tree through git"
export GIT_DIR=$work/git GIT_WORK_TREE=$proj/data
git init -q
git config user.name bench
git config user.email bench@localhost
# No automatic gc: after the commit it would repack 100,000 loose objects in
# a detached process while git status is being timed.
git config gc.auto 0
timed git add -A && record git_add
timed git commit -q -m tree && record git_commit
git status >/dev/null # warm (refreshes the index once)
for ((r = 1; r <= reps; r++)); do
  timed git status && record git_status
done
[[ -z $(git status --porcelain) ]] || {
  echo "bench: git status is not clean" >&2
  exit 1
}
unset GIT_DIR GIT_WORK_TREE
cd "$root"

# ---------------------------------------------------------------- report --

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
at_least() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 >= t + 0 ? "met" : "NOT MET") }'; }
# Ratios over the medians of the runs named PREFIX* (PREFIX "" or "quiet_").
ratios() {
  local p=$1
  ratio1=$(div "$(med_wall ${p}md5sum_1)" "$(med_wall ${p}conveyor_j1)")
  ratio2=$(div "$(med_wall ${p}md5sum_2)" "$(med_wall ${p}conveyor_j2)")
  ratio_cpu=$(div "$(med_cpu ${p}md5sum_1)" "$(med_cpu ${p}conveyor_j1)")
  scale_c=$(div "$(med_wall ${p}conveyor_j1)" "$(med_wall ${p}conveyor_j2)")
  scale_m=$(div "$(med_wall ${p}md5sum_1)" "$(med_wall ${p}md5sum_2)")
}
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
warm=$(med_wall status_warm)
v_warm=$(awk -v w="$warm" 'BEGIN { print (w < 1 ? "met" : "NOT MET") }')

step "Results (median of $reps runs)"
echo "wall and cpu (user+system) in seconds; others: cores kept busy by other processes"
echo "meanwhile; MB/s in 10^6 bytes per wall-clock second"
# row LABEL NAME [MB/s] [NOTE]: one line of the table from NAME's medians.
row() { printf '%-40s %7s %7s %7s %7s  %s\n' "$@"; }
rowm() { row "$1" "$(med_wall "$2")" "$(med_cpu "$2")" "$(med_bg "$2")" "${3:-}" "${4:-}"; }
hash_rows() { # hash_rows PREFIX
  rowm "(a) conveyor hash -j 1" "${1}conveyor_j1" "$(mbps "$mixed_bytes" "$(med_wall "${1}conveyor_j1")")"
  rowm "(a) md5sum, 1 process" "${1}md5sum_1" "$(mbps "$mixed_bytes" "$(med_wall "${1}md5sum_1")")"
  rowm "(a) conveyor hash -j 2" "${1}conveyor_j2" "$(mbps "$mixed_bytes" "$(med_wall "${1}conveyor_j2")")"
  rowm "(a) md5sum, 2 processes" "${1}md5sum_2" "$(mbps "$mixed_bytes" "$(med_wall "${1}md5sum_2")")"
}
row "measurement" "wall s" "cpu s" "others" "MB/s" "note"
hash_rows ""
rowm "(b) conveyor repro, first run (once)" repro_first "" "hashes, runs, caches"
rowm "(b) conveyor status, stat cache cold" status_cold
rowm "(b) conveyor status, warm" status_warm "" "target < 1 s: $v_warm"
rowm "(b) conveyor repro, no-op" repro_noop
rowm "(b) conveyor hash data (no stat cache)" hash_small
rowm "(c) git add -A (once)" git_add
rowm "(c) git commit (once)" git_commit
rowm "(c) git status, warm" git_status

ratios ""
v_cpu=$(at_least "$ratio_cpu" 0.9)
echo
echo "(a) over all $reps rounds:"
printf '  conveyor / md5sum speed, 1 core, per CPU second:  %s  (target >= 0.9: %s)\n' \
  "$ratio_cpu" "$v_cpu"
printf '  conveyor / md5sum speed, 1 core, wall clock:      %s\n' "$ratio1"
printf '  conveyor / md5sum speed, 2 cores, wall clock:     %s\n' "$ratio2"
printf '  speed-up from 1 to 2 cores: conveyor %s, md5sum %s\n' "$scale_c" "$scale_m"
all_ratio1=$ratio1 all_ratio2=$ratio2 all_ratio_cpu=$ratio_cpu all_scale_c=$scale_c
all_scale_m=$scale_m
if ((quiet_rounds > 0)); then
  ratios quiet_
  v_ratio1=$(at_least "$ratio1" 0.9)
  v_ratio2=$(at_least "$ratio2" 0.9)
  v_scale=$(at_least "$scale_c" 1.8)
  echo "(a) over the $quiet_rounds quiet round(s) (others < 0.1 core throughout):"
  hash_rows quiet_
  printf '  conveyor / md5sum speed, 1 core, wall clock:      %s  (target >= 0.9: %s)\n' \
    "$ratio1" "$v_ratio1"
  printf '  conveyor / md5sum speed, 2 cores, wall clock:     %s  (target >= 0.9: %s)\n' \
    "$ratio2" "$v_ratio2"
  printf '  speed-up from 1 to 2 cores: conveyor %s, md5sum %s  (scales, >= 1.8: %s)\n' \
    "$scale_c" "$scale_m" "$v_scale"
else
  ratio1=null ratio2=null ratio_cpu=null scale_c=null scale_m=null
  echo "(a) no quiet round: other processes were using the cores, so 2-core scaling"
  echo "    is not measured; rerun on an idle machine (or raise BENCH_QUIET_WAIT)."
fi
printf 'load average at start %s, at end %s\n' "$load_start" "$load_end"

# ------------------------------------------------------------------ json --

json_runs() { # json_runs NAME: its runs and medians as a JSON object
  local w c
  w=$(echo ${wall[$1]} | tr ' ' ',')
  c=$(echo ${cpu[$1]} | tr ' ' ',')
  printf '{"wall_s": [%s], "cpu_s": [%s], "others_cores": [%s], "median_wall_s": %s, "median_cpu_s": %s}' \
    "$w" "$c" "$(echo ${bg[$1]} | tr ' ' ',')" "$(med_wall "$1")" "$(med_cpu "$1")"
}
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
mkdir -p "$root/bench/results"
out=$root/bench/results/latest.json
{
  printf '{\n'
  printf '  "started": %s,\n' "$(json_str "$started")"
  printf '  "machine": {"nproc": %s, "cpu": %s, "mem_kib": %s, "kernel": %s, "tmp_fs": %s, ' \
    "$(nproc)" "$(json_str "$cpu_model")" "$mem_kib" "$(json_str "$(uname -r)")" "$(json_str "$fs_type")"
  printf '"loadavg_start": %s, "loadavg_end": %s},\n' "$(json_str "$load_start")" "$(json_str "$load_end")"
  printf '  "conveyor": {"version": %s, "commit": %s},\n' \
    "$(json_str "$($conveyor --version)")" "$(json_str "$commit")"
  printf '  "reps": %s,\n' "$reps"
  printf '  "hash": {"files": %s, "bytes": %s, "quiet_rounds": %s,\n' \
    "$mixed_files" "$mixed_bytes" "$quiet_rounds"
  for name in "${hash_names[@]}"; do
    printf '    "%s": %s,\n' "$name" "$(json_runs "$name")"
  done
  printf '    "all": {"ratio_1core_cpu": %s, "ratio_1core_wall": %s, "ratio_2core_wall": %s, ' \
    "$all_ratio_cpu" "$all_ratio1" "$all_ratio2"
  printf '"speedup_conveyor": %s, "speedup_md5sum": %s},\n' "$all_scale_c" "$all_scale_m"
  printf '    "quiet": {"ratio_1core_cpu": %s, "ratio_1core_wall": %s, "ratio_2core_wall": %s, ' \
    "$ratio_cpu" "$ratio1" "$ratio2"
  printf '"speedup_conveyor": %s, "speedup_md5sum": %s}},\n' "$scale_c" "$scale_m"
  printf '  "small_tree": {"files": %s, "bytes": %s,\n' "$small_files" "$small_bytes"
  first=1
  for name in repro_first status_cold status_warm repro_noop hash_small git_add git_commit git_status; do
    ((first)) || printf ',\n'
    first=0
    printf '    "%s": %s' "$name" "$(json_runs "$name")"
  done
  printf '}\n}\n'
} >"$out"
echo "raw numbers: $out"
