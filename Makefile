# dynamo-fcgi: one Makefile for the library, the example app, tests and tools.
#
#   make            library + example app         make test    every suite
#   make run        serve the example app         make lint    format + banned calls
#   make bench      benchmarks (never fail)       make install PREFIX= DESTDIR=
#
# Objects go to build/obj (normal) and build/san (ASan + UBSan, for tests).

VERSION := $(shell sed -n 's/^\#define WEB_VERSION "\(.*\)"/\1/p' core/web.h)
SOVERSION := 0
SONAME := libdynamo-fcgi.so.$(SOVERSION)
SHLIB := build/libdynamo-fcgi.so.$(VERSION)
PUBLIC_HEADERS := core/web.h ext/dynamo.h ext/dynamo_client.h

# make install PREFIX=/usr DESTDIR=/tmp/stage
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include

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
VALGRIND_BIN := build/valgrind/check_dynamo

.PHONY: all deps test unit run bench lint clean install tests
all: build/libdynamo-fcgi.a $(SHLIB) build/app_skeleton

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -c $< -o $@

build/libdynamo-fcgi.a: $(LIB_OBJ)
	@rm -f $@
	ar qcs $@ $^

# The shared library, from the normal objects (-fPIC, -fvisibility=hidden:
# only WEB_EXPORT / DYNAMO_EXPORT symbols are exported), with its soname and
# the usual symlinks in build/ too so that tools can link against build/.
$(SHLIB): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
	ln -sf $(@F) build/$(SONAME)
	ln -sf $(SONAME) build/libdynamo-fcgi.so

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

tests: $(ALL_TESTS) $(VALGRIND_BIN)

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

LINT_SRC = $(wildcard core/*.[ch] ext/*.[ch] app_skeleton/*.[ch])
lint:
	clang-format --dry-run -Werror $(LINT_SRC)
	@! grep -nE '\b(sprintf|strcpy|strcat|strtok|atoi|gmtime|localtime|rand)\(' \
		$(LINT_SRC) || (echo "banned call" && false)

# Headers under $(INCLUDEDIR)/dynamo-fcgi (dynamo.h includes web.h and
# dynamo_client.h by quotes, so they stay side by side), both libraries and
# dynamo-fcgi.pc: an app then builds with
#   cc app.c $(pkg-config --cflags --libs dynamo-fcgi)
# The .pc file names its folders relative to ${prefix} when they are under it.
PC_LIBDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

install: build/libdynamo-fcgi.a $(SHLIB)
	install -d $(DESTDIR)$(INCLUDEDIR)/dynamo-fcgi $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/dynamo-fcgi/
	install -m 644 build/libdynamo-fcgi.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libdynamo-fcgi.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libdynamo-fcgi.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(PC_LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		dynamo-fcgi.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/dynamo-fcgi.pc

.PHONY: uninstall
uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/dynamo-fcgi/,$(notdir $(PUBLIC_HEADERS)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/dynamo-fcgi
	rm -f $(DESTDIR)$(LIBDIR)/libdynamo-fcgi.a $(DESTDIR)$(LIBDIR)/libdynamo-fcgi.so \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libdynamo-fcgi.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/pkgconfig/dynamo-fcgi.pc

# Benchmarks (bench/, issue 5): measure and print one table; never fail.
BENCH_BIN := build/bench/micro build/bench/floor_app

build/bench/micro: bench/micro.c build/libdynamo-fcgi.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O2 -o $@ $< build/libdynamo-fcgi.a $(PKG_LIBS)

build/bench/floor_app: bench/floor_app.c build/obj/app_skeleton/routes.o build/libdynamo-fcgi.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O2 -Iapp_skeleton -o $@ $< build/obj/app_skeleton/routes.o \
		build/libdynamo-fcgi.a $(PKG_LIBS)

bench: deps
	@$(MAKE) --no-print-directory build/app_skeleton $(BENCH_BIN)
	@scripts/bench.sh || true

# libFuzzer targets (fuzz/, issue 6), built with clang straight from the library
# sources (objects in build/fuzz/obj, never the gcc ones), with ASan + UBSan.
# `make fuzz` runs each for FUZZ_SECONDS (default 60) on a corpus kept in
# build/fuzz/corpus; `make test` runs each for a few seconds over the seed
# corpus in fuzz/corpus (scripts/fuzz.sh short).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = $(BASE_CFLAGS) -O1 -g $(FUZZ_SAN) $(PKG_CFLAGS)
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_BIN := $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/fuzz_*.c))

build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/%: fuzz/%.c fuzz/fuzz.h $(FUZZ_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -I. -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

.PHONY: fuzz fuzz-build
.SECONDARY: $(FUZZ_OBJ)
fuzz-build: $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh long

# valgrind memcheck on the integration suite (issue 6).  The test programs
# are built with ASan, which valgrind cannot run: this copy of check_dynamo
# is built without sanitizers, against the normal library.  `make valgrind`
# runs it against a private DynamoDB Local; `make test` runs it too.

build/valgrind/%: tests/integration/%.c tests/common/testutil.c build/libdynamo-fcgi.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I. -Itests/common -o $@ $< \
		tests/common/testutil.c build/libdynamo-fcgi.a $(PKG_LIBS) $(CHECK_LIBS)

.PHONY: valgrind soak
valgrind: deps
	@$(MAKE) --no-print-directory $(VALGRIND_BIN)
	@scripts/valgrind.sh $(VALGRIND_BIN)

# A soak (issue 6): wrk, 64 connections for SOAK_SECONDS (default 60) on the
# example app (2 workers) behind nginx, backed by DynamoDB Local; prints
# requests, failures and the app's resident memory.  Not part of `make test`.
SOAK_SECONDS ?= 60
soak: deps
	@$(MAKE) --no-print-directory all
	@SOAK_SECONDS=$(SOAK_SECONDS) scripts/soak.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
