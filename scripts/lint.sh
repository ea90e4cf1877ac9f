#!/usr/bin/env bash
# Lints conveyor's own sources: clang-format (every file), cppcheck (every
# file), and clang-tidy against the build's compile_commands.json.
#
#   scripts/lint.sh BUILD_DIR          clang-tidy on product sources changed since
#                                      CONVEYOR_LINT_BASE (default: the last 20 commits),
#                                      plus everything uncommitted
#   scripts/lint.sh BUILD_DIR --full   clang-tidy on every product source
set -euo pipefail
build_dir=${1:?usage: lint.sh BUILD_DIR [--full]}
mode=${2:-changed}
cd "$(dirname "$0")/.."
jobs=$(nproc)

mapfile -t all_sources < <(git ls-files --cached --others --exclude-standard \
  'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'bench/*.cc' 'examples/*.cc' 'examples/*.h' 'fuzz/*.cc' 'fuzz/*.h' | sort -u \
  | while read -r f; do [ -f "$f" ] && echo "$f"; done)
[ ${#all_sources[@]} -gt 0 ] || { echo "lint: no sources"; exit 0; }

echo "lint: clang-format (${#all_sources[@]} files)"
printf '%s\n' "${all_sources[@]}" | xargs -P "$jobs" -n 16 clang-format --dry-run -Werror

echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --std=c++20 --language=c++ \
  --enable=warning,performance,portability --inline-suppr --library=googletest \
  --suppress=missingIncludeSystem --suppress=unknownMacro \
  -I src -j "$jobs" src

# Product sources only: tests are compiled with -Werror but not tidied.
mapfile -t product < <(printf '%s\n' "${all_sources[@]}" | grep -E '\.cc$' | grep -v '_test\.cc$' \
  | grep -v '^src/testing/')
if [ "$mode" != "--full" ]; then
  base=${CONVEYOR_LINT_BASE:-$(git rev-list --max-count=1 --skip=20 HEAD 2>/dev/null || true)}
  if [ -n "$base" ]; then
    mapfile -t changed < <( { git diff --name-only "$base" -- src; git ls-files --others --exclude-standard src; } | sort -u)
    mapfile -t product < <(comm -12 <(printf '%s\n' "${product[@]}" | sort) <(printf '%s\n' "${changed[@]}" | sort))
  fi
fi
if [ ${#product[@]} -eq 0 ]; then
  echo "lint: clang-tidy: nothing changed"
  exit 0
fi
echo "lint: clang-tidy (${#product[@]} files)"
printf '%s\n' "${product[@]}" | xargs -P "$jobs" -n 1 clang-tidy -p "$build_dir" --quiet 2>&1 \
  | { grep -v -E '^[0-9]+ warnings? generated\.|^Suppressed [0-9]+ warnings|^Use -header-filter' || true; }
# xargs exits 123 when any clang-tidy failed; pipefail carries that out.
