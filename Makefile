# HeatLink. `make test` works as the first command on a fresh Debian 12 machine.
BUILD      ?= build
FUZZ_BUILD ?= build-fuzz
JOBS       ?= 2
FUZZ_SECONDS ?= 600

.PHONY: all deps configure build test bench fuzz-build fuzz clean

all: build

deps:
	@scripts/deps.sh

configure:
	cmake -S . -B $(BUILD) -G Ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Fuzz targets need clang's libFuzzer with ASan and UBSan, so they get a build of their own.
fuzz-build:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DHEATLINK_FUZZ=ON \
	  -DHEATLINK_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

test: deps
	$(MAKE) build fuzz-build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS) -L fuzz

bench: build
	$(BUILD)/bin/bench_decode

# A long fuzzing session: every target for FUZZ_SECONDS seconds.
fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
