#!/usr/bin/env bash
# test_install.sh: `make install` into a temporary DESTDIR, then a new app
# (tests/install/app.c) built against the installed copy with pkg-config
# alone, linked both to the shared and to the static library, and run.
# Also checks the soname and that the shared library exports only web_* and
# dynamo_* symbols (docs/conventions.md, convention 2).  No network, no server.
#
# Prints "ok NAME" / "FAIL NAME" per check, then a Check-style summary line;
# exits non-zero if any check failed.  The temporary folder is kept on failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/common/shcheck.sh

# A sub-make of its own, not a part of the caller's (make test) job server.
unset MAKEFLAGS MFLAGS MAKELEVEL

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-fcgi-install.XXXXXX")
trap 'if [ "$shcheck_failed" -eq 0 ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi' EXIT

version=$(sed -n 's/^#define WEB_VERSION "\(.*\)"/\1/p' core/web.h)
soversion=$(sed -n 's/^SOVERSION := //p' Makefile)
stage=$tmp/stage
lib=$stage/usr/lib
inc=$stage/usr/include/dynamo-fcgi
shlib=$lib/libdynamo-fcgi.so.$version

# pkg-config against the staged copy: the .pc file says prefix=/usr, and the
# sysroot makes its -I and -L point into the stage.
pc() {
    PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage pkg-config "$@"
}

installed_files() {
    local f
    for f in "$inc/web.h" "$inc/dynamo.h" "$inc/dynamo_client.h" \
        "$lib/libdynamo-fcgi.a" "$shlib" "$lib/pkgconfig/dynamo-fcgi.pc"; do
        [ -f "$f" ] || { echo "missing $f"; return 1; }
    done
    if [ "$(readlink "$lib/libdynamo-fcgi.so.$soversion")" != "libdynamo-fcgi.so.$version" ] ||
        [ "$(readlink "$lib/libdynamo-fcgi.so")" != "libdynamo-fcgi.so.$soversion" ]; then
        ls -l "$lib"
        echo "bad symlinks"
        return 1
    fi
}

pc_file() {
    local v cflags
    v=$(pc --modversion dynamo-fcgi) || return 1
    [ "$v" = "$version" ] || { echo "modversion $v, expected $version"; return 1; }
    # Without the sysroot the file names the real install folders.
    cflags=$(PKG_CONFIG_PATH=$lib/pkgconfig pkg-config --cflags dynamo-fcgi) || return 1
    [[ " $cflags " == *" -I/usr/include/dynamo-fcgi "* ]] ||
        { echo "cflags: $cflags"; return 1; }
}

soname() {
    readelf -d "$shlib" | grep -F "Library soname: [libdynamo-fcgi.so.$soversion]" ||
        { readelf -d "$shlib"; return 1; }
}

# Convention 2: every exported symbol is web_* or dynamo_*.
exports() {
    local syms bad
    syms=$(nm -D --defined-only "$shlib" | awk '{ print $NF }') || return 1
    bad=$(printf '%s\n' "$syms" | grep -vE '^(web_|dynamo_)')
    if [ -n "$bad" ]; then
        echo "exported symbols outside web_* / dynamo_*:"
        printf '%s\n' "$bad"
        return 1
    fi
    if ! grep -qx web_app_new <<<"$syms" || ! grep -qx dynamo_new <<<"$syms"; then
        echo "web_app_new or dynamo_new not exported"
        return 1
    fi
}

CFLAGS_APP=(-std=c11 -Wall -Wextra -Wstrict-prototypes -Werror)

build_shared() {
    # shellcheck disable=SC2046 # pkg-config output is a list of words
    cc "${CFLAGS_APP[@]}" -o "$tmp/app" tests/install/app.c \
        $(pc --cflags --libs dynamo-fcgi) -Wl,-rpath,"$lib" || return 1
    readelf -d "$tmp/app" | grep -F "Shared library: [libdynamo-fcgi.so.$soversion]" ||
        { echo "app does not need libdynamo-fcgi.so.$soversion"; return 1; }
    ldd "$tmp/app" | grep -F "libdynamo-fcgi.so.$soversion => $lib/" ||
        { ldd "$tmp/app"; return 1; }
}

