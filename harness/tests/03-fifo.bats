#!/usr/bin/env bats
# 03-fifo: a server that reads the messages of many clients from one FIFO.
# Statement: exercises/03-fifo/README.md (the § numbers below are its sections).
#
# programs: fifo_server fifo_client
# valgrind-factor: 4.8   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

SERVER=$LAB_BIN/fifo_server
CLIENT=$LAB_BIN/fifo_client

# Inputs shared by the tests of this file, made once.
setup_file() {
    local dir=$BATS_FILE_TMPDIR k
    # Lines a learner's program could get wrong: an empty line, blanks, a TAB,
    # UTF-8, a NUL, bytes that are not UTF-8, a CR (any byte but a newline
    # passes, §4), and a last line without a newline (the client adds one).
    printf 'hello\n\n  two leading blanks\ta tab\ncaf\303\251 \342\202\254\na NUL \000, not UTF-8 \377\376, a blank and a CR at the end \r\nlast line, no newline' \
        >"$dir/small.txt"
    printf 'hello\n\n  two leading blanks\ta tab\ncaf\303\251 \342\202\254\na NUL \000, not UTF-8 \377\376, a blank and a CR at the end \r\nlast line, no newline\n' \
        >"$dir/small.lines"
    seq -f 'line %g of 300' 1 300 >"$dir/ordered.txt"
    # 8 clients, 1000 lines each, from 20 to 3000 bytes: 12 MB in all. Long
    # lines make a torn message (two write() calls for one line) very likely
    # to be cut by another client's message.
    for k in 1 2 3 4 5 6 7 8; do
        awk -v k="$k" 'BEGIN {
            pad = "abcdefghijklmnopqrstuvwxyz0123456789"
            for (i = 1; i <= 1000; i++) {
                len = 20 + (i * 7919 + k * 104729) % 2980
                s = sprintf("client %d line %04d ", k, i)
                while (length(s) < len) s = s pad
                print substr(s, 1, len)
            } }' >"$dir/client$k.txt"
    done
}

