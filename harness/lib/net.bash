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

# lab_port_in_use PORT: a TCP socket has PORT as its local port, in any
# state (listening, connected, or TIME_WAIT after a close).
lab_port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v port="$hex" 'FNR > 1 { split($2, a, ":"); if (a[2] == port) found = 1 }
        END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# lab_free_port: a TCP port that no socket uses now, from a range chosen
# per test so that parallel tests rarely collide, and below the kernel's
# ephemeral range (ip_local_port_range): the kernel gives those ports to
# clients' connect(), and a client that closed first keeps its port in
# TIME_WAIT for a minute, during which a listening bind() on it fails with
# EADDRINUSE whatever SO_REUSEADDR the server sets (the client's socket set
# none).  A reference server was refused so in CI, on a port an earlier
# test's netcat had had.
lab_free_port() {
    local port tries low=20000 high=32767 first=""
    read -r first _ 2>/dev/null </proc/sys/net/ipv4/ip_local_port_range || :
    if [[ $first =~ ^[0-9]+$ ]] && ((first > 11024)); then
        high=$((first - 1)) low=$((first - 1 - 10000 < 20000 ? first - 1 - 10000 : 20000))
    fi
    for ((tries = 0; tries < 200; tries++)); do
        port=$((low + (LAB_RUN_ID * 131 + BATS_TEST_NUMBER * 17 + tries * 7919 + RANDOM) % (high - low + 1)))
        lab_port_in_use "$port" || { echo "$port"; return 0; }
    done
    return 1
}

# lab_wait_port PORT SECONDS: waits until something listens on PORT.
lab_wait_port() {
    lab_wait_until "$(lab_seconds "${2:-5}")" lab_port_listening "$1"
}

# lab_socket_inode PID: the inode of the first socket PID holds (its
# /proc/PID/fd, read under the programs' uid where root may not: lab_fds);
# fails when it holds none.
lab_socket_inode() {
    local inode
    inode=$(lab_fds "$1" | sed -n 's/.* socket:\[\([0-9]*\)\]$/\1/p' | head -n 1)
    [[ -n $inode ]] && echo "$inode"
}

# lab_tcp_socket INODE: the IPv4 TCP socket of that inode (/proc/net/tcp),
# as "LOCAL_PORT REMOTE_PORT STATE UNREAD": the ports in decimal, STATE in
# hex as the kernel writes it (01 established, 08 CLOSE_WAIT: the peer's
# FIN is in, 0A listening), UNREAD the bytes received that its owner has
# not read yet.  Fails when there is none (closed, or reset).
lab_tcp_socket() {
    local lport rport state unread
    read -r lport rport state unread < <(awk -v i="$1" 'FNR > 1 && $10 == i {
        split($2, l, ":"); split($3, r, ":"); split($5, q, ":")
        print l[2], r[2], $4, q[2]; exit }' /proc/net/tcp)
    [[ $lport =~ ^[0-9A-F]+$ && $rport =~ ^[0-9A-F]+$ && $unread =~ ^[0-9A-F]+$ ]] || return 1
    echo "$((16#$lport)) $((16#$rport)) $state $((16#$unread))"
}

# lab_tcp_connection LOCAL_PORT REMOTE_PORT: the IPv4 TCP socket whose own
# port is LOCAL_PORT and whose peer's is REMOTE_PORT (on loopback: a
# server's end of the connection a client made from REMOTE_PORT), as
# "INODE STATE UNREAD" (as lab_tcp_socket); fails when there is none.
lab_tcp_connection() {
    local want_l want_r
    want_l=$(printf '%04X' "$1") want_r=$(printf '%04X' "$2")
    local inode state unread
    read -r inode state unread < <(awk -v l="$want_l" -v r="$want_r" 'FNR > 1 {
        split($2, a, ":"); split($3, b, ":"); split($5, q, ":")
        if (a[2] == l && b[2] == r) { print $10, $4, q[2]; exit } }' /proc/net/tcp)
    [[ $inode =~ ^[0-9]+$ && $unread =~ ^[0-9A-F]+$ ]] || return 1
    echo "$inode $state $((16#$unread))"
}

# lab_blocked_sending PID: PID sleeps in write(), writev(), sendto() or
# sendmsg(): the socket (or pipe) it sends on has no room left.  A TCP send
# waits in the generic wait_woken, so the call decides (lab_blocked_in
# without a wait channel).  Returns 2 ("never") once PID is gone.
lab_blocked_sending() {
    lab_blocked_in "$1" '' 1 20 44 46
}
