#!/usr/bin/env bash
# test_readme.sh: the C examples of README.md compile, and the programs among
# them report their errors and exit non-zero (docs/conventions.md,
# convention 16).
#
# Every ```c block is pulled out with the "## " section and "### " subsection
# it sits under.  Under "## Using it", three subsections make one program, as
# the README tells a reader to paste them into app.c:
#   "Register the extension in a FastCGI app"        main()
#   "Reach a table from a route handler"             get_user()
#   "Create the tables inside an app-context block"  create_all()
# Checked: the three compile and link as one file against the build tree's
# libraries, each handler block compiles alone after the includes, and the
# program run as a new user would run it fails loudly: with WEB_LISTEN unset
# and stdin not a socket, with a broken tables file, and `create-all` with
# no DynamoDB there, each exits 1 with its error on stderr.  The block
# under "## The DynamoDB client on its own" is a whole program: it must link
# against libdynamo-client alone (no libfcgi), print its usage (exit 2)
# without an argument and exit 1 with the error when DynamoDB is not there.
# Any other C block must compile on its own as a translation unit.
#
# Needs the libraries built (make all); starts no server and contacts
# nothing but a closed loopback port.  Prints "ok NAME" / "FAIL NAME" per
# check, then a Check-style summary line.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/common/shcheck.sh
. scripts/lib.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-fcgi-readme.XXXXXX")
trap 'if [ "$shcheck_failed" -eq 0 ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi' EXIT

USING="Using it"
MAIN_SUB="Register the extension in a FastCGI app"
HANDLER_SUB="Reach a table from a route handler"
CREATE_SUB="Create the tables inside an app-context block"
CLIENT="The DynamoDB client on its own"

# Writes the Nth ```c block of the README into $tmp/block<N>.c and a line
# "N<TAB>section<TAB>subsection" into $tmp/blocks.
awk -v dir="$tmp" '
    /^## / { section = substr($0, 4); sub_ = "" }
    /^### / { sub_ = substr($0, 5) }
    file == "" && /^```c$/ {
        n++; file = dir "/block" n ".c"
        printf "%d\t%s\t%s\n", n, section, sub_ > (dir "/blocks")
        next
    }
    file != "" && /^```$/ { close(file); file = ""; next }
    file != "" { print > file }
' README.md
touch "$tmp/blocks"

# block SECTION [SUBSECTION]: the path of the one block there, or fails.
block() {
    local n
    n=$(awk -F '\t' -v s="$1" -v u="${2-}" '$2 == s && (u == "" || $3 == u) { print $1 }' \
        "$tmp/blocks")
    if [ "$(printf '%s\n' "$n" | grep -c .)" -ne 1 ]; then
        echo "expected one C block under '## $1${2:+ / ### $2}', found: ${n:-none}" >&2
        return 1
    fi
    echo "$tmp/block$n.c"
}

# shellcheck disable=SC2207
CFLAGS_DOC=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wstrict-prototypes
    -Wwrite-strings -Wshadow -Werror -Icore -Iext -Iext/client $(pkg-config --cflags jansson))
# shellcheck disable=SC2207
LIBS_CLIENT=($(pkg-config --libs libcurl libcrypto jansson) -lpthread)
# shellcheck disable=SC2207
LIBS_APP=($(pkg-config --libs fcgi libcurl libcrypto jansson) -lpthread)

libraries_built() {
    local a
    for a in build/libdynamo-fcgi.a build/libdynamo-client.a; do
        [ -f "$a" ] || { echo "$a is missing: run make all first"; return 1; }
    done
}

using_blocks() {
    block "$USING" "$MAIN_SUB" >/dev/null && block "$USING" "$HANDLER_SUB" >/dev/null &&
        block "$USING" "$CREATE_SUB" >/dev/null
}

# main + handler + create_all, one file, linked against the build tree.
app_builds() {
    cat "$(block "$USING" "$MAIN_SUB")" "$(block "$USING" "$HANDLER_SUB")" \
        "$(block "$USING" "$CREATE_SUB")" >"$tmp/app.c" || return 1
    cc "${CFLAGS_DOC[@]}" -o "$tmp/myapp" "$tmp/app.c" build/libdynamo-fcgi.a \
        build/libdynamo-client.a "${LIBS_APP[@]}"
}

handler_alone() {
    { echo '#include "dynamo.h"'; cat "$(block "$USING" "$HANDLER_SUB")"; } \
        >"$tmp/handler.c" &&
        cc "${CFLAGS_DOC[@]}" -Wno-unused-function -fsyntax-only "$tmp/handler.c"
}

