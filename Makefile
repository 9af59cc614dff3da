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
CLIENT_SONAME := libdynamo-client.so.$(SOVERSION)
CLIENT_SHLIB := build/libdynamo-client.so.$(VERSION)
PUBLIC_HEADERS := core/web.h ext/dynamo.h ext/client/dynamo_client.h

# make install PREFIX=/usr DESTDIR=/tmp/stage
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include

CC ?= cc
# Each layer compiles with only the libraries and include folders it may use
# (docs/architecture.md): an include in the wrong direction fails the build.
#   util/        -Iutil                                (no library)
#   core/        -Icore -Iutil                         fcgi jansson
#   ext/client/  -Iext/client -Iutil                   libcurl libcrypto jansson
#   ext/         -Iext -Iext/client -Icore -Iutil      all of them
CLIENT_PKGS := libcurl libcrypto jansson
PKGS := fcgi $(CLIENT_PKGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
CLIENT_LIBS = $(shell pkg-config --libs $(CLIENT_PKGS) 2>/dev/null) -lpthread
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wstrict-prototypes -Wwrite-strings -Wshadow -Werror
OPT ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
	-fvisibility=hidden -fPIC -MMD -MP
ALL_CFLAGS = $(BASE_CFLAGS) $(OPT) $(PKG_CFLAGS) $(CFLAGS)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

INC_util := -Iutil
INC_core := -Icore -Iutil
INC_client := -Iext/client -Iutil
INC_ext := -Iext -Iext/client -Icore -Iutil
# Programs outside the library (app, tests, bench, fuzz) see every layer.
INC_ALL := -I. $(INC_ext)
# The layer of a source file, from its folder.
layer = $(if $(filter ext/client/%,$1),client,$(if $(filter ext/%,$1),ext,$(firstword $(subst /, ,$1))))

UTIL_SRC := $(wildcard util/*.c)
CORE_SRC := $(wildcard core/*.c)
CLIENT_SRC := $(wildcard ext/client/*.c)
EXT_SRC := $(wildcard ext/*.c)
LIB_SRC := $(UTIL_SRC) $(CORE_SRC) $(CLIENT_SRC) $(EXT_SRC)
CLIENT_PART := $(UTIL_SRC) $(CLIENT_SRC)
FCGI_PART := $(CORE_SRC) $(EXT_SRC)
LIB_OBJ := $(LIB_SRC:%.c=build/obj/%.o)
SAN_OBJ := $(LIB_SRC:%.c=build/san/%.o)
APP_SRC := $(wildcard app_skeleton/*.c)
TEST_COMMON := $(wildcard tests/common/*.c)

# The client is a library of its own (libdynamo-client, dynamo-client.pc),
# built and linked without libfcgi; libdynamo-fcgi holds the framework and
# the extension and requires it.  Link order: -ldynamo-fcgi -ldynamo-client.
CLIENT_A := build/libdynamo-client.a
FCGI_A := build/libdynamo-fcgi.a
LIBS_A := $(FCGI_A) $(CLIENT_A)
SAN_LIBS_A := build/san/libdynamo-fcgi.a build/san/libdynamo-client.a

UNIT_TESTS := $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/check_*.c))
INTEG_TESTS := $(patsubst tests/integration/%.c,build/tests/%,\
	$(wildcard tests/integration/check_*.c))
E2E_TESTS := $(patsubst tests/e2e/%.c,build/tests/%,$(wildcard tests/e2e/check_*.c))
ALL_TESTS := $(UNIT_TESTS) $(INTEG_TESTS) $(E2E_TESTS)
VALGRIND_BIN := build/valgrind/check_dynamo

.PHONY: all deps test unit run bench lint clean install tests
all: $(LIBS_A) $(SHLIB) $(CLIENT_SHLIB) build/app_skeleton

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(INC_$(call layer,$<)) -c $< -o $@

build/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) $(INC_$(call layer,$<)) -c $< -o $@

$(CLIENT_A): $(CLIENT_PART:%.c=build/obj/%.o)
	@rm -f $@
	ar qcs $@ $^

$(FCGI_A): $(FCGI_PART:%.c=build/obj/%.o)
	@rm -f $@
	ar qcs $@ $^

# The shared libraries, from the normal objects (-fPIC, -fvisibility=hidden:
# only WEB_EXPORT / DYNAMO_EXPORT symbols are exported), with their sonames
# and the usual symlinks in build/ too so that tools can link against build/.
$(CLIENT_SHLIB): $(CLIENT_PART:%.c=build/obj/%.o)
	$(CC) -shared -Wl,-soname,$(CLIENT_SONAME) -Wl,--no-undefined $(LDFLAGS) -o $@ $^ \
		$(CLIENT_LIBS)
	ln -sf $(@F) build/$(CLIENT_SONAME)
	ln -sf $(CLIENT_SONAME) build/libdynamo-client.so

$(SHLIB): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
	ln -sf $(@F) build/$(SONAME)
	ln -sf $(SONAME) build/libdynamo-fcgi.so

build/san/libdynamo-client.a: $(CLIENT_PART:%.c=build/san/%.o)
	@rm -f $@
	ar qcs $@ $^

build/san/libdynamo-fcgi.a: $(FCGI_PART:%.c=build/san/%.o)
	@rm -f $@
	ar qcs $@ $^

build/obj/app_skeleton/%.o: app_skeleton/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iext -Iext/client -Icore -c $< -o $@

build/app_skeleton: $(APP_SRC:%.c=build/obj/%.o) $(LIBS_A)
	$(CC) $(OPT) -o $@ $^ $(PKG_LIBS)

# Test programs are built with the sanitizers against the sanitized library.
TEST_LINK = $(CC) $(ALL_CFLAGS) $(SAN) $(CHECK_CFLAGS) $(INC_ALL) -Itests/common -o $@ $< \
	$(TEST_COMMON) $(SAN_LIBS_A) $(PKG_LIBS) $(CHECK_LIBS)

build/tests/%: tests/unit/%.c $(TEST_COMMON) $(SAN_LIBS_A)
	@mkdir -p $(@D)
	$(TEST_LINK)

build/tests/%: tests/integration/%.c $(TEST_COMMON) $(SAN_LIBS_A)
	@mkdir -p $(@D)
	$(TEST_LINK)

build/tests/%: tests/e2e/%.c $(TEST_COMMON) $(SAN_LIBS_A)
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

LINT_SRC = $(wildcard util/*.[ch] core/*.[ch] ext/*.[ch] ext/client/*.[ch] app_skeleton/*.[ch])
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

PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(PC_LIBDIR)|' \
	-e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|'

install: $(LIBS_A) $(SHLIB) $(CLIENT_SHLIB)
	install -d $(DESTDIR)$(INCLUDEDIR)/dynamo-fcgi $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/dynamo-fcgi/
	install -m 644 $(LIBS_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHLIB) $(CLIENT_SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libdynamo-fcgi.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libdynamo-fcgi.so
	ln -sf libdynamo-client.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(CLIENT_SONAME)
	ln -sf $(CLIENT_SONAME) $(DESTDIR)$(LIBDIR)/libdynamo-client.so
	$(PC_SED) dynamo-fcgi.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/dynamo-fcgi.pc
	$(PC_SED) ext/client/dynamo-client.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/dynamo-client.pc

.PHONY: uninstall
uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/dynamo-fcgi/,$(notdir $(PUBLIC_HEADERS)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/dynamo-fcgi
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libdynamo-fcgi.a libdynamo-fcgi.so $(SONAME) \
		libdynamo-fcgi.so.$(VERSION) libdynamo-client.a libdynamo-client.so \
		$(CLIENT_SONAME) libdynamo-client.so.$(VERSION) pkgconfig/dynamo-fcgi.pc \
		pkgconfig/dynamo-client.pc)

# Benchmarks (bench/, issue 5): measure and print one table; never fail.
BENCH_BIN := build/bench/micro build/bench/floor_app

build/bench/micro: bench/micro.c $(CLIENT_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(INC_ALL) -O2 -o $@ $< $(CLIENT_A) $(CLIENT_LIBS)

build/bench/floor_app: bench/floor_app.c build/obj/app_skeleton/routes.o $(LIBS_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(INC_ALL) -O2 -Iapp_skeleton -o $@ $< build/obj/app_skeleton/routes.o \
		$(LIBS_A) $(PKG_LIBS)

bench: deps
	@$(MAKE) --no-print-directory build/app_skeleton $(BENCH_BIN)
	@scripts/bench.sh || true
	@scripts/bench-latency.sh || true

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
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(INC_$(call layer,$<)) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/%: fuzz/%.c fuzz/fuzz.h $(FUZZ_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(INC_ALL) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

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

build/valgrind/%: tests/integration/%.c tests/common/testutil.c $(LIBS_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(INC_ALL) -Itests/common -o $@ $< \
		tests/common/testutil.c $(LIBS_A) $(PKG_LIBS) $(CHECK_LIBS)

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
