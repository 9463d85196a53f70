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
        # A test that stopped the server or a child (SIGSTOP) lets it go on.
        local pid
        for pid in $(lab_pid server) $(lab_descendants server); do
            lab_kill CONT "$pid" || :
        done
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
        "§2 and §3: bind, listen, then print the readiness line (§5: at once, with one write() or on the unbuffered stderr)" \
        "${SERVER_OPTS[@]}" -- "$SERVER" -a 127.0.0.1 -p "$PORT" -n "$SHM" "$@"
}

# wait_server_line REGEX WHAT LOOK_AT: the server logs a line (stderr).
wait_server_line() {
    lab_wait_output server "$1" 5 err ||
        lab_fail "$2" "no such line ($(lab_describe server))" "$3" "$(lab_show_output server)"
}

# room NAME...: the server started, and a client joined for each NAME.
room() {
    start_server || return
    local who
    for who in "$@"; do
        join "$who" || return
    done
}

# at_once X Y COUNT BYTES: clients X and Y each send COUNT lines of BYTES
# bytes ("X1:xxx...", "Y1:yyy..."), both at the same time (the writes go to
# the two netcats' pipes); the lines are in $BATS_TEST_TMPDIR/X.lines, Y.lines.
at_once() {
    local who i fill writer
    local -a lines
    for who in "$1" "$2"; do
        fill=$(head -c "$4" /dev/zero | tr '\0' "$who")
        for i in $(seq 1 "$3"); do
            printf '%s\n' "${who^^}$i:$fill"
        done >"$BATS_TEST_TMPDIR/$who.lines"
    done
    mapfile -t lines <"$BATS_TEST_TMPDIR/$1.lines"
    say "$1" "${lines[@]}" &
    writer=$!
    mapfile -t lines <"$BATS_TEST_TMPDIR/$2.lines"
    say "$2" "${lines[@]}"
    wait "$writer"
}

# still_chatting X Y LOOK_AT: X sends a line, Y receives it, Y answers, X
# receives that: each gets exactly what it had plus the other's line.
still_chatting() {
    local x=$1 y=$2 who
    for who in "$x" "$y"; do
        cp "$LAB_RUN/$who.out" "$BATS_TEST_TMPDIR/$who.before"
    done
    echo "$x still here" >>"$BATS_TEST_TMPDIR/$y.before"
    echo "$y too" >>"$BATS_TEST_TMPDIR/$x.before"
    say "$x" "$x still here"
    received "$y" "$(wc -l <"$BATS_TEST_TMPDIR/$y.before")" || return
    say "$y" "$y too"
    received "$x" "$(wc -l <"$BATS_TEST_TMPDIR/$x.before")" || return
    expect_exactly "$y" "$BATS_TEST_TMPDIR/$y.before" "client $y to go on chatting with $x" "$3" || return
    expect_exactly "$x" "$BATS_TEST_TMPDIR/$x.before" "client $x to go on chatting with $y" "$3"
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
    lab_signal server "$1" || return
    clean_end "$1"
}

# clean_end SIGNAL: once the server was sent SIGNAL: it ends within 5 s with
# exit status 0, no process left, the object unlinked, the port free.
clean_end() {
    lab_wait_exit server 5 ||
        lab_fail "chat_server to end within 5 s of SIG$1, children included" \
            "$(lab_describe server)" "§6: the parent stops every child, reaps them, then exits" \
            "$(lab_show_output server)" || return
    lab_assert_exit server 0 "§6: after SIG$1 the server exits with status 0" || return
    lab_assert_no_strays server \
        "§6: every child is sent SIGTERM (its socketpair may be closed too) and waited for before the parent exits" ||
        return
    lab_assert_no_new_ipc "the shared memory object $SHM gone once the server has ended" \
        "§6: shm_unlink() on the way out" || return
    if lab_port_listening "$PORT"; then
        lab_fail "port $PORT free once the server has ended" "something still listens on it" \
            "§3 and §6: a child that kept the listening socket open keeps the port (close it in the child)"
    fi
}

# server_end NAME: "INODE RX STATE" of the server's end of client NAME's TCP
# connection (/proc/net/tcp: the row on $PORT whose remote port is the
# client's local port), RX the bytes the server has not read from it yet,
# STATE the TCP state in hex (08: CLOSE_WAIT, the client's end of input is in).
server_end() {
    local pid inode mine state unread
    pid=$(lab_pid "$1") || return 1
    inode=$(lab_socket_inode "$pid") || return 1
    read -r mine _ < <(lab_tcp_socket "$inode") || return 1
    read -r inode state unread < <(lab_tcp_connection "$PORT" "$mine") || return 1
    echo "$inode $unread $state"
}

# client_state NAME: the TCP state, in hex, of client NAME's own end of its
# connection (/proc/net/tcp: 01 established, 08 CLOSE_WAIT: the server's FIN
# is in), or nothing once that end is gone (a reset closed it); fails when
# NAME holds no socket.
client_state() {
    local pid inode state
    pid=$(lab_pid "$1") || return 1
    inode=$(lab_socket_inode "$pid") || return 1
    read -r _ _ state _ < <(lab_tcp_socket "$inode")
    echo "$state"
}

# client_unread NAME BYTES: client NAME's own end of its connection holds
# exactly BYTES bytes that NAME (netcat) has not read yet.
client_unread() {
    local pid inode unread
    pid=$(lab_pid "$1") || return 1
    inode=$(lab_socket_inode "$pid") || return 1
    read -r _ _ _ unread < <(lab_tcp_socket "$inode") && ((unread == $2))
}

# socket_gone INODE: no TCP socket of that inode is left (a reset closed it).
socket_gone() {
    ! lab_tcp_socket "$1" >/dev/null
}

# reset_client NAME: client NAME's connection is reset: NAME (netcat),
# stopped with bytes of the server's left unread in its socket, is killed
# (SIGKILL): the kernel closes a socket with unread bytes with a reset (RST).
# Waits until the server's end of the connection is gone.
reset_client() {
    local inode
    read -r inode _ < <(server_end "$1") ||
        lab_fail "client $1's connection to the server" "none found" "§4" || return
    lab_kill KILL "$(lab_pid "$1")"
    lab_wait_until "$(lab_seconds 5)" socket_gone "$inode" ||
        lab_fail "the server's end of $1's connection reset once $1 was killed with unread bytes" \
            "it is still there" "§4" || return
}

# child_serving NAME: the pid of the server's child that holds the server's
# end of client NAME's connection.
child_serving() {
    local inode rx pid
    read -r inode rx _ < <(server_end "$1") || return 1
    for pid in $(pgrep -P "$(lab_pid server)"); do
        lab_fds "$pid" | grep -qF " socket:[$inode]" && { echo "$pid"; return 0; }
    done
    return 1
}

# server_unread NAME BYTES: the server's end of NAME's connection holds
# exactly BYTES bytes not yet read (readiness for the tests that stop a child).
server_unread() {
    local inode rx
    read -r inode rx _ < <(server_end "$1") || return 1
    ((rx == $2))
}

# object_of_size BYTES LOOK_AT: the server's shared memory object is in
# /dev/shm, of BYTES bytes.
object_of_size() {
    [[ -f /dev/shm$SHM ]] ||
        lab_fail "the shared memory object $SHM (/dev/shm$SHM) while the server runs" "there is none" "$2" ||
        return
    local size
    size=$(stat -c %s "/dev/shm$SHM")
    ((size == $1)) ||
        lab_fail "/dev/shm$SHM of $1 bytes (1024 for each client of -m)" "$size bytes" "$2"
}

# stop_parent: stops the server's parent process (SIGSTOP) and waits until
# it is stopped; teardown lets it go on.
stop_parent() {
    local srv
    srv=$(lab_pid server)
    lab_kill STOP "$srv"
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$srv" T ||
        lab_fail "the server stopped (SIGSTOP)" "$(lab_describe server)" "§6"
}

# child_of NAME: the pid of the child serving client NAME, or a failure.
child_of() {
    child_serving "$1" ||
        lab_fail "a child of the server holding $1's connection" "none found" "§3: one child per client"
}

