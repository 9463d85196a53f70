# Sockets: ports for servers under test (loopback only) and readiness.

# shellcheck shell=bash

# lab_port_listening PORT: true if something listens on TCP PORT.
lab_port_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    # /proc/net/tcp{,6}: local_address is ADDR:PORT in hex, state 0A = LISTEN.
    awk -v port="$hex" 'FNR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == port) found = 1 }
        END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# lab_free_port: a TCP port on which nothing listens now, from a range
# chosen per test so that parallel tests rarely collide.
lab_free_port() {
    local port tries
    for ((tries = 0; tries < 200; tries++)); do
        port=$((20000 + (LAB_RUN_ID * 131 + BATS_TEST_NUMBER * 17 + tries * 7919 + RANDOM) % 40000))
        lab_port_listening "$port" || { echo "$port"; return 0; }
    done
    return 1
}

# lab_wait_port PORT SECONDS: waits until something listens on PORT.
lab_wait_port() {
    lab_wait_until "$(lab_seconds "${2:-5}")" lab_port_listening "$1"
}
