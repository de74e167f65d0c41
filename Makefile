# Thin wrapper over CMake: the two commands of the README live here.
#
#   make demo   install what is missing, build, run `uktls demo`
#   make test   install what is missing, build, run every ctest suite:
#               the default build, the ASan+UBSan build, and the
#               threaded tests under ThreadSanitizer

JOBS	?= $(shell nproc 2>/dev/null || echo 2)
CMAKE	?= cmake
CTEST	?= ctest
CTFLAGS	?= --output-on-failure -j$(JOBS)

.PHONY: all deps build build-asan build-tsan demo test test-default \
	test-asan test-tsan release format clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Debug -DUKTLS_WERROR=ON
	$(CMAKE) --build build -j$(JOBS)

build-asan: deps
	$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
	    -DUKTLS_WERROR=ON -DUKTLS_SANITIZE=ON
	$(CMAKE) --build build-asan -j$(JOBS)

build-tsan: deps
	$(CMAKE) -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug \
	    -DUKTLS_WERROR=ON -DUKTLS_TSAN=ON
	$(CMAKE) --build build-tsan -j$(JOBS)

release: deps
	$(CMAKE) -S . -B build-release -DCMAKE_BUILD_TYPE=Release
	$(CMAKE) --build build-release -j$(JOBS)

demo: build
	./build/bin/uktls demo

test-default: build
	cd build && $(CTEST) $(CTFLAGS)

test-asan: build-asan
	cd build-asan && $(CTEST) $(CTFLAGS) -LE nosan

test-tsan: build-tsan
	cd build-tsan && $(CTEST) $(CTFLAGS) -L threads

test: test-default test-asan test-tsan

format:
	clang-format -i src/sys/*.h src/kern/*.c src/netinet/*.c src/dev/*.c 2>/dev/null || true

clean:
	rm -rf build build-asan build-tsan build-release
