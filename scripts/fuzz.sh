#!/usr/bin/env bash
# `make fuzz`: builds the fuzz targets (fuzz/) with clang-14 for libFuzzer,
# AddressSanitizer and UBSan in their own build tree, then runs each under
# libFuzzer for a set time.
#
#   scripts/fuzz.sh                 # every target, 60 s each
#   FUZZ_SECONDS=600 FUZZ_TARGETS="multipart image" scripts/fuzz.sh
#
# Environment: FUZZ_SECONDS (per target, default 60), FUZZ_TARGETS (names
# without _fuzz, default all), FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS
# (build jobs, default nproc).
#
# Each target's working corpus is FUZZ_BUILD_DIR/corpus/<name>, seeded from
# fuzz/corpus/<name> and kept between runs (new interesting inputs land
# there; copy the good ones into fuzz/corpus to keep them). A crash, leak,
# sanitizer report, timeout (10 s per input) or RSS over 2 GiB stops that
# target, leaves the input in FUZZ_BUILD_DIR/artifacts/<name>/ and makes the
# script exit non-zero after running the others. Replay one with
#   FUZZ_BUILD_DIR/fuzz/<name>_fuzz FILE
set -euo pipefail
cd "$(dirname "$0")/.."

all="multipart predict_input image v2_infer dvc_yaml model_spec lock_file"
targets=${FUZZ_TARGETS:-$all}
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-$(nproc)}

# Only fuzzing needs clang, so it is installed here rather than by
# scripts/install-deps.sh for every build.
if ! command -v clang++-14 >/dev/null || ! dpkg -s libclang-rt-14-dev >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "fuzz: needs clang-14 and libclang-rt-14-dev (apt-get install as root)" >&2
    exit 1
  fi
  echo "fuzz: installing clang-14 and libclang-rt-14-dev"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang-14 libclang-rt-14-dev >/dev/null
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCONVEYOR_FUZZ=ON \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
names=()
for t in $targets; do names+=("${t}_fuzz"); done
echo "fuzz: building ${names[*]} in $build"
cmake --build "$build" -j "$jobs" --target "${names[@]}"

failed=()
for t in $targets; do
  corpus=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz: $t for ${seconds}s (corpus $corpus)"
  if "$build/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" "fuzz/corpus/$t" \
    >"$build/$t.log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
      "$build/$t.log" | sed "s/^/  /"
  else
    echo "  FAILED: see $build/$t.log; inputs in $artifacts/"
    grep -E 'ERROR|SUMMARY|Test unit written' "$build/$t.log" | head -5 | sed "s/^/  /"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: no failures in $(echo $targets | wc -w) targets"
