#!/usr/bin/env bats
# 09-posix-server: a server with one forked handler per client, built on POSIX
# shared memory, named semaphores, message queues and a pipe.
# Statement: exercises/09-posix-server/README.md (the § numbers below are its sections).
#
# programs: posix_server posix_client
# ldlibs: -lrt -pthread
# valgrind-factor: 4.7   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

SERVER=$LAB_BIN/posix_server
CLIENT=$LAB_BIN/posix_client

# Inputs shared by the tests of this file, made once: 5 clients, 100 add
# requests each, with answers that differ from one client to the next.
setup_file() {
    local dir=$BATS_FILE_TMPDIR k
    for k in 1 2 3 4 5; do
        awk -v k="$k" 'BEGIN { for (i = 1; i <= 100; i++) printf "add %d %d\n", k * 1000, i * 7 - 350 }' \
            >"$dir/client$k.txt"
        awk -v k="$k" 'BEGIN { for (i = 1; i <= 100; i++) printf "ok %d\n", k * 1000 + i * 7 - 350 }' \
            >"$dir/client$k.expected"
    done
}

# Every test gets its own PREFIX, so its objects are its own.
setup() {
    lab_setup
    PREFIX=$(lab_name srv)
}

# start_server NAME [lab_spawn options]: starts posix_server -n PREFIX and
# waits for its readiness line.
start_server() {
    local name=$1
    shift
    lab_start_server "$name" '^posix_server: ready' \
        "the line \"posix_server: ready: shared memory $PREFIX, ...\" on stderr once its objects exist" \
        "§3 and §6 (readiness)" "$@" -- "$SERVER" -n "$PREFIX"
}

# stop_server NAME: SIGTERM, then the server must exit 0 soon.
stop_server() {
    lab_stop_gracefully "$1" TERM 0 posix_server \
        "§7: no SA_RESTART, so sem_wait() fails with EINTR and the loop sees the flag (hint 5)" \
        "§7: after SIGTERM the server exits 0"
}

# spawn_connected NAME: a client fed by the test (lab_input), connected:
# sets HANDLER (its handler's pid, from its stderr) and CPID.
spawn_connected() {
    local name=$1
    lab_spawn "$name" --in-pipe -- "$CLIENT" -n "$PREFIX" || return
    lab_wait_output "$name" '^posix_client: connected \(handler [0-9]+\)$' 5 err ||
        lab_fail "the line \"posix_client: connected (handler HPID)\" on the client's stderr" \
            "$(lab_describe "$name")" "§4 (connecting: the area, the semaphores, the greeting)" \
            "$(lab_show_output "$name")" || return
    HANDLER=$(sed -nE 's/^posix_client: connected \(handler ([0-9]+)\)$/\1/p' "$LAB_RUN/$name.err" | head -n 1)
    CPID=$(lab_pid "$name")
}

# gone PID: the process no longer exists at all (a zombie still exists).
gone() {
    [[ ! -e /proc/$1 ]]
}

# assert_handler_gone PID SECONDS LOOK_AT: the handler has ended and was reaped.
assert_handler_gone() {
    local pid=$1
    lab_wait_until "$(lab_seconds "$2")" gone "$pid" && return 0
    if lab_proc_state "$pid" Z; then
        lab_fail "the handler (pid $pid) ended and reaped by the main process" \
            "it is a zombie: it ended, and the main process never waited for it" "$3"
    else
        lab_fail "the handler (pid $pid) to end within $(lab_seconds "$2") s" "it still runs" "$3"
    fi
}

# queue_exists NAME: /dev/mqueue shows it (true when mqueue is not mounted:
# then nothing can be checked, and the leak check is off too).
queue_exists() {
    [[ -z $LAB_MQUEUE_DIR ]] || [[ -e $LAB_MQUEUE_DIR$1 ]]
}

queues_gone() {
    [[ -z $LAB_MQUEUE_DIR ]] && return 0
    [[ ! -e $LAB_MQUEUE_DIR$PREFIX-$1-req && ! -e $LAB_MQUEUE_DIR$PREFIX-$1-resp ]]
}

# client_run NAME LINE...: runs a client with these request lines, waits.
client_run() {
    local name=$1
    shift
    printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/$name.in"
    lab_run "$name" --in "$BATS_TEST_TMPDIR/$name.in" -- "$CLIENT" -n "$PREFIX"
}

# assert_replies NAME WHAT LOOK_AT LINE...: NAME printed exactly these lines.
assert_replies() {
    local name=$1 what=$2 look=$3
    shift 3
    printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/$name.expected"
    lab_assert_same_output "$name" "$BATS_TEST_TMPDIR/$name.expected" "$what" "$look"
}

