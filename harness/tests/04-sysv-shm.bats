#!/usr/bin/env bats
# 04-sysv-shm: System V shared memory between a parent and its child
# (IPC_PRIVATE), and between two unrelated processes (ftok), in turns
# signalled with SIGUSR1/SIGUSR2.
# Statement: exercises/04-sysv-shm/README.md (the § numbers below are its sections).
#
# programs: shm_fork shm_server shm_client
# common: shm_common.c
# valgrind-factor: 4.7   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

FORK=$LAB_BIN/shm_fork
SERVER=$LAB_BIN/shm_server
CLIENT=$LAB_BIN/shm_client

# Expected outputs, made once: the messages (client, child) and the
# acknowledgements (server) of a conversation of N messages.
setup_file() {
    local dir=$BATS_FILE_TMPDIR n
    for n in 3 5 20 10000; do
        seq -f 'message %.0f' 1 "$n" >"$dir/msgs$n"
        seq -f 'ack message %.0f' 1 "$n" >"$dir/acks$n"
    done
}

# Every test gets its own ftok file: a unique key (§4).
setup() {
    lab_setup
    SHM_PATH=$(lab_path shm)
    : >"$SHM_PATH"
}

# ---------------------------------------------------------------------------
# Helpers that read /proc/sysvipc/shm by shmid or by creator, never "every new
# segment": another grading may create segments at the same time.
# ---------------------------------------------------------------------------

# shm_created_by PID: the shmids of the segments PID created (cpid column).
shm_created_by() {
    awk -v pid="$1" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $(c["cpid"]) == pid { print $(c["shmid"]) }' /proc/sysvipc/shm
}

# shm_describe SHMID: the segment as ipcs would show it, for messages.
shm_describe() {
    local key
    key=$(lab_shm_field "$1" key)
    [[ -n $key ]] || { echo "no segment with shmid $1"; return; }
    printf 'shmid %s: key 0x%08x, perms %s, size %s, nattch %s\n' "$1" $((key & 0xffffffff)) \
        "$(lab_shm_field "$1" perms)" "$(lab_shm_field "$1" size)" "$(lab_shm_field "$1" nattch)"
}

# ftok_key PATH: what glibc's ftok(PATH, 'S') returns, as 0x%08x.
ftok_key() {
    local dev ino
    read -r dev ino < <(stat -c '%d %i' "$1")
    printf '0x%08x\n' $(((0x53 << 24) | ((dev & 0xff) << 16) | (ino & 0xffff)))
}

# assert_segment_gone SHMID EXPECTED LOOK_AT: the segment no longer exists,
# or ends within a moment if it is marked for removal (lab_shm_wait_gone
# tells why it may outlive its last process briefly).  Removes it if it
# is still there, so that teardown does not report it twice.
assert_segment_gone() {
    local shmid=$1
    lab_shm_wait_gone "$shmid" && return 0
    local what
    what=$(shm_describe "$shmid")
    ipcrm -m "$shmid" 2>/dev/null
    lab_fail "$2" "the segment is still there (the grader removed it): $what" "$3"
}

