# Thin wrapper over CMake + Ninja + CTest. `make run` and `make test` are the
# two commands the README promises on a fresh Debian machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
DATA_DIR   ?= ./var
LISTEN     ?= 127.0.0.1:8080
CTEST_ARGS ?= --output-on-failure -j2

.PHONY: all deps build debug run test asan fuzz lint fmt clean install

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD)

run: build
	@scripts/run-demo.sh $(BUILD)/lcwd $(DATA_DIR) $(LISTEN)

test: build
	cd $(BUILD) && ctest $(CTEST_ARGS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLCW_SANITIZE=ON

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS)

$(FUZZ_BUILD)/build.ninja:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLCW_FUZZ=ON \
	    -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link,address,undefined

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD)
	cd $(FUZZ_BUILD) && ctest --output-on-failure -L fuzz

lint:
	scripts/lint.sh

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

install: build
	install -D -m 0755 $(BUILD)/lcwd $(DESTDIR)/usr/local/sbin/lcwd
	install -D -m 0755 $(BUILD)/lcw $(DESTDIR)/usr/local/bin/lcw
	install -D -m 0644 docs/man/lcw.1 $(DESTDIR)/usr/local/share/man/man1/lcw.1
	install -D -m 0644 docs/man/lcwd.8 $(DESTDIR)/usr/local/share/man/man8/lcwd.8
	install -d $(DESTDIR)/usr/local/share/bash-completion/completions
	$(BUILD)/lcw completion bash > $(DESTDIR)/usr/local/share/bash-completion/completions/lcw
	install -d $(DESTDIR)/usr/local/share/lcw
	cp -R web $(DESTDIR)/usr/local/share/lcw/

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
