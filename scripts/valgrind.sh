#!/usr/bin/env bash
# valgrind.sh: the integration suite under valgrind memcheck (issue 6).
#
#   valgrind.sh [PROGRAM]   default build/valgrind/check_dynamo, built without
#                           the sanitizers (`make valgrind` builds it)
#
# Runs PROGRAM in Check's no-fork mode under
#   valgrind --leak-check=full --error-exitcode=1
# against the DynamoDB Local named by DYNAMO_LOCAL_HOST / _PORT when
# DYNAMO_ENABLE_LOCAL is set (as scripts/run-tests.sh does), else against a
# private one started here and stopped on exit.  Prints the suite's result,
# valgrind's summaries and the time taken, then one Check-style line
# ("100%: Checks: N, Failures: F, Errors: 0": the suite's checks plus one for
# memcheck) that scripts/run-tests.sh counts.  Exits 0 only when every check
# passed and memcheck found no error and no leak.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh

prog=${1:-build/valgrind/check_dynamo}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-fcgi-valgrind.XXXXXX")
own_ddb=0

cleanup() {
    [ "$own_ddb" = 1 ] && scripts/ddblocal.sh stop "$tmp"
    rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y valgrind >&2 || exit 1
    else
        echo "valgrind.sh: valgrind is missing: sudo apt-get install -y valgrind" >&2
        exit 1
    fi
fi
if [ "${DYNAMO_ENABLE_LOCAL:-}" != 1 ] || [ -z "${DYNAMO_LOCAL_PORT:-}" ]; then
    port=$(scripts/ddblocal.sh start "$tmp") || exit 1
    own_ddb=1
    export DYNAMO_ENABLE_LOCAL=1 DYNAMO_LOCAL_HOST=127.0.0.1 DYNAMO_LOCAL_PORT=$port
    export AWS_ACCESS_KEY_ID=AKIDTESTDYNAMOFCGI AWS_SECRET_ACCESS_KEY=test-secret-key
    export AWS_REGION=us-east-1
fi

start=$SECONDS
CK_FORK=no valgrind --leak-check=full --error-exitcode=1 --log-file="$tmp/valgrind.log" \
    "$prog" >"$tmp/suite.log" 2>&1
rc=$?
took=$((SECONDS - start))

sed 's/^/  /' "$tmp/suite.log"
grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|no leaks are possible' \
    "$tmp/valgrind.log" | sed 's/^==[0-9]*== /  valgrind: /'
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$tmp/valgrind.log" | tail -1)
if [ -z "$errors" ] || [ "$errors" != 0 ]; then
    echo "valgrind.sh: memcheck found errors or leaks; its log:" >&2
    cat "$tmp/valgrind.log" >&2
fi
echo "valgrind.sh: $prog under memcheck took ${took}s"

# The suite's own summary, with one more check: memcheck clean.
read -r checks bad < <(sed -n \
    's/^[0-9]*%: Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\)$/\1 \2 \3/p' \
    "$tmp/suite.log" | awk '{c += $1; b += $2 + $3} END {print c + 0, b + 0}')
checks=$((checks + 1))
[ "${errors:-1}" = 0 ] || bad=$((bad + 1))
[ "$rc" = 0 ] || [ "$bad" -gt 0 ] || bad=1
echo "$(( (checks - bad) * 100 / checks ))%: Checks: $checks, Failures: $bad, Errors: 0"
[ "$bad" -eq 0 ]