# handlers_without_write NAME PID FD: one line for each run of PID's SIGCHLD,
# SIGTERM or SIGINT handler (from the signal's delivery to rt_sigreturn, in
# NAME's strace log) that made no write() to FD.
handlers_without_write() {
    awk -v p="$2" -v call="write($3," '
        $1 != p { next }
        $2 == "---" && $3 ~ /^SIG(CHLD|TERM|INT)$/ { inh = 1; sig = $3; wrote = 0; next }
        !inh { next }
        index($2, call) == 1 { wrote = 1; next }
        /rt_sigreturn\(/ { if (!wrote) print "    a " sig " handler returned without a write() to the self-pipe"; inh = 0 }
        ' "$LAB_LOGS/$1.strace" | head -n 4
}

# handlers_only_write NAME SIGNAL...: in NAME's strace log (run with
# --strace all), each SIGNAL (CHLD, TERM, INT) was delivered to the parent,
# and each run of its handler made one system call: write() to the
# self-pipe, the parent's first pipe.
handlers_only_write() {
    local name=$1 log=$LAB_LOGS/$1.strace parent pipe_fd report sig
    shift
    parent=$(awk '/execve\(/ { print $1; exit }' "$log")
    pipe_fd=$(awk -v p="$parent" '$1 == p && /pipe2?\(\[[0-9]+, [0-9]+\]/ {
        sub(/.*pipe2?\(\[[0-9]+, /, ""); sub(/\].*/, ""); print; exit }' "$log")
    [[ -n $pipe_fd ]] ||
        lab_fail "the parent to create its self-pipe with pipe() or pipe2()" "strace saw no pipe in the parent" \
            "§6: the self-pipe" || return
    for sig in "$@"; do
        grep -qE "^$parent +--- SIG$sig " "$log" ||
            lab_fail "SIG$sig delivered to the parent" "strace did not see it" "§6" || return
    done
    # Between a signal's delivery and rt_sigreturn, the parent runs its
    # handler: the only system call allowed there is write() on the pipe.
    lab_assert_handlers_only "$name" "$parent" 'CHLD|TERM|INT' "^write\\($pipe_fd," \
        "each handler to make one system call only: write() of the signal number to the self-pipe (fd $pipe_fd)" \
        "§6: printf, waitpid, shm_unlink, exit... belong in the main loop, not in a handler (signal-safety(7)); §3: the self-pipe (the parent's first pipe) is its only pipe, one for every signal" ||
        return
    # And each run of a handler does write the signal to the self-pipe.
    report=$(handlers_without_write "$name" "$parent" "$pipe_fd")
    [[ -z $report ]] ||
        lab_fail "each run of a handler to write the signal number, one byte, to the self-pipe (fd $pipe_fd)" \
            "some handler runs made no write() to it:" \
            "§6: a handler that only sets a flag misses the signal that lands between the flag's check and epoll_wait(); the byte in the self-pipe wakes epoll_wait() whenever it comes" \
            "$report"
}

# flood_c LOOK_AT: c never reads again (its netcat stopped), and flood
# (client 4, after a, b and c) sends lines of 60000 bytes, more than c's
# socket and its child's end of the connection hold (the kernel's largest
# send buffer, tcp_wmem, and twice a receive buffer, tcp_rmem): c's child
# will block writing to c.  Sets PC (c's child) and FLOOD_LINES (the lines
# sent, $BATS_TEST_TMPDIR/flood.txt).
flood_c() {
    local pnc wmem rmem line i
    pnc=$(lab_pid c) || return
    lab_kill STOP "$pnc"
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$pnc" T ||
        lab_fail "c's netcat stopped (SIGSTOP)" "$(lab_stuck_state "$pnc")" "$1" || return
    PC=$(child_of c) || return
    read -r _ _ wmem </proc/sys/net/ipv4/tcp_wmem
    read -r _ rmem _ </proc/sys/net/ipv4/tcp_rmem
    FLOOD_LINES=$(((wmem + 2 * rmem) / 60000 + 16))
    line=$(head -c 59999 /dev/zero | tr '\0' f)
    for ((i = 0; i < FLOOD_LINES; i++)); do
        printf '%s\n' "$line"
    done >"$BATS_TEST_TMPDIR/flood.txt"
    lab_spawn flood --in "$BATS_TEST_TMPDIR/flood.txt" -- nc -N 127.0.0.1 "$PORT"
    wait_server_line '^chat_server: client 4 joined$' \
        "the line \"chat_server: client 4 joined\" once client flood connected" "§5"
}

# send_args PID: "FD BUF COUNT" of the write() or send() PID sleeps in
# (/proc/PID/syscall, its first three arguments, in decimal); fails for
# any other call (writev() and sendmsg() take a vector: nothing to compare).
send_args() {
    local nr fd buf count
    # shellcheck disable=SC2016 # expanded by that bash
    read -r nr fd buf count _ < <(lab_read_proc 'read -r l <"/proc/$1/syscall" && echo "$l"' "$1")
    [[ $nr =~ ^(1|44)$ && $fd =~ ^0x[0-9a-f]+$ && $buf =~ ^0x[0-9a-f]{1,15}$ && $count =~ ^0x[0-9a-f]+$ ]] ||
        return 1
    echo "$((fd)) $((buf)) $((count))"
}

# rest_of BEFORE AFTER: the send AFTER ("FD BUF COUNT", send_args) is the
# rest of the bytes of BEFORE, cut short: same descriptor, same end, later
# start.
rest_of() {
    local fd1 buf1 len1 fd2 buf2 len2
    read -r fd1 buf1 len1 <<<"$1"
    read -r fd2 buf2 len2 <<<"$2"
    ((fd1 == fd2 && buf2 > buf1 && buf2 + len2 == buf1 + len1))
}

# fdinfo PID FD: /proc/PID/fdinfo/FD (read under the programs' uid where
# root may not, as lab_fds does).
fdinfo() {
    cat "/proc/$1/fdinfo/$2" 2>/dev/null && return 0
    [[ -n ${LAB_PROGRAM_UID:-} && $EUID -eq 0 ]] || return 1
    # shellcheck disable=SC2016 # expanded by that bash
    (lab_as_program 'cat "/proc/$1/fdinfo/$2"' "$1" "$2")
}

# ---------------------------------------------------------------------------

# points: 4
@test "a line reaches every other client exactly as sent, and never the sender" {
    room a b c
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

# points: 4
@test "lines longer than the 1024-byte buffer, and several lines in one segment, arrive whole" {
    room a b c
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
            "$(lab_excerpt "$LAB_RUN/a.out")" || return

    # A write cut short.  c stops reading (its netcat stopped); flood sends
    # lines of 60000 bytes until c's child sleeps in its send to c, the
    # connection full.  Stopped and continued there (SIGSTOP, SIGCONT), its
    # send() or write() returns the part of the bytes it had queued: the
    # child must send the rest of that chunk.  Seen in the call it sleeps in
    # next (/proc/PID/syscall): the rest of the same bytes, or, where the
    # interrupted call had queued nothing yet, the same call made again.
    local pc count i before after cut=0
    flood_c "§4" || return
    pc=$PC count=$FLOOD_LINES
    for ((i = 0; i < 12 && !cut; i++)); do
        lab_wait_while_running server 20 lab_blocked_sending "$pc" || break
        before=$(send_args "$pc") || break
        lab_kill STOP "$pc"
        lab_wait_until "$(lab_seconds 5)" lab_proc_state "$pc" T ||
            lab_fail "c's child stopped (SIGSTOP)" "$(lab_stuck_state "$pc")" "§4" || return
        lab_kill CONT "$pc"
        lab_wait_while_running server 20 lab_blocked_sending "$pc" || break
        after=$(send_args "$pc") || break
        rest_of "$before" "$after" && cut=1
    done
    lab_kill CONT "$(lab_pid c)"
    received c $((11 + count))
    { cat "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/flood.txt"; } >"$BATS_TEST_TMPDIR/c.expected"
    expect_exactly c "$BATS_TEST_TMPDIR/c.expected" \
        "client c, which stopped reading while flood sent $count lines of 60000 bytes, to receive every line whole once it reads again, though its child's send was cut short (stopped and continued: SIGSTOP, SIGCONT)" \
        "§4 and §7: a send() or write() to a blocking socket that a signal interrupts returns the count of bytes it sent; write the rest (loop on short writes)"
}

# points: 4
@test "long lines from two clients at the same time are never mixed" {
    room a b c
    at_once a b 30 2500
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
        "§4: while one line is relayed in chunks, another client's line waits for its turn" c || return
    # Two long lines wait for the floor together: a's and b's lines are in
    # their connections (the children stopped), the parent is stopped, then
    # each child reads (all or part of its line), puts its line's first
    # chunk in its slot and waits.
    local pa pb la lb
    pa=$(child_of a) || return
    pb=$(child_of b) || return
    la="A-late:$(head -c 2500 /dev/zero | tr '\0' a)"
    lb="B-late:$(head -c 2500 /dev/zero | tr '\0' b)"
    lab_signal_pid "$pa" STOP "a's child" || return
    lab_signal_pid "$pb" STOP "b's child" || return
    say a "$la"
    say b "$lb"
    _both_lines_in() { server_unread a 2508 && server_unread b 2508; }
    lab_wait_while_running server 5 _both_lines_in ||
        lab_fail "a's and b's lines (2508 bytes each) waiting in their connections" "they did not arrive" "§4" ||
        return
    stop_parent || return
    lab_kill CONT "$pa" "$pb"
    _first_chunks_out() {
        local who inode rx
        for who in a b; do
            read -r inode rx _ < <(server_end "$who") && ((rx < 2508)) || return 1
        done
        lab_proc_state "$pa" S && lab_proc_state "$pb" S
    }
    lab_wait_until "$(lab_seconds 5)" _first_chunks_out ||
        lab_fail "a's and b's children, continued, to read their lines and wait for the parent" \
            "a's child: $(lab_stuck_state "$pa"); b's child: $(lab_stuck_state "$pb")" "§7" || return
    lab_kill CONT "$(lab_pid server)"
    received c 62
    received a 31
    received b 31
    printf '%s\n' "$la" "$lb" >"$BATS_TEST_TMPDIR/c.late"
    tail -n 2 "$LAB_RUN/c.out" | LC_ALL=C sort >"$BATS_TEST_TMPDIR/c.got-late"
    lab_assert_same_file "$BATS_TEST_TMPDIR/c.late" "$BATS_TEST_TMPDIR/c.got-late" \
        "client c to receive a's and b's lines, sent while both waited for the floor, each whole (shown sorted)" \
        "§4 and §7: the floor goes to one sender for all the chunks of its line, the other waits" c || return
    # A line in two reads: the parent is stopped while a sends the first
    # part of a line (no newline yet) and its child reads it, then while b
    # sends a whole line and its child reads it. Nothing of a's line may go
    # out before its newline: c gets b's line whole.
    local first rest fd
    first="A-split:$(head -c 1000 /dev/zero | tr '\0' a)"
    rest="$(head -c 500 /dev/zero | tr '\0' a):end"
    stop_parent || return
    fd=${LAB_INPUT_FD[a]}
    (trap '' PIPE; printf '%s' "$first" >&"$fd") 2>/dev/null
    _head_read() { server_unread a 0 && lab_proc_state "$pa" S; }
    lab_wait_while_running server 5 _head_read ||
        lab_fail "a's child to read the first 1008 bytes of a's line (no newline yet) and wait" \
            "a's child: $(lab_stuck_state "$pa")" "§4" || return
    say b "B-whole"
    _b_read() { server_unread b 0 && lab_proc_state "$pb" S; }
    lab_wait_while_running server 5 _b_read ||
        lab_fail "b's child to read b's line \"B-whole\" and wait" "b's child: $(lab_stuck_state "$pb")" "§4" || return
    lab_kill CONT "$(lab_pid server)"
    received c 63
    local got
    got=$(tail -n 1 "$LAB_RUN/c.out" | head -c 60)
    [[ $got == "B-whole" ]] ||
        lab_fail "client c to receive b's line \"B-whole\" alone, while the first part of a's line (no newline yet) waits in a's child" \
            "its last line begins \"$got\"" \
            "§4: a line that arrives in several reads is one line: nothing of it goes out before its newline" || return
    say a "$rest"
    received c 64
    received b 32
    printf '%s\n' "$first$rest" >"$BATS_TEST_TMPDIR/split"
    tail -n 1 "$LAB_RUN/b.out" >"$BATS_TEST_TMPDIR/b.got-split"
    lab_assert_same_file "$BATS_TEST_TMPDIR/split" "$BATS_TEST_TMPDIR/b.got-split" \
        "client b to receive a's line, sent in two parts, whole" "§4: a line that arrives in several reads is one line" b || return
    # Three senders wait for the floor together, the parent stopped: a and
    # b send 40 lines each, which wait in their connections (their children
    # stopped) until each child, continued, reads them all at once and puts
    # the first in its slot; then c sends one line. In turn (§7), c's line
    # goes out before a or b has had the floor three times, however many
    # lines they have.
    local ca cb cc who at
    ca=$(wc -l <"$LAB_RUN/a.out")
    cb=$(wc -l <"$LAB_RUN/b.out")
    cc=$(wc -l <"$LAB_RUN/c.out")
    local -a many
    lab_signal_pid "$pa" STOP "a's child" || return
    lab_signal_pid "$pb" STOP "b's child" || return
    for who in a b; do
        mapfile -t many < <(seq -f "${who^^}-turn-%02g:$(head -c 90 /dev/zero | tr '\0' "$who")" 1 40)
        printf '%s\n' "${many[@]}" >"$BATS_TEST_TMPDIR/$who.turn"
        say "$who" "${many[@]}"
    done
    _turns_in() {
        server_unread a "$(wc -c <"$BATS_TEST_TMPDIR/a.turn")" && server_unread b "$(wc -c <"$BATS_TEST_TMPDIR/b.turn")"
    }
    lab_wait_while_running server 5 _turns_in ||
        lab_fail "a's and b's 40 lines waiting in their connections" "they did not arrive" "§4" || return
    stop_parent || return
    lab_kill CONT "$pa" "$pb"
    _turn_waiting() { server_unread "$2" 0 && lab_proc_state "$1" S; }
    lab_wait_until "$(lab_seconds 5)" _turn_waiting "$pa" a &&
        lab_wait_until "$(lab_seconds 5)" _turn_waiting "$pb" b ||
        lab_fail "a's and b's children, continued, to read their 40 lines and wait for the parent (stopped)" \
            "a's child: $(lab_stuck_state "$pa"); b's child: $(lab_stuck_state "$pb")" "§7" || return
    local pc
    pc=$(child_of c) || return
    say c "C-turn"
    _c_waiting() { server_unread c 0 && lab_proc_state "$pc" S; }
    lab_wait_while_running server 5 _c_waiting ||
        lab_fail "c's child to read c's line and wait for the parent (stopped)" "c's child: $(lab_stuck_state "$pc")" "§7" || return
    lab_kill CONT "$(lab_pid server)"
    received c $((cc + 80))
    received a $((ca + 41))
    received b $((cb + 41))
    # c's line among the first lines each of a and b receives from then on.
    local other before
    for who in a b; do
        [[ $who == a ]] && other=b before=$ca || other=a before=$cb
        at=$(tail -n +$((before + 1)) "$LAB_RUN/$who.out" | grep -nx -m 1 'C-turn' | cut -d: -f1)
        [[ -n $at ]] && ((at <= 3)) ||
            lab_fail "client $who to receive c's line \"C-turn\" among its first 3 lines once the parent went on: c waited for the floor with $other, whose 40 lines waited too" \
                "it came as line ${at:-?} of 41: c waited until $other had sent $((${at:-41} - 1)) line(s)" \
                "§7: after the last chunk of a line the floor goes to the next sender waiting, in turn: a client that keeps sending does not starve another (not always the lowest slot first)" \
                "what $who received from then on (first lines):" "$(tail -n +$((before + 1)) "$LAB_RUN/$who.out" | head -n 5 | cut -c 1-20)" ||
            return
    done
}

# points: 8
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
    # A slow receiver: c2's child is stopped while c1's line goes out, so
    # its ACK is missing. c1's next line must wait: c1's slot still holds
    # the first line, which c2's child has not copied yet.
    local p1 p2
    p1=$(child_of c1) || return
    p2=$(child_of c2) || return
    lab_signal_pid "$p2" STOP "c2's child" || return
    say c1 "first from c1"
    received c3 901
    say c1 "then from c1"
    # c1's child waits (for DONE, the parent for c2's ACK): its next line
    # still unread in its connection, or read (kept aside until DONE).
    _next_line_placed() {
        { server_unread c1 13 || server_unread c1 0; } && lab_proc_state "$p1" S
    }
    lab_wait_while_running server 5 _next_line_placed ||
        lab_fail "c1's child, its first line out, to wait" "c1's child: $(lab_stuck_state "$p1")" "§7" || return
    # Meanwhile c3 and c4 each send a line: both wait in the parent for the
    # floor, which c1's first line holds until c2's child answers.
    local p3 p4
    p3=$(child_of c3) || return
    p4=$(child_of c4) || return
    say c3 "from c3"
    say c4 "from c4"
    _lines_waiting() {
        { server_unread c3 8 || server_unread c3 0; } && lab_proc_state "$p3" S &&
            { server_unread c4 8 || server_unread c4 0; } && lab_proc_state "$p4" S
    }
    lab_wait_while_running server 5 _lines_waiting ||
        lab_fail "c3's and c4's children, their lines sent, to wait" \
            "c3's child: $(lab_stuck_state "$p3"); c4's child: $(lab_stuck_state "$p4")" "§7" || return
    lab_kill CONT "$p2"
    lab_wait_lines c2 904 10 || {
        tail -n +901 "$LAB_RUN/c2.out" >"$BATS_TEST_TMPDIR/c2.after-900"
        lab_fail "client c2, whose child was stopped while c1's first line went out, to receive c1's two lines and c3's and c4's, sent meanwhile: 904 lines" \
            "it received $(wc -l <"$LAB_RUN/c2.out") line(s); server: $(lab_describe server)" \
            "§7: the parent keeps the chunk of each sender that waits for the floor (one per child): no chunk replaces another" \
            "what c2 received after the first 900:" "$(lab_excerpt "$BATS_TEST_TMPDIR/c2.after-900")" \
            "$(lab_show_output server)"
        return
    }
    { head -n 900 "$LAB_RUN/c2.out"; echo "first from c1"; printf '%s\n' "then from c1" "from c3" "from c4" | LC_ALL=C sort; } \
        >"$BATS_TEST_TMPDIR/c2.expected"
    { head -n 901 "$LAB_RUN/c2.out"; tail -n +902 "$LAB_RUN/c2.out" | LC_ALL=C sort; } >"$BATS_TEST_TMPDIR/c2.got"
    lab_assert_same_file "$BATS_TEST_TMPDIR/c2.expected" "$BATS_TEST_TMPDIR/c2.got" \
        "client c2, whose child was stopped while c1's first line went out, to receive c1's first line as sent, then c1's second, c3's and c4's lines (these three shown sorted)" \
        "§7: DONE only once every ACK is in: the sender may not overwrite its slot while a receiver still copies it" c2
}

# points: 4
@test "the client limit (-m 2): one more client is told and disconnected; a freed place is reused" {
    # Traced: the forks are counted at the end (none for the refused client),
    # and every process of the server is held for a second on its way into
    # exit_group: a child that has closed its client's connection and its
    # socketpair has neither ended nor been reaped meanwhile.
    SERVER_OPTS=(--strace "clone,clone3,fork,vfork,exit_group" --inject 'exit_group:delay_enter=1000000')
    start_server -m 2
    local srv
    srv=$(lab_pid server) || return
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
    # b leaves: b's child closes b's connection and its socketpair, and is
    # held on its way into exit_group, not reaped. Meanwhile a newcomer
    # connects (the test's own socket), after the end of b's socketpair has
    # reached the parent: b still counts, the newcomer is refused.
    local pb early answer
    pb=$(child_of b) || return
    lab_close_input b
    lab_wait_exit b 5 ||
        lab_fail "the server to close b's connection once b half-closed it" "it stayed open" \
            "§4: end of input from a client means it leaves: its child relays what is left, closes the connection and exits" ||
        return
    lab_wait_until "$(lab_seconds 5)" lab_held_in_syscall "$pb" 231 ||
        lab_fail "b's child, its connection closed, on its way into exit_group (held there by strace)" \
            "b's child: $(lab_stuck_state "$pb")" "§4: after its client's end of input the child closes the connection and exits" ||
        return
    { exec {early}<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null ||
        lab_fail "a connection to port $PORT (the newcomer)" "it was refused: nothing listens" "§5" || return
    # The server's client lines so far: a's and b's "joined", extra's refusal.
    # The fourth says what became of the newcomer.
    _client_lines() {
        grep -E '^chat_server: (client [0-9]+ (joined|left)|refused a client: server full)$' "$LAB_RUN/server.err"
    }
    _early_answered() { (($(_client_lines | wc -l) >= 4)); }
    lab_wait_while_running server 5 _early_answered || :
    answer=$(_client_lines | sed -n 4p)
    exec {early}<&-
    [[ $answer == 'chat_server: refused a client: server full' ]] ||
        lab_fail "the newcomer refused: -m 2, a is connected, and b's child, which has closed b's connection and its socketpair, has not exited (strace holds it on its way into exit_group) and has not been reaped: b still counts" \
            "the server's first line after it went on: ${answer:-none, $(lab_describe server)}" \
            "§5: a client counts until its child has been reaped (waitpid), not until its connection or its socketpair ends; its place is free only then" \
            "$(lab_show_output server)" || return
    wait_server_line '^chat_server: client 2 left$' \
        "the line \"chat_server: client 2 left\" once b's child ended" \
        "§5: the child sees EOF, ends, and the parent reaps it (SIGCHLD through the self-pipe)" || return
    join d      # client 3: the refused ones were never clients
    say a "welcome d"
    received d 1
    expect_exactly d <(printf 'welcome d\n') \
        "client d, in the place b left, to receive a's line sent after it joined, and nothing from before" \
        "§5: a slot is free again once its child has been reaped; §4: a client that joins gets the lines relayed from then on only, no history" ||
        return
    # Each exit is held for a second: the children's, then the parent's.
    stop_server TERM || return
    local forks
    forks=$(awk -v p="$srv" '$1 == p && $2 ~ /^(clone3?|v?fork)\(/' "$LAB_LOGS/server.strace" | wc -l)
    ((forks == 3)) ||
        lab_fail "3 children forked by the server, one for each client served (a, b, d), none for the refused one" \
            "strace saw $forks fork() or clone() calls in the server" \
            "§5: the parent itself sends the refusal and closes the connection: no child is forked for it; §3: one child per client"
}

# points: 4
@test "a client that leaves is reaped at once (no zombie) and the others keep chatting" {
    room a b c
    say c "bye from c"
    received a 1
    received b 1
    leave c 3 || return
    lab_wait_exit c 5 ||
        lab_fail "the server to close c's connection once c half-closed it" "it stayed open" \
            "§4: end of input from a client means it leaves: its child relays what is left and exits" ||
        return
    lab_wait_no_zombies server 2 \
        "§6: the parent reaps each child when its SIGCHLD arrives (waitpid with WNOHANG, in a loop)" || return
    local children
    children=$(lab_descendants server | wc -l)
    ((children == 2)) ||
        lab_fail "2 children below the server (for a and b)" "$children" "§3: one child per connected client" ||
        return
    still_chatting a b "§4" || return
    # Two children that end together: the parent is stopped while a and b
    # leave, so their two SIGCHLDs merge into one pending signal (one run of
    # the handler, one byte in the self-pipe); waitpid() in a loop reaps both.
    stop_parent || return
    lab_close_input a
    lab_close_input b
    two_zombies() { (($(lab_zombies server | wc -l) == 2)); }
    lab_wait_until "$(lab_seconds 5)" two_zombies ||
        lab_fail "a's and b's children to end once a and b half-closed (the server stopped, they are not reaped yet)" \
            "zombies below the server: $(lab_zombies server | tr '\n' ' ')" \
            "§4: at end of input the child relays what it holds and exits" || return
    lab_kill CONT "$(lab_pid server)"
    lab_wait_no_zombies server 2 \
        "§6: two children that end together send one SIGCHLD between them: the parent calls waitpid(-1, WNOHANG) in a loop until it returns 0, not once per byte of the self-pipe" ||
        return
    wait_server_line '^chat_server: client 1 left$' \
        "the line \"chat_server: client 1 left\" once a's and b's children ended together" \
        "§5 and §6: every child reaped is logged" || return
    wait_server_line '^chat_server: client 2 left$' \
        "the line \"chat_server: client 2 left\" once a's and b's children ended together" \
        "§5 and §6: every child reaped is logged"
}

# points: 4
@test "SIGTERM: children and server end, the shared memory object is unlinked, the port is free" {
    room a b c
    say a "before the end"
    received b 1
    received c 1
    object_of_size 16384 \
        "§3: shm_open(-n NAME), ftruncate to 16 (the default -m) x 1024 bytes, mmap before the first client; unlink only at the end" ||
        return
    local mode
    mode=$(stat -c %a "/dev/shm$SHM")
    [[ $mode == 600 ]] ||
        lab_fail "the shared memory object /dev/shm$SHM of mode 600 (its owner only)" "mode $mode" \
            "§3: shm_open(NAME, O_CREAT | O_EXCL | O_RDWR, 0600): no other user may open the chat" || return
    # b's child is stopped: the shutdown waits for it, and meanwhile a new
    # client must find the port closed (the listening socket goes first).
    local pb srv
    pb=$(child_of b) || return
    srv=$(lab_pid server) || return
    lab_signal_pid "$pb" STOP "b's child" || return
    lab_signal server TERM || return
    _shutting_down() { grep -qx 'chat_server: SIGTERM: shutting down' "$LAB_RUN/server.err" && lab_proc_state "$srv" S; }
    lab_wait_while_running server 5 _shutting_down ||
        lab_fail "the line \"chat_server: SIGTERM: shutting down\" on stderr, then the server waiting for its children (b's is stopped)" \
            "$(lab_describe server)" "§5 and §6: the shutdown is logged with the signal's name" "$(lab_show_output server)" ||
        return
    if nc -z -w 2 127.0.0.1 "$PORT" 2>/dev/null; then
        lab_kill CONT "$pb"
        lab_wait_exit server 5 || :
        lab_fail "no new connection on port $PORT while the server shuts down (waiting for b's child)" \
            "a client could connect: the listening socket was still open" \
            "§6: at SIGTERM, close the listening socket first, then stop the children and wait for them" || return
    fi
    lab_kill CONT "$pb"
    clean_end TERM || return
    # The connections the server closed first are still on $PORT (TIME_WAIT,
    # FIN-WAIT-2): a server restarted at once binds all the same (SO_REUSEADDR).
    local waiting
    waiting=$(ss -Htan "( sport = :$PORT )" 2>/dev/null | awk '{ print $1 }' | sort | uniq -c | xargs)
    lab_start_server again "^chat_server: listening on 127\\.0\\.0\\.1:$PORT\$" \
        "chat_server restarted at once on port $PORT (its closed connections still on it: ${waiting:-none}) to start: the line \"chat_server: listening on 127.0.0.1:$PORT\" on stderr" \
        "§3: setsockopt(SO_REUSEADDR) before bind(), so that a restarted server binds at once" \
        -- "$SERVER" -a 127.0.0.1 -p "$PORT" -n "$SHM" || return
    lab_stop_gracefully again TERM 0 "the restarted chat_server" "§6"
}

# points: 4
@test "SIGINT: the same clean shutdown" {
    start_server -m 4
    join a
    join b
    say b "hello"
    received a 1
    object_of_size 4096 "§3: ftruncate to MAXCLIENTS (here -m 4) x 1024 bytes" || return
    stop_server INT
}

# points: 4
@test "binary garbage and half-closed connections do not crash it" {
    start_server
    join a
    # Every byte value, then a half-close (nc -N shuts down its sending side).
    # a's child is stopped meanwhile: the garbage client's lines cannot all go
    # out before its end of input reaches the server; its child holds them.
    local pa
    pa=$(child_of a) || return
    lab_signal_pid "$pa" STOP "a's child" || return
    lab_spawn garbage --in "$BATS_FILE_TMPDIR/garbage.bin" -- nc -N 127.0.0.1 "$PORT"
    JOINED=$((JOINED + 1))
    _garbage_ended() {
        grep -qx 'chat_server: client 2 left' "$LAB_RUN/server.err" && return 0
        local inode rx state pg
        read -r inode rx state < <(server_end garbage) && [[ $state == 08 ]] || return 1
        pg=$(child_serving garbage) && lab_proc_state "$pg" S
    }
    lab_wait_while_running server 5 _garbage_ended ||
        lab_fail "the garbage client's 4096 bytes and end of input to reach the server, and its child to wait (a's child is stopped)" \
            "they did not; server: $(lab_describe server)" "§4" "$(lab_show_output server)" || return
    lab_kill CONT "$pa"
    wait_server_line "^chat_server: client 2 left\$" \
        "the garbage client (client 2) to come and go: \"chat_server: client 2 left\"" \
        "§4: a client's end of input means it leaves" || return
    # 16 newlines, and the one added at the end
    lab_wait_lines a 17 "$RECV_BOUND" ||
        lab_fail "client a to receive the garbage client's 16 lines, then its last bytes with a newline added: 17 lines" \
            "it received $(wc -l <"$LAB_RUN/a.out") line(s); server: $(lab_describe server)" \
            "§4: at end of input the child relays every complete line still buffered, then the last bytes, and only then leaves" \
            "what a received:" "$(lab_excerpt "$LAB_RUN/a.out")" "$(lab_show_output server)" || return
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

# points: 4
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
        "§3 and §8: each child closes what it inherited and does not use (listening socket, epoll, self-pipe, other channels); the parent closes the shared memory descriptor once mapped, its copy of each child's end of the socketpair, and everything on its way out"
}

# points: 4
@test "the signal handlers only write to the self-pipe (strace)" {
    SERVER_OPTS=(--strace all)
    start_server
    join a
    join b
    say a "hi"
    received b 1
    # Both ends of the self-pipe non-blocking (/proc/PID/fdinfo: O_NONBLOCK
    # is 04000): a handler must never block on a full pipe.
    local srv fd target flags blocking=""
    srv=$(lab_pid server) || return
    while read -r fd _ target; do
        [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)) && [[ $target == pipe:* ]] || continue
        flags=$(fdinfo "$srv" "$fd" | awk '$1 == "flags:" { print $2 }')
        [[ -n $flags ]] && (((8#$flags & 8#4000) == 0)) &&
            blocking+=" fd $fd ($( (((8#$flags & 3) == 1)) && echo "the write end" || echo "the read end"), flags $flags)"
    done < <(lab_fds "$srv")
    [[ -z $blocking ]] ||
        lab_fail "both ends of the self-pipe non-blocking (O_NONBLOCK, 04000 in /proc/PID/fdinfo)" \
            "blocking in the server:$blocking" \
            "§3 and §6: pipe2(O_NONBLOCK), or fcntl() on both ends: a handler that writes to a full pipe must not block" || return
    leave b 2 || return
    stop_server TERM || return
    handlers_only_write server CHLD TERM || return
    local log=$LAB_LOGS/server.strace parent ready killed
    parent=$(awk '/execve\(/ { print $1; exit }' "$log")
    # The readiness line once the socket listens and the epoll instance exists.
    ready=$(awk -v p="$parent" '$1 == p && /write\(2, "chat_server: listening on/ { print NR; exit }' "$log")
    local call at seen
    for call in listen epoll_create; do
        at=$(awk -v p="$parent" -v c="$call" '$1 == p && index($2, c) == 1 { print NR; exit }' "$log")
        [[ -n $at && -n $ready ]] && ((at < ready)) && continue
        seen="${at:+$call() at line $at of the log, }"
        if [[ -n $ready ]]; then
            seen+="the readiness line written at line $ready"
        else
            seen+="no write(2, \"chat_server: listening on ...\")"
        fi
        lab_fail "the readiness line written after $call()" "strace saw $seen" \
            "§3: the readiness line comes last, once everything is made and the socket listens" || return
    done
    # The parent waits in epoll_wait() (or epoll_pwait()), never in poll()
    # or select().
    local waits
    waits=$(awk -v p="$parent" '$1 == p && $2 ~ /^(epoll_p?wait2?|p?poll|p?select6?)\(/ {
        sub(/\(.*/, "", $2); n[$2]++ }
        END { for (c in n) printf " %s() %d time(s);", c, n[c] }' "$log")
    [[ $waits == *epoll_*wait* && $waits != *" poll("* && $waits != *" ppoll("* && $waits != *select* ]] ||
        lab_fail "the parent to wait for its events in epoll_wait() (or epoll_pwait()) on its epoll instance" \
            "strace saw the parent call:${waits:- none of epoll_wait, poll, select}" \
            "§3: the parent waits on everything (the listening socket, the self-pipe, each socketpair) with one epoll instance, not poll() or select()" ||
        return
    # "client 1 joined" once its child exists and its socketpair is watched:
    # a fork() and an epoll_ctl(EPOLL_CTL_ADD) between the accept and the line.
    local order
    order=$(awk -v p="$parent" '
        $1 != p { next }
        !acc && /accept4?\(|<\.\.\. accept4? resumed>/ && / = [0-9]+$/ { acc = 1; next }
        !acc { next }
        $2 ~ /^(clone3?|v?fork)\(/ { forked = 1 }
        $2 ~ /^epoll_ctl\(/ && /EPOLL_CTL_ADD/ { watched = 1 }
        /write\(2, "chat_server: client 1 joined/ { print (forked ? "" : " no fork() before it;") (watched ? "" : " no epoll_ctl(EPOLL_CTL_ADD) before it;"); found = 1; exit }
        END { if (!found) print " no such line written by the parent" }' "$log")
    [[ -z $order ]] ||
        lab_fail "the line \"chat_server: client 1 joined\" written once client 1's child is forked and its socketpair is in the epoll set" \
            "strace saw, after the first accept():$order" \
            "§3 and §5: fork, close the copies, add the socketpair to the epoll set, then log the client as joined" || return
    # At the shutdown each child leaves its loop and _exit()s: none dies of SIGTERM.
    killed=$(sed -nE 's/^([0-9]+) +\+\+\+ (killed by SIG[A-Z0-9]+).*/    child \1: \2/p' "$log" | head -n 3)
    [[ -z $killed ]] ||
        lab_fail "each child to end by returning from its loop and _exit() at the shutdown" \
            "strace saw children killed by a signal:" \
            "§6: the child's own handler for SIGTERM and SIGINT only sets a flag (not SIG_DFL)" "$killed" || return
    # SIGINT: the server traced again (a port and a name of its own), ended by SIGINT.
    local port2
    port2=$(lab_free_port)
    lab_start_server intr "^chat_server: listening on 127\\.0\\.0\\.1:$port2\$" \
        "chat_server, traced again on port $port2, to start: the line \"chat_server: listening on 127.0.0.1:$port2\" on stderr" \
        "§2 and §3" --strace all -- "$SERVER" -a 127.0.0.1 -p "$port2" -n "$(lab_name intr)" || return
    lab_stop_gracefully intr INT 0 "chat_server" "§6: SIGINT shuts the server down as SIGTERM does" || return
    handlers_only_write intr INT
}

# refused ARG...: chat_server -a 127.0.0.1 -p PORT -n SHM ARG... (the test's
# own port and name first, so that a server that wrongly accepts ARG runs on
# them, not on the defaults) is a usage error: exit status 2, on stderr one
# line saying what is wrong then exactly the usage line, nothing created.
USAGE_LINE='chat_server: usage: chat_server [-a ADDR] [-p PORT] [-m MAXCLIENTS] [-n SHMNAME]'
BAD=0
refused() {
    local name="bad$BAD" shown
    BAD=$((BAD + 1))
    shown=$(printf '%q ' "$@")
    shown="chat_server -a 127.0.0.1 -p $PORT -n $SHM ${shown% }"
    lab_spawn "$name" -- "$SERVER" -a 127.0.0.1 -p "$PORT" -n "$SHM" "$@"
    _ended_or_listening() {
        lab_finished "$name" || grep -qs '^chat_server: listening on' "$LAB_RUN/$name.err"
    }
    lab_wait_until "$(lab_seconds "$LAB_RUN_BOUND")" _ended_or_listening || :
    if ! lab_finished "$name" && grep -qs '^chat_server: listening on' "$LAB_RUN/$name.err"; then
        # It took the arguments and runs as a server: stopped the way §6 says.
        lab_signal "$name" TERM
        lab_wait_exit "$name" 5 || :
        lab_fail "$shown refused at once (exit status 2)" \
            "it started: it printed its readiness line and ran as a server" \
            "§2: check every value (range, digits only, address, name) and that no operand is left" \
            "$(lab_show_output "$name")"
        return
    fi
    lab_wait_exit "$name" || :
    lab_assert_exit "$name" 2 "§2: $shown is a usage error (exit status 2, at once)" || return
    local -a err
    mapfile -t err <"$LAB_RUN/$name.err"
    ((${#err[@]} == 2)) && [[ ${err[1]} == "$USAGE_LINE" && -n ${err[0]} && ${err[0]} != "$USAGE_LINE" ]] ||
        lab_fail "for: $shown, two lines on stderr: one that says what is wrong, then exactly \"$USAGE_LINE\"" \
            "${#err[@]} line(s), not those" \
            "§2: one line on stderr that says what is wrong, then the usage line (word for word, all four options)" \
            "$(lab_show_output "$name")" || return
    [[ ! -e /dev/shm$SHM ]] ||
        lab_fail "nothing created for: $shown" "/dev/shm$SHM exists (left behind)" \
            "§2: a usage error exits before anything is created (check every option before shm_open)" || return
}

# points: 4
@test "bad arguments: a usage message on stderr and exit status 2" {
    # Out of range.
    refused -m 0 || return
    refused -m 257 || return
    refused -p 65536 || return
    refused -p -1 || return
    # Not digits only (§2: no sign, no blank, nothing after them).
    refused -m x || return
    refused -p 80x || return
    refused -p +80 || return
    refused -p ' 80' || return
    refused -p '80 ' || return
    refused -m +2 || return
    # Past what an int, or a long, holds: out of range, never wrapped.
    refused -m 4294967298 || return
    refused -p 99999999999999999999 || return
    # Not a dotted IPv4 address (inet_pton(AF_INET)).
    refused -a nowhere || return
    refused -a 1.2.3 || return
    # Not "/" then at least one character, no other "/".
    refused -n noslash || return
    refused -n /a/b || return
    refused -n / || return
    refused -n '' || return
    # Longer than NAME_MAX: 256 bytes, the "/" included.
    refused -n "/$(printf '%0255d' 0)" || return
    # getopt(3): an unknown option, an operand, an option without its argument.
    refused -x || return
    refused extra || return
    refused -p || return
    # The largest value is a value: -m 256 starts, with an object of 256 x 1024 bytes.
    lab_start_server server "^chat_server: listening on 127\\.0\\.0\\.1:$PORT\$" \
        "chat_server -a 127.0.0.1 -p $PORT -n $SHM -m 256 (the largest MAXCLIENTS) to start: the line \"chat_server: listening on 127.0.0.1:$PORT\" on stderr" \
        "§2: MAXCLIENTS from 1 to 256, both bounds included" \
        -- "$SERVER" -a 127.0.0.1 -p "$PORT" -n "$SHM" -m 256 || return
    object_of_size 262144 "§3: ftruncate to MAXCLIENTS (here -m 256) x 1024 bytes" || return
    stop_server TERM || return
    # Digits in base 10, leading zeros too: -m 010 is ten clients (not
    # eight, as strtol() with base 0 would read it).
    local ten_name ten_size
    ten_name=$(lab_name ten)
    lab_start_server ten "^chat_server: listening on 127\\.0\\.0\\.1:$PORT\$" \
        "chat_server -a 127.0.0.1 -p $PORT -n $ten_name -m 010 to start: the line \"chat_server: listening on 127.0.0.1:$PORT\" on stderr" \
        "§2: numbers are digits in base 10, leading zeros allowed" \
        -- "$SERVER" -a 127.0.0.1 -p "$PORT" -n "$ten_name" -m 010 || return
    ten_size=$(stat -c %s "/dev/shm$ten_name" 2>/dev/null)
    [[ $ten_size == 10240 ]] ||
        lab_fail "under -m 010 (ten, in base 10), the object /dev/shm$ten_name of 10240 bytes" "${ten_size:-no such object}" \
            "§2: numbers are read in base 10: a leading zero does not make octal (strtol() with base 10, not 0)" || return
    lab_stop_gracefully ten TERM 0 "chat_server -m 010" "§6" || return
    # The longest SHMNAME is a name: 255 bytes, the "/" included (NAME_MAX),
    # one less than the 256 refused above.
    local long_name
    long_name=$(lab_name long)
    long_name+=$(head -c $((255 - ${#long_name})) /dev/zero | tr '\0' x)
    lab_start_server long "^chat_server: listening on 127\\.0\\.0\\.1:$PORT\$" \
        "chat_server -a 127.0.0.1 -p $PORT -n NAME, NAME of 255 bytes (the largest, the \"/\" included), to start: the line \"chat_server: listening on 127.0.0.1:$PORT\" on stderr" \
        "§2: SHMNAME at most 255 bytes in all, the \"/\" included: 255 is allowed, 256 is not (> NAME_MAX, not >=)" \
        -- "$SERVER" -a 127.0.0.1 -p "$PORT" -n "$long_name" || return
    [[ -f /dev/shm$long_name ]] ||
        lab_fail "under -n NAME of 255 bytes, the object /dev/shm$long_name" "no such object" \
            "§3: shm_open(SHMNAME) with the name given" "$(lab_show_output long)" || return
    lab_stop_gracefully long TERM 0 "chat_server -n NAME of 255 bytes" "§6" || return
    # -p 0: the kernel chooses the port, and the readiness line gives it;
    # -m 1, the smallest MAXCLIENTS, is a value too.
    local zero_name line port0 size
    zero_name=$(lab_name zero)
    # Both values joined to their options (-p0, -m1), as getopt(3) takes them.
    lab_spawn zero -- "$SERVER" -a 127.0.0.1 -p0 -n "$zero_name" -m1
    lab_wait_output zero '^chat_server: listening on ' 5 err ||
        lab_fail "chat_server -a 127.0.0.1 -p0 -n $zero_name -m1 to start: a line \"chat_server: listening on 127.0.0.1:PORT\" on stderr" \
            "$(lab_describe zero)" "§2: PORT 0 lets the kernel choose; MAXCLIENTS from 1 to 256, both bounds included; options are parsed as by getopt(3), which takes a value joined to its option (-p0, -m1)" \
            "$(lab_show_output zero)" || return
    size=$(stat -c %s "/dev/shm$zero_name" 2>/dev/null)
    [[ $size == 1024 ]] ||
        lab_fail "under -m 1, the object /dev/shm$zero_name of 1024 bytes" "${size:-no such object}" \
            "§3: ftruncate to MAXCLIENTS (here -m 1) x 1024 bytes" || return
    line=$(grep -m 1 '^chat_server: listening on ' "$LAB_RUN/zero.err")
    port0=${line##*:}
    [[ $port0 =~ ^[1-9][0-9]*$ ]] && ((port0 <= 65535)) && lab_port_listening "$port0" ||
        lab_fail "under -p 0, the readiness line to give the port the kernel chose, one that listens" \
            "the line is \"$line\"" \
            "§3: the readiness line gives the real port: getsockname() after bind() when PORT is 0" \
            "$(lab_show_output zero)" || return
    lab_stop_gracefully zero TERM 0 "chat_server -p0 -m1" "§6" || return
    # -p 65535, the largest PORT, is a value too. Whether that port is free
    # is not the test's to know: strace makes its bind() fail with
    # EADDRINUSE, so the server must say so for port 65535 and exit 1, not
    # refuse the number (exit 2).
    local top_name
    top_name=$(lab_name top)
    lab_run top --inject 'bind:error=EADDRINUSE' -- "$SERVER" -a 127.0.0.1 -p 65535 -n "$top_name"
    lab_assert_finished top "chat_server -p 65535 to give up once its bind() failed" "§2 and §8" || return
    lab_assert_stderr_line top "chat_server: bind 127.0.0.1:65535: Address already in use" \
        "§2: PORT from 0 to 65535, both bounds included (strace made bind() fail with EADDRINUSE: §8's line for it)" || return
    lab_assert_exit top 1 "§8: a failed bind() exits 1 (a usage error, exit 2, would mean 65535 was refused)"
}

# points: 8
@test "a client in the middle leaves: the others chat on, and a newcomer gets a free place" {
    room a b c
    say a "one"
    received b 1
    received c 1
    leave b 2 || return
    say a "a after b left"
    received c 2
    say c "c after b left"
    received a 1
    join d      # client 4, in b's place: c's place is still c's
    # c and d send long lines at the same time: each through its own slot.
    at_once c d 10 3000
    received a 21
    received d 10
    received c 12
    expect_exactly d "$BATS_TEST_TMPDIR/c.lines" \
        "client d (client 4, in the place b left) to receive c's 10 lines of 3003 bytes whole and in order" \
        "§3 and §5: a newcomer gets a free place (b's), never the place of a client still connected (c's)" ||
        return
    expect_exactly c <(printf '%s\n' "one" "a after b left"; cat "$BATS_TEST_TMPDIR/d.lines") \
        "client c, connected after b left, to receive a's lines and d's 10 lines whole and in order" \
        "§3 and §5: a place is a free slot, not the number of clients connected; every other client gets each line" ||
        return
    { echo "c after b left"; cat "$BATS_TEST_TMPDIR/c.lines"; } >"$BATS_TEST_TMPDIR/a.from-c"
    grep -v '^D' "$LAB_RUN/a.out" >"$BATS_TEST_TMPDIR/a.got-c"
    lab_assert_same_file "$BATS_TEST_TMPDIR/a.from-c" "$BATS_TEST_TMPDIR/a.got-c" \
        "client a to receive c's lines whole and in order (shown without d's)" \
        "§3 and §5: after b (in the middle) left, c and d each write their own slot" a || return
    grep '^D' "$LAB_RUN/a.out" >"$BATS_TEST_TMPDIR/a.got-d"
    lab_assert_same_file "$BATS_TEST_TMPDIR/d.lines" "$BATS_TEST_TMPDIR/a.got-d" \
        "client a to receive d's lines whole and in order (shown without c's)" \
        "§3 and §5: a newcomer's slot is a free one" a
}

# points: 4
@test "the port or the name already in use: exit status 1, and the first server's object is left alone" {
    start_server
    join a
    join b
    local other port2
    other=$(lab_name other)
    # The port is the first server's: bind() fails.
    lab_spawn busy -- "$SERVER" -a 127.0.0.1 -p "$PORT" -n "$other"
    lab_wait_exit busy 5 ||
        lab_fail "a second chat_server on port $PORT (in use) to exit at once" "$(lab_describe busy)" \
            "§6 and §8: a failed bind() is a failure while setting up: a message, then exit status 1" \
            "$(lab_show_output busy)" || return
    lab_assert_exit busy 1 "§6 (exit statuses) and §8: the port is taken: exit status 1" || return
    grep -q 'Address already in use' "$LAB_RUN/busy.err" ||
        lab_fail "the line \"chat_server: bind 127.0.0.1:$PORT: Address already in use\" on stderr" \
            "no line says \"Address already in use\"" "§8: chat_server: CALL: strerror text" \
            "$(lab_show_output busy)" || return
    [[ ! -e /dev/shm$other ]] ||
        lab_fail "nothing of the failed server left in /dev/shm" "/dev/shm$other is still there" \
            "§8: failures while setting up exit 1 after removing what was created (the object too)" || return
    # The same port on another address is free: a server bound to ADDR
    # (-a 127.0.0.2), not to every address, starts beside the first one.
    local beside
    beside=$(lab_name beside)
    lab_start_server beside "^chat_server: listening on 127\\.0\\.0\\.2:$PORT\$" \
        "a second chat_server -a 127.0.0.2 -p $PORT (the first one listens on 127.0.0.1:$PORT only) to start: the line \"chat_server: listening on 127.0.0.2:$PORT\" on stderr" \
        "§2 and §3: the listening socket is bound to ADDR:PORT (-a), not to INADDR_ANY or INADDR_LOOPBACK" \
        -- "$SERVER" -a 127.0.0.2 -p "$PORT" -n "$beside" || return
    lab_spawn near --in-pipe -- nc -N 127.0.0.2 "$PORT"
    lab_wait_output beside '^chat_server: client 1 joined$' 5 err ||
        lab_fail "a client of 127.0.0.2:$PORT to join the server listening there (\"chat_server: client 1 joined\")" \
            "$(lab_describe beside)" "§2 and §3: the server listens on ADDR" "$(lab_show_output beside)" || return
    lab_stop_gracefully beside TERM 0 "the chat_server on 127.0.0.2" "§6" || return
    # The name is the first server's: shm_open(O_CREAT | O_EXCL) fails.
    port2=$(lab_free_port)
    lab_spawn twin -- "$SERVER" -a 127.0.0.1 -p "$port2" -n "$SHM"
    lab_wait_output twin . 5 err || :
    grep -q '^chat_server: listening on' "$LAB_RUN/twin.err" &&
        lab_fail "a second chat_server on the name $SHM (in use) to refuse it and exit 1" \
            "it started: it took over the first server's object" \
            "§3: shm_open() with O_CREAT | O_EXCL: if the name already exists, that is an error" \
            "$(lab_show_output twin)"
    lab_wait_exit twin 5 ||
        lab_fail "a second chat_server on the name $SHM (in use) to exit at once" "$(lab_describe twin)" \
            "§3: O_EXCL, then §8: exit 1" "$(lab_show_output twin)" || return
    lab_assert_exit twin 1 "§3: if the name already exists, that is an error: exit status 1" || return
    grep -q 'File exists' "$LAB_RUN/twin.err" ||
        lab_fail "a line such as \"chat_server: shm_open $SHM: File exists\" on stderr" \
            "no line says \"File exists\"" "§8: chat_server: CALL: strerror text" "$(lab_show_output twin)" ||
        return
    object_of_size 16384 \
        "§8: a failed setup removes what it created, nothing else: the first server's object stays as it was" ||
        return
    still_chatting a b "§8: the failed servers left the first one alone" || return
    stop_server TERM
}

# points: 4
@test "SIGINT after a client in the middle left: every child ends, exit status 0" {
    start_server -m 4
    join a
    join b
    join c
    say a "hello"
    received b 1
    received c 1
    # c never reads again; flood fills its connection.  Meanwhile b, in the
    # middle, leaves.
    local pc count
    flood_c "§6" || return
    pc=$PC count=$FLOOD_LINES
    leave b 2 || return
    lab_wait_while_running server 20 lab_blocked_sending "$pc" ||
        lab_fail "c's child to block writing to c, whose netcat is stopped and reads nothing, once flood has sent $count lines of 60000 bytes" \
            "c's child: $(lab_stuck_state "$pc"); server: $(lab_describe server)" "§4 and §7" \
            "$(lab_show_output server)" || return
    # The shutdown must end it too: blocked in that write, it never looks
    # at its socketpair; only a signal interrupts it.
    lab_signal server INT || return
    _c_child_gone() { lab_finished server || ! [[ -d /proc/$pc ]] || lab_proc_state "$pc" Z; }
    lab_wait_until "$(lab_seconds 5)" _c_child_gone ||
        lab_fail "c's child, blocked writing to c (which does not read), to end within 5 s of the server's SIGINT" \
            "it is still there: $(lab_stuck_state "$pc")" \
            "§6: at the shutdown the parent sends every child SIGTERM: a child blocked writing to a client that does not read never sees its socketpair closed; its handler, installed without SA_RESTART, makes that write return (EINTR, or the count written so far: look at the flag before writing the rest)" \
            "$(lab_show_output server)" || return
    clean_end INT || return
    grep -qx 'chat_server: SIGINT: shutting down' "$LAB_RUN/server.err" ||
        lab_fail "the line \"chat_server: SIGINT: shutting down\" on stderr" "no such line" \
            "§5 and §6: the shutdown is logged with the signal's name" "$(lab_show_output server)"
}

# points: 4
@test "each child holds only its client's socket and its end of the socketpair (/proc/PID/fd)" {
    room a b c
    say a "hello"
    received b 1
    received c 1
    local child children listing fd target inode state tcp unix bad report=""
    children=$(pgrep -P "$(lab_pid server)")
    (($(wc -w <<<"$children") == 3)) ||
        lab_fail "3 children below the server (a, b, c)" "$(wc -w <<<"$children")" "§3: one child per client" ||
        return
    for child in $children; do
        listing=$(lab_fds "$child")
        tcp=0 unix=0 bad=""
        while read -r fd _ target; do
            [[ -n $fd ]] || continue
            inode=${target#socket:[}
            inode=${inode%]}
            if [[ $target == socket:* ]] && read -r _ _ state _ < <(lab_tcp_socket "$inode"); then
                tcp=$((tcp + 1))
                [[ $state == 0A ]] && bad+=" fd $fd: the listening socket;"
            elif [[ $target == socket:* ]]; then
                unix=$((unix + 1))
            elif [[ $target == anon_inode:*eventpoll* ]]; then
                # The child's own epoll instance is fine; the parent's
                # watches descriptors the child does not hold.
                local ino own=1
                for ino in $(fdinfo "$child" "$fd" | sed -n 's/^tfd:.* ino:\([0-9a-f]*\).*/\1/p'); do
                    grep -qF "socket:[$((16#$ino))]" <<<"$listing" || own=0
                done
                ((own)) || bad+=" fd $fd: the parent's epoll instance;"
            else
                bad+=" fd $fd: $target;"
            fi
        done <<<"$listing"
        ((tcp > 1)) && bad+=" $tcp TCP sockets;"
        ((unix > 1)) && bad+=" $unix socketpair ends (its own is one, the others are the parent's ends of the other children's);"
        ((tcp == 0 || unix == 0)) && bad+=" not both its client's socket and its socketpair end;"
        [[ -z $bad ]] || report+=$'\n'"    child $child:$bad"$'\n'"        ${listing//$'\n'/$'\n'        }"
    done
    [[ -z $report ]] ||
        lab_fail "each child to hold, above 0, 1 and 2, its client's socket and its end of its socketpair only (and an epoll instance of its own, if it uses one)" \
            "a child holds more (its descriptors, from /proc/PID/fd):" \
            "§3: after fork() the child closes the listening socket, the epoll descriptor, both ends of the self-pipe, the parent's end of its socketpair and the parent's ends of every other child's socketpair" \
            "${report#$'\n'}"
}

# points: 4
@test "two messages of one child wait for the parent in one wake-up: both are read (epoll)" {
    room a b c
    local pb srv
    pb=$(child_of b) || return
    # b's child stops: a's line waits for it (and for its answer).
    lab_signal_pid "$pb" STOP "b's child"
    say a "x from a"
    received c 1
    # b's line waits in b's connection, unread.
    say b "y from b"
    lab_wait_while_running server 5 server_unread b 9 ||
        lab_fail "b's line (9 bytes) waiting in b's connection" "it did not arrive" "§4" || return
    # The parent stops too; b's child goes on and answers a's line and
    # sends b's line: both wait for the parent, which gets one wake-up.
    srv=$(lab_pid server)
    stop_parent || return
    lab_kill CONT "$pb"
    _b_child_done() {
        (($(wc -l <"$LAB_RUN/b.out") >= 1)) && server_unread b 0 && lab_proc_state "$pb" S
    }
    lab_wait_until "$(lab_seconds 5)" _b_child_done ||
        lab_fail "b's child, continued, to write a's line to b, read b's line and wait" \
            "b received $(wc -l <"$LAB_RUN/b.out") line(s); b's child: $(lab_stuck_state "$pb")" "§7" || return
    lab_kill CONT "$srv"
    lab_wait_lines a 1 5 ||
        lab_fail "client a to receive b's line" \
            "it received nothing: b's line waited in the parent's end of b's socketpair behind another message, and was never read; server: $(lab_describe server)" \
            "§3: an edge-triggered epoll (EPOLLET) reports new data once: its reader must read until EAGAIN; or use the default, level-triggered mode" \
            "$(lab_show_output server)" || return
    received c 2
    expect_exactly a <(echo "y from b") "client a to receive b's line" "§4" || return
    expect_exactly b <(echo "x from a") "client b to receive a's line" "§4" || return
    expect_exactly c <(printf 'x from a\ny from b\n') "client c to receive a's and b's lines" "§4"
}

# points: 4
@test "SIGTERM to one child ends that client only; Ctrl-C (SIGINT to the group) shuts down once" {
    room a b c
    local pb pgid
    pb=$(child_of b) || return
    # b's child is stopped while a's line goes out to it: it gets SIGTERM
    # owing the parent its answer for that line, and ends without giving it.
    lab_signal_pid "$pb" STOP "b's child" || return
    say a "while b's child is stopped"
    received c 1
    lab_signal_pid "$pb" TERM "b's child" || return
    lab_kill CONT "$pb"
    wait_server_line '^chat_server: client 2 left$' \
        "the line \"chat_server: client 2 left\" once b's child alone got SIGTERM" \
        "§6: the child installs its own SIGTERM handler (a flag): it leaves its loop and _exit()s, the parent reaps it; the parent's handler is not the child's" ||
        return
    lab_wait_exit b 5 ||
        lab_fail "b's connection closed once its child ended" "it stayed open" "§6" || return
    lab_finished server &&
        lab_fail "the server still running after one child got SIGTERM" "$(lab_describe server)" \
            "§6: a SIGTERM to one child ends that client only" "$(lab_show_output server)"
    say a "a after b left"
    lab_wait_lines c 2 "$RECV_BOUND" ||
        lab_fail "client c to receive a's next line once b's child, which owed the answer for a's first line, ended" \
            "it received $(wc -l <"$LAB_RUN/c.out") line(s); server: $(lab_describe server)" \
            "§7: a receiver that ends counts as answered: the floor goes on without its ACK" \
            "what c received:" "$(lab_excerpt "$LAB_RUN/c.out")" "$(lab_show_output server)" || return
    still_chatting a c "§6: a SIGTERM to one child ends that client only" || return
    # Ctrl-C in the terminal: SIGINT to the whole process group. The parent
    # is stopped until every child has taken its SIGINT, then goes on.
    local srv children
    srv=$(lab_pid server)
    children=$(pgrep -P "$srv")
    pgid=$(ps -o pgid= -p "$srv" | tr -d ' ')
    [[ $pgid == "$srv" ]] ||
        lab_fail "the server to lead its own process group" "its group is $pgid" "§6" || return
    stop_parent || return
    printf 'SIGINT %s\n' "${EPOCHREALTIME%.*}" >>"$LAB_RUN/server.signals"
    lab_kill INT "-$pgid"
    _sigint_taken() {
        local child pending mask
        for child in $children; do
            lab_proc_state "$child" Z && continue       # ended: it took it
            pending=$(awk '$1 == "ShdPnd:" || $1 == "SigPnd:" { print $2 }' "/proc/$child/status" 2>/dev/null) ||
                continue
            for mask in $pending; do
                (((16#$mask & 2) == 0)) || return 1
            done
        done
    }
    lab_wait_until "$(lab_seconds 5)" _sigint_taken ||
        lab_fail "each child to take its SIGINT" "one still has it pending" "§6" || return
    lab_kill CONT "$srv"
    clean_end INT || return
    local lines
    lines=$(grep -c 'shutting down' "$LAB_RUN/server.err")
    ((lines == 1)) ||
        lab_fail "one line \"chat_server: SIGINT: shutting down\": the parent's own SIGINT" "$lines lines say \"shutting down\"" \
            "§6: a child's SIGINT is the child's (a handler of its own); with the parent's handler and the self-pipe still open, each child's SIGINT reaches the parent's self-pipe" \
            "$(lab_show_output server)"
}

# points: 4
@test "a line longer than 65536 bytes: its sender is told and disconnected, the others chat on" {
    room a b long
    local pl pn line state
    pl=$(child_of long) || return
    pn=$(lab_pid long) || return
    # long's child is stopped until the whole line (65536 bytes, then its
    # newline: 65537, one past the longest) waits in its connection.
    lab_signal_pid "$pl" STOP "long's child" || return
    line=$(head -c 65536 /dev/zero | tr '\0' L)
    say long "$line"
    lab_wait_while_running server 5 server_unread long 65537 ||
        lab_fail "long's line (65537 bytes with its newline) waiting in its connection" \
            "it did not arrive (server's end: $(server_end long))" "§4" || return
    state=$(client_state long)
    [[ $state == 01 ]] ||
        lab_fail "long's connection established" "its TCP state is ${state:-gone}" "§4" || return
    # Then the client (netcat) is stopped: it reads the server's answer only
    # once the child has written it and closed or half-closed the connection.
    # A child that closes with the newline still unread makes the kernel send
    # a reset, which destroys the answer before netcat reads it.
    lab_signal_pid "$pn" STOP "long's netcat" || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$pn" T ||
        lab_fail "long's netcat stopped (SIGSTOP)" "$(lab_stuck_state "$pn")" "§4" || return
    lab_kill CONT "$pl"
    _long_answered() {
        local st
        st=$(client_state long) || return 1
        [[ $st != 01 ]]
    }
    lab_wait_while_running server 5 _long_answered ||
        lab_fail "long's child, continued, to read 65536 bytes without a newline, write the line-too-long message and close or half-close the connection" \
            "long's connection is still established; long's child: $(lab_stuck_state "$pl")" \
            "§4: a client that sends a line longer than 65536 bytes is told and disconnected" \
            "$(lab_show_output server)" || return
    state=$(client_state long)
    [[ -n $state ]] && state="in TCP state $state (08: CLOSE_WAIT, the server's FIN is in)"
    lab_kill CONT "$pn"
    lab_close_input long
    lab_wait_exit long 5 ||
        lab_fail "long's netcat to end once the server disconnected it" "it still runs: $(lab_describe long)" "§4" || return
    expect_exactly long <(printf 'chat_server: line too long (more than 65536 bytes), disconnected\n') \
        "client long, which sent a line of 65537 bytes, to receive exactly \"chat_server: line too long (more than 65536 bytes), disconnected\" (its connection, once the child answered, was ${state:-reset})" \
        "§4: write the message, then half-close (shutdown(SHUT_WR)) and read what the client still sends until it closes: close() with unread input sends a reset (RST), which destroys the message if the client has not read it yet" ||
        return
    wait_server_line '^chat_server: client 3 left$' \
        "the line \"chat_server: client 3 left\" once long was disconnected" \
        "§4 and §5: the child of a client whose line is too long ends, and the parent reaps it" || return
    local who
    for who in a b; do
        [[ ! -s $LAB_RUN/$who.out ]] ||
            lab_fail "nothing of long's line for client $who" "it received $(wc -c <"$LAB_RUN/$who.out") bytes" \
                "§4: only lines up to 65536 bytes are relayed" "$(lab_excerpt "$LAB_RUN/$who.out")" || return
    done
    still_chatting a b "§4: a line too long disconnects its sender only"
}

# points: 4
@test "a sender's child killed while its line goes out: its place is free again once the others have the line" {
    start_server -m 3
    join a
    join b
    join c
    local pa pb
    pa=$(child_of a) || return
    pb=$(child_of b) || return
    # b's child is stopped: a's line goes out to b's and c's children, and
    # the ACK of b's is missing: the line holds the floor, a's slot is read.
    lab_signal_pid "$pb" STOP "b's child" || return
    say a "from a, killed meanwhile"
    received c 1
    # a's child dies while its line goes out (SIGKILL: no handler, no word
    # to the parent), and is reaped.
    lab_signal_pid "$pa" KILL "a's child" || return
    wait_server_line '^chat_server: client 1 left$' \
        "the line \"chat_server: client 1 left\" once a's child was killed" \
        "§5 and §6: a child that dies is reaped like any other" || return
    # b's child goes on: it writes a's line and answers; then b speaks, and
    # the parent reads b's answer before b's line (one socketpair, in order):
    # once c has b's line, every reader of a's slot is done.
    lab_kill CONT "$pb"
    received b 1
    say b "from b"
    received c 2
    # a's place is free: a newcomer (client 4) takes it under -m 3.
    lab_spawn d --in-pipe -- nc -N 127.0.0.1 "$PORT"
    _d_answered() {
        grep -qE '^chat_server: (client 4 joined|refused a client)' "$LAB_RUN/server.err"
    }
    lab_wait_while_running server 5 _d_answered ||
        lab_fail "the line \"chat_server: client 4 joined\" once d connected" "no such line ($(lab_describe server))" \
            "§5" "$(lab_show_output server)" || return
    grep -qx 'chat_server: client 4 joined' "$LAB_RUN/server.err" ||
        lab_fail "client d to join (\"chat_server: client 4 joined\") in the place of a, whose child was killed while its line went out, reaped, and whose line every other child has written" \
            "it was refused: the server counts a's place as taken (b and c are the only clients; -m 3)" \
            "§5 and §7: the place of a child is free once it has been reaped and no other child still reads its slot; the place of a sender that died while its chunk went out too, once the last ACK for that chunk is in" \
            "$(lab_show_output server)" || return
    JOINED=4
    say c "welcome d"
    received d 1
    expect_exactly d <(printf 'welcome d\n') "client d to receive c's line, sent after it joined" "§4" || return
    received b 2
    expect_exactly b <(printf '%s\n' "from a, killed meanwhile" "welcome d") \
        "client b to receive a's line, then c's" "§4"
}

# failed_client NAME WHAT ERROR: a connection for which the server makes WHAT
# fail (strace): NAME (netcat) is disconnected, and the server logs a line
# "chat_server: CALL: ERROR" (§8) and no client line for it.
failed_client() {
    lab_spawn "$1" --in-pipe -- nc -N 127.0.0.1 "$PORT"
    lab_wait_exit "$1" 5 ||
        lab_fail "client $1, for which $2 failed (strace), disconnected" "its connection stays open: $(lab_describe "$1")" \
            "§8: a failure with one client ends that client: close its connection" "$(lab_show_output server)" || return
    lab_wait_output server "^chat_server: .*: $3\$" 5 err ||
        lab_fail "a line \"chat_server: CALL: $3\" on stderr once $2 failed for client $1" "no such line" \
            "§8: every failure is reported as chat_server: CALL: strerror text" "$(lab_show_output server)" || return
    [[ ! -s $LAB_RUN/$1.out ]] ||
        lab_fail "nothing for client $1, for which $2 failed" "it received $(wc -c <"$LAB_RUN/$1.out") bytes" "§8" \
            "$(lab_excerpt "$LAB_RUN/$1.out")"
}

# points: 4
@test "a socketpair(), fork() or epoll_ctl() that fails for one client ends that client only" {
    # strace makes three calls fail, once each: the second fork() (clone()),
    # the third socketpair(), the fourth epoll_ctl() (the first two watch the
    # listening socket and the self-pipe, the third a's socketpair).
    # And the sixth accept() (after a, nofork, nopair, nowatch and b) fails
    # with ENFILE: the server says so and goes on (§8).
    SERVER_OPTS=(--inject 'clone,clone3,fork,vfork:error=EAGAIN:when=2'
        --inject 'socketpair:error=EMFILE:when=3' --inject 'epoll_ctl:error=ENOMEM:when=4'
        --inject 'accept,accept4:error=ENFILE:when=6')
    start_server -m 3
    join a
    failed_client nofork "fork()" 'Resource temporarily unavailable' || return
    failed_client nopair "socketpair()" 'Too many open files' || return
    # epoll_ctl() fails once the child exists: the parent cannot watch its
    # socketpair, the client never joins (no line would reach it): no
    # number, no "joined", and its child, its socketpair closed, ends.
    local srv
    srv=$(lab_pid server) || return
    failed_client nowatch "epoll_ctl(EPOLL_CTL_ADD) of its socketpair" 'Cannot allocate memory' || return
    _one_child() { (($(pgrep -P "$srv" | wc -l) == 1)); }
    lab_wait_until "$(lab_seconds 5)" _one_child ||
        lab_fail "one child below the server, a's, once the child of the client whose socketpair could not be watched ended and was reaped" \
            "children: $(pgrep -P "$srv" | xargs) ($(lab_describe server))" \
            "§8: a failure with one client ends that client; §6: every child that ends is reaped" || return
    local lines
    lines=$(grep -E '^chat_server: client [0-9]+ (joined|left)$' "$LAB_RUN/server.err")
    [[ $lines == "chat_server: client 1 joined" ]] ||
        lab_fail "one client line on stderr, \"chat_server: client 1 joined\": the three failed clients get no number, no \"joined\", no \"left\"" \
            "the client lines are:"$'\n'"$lines" \
            "§5: \"client N joined\" once the child exists and its socketpair is in the epoll set (epoll_ctl() succeeded), and only then; §8: a client that failed is not a client" \
            "$(lab_show_output server)" || return
    join b      # client 2
    lab_finished server &&
        lab_fail "chat_server still running" "$(lab_describe server)" "§8" "$(lab_show_output server)"
    say a "a after the failures"
    received b 1
    expect_exactly b <(echo "a after the failures") "client b to receive a's line" "§8: the server and the others go on" || return
    still_chatting a b "§8: a failure with one client ends that client only" || return
    # A failed accept() (strace: ENFILE) is a failure with one client too,
    # never the end of the server: its message, and the others go on.
    lab_spawn noaccept --in-pipe -- nc -N 127.0.0.1 "$PORT"
    lab_wait_output server '^chat_server: .*: Too many open files in system$' 5 err ||
        lab_fail "a line \"chat_server: CALL: Too many open files in system\" on stderr once accept() failed (strace: ENFILE) for client noaccept" \
            "no such line ($(lab_describe server))" \
            "§8: every failure is reported as chat_server: CALL: strerror text" "$(lab_show_output server)" || return
    # The server goes on: a's next line reaches b, unless the server ended.
    local had
    had=$(wc -l <"$LAB_RUN/b.out")
    say a "a after the failed accept"
    lab_wait_until "$(lab_seconds "$RECV_BOUND")" more_lines_or_server_ended b "$had" || :
    ! lab_finished server ||
        lab_fail "chat_server still running after accept() failed (ENFILE) for one client, and a's next line reaching b" \
            "the server ended: $(lab_describe server)" \
            "§8: a failure with one client (its socket, its child) only ends that client: report it and go on serving" \
            "$(lab_show_output server)" || return
    received b $((had + 1)) || return
    [[ $(tail -n 1 "$LAB_RUN/b.out") == "a after the failed accept" ]] ||
        lab_fail "client b to receive \"a after the failed accept\" after accept() failed for another client" \
            "its last line is: $(tail -n 1 "$LAB_RUN/b.out" | cat -A | head -c 200)" "§8: the others go on" || return
}

# more_lines_or_server_ended NAME COUNT: NAME's netcat has printed more
# than COUNT lines, or the server has ended (a wait that must not outlast
# the server).
more_lines_or_server_ended() {
    lab_finished server || (($(wc -l <"$LAB_RUN/$1.out") > $2))
}

# last_bytes_held NAME CHILD LINE COUNT: NAME's netcat sends "NAME-last"
# (no newline), which NAME's child (pid CHILD) reads and holds; NAME's
# netcat is then stopped, and b says LINE, which a receives (its COUNT-th
# line) and NAME's netcat leaves unread.
last_bytes_held() {
    local name=$1 child=$2 line=$3 count=$4 fd=${LAB_INPUT_FD[$1]}
    (trap '' PIPE; printf '%s' "$name-last" >&"$fd") 2>/dev/null
    lab_wait_while_running server 5 holds_last_bytes "$name" "$child" ||
        lab_fail "$name's child to read $name's 6 bytes (no newline) and wait" "$name's child: $(lab_stuck_state "$child")" "§4" || return
    lab_signal_pid "$(lab_pid "$name")" STOP "$name's netcat" || return
    say b "$line"
    received a "$count"
    lab_wait_while_running server 5 client_unread "$name" 3 ||
        lab_fail "b's line (3 bytes) waiting unread at $name's netcat (stopped)" "it did not arrive" "§4"
}

# holds_last_bytes NAME CHILD: NAME's child has read all NAME sent, and waits.
holds_last_bytes() {
    server_unread "$1" 0 && lab_proc_state "$2" S
}

# points: 4
@test "a connection reset is an end of input: the child relays what it holds and leaves, SIGPIPE kills nobody" {
    room a b x y
    local px py
    px=$(child_of x) || return
    py=$(child_of y) || return
    # x's child holds x's last bytes (no newline); x's netcat is stopped with
    # b's line unread, then killed: its connection is reset while x's child
    # waits, and the child's next read() fails (ECONNRESET).
    last_bytes_held x "$px" b1 1 || return
    reset_client x || return
    wait_server_line '^chat_server: client 3 left$' \
        "the line \"chat_server: client 3 left\" once x's connection was reset" \
        "§4: a connection reset counts as an end of input: the child relays what it holds, then leaves" || return
    received a 2
    received b 1
    expect_exactly a <(printf '%s\n' "b1" "x-last") \
        "client a to receive b's line, then x's last bytes with a newline added, which x's child held when x's connection was reset" \
        "§4: a connection reset counts as an end too: read() failing with ECONNRESET is an end of input, after which the child relays every line it holds and the last bytes with a newline, then leaves" ||
        return
    # y's child holds y's last bytes too; y's connection is reset while y's
    # child is stopped, then a's line of 3000 bytes (3 chunks) goes out: y's
    # child, continued, writes each chunk to a client that is gone (the
    # first write fails with ECONNRESET, the next ones with EPIPE, and
    # SIGPIPE), answers each, and still relays y's last bytes.
    last_bytes_held y "$py" b2 3 || return
    lab_signal_pid "$py" STOP "y's child" || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$py" T ||
        lab_fail "y's child stopped (SIGSTOP)" "$(lab_stuck_state "$py")" "§4" || return
    reset_client y || return
    local long
    long="A-long:$(head -c 3000 /dev/zero | tr '\0' a)"
    say a "$long"
    # The first chunk of a's line (1024 bytes) reaches b; the next ones wait
    # for y's child's answer.
    _first_chunk_at_b() { (($(wc -c <"$LAB_RUN/b.out") >= 7 + 1024)); }
    lab_wait_while_running server 5 _first_chunk_at_b ||
        lab_fail "client b to receive the first 1024 bytes of a's line" \
            "it received $(wc -c <"$LAB_RUN/b.out") bytes in all" "§4 and §7" || return
    lab_kill CONT "$py"
    wait_server_line '^chat_server: client 4 left$' \
        "the line \"chat_server: client 4 left\" once y's connection was reset" "§4" || return
    lab_wait_lines a 4 "$RECV_BOUND" ||
        lab_fail "client a to receive y's last bytes with a newline added, which y's child held when y's connection was reset, after a's line went out to it: 4 lines" \
            "it received $(wc -l <"$LAB_RUN/a.out") line(s): y's child ended without relaying them" \
            "§6: SIGPIPE is ignored (or every write to a client uses MSG_NOSIGNAL): a write to a client that is gone fails with EPIPE instead of killing the child; §4: a client that is gone is an end of input, what its child holds is still relayed" \
            "what a received:" "$(lab_excerpt "$LAB_RUN/a.out")" "$(lab_show_output server)" || return
    expect_exactly a <(printf '%s\n' "b1" "x-last" "b2" "y-last") \
        "client a to receive b's lines and x's and y's last bytes, each with a newline added" "§4" || return
    received b 3
    expect_exactly b <(printf '%s\n' "x-last" "$long" "y-last") \
        "client b to receive x's last bytes, a's line, then y's last bytes" "§4" || return
    still_chatting a b "§4: a connection reset ends that client only"
}

# setup_fails NAME CALLS ERRNO TEXT: chat_server on the test's port and a
# name of its own, under strace making CALLS fail with ERRNO (every call):
# it exits with status 1, a line "chat_server: CALL: TEXT" on stderr (CALL
# one of CALLS, with what it was called on if it likes), and leaves nothing
# behind: no object, nothing listening.
setup_fails() {
    local name=$1 calls=$2 shm call
    shm=$(lab_name "$name")
    lab_spawn "$name" --inject "$calls:error=$3" -- "$SERVER" -a 127.0.0.1 -p "$PORT" -n "$shm"
    lab_wait_exit "$name" 5 ||
        lab_fail "chat_server, whose $calls() fails (strace: $3), to exit at once" "$(lab_describe "$name")" \
            "§6 and §8: a failure while setting up: a message, then exit status 1" "$(lab_show_output "$name")" || return
    lab_assert_exit "$name" 1 "§6 (exit statuses) and §8: a system call failed while setting up: exit status 1" || return
    call=${calls%%,*}
    grep -qE "^chat_server: ($call|${calls//,/|})([^:]*)?: $4\$" "$LAB_RUN/$name.err" ||
        lab_fail "a line \"chat_server: $call: $4\" on stderr once $call() failed with $3" "no such line" \
            "§8: every failure is reported as chat_server: CALL: strerror text (perror() without the program's name, or no message, is not enough)" \
            "$(lab_show_output "$name")" || return
    [[ ! -e /dev/shm$shm ]] ||
        lab_fail "nothing of the failed server left in /dev/shm once $call() failed" "/dev/shm$shm is still there" \
            "§8: failures while setting up exit 1 after removing what was created (the object too)" || return
    ! lab_port_listening "$PORT" ||
        lab_fail "nothing listening on port $PORT once chat_server exited" "something listens on it" "§8"
}

# points: 4
@test "a system call that fails while setting up: its message, exit status 1, nothing left behind" {
    # ftruncate() fails once the object exists; epoll_create1() fails once
    # the object is made and, in the reference, the socket listens.
    setup_fails notrunc ftruncate EFBIG 'File too large' || return
    setup_fails noepoll epoll_create1,epoll_create EMFILE 'Too many open files' || return
    # The port was left free: a server starts on it.
    start_server
}
