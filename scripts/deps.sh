#!/usr/bin/env bash
# deps.sh: installs what the build, tests and `make run` need and are missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
# Then fetches and caches DynamoDB Local (scripts/ddblocal.sh fetch).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian package -> a file that proves it is installed.
declare -A probe=(
    [gcc]=/usr/bin/gcc
    [make]=/usr/bin/make
    [pkg-config]=/usr/bin/pkg-config
    [libfcgi-dev]=/usr/include/fcgiapp.h
    [libcurl4-openssl-dev]=/usr/include/x86_64-linux-gnu/curl/curl.h
    [libssl-dev]=/usr/include/openssl/evp.h
    [libjansson-dev]=/usr/include/jansson.h
    [check]=/usr/include/check.h
    [nginx-light]=/usr/sbin/nginx
    [curl]=/usr/bin/curl
    # The fuzz targets (make fuzz, and a short run in make test): clang and
    # its libFuzzer runtime, which clang only recommends.
    [clang]=/usr/bin/clang
    [libclang-rt-dev]=$(compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' |
        head -1)
    # The reference client check_interop compares against (and make bench
    # measures), under Debian's /usr/bin/python3, which it brings along.
    [python3-boto3]=/usr/lib/python3/dist-packages/boto3/__init__.py
)
# The curl headers live under the multiarch folder or directly under include/.
[ -e /usr/include/curl/curl.h ] && probe[libcurl4-openssl-dev]=/usr/include/curl/curl.h

missing=()
for pkg in "${!probe[@]}"; do
    [ -e "${probe[$pkg]}" ] || missing+=("$pkg")
done
# Java runs DynamoDB Local; npm fetches it.  These machines ship both outside
# Debian's packages (whose npm conflicts with that Node.js): install only
# what is really absent.
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
    cmd="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then
        echo "deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        $cmd -qq >/dev/null
    else
        echo "deps: missing packages; run as root:" >&2
        echo "  sudo apt-get update && sudo $cmd" >&2
        exit 1
    fi
fi
scripts/ddblocal.sh fetch >/dev/null
