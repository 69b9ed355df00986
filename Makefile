# Convenience front-end over CMake. The two commands a new user runs:
#   make demo   install what is missing, build, index seeds/, run a query
#   make test   build and run the whole test suite through ctest
#   make bench  quarry against the peer engines (bench/README.md); long
BUILD ?= build
JOBS ?= $(shell nproc)
QUARRY = $(BUILD)/quarry
DEMO_INDEX = $(BUILD)/seeds.idx

.PHONY: all setup build demo test asan clean bench

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
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# All tests under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DQUARRY_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) build-asan

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
