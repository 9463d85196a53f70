#!/usr/bin/env bats
# 11-chat-server: a TCP chat room with a forked child per client, the
# clients' buffers in one POSIX shared memory object, epoll and a self-pipe.
# Statement: exercises/11-chat-server/README.md (the § numbers below are its sections).
#
# programs: chat_server
# ldlibs: -lrt
# valgrind-factor: 2.2   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

SERVER=$LAB_BIN/chat_server

# Inputs shared by the tests of this file, made once.
setup_file() {
    local dir=$BATS_FILE_TMPDIR
    # Every byte value 16 times, NUL and CR included, no newline at the end.
    LC_ALL=C awk 'BEGIN { for (r = 0; r < 16; r++) for (b = 0; b < 256; b++) printf "%c", b }' \
        >"$dir/garbage.bin"
    { cat "$dir/garbage.bin"; printf '\n'; } >"$dir/garbage.expected"
}

# Every test gets its own port and shared memory name.
setup() {
    lab_setup
    PORT=$(lab_free_port)
    SHM=$(lab_name chat)
    JOINED=0
    RECV_BOUND=10
    SERVER_OPTS=()
}

# The grader's own cleanup kills with SIGKILL, which leaves the shared
# memory object behind: a server still running is stopped the way the
# statement says first (SIGTERM), so that only a server that does not clean
# up on SIGTERM leaks.
teardown() {
    if [[ -e $LAB_RUN/server.spid ]] && ! lab_finished server; then
        lab_signal server TERM
        lab_wait_exit server 5 || true
    fi
    lab_teardown
}

# ---------------------------------------------------------------------------
# Helpers (candidates for harness/lib/net.bash)
# ---------------------------------------------------------------------------

# start_server [ARGS...]: starts chat_server on $PORT with $SHM (and the
# lab_spawn options in SERVER_OPTS), and waits for its readiness line.
start_server() {
    lab_start_server server "^chat_server: listening on 127\\.0\\.0\\.1:$PORT\$" \
        "the line \"chat_server: listening on 127.0.0.1:$PORT\" on stderr" \
        "§2 and §3: bind, listen, then print the readiness line" \
        "${SERVER_OPTS[@]}" -- "$SERVER" -a 127.0.0.1 -p "$PORT" -n "$SHM" "$@"
}

# wait_server_line REGEX WHAT LOOK_AT: the server logs a line (stderr).
wait_server_line() {
    lab_wait_output server "$1" 5 err ||
        lab_fail "$2" "no such line ($(lab_describe server))" "$3" "$(lab_show_output server)"
}

# join NAME: a netcat client (nc -N 127.0.0.1 PORT, its stdin a pipe the test
# writes), and the server's "client N joined" for it: from then on every
# line sent reaches it.
join() {
    JOINED=$((JOINED + 1))
    lab_spawn "$1" --in-pipe -- nc -N 127.0.0.1 "$PORT"
    wait_server_line "^chat_server: client $JOINED joined\$" \
        "the line \"chat_server: client $JOINED joined\" on stderr once client $1 connected" \
        "§5 (the log lines): numbered from 1 in the order of connection"
}

# say NAME LINE...: client NAME sends these lines (one write, one segment).
say() {
    lab_input "$@"
}

# received NAME COUNT: waits until client NAME has received COUNT lines.
received() {
    lab_wait_lines "$1" "$2" "$RECV_BOUND" ||
        lab_fail "client $1 to receive $2 line(s)" \
            "it received $(wc -l <"$LAB_RUN/$1.out") line(s); server: $(lab_describe server)" \
            "§4: every line goes to every other client" \
            "what $1 received:" "$(lab_excerpt "$LAB_RUN/$1.out")" "$(lab_show_output server)"
}

# expect_exactly NAME FILE WHAT LOOK_AT: client NAME received FILE, byte for byte.
expect_exactly() {
    lab_assert_same_output "$1" "$2" "$3" "$4"
}

