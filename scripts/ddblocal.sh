#!/usr/bin/env bash
# ddblocal.sh: Amazon's DynamoDB Local, from the npm package
# amplify-dynamodb-simulator, cached outside the work tree.
#
#   ddblocal.sh fetch              download once, print the emulator folder
#   ddblocal.sh start DIR [DBPATH] start on a free loopback port (DDB_PORT to
#                                  choose it; in memory,
#                                  or kept on disk in DBPATH); writes
#                                  DIR/ddb.pid and DIR/ddb.port; waits until it answers
#   ddblocal.sh stop DIR           stop the one started with DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PKG=amplify-dynamodb-simulator
VERSION=2.9.30
CACHE=${DYNAMO_FCGI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dynamo-fcgi}
EMU="$CACHE/$PKG-$VERSION/package/emulator"

fetch() {
    if [ ! -f "$EMU/DynamoDBLocal.jar" ]; then
        local tmp
        tmp=$(mktemp -d)
        echo "ddblocal: fetching $PKG@$VERSION from npm" >&2
        (cd "$tmp" && npm pack --silent "$PKG@$VERSION" >/dev/null && tar xzf ./*.tgz)
        mkdir -p "$CACHE"
        rm -rf "$CACHE/$PKG-$VERSION"
        mkdir -p "$CACHE/$PKG-$VERSION"
        mv "$tmp/package" "$CACHE/$PKG-$VERSION/"
        rm -rf "$tmp"
    fi
    echo "$EMU"
}

# Polls until DynamoDB Local answers a request (an HTTP status line), not
# just accepts connections.
wait_ready() {
    local port=$1 pid=$2 end=$((SECONDS + 60)) line
    wait_port "$port" 60 "$pid"
    while (( SECONDS < end )); do
        line=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" &&
                printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3 &&
                head -c 12 <&3) 2>/dev/null || true)
        case "$line" in HTTP/1.1*) return 0 ;; esac
        sleep 0.1
    done
    echo "ddblocal: no answer on port $port after 60s" >&2
    return 1
}

start() {
    local dir=$1 dbpath=${2:-} port pid
    local -a store=(-inMemory)
    fetch >/dev/null
    mkdir -p "$dir"
    if [ -n "$dbpath" ]; then
        mkdir -p "$dbpath"
        store=(-dbPath "$dbpath")
    fi
    port=${DDB_PORT:-$(free_port)}
    # -sharedDb: one database whatever the credentials and region of a caller.
    java -Xmx512m -Djava.library.path="$EMU/DynamoDBLocal_lib" -jar "$EMU/DynamoDBLocal.jar" \
        "${store[@]}" -sharedDb -port "$port" >>"$dir/ddb.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/ddb.pid"
    echo "$port" >"$dir/ddb.port"
    if ! wait_ready "$port" "$pid"; then
        cat "$dir/ddb.log" >&2
        stop_pid "$dir/ddb.pid"
        return 1
    fi
    echo "$port"
}

case "${1:-}" in
fetch) fetch ;;
start) start "${2:?DIR}" "${3:-}" ;;
stop) stop_pid "${2:?DIR}/ddb.pid" ;;
*) echo "usage: $0 fetch | start DIR [DBPATH] | stop DIR" >&2; exit 2 ;;
esac
