#!/bin/sh
# spawn-fcgi.sh: runs the example app under spawn-fcgi (Debian package
# spawn-fcgi), the classic way to start a FastCGI server without systemd.
#
#   sudo app_skeleton/deploy/spawn-fcgi.sh [/path/to/app_skeleton]
#
# spawn-fcgi creates the unix socket nginx connects to (the upstream of
# nginx-site.conf: server unix:/run/app_skeleton.sock;), gives it to group
# www-data with mode 0660, drops root for the system user app_skeleton
# (create it with `useradd --system app_skeleton`) and executes
# `app_skeleton serve` with the socket as fd 0.  WEB_LISTEN must be unset
# for the app to serve fd 0; its worker threads (WEB_WORKERS) do the rest, so
# one process is enough (no -F).
#
# -n keeps spawn-fcgi in the foreground (it becomes the app, same PID) so
# that a supervisor (runit, daemontools, s6) can watch it and the app's log
# lines on stderr are kept; without -n spawn-fcgi forks and sends stdout and
# stderr to /dev/null.  Stop it with SIGTERM: requests in flight finish
# first (WEB_GRACE_MS).  A socket left over from a previous run is removed
# first (spawn-fcgi cannot bind over it).
set -eu

app=${1:-/usr/local/bin/app_skeleton}
socket=${APP_SOCKET:-/run/app_skeleton.sock}

export WEB_CONFIG_FILE="${WEB_CONFIG_FILE:-/etc/app_skeleton/app.conf}"
export DYNAMO_TABLES_FILE="${DYNAMO_TABLES_FILE:-/etc/app_skeleton/dynamo.conf}"
unset WEB_LISTEN

rm -f "$socket"
exec spawn-fcgi -n -s "$socket" -M 0660 -U www-data -G www-data \
    -u app_skeleton -g app_skeleton -- "$app" serve
