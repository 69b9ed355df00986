# Convenience front-end over CMake. The two commands a new user runs:
#   make demo   install what is missing, build, index seeds/, run a query
#   make test   build and run the whole test suite through ctest, then again
#               in an ASan + UBSan build (SANITIZE=0 skips that second pass)
# Reliability (docs/RELIABILITY.md):
#   make fuzz      every libFuzzer target for FUZZ_TIME seconds (default 60)
#   make valgrind  the end-to-end tests and fuzz replays under valgrind memcheck
#   make bench     quarry against the peer engines (bench/README.md); long
BUILD ?= build
JOBS ?= $(shell nproc)
SANITIZE ?= 1
FUZZ_TIME ?= 60
QUARRY = $(BUILD)/quarry
DEMO_INDEX = $(BUILD)/seeds.idx

.PHONY: all setup build demo test asan fuzz valgrind clean bench

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: setup $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(QUARRY) index -o $(DEMO_INDEX) seeds/
	$(QUARRY) search -x $(DEMO_INDEX) "levée de fonds xAI"

test: build
	@bash scripts/install-fuzz-deps.sh
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
ifneq ($(SANITIZE),0)
	@$(MAKE) --no-print-directory asan
endif

# All tests under AddressSanitizer + UndefinedBehaviorSanitizer (any report
# fails the test: UBSan does not recover, ASan checks leaks at exit).
asan: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DQUARRY_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# libFuzzer, clang-14, ASan + UBSan; crashes land in build-fuzz/artifacts/.
fuzz: setup
	@bash scripts/install-fuzz-deps.sh
	bash scripts/fuzz.sh -t $(FUZZ_TIME) -b build-fuzz -j $(JOBS)

valgrind: build
	@bash scripts/install-fuzz-deps.sh
	bash scripts/valgrind-e2e.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-fuzz

# BM25 benchmark: quarry and the peers (Tantivy, Lucene, PISA, Xapian, SQLite
# FTS5, bm25s) on generated corpora; writes bench/results/<date>-<machine>.*
# and the table in README.md. Peers live in their own venv (never needed by
# `make test`). 10^7 passages needs ~5 GB for the corpus plus the indexes:
#   make bench BENCH_SIZES=10000,100000,1000000,10000000
BENCH_SIZES ?= 10000,100000,1000000
BENCH_ARGS ?=
bench: build
	@py=$$(bash scripts/bench-venv.sh) && \
	  $$py bench/peers/run.py --sizes $(BENCH_SIZES) --quarry $(QUARRY) --gen $(BUILD)/bench/corpusgen \
	    --readme README.md $(BENCH_ARGS)