# leave NAME N: client NAME closes its side (nc -N: shutdown after EOF); the
# server logs "client N left" once it has reaped the child.
leave() {
    lab_close_input "$1"
    wait_server_line "^chat_server: client $2 left\$" \
        "the line \"chat_server: client $2 left\" on stderr after client $1 disconnected" \
        "§5: the child sees EOF, ends, and the parent reaps it (SIGCHLD through the self-pipe)"
}

# stop_server SIGNAL: sends SIGNAL and checks a clean end: exit status 0,
# no process left, the object unlinked, the port free.
stop_server() {
    lab_signal server "$1"
    lab_wait_exit server 5 ||
        lab_fail "chat_server to end within 5 s of SIG$1, children included" \
            "$(lab_describe server)" "§6: the parent stops every child, reaps them, then exits" \
            "$(lab_show_output server)" || return
    lab_assert_exit server 0 "§6: after SIG$1 the server exits with status 0" || return
    lab_assert_no_strays server \
        "§6: every child is stopped (SIGTERM, or the end of its socketpair) and waited for before the parent exits" ||
        return
    lab_assert_no_new_ipc "the shared memory object $SHM gone once the server has ended" \
        "§6: shm_unlink() on the way out" || return
    if lab_port_listening "$PORT"; then
        lab_fail "port $PORT free once the server has ended" "something still listens on it" \
            "§6: a child that kept the listening socket open keeps the port (close it in the child)"
    fi
}

# ---------------------------------------------------------------------------

# points: 10
@test "a line reaches every other client exactly as sent, and never the sender" {
    start_server
    join a
    join b
    join c
    say a "hello from a" $'  tabs\tand spaces, UTF-8: h\xc3\xa9llo  '
    printf '%s\n' "hello from a" $'  tabs\tand spaces, UTF-8: h\xc3\xa9llo  ' >"$BATS_TEST_TMPDIR/from-a"
    received b 2
    received c 2
    say b "reply from b"
    received a 1
    received c 3
    say c "sync from c"
    received a 2
    received b 3
    cat "$BATS_TEST_TMPDIR/from-a" >"$BATS_TEST_TMPDIR/b.expected"
    echo "sync from c" >>"$BATS_TEST_TMPDIR/b.expected"
    cat "$BATS_TEST_TMPDIR/from-a" >"$BATS_TEST_TMPDIR/c.expected"
    echo "reply from b" >>"$BATS_TEST_TMPDIR/c.expected"
    printf '%s\n' "reply from b" "sync from c" >"$BATS_TEST_TMPDIR/a.expected"
    local who
    for who in b c a; do
        expect_exactly "$who" "$BATS_TEST_TMPDIR/$who.expected" \
            "client $who to receive the other clients' lines, byte for byte: no padding, no NUL, not its own" \
            "§4: send exactly the bytes of the line (not the whole buffer), and to every client but the sender" ||
            return
    done
}

# points: 10
@test "lines longer than the 1024-byte buffer, and several lines in one segment, arrive whole" {
    start_server
    join a
    join b
    join c
    local -a lines=() len
    for len in 1023 1024 1025 3000 20000 65535; do
        lines+=("$(head -c "$len" /dev/zero | tr '\0' "$((len % 7))")")
    done
    say a "${lines[@]}"
    say a "one" "two" "" "three" "four"
    printf '%s\n' "${lines[@]}" "one" "two" "" "three" "four" >"$BATS_TEST_TMPDIR/expected"
    received b 11
    received c 11
    local who
    for who in b c; do
        expect_exactly "$who" "$BATS_TEST_TMPDIR/expected" \
            "client $who to receive each line whole, once, in order (the longest is 65536 bytes with its newline)" \
            "§4: a line is whatever ends with a newline; one that does not fit the slot goes in several chunks" ||
            return
    done
    [[ ! -s $LAB_RUN/a.out ]] ||
        lab_fail "nothing back to client a, the sender" "it received $(wc -c <"$LAB_RUN/a.out") bytes" "§4" \
            "$(lab_excerpt "$LAB_RUN/a.out")"
}