create_all_alone() {
    { printf '#include <stdio.h>\n#include "dynamo.h"\n'; cat "$(block "$USING" "$CREATE_SUB")"; } \
        >"$tmp/create_all.c" &&
        cc "${CFLAGS_DOC[@]}" -Wno-unused-function -fsyntax-only "$tmp/create_all.c"
}

cat >"$tmp/dynamo.conf" <<'CONF'
[table users]
hash_key = username S
CONF
printf '[table users]\nhash_kye = username S\n' >"$tmp/bad.conf"
closed_port=$(free_port) || closed_port=9

# run_app TABLES_FILE [ARG...]: the app in a bare environment pointing at a
# DynamoDB Local that is not there, stdin /dev/null; output in $tmp/out,
# exit status in $tmp/rc.
run_app() {
    local tables=$1
    shift
    timeout 60 env -i PATH="$PATH" HOME="$tmp" DYNAMO_TABLES_FILE="$tables" \
        DYNAMO_ENABLE_LOCAL=1 DYNAMO_LOCAL_HOST=127.0.0.1 DYNAMO_LOCAL_PORT="$closed_port" \
        "$tmp/myapp" "$@" </dev/null >"$tmp/out" 2>&1
    echo $? >"$tmp/rc"
}

# expect_fail STATUS PATTERN: the last run exited STATUS with PATTERN (a
# fixed string) in its output.
expect_fail() {
    cat "$tmp/out"
    [ "$(cat "$tmp/rc")" = "$1" ] || { echo "exit status $(cat "$tmp/rc"), expected $1"; return 1; }
    grep -qF -- "$2" "$tmp/out" || { echo "no '$2' in the output"; return 1; }
}

serve_without_socket() {
    run_app "$tmp/dynamo.conf" && expect_fail 1 "myapp: WEB_LISTEN is unset"
}

bad_tables_file() {
    run_app "$tmp/bad.conf" && expect_fail 1 "myapp: $tmp/bad.conf:2:"
}

create_all_without_dynamodb() {
    run_app "$tmp/dynamo.conf" create-all && expect_fail 1 "myapp: create-all: "
}

# The standalone client: libdynamo-client only, no libfcgi.
client_builds() {
    local src
    src=$(block "$CLIENT") || return 1
    cc "${CFLAGS_DOC[@]}" -o "$tmp/client" "$src" build/libdynamo-client.a "${LIBS_CLIENT[@]}" ||
        return 1
    ! readelf -d "$tmp/client" | grep -F libfcgi || { echo "links libfcgi"; return 1; }
}

client_usage() {
    "$tmp/client" </dev/null >"$tmp/out" 2>&1
    echo $? >"$tmp/rc"
    expect_fail 2 "usage:"
}

client_without_dynamodb() {
    timeout 60 env -i PATH="$PATH" HOME="$tmp" AWS_ACCESS_KEY_ID=AKIDTEST \
        AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1 \
        AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$closed_port" \
        "$tmp/client" alice </dev/null >"$tmp/out" 2>&1
    echo $? >"$tmp/rc"
    expect_fail 1 "getuser: "
}

# Every block not checked above compiles as a file of its own.
other_blocks() {
    local n section sub bad=0
    while IFS=$'\t' read -r n section sub; do
        if [ "$section" = "$USING" ] && { [ "$sub" = "$MAIN_SUB" ] ||
            [ "$sub" = "$HANDLER_SUB" ] || [ "$sub" = "$CREATE_SUB" ]; }; then
            continue
        fi
        [ "$section" = "$CLIENT" ] && continue
        cc "${CFLAGS_DOC[@]}" -c -o "$tmp/block$n.o" "$tmp/block$n.c" ||
            { echo "block $n (## $section / ### $sub) does not compile alone"; bad=1; }
    done <"$tmp/blocks"
    return $bad
}

check "libraries built" libraries_built
check "'Using it' has the main, handler and create_all examples" using_blocks
check "the three 'Using it' examples build as one program" app_builds
check "the handler example compiles alone" handler_alone
check "the create_all example compiles alone" create_all_alone
check "the app without WEB_LISTEN or a socket exits 1 with the error" serve_without_socket
check "the app with a broken tables file exits 1 with FILE:LINE:COL" bad_tables_file
check "the app's create-all without DynamoDB exits 1 with the error" \
    create_all_without_dynamodb
check "the client example builds against libdynamo-client alone" client_builds
check "the client example without an argument prints its usage" client_usage
check "the client example without DynamoDB exits 1 with the error" client_without_dynamodb
check "every other C block compiles" other_blocks
check_summary
