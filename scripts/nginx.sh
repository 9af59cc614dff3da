#!/usr/bin/env bash
# nginx.sh: a private nginx in front of the app, for `make run` and the tests.
#
#   nginx.sh start DIR LISTEN FASTCGI   LISTEN: nginx's address (127.0.0.1:8080);
#                                       FASTCGI: the app's (127.0.0.1:9000 or
#                                       unix:/path); writes DIR/nginx.pid
#   nginx.sh stop DIR
# The site (upstream + server block) is app_skeleton/deploy/nginx-site.conf,
# filled in.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

start() {
    local dir=$1 listen=$2 fastcgi=$3 pid user=""
    mkdir -p "$dir/nginx/tmp"
    # As root nginx's workers would switch to "nobody", who cannot enter a
    # private mktemp folder: keep them as the current user.
    [ "$(id -u)" = 0 ] && user="user root;"
    sed -e "s|@LISTEN@|$listen|" -e "s|@FASTCGI@|$fastcgi|" \
        "$here/../app_skeleton/deploy/nginx-site.conf" >"$dir/nginx/site.conf"
    cat >"$dir/nginx/nginx.conf" <<CONF
$user
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/tmp/body;
    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
    proxy_temp_path $dir/nginx/tmp/proxy;
    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
    scgi_temp_path $dir/nginx/tmp/scgi;
    default_type application/octet-stream;
    include $dir/nginx/site.conf;
}
CONF
    "$NGINX" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' \
        >/dev/null 2>>"$dir/nginx/error.log" &
    pid=$!
    echo "$pid" >"$dir/nginx.pid"
    if ! wait_port "${listen##*:}" 20 "$pid"; then
        cat "$dir/nginx/error.log" >&2
        stop_pid "$dir/nginx.pid"
        return 1
    fi
}

case "${1:-}" in
start) start "${2:?DIR}" "${3:?LISTEN}" "${4:?FASTCGI}" ;;
stop) stop_pid "${2:?DIR}/nginx.pid" ;;
*) echo "usage: $0 start DIR LISTEN FASTCGI | stop DIR" >&2; exit 2 ;;
esac
