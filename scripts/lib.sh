# lib.sh: helpers shared by the scripts (sourced, not run).

# Prints a free TCP port on 127.0.0.1: a random one that nothing answers on.
free_port() {
    local port i lo=32768 span
    # Below the kernel's ephemeral range: a port there can be taken between
    # this probe and the bind by the local end of any outgoing connection
    # (the tests open thousands), which connect() cannot see.
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
    span=$((lo - 10000))
    [ "$span" -ge 2000 ] || span=20000
    for i in $(seq 1 200); do
        port=$(( (RANDOM << 1 | RANDOM & 1) % span + 10000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "free_port: no free port found" >&2
    return 1
}

# wait_port PORT SECONDS PID: polls until something listens on PORT, or fails
# when SECONDS pass or the process PID has died.
wait_port() {
    local port=$1 secs=$2 pid=$3 end=$((SECONDS + $2))
    while (( SECONDS < end )); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            echo "wait_port: process $pid died before listening on $port" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "wait_port: nothing listens on 127.0.0.1:$port after ${secs}s" >&2
    return 1
}

# stop_pid PIDFILE: TERM the process it names, KILL after 10 s; removes it.
stop_pid() {
    local file=$1 pid i
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    rm -f "$file"
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
