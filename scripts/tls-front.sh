#!/usr/bin/env bash
# tls-front.sh: a private nginx TLS front for the TLS tests (issue 6).
#
#   tls-front.sh start DIR UPSTREAM   UPSTREAM: host:port of DynamoDB Local.
#                                     Makes a throwaway CA and a server
#                                     certificate in DIR/tls, starts nginx on
#                                     a free loopback port proxying to
#                                     UPSTREAM, waits until it listens and
#                                     prints the port
#   tls-front.sh stop DIR
#   tls-front.sh certs DIR            only the CAs and certificate, in DIR
#
# DIR/tls holds:
#   ca.pem          the CA that signed server.pem (the bundle a client needs)
#   other-ca.pem    an unrelated CA (a bundle that must not be trusted here)
#   server.pem/key  the server's certificate: DNS:localhost and IP:127.0.0.1
#                   only, so https://127.0.0.2:PORT (the same nginx: it also
#                   listens there) presents a name that does not match
#   access.log      one line per request nginx received (none for a refused
#                   handshake: a request that reached DynamoDB is in it)
#   port            the port; DIR/tls-front.pid the nginx process
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# make_ca NAME: a self-signed CA, NAME.pem and NAME.key (EC P-256: fast).
make_ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=dynamo-fcgi test $1" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# make_certs TLSDIR: the two CAs and server.pem signed by ca.pem.
make_certs() {
    local d=$1
    (
        cd "$d"
        make_ca ca
        make_ca other-ca
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
        printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            "extendedKeyUsage=serverAuth" "basicConstraints=CA:FALSE" >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out server.pem -days 2 -extfile server.ext 2>/dev/null
        rm -f server.csr server.ext ca.srl
    )
}

start() {
    local dir=$1 upstream=$2 port pid user="" d
    d="$dir/tls"
    mkdir -p "$d/tmp"
    make_certs "$d"
    port=$(free_port)
    # As root nginx's workers would switch to "nobody", who cannot enter a
    # private mktemp folder: keep them as the current user.
    [ "$(id -u)" = 0 ] && user="user root;"
    cat >"$d/nginx.conf" <<CONF
$user
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections 256; }
http {
    log_format front '\$remote_addr \$server_addr "\$request" \$status \$ssl_protocol';
    access_log $d/access.log front;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        listen 127.0.0.2:$port ssl;
        ssl_certificate $d/server.pem;
        ssl_certificate_key $d/server.key;
        location / {
            proxy_pass http://$upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
        }
    }
}
CONF
    : >"$d/access.log"
    "$NGINX" -p "$d" -c "$d/nginx.conf" -g 'daemon off;' >/dev/null 2>>"$d/error.log" &
    pid=$!
    echo "$pid" >"$dir/tls-front.pid"
    echo "$port" >"$d/port"
    if ! wait_port "$port" 20 "$pid"; then
        cat "$d/error.log" >&2
        stop_pid "$dir/tls-front.pid"
        return 1
    fi
    echo "$port"
}

case "${1:-}" in
start) start "${2:?DIR}" "${3:?UPSTREAM}" ;;
certs) mkdir -p "${2:?DIR}" && make_certs "$2" ;;
stop) stop_pid "${2:?DIR}/tls-front.pid" ;;
*) echo "usage: $0 start DIR UPSTREAM | stop DIR | certs DIR" >&2; exit 2 ;;
esac
