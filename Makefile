# dynamo-fcgi: one Makefile for the library, the example app, tests and tools.
#
#   make            library + example app         make test    every suite
#   make run        serve the example app         make lint    format + banned calls
#   make bench      benchmarks (never fail)       make install PREFIX= DESTDIR=
#
# Objects go to build/obj (normal) and build/san (ASan + UBSan, for tests).

VERSION := $(shell sed -n 's/^\#define WEB_VERSION "\(.*\)"/\1/p' core/web.h)
SOVERSION := 0

CC ?= cc
PKGS := fcgi libcurl libcrypto jansson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wstrict-prototypes -Wwrite-strings -Wshadow -Werror
OPT ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
	-fvisibility=hidden -fPIC -MMD -MP -Icore -Iext
ALL_CFLAGS = $(BASE_CFLAGS) $(OPT) $(PKG_CFLAGS) $(CFLAGS)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC := $(wildcard core/*.c ext/*.c)
LIB_OBJ := $(LIB_SRC:%.c=build/obj/%.o)
SAN_OBJ := $(LIB_SRC:%.c=build/san/%.o)
APP_SRC := $(wildcard app_skeleton/*.c)
TEST_COMMON := $(wildcard tests/common/*.c)

UNIT_TESTS := $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/check_*.c))
INTEG_TESTS := $(patsubst tests/integration/%.c,build/tests/%,\
	$(wildcard tests/integration/check_*.c))
E2E_TESTS := $(patsubst tests/e2e/%.c,build/tests/%,$(wildcard tests/e2e/check_*.c))
ALL_TESTS := $(UNIT_TESTS) $(INTEG_TESTS) $(E2E_TESTS)

.PHONY: all deps test unit run bench lint clean install tests
all: build/libdynamo-fcgi.a build/app_skeleton

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -c $< -o $@

build/libdynamo-fcgi.a: $(LIB_OBJ)
	@rm -f $@
	ar qcs $@ $^

build/san/libdynamo-fcgi.a: $(SAN_OBJ)
	@rm -f $@
	ar qcs $@ $^

build/app_skeleton: $(APP_SRC:%.c=build/obj/%.o) build/libdynamo-fcgi.a
	$(CC) $(OPT) -o $@ $^ $(PKG_LIBS)

# Test programs are built with the sanitizers against the sanitized library.
TEST_LINK = $(CC) $(ALL_CFLAGS) $(SAN) $(CHECK_CFLAGS) -I. -Itests/common -o $@ $< \
	$(TEST_COMMON) build/san/libdynamo-fcgi.a $(PKG_LIBS) $(CHECK_LIBS)

build/tests/%: tests/unit/%.c $(TEST_COMMON) build/san/libdynamo-fcgi.a
	@mkdir -p $(@D)
	$(TEST_LINK)

build/tests/%: tests/integration/%.c $(TEST_COMMON) build/san/libdynamo-fcgi.a
	@mkdir -p $(@D)
	$(TEST_LINK)

build/tests/%: tests/e2e/%.c $(TEST_COMMON) build/san/libdynamo-fcgi.a
	@mkdir -p $(@D)
	$(TEST_LINK)

tests: $(ALL_TESTS)

deps:
	@scripts/deps.sh

# Unit suites only: no server, no network.
unit: deps
	@$(MAKE) --no-print-directory all $(UNIT_TESTS)
	@scripts/run-tests.sh unit

test: deps
	@$(MAKE) --no-print-directory all tests
	@scripts/run-tests.sh all

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

lint:
	clang-format --dry-run -Werror core/*.[ch] ext/*.[ch] app_skeleton/*.c
	@! grep -nE '\b(sprintf|strcpy|strcat|strtok|atoi|gmtime|localtime|rand)\(' \
		core/*.c ext/*.c app_skeleton/*.c || (echo "banned call" && false)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
