# conveyor's two set-up commands, `make demo` and `make test`, and the targets
# they are built from. Every target installs what is missing first.

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# ccache keys on paths relative to the checkout, so a fresh clone (CI's) reuses
# what an earlier build of the same sources compiled elsewhere. Objects built
# with debug info then name the first checkout's directory in it.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
# The ASan, TSan and release trees together outgrow ccache's 5 GB default.
export CCACHE_MAXSIZE ?= 20G

.PHONY: all deps configure build test unit lint lint-full format demo bench clean sanitize fuzz

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Everything a change must pass: lint, then every test through ctest.
test: build lint
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 300

unit: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

lint: configure
	@bash scripts/lint.sh $(BUILD_DIR)

lint-full: configure
	@bash scripts/lint.sh $(BUILD_DIR) --full

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

demo: build
	@bash examples/run-demo.sh $(BUILD_DIR)/src/cli/conveyor

bench: build
	@bash bench/run.sh $(BUILD_DIR)

clean:
	@rm -rf $(BUILD_DIR)

# The whole test suite under AddressSanitizer and UBSan, in its own build tree.
sanitize: deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCONVEYOR_SANITIZE=ON \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS)

# libFuzzer runs of the fuzz targets (fuzz/), FUZZ_SECONDS each (default 60),
# in build-fuzz (clang-14, ASan, UBSan). `make test` runs the same targets
# on their corpus and mutations of it (g++, no libFuzzer).
fuzz: deps
	@bash scripts/fuzz.sh