# The static archive, with the .pc file's public libraries and those of its
# Requires.private (themselves linked shared: `pkg-config --static` would ask
# for every static dependency of libcurl too).
build_static() {
    local libs priv
    priv=$( { pc --print-requires-private dynamo-fcgi && pc --print-requires-private dynamo-client; } | awk '{ print $1 }') || return 1
    # shellcheck disable=SC2086
    libs="$(pc --libs-only-l dynamo-fcgi | sed 's/-ldynamo-fcgi//; s/-ldynamo-client//') $(pc --libs $priv)" ||
        return 1
    # shellcheck disable=SC2046,SC2086
    cc "${CFLAGS_APP[@]}" -o "$tmp/app-static" tests/install/app.c \
        $(pc --cflags dynamo-fcgi) "$lib/libdynamo-fcgi.a" "$lib/libdynamo-client.a" $libs || return 1
    ! readelf -d "$tmp/app-static" | grep -F libdynamo-fcgi ||
        { echo "app-static needs the shared library"; return 1; }
}

cat >"$tmp/tables.conf" <<'CONF'
[table users]
hash_key = username S

[table events]
hash_key  = user_id S
range_key = ts N
CONF
printf '[table users]\nhash_kye = username S\n' >"$tmp/bad.conf"

# Only the keys the app reads: DynamoDB Local settings make the client use
# fixed local credentials, and nothing is ever sent.
run_env() {
    env -i PATH="$PATH" DYNAMO_TABLES_FILE="$1" DYNAMO_TABLE_PREFIX=inst- \
        DYNAMO_ENABLE_LOCAL=1 DYNAMO_LOCAL_HOST=127.0.0.1 DYNAMO_LOCAL_PORT=9 "${@:2}"
}

run_app() {
    local out
    out=$(run_env "$tmp/tables.conf" "$1" /tables/users /tables/nope) ||
        { echo "$out"; return 1; }
    echo "$out"
    grep -q '^200 .*"full_name": *"inst-users"' <<<"$out" &&
        grep -q '^200 .*"hash_key": *"username"' <<<"$out" &&
        grep -q '^404 .*"error"' <<<"$out" &&
        grep -qx "dynamo-fcgi $version: 2 tables" <<<"$out"
}

# A mistake in the tables file: the app refuses to start, naming FILE:LINE:COL.
refuses_bad_tables() {
    local out
    if out=$(run_env "$tmp/bad.conf" "$tmp/app" /tables/users 2>&1); then
        echo "$out"
        echo "app started with a bad tables file"
        return 1
    fi
    echo "$out"
    grep -qF "$tmp/bad.conf:2:" <<<"$out"
}

uninstall() {
    make --no-print-directory -s uninstall DESTDIR="$stage" PREFIX=/usr || return 1
    [ -z "$(find "$stage" ! -type d)" ] || { find "$stage" ! -type d; return 1; }
}

check "make install DESTDIR PREFIX=/usr" \
    make --no-print-directory -s install DESTDIR="$stage" PREFIX=/usr
# Nothing else can pass without an installed copy.
[ "$shcheck_failed" -eq 0 ] || { check_summary; exit 1; }
check "installed files and symlinks" installed_files
check "dynamo-fcgi.pc: version and cflags" pc_file
check "soname libdynamo-fcgi.so.$soversion" soname
check "exports only web_* and dynamo_*" exports
check "app builds with pkg-config (shared, rpath)" build_shared
check "app runs against the shared library" run_app "$tmp/app"
check "app refuses a bad tables file" refuses_bad_tables
check "app builds against libdynamo-fcgi.a" build_static
check "app runs against the static library" run_app "$tmp/app-static"
check "make uninstall removes every file" uninstall
check_summary