# points: 10
@test "one client: add requests get the right answers, in order, and disconnect says ok bye" {
    start_server server || return
    client_run client "add 2 3" "add -1000000000 -1000000000" "add 1000000000 1000000000" "add 0 -7" \
        "disconnect" "add 1 1"
    lab_assert_finished client "posix_client to finish after its disconnect" \
        "§4 and §5: connect, then one request, one response at a time" || return
    assert_replies client "one response per request, in order; nothing after disconnect" \
        "§5 (the requests) and §4 (the client stops reading after disconnect)" \
        "ok 5" "ok -2000000000" "ok 2000000000" "ok -7" "ok bye" || return
    lab_assert_exit client 0 "§4" || return
    stop_server server
}

# points: 10
@test "5 clients x 100 add requests at once: every answer is correct" {
    start_server server || return
    local k
    for k in 1 2 3 4 5; do
        lab_spawn "client$k" --in "$BATS_FILE_TMPDIR/client$k.txt" -- "$CLIENT" -n "$PREFIX"
    done
    for k in 1 2 3 4 5; do
        lab_wait_exit "client$k" 20 || true
        lab_assert_finished "client$k" "client $k to get its 100 answers, disconnect and finish" \
            "§3 and §4: one client at a time in the area (PREFIX-ready), then a handler per client (hint 2)" ||
            return
    done
    for k in 1 2 3 4 5; do
        lab_assert_same_output "client$k" "$BATS_FILE_TMPDIR/client$k.expected" \
            "client $k's 100 answers, in order" "§5 and §4: its own queues, one response per request" ||
            return
        lab_assert_exit "client$k" 0 "§4: at the end of its input the client disconnects and exits 0" || return
    done
    lab_wait_no_zombies server 3 "§6: reap every handler that ends (SIGCHLD, waitpid, hint 4)" || return
    stop_server server
}

# points: 10
@test "malformed requests get an error response and the connection goes on" {
    start_server server || return
    local usage="error usage: add A B (integers from -1000000000 to 1000000000)"
    client_run client "add 1" "add 1 2 3" "add x 2" "add 99999999999 1" "add  1 2" "mul 2 3" "" \
        "disconnect now" "kill_server please" "add 1 2"
    lab_assert_finished client "posix_client to finish: every request, even a wrong one, gets a response" \
        "§5: a request the handler cannot serve gets an error response, never silence" || return
    assert_replies client "an error response for each malformed request, then the answer to add 1 2" \
        "§5 (the table of responses)" \
        "$usage" "$usage" "$usage" "$usage" "$usage" "error unknown request 'mul'" "error unknown request ''" \
        "error usage: disconnect" "error usage: kill_server" "ok 3" || return
    lab_assert_exit client 0 "§4: error responses are responses: the client exits 0" || return
    ! lab_finished server ||
        lab_fail "the server still running" "$(lab_describe server)" \
            "§5: a malformed request is answered, it stops nothing" "$(lab_show_output server)" || return
    stop_server server
}

