# bench-lib.sh: helpers shared by the benchmark scripts (sourced, not run):
# the app behind nginx, wrk runs with the CPU each process used, and the
# table's arithmetic.  The sourcing script sets tmp (its mktemp -d folder),
# res (its "key value" results file), THREADS, CONNS and WORKERS.

say() { echo "bench: $*" >&2; }
put() { echo "$1 $2" >>"$res"; }
get() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$res"; }

# ---- the app behind nginx -------------------------------------------------

# wait_socket PATH SECONDS PID: polls until the unix socket PATH exists, or
# fails when SECONDS pass or the process PID has died.
wait_socket() {
    local path=$1 end=$((SECONDS + $2)) pid=$3
    while (( SECONDS < end )); do
        [ -S "$path" ] && return 0
        kill -0 "$pid" 2>/dev/null || { say "process $pid died before listening"; return 1; }
        sleep 0.1
    done
    say "nothing listens on $path after $2s"
    return 1
}

# start_front NAME BIN BACKEND [WORKERS]: BIN serve as a FastCGI server
# talking to BACKEND, with nginx (scripts/nginx.sh: the deployed site
# config) in front, over a unix socket as
# app_skeleton/deploy/app_skeleton.socket deploys it; the URL base goes to
# $tmp/NAME.url, the app's pid to $tmp/app-NAME.pid.  BACKEND is the port of
# a "DynamoDB Local" on 127.0.0.1, or an endpoint URL (http:// or https://,
# trusting the CA bundle BENCH_CA_BUNDLE when set).  WORKERS "default"
# leaves WEB_WORKERS unset.
start_front() {
    local name=$1 bin=$2 backend=$3 workers=${4:-$WORKERS} sock=$tmp/fcgi-$1.sock http
    local -a where=(DYNAMO_ENABLE_LOCAL=1 DYNAMO_LOCAL_HOST=127.0.0.1
        DYNAMO_LOCAL_PORT="$backend")
    local -a unset_workers=()
    case "$backend" in
    http://* | https://*)
        where=(AWS_ENDPOINT_URL_DYNAMODB="$backend")
        [ -n "${BENCH_CA_BUNDLE:-}" ] && where+=(AWS_CA_BUNDLE="$BENCH_CA_BUNDLE")
        ;;
    esac
    if [ "$workers" = default ]; then
        unset_workers=(-u WEB_WORKERS)
    else
        where+=(WEB_WORKERS="$workers")
    fi
    http=$(free_port) || return 1
    env -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_DYNAMODB \
        -u DYNAMO_TABLE_PREFIX -u WEB_CONFIG_FILE -u DYNAMO_ENABLE_LOCAL "${unset_workers[@]}" \
        "${where[@]}" \
        DYNAMO_TABLES_FILE=app_skeleton/dynamo.conf AWS_REGION=us-east-1 \
        AWS_ACCESS_KEY_ID=AKIDBENCHMARK AWS_SECRET_ACCESS_KEY=bench-secret-key \
        WEB_LISTEN="unix:$sock" \
        "$bin" serve >>"$tmp/app-$name.log" 2>&1 &
    echo $! >"$tmp/app-$name.pid"
    echo "http://127.0.0.1:$http" >"$tmp/$name.url"
    wait_socket "$sock" 20 "$(cat "$tmp/app-$name.pid")" &&
        scripts/nginx.sh start "$tmp/front-$name" "127.0.0.1:$http" "unix:$sock"
}

stop_front() {
    scripts/nginx.sh stop "$tmp/front-$1"
    stop_pid "$tmp/app-$1.pid"
}

# expect_200 URL [CURL ARGS...]: one request must answer 200 or 201.
expect_200() {
    local url=$1 code
    shift
    code=$(curl -s -o "$tmp/last-body" -w '%{http_code}' "$@" "$url")
    case "$code" in 200 | 201) return 0 ;; esac
    say "$url answered $code: $(head -c 300 "$tmp/last-body")"
    return 1
}

# "USER SYS": microseconds of CPU used so far by PID, all its threads
# (utime and stime in /proc/PID/stat, proc(5)).
proc_cpu_us() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "0 0"; return; }
    stat=${stat##*) }
    # After "pid (comm) ": state is field 1, utime 12, stime 13.
    echo "$stat" | awk -v hz="$(getconf CLK_TCK)" \
        '{ printf "%.0f %.0f\n", $12 * 1e6 / hz, $13 * 1e6 / hz }'
}

# "BUSY STOLEN": microseconds of CPU the whole machine has been busy
# (/proc/stat: user, nice, system, irq, softirq) and those the host took
# for others (steal), over all cores.
machine_cpu_us() {
    awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" {
        printf "%.0f %.0f\n", ($2 + $3 + $4 + $7 + $8) * 1e6 / hz, $9 * 1e6 / hz; exit }' \
        /proc/stat
}

# CPU microseconds used so far by the stub nginx (master and worker).
stub_cpu_us() {
    local pid total=0 u s
    [ -s "$tmp/stub.pid" ] || { echo 0; return; }
    for pid in $(cat "$tmp/stub.pid") $(pgrep -P "$(cat "$tmp/stub.pid")" 2>/dev/null); do
        read -r u s <<<"$(proc_cpu_us "$pid")"
        total=$((total + u + s))
    done
    echo "$total"
}

