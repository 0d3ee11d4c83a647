# HeatLink. `make test` works as the first command on a fresh Debian 12 machine.
BUILD      ?= build
FUZZ_BUILD ?= build-fuzz
JOBS       ?= 2
FUZZ_SECONDS ?= 600
FUZZ_TEST_SECONDS ?= 20

.PHONY: all deps configure build test test-live bench fuzz-build fuzz format format-check tidy clean demo

all: build

deps:
	@scripts/deps.sh

configure:
	cmake -S . -B $(BUILD) -G Ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# clang with AddressSanitizer and UndefinedBehaviorSanitizer: every test runs again here,
# and the libFuzzer targets run for FUZZ_TEST_SECONDS each.
fuzz-build:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DHEATLINK_FUZZ=ON \
	  -DHEATLINK_SANITIZE=address,undefined -DHEATLINK_BENCH=OFF -DHEATLINK_WEB=OFF -DHEATLINK_PANEL=OFF \
	  -DHEATLINK_FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# The sanitizer build runs every test but the longest wall-clock runs of whole processes (a
# 300-meter segment over a pseudo-terminal, kill -9 in mid-cycle, the live scenario): those run
# in the release build only, which keeps `make test` within its half hour on two cores.
SANITIZER_SKIP ?= TechnicianPty|KillDashNine|scenario_live

# The storage tests need a PostgreSQL server: a throwaway cluster lives for the test run.
PG_TEST_DIR ?= /tmp/heatlink-pg-test-$(shell id -u)

test: deps
	$(MAKE) format-check build fuzz-build
	url=$$(scripts/pg-test-cluster.sh start $(PG_TEST_DIR)) && \
	  export HEATLINK_TEST_POSTGRESQL="$$url" && \
	  ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE live_library && \
	  ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS) -E '$(SANITIZER_SKIP)'; \
	  status=$$?; scripts/pg-test-cluster.sh stop $(PG_TEST_DIR); exit $$status

# The scenario library live: each scenario with a timeline, master and simulator as processes
# over TCP at a high pace (tests/harness/live-library.txt; about an hour).
test-live: build
	ctest --test-dir $(BUILD) --output-on-failure -L live_library

bench: build
	$(BUILD)/bin/bench_decode
	$(BUILD)/bin/bench_sim
	$(BUILD)/bin/bench_storage 1000000 20000
	$(BUILD)/bin/bench_cycle 34
	$(BUILD)/bin/bench_master_memory 10000 300

# A long fuzzing session: every target for FUZZ_SECONDS seconds.
fuzz:
	$(MAKE) fuzz-build FUZZ_TEST_SECONDS=$(FUZZ_SECONDS)
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS) -L fuzz

SOURCES = $(shell git ls-files --cached --others --exclude-standard '*.cc' '*.h')

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run --Werror $(SOURCES)

tidy: configure
	clang-tidy -p $(BUILD) --quiet $(filter %.cc,$(SOURCES))

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)

# The README's main command: the master on SQLite with a simulated district feeding it, the
# browser UI on http://127.0.0.1:8080/ (scripts/demo.sh); Ctrl-C stops it. It builds only
# what it runs: `heatlink` and the UI (npm ci runs again only when the lock file changed).
demo: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target heatlink web
	@scripts/demo.sh
