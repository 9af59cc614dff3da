#!/usr/bin/env bash
# test_readme.sh: the C examples of README.md's "Using it" section compile
# (STYLE.md, convention 16).
#
# The ```c blocks of that section are pulled out in order:
#   1. a FastCGI app's main()       2. a route handler       3. create_all
# and compiled against core/web.h and ext/dynamo.h with the project's
# warnings as errors:
#   - 1 followed by 2 as one translation unit, as a reader pastes them into
#     app.c (1 names the handler 2 defines);
#   - 2 alone after #include "dynamo.h";
#   - 3 as the body of a function given `app` and `dynamo`.
# Prints "ok NAME" / "FAIL NAME" per check, then a Check-style summary line.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/common/shcheck.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-fcgi-readme.XXXXXX")
trap 'if [ "$shcheck_failed" -eq 0 ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi' EXIT

# Writes the Nth ```c block of the section into $tmp/snippet<N>.c.
awk -v dir="$tmp" '
    /^## / { in_section = ($0 == "## Using it") }
    in_section && /^```c$/ { n++; file = dir "/snippet" n ".c"; next }
    file != "" && /^```$/ { close(file); file = ""; next }
    file != "" { print > file }
' README.md

# shellcheck disable=SC2207
CFLAGS_DOC=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wstrict-prototypes
    -Wwrite-strings -Wshadow -Werror -Icore -Iext -Iext/client $(pkg-config --cflags jansson))

three_snippets() {
    local n
    n=$(find "$tmp" -name 'snippet*.c' | wc -l)
    [ "$n" -eq 3 ] || { echo "found $n C blocks under '## Using it', expected 3"; return 1; }
}

app_with_handler() {
    cat "$tmp/snippet1.c" "$tmp/snippet2.c" >"$tmp/app.c" &&
        cc "${CFLAGS_DOC[@]}" -c -o "$tmp/app.o" "$tmp/app.c"
}

handler_alone() {
    { echo '#include "dynamo.h"'; cat "$tmp/snippet2.c"; } >"$tmp/handler.c" &&
        cc "${CFLAGS_DOC[@]}" -Wno-unused-function -fsyntax-only "$tmp/handler.c"
}

create_all_block() {
    {
        printf '#include <stdio.h>\n#include "dynamo.h"\n'
        printf 'void snippet3(struct web_app *app, struct dynamo *dynamo);\n'
        printf 'void\nsnippet3(struct web_app *app, struct dynamo *dynamo)\n{\n'
        cat "$tmp/snippet3.c"
        printf '}\n'
    } >"$tmp/create_all.c" &&
        cc "${CFLAGS_DOC[@]}" -fsyntax-only "$tmp/create_all.c"
}

check "README 'Using it' has three C examples" three_snippets
check "example 1 (main) + example 2 (handler) compile as one file" app_with_handler
check "example 2 (handler) compiles alone" handler_alone
check "example 3 (create_all block) compiles in a function" create_all_block
check_summary
