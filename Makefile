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

.PHONY: all deps configure build test unit lint lint-full format demo bench clean sanitize test-sanitize test-asan test-tsan fuzz

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Everything a change must pass: lint, then every test through ctest. One
# OpenMP thread per process: ctest runs $(JOBS) tests at once, and XGBoost's
# workers (the digits training of the end-to-end tests) would otherwise start
# a thread per core in each and spin against each other.
test: build lint
	@OMP_NUM_THREADS=1 ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 300

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

# test-sanitize: the whole test suite under AddressSanitizer, LeakSanitizer
# and UBSan (build-asan), then the model server's concurrency tests under
# ThreadSanitizer (build-tsan). Any report fails the test it came from, child
# processes (the conveyor binary, the digits stages) included. Suppressions in
# tests/sanitizers/ are for third-party libraries only, each with its reason.
# `sanitize` is the target's older name.
SANITIZER_FLAGS := -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
SANITIZER_DIR := $(CURDIR)/tests/sanitizers
# One OpenMP thread per process: XGBoost's workers (the digits training in the
# end-to-end tests) are not instrumented, and two of them per test with ctest
# running two tests spin against each other on 2 cores (two DigitsExample
# tests at once under ASan: 186 s with the default, 34 s with one thread).
ASAN_ENV := \
  OMP_NUM_THREADS=1 \
  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1 \
  LSAN_OPTIONS=suppressions=$(SANITIZER_DIR)/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# XGBoost's OpenMP workers (libgomp) and OpenCV's thread pool are not
# instrumented, so TSan cannot see how they synchronise; one thread per
# prediction keeps XGBoost's and OpenCV's loops on the calling thread, as
# `conveyor serve` runs them by default (src/ml/backend_threads.h). OpenCV's
# DNN module still uses oneTBB's workers: tests/sanitizers/tsan.supp.
TSAN_ENV := \
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(SANITIZER_DIR)/tsan.supp \
  OMP_NUM_THREADS=1 OPENCV_FOR_THREADS_NUM=1
# Tests that cannot run under ASan, a reason beside each (none so far; a test
# name here needs one, a finding in our code is fixed instead).
ASAN_EXCLUDE := ^$$
# The server's tests that run threads against each other: the HTTP server and
# its auth, the model manager's hot swap, request batching, the drift window,
# the access log, the metrics registry and the end-to-end metrics test.
TSAN_TESTS := ^(HttpServerTest|HttpServerAuthTest|ModelManagerTest|BatchingClassifierTest|DriftWindowTest|AccessLogTest|ServingMetricsTest|MetricsEndToEndTest|OnnxServingTest)\.

test-sanitize: test-asan test-tsan

sanitize: test-sanitize

test-asan: deps
	@cmake -S . -B build-asan $(SANITIZER_FLAGS) -DCONVEYOR_SANITIZE=address >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@$(ASAN_ENV) ctest --test-dir build-asan --output-on-failure -j $(JOBS) --timeout 900 \
	  --no-tests=error -E '$(ASAN_EXCLUDE)'

test-tsan: deps
	@cmake -S . -B build-tsan $(SANITIZER_FLAGS) -DCONVEYOR_SANITIZE=thread >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target serving_test
	@$(TSAN_ENV) ctest --test-dir build-tsan --output-on-failure -j $(JOBS) --timeout 900 \
	  --no-tests=error -R '$(TSAN_TESTS)'

# libFuzzer runs of the fuzz targets (fuzz/), FUZZ_SECONDS each (default 60),
# in build-fuzz (clang-14, ASan, UBSan). `make test` runs the same targets
# on their corpus and mutations of it (g++, no libFuzzer).
fuzz: deps
	@bash scripts/fuzz.sh