# points: 5
@test "long lines from two clients at the same time are never mixed" {
    start_server
    join a
    join b
    join c
    local i fill_a fill_b
    fill_a=$(head -c 2500 /dev/zero | tr '\0' a)
    fill_b=$(head -c 2500 /dev/zero | tr '\0' b)
    local -a from_a=() from_b=()
    for i in $(seq 1 30); do
        from_a+=("A$i:$fill_a")
        from_b+=("B$i:$fill_b")
    done
    printf '%s\n' "${from_a[@]}" >"$BATS_TEST_TMPDIR/a.lines"
    printf '%s\n' "${from_b[@]}" >"$BATS_TEST_TMPDIR/b.lines"
    # Both in flight at once: the writes go to the two netcats' pipes.
    local writer
    say a "${from_a[@]}" &
    writer=$!
    say b "${from_b[@]}"
    wait "$writer"
    received c 60
    received a 30
    received b 30
    expect_exactly a "$BATS_TEST_TMPDIR/b.lines" "client a to receive b's 30 lines whole and in order" \
        "§4 (one line at a time: the chunks of a line are never mixed with another line)" || return
    expect_exactly b "$BATS_TEST_TMPDIR/a.lines" "client b to receive a's 30 lines whole and in order" \
        "§4 (one line at a time)" || return
    sort "$BATS_TEST_TMPDIR/a.lines" "$BATS_TEST_TMPDIR/b.lines" >"$BATS_TEST_TMPDIR/c.expected"
    sort "$LAB_RUN/c.out" >"$BATS_TEST_TMPDIR/c.sorted"
    lab_assert_same_file "$BATS_TEST_TMPDIR/c.expected" "$BATS_TEST_TMPDIR/c.sorted" \
        "client c to receive the 60 lines of a and b, each whole (shown sorted)" \
        "§4: while one line is relayed in chunks, another client's line waits for its turn" c
}