# start_server NAME [lab_spawn options] [-- SERVER ARGS...]: starts fifo_server
# and waits until it says it is listening (§5). The path is the test's
# $FIFO unless the arguments give one.
start_server() {
    local name=$1
    shift
    local -a opts=() args=()
    while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
    (($#)) && shift && args=("$@")
    ((${#args[@]})) || args=(-p "$FIFO")
    lab_start_server "$name" '^fifo_server: listening on ' \
        "the line \"fifo_server: listening on PATH\" on stderr once the FIFO is open" \
        "§5 (readiness) and §3" "${opts[@]}" -- "$SERVER" "${args[@]}"
}

# stop_server NAME SIGNAL: sends SIGNAL, waits for the end, checks exit 0.
stop_server() {
    local name=$1 sig=${2:-TERM}
    lab_stop_gracefully "$name" "$sig" 0 fifo_server \
        "§6: SIGINT and SIGTERM end the server, even while it waits for a client (hint 4)" \
        "§6: after SIGINT or SIGTERM the server exits 0"
}

# line_count FILE: how many newlines FILE holds (0 if it does not exist).
line_count() {
    local n
    n=$(wc -l <"$1" 2>/dev/null) || n=0
    echo "${n:-0}"
}

# prefixed PID FILE: FILE's lines as the server prints them for client PID.
prefixed() {
    sed "s/^/[$1] /" "$2"
}

# pause_server NAME: stops the server (SIGSTOP) and waits until it is
# stopped: what clients write meanwhile piles up in the FIFO, so that its
# next read() holds several messages, or the FIFO fills up.  resume_server
# NAME lets it go on.
pause_server() {
    local pid
    pid=$(lab_pid "$1") || return
    lab_signal "$1" STOP || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$pid" T ||
        lab_fail "$1 stopped by SIGSTOP" "$(lab_describe "$1")"
}

resume_server() {
    lab_signal "$1" CONT
}

setup() {
    lab_setup
    FIFO=$(lab_path fifo)
}

# points: 10
@test "one client: its lines arrive in order and intact, each as [PID] line" {
    start_server server || return
    # The server is stopped while the client writes: its first read() then
    # holds all of the client's messages, which it must all print.
    pause_server server || return
    lab_run client --in "$BATS_FILE_TMPDIR/small.txt" -- "$CLIENT" -p "$FIFO"
    resume_server server || return
    lab_assert_exit client 0 "§4: a client exits 0 once all of its input has been sent" || return
    prefixed "$(lab_pid client)" "$BATS_FILE_TMPDIR/small.lines" >"$BATS_TEST_TMPDIR/small.expected"
    lab_wait_output server '^\[[0-9]+\] last line' 5 || true
    lab_assert_same_output server "$BATS_TEST_TMPDIR/small.expected" \
        "each line as \"[PID] line\", one per line, as soon as it arrives, every byte but the newline as it was; all of them, though one read() got them all" \
        "§4 (the message) and §5 (the server prints each message as it comes, with write() or fflush, and every message a read() holds)" ||
        return

    lab_run client2 --in "$BATS_FILE_TMPDIR/ordered.txt" -- "$CLIENT" -p "$FIFO"
    lab_assert_exit client2 0 "§4" || return
    prefixed "$(lab_pid client2)" "$BATS_FILE_TMPDIR/ordered.txt" >>"$BATS_TEST_TMPDIR/small.expected"
    lab_wait_output server '^\[[0-9]+\] line 300 of 300$' 5 || true
    lab_assert_same_output server "$BATS_TEST_TMPDIR/small.expected" \
        "the 300 lines of a second client, in order, after the first client's" "§4 and §5" || return
    stop_server server TERM
}

# one_write_per_message NAME WHAT EXPECTED: NAME (a client spawned with
# --strace write, WHAT in the message) sent each line of EXPECTED (the
# messages, in order) with one write() of the whole message.  Its writes
# other than to stderr go to the FIFO (§4), and each must return the length
# of one whole message.  The grader does not wait for clients to collide by
# chance: a split write is seen even in a run where no other client wrote
# in between.
one_write_per_message() {
    local name=$1 what=$2 expected=$3 got want
    got=$(lab_strace_grep "$name" '^([0-9]+ +)?write\(([013-9]|[0-9]{2,}), ' | sed -nE 's/.* = ([0-9]+)$/\1/p')
    want=$(LC_ALL=C awk '{ print length($0) + 1 }' "$expected")
    [[ $got == "$want" ]] && return 0
    lab_fail "one write() per message: each of $what's writes to the FIFO returns the length of a whole message, [PID] prefix and newline included: $(head -n 4 <<<"$want" | tr '\n' ' ')..." \
        "strace saw writes of $(head -n 4 <<<"$got" | tr '\n' ' ')...($(wc -l <<<"$got") writes for $(wc -l <"$expected") messages)" \
        "§4: build the whole message, [PID] text and newline, in one buffer and write() it once: only a single write() of at most PIPE_BUF bytes is atomic (hint 3)"
}

# points: 10
@test "8 clients writing 1000 lines each at once: every line arrives whole and in order" {
    # 12 MB through one server: on a loaded machine it may live longer than
    # the default hard limit of any spawn.
    start_server server --limit 120 || return
    local k
    # The server stopped until client 1 waits in write() on the full FIFO:
    # every client meets a full FIFO, and must wait, not fail (EAGAIN).
    pause_server server || return
    # Client 1 under strace: its messages must each be one write().
    lab_spawn client1 --strace write --in "$BATS_FILE_TMPDIR/client1.txt" -- "$CLIENT" -p "$FIFO"
    for k in 2 3 4 5 6 7 8; do
        lab_spawn "client$k" --in "$BATS_FILE_TMPDIR/client$k.txt" -- "$CLIENT" -p "$FIFO"
    done
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in_pipe_write "$(lab_pid client1)" ||
        lab_fail "client 1 to wait in write() while the FIFO is full (the server stopped by the grader)" \
            "$(lab_describe client1)" \
            "§4: after open(), take O_NONBLOCK off (fcntl), so that a write() into a full FIFO waits instead of failing with EAGAIN" \
            "$(lab_show_output client1)" || return
    resume_server server || return
    for k in 1 2 3 4 5 6 7 8; do
        lab_wait_exit "client$k" 15 || true
        lab_assert_exit "client$k" 0 "§4: a client exits 0 once all of its input has been sent" || return
    done
    lab_wait_lines server 8000 10 || true
    local out=$LAB_RUN/server.out total
    total=$(line_count "$out")
    for k in 1 2 3 4 5 6 7 8; do
        prefixed "$(lab_pid "client$k")" "$BATS_FILE_TMPDIR/client$k.txt" >"$BATS_TEST_TMPDIR/client$k.expected"
    done
    # First the cause (client 1's writes), then its effect (the lines).
    one_write_per_message client1 "client 1" "$BATS_TEST_TMPDIR/client1.expected" || return
    for k in 1 2 3 4 5 6 7 8; do
        local pid expected=$BATS_TEST_TMPDIR/client$k.expected got=$BATS_TEST_TMPDIR/client$k.got
        pid=$(lab_pid "client$k")
        grep -aF -- "[$pid] " "$out" | awk -v p="[$pid] " 'index($0, p) == 1' >"$got"
        cmp -s "$expected" "$got" ||
            lab_fail "the 1000 lines of client $k (pid $pid), each whole, in the order it sent them" \
                "they differ ($total lines printed in all, 8000 expected)" \
                "§4: one write() per message, never more than PIPE_BUF bytes: only such a write is atomic (hint 3)" \
                "$(lab_first_difference "$expected" "$got")" \
                "lines of the server that are no client's whole message:" \
                "$(grep -avE '^\[[0-9]+\] client [1-8] line [0-9]{4} [0-9a-z]*$' "$out" | lab_excerpt /dev/stdin 4 2)" ||
            return
    done
    ((total == 8000)) ||
        lab_fail "8000 lines, no more" "$total lines" "§4 and §5" || return
    stop_server server TERM
}

# points: 5
@test "a message longer than PIPE_BUF is refused with a message; one of exactly PIPE_BUF bytes is sent" {
    start_server server || return
    lab_spawn client --in-pipe -- "$CLIENT" -p "$FIFO"
    local pid prefix max long longer long3
    pid=$(lab_pid client) || return
    prefix="[$pid] "
    # The longest text that fits: prefix + text + newline = 4096 bytes.
    max=$(head -c $((4096 - ${#prefix} - 1)) /dev/zero | tr '\0' 'm')
    long=$(head -c $((4096 - ${#prefix})) /dev/zero | tr '\0' 'L')
    longer=$(head -c 5000 /dev/zero | tr '\0' 'M')
    long3=$(head -c 4200 /dev/zero | tr '\0' 'N')
    # Line numbers count every line of the input, sent or not, empty or
    # not: lines 3 and 4, two refusals in a row, then line 6 after an empty
    # line 5.  A client that wrongly stops at line 3 may be gone before the
    # rest is written: what the server got says so (--may-end), whatever
    # the timing.
    lab_input --may-end client "before" "$max" "$long" "$longer" "" "$long3" "after"
    lab_close_input client
    lab_wait_exit client 5 || true
    local -a want=(
        "fifo_client: line 3 is too long (4097 bytes with its prefix, at most 4096): not sent"
        "fifo_client: line 4 is too long ($((${#prefix} + 5001)) bytes with its prefix, at most 4096): not sent"
        "fifo_client: line 6 is too long ($((${#prefix} + 4201)) bytes with its prefix, at most 4096): not sent")
    local got
    got=$(grep -a '^fifo_client: line ' "$LAB_RUN/client.err")
    [[ $got == "$(printf '%s\n' "${want[@]}")" ]] ||
        lab_fail "three refusals on stderr, for lines 3, 4 and 6 of: before, a 4096-byte message, 2 long lines, an empty line, a long line, after" \
            "the refusals on stderr differ" \
            "§4: N counts every line of the input from 1, sent or refused, empty lines too; L is the length of the whole message, [PID] prefix and newline included" \
            "expected:" "${want[@]/#/    }" "got:" "$(sed 's/^/    /' <<<"${got:-(none)}")" ||
        return
    printf '%s\n' "${prefix}before" "$prefix$max" "${prefix}" "${prefix}after" >"$BATS_TEST_TMPDIR/expected"
    lab_wait_lines server 4 5 || true
    lab_assert_same_output server "$BATS_TEST_TMPDIR/expected" \
        "lines 1, 2 (a 4096-byte message, exactly PIPE_BUF), 5 (empty) and 7; lines 3, 4 and 6 (more than 4096 bytes) never sent" \
        "§4: a message of at most PIPE_BUF bytes is sent whole; a longer one is refused" ||
        { lab_show_output client >&2; return 1; }
    lab_assert_exit client 1 "§4: a client that refused a line exits 1 (after sending the others)" || return
    stop_server server TERM
}

# points: 5
@test "the server keeps serving when clients come and go, each message printed in the order it was written" {
    start_server server || return
    local i
    for i in 1 2 3; do
        printf 'client number %s\n' "$i" >"$BATS_TEST_TMPDIR/in$i"
        lab_run "client$i" --in "$BATS_TEST_TMPDIR/in$i" -- "$CLIENT" -p "$FIFO"
        lab_assert_exit "client$i" 0 "§4" || return
        lab_wait_output server "^\[[0-9]+\] client number $i\$" 5 ||
            lab_fail "client $i's line on stdout, after $((i - 1)) client(s) had come and gone" \
                "$(lab_describe server)" \
                "§3: when the last client closes the FIFO, read() returns 0 unless the server holds a write end itself (hint 2)" \
                "$(lab_show_output server out)" "$(lab_show_output server)" || return
    done
    # Then, the server stopped, the grader writes six messages of three
    # clients, theirs interleaved (as [PID] text, one write() each): one
    # read() gets them all, and they come out as they went in, neither
    # grouped by client nor in any other order.
    for i in 1 2 3; do
        printf '[%s] client number %s\n' "$(lab_pid "client$i")" "$i"
    done >"$BATS_TEST_TMPDIR/expected"
    # The writer is a spawned process, bounded like the programs: a FIFO
    # that no one reads must not block the grader's own open().
    local -a messages=('[101] one' '[202] two' '[101] three' '[303] four' '[202] five' '[101] six')
    pause_server server || return
    lab_spawn writer -- bash -c 'exec 3>"$1" && shift && for m; do printf "%s\n" "$m" >&3 || exit; done' _ "$FIFO" "${messages[@]}"
    lab_wait_exit writer 5 ||
        lab_fail "the grader's writer to put six messages into the FIFO while the server is stopped" \
            "$(lab_describe writer)" "§3: the server keeps the FIFO open for reading all the time it runs" || return
    lab_assert_exit writer 0 "§3: the FIFO is there, open for reading, while the server runs" || return
    printf '%s\n' "${messages[@]}" >>"$BATS_TEST_TMPDIR/expected"
    resume_server server || return
    lab_wait_output server '^\[101\] six$' 5 || true
    lab_assert_same_output server "$BATS_TEST_TMPDIR/expected" \
        "the three clients' lines, then six messages of three writers in the order they were written into the FIFO (one read() holding them all)" \
        "§5: messages from one client come out in the order it sent them, and messages of different clients in the order they were written into the FIFO" ||
        return
    stop_server server TERM
}

# points: 5
@test "a message written in two pieces is one line; a piece left when the server stops gets its newline" {
    start_server server || return
    # A writer that breaks §4 on purpose: a message in two write()s, the
    # grader telling it when to write the second; then a message with no
    # newline, still unfinished when SIGTERM comes.
    lab_spawn writer --in-pipe -- bash -c \
        'exec 3>"$1" && printf "[1] first" >&3 && read -r _ && printf " second\n[2] unfinished" >&3 && read -r _' _ "$FIFO"
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in "$(lab_pid writer)" '*pipe_read*' 0 ||
        lab_fail "the grader's writer to have written its first piece" "$(lab_describe writer)" "§5" || return
    lab_input writer go || return
    lab_wait_output server '^\[1\] first second$' 5 ||
        lab_fail "the line \"[1] first second\", written in two pieces, on stdout" "$(lab_describe server)" \
            "§5: keep an incomplete line until its newline comes" "$(lab_show_output server out)" || return
    stop_server server TERM || return
    printf '[1] first second\n[2] unfinished\n' >"$BATS_TEST_TMPDIR/expected"
    lab_assert_same_output server "$BATS_TEST_TMPDIR/expected" \
        "the two pieces as one line, then the unfinished message with a newline added when the server stopped" \
        "§5: \"If the server stops with an incomplete line kept, it prints it with a newline added\""
}

# points: 5
@test "an idle server does not spin: almost no CPU time once the clients have left" {
    start_server server || return
    lab_run client --in "$BATS_FILE_TMPDIR/ordered.txt" -- "$CLIENT" -p "$FIFO"
    lab_assert_exit client 0 "§4" || return
    lab_wait_lines server 300 5 ||
        lab_fail "the client's 300 lines on stdout" "$(line_count "$LAB_RUN/server.out") lines" "§5" \
            "$(lab_show_output server)" || return
    lab_assert_idle server 1 5 \
        "§3: hold a write end of your own FIFO, so that read() blocks instead of returning 0 again and again (hint 2)" ||
        return
    stop_server server TERM
}

# points: 5
@test "SIGTERM: the FIFO is removed and the server exits 0" {
    start_server server || return
    [[ -p $FIFO ]] ||
        lab_fail "a FIFO at $FIFO while the server listens" "$(stat -c %F "$FIFO" 2>&1)" "§3" || return
    echo "one message" >"$BATS_TEST_TMPDIR/in"
    lab_run client --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -p "$FIFO"
    lab_wait_output server 'one message$' 5 || true
    stop_server server TERM || return
    [[ ! -e $FIFO && ! -L $FIFO ]] ||
        lab_fail "no file at $FIFO once the server has ended" "it is still there" \
            "§6: on SIGTERM the server unlink()s the FIFO before it exits (hint 4)" || return
    lab_assert_stderr_line server "fifo_server: SIGTERM received: $FIFO removed" "§6" || return

    # A SIGTERM right after mkfifo(), before the server listens (strace
    # sends it as mkfifo() returns): the signals were set up before, so it
    # must not kill the server with the FIFO left behind.  A server that
    # listens then (a handler's flag not looked at before the first read)
    # is sent SIGTERM once more.
    local early
    early=$(lab_path early)
    lab_spawn early --inject 'mknod,mknodat:signal=SIGTERM' -- "$SERVER" -p "$early"
    if lab_wait_output early '^fifo_server: listening on ' 5 err; then
        lab_kill TERM "$(lab_pid early)" || :
    fi
    lab_wait_exit early 5 || true
    if [[ -e $early || -L $early ]]; then
        rm -f "$early"
        lab_fail "no file at $early once the server has ended: a SIGTERM came right after mkfifo()" \
            "it was still there; $(lab_describe early)" \
            "§6: set up SIGINT and SIGTERM before mkfifo(): from then on neither may kill the server with the FIFO left behind" \
            "$(lab_show_output early)" || return
    fi
    lab_assert_exit early 0 "§6: SIGTERM, even right after mkfifo(), ends the server with exit 0" || return
    lab_assert_no_new_ipc "no FIFO left behind" "§6"
}

# stopped PID: the process is stopped (T), or stopped under strace (t).
stopped() {
    lab_proc_state "$1" T || lab_proc_state "$1" t
}

# stopped_after NAME PID REGEX: NAME (process PID), under strace that stops
# it (SIGSTOP) as each of its write()s returns, is stopped just after a
# line of stderr matching REGEX was written; stopped before, it goes on.
stopped_after() {
    stopped "$2" || { lab_finished "$1" && return 2; return 1; }
    grep -qE -- "$3" "$LAB_RUN/$1.err" && return 0
    lab_kill CONT "$2"
    return 1
}

# served_while_stopping NAME PID REGEX: the line matching REGEX is on NAME's
# stdout; NAME (process PID) stopped after a write() goes on meanwhile.
served_while_stopping() {
    grep -qE -- "$3" "$LAB_RUN/$1.out" && return 0
    stopped "$2" && lab_kill CONT "$2"
    lab_finished "$1" && return 2
    return 1
}

# points: 5
@test "the readiness line comes once, when a client can connect" {
    # strace stops the server (SIGSTOP) as each of its write()s returns: it
    # is held just after the write() of its readiness line, and a client
    # started now must find the FIFO and a reader in it.
    lab_spawn server --inject 'write:signal=SIGSTOP' -- "$SERVER" -p "$FIFO"
    local pid
    pid=$(lab_pid server) || return
    lab_wait_until "$(lab_seconds 5)" stopped_after server "$pid" '^fifo_server: listening on ' ||
        lab_fail "the line \"fifo_server: listening on PATH\" on stderr once the FIFO is open" \
            "$(lab_describe server)" "§5 (readiness) and §3" "$(lab_show_output server)" || return
    echo "right after the readiness line" >"$BATS_TEST_TMPDIR/in"
    lab_run client --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -p "$FIFO"
    lab_assert_exit client 0 \
        "§5: say \"listening\" only once the FIFO exists and both of its descriptors are open (§3): before the line a client may find no server, after it, clients are served" ||
        return
    lab_wait_until "$(lab_seconds 5)" served_while_stopping server "$pid" 'right after the readiness line$' ||
        lab_fail "the client's line on stdout" "$(lab_describe server)" "§5" "$(lab_show_output server out)" || return
    local count
    count=$(grep -c '^fifo_server: listening on ' "$LAB_RUN/server.err")
    # Stopped after each write(), the server cannot end by itself: the
    # grader ends it, and removes its FIFO.
    lab_stop server
    rm -f "$FIFO"
    [[ $count == 1 ]] && grep -qxF "fifo_server: listening on $FIFO" "$LAB_RUN/server.err" ||
        lab_fail "exactly one line \"fifo_server: listening on $FIFO\" on stderr" "$count such line(s)" "§5" \
            "$(lab_show_output server)"
}

# points: 5
@test "SIGINT: the FIFO is removed and the server exits 0, the cleanup done outside the handler" {
    # Traced (every call): what a SIGINT handler does is looked at last.
    start_server server --strace all || return
    local pid
    pid=$(lab_pid server) || return
    stop_server server INT || return
    [[ ! -e $FIFO && ! -L $FIFO ]] ||
        lab_fail "no file at $FIFO once the server has ended" "it is still there" \
            "§6: on SIGINT (Ctrl-C) the server unlink()s the FIFO before it exits (hint 4)" || return
    lab_assert_stderr_line server "fifo_server: SIGINT received: $FIFO removed" "§6" || return
    lab_assert_no_new_ipc "no FIFO left behind" "§6" || return
    lab_assert_handlers_only server "$pid" 'INT|TERM' '^$' \
        "the SIGINT handler to make no system call: it only sets a flag, the main loop cleans up" \
        "§6: the cleanup (unlink, close, the message) is done by the main loop, not in the handler"
}

# points: 5
@test "the FIFO gets exactly the mode given by -m, whatever the umask" {
    # The programs start with this umask (lab_spawn): 077 takes every bit
    # but the owner's from what mkfifo() creates.
    export LAB_PROGRAM_UMASK=077
    # 00640 is 0640 too: octal digits, the value at most 0777 (§2); the
    # options as getopt(3) takes them, in any order, their argument attached.
    local -a cases=("666:-p $FIFO -m 0666" "640:-p $FIFO -m 640" "640:-p $FIFO -m 00640" "600:-p $FIFO"
        "660:-m 660 -p $FIFO" "604:-m0604 -p$FIFO")
    local c want got i=0
    for c in "${cases[@]}"; do
        i=$((i + 1))
        want=${c%%:*}
        local -a args=()
        read -ra args <<<"${c#*:}"
        start_server "server$i" -- "${args[@]}" || return
        got=$(stat -c %a "$FIFO" 2>&1)
        [[ $got == "$want" ]] ||
            lab_fail "permissions $want for: fifo_server ${args[*]} (under umask 077)" "$got" \
                "§2 (-m, default 0600, options as getopt(3) parses them) and §3: mkfifo() applies the umask; clear it, or chmod() afterwards (hint 1)" ||
            return
        stop_server "server$i" TERM || return
    done
}

# refused_not_a_fifo NAME WHAT: fifo_server, run as NAME on $FIFO where WHAT
# is, refuses it at once: its first line on stderr says so, and it exits 1.
# The line is looked at first: a server that took the path for its FIFO
# would serve on, and is reported now, not at the bound.
refused_not_a_fifo() {
    local name=$1 what=$2
    lab_spawn "$name" -- "$SERVER" -p "$FIFO"
    lab_wait_output "$name" '^fifo_server: ' 5 err || true
    lab_assert_stderr_line "$name" "fifo_server: $FIFO exists and is not a FIFO" \
        "§3: $what at PATH is not a FIFO: lstat() it (stat() follows a link) and refuse anything but a FIFO" ||
        return
    lab_wait_exit "$name" 5 || true
    lab_assert_exit "$name" 1 "§3: a path that exists and is not a FIFO is an error"
}

# points: 5
@test "a path that is not a FIFO (a file, a directory, a symbolic link): error, exit 1, nothing touched" {
    printf 'precious data\n' >"$FIFO"
    cp "$FIFO" "$BATS_TEST_TMPDIR/orig"
    lab_run server -- "$SERVER" -p "$FIFO"
    lab_assert_exit server 1 "§3: a path that exists and is not a FIFO is an error" || return
    lab_assert_stderr_line server "fifo_server: $FIFO exists and is not a FIFO" "§3" || return
    [[ -f $FIFO ]] && cmp -s "$FIFO" "$BATS_TEST_TMPDIR/orig" ||
        lab_fail "the regular file $FIFO left as it was" "it was removed or changed" \
            "§3: never unlink() or open() for writing what is not your FIFO" || return

    rm -f "$FIFO"
    mkdir "$FIFO"
    lab_give_to_program "$FIFO"
    refused_not_a_fifo dir "a directory" || return
    [[ -d $FIFO ]] ||
        lab_fail "the directory $FIFO left as it was" "it is gone" "§3: touch nothing that is not your FIFO" || return

    # A link to a FIFO that nobody reads: stat() sees a leftover FIFO there.
    local target
    target=$(lab_path target)
    rmdir "$FIFO"
    mkfifo -m 600 "$target"
    ln -s "$target" "$FIFO"
    lab_give_to_program "$target"
    refused_not_a_fifo link "a symbolic link (here to a FIFO nobody reads)"
    local link mode
    link=$(readlink "$FIFO" 2>&1) mode=$(stat -c %a "$target" 2>&1)
    rm -f "$FIFO" "$target"
    [[ $link == "$target" && $mode == 600 ]] ||
        lab_fail "the symbolic link $FIFO to $target, and $target with mode 600, left as they were" \
            "the link points to '$link', the FIFO's mode is $mode" "§3: touch nothing that is not your FIFO"
}

# assert_call_error NAME PROGRAM TEXT PATH LOOK_AT: NAME's stderr holds the
# line "PROGRAM: CALL: strerror text" for a failed call, TEXT its strerror
# text, CALL any name of a function, PATH after it or not.
assert_call_error() {
    local name=$1 prog=$2 text=$3 path=$4 line
    while IFS= read -r line; do
        [[ $line == "$prog: "* ]] || continue
        line=${line#"$prog: "}
        [[ $line =~ ^[a-z_0-9]+:\ (.*)$ ]] || continue
        line=${BASH_REMATCH[1]}
        [[ $line == "$text" || $line == "$path: $text" ]] && return 0
    done <"$LAB_RUN/$name.err"
    lab_fail "the line \"$prog: CALL: $text\" (or \"$prog: CALL: $path: $text\") on stderr" \
        "other lines ($(lab_describe "$name"))" "$5" "$(lab_show_output "$name")"
}

# assert_fifo_removed NAME LOOK_AT: NAME has exited 1, and $FIFO is gone.
assert_fifo_removed() {
    lab_assert_exit "$1" 1 "$2" || return
    [[ ! -e $FIFO && ! -L $FIFO ]] ||
        lab_fail "no FIFO left at $FIFO once the server has exited 1" "it is still there" "$2"
}

# points: 5
@test "a failed system call is reported with its strerror text, exit 1, and no FIFO is left behind" {
    local path
    path=$LAB_WORK/no-such-dir/$(basename "$FIFO")
    lab_run server -- "$SERVER" -p "$path"
    lab_assert_exit server 1 "§3: if mkfifo() fails, the server reports it and exits 1" || return
    lab_assert_stderr_line server "fifo_server: mkfifo: $path: No such file or directory" "§3 and §7" || return

    # Without -p: the default path. strace makes every call on
    # /tmp/ipclab-fifo fail with ENOENT, as if /tmp were missing: nothing
    # there is created or touched, whoever else uses it.
    local default=/tmp/ipclab-fifo
    lab_spawn default --inject '%file:error=ENOENT' --trace-path "$default" -- "$SERVER"
    lab_wait_output default '^fifo_server: ' 5 err || true
    # A server listening elsewhere is stopped at once.
    if grep -q '^fifo_server: listening on ' "$LAB_RUN/default.err"; then
        lab_stop default
    else
        lab_wait_exit default 2 || true
    fi
    lab_assert_stderr_line default "fifo_server: mkfifo: $default: No such file or directory" \
        "§2: without -p the path is $default (strace made every call on it fail with ENOENT)" || return
    lab_assert_exit default 1 "§3: if mkfifo() fails, the server reports it and exits 1" || return

    # The FIFO made, its first open() fails: the server removes it.
    lab_run open --inject 'openat:error=EIO:when=1' --trace-path "$FIFO" -- "$SERVER" -p "$FIFO"
    lab_assert_finished open "fifo_server to exit 1 when it cannot open its FIFO" "§3, §7" || return
    assert_call_error open fifo_server "Input/output error" "$FIFO" \
        "§7: strace made the server's first open() of the FIFO fail with EIO" || return
    assert_fifo_removed open "§3: the FIFO is removed on every path after it was created, errors included" || return

    # Serving, its read() of the FIFO fails: reported, and the FIFO removed.
    start_server reader --inject 'read:error=EIO:when=1' --trace-path "$FIFO" || return
    echo "a message" >"$BATS_TEST_TMPDIR/in"
    lab_run client --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -p "$FIFO"
    lab_wait_exit reader 5 || true
    lab_assert_finished reader "fifo_server to exit 1 when its read() of the FIFO fails" "§7" || return
    assert_call_error reader fifo_server "Input/output error" "$FIFO" \
        "§7: strace made the server's first read() of the FIFO fail with EIO" || return
    assert_fifo_removed reader "§3: the FIFO is removed on every path, errors included" || return

    # The client: its write() fails with EIO, not EPIPE (the server is there).
    start_server server2 || return
    lab_run writer --inject 'write:error=EIO:when=1' --trace-path "$FIFO" --in "$BATS_TEST_TMPDIR/in" \
        -- "$CLIENT" -p "$FIFO"
    lab_assert_finished writer "fifo_client to exit 1 when its write() fails" "§7" || return
    assert_call_error writer fifo_client "Input/output error" "$FIFO" \
        "§7: strace made the client's write() fail with EIO (\"the server has gone away\" is for EPIPE only)" || return
    lab_assert_exit writer 1 "§7: a failed call: exit 1" || return
    # The server's own end is graded by the SIGTERM test.
    lab_signal server2 TERM
    lab_wait_exit server2 5 || true
}

# points: 5
@test "a FIFO left over from a crashed run is reused; a running server's FIFO is refused" {
    mkfifo -m 600 "$FIFO"
    lab_give_to_program "$FIFO"     # left by the same user
    start_server server -- -p "$FIFO" -m 0640 || return
    lab_assert_stderr_line server "fifo_server: reusing the FIFO $FIFO left by an earlier run" \
        "§3: a FIFO nobody reads is taken over, with this notice on stderr" || return
    local mode
    mode=$(stat -c %a "$FIFO" 2>&1)
    [[ $mode == 640 ]] ||
        lab_fail "permissions 640 on the reused FIFO (fifo_server -m 0640; it was left with 600)" "$mode" \
            "§3: a reused FIFO gets its permissions set to MODE (chmod)" || return

    # The second server asks for other permissions: refused, it must not
    # have changed the first one's (chmod only a FIFO known to be left over).
    lab_run second -- "$SERVER" -p "$FIFO" -m 0666
    lab_assert_exit second 1 "§3: a FIFO that a server is reading belongs to that server" || return
    lab_assert_stderr_line second "fifo_server: another server is already reading $FIFO" "§3 (hint 5)" || return
    [[ -p $FIFO ]] ||
        lab_fail "the first server's FIFO still at $FIFO" "the second server removed it" \
            "§3: a refused server removes nothing" || return
    mode=$(stat -c %a "$FIFO" 2>&1)
    [[ $mode == 640 ]] ||
        lab_fail "permissions 640 still on the first server's FIFO after: fifo_server -p PATH -m 0666 (refused)" "$mode" \
            "§3: a server refused because another server reads the FIFO touches nothing: set the permissions to MODE only once the probe has shown the FIFO is left over" ||
        return

    echo "still served" >"$BATS_TEST_TMPDIR/in"
    lab_run client --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -p "$FIFO"
    lab_wait_output server 'still served$' 5 ||
        lab_fail "the first server to keep serving after the second was refused" "$(lab_describe server)" \
            "§3" "$(lab_show_output server out)" || return
    stop_server server TERM
}

# points: 5
@test "a client with no server fails at once with a clear message, exit 1" {
    echo "nobody hears this" >"$BATS_TEST_TMPDIR/in"

    # Without -p: the default path. strace makes every call on
    # /tmp/ipclab-fifo fail with ENOENT: nothing there is touched.
    local default=/tmp/ipclab-fifo
    lab_run default --inject '%file:error=ENOENT' --trace-path "$default" --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT"
    lab_assert_stderr_line default "fifo_client: no server: $default does not exist" \
        "§2: without -p the path is $default (strace made every call on it fail with ENOENT)" || return
    lab_assert_exit default 1 "§4: no FIFO, no server" || return

    lab_run nofile --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -p "$FIFO"
    lab_assert_exit nofile 1 "§4: no FIFO, no server" || return
    lab_assert_stderr_line nofile "fifo_client: no server: $FIFO does not exist" "§4" || return

    mkfifo -m 600 "$FIFO"
    lab_give_to_program "$FIFO"     # left by the same user
    lab_run noreader --in "$BATS_TEST_TMPDIR/in" --wait 3 -- "$CLIENT" -p "$FIFO"
    rm -f "$FIFO"
    lab_assert_finished noreader "fifo_client to give up at once on a FIFO that nobody reads" \
        "§4: open(O_WRONLY) blocks until a reader comes; with O_NONBLOCK it fails with ENXIO (hint 5)" || return
    lab_assert_exit noreader 1 "§4" || return
    lab_assert_stderr_line noreader "fifo_client: no server is reading $FIFO" "§4 (ENXIO)" || return

    printf 'a regular file\n' >"$FIFO"
    lab_give_to_program "$FIFO"     # the user's own file, which the client could write
    cp "$FIFO" "$BATS_TEST_TMPDIR/orig"
    lab_run regular --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -p "$FIFO"
    lab_assert_exit regular 1 "§4: a path that is not a FIFO" || return
    lab_assert_stderr_line regular "fifo_client: $FIFO is not a FIFO" "§4 (fstat)" || return
    cmp -s "$FIFO" "$BATS_TEST_TMPDIR/orig" ||
        lab_fail "the regular file $FIFO left as it was" "the client wrote into it" "§4" || return

    # Any other failure of open(): a path through a file, not a folder.
    lab_run notdir --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -p "$FIFO/f"
    lab_assert_exit notdir 1 "§4: open() fails otherwise (ENOTDIR)" || return
    lab_assert_stderr_line notdir "fifo_client: open: $FIFO/f: Not a directory" \
        "§4: any other failure of open() is \"fifo_client: open: PATH: strerror text\""
}

# points: 5
@test "a client whose server has quit says so and exits 1 (EPIPE, not SIGPIPE)" {
    start_server server || return
    # Under strace: what the client writes after the write() that failed.
    lab_spawn client --strace write --in-pipe -- "$CLIENT" -p "$FIFO"
    lab_input client "first"
    lab_wait_output server 'first$' 5 ||
        lab_fail "the line \"[PID] first\" on the server's stdout" "$(lab_describe server)" "§4 and §5" \
            "$(lab_show_output server out)" || return
    stop_server server TERM || return
    # Three lines left to send: the first write() fails with EPIPE, and the
    # client stops there.  A client that stopped may be gone before the
    # last lines are written (--may-end).
    lab_input --may-end client "second" "third" "fourth"
    lab_close_input client
    lab_wait_exit client 5 || true
    lab_assert_exit client 1 \
        "§4: with SIGPIPE ignored, write() fails with EPIPE once nobody reads the FIFO (hint 6)" || return
    lab_assert_stderr_line client "fifo_client: the server has gone away" "§4" || return
    local count
    count=$(grep -cxF "fifo_client: the server has gone away" "$LAB_RUN/client.err")
    ((count == 1)) ||
        lab_fail "exactly one line \"fifo_client: the server has gone away\" on stderr (3 lines were left to send)" \
            "$count such lines" "§4: after EPIPE the client says so once and exits 1" "$(lab_show_output client)" ||
        return
    # Its writes to the FIFO (any descriptor but stderr's): none after the
    # one that failed with EPIPE.
    local after
    after=$(lab_strace_grep client '^([0-9]+ +)?write\(([013-9]|[0-9]{2,}), ' | sed -n '/= -1 EPIPE/,$p' | tail -n +2)
    [[ -z $after ]] ||
        lab_fail "no write() to the FIFO after the one that failed with EPIPE" \
            "strace saw $(grep -c '' <<<"$after") more:" \
            "§4: the server has gone away: the client stops sending, says so and exits 1" \
            "$(head -n 3 <<<"$after" | cut -c 1-120)"
}

# points: 5
@test "no file descriptor is left open at exit, server and client (valgrind --track-fds)" {
    start_server server --valgrind || return
    lab_run client --valgrind --in "$BATS_FILE_TMPDIR/small.txt" -- "$CLIENT" -p "$FIFO"
    lab_assert_exit client 0 "§4" || return
    lab_wait_lines server 6 5 || true

    # The exit paths of errors too: a client that opened a regular file, a
    # server that found one at PATH, and a second server, refused because
    # this one reads the FIFO (what it opened to find that out closed).
    local file
    file=$(lab_path file)
    printf 'a regular file\n' >"$file"
    lab_give_to_program "$file"
    lab_run notfifo --valgrind --in "$BATS_FILE_TMPDIR/small.txt" -- "$CLIENT" -p "$file"
    lab_assert_exit notfifo 1 "§4: a path that is not a FIFO" || { rm -f "$file"; return 1; }
    lab_assert_valgrind_fds notfifo \
        "§7: a client that refuses a path that is not a FIFO closes what it opened before it exits 1" ||
        { rm -f "$file"; return 1; }
    lab_run refused --valgrind -- "$SERVER" -p "$file"
    rm -f "$file"
    lab_assert_exit refused 1 "§3: a path that exists and is not a FIFO is an error" || return
    lab_assert_valgrind_fds refused \
        "§7: a server that refuses a path that is not a FIFO closes what it opened (its signalfd, if any) before it exits 1" ||
        return
    lab_run second --valgrind -- "$SERVER" -p "$FIFO"
    lab_assert_exit second 1 "§3: a FIFO that a server is reading belongs to that server" || return
    lab_assert_valgrind_fds second \
        "§7: a server refused because another server reads the FIFO closes what it opened to find that out (and its signalfd, if any) before it exits 1" ||
        return

    stop_server server TERM || return
    lab_assert_valgrind_fds client "§7: the client closes the FIFO before it exits" || return
    lab_assert_valgrind_fds server \
        "§7: the server closes every descriptor it opened (the read end, its own write end, ...) before it exits"
}

# points: 5
@test "valgrind finds no memory error and no leak" {
    start_server server --valgrind || return
    lab_run client --valgrind --in "$BATS_FILE_TMPDIR/ordered.txt" -- "$CLIENT" -p "$FIFO"
    lab_assert_exit client 0 "§4" || return
    lab_wait_lines server 300 5 || true
    stop_server server TERM || return
    lab_assert_valgrind_clean client "§7: free what you allocate (getline's buffer too)" || return
    lab_assert_valgrind_clean server "§7"
}

# usage_refused NAME PROGRAM USAGE ARGS...: PROGRAM ARGS..., run as NAME,
# refuses its arguments as §2 says: exit 2, nothing on stdout, and on
# stderr exactly two lines, what is wrong, then USAGE.
usage_refused() {
    local name=$1 program=$2 usage=$3
    shift 3
    local cmd
    cmd="${program##*/}$(printf ' %q' "$@")"
    lab_run "$name" -- "$program" "$@"
    lab_assert_exit "$name" 2 "§2: $cmd is a usage error" || return
    local -a lines=()
    mapfile -t lines <"$LAB_RUN/$name.err"
    [[ ${#lines[@]} -eq 2 && ${lines[0]} != usage:* && ${lines[1]} == "$usage" && ! -s $LAB_RUN/$name.out ]] ||
        lab_fail "on stderr, two lines for: $cmd: one that says what is wrong, then \"$usage\"; nothing on stdout" \
            "${#lines[@]} line(s) on stderr, $(wc -c <"$LAB_RUN/$name.out") byte(s) on stdout" \
            "§2 (bad arguments)" "$(lab_show_output "$name")"
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2" {
    local server_usage="usage: fifo_server [-p PATH] [-m MODE]" client_usage="usage: fifo_client [-p PATH]"
    local -a bad=("-m 999" "-m 1777" "-m 0400" "-m 8" "-m abc" "-m -600" "-x" "extra" "-m")
    local i args
    for i in "${!bad[@]}"; do
        read -ra args <<<"${bad[$i]}"
        usage_refused "server$i" "$SERVER" "$server_usage" -p "$FIFO" "${args[@]}" || return
        [[ ! -e $FIFO ]] ||
            lab_fail "no FIFO created for: fifo_server -p PATH ${bad[$i]}" "$FIFO exists" \
                "§2: check the arguments before mkfifo()" || return
    done
    # Octal digits only: strtoul() and strtol() take a sign and leading
    # blanks, which a MODE must not have (§2).
    local -a signed=("+640" " 640")
    for i in "${!signed[@]}"; do
        usage_refused "server-signed$i" "$SERVER" "$server_usage" -p "$FIFO" -m "${signed[$i]}" || return
        [[ ! -e $FIFO ]] ||
            lab_fail "no FIFO created for: fifo_server -p PATH -m '${signed[$i]}'" "$FIFO exists" \
                "§2: check the arguments before mkfifo()" || return
    done
    usage_refused server-empty "$SERVER" "$server_usage" -p "" || return
    local -a cbad=("-x" "extra" "-p")
    for i in "${!cbad[@]}"; do
        read -ra args <<<"${cbad[$i]}"
        usage_refused "client$i" "$CLIENT" "$client_usage" -p "$FIFO" "${args[@]}" || return
    done
    usage_refused client-empty "$CLIENT" "$client_usage" -p ""
}
