#!/usr/bin/env bash
# run.sh: `make run`.  DynamoDB Local with its data kept under var/, the
# example app's tables created, the app as a FastCGI server, and nginx on
# 127.0.0.1:8080 (RUN_PORT) in front; Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

state=$PWD/var/run
mkdir -p "$state" var/dynamodb
http=${RUN_PORT:-8080}

cleanup() {
    trap - EXIT INT TERM
    echo "stopping"
    scripts/nginx.sh stop "$state"
    stop_pid "$state/app.pid"
    scripts/ddblocal.sh stop "$state"
}
# Before the trap: a second `make run` must not stop the first one's servers.
if (exec 3<>"/dev/tcp/127.0.0.1/$http") 2>/dev/null; then
    echo "run: 127.0.0.1:$http is taken (set RUN_PORT to use another port)" >&2
    exit 1
fi
trap cleanup EXIT
trap 'exit 0' INT TERM
ddb=$(scripts/ddblocal.sh start "$state" "$PWD/var/dynamodb")
export DYNAMO_ENABLE_LOCAL=1 DYNAMO_LOCAL_HOST=127.0.0.1 DYNAMO_LOCAL_PORT=$ddb
export DYNAMO_TABLES_FILE=${DYNAMO_TABLES_FILE:-app_skeleton/dynamo.conf}
build/app_skeleton create-all --wait
fcgi=$(free_port)
WEB_LISTEN=127.0.0.1:$fcgi build/app_skeleton serve &
echo $! >"$state/app.pid"
wait_port "$fcgi" 20 "$(cat "$state/app.pid")"
scripts/nginx.sh start "$state" "127.0.0.1:$http" "127.0.0.1:$fcgi"
echo "serving on http://127.0.0.1:$http  (DynamoDB Local on port $ddb, data in var/dynamodb)"
echo "try: curl -X PUT -d '{\"email\":\"a@example.com\"}' http://127.0.0.1:$http/users/alice"
echo "press Ctrl-C to stop"
wait "$(cat "$state/app.pid")" || true
