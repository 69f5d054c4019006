# Tresor - top-level Makefile.
#
#   make          optimised build of build/tresor
#   make run      install what is missing, build, create a demo account, serve
#   make test     install what is missing, build with ASan+UBSan, run unit and
#                 integration tests
#   make fuzz     build the libFuzzer targets (clang) and run each for FUZZ_SECONDS
#   make bench    benchmarks against Dovecot and Postfix (see bench/README.md)
#   make format   apply .clang-format

CC      ?= cc
PKGS    := libevent libevent_openssl libevent_pthreads openssl sqlite3 libsodium librnp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) $(PKG_CFLAGS) -pthread
LIBS    := $(PKG_LIBS) -pthread -lm

REL_CFLAGS  := $(BASE_CFLAGS) -O2 -g -DNDEBUG_TRESOR
ASAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_CFLAGS := $(BASE_CFLAGS) -O1 -g $(ASAN_FLAGS)

LIB_SRC  := $(sort $(filter-out src/cli/main.c,$(wildcard src/*/*.c)))
MAIN_SRC := src/cli/main.c
HDRS     := $(wildcard src/*/*.h)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

REL_OBJ  := $(patsubst src/%.c,build/obj/%.o,$(LIB_SRC))
TEST_OBJ := $(patsubst src/%.c,build/asan/obj/%.o,$(LIB_SRC))
UNIT_BIN := $(patsubst tests/unit/%.c,build/asan/unit/%,$(UNIT_SRC))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

PYTHON  := /usr/bin/python3
FUZZ_SECONDS ?= 60

.PHONY: all run test unit integration fuzz bench format clean deps

all: build/tresor

deps:
	@scripts/deps.sh

build/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(REL_CFLAGS) -c $< -o $@

build/asan/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "CC (asan) $<"; $(CC) $(TEST_CFLAGS) -c $< -o $@

build/tresor: $(REL_OBJ) $(MAIN_SRC) $(HDRS)
	@echo "LD $@"; $(CC) $(REL_CFLAGS) $(MAIN_SRC) $(REL_OBJ) $(LIBS) -o $@

build/asan/tresor: $(TEST_OBJ) $(MAIN_SRC) $(HDRS)
	@echo "LD $@"; $(CC) $(TEST_CFLAGS) $(MAIN_SRC) $(TEST_OBJ) $(LIBS) -o $@

build/asan/unit/%: tests/unit/%.c $(TEST_OBJ) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(TEST_CFLAGS) $< $(TEST_OBJ) $(LIBS) -lcmocka -o $@

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "FUZZ $@"; clang $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined $< \
		$(LIB_SRC) $(LIBS) -o $@

run: deps build/tresor
	@scripts/run.sh

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: build/asan/tresor
	TRESOR_BIN=$(CURDIR)/build/asan/tresor $(PYTHON) -m pytest -q tests/integration

test: deps
	@$(MAKE) --no-print-directory build/asan/tresor $(UNIT_BIN)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

fuzz: deps $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do \
		name=$$(basename $$f); mkdir -p build/fuzz/corpus-$$name; \
		echo "== $$name ($(FUZZ_SECONDS)s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$$name tests/fuzz/seeds/$$name; \
	done

bench: deps build/tresor
	@bench/run.sh

format:
	clang-format -i $(wildcard src/*/*.[ch] tests/unit/*.c tests/fuzz/*.c)

clean:
	rm -rf build