# points: 10
@test "disconnect: the handler ends and is reaped (no zombie), the client's queues are removed" {
    start_server server || return
    spawn_connected client || return
    local cpid=$CPID handler=$HANDLER
    queue_exists "$PREFIX-$cpid-req" && queue_exists "$PREFIX-$cpid-resp" ||
        lab_fail "the client's queues $PREFIX-$cpid-req and $PREFIX-$cpid-resp in /dev/mqueue while it is connected" \
            "they are not there" "§3 (the names)" || return
    lab_input client "add 20 22"
    lab_wait_output client '^ok 42$' 5 ||
        lab_fail "the response \"ok 42\"" "$(lab_describe client)" "§5" "$(lab_show_output client out)" || return
    lab_input client "disconnect"
    lab_wait_exit client 5 || true
    lab_assert_exit client 0 "§4: after \"ok bye\" the client exits 0" || return
    assert_handler_gone "$handler" 3 \
        "§6: the main process reaps every handler soon after it ends: waitpid() from the SIGCHLD handler (hint 4)" ||
        return
    queues_gone "$cpid" ||
        lab_fail "no queue $PREFIX-$cpid-req or $PREFIX-$cpid-resp after the disconnect" \
            "$(ls "$LAB_MQUEUE_DIR" | grep -F -- "${PREFIX#/}-$cpid")" "§3: mq_unlink() both queues when the session ends" ||
        return
    client_run after "add 1 1"
    assert_replies after "a new client served after the disconnect" \
        "§3: the area is free again (PREFIX-ready posted after each connection)" "ok 2" || return
    stop_server server
}

# points: 15
@test "a client killed with SIGKILL: the server survives, its handler removes the queues and ends within 3 s" {
    start_server server || return
    spawn_connected client || return
    local cpid=$CPID handler=$HANDLER
    lab_input client "add 5 5"
    lab_wait_output client '^ok 10$' 5 ||
        lab_fail "the response \"ok 10\"" "$(lab_describe client)" "§5" "$(lab_show_output client out)" || return
    lab_signal client KILL
    lab_wait_exit client 5 || true
    lab_wait_until "$(lab_seconds 3)" queues_gone "$cpid" ||
        lab_fail "the dead client's queues removed by its handler within 3 s" \
            "$PREFIX-$cpid-req and -resp are still in /dev/mqueue" \
            "§6: mq_timedreceive() with a timeout, then kill(clientpid, 0) fails with ESRCH: mq_unlink() both (hint 3)" \
            "$(lab_show_output server)" || return
    assert_handler_gone "$handler" 3 \
        "§6: a handler whose client is dead ends, and the main process reaps it (hint 3, hint 4)" || return
    ! lab_finished server ||
        lab_fail "the server still running after its client was killed" "$(lab_describe server)" \
            "§6: a dead client ends its handler only" "$(lab_show_output server)" || return
    client_run after "add 2 2"
    assert_replies after "a new client served after the killed one" "§6" "ok 4" || return
    stop_server server
}

# points: 5
@test "a client whose handler is killed says \"the server has gone away\" and exits 1" {
    start_server server || return
    spawn_connected client || return
    local handler=$HANDLER
    lab_input client "add 1 1"
    lab_wait_output client '^ok 2$' 5 ||
        lab_fail "the response \"ok 2\"" "$(lab_describe client)" "§5" "$(lab_show_output client out)" || return
    lab_signal_pid "$handler" KILL "the client's handler" "§4" || return
    # The request goes into the queue; no response ever comes.
    lab_input client "add 2 2"
    lab_wait_exit client 5 ||
        lab_fail "posix_client to notice within a few seconds that its handler is gone, and end" \
            "$(lab_describe client)" "§4: while it waits, kill(HPID, 0) once a second (LIVENESS_SECONDS)" \
            "$(lab_show_output client)" || return
    lab_assert_stderr_line client "posix_client: the server has gone away" \
        "§4: the wait timed out (ETIMEDOUT) and kill(HPID, 0) failed with ESRCH; kill() sets errno too, so test the wait's errno before calling it, or keep it" ||
        return
    lab_assert_exit client 1 "§4: exit 1 once the server has gone away" || return
    stop_server server
}

# points: 15
@test "kill_server: the main process and every handler stop; nothing is left in /dev/shm or /dev/mqueue" {
    start_server server || return
    spawn_connected idle || return
    local idle_handler=$HANDLER
    client_run killer "add 1 2" "kill_server"
    assert_replies killer "the two responses" "§5" "ok 3" "ok server stopping" || return
    lab_assert_exit killer 0 "§4: kill_server answered \"ok ...\" ends the connection: exit 0" || return
    lab_wait_exit server 5 ||
        lab_fail "posix_server to exit soon after kill_server" "$(lab_describe server)" \
            "§5 and §7: the handler writes a byte into the pipe and posts PREFIX-conn; the main process reads the pipe after each wake-up (hint 5)" \
            "$(lab_show_output server)" || return
    lab_assert_exit server 0 "§7: after kill_server the server exits 0" || return
    gone "$idle_handler" ||
        lab_fail "every handler stopped before the main process exits" \
            "the idle client's handler (pid $idle_handler) still runs" \
            "§7: SIGTERM to every handler, then waitpid() for each" || return
    lab_assert_no_new_ipc \
        "no shared memory, no semaphore, no queue once the server has exited (a client still runs: its queues were removed by its handler)" \
        "§3 and §7: shm_unlink(), sem_unlink() both, and each handler mq_unlink()s its client's queues (hint 6)"
}

# points: 5
@test "SIGTERM: the server stops its handlers, removes its objects and exits 0" {
    start_server server || return
    spawn_connected idle || return
    local handler=$HANDLER
    stop_server server || return
    lab_assert_stderr_line server "posix_server: SIGTERM received: stopping" "§7" || return
    gone "$handler" ||
        lab_fail "the handler (pid $handler) stopped and reaped before the server exits" "it still runs" \
            "§7: SIGTERM to every handler, then waitpid() for each" || return
    lab_assert_no_new_ipc "no shared memory, semaphore or queue after SIGTERM" "§7 (hint 6)"
}

# points: 10
@test "a client with no server fails with a clear message within its bound, exit 1" {
    lab_run none --wait 3 -- "$CLIENT" -n "$PREFIX"
    lab_assert_finished none "posix_client to give up at once when there is no server" \
        "§4: sem_open() and shm_open() without O_CREAT fail with ENOENT (hint 1)" || return
    lab_assert_exit none 1 "§4: no server: exit 1" || return
    grep -qE "^posix_client: no server for $PREFIX: " "$LAB_RUN/none.err" ||
        lab_fail "the line \"posix_client: no server for $PREFIX: NAME does not exist\" on stderr" \
            "no such line" "§4" "$(lab_show_output none)" || return
    lab_assert_no_new_ipc "no object created by a client that found no server" \
        "§4: open the server's objects before creating your queues, never with O_CREAT" || return

    # A server that does not answer (stopped): the client gives up after -t.
    start_server server || return
    local spid
    spid=$(lab_pid server) || return
    lab_signal server STOP
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$spid" T || true
    # The first client takes the free area and waits for a greeting; the
    # second one waits for the area, which nobody gives back.
    lab_run stuck --wait 6 --in /dev/null -- "$CLIENT" -n "$PREFIX" -t 1
    lab_run stuck2 --wait 6 --in /dev/null -- "$CLIENT" -n "$PREFIX" -t 1
    lab_signal server CONT
    local name
    for name in stuck stuck2; do
        lab_assert_finished "$name" "posix_client -t 1 to give up about 1 s after the server stopped answering" \
            "§4: sem_timedwait() and mq_timedreceive() with a deadline of -t seconds, never an unbounded wait (hint 1)" ||
            return
        lab_assert_exit "$name" 1 "§4" || return
        lab_assert_stderr_line "$name" "posix_client: no server answered within 1 s" "§4" || return
    done
    stop_server server
}

# points: 5
@test "valgrind (handlers traced too): no memory error, no leak, no descriptor left open" {
    start_server server --valgrind || return
    printf '%s\n' "add 1 2" "add x" "what" >"$BATS_TEST_TMPDIR/in"
    lab_run client --valgrind --wait 5 --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -n "$PREFIX"
    assert_replies client "the 3 responses, under valgrind too" "§5" \
        "ok 3" "error usage: add A B (integers from -1000000000 to 1000000000)" "error unknown request 'what'" ||
        return
    client_run killer "kill_server"
    lab_wait_exit server 5 || true
    lab_assert_exit server 0 "§7: kill_server stops the server, exit 0" || return
    lab_assert_valgrind_clean server "§8: free what you allocate, in the main process and in each handler" || return
    lab_assert_valgrind_clean client "§8: free getline's buffer" || return
    lab_assert_valgrind_fds server \
        "§8: close the pipe ends, the shm descriptor after mmap, and mq_close() the queues, in the handlers too" || return
    lab_assert_valgrind_fds client "§8: mq_close() both queues, close the shm descriptor after mmap"
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2" {
    local -a bad=("-x" "extra" "-n" "-n noslash" "-n /two/slashes" "-n /")
    local i name
    local -a args
    for i in "${!bad[@]}"; do
        read -ra args <<<"${bad[$i]}"
        name=server$i
        lab_run "$name" -- "$SERVER" "${args[@]}"
        lab_assert_exit "$name" 2 "§2: posix_server ${bad[$i]} is a usage error" || return
        grep -q '^usage: posix_server' "$LAB_RUN/$name.err" ||
            lab_fail "the line \"usage: posix_server [-n PREFIX]\" on stderr for: posix_server ${bad[$i]}" \
                "no usage line" "§2" "$(lab_show_output "$name")" || return
    done
    local -a cbad=("-x" "-t 0" "-t abc" "-t" "-n bad" "extra")
    for i in "${!cbad[@]}"; do
        read -ra args <<<"${cbad[$i]}"
        name=client$i
        lab_run "$name" -- "$CLIENT" "${args[@]}"
        lab_assert_exit "$name" 2 "§2: posix_client ${cbad[$i]} is a usage error" || return
        grep -q '^usage: posix_client' "$LAB_RUN/$name.err" ||
            lab_fail "the line \"usage: posix_client [-n PREFIX] [-t SECONDS]\" on stderr for: posix_client ${cbad[$i]}" \
                "no usage line" "§2" "$(lab_show_output "$name")" || return
    done
    lab_assert_no_new_ipc "no object created for bad arguments" "§2: check the arguments first"
}