# run_wrk NAME URL SECONDS [LUA] [PIDFILE]: one wrk run (WRK_CONNS overrides
# the connection count).  Appends to $tmp/runs "NAME requests seconds p50ms
# p99ms errors user_us sys_us machine_us stub_us stolen_us": the CPU the
# process in PIDFILE used during the run (0 without PIDFILE), the whole
# machine's, the stub's and the host's steal; summarize folds them.
run_wrk() {
    local name=$1 url=$2 secs=$3 lua=${4:-} pidfile=${5:-} out=$tmp/wrk-$1.txt
    local conns=${WRK_CONNS:-$CONNS} threads=$THREADS pid="" c0="0 0" c1="0 0"
    local m0 m1 t0 t1 s0 s1
    local -a script=()
    [ "$threads" -gt "$conns" ] && threads=$conns
    [ -n "$lua" ] && script=(-s "$lua")
    [ -n "$pidfile" ] && pid=$(cat "$pidfile") && c0=$(proc_cpu_us "$pid")
    read -r m0 t0 <<<"$(machine_cpu_us)"
    s0=$(stub_cpu_us)
    wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "${script[@]}" "$url" >"$out" 2>&1
    read -r m1 t1 <<<"$(machine_cpu_us)"
    s1=$(stub_cpu_us)
    [ -n "$pid" ] && c1=$(proc_cpu_us "$pid")
    cat "$out" >>"$tmp/wrk.log"
    # wrk prints latencies as 812.00us / 1.20ms / 1.02s and durations as
    # 10.00s / 1.00m.
    awk -v name="$name" -v c0="$c0" -v c1="$c1" -v m=$((m1 - m0)) -v st=$((s1 - s0)) \
        -v stolen=$((t1 - t0)) '
        function ms(t) {
            if (t ~ /us$/) return t / 1000
            if (t ~ /ms$/) return t + 0
            if (t ~ /m$/) return t * 60000
            return t * 1000
        }
        / requests in / { n = $1; d = $4; sub(",", "", d); secs = ms(d) / 1000 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx/ { bad += $NF }
        /Socket errors/ { gsub(",", ""); bad += $4 + $6 + $8 + $10 }
        END {
            if (n + 0 == 0) exit 1
            split(c0, a, " "); split(c1, b, " ")
            printf "%s %d %.3f %.3f %.3f %d %.0f %.0f %.0f %.0f %.0f\n", name, n, secs,
                p50, p99, bad, b[1] - a[1], b[2] - a[2], m, st, stolen
        }' "$out" >>"$tmp/runs" && return 0
    say "wrk $name: no requests completed"
    cat "$out" >&2
    return 1
}

# summarize NAME: folds NAME's runs into NAME_rps (all requests / all
# seconds), NAME_p50 (mean of the runs'), NAME_p99 (worst run), NAME_bad,
# NAME_cpu, NAME_user, NAME_sys (the app's CPU us per request), NAME_machine
# (the whole machine's), NAME_stubcpu (the stub's) and NAME_stolen (% of the
# cores' time the host took).
summarize() {
    awk -v name="$1" -v cores="$(nproc)" '
        $1 == name { k++; n += $2; s += $3; p50 += $4; if ($5 > p99) p99 = $5
                     bad += $6; u += $7; y += $8; m += $9; st += $10; t += $11 }
        END {
            if (k == 0 || n == 0) exit
            printf "%s_rps %.0f\n%s_p50 %.2f\n%s_p99 %.2f\n%s_bad %d\n", name, n / s,
                name, p50 / k, name, p99, name, bad
            if (u + y > 0)
                printf "%s_cpu %.1f\n%s_user %.1f\n%s_sys %.1f\n", name, (u + y) / n,
                    name, u / n, name, y / n
            if (m > 0)
                printf "%s_machine %.1f\n", name, m / n
            if (st > 0)
                printf "%s_stubcpu %.1f\n", name, st / n
            printf "%s_stolen %.1f\n", name, t / (s * cores * 1e6) * 100
        }' "$tmp/runs" >>"$res"
}

# calc EXPR [FORMAT]: EXPR evaluated by awk, printed with FORMAT (%.1f).
calc() {
    awk "BEGIN { printf \"${2:-%.1f}\", $1 }" 2>/dev/null || echo n/a
}

# num KEY: the value, or "" when the phase did not record it.
num() { get "$1"; }

# ratio A B [FORMAT] [SUFFIX]: A / B then SUFFIX, "n/a" when either is
# missing or B is 0.  Without FORMAT the full precision, as verdicts need it
# (0.687 must not pass ">= 0.7" as a rounded "0.7").
ratio() {
    if [ -z "$1" ] || [ -z "$2" ] || [ "$(calc "$2 == 0" %d)" = 1 ]; then
        echo n/a
    else
        echo "$(calc "$1 / $2" "${3:-%.6f}")${4:-}"
    fi
}

# verdict OK: "met" / "not met" / "n/a" for the awk condition OK.
verdict() {
    case "$1" in *n/a* | "") echo n/a; return ;; esac
    if [ "$(calc "($1) ? 1 : 0" %d)" = 1 ]; then echo met; else echo "not met"; fi
}

row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5"; }
or_na() { if [ -n "$1" ]; then echo "$1"; else echo n/a; fi; }