# start_server NAME [lab_spawn options] [-- SERVER ARGS...]: starts shm_server
# on the test's path and waits for its ready line (§4); sets SHMID and KEY
# from that line.
start_server() {
    local name=$1
    shift
    local -a opts=() args=()
    while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
    (($#)) && shift && args=("$@")
    lab_spawn "$name" "${opts[@]}" -- "$SERVER" -p "$SHM_PATH" "${args[@]}" || return
    lab_wait_output "$name" '^shm_server: segment [0-9]+ ready, key 0x[0-9a-f]{8}$' 5 err ||
        lab_fail "the line \"shm_server: segment SHMID ready, key 0xKEY\" on stderr once the segment is ready" \
            "$(lab_describe "$name")" "§4 (the ready line) and §7" "$(lab_show_output "$name")" || return
    local line
    line=$(grep -m 1 -E '^shm_server: segment [0-9]+ ready' "$LAB_RUN/$name.err")
    SHMID=$(sed -E 's/^shm_server: segment ([0-9]+) ready.*/\1/' <<<"$line")
    KEY=$(sed -E 's/.*key (0x[0-9a-f]{8})$/\1/' <<<"$line")
}

# assert_ends NAME SECONDS CODE EXPECTED LOOK_AT: NAME ends within SECONDS
# with status CODE.
assert_ends() {
    local name=$1
    lab_wait_exit "$name" "$2" || true
    lab_assert_finished "$name" "$4" "$5" || return
    lab_assert_exit "$name" "$3" "$5"
}

# conversation N SECONDS [lab_spawn options]: server -n N and one client,
# both must end with status 0 within SECONDS and print the N messages / N
# acknowledgements in order (§4, §5).
conversation() {
    local n=$1 bound=$2
    shift 2
    start_server server "$@" -- -n "$n" || return
    lab_spawn client "$@" -- "$CLIENT" -p "$SHM_PATH"
    local lost="§5: a signal that arrives before the receiver sleeps must not be lost: block SIGUSR1/SIGUSR2 and wait with sigsuspend(), not pause() (hint 3)"
    lab_wait_exit client "$bound" || true
    if ! lab_assert_finished client \
        "shm_client to print the $n messages and exit 0 (it printed $(wc -l <"$LAB_RUN/client.out") of them)" "$lost"; then
        # A chance for the server to clean up, so that its segment is not
        # reported as a leak on top of the hang.
        lab_signal server TERM 2>/dev/null
        lab_wait_exit server 5 || true
        return 1
    fi
    lab_assert_exit client 0 "§4: the client exits 0 after the end mark" || return
    assert_ends server "$bound" 0 "shm_server to print the $n acknowledgements, remove the segment and exit 0" "$lost" ||
        return
    lab_assert_same_output client "$BATS_FILE_TMPDIR/msgs$n" \
        "\"message 1\" to \"message $n\", one per line, each once, in order" "§4 (the client) and §5" || return
    lab_assert_same_output server "$BATS_FILE_TMPDIR/acks$n" \
        "\"ack message 1\" to \"ack message $n\", one per line, each once, in order" "§4 (the server) and §5"
}

# ---------------------------------------------------------------------------
# Part 1: shm_fork
# ---------------------------------------------------------------------------

# points: 10
@test "shm_fork: the child prints every message once, in order (3, then 10000)" {
    lab_run fork -- "$FORK" -n 3
    lab_assert_finished fork "shm_fork -n 3 to finish" "§3 and §5 (hint 3)" || return
    lab_assert_same_output fork "$BATS_FILE_TMPDIR/msgs3" \
        "the child prints \"message 1\" to \"message 3\", one per line" "§3" || return
    lab_assert_exit fork 0 "§3: 0 when the child printed every message" || return
    lab_assert_no_strays fork "§3: the parent waits for its child with waitpid()" || return

    lab_run fork2 --wait 10 -- "$FORK" -n 10000
    lab_assert_finished fork2 "shm_fork -n 10000 to finish (it takes well under a second)" \
        "§5: a lost wakeup hangs both processes; block the signals before fork() and wait with sigsuspend() (hint 3)" ||
        return
    lab_assert_same_output fork2 "$BATS_FILE_TMPDIR/msgs10000" \
        "the 10000 messages, each once, in order" "§3 and §5" || return
    lab_assert_exit fork2 0 "§3"
}

# points: 5
@test "shm_fork: the IPC_PRIVATE segment is marked for removal at once; even SIGKILL leaves nothing" {
    lab_spawn fork -- "$FORK" -n 1000000
    lab_wait_output fork '^message 1$' 5 ||
        lab_fail "the child to print \"message 1\"" "$(lab_describe fork)" "§3" \
            "$(lab_show_output fork out)" "$(lab_show_output fork)" || return
    local pid ids shmid perms
    pid=$(lab_pid fork)
    ids=$(shm_created_by "$pid")
    [[ -n $ids && $(wc -l <<<"$ids") == 1 ]] ||
        lab_fail "one segment created by shm_fork (pid $pid) while it runs" \
            "$(wc -w <<<"$ids") segment(s) in /proc/sysvipc/shm with cpid $pid" "§3" || return
    shmid=$ids
    perms=$(lab_shm_field "$shmid" perms)
    [[ $(lab_shm_field "$shmid" key) == 0 && $(lab_shm_field "$shmid" size) == 4096 &&
        $(lab_shm_field "$shmid" nattch) == 2 ]] ||
        lab_fail "key 0 (IPC_PRIVATE), 4096 bytes, attached by the parent and the child (nattch 2)" \
            "$(shm_describe "$shmid")" "§3" || return
    (((8#$perms & 8#1000) != 0)) ||
        lab_fail "the segment marked for removal (ipcs -m shows \"dest\"; perms $perms has no 1000 bit)" \
            "$(shm_describe "$shmid"), not marked" \
            "§3: shmctl(IPC_RMID) right after shmat(), before fork(): the kernel destroys it when the last process detaches" ||
        return
    lab_signal fork KILL
    lab_stop fork
    assert_segment_gone "$shmid" "no segment left once shm_fork and its child are killed with SIGKILL" \
        "§3: only a segment marked with IPC_RMID goes away by itself; nothing runs in a process killed by SIGKILL"
}

# points: 5
@test "shm_fork: a child that dies early makes the parent exit 1 at once, not wait forever" {
    lab_spawn fork -- "$FORK" -n 1000000
    lab_wait_output fork '^message 1$' 5 ||
        lab_fail "the child to print \"message 1\"" "$(lab_describe fork)" "§3" \
            "$(lab_show_output fork out)" "$(lab_show_output fork)" || return
    local child
    child=$(lab_descendants fork | head -n 1)
    [[ -n $child ]] || lab_fail "a child process below shm_fork" "none was found" "§3" || return
    lab_signal_pid "$child" KILL "the child of shm_fork" "§3"
    lab_wait_exit fork 5 ||
        lab_fail "shm_fork to end soon after its child was killed (SIGKILL)" "$(lab_describe fork)" \
            "§3 step 5: SIGCHLD is a \"stop\" signal for the parent's wait (block it with the others, §5)" || return
    lab_assert_exit fork 1 "§3 step 5: the parent exits 1 when its child did not exit 0"
}

# ---------------------------------------------------------------------------
# Part 2: shm_server and shm_client
# ---------------------------------------------------------------------------

# points: 10
@test "server and client: a few messages go both ways in order, and the segment is gone at the end" {
    conversation 5 5 || return
    assert_segment_gone "$SHMID" "no segment left once the server and the client are done" \
        "§4 and §6: the server detaches and removes the segment (shmctl IPC_RMID) at the end"
}

# points: 10
@test "10000 messages: none lost, none repeated, in order, no hang" {
    conversation 10000 10 || return
    assert_segment_gone "$SHMID" "no segment left once the server and the client are done" "§6"
}

# points: 10
@test "the server's segment: key ftok(PATH, 'S'), 4096 bytes, mode 600, nattch 1 while it waits" {
    start_server server -- -n 3 || return
    local want
    want=$(ftok_key "$SHM_PATH")
    [[ $KEY == "$want" ]] ||
        lab_fail "the ready line to say key $want, ftok(\"$SHM_PATH\", 'S')" "it says $KEY" \
            "§4: the key is ftok(PATH, 'S'); print it as 0x%08x" "$(lab_show_output server)" || return
    local key
    key=$(lab_shm_field "$SHMID" key)
    [[ -n $key ]] ||
        lab_fail "segment $SHMID (from the ready line) in /proc/sysvipc/shm" "there is none" "§4" || return
    [[ $(printf '0x%08x' $((key & 0xffffffff))) == "$want" && $(lab_shm_field "$SHMID" size) == 4096 &&
        $(lab_shm_field "$SHMID" perms) == 600 ]] ||
        lab_fail "segment $SHMID with key $want, 4096 bytes, perms 600" "$(shm_describe "$SHMID")" \
            "§4: shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600)" || return
    [[ $(lab_shm_field "$SHMID" nattch) == 1 ]] ||
        lab_fail "nattch 1 while the server waits for a client (only the server attached)" \
            "$(shm_describe "$SHMID")" "§4: the server attaches once with shmat()" || return
    lab_run client -- "$CLIENT" -p "$SHM_PATH"
    lab_assert_exit client 0 "§4" || return
    lab_assert_same_output client "$BATS_FILE_TMPDIR/msgs3" "the 3 messages" "§4"
}

# points: 10
@test "nattch is 2 while both talk; SIGINT on the server ends both and removes the segment" {
    start_server server -- -n 1000000 || return
    lab_spawn client -- "$CLIENT" -p "$SHM_PATH"
    lab_wait_output client '^message 1$' 5 ||
        lab_fail "the client to print \"message 1\"" "$(lab_describe client)" "§4 and §5" \
            "$(lab_show_output client out)" "$(lab_show_output client)" || return
    [[ $(lab_shm_field "$SHMID" nattch) == 2 ]] ||
        lab_fail "nattch 2 while the server and the client talk" "$(shm_describe "$SHMID")" \
            "§4: the client attaches the server's segment (shmget with the same key, then shmat)" || return
    lab_signal server INT
    assert_ends server 5 130 "shm_server to exit 130 (128 + SIGINT) soon after SIGINT" \
        "§6: on SIGINT the server tells the client, detaches, removes the segment and exits 128 + 2 (hint 4)" || return
    lab_assert_stderr_line server "shm_server: interrupted by SIGINT" "§6" || return
    assert_ends client 5 1 "shm_client to exit 1 once the server has quit" \
        "§6: the server sets server_quit and sends SIGUSR1; the client then detaches and exits 1" || return
    lab_assert_stderr_line client "shm_client: the server has quit" "§6" || return
    assert_segment_gone "$SHMID" "no segment left after the server's SIGINT" \
        "§6: the SIGINT handler only sets a flag; the main line removes the segment (hint 4)"
}

# points: 5
@test "SIGTERM while the server waits for a client: segment removed, exit 143" {
    start_server server || return
    lab_signal server TERM
    assert_ends server 5 143 "shm_server to exit 143 (128 + SIGTERM) soon after SIGTERM" \
        "§6: SIGTERM must end sigsuspend() too: handle it like SIGINT (hint 4)" || return
    lab_assert_stderr_line server "shm_server: interrupted by SIGTERM" "§6" || return
    assert_segment_gone "$SHMID" "no segment left after the server's SIGTERM" \
        "§6: remove the segment (IPC_RMID) on every way out, signals included"
}

# points: 10
@test "a second server on the same PATH fails and leaves the first one's segment alone" {
    start_server first -- -n 3 || return
    lab_run second -- "$SERVER" -p "$SHM_PATH" -n 3
    lab_assert_finished second "the second shm_server to fail at once" \
        "§4: IPC_CREAT | IPC_EXCL makes shmget() fail with EEXIST when the key is in use" || return
    lab_assert_exit second 1 "§4 and §7" || return
    grep -qE "^shm_server: key $KEY is in use: is another shm_server running on .+\\?\$" "$LAB_RUN/second.err" ||
        lab_fail "the line \"shm_server: key $KEY is in use: is another shm_server running on PATH?\" on stderr" \
            "no such line" "§4" "$(lab_show_output second)" || return
    [[ $(lab_shm_field "$SHMID" nattch) == 1 ]] ||
        lab_fail "the first server's segment $SHMID still there, attached once (by the first server)" \
            "$(shm_describe "$SHMID")" \
            "§4: a server that could not create the segment never attaches it and never removes it: it is not its own" ||
        return
    lab_run client -- "$CLIENT" -p "$SHM_PATH"
    lab_assert_exit client 0 "§4: the first server must still work after the second one failed" || return
    lab_assert_same_output client "$BATS_FILE_TMPDIR/msgs3" "the first server's 3 messages" "§4" || return
    assert_ends first 5 0 "the first server to finish its conversation and exit 0" "§4"
}

# points: 5
@test "the client quits on SIGTERM: the server notices, removes the segment, exits 1" {
    start_server server -- -n 1000000 || return
    lab_spawn client -- "$CLIENT" -p "$SHM_PATH"
    lab_wait_output client '^message 1$' 5 ||
        lab_fail "the client to print \"message 1\"" "$(lab_describe client)" "§4 and §5" \
            "$(lab_show_output client)" || return
    lab_signal client TERM
    assert_ends client 5 143 "shm_client to exit 143 (128 + SIGTERM) soon after SIGTERM" "§6" || return
    lab_assert_stderr_line client "shm_client: interrupted by SIGTERM" "§6" || return
    assert_ends server 5 1 "shm_server to exit 1 once the client has quit" \
        "§6: the client sets client_quit and sends SIGUSR2 before it leaves" || return
    lab_assert_stderr_line server "shm_server: the client has quit" "§6" || return
    assert_segment_gone "$SHMID" "no segment left after the client quit" "§6"
}

# points: 5
@test "no server, or a missing PATH: a clear message and exit status 1" {
    local want
    want=$(ftok_key "$SHM_PATH")
    lab_run client -- "$CLIENT" -p "$SHM_PATH"
    lab_assert_exit client 1 "§7: a client with no server exits 1" || return
    lab_assert_stderr_line client "shm_client: no server on $SHM_PATH (no segment with key $want)" \
        "§4: shmget(key, 0, 0) fails with ENOENT; the client never creates the segment" || return

    local missing=$LAB_WORK/no-such-dir/file prog
    for prog in server client; do
        lab_run "missing-$prog" -- "$LAB_BIN/shm_$prog" -p "$missing"
        lab_assert_exit "missing-$prog" 1 "§7: shm_$prog with a PATH that does not exist exits 1" || return
        lab_assert_stderr_line "missing-$prog" "shm_$prog: ftok: $missing: No such file or directory" \
            "§7: ftok() needs an existing file; report it with the path" || return
    done
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2 (all three programs)" {
    local -a cases=(
        "fork|-n 0" "fork|-n -3" "fork|-n abc" "fork|-n 12x" "fork|-n 1000001" "fork|-n" "fork|-x" "fork|extra"
        "server|-n 0" "server|-n 5x" "server|-n" "server|-p" "server|-x" "server|extra"
        "client|-n 3" "client|-p" "client|-x" "client|extra"
    )
    local i prog args
    for i in "${!cases[@]}"; do
        prog=${cases[$i]%%|*}
        read -ra args <<<"${cases[$i]#*|}"
        lab_run "bad$i" -- "$LAB_BIN/shm_$prog" "${args[@]}"
        lab_assert_exit "bad$i" 2 "§2: shm_$prog ${args[*]} is a usage error" || return
        grep -q "^usage: shm_$prog " "$LAB_RUN/bad$i.err" ||
            lab_fail "a line \"usage: shm_$prog ...\" on stderr for: shm_$prog ${args[*]}" "no usage line" "§2" \
                "$(lab_show_output "bad$i")" || return
        [[ ! -s $LAB_RUN/bad$i.out ]] ||
            lab_fail "nothing on stdout for: shm_$prog ${args[*]}" "some output" "§2" \
                "$(lab_show_output "bad$i" out)" || return
    done
}

# points: 5
@test "waits with sigsuspend() or sigwaitinfo(), signals blocked first, never pause() (strace)" {
    local calls='pause,rt_sigsuspend,rt_sigtimedwait,rt_sigprocmask'
    conversation 20 10 --strace "$calls" || return
    lab_run fork --strace "$calls" -- "$FORK" -n 20
    lab_assert_exit fork 0 "§3" || return
    local name sig
    for name in server:USR2 client:USR1 fork:USR1; do
        sig=${name#*:} name=${name%:*}
        ! lab_strace_grep "$name" '^([0-9]+ +)?pause\(' >/dev/null ||
            lab_fail "shm_$name never to call pause()" "strace saw pause()" \
                "§5: between your test of the flag and pause(), the signal can come and go: the wakeup is lost" || return
        lab_strace_grep "$name" '^([0-9]+ +)?rt_sig(suspend|timedwait)\(' >/dev/null ||
            lab_fail "shm_$name to wait with sigsuspend() (or sigwaitinfo())" "strace never saw them" "§5 (hint 3)" ||
            return
        lab_strace_grep "$name" "^([0-9]+ +)?rt_sigprocmask\\(SIG_(BLOCK|SETMASK), \\[[^]]*$sig" >/dev/null ||
            lab_fail "shm_$name to block SIG$sig with sigprocmask() before it can arrive" \
                "strace never saw SIG$sig blocked" \
                "§5: a blocked signal stays pending until sigsuspend() lets it in (hint 3)" || return
    done
}

# points: 5
@test "valgrind finds no memory error and no descriptor left open (server and client)" {
    conversation 20 10 --valgrind || return
    local name
    for name in server client; do
        lab_assert_valgrind_clean "$name" "§8" || return
        lab_assert_valgrind_fds "$name" "§8: System V shared memory needs no descriptor; close whatever you open" ||
            return
    done
}