# points: 15
@test "10 clients x 100 messages: each message reaches each other client once, in order" {
    start_server
    local k i
    for k in $(seq 1 10); do
        join "c$k"
    done
    for k in $(seq 1 10); do
        mapfile -t msgs < <(seq -f "message %03g from client $k" 1 100)
        say "c$k" "${msgs[@]}"
    done
    RECV_BOUND=30
    for k in $(seq 1 10); do
        received "c$k" 900 || return
    done
    local report
    for k in $(seq 1 10); do
        # Every line well-formed, never the client's own, each sender's in
        # order 1..100, and nothing more.
        report=$(LC_ALL=C awk -v me="$k" '
            !/^message [0-9][0-9][0-9] from client [0-9]+$/ { bad = bad "\n    not a line that was sent: " substr($0, 1, 80); next }
            { seq = $2 + 0; from = $5 + 0
              if (from == me) { bad = bad "\n    its own line came back: " $0; next }
              if (seq != last[from] + 1) bad = bad "\n    from client " from ": message " seq " after message " (last[from] + 0)
              last[from] = seq }
            END {
              for (j = 1; j <= 10; j++) if (j != me && last[j] != 100)
                  bad = bad "\n    from client " j ": " (last[j] + 0) " messages in order, not 100"
              printf "%s", substr(bad, 2) }' "$LAB_RUN/c$k.out")
        [[ -z $report ]] ||
            lab_fail "client c$k to receive the 900 lines of the 9 others, each once, each sender's in order" \
                "what it received is wrong:" "§4 (and §7: the protocol between parent and children)" \
                "$(head -n 8 <<<"$report")" || return
        [[ $(wc -l <"$LAB_RUN/c$k.out") -eq 900 ]] ||
            lab_fail "exactly 900 lines at client c$k" "$(wc -l <"$LAB_RUN/c$k.out") lines" \
                "§4: each message once to each other client" || return
    done
}

# points: 10
@test "the client limit (-m 2): one more client is told and disconnected; a freed place is reused" {
    start_server -m 2
    join a
    join b
    lab_spawn extra --in-pipe -- nc -N 127.0.0.1 "$PORT"
    lab_wait_output extra '^chat_server: server full' 5 ||
        lab_fail "the refused client to receive the line \"chat_server: server full (at most 2 clients), try again later\"" \
            "it received: $(lab_excerpt "$LAB_RUN/extra.out")" "§5: a client over the limit is told why" ||
        return
    expect_exactly extra <(printf 'chat_server: server full (at most 2 clients), try again later\n') \
        "exactly that one line for the refused client" "§5" || return
    wait_server_line '^chat_server: refused a client: server full$' \
        "the line \"chat_server: refused a client: server full\" on stderr" "§5" || return
    # The server closed the connection: netcat ends once its own side is done.
    lab_wait_exit extra 5 ||
        lab_fail "the refused client's connection closed by the server" "it stayed open" \
            "§5: close the connection after the message, without forking" || return
    say a "hi b"
    received b 1
    leave b 2
    join d      # client 3: the refused one was never a client
    say a "welcome d"
    received d 1
    expect_exactly d <(printf 'welcome d\n') "client d, in the place b left, to receive a's line" \
        "§5: a slot is free again once its child has been reaped"
}

# points: 10
@test "a client that leaves is reaped at once (no zombie) and the others keep chatting" {
    start_server
    join a
    join b
    join c
    say c "bye from c"
    received a 1
    received b 1
    leave c 3 || return
    lab_wait_exit c 5 ||
        lab_fail "the server to close c's connection once c half-closed it" "it stayed open" \
            "§4: end of input from a client means it leaves: its child relays what is left and exits" ||
        return
    lab_wait_no_zombies server 2 \
        "§5: the parent reaps each child when its SIGCHLD arrives (waitpid with WNOHANG, in a loop)" || return
    local children
    children=$(lab_descendants server | wc -l)
    ((children == 2)) ||
        lab_fail "2 children below the server (for a and b)" "$children" "§3: one child per connected client" ||
        return
    say a "still here"
    received b 2
    say b "me too"
    received a 2
    expect_exactly a <(printf 'bye from c\nme too\n') "client a to go on chatting with b" "§4" || return
    expect_exactly b <(printf 'bye from c\nstill here\n') "client b to go on chatting with a" "§4"
}

# points: 10
@test "SIGTERM: children and server end, the shared memory object is unlinked, the port is free" {
    start_server
    join a
    join b
    join c
    say a "before the end"
    received b 1
    received c 1
    [[ -f /dev/shm$SHM ]] ||
        lab_fail "the shared memory object $SHM (/dev/shm$SHM) while the server runs" "there is none" \
            "§3: shm_open(-n NAME), ftruncate, mmap before the first client; unlink only at the end" ||
        return
    local size
    size=$(stat -c %s "/dev/shm$SHM")
    ((size == 16 * 1024)) ||
        lab_fail "/dev/shm$SHM of 16384 bytes (16 clients x 1024)" "$size bytes" "§3: one 1024-byte slot per client" ||
        return
    stop_server TERM
}

# points: 5
@test "SIGINT: the same clean shutdown" {
    start_server -m 4
    join a
    join b
    say b "hello"
    received a 1
    stop_server INT
}

# points: 10
@test "binary garbage and half-closed connections do not crash it" {
    start_server
    join a
    # Every byte value, then a half-close (nc -N shuts down its sending side).
    lab_spawn garbage --in "$BATS_FILE_TMPDIR/garbage.bin" -- nc -N 127.0.0.1 "$PORT"
    JOINED=$((JOINED + 1))
    wait_server_line "^chat_server: client 2 left\$" \
        "the garbage client (client 2) to come and go: \"chat_server: client 2 left\"" \
        "§4: a client's end of input means it leaves" || return
    received a 17 || return     # 16 newlines, and the one added at the end
    expect_exactly a "$BATS_FILE_TMPDIR/garbage.expected" \
        "client a to receive the 4096 bytes unchanged (NUL and CR included), with a newline added at the end" \
        "§4: lines are bytes, not C strings; a last line without a newline gets one" || return
    # A connection that sends nothing at all.
    lab_spawn empty -- nc -N 127.0.0.1 "$PORT"
    JOINED=$((JOINED + 1))
    wait_server_line "^chat_server: client 3 left\$" \
        "the empty client (client 3) to come and go: \"chat_server: client 3 left\"" "§4" || return
    # Still serving.
    lab_finished server &&
        lab_fail "chat_server still running" "$(lab_describe server)" "§4" "$(lab_show_output server)"
    join b
    say b "still alive"
    received a 2
    expect_exactly a <(cat "$BATS_FILE_TMPDIR/garbage.expected"; echo "still alive") \
        "client a to receive b's line after the garbage" "§4"
}

# points: 5
@test "valgrind (children traced): no memory error, no leak, no descriptor left open" {
    SERVER_OPTS=(--valgrind)
    RECV_BOUND=60
    start_server -m 4
    join a
    join b
    say a "short" "$(head -c 3000 /dev/zero | tr '\0' z)"
    received b 2
    leave b 2
    join c
    say c "from c"
    received a 1
    stop_server TERM || return
    lab_assert_valgrind_clean server "§6 and §8: free what you allocate, in the parent and in each child" ||
        return
    lab_assert_valgrind_fds server \
        "§8: each child closes what it inherited and does not use (listening socket, epoll, self-pipe, other channels)"
}

# points: 5
@test "the signal handlers only write to the self-pipe (strace)" {
    SERVER_OPTS=(--strace all)
    start_server
    join a
    join b
    say a "hi"
    received b 1
    leave b 2 || return
    stop_server TERM || return
    local log=$LAB_LOGS/server.strace parent pipe_fd report
    parent=$(awk '/execve\(/ { print $1; exit }' "$log")
    pipe_fd=$(awk -v p="$parent" '$1 == p && /pipe2?\(\[[0-9]+, [0-9]+\]/ {
        sub(/.*pipe2?\(\[[0-9]+, /, ""); sub(/\].*/, ""); print; exit }' "$log")
    [[ -n $pipe_fd ]] ||
        lab_fail "the parent to create its self-pipe with pipe() or pipe2()" "strace saw no pipe in the parent" \
            "§6: the self-pipe" || return
    grep -qE "^$parent +--- SIGCHLD" "$log" && grep -qE "^$parent +--- SIGTERM" "$log" ||
        lab_fail "SIGCHLD and SIGTERM delivered to the parent" "strace did not see both" "§6" || return
    # Between a signal's delivery and rt_sigreturn, the parent runs its
    # handler: the only system call allowed there is write() on the pipe.
    report=$(lab_handler_calls server "$parent" 'CHLD|TERM|INT' "^write\\($pipe_fd,")
    [[ -z $report ]] ||
        lab_fail "each handler to make one system call only: write() of the signal number to the self-pipe (fd $pipe_fd)" \
            "the handlers did more:" \
            "§6: printf, waitpid, shm_unlink, exit... belong in the main loop, not in a handler (signal-safety(7))" \
            "$report"
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2" {
    local -a bad=("-m 0" "-m 257" "-m x" "-p 65536" "-p -1" "-p 80x" "-a nowhere" "-a 1.2.3"
        "-n noslash" "-n /a/b" "-x" "extra" "-p")
    local i args
    for i in "${!bad[@]}"; do
        read -ra args <<<"${bad[$i]}"
        lab_run "bad$i" -- "$SERVER" "${args[@]}"
        lab_assert_exit "bad$i" 2 "§2: chat_server ${bad[$i]} is a usage error" || return
        grep -q '^chat_server: usage: chat_server' "$LAB_RUN/bad$i.err" ||
            lab_fail "the line \"chat_server: usage: chat_server [-a ADDR] [-p PORT] [-m MAXCLIENTS] [-n SHMNAME]\" for: chat_server ${bad[$i]}" \
                "no usage line" "§2" "$(lab_show_output "bad$i")" || return
    done
}
