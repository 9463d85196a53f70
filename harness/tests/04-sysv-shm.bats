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
    for n in 1 3 5 10 20 10000; do
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

# start_conversation SERVER CLIENT [lab_spawn options]: a server of a
# million messages and its client (both spawned with those options),
# talking: the client has printed "message 1".
start_conversation() {
    local server=$1 client=$2
    shift 2
    start_server "$server" "$@" -- -n 1000000 || return
    lab_spawn "$client" "$@" -- "$CLIENT" -p "$SHM_PATH"
    lab_wait_output "$client" '^message 1$' 5 ||
        lab_fail "the client to print \"message 1\"" "$(lab_describe "$client")" "§4 and §5" \
            "$(lab_show_output "$client" out)" "$(lab_show_output "$client")"
}

# server_interrupted NAME SIG STATUS WHEN LOOK_AT: SIGSIG to the server NAME,
# which must exit STATUS within 5 s and say "interrupted by SIGSIG" (§6);
# WHEN says in the message at which moment it was sent.
server_interrupted() {
    lab_signal "$1" "$2"
    assert_ends "$1" 5 "$3" "shm_server to exit $3 (128 + SIG$2) soon after SIG$2$4" "$5" || return
    lab_assert_stderr_line "$1" "shm_server: interrupted by SIG$2" "§6"
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

# is_stopped PID: the process is stopped (SIGSTOP, or strace's injected
# SIGSTOP: a tracing stop); 2 ("never") once it is gone.
is_stopped() {
    lab_proc_state "$1" t && return 0
    lab_proc_state "$1" T
}

# wait_stopped NAME PID WHAT LOOK_AT: waits (5 s) until PID, a process of
# NAME's, is stopped where the grader stops it (lab_spawn --inject
# 'CALL:signal=SIGSTOP:when=N': right after that call returns).
wait_stopped() {
    lab_wait_while_running "$1" 5 is_stopped "$2" && return 0
    lab_fail "$3" "$(lab_describe "$1")" "$4" "$(lab_show_output "$1")"
}

# has_pending PID SIGNUM: a signal sent to the process (kill) is pending:
# sent, not yet handled (the process is stopped, or has it blocked).
has_pending() {
    local mask
    mask=$(awk '$1 == "ShdPnd:" { print $2 }' "/proc/$1/status" 2>/dev/null) || return 2
    [[ -n $mask ]] || return 2
    ((16#$mask >> ($2 - 1) & 1))
}

# parent_blocked PID: shm_fork's parent sleeps where it may while its child
# is stopped: waiting for a signal (sigsuspend, sigwaitinfo) or in waitpid().
parent_blocked() {
    waits_for_signal "$1" && return 0
    lab_blocked_in "$1" do_wait 61
}

# waits_for_signal PID: asleep until a signal comes (sigsuspend, sigwaitinfo,
# pause).
waits_for_signal() {
    lab_blocked_in "$1" '*sigsuspend*' 130 && return 0
    lab_blocked_in "$1" '*sigtimedwait*' 128 && return 0
    lab_blocked_in "$1" '*pause*' 34
}

# ended_or_printed NAME LINES: NAME has ended, or has more than LINES lines
# on stdout.
ended_or_printed() {
    lab_finished "$1" || (($(wc -l <"$LAB_RUN/$1.out") > $2))
}

# first_call NAME REGEX: the line number, in NAME's strace log, of the
# first call matching REGEX (after the optional pid); nothing if none.
first_call() {
    grep -n -m 1 -E -- "^([0-9]+ +)?$2" "$LAB_LOGS/$1.strace" 2>/dev/null | cut -d: -f1
}

# assert_detached NAME WHAT: NAME's strace log (--strace with shmdt) shows a
# shmdt() that succeeded; WHAT says on which path (§8).
assert_detached() {
    [[ -n $(first_call "$1" 'shmdt\(.*= 0') ]] && return 0
    lab_fail "$2 to detach with shmdt() before it exits" \
        "strace saw no shmdt() that succeeded: $(lab_strace_grep "$1" 'shm(at|dt)\(' | head -n 3 | tr '\n' ' ')" \
        "§8: every shmat() has its shmdt() on every path (§4 step 3, §6)"
}

# ---------------------------------------------------------------------------
# Part 1: shm_fork
# ---------------------------------------------------------------------------

# points: 5
@test "shm_fork: the child prints every message once, in order (3, 10 by default, then 10000)" {
    lab_run fork -- "$FORK" -n 3
    lab_assert_finished fork "shm_fork -n 3 to finish" "§3 and §5 (hint 3)" || return
    lab_assert_same_output fork "$BATS_FILE_TMPDIR/msgs3" \
        "the child prints \"message 1\" to \"message 3\", one per line" "§3" || return
    lab_assert_exit fork 0 "§3: 0 when the child printed every message" || return
    lab_assert_no_strays fork "§3: the parent waits for its child with waitpid()" || return

    lab_run default -- "$FORK"
    lab_assert_finished default "shm_fork (no -n) to finish" "§3 and §5 (hint 3)" || return
    lab_assert_same_output default "$BATS_FILE_TMPDIR/msgs10" \
        "without -n, COUNT is 10: \"message 1\" to \"message 10\"" "§2: default COUNT 10" || return
    lab_assert_exit default 0 "§3" || return

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
    (((8#$perms & 8#777) == 8#600)) ||
        lab_fail "the segment created with mode 0600 (perms 1600 once marked for removal)" \
            "$(shm_describe "$shmid")" "§3: shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)" || return
    (((8#$perms & 8#1000) != 0)) ||
        lab_fail "the segment marked for removal (ipcs -m shows \"dest\"; perms $perms has no 1000 bit)" \
            "$(shm_describe "$shmid"), not marked" \
            "§3: shmctl(IPC_RMID) right after shmat(), before fork(): the kernel destroys it when the last process detaches" ||
        return
    # No cleanup on signals (§3): SIGINT and SIGTERM keep their default
    # action in both processes, neither caught nor ignored (SigCgt and SigIgn
    # of /proc/PID/status: bit N-1 for signal N; the last 4 hex digits hold
    # signals 1 to 16).
    local who p caught
    for p in "$pid" $(lab_descendants fork); do
        who="shm_fork's child (pid $p)"
        [[ $p == "$pid" ]] && who="shm_fork (pid $p)"
        caught=$(awk '$1 == "SigCgt:" || $1 == "SigIgn:" {
                m = 0; for (i = length($2) - 3; i <= length($2); i++) m = m * 16 + index("0123456789abcdef", substr($2, i, 1)) - 1
                for (sig = 2; sig <= 15; sig += 13) if (int(m / 2 ^ (sig - 1)) % 2) print $1, (sig == 2 ? "SIGINT" : "SIGTERM")
            }' "/proc/$p/status" 2>/dev/null)
        [[ -z $caught ]] ||
            lab_fail "SIGINT and SIGTERM at their default action in $who" \
                "$(tr '\n' ' ' <<<"$caught")(/proc/$p/status: SigCgt = caught by a handler, SigIgn = ignored)" \
                "§3: no cleanup on signals is needed, and none is done: SIGINT and SIGTERM keep their default action in shm_fork" ||
            return
    done
    lab_signal fork KILL
    lab_stop fork
    assert_segment_gone "$shmid" "no segment left once shm_fork and its child are killed with SIGKILL" \
        "§3: only a segment marked with IPC_RMID goes away by itself; nothing runs in a process killed by SIGKILL" ||
        return

    # Before fork(): strace stops the parent at its fork() (clone; a fork
    # interrupted by a signal is restarted once the process goes on).  The
    # segment must be marked already, and SIGKILL then leaves nothing.
    lab_spawn forked --inject 'clone:signal=SIGSTOP:when=1' -- "$FORK" -n 3
    pid=$(lab_pid forked) || return
    wait_stopped forked "$pid" "shm_fork to fork (the grader stops it at its fork())" "§3 step 4" || return
    shmid=$(shm_created_by "$pid" | head -n 1)
    [[ -n $shmid ]] ||
        lab_fail "the segment of shm_fork (pid $pid) to exist once it has forked" \
            "no segment in /proc/sysvipc/shm with cpid $pid" "§3 step 2" || return
    perms=$(lab_shm_field "$shmid" perms)
    (((8#${perms:-0} & 8#1000) != 0)) ||
        lab_fail "the segment marked for removal before fork() (stopped at its fork(), the parent has marked it: perms 1600)" \
            "$(shm_describe "$shmid"), not marked: killed now, both processes would leave it behind" \
            "§3 step 3: at once, before fork(), shmctl(IPC_RMID)" || return
    lab_signal forked KILL
    lab_stop forked
    assert_segment_gone "$shmid" "no segment left once shm_fork, killed at its fork(), is gone" "§3 step 3"
}

# points: 5
@test "shm_fork: a child that dies early makes the parent exit 1 at once; one only stopped and continued does not" {
    # The child stops right after its first write() (message 1), and is
    # continued: a stopped child has not died (SA_NOCLDSTOP).
    lab_spawn stopped --inject 'write:signal=SIGSTOP:when=1' -- "$FORK" -n 3
    local child turn="§3 step 4: the parent waits for SIGUSR2 before it writes the next message"
    lab_wait_descendants stopped 1 5 || true
    child=$(lab_descendants stopped | head -n 1)
    [[ -n $child ]] ||
        lab_fail "the child of shm_fork to print \"message 1\", then wait for message 2" \
            "no child was found: $(lab_describe stopped)" "$turn" "$(lab_show_output stopped)" || return
    wait_stopped stopped "$child" "the child of shm_fork to print \"message 1\" (the grader stops it right after)" \
        "$turn" || return
    # The child has not answered message 1: the parent must be waiting for
    # that answer, not gone on to the end mark and waitpid().
    local parent
    parent=$(lab_pid stopped)
    lab_wait_while_running stopped 5 parent_blocked "$parent" || true
    ! lab_blocked_in "$parent" do_wait 61 ||
        lab_fail "the parent to wait for the child's SIGUSR2 before it writes message 2" \
            "with the child stopped before its answer to message 1, the parent went on to waitpid()" "$turn" ||
        return
    lab_signal_pid "$child" CONT "the child of shm_fork" "§3"
    lab_wait_exit stopped 5 || true
    lab_assert_finished stopped "shm_fork to finish once its child, stopped a moment (SIGSTOP), goes on" \
        "§3 step 5: a stopped child has not died: install the SIGCHLD handler with SA_NOCLDSTOP" || return
    lab_assert_exit stopped 0 "§3 step 5: a child stopped and continued is not a child that died (SA_NOCLDSTOP)" ||
        return
    lab_assert_same_output stopped "$BATS_FILE_TMPDIR/msgs3" "the 3 messages" "§3" || return

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
    lab_assert_exit fork 1 "§3 step 5: the parent exits 1 when its child did not exit 0" || return

    # Killed at its very end, every message read: the child did not exit 0
    # either. strace stops each process at its first shmdt(): the child's
    # comes after the end mark (§3 step 5), and there it is killed.
    lab_spawn ended --inject 'shmdt:signal=SIGSTOP:when=1' -- "$FORK" -n 3
    lab_wait_descendants ended 1 5 || true
    child=$(lab_descendants ended | head -n 1)
    [[ -n $child ]] || lab_fail "a child process below shm_fork" "none was found" "§3" || return
    wait_stopped ended "$child" \
        "the child of shm_fork to detach (shmdt) once it has the end mark (the grader stops it there)" \
        "§3 step 5: after the end mark the child detaches (shmdt) and exits" || return
    lab_assert_same_output ended "$BATS_FILE_TMPDIR/msgs3" "the 3 messages before the end mark" "§3" || return
    lab_signal_pid "$child" KILL "the child of shm_fork" "§3"
    # The parent, stopped at its own shmdt() in turn, is let go each time.
    local parent_of_ended
    parent_of_ended=$(lab_pid ended) || return
    for _ in 1 2; do
        lab_wait_until "$(lab_seconds 5)" ended_or_stopped ended "$parent_of_ended" || true
        lab_finished ended && break
        # Quiet, and no failure when it has just ended: a process let go a
        # moment ago may still read as stopped (CI failed the reference so).
        lab_kill CONT "$parent_of_ended" || :
    done
    lab_wait_exit ended 5 ||
        lab_fail "shm_fork to end soon after its child was killed at its end" "$(lab_describe ended)" \
            "§3 step 5: the parent detaches, waits for the child with waitpid(), and exits" || return
    lab_assert_exit ended 1 \
        "§3 step 5: the parent exits 1 when its child did not exit 0: look at waitpid()'s status (killed by SIGKILL here)"
}

# ended_or_stopped NAME PID: NAME has ended, or PID is stopped.
ended_or_stopped() {
    lab_finished "$1" || is_stopped "$2"
}

# ---------------------------------------------------------------------------
# Part 2: shm_server and shm_client
# ---------------------------------------------------------------------------

# points: 5
@test "server and client: a few messages go both ways in order, and the segment is gone at the end" {
    conversation 5 5 || return
    assert_segment_gone "$SHMID" "no segment left once the server and the client are done" \
        "§4 and §6: the server detaches and removes the segment (shmctl IPC_RMID) at the end" || return

    # The server waits for the client's last SIGUSR2 (§4 step 6): the client
    # is stopped right after its fourth kill() (hello, then the answers to
    # messages 1 to 3), before it gets the end mark; the server sends the end
    # mark (a SIGUSR1 pending in the stopped client), and must then wait.
    start_server last -- -n 3 || return
    local spid cpid
    spid=$(lab_pid last) || return
    lab_spawn detached --inject 'kill:signal=SIGSTOP:when=4' -- "$CLIENT" -p "$SHM_PATH"
    cpid=$(lab_pid detached) || return
    wait_stopped detached "$cpid" \
        "shm_client to answer message 3 (the grader stops it right after that kill())" "§4 step 5" || return
    lab_wait_while_running last 5 has_pending "$cpid" 10 ||
        lab_fail "shm_server to send the end mark (SIGUSR1) once the client has answered message 3" \
            "$(lab_describe last)" "§4 step 6" "$(lab_show_output last)" || return
    lab_wait_while_running last 5 waits_for_signal "$spid" ||
        lab_fail "shm_server, having sent the end mark, to wait for the client's last SIGUSR2 (the client is stopped)" \
            "$(lab_describe last)" \
            "§4 step 6: after the end mark, the server waits for the client's last SIGUSR2 (sent once the client has detached), then detaches and removes" ||
        return
    lab_kill CONT "$cpid"
    assert_ends detached 5 0 "shm_client to exit 0 once it goes on" "§4 step 5" || return
    assert_ends last 5 0 "shm_server to exit 0 after the client's last SIGUSR2" "§4 step 7" || return
    assert_segment_gone "$SHMID" "no segment left once the server and the client are done" "§4 step 7"
}

# points: 5
@test "10000 messages: none lost, none repeated, in order, no hang" {
    conversation 10000 10 || return
    assert_segment_gone "$SHMID" "no segment left once the server and the client are done" "§6"
}

# points: 5
@test "the server's segment: key ftok(PATH, 'S'), 4096 bytes, mode 600, nattch 1 while it waits" {
    start_server server -- -n 3 || return
    local want first
    first=$(head -n 1 "$LAB_RUN/server.err")
    [[ $first =~ ^shm_server:\ segment\ [0-9]+\ ready ]] ||
        lab_fail "the ready line first on stderr" "the first line is: $first" \
            "§4 step 3: nothing else may come before the ready line on stderr" "$(lab_show_output server)" || return
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

# points: 5
@test "nattch is 2 while both talk; SIGINT on the server ends both and removes the segment" {
    # Traced: on this way out too, each one detaches (§8).
    start_conversation server client --strace shmat,shmdt || return
    [[ $(lab_shm_field "$SHMID" nattch) == 2 ]] ||
        lab_fail "nattch 2 while the server and the client talk" "$(shm_describe "$SHMID")" \
            "§4: the client attaches the server's segment (shmget with the same key, then shmat)" || return
    server_interrupted server INT 130 "" \
        "§6: on SIGINT the server tells the client, detaches, removes the segment and exits 128 + 2 (hint 4)" || return
    assert_ends client 5 1 "shm_client to exit 1 once the server has quit" \
        "§6: the server sets server_quit and sends SIGUSR1; the client then detaches and exits 1" || return
    lab_assert_stderr_line client "shm_client: the server has quit" "§6" || return
    assert_segment_gone "$SHMID" "no segment left after the server's SIGINT" \
        "§6: the SIGINT handler only sets a flag; the main line removes the segment (hint 4)" || return
    assert_detached server "shm_server, interrupted by SIGINT," || return
    assert_detached client "shm_client, told that the server has quit," || return

    # server_quit is written before the kill() that tells the client (§5):
    # the client is stopped right after its hello, so the server sleeps
    # waiting for the answer to message 1; SIGINT then, and the server is
    # stopped right after its second kill() (the one that tells the
    # client).  The client, let go, must find server_quit set.
    start_server told --inject 'kill:signal=SIGSTOP:when=2' -- -n 3 || return
    local spid cpid
    spid=$(lab_pid told) || return
    lab_spawn late --inject 'kill:signal=SIGSTOP:when=1' -- "$CLIENT" -p "$SHM_PATH"
    cpid=$(lab_pid late) || return
    lab_wait_while_running late 5 has_pending "$cpid" 10 ||
        lab_fail "the server to send message 1 (SIGUSR1) to the client stopped after its hello" \
            "$(lab_describe told)" "§4 step 5" "$(lab_show_output told)" || return
    lab_wait_while_running told 5 waits_for_signal "$spid" ||
        lab_fail "shm_server to wait for the answer to message 1" "$(lab_describe told)" "§5" || return
    lab_signal told INT
    wait_stopped told "$spid" \
        "shm_server to tell its client that it quits (kill(); the grader stops it right after)" "§6" || return
    lab_kill CONT "$cpid"
    assert_ends late 5 1 \
        "shm_client, woken by the server's SIGINT kill() (the server still stopped right after it), to find server_quit set and exit 1" \
        "§5: the kill() that hands the turn over comes after every write into the segment: set server_quit, then send SIGUSR1 (§6)" ||
        return
    lab_assert_stderr_line late "shm_client: the server has quit" "§6" || return
    lab_kill CONT "$spid"
    assert_ends told 5 130 "shm_server to exit 130 once it goes on" "§6" || return
    assert_segment_gone "$SHMID" "no segment left after the server's SIGINT" "§6"
}

# points: 5
@test "SIGTERM or SIGINT while the server waits, SIGTERM while it talks: segment removed, exit 143 or 130, cleanup outside the handler" {
    # Traced (every call): what the SIGTERM handler does is looked at.
    start_server server --strace all || return
    local pid
    pid=$(lab_pid server) || return
    server_interrupted server TERM 143 "" "§6: SIGTERM must end sigsuspend() too: handle it like SIGINT (hint 4)" || return
    lab_assert_handlers_only server "$pid" 'INT|TERM|USR2' '^$' \
        "the SIGTERM handler to make no system call: it only sets a flag, the main line cleans up" \
        "§5 and §6: the handler only sets a volatile sig_atomic_t flag; the waiting loop sees it and the main line prints, tells the client, detaches and removes" ||
        return
    assert_segment_gone "$SHMID" "no segment left after the server's SIGTERM" \
        "§6: remove the segment (IPC_RMID) on every way out, signals included" || return
    # "At any moment": SIGINT ends the wait as SIGTERM does ...
    start_server waiting || return
    server_interrupted waiting INT 130 ", while it waits for a client" \
        "§6: SIGINT and SIGTERM end the server at any moment, waiting for a client included (hint 4)" || return
    assert_segment_gone "$SHMID" "no segment left after SIGINT to a server waiting for a client" "§6" || return
    # ... and SIGTERM ends a conversation as SIGINT does, at once: with the
    # client held stopped, the server sleeps until its turn, and after the
    # signal it prints no further line.
    start_conversation talking client || return
    local lines
    lab_signal client STOP
    lab_wait_until "$(lab_seconds 5)" waits_for_signal "$(lab_pid talking)" ||
        lab_fail "shm_server to wait for its turn while its client is stopped" "$(lab_describe talking)" "§5" || return
    lines=$(wc -l <"$LAB_RUN/talking.out")
    lab_signal talking TERM
    lab_wait_until "$(lab_seconds 5)" ended_or_printed talking "$lines" || true
    (($(wc -l <"$LAB_RUN/talking.out") == lines)) ||
        lab_fail "shm_server to end at once on SIGTERM in the middle of a conversation (its client stopped): no line after the signal" \
            "more lines on stdout after SIGTERM: it went on with the conversation" \
            "§6: SIGINT and SIGTERM end the server at any moment, in a conversation too" || return
    assert_ends talking 5 143 "shm_server to exit 143 (128 + SIGTERM) soon after SIGTERM, in the middle of a conversation" \
        "§6: SIGINT and SIGTERM end the server at any moment, in a conversation too: it tells the client first" || return
    lab_assert_stderr_line talking "shm_server: interrupted by SIGTERM" "§6" || return
    lab_signal client CONT
    assert_ends client 5 1 "shm_client to exit 1 once the server has quit" \
        "§6: the server sets server_quit and sends SIGUSR1; the client then detaches and exits 1" || return
    assert_segment_gone "$SHMID" "no segment left after SIGTERM to a server in a conversation" "§6" || return

    # A client that has claimed the segment and said hello is connected,
    # even if the server has not woken up for that hello yet: the server is
    # held stopped while a client says hello and SIGINT comes; let go, it
    # gets both at once, and must tell the client.
    start_server held -- -n 3 || return
    local spid
    spid=$(lab_pid held) || return
    lab_kill STOP "$spid"
    lab_wait_while_running held 5 is_stopped "$spid" ||
        lab_fail "shm_server stopped by the grader (SIGSTOP)" "$(lab_describe held)" "§6" || return
    lab_spawn hello -- "$CLIENT" -p "$SHM_PATH"
    lab_wait_while_running hello 5 has_pending "$spid" 12 ||
        lab_fail "the client to claim the segment and say hello (SIGUSR2) to the stopped server" \
            "$(lab_describe hello)" "§4 steps 3 and 4" "$(lab_show_output hello)" || return
    lab_signal held INT
    lab_wait_while_running held 5 has_pending "$spid" 2 || true
    lab_kill CONT "$spid"
    assert_ends held 5 130 "shm_server to exit 130 after SIGINT (a hello pending with it)" "§6" || return
    assert_ends hello 5 1 \
        "shm_client, which had claimed the segment and said hello when the server got SIGINT, to be told (server_quit) and exit 1" \
        "§6: a client that has written its pid into client_pid is connected, hello seen or not: set server_quit and send it SIGUSR1" ||
        return
    lab_assert_stderr_line hello "shm_client: the server has quit" "§6" || return
    assert_segment_gone "$SHMID" "no segment left after SIGINT to a server with a hello pending" "§6"
}

# points: 5
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
@test "the client quits on SIGTERM or SIGINT: the server notices, removes the segment, exits 1" {
    local sig code
    for sig in TERM:143 INT:130; do
        code=${sig#*:} sig=${sig%:*}
        start_server "server-$sig" -- -n 1000000 || return
        # The client is stopped as it writes "interrupted by" (its first
        # write to stderr), then let go once the server sleeps waiting for
        # it: a server asleep learns that the client has quit only from the
        # client's SIGUSR2 (a server that is still busy with its own turn
        # could find client_quit set without it).
        lab_spawn "client-$sig" --inject 'write:signal=SIGSTOP:when=1' --trace-path "$LAB_RUN/client-$sig.err" \
            -- "$CLIENT" -p "$SHM_PATH"
        lab_wait_output "client-$sig" '^message 1$' 5 ||
            lab_fail "the client to print \"message 1\"" "$(lab_describe "client-$sig")" "§4 and §5" \
                "$(lab_show_output "client-$sig")" || return
        lab_signal "client-$sig" "$sig"
        wait_stopped "client-$sig" "$(lab_pid "client-$sig")" \
            "shm_client to print \"shm_client: interrupted by SIG$sig\" on stderr (the grader stops it right after that write)" \
            "§6" || return
        lab_wait_while_running "server-$sig" 5 waits_for_signal "$(lab_pid "server-$sig")" || lab_finished "server-$sig" ||
            lab_fail "shm_server to wait for the client's answer while the client is stopped" \
                "$(lab_describe "server-$sig")" "§4 and §5" || return
        lab_signal "client-$sig" CONT
        assert_ends "client-$sig" 5 "$code" "shm_client to exit $code (128 + SIG$sig) soon after SIG$sig" "§6" || return
        lab_assert_stderr_line "client-$sig" "shm_client: interrupted by SIG$sig" "§6" || return
        assert_ends "server-$sig" 5 1 "shm_server to exit 1 once the client has quit (SIG$sig)" \
            "§6: the client sets client_quit and sends SIGUSR2 before it leaves (the server was asleep waiting for it)" || return
        lab_assert_stderr_line "server-$sig" "shm_server: the client has quit" "§6" || return
        local stray
        stray=$(grep -v -m 1 -E '^ack message [0-9]+$' "$LAB_RUN/server-$sig.out" || true)
        [[ -z $stray ]] ||
            lab_fail "only \"ack message I\" lines on the server's stdout: the turn in which the client quit has no answer" \
                "the line $(printf '%q' "$stray") on stdout" \
                "§6 and §7: woken with client_quit set, the server prints \"the client has quit\" on stderr and no answer (stdout carries only the acks)" \
                "$(lab_show_output "server-$sig" out)" || return
        assert_segment_gone "$SHMID" "no segment left after the client quit (SIG$sig)" "§6" || return
    done

    # client_quit is written before the kill() that tells the server (§5):
    # the server is stopped right after its first kill() (message 1); its
    # client answers and sleeps; SIGTERM then, and the client is stopped
    # right after its third kill() (hello, answer, the one that tells the
    # server).  The server, let go, must find client_quit set.
    start_server held --inject 'kill:signal=SIGSTOP:when=1' -- -n 3 || return
    local spid cpid
    spid=$(lab_pid held) || return
    lab_spawn quitter --inject 'kill:signal=SIGSTOP:when=3' -- "$CLIENT" -p "$SHM_PATH"
    wait_stopped held "$spid" "shm_server to send message 1 (the grader stops it right after that kill())" "§4 step 5" ||
        return
    lab_wait_output quitter '^message 1$' 5 ||
        lab_fail "the client to print \"message 1\"" "$(lab_describe quitter)" "§4 and §5" \
            "$(lab_show_output quitter)" || return
    cpid=$(lab_pid quitter) || return
    lab_wait_while_running quitter 5 waits_for_signal "$cpid" ||
        lab_fail "shm_client, having answered message 1, to wait for message 2" "$(lab_describe quitter)" "§5" || return
    lab_signal quitter TERM
    wait_stopped quitter "$cpid" \
        "shm_client to tell the server that it quits (its third kill(); the grader stops it right after)" "§6" || return
    lab_kill CONT "$spid"
    assert_ends held 5 1 \
        "shm_server, woken by the client's SIGTERM kill() (the client still stopped right after it), to find client_quit set and exit 1" \
        "§5: the kill() that hands the turn over comes after every write into the segment: set client_quit, then send SIGUSR2 (§6)" ||
        return
    lab_assert_stderr_line held "shm_server: the client has quit" "§6" || return
    lab_kill CONT "$cpid"
    assert_ends quitter 5 143 "shm_client to exit 143 once it goes on" "§6" || return
    assert_segment_gone "$SHMID" "no segment left after the client quit (SIGTERM)" "§6"
}

# points: 5
@test "no server, or a missing PATH: a clear message and exit status 1" {
    local want
    want=$(ftok_key "$SHM_PATH")
    lab_run client -- "$CLIENT" -p "$SHM_PATH"
    lab_assert_exit client 1 "§7: a client with no server exits 1" || return
    lab_assert_stderr_line client "shm_client: no server on $SHM_PATH (no segment with key $want)" \
        "§4: shmget(key, 0, 0) fails with ENOENT; the client never creates the segment" || return

    local missing=$LAB_WORK/no-such-file prog
    for prog in server client; do
        lab_run "missing-$prog" -- "$LAB_BIN/shm_$prog" -p "$missing"
        lab_assert_exit "missing-$prog" 1 "§7: shm_$prog with a PATH that does not exist exits 1" || return
        lab_assert_stderr_line "missing-$prog" "shm_$prog: ftok: $missing: No such file or directory" \
            "§7: ftok() needs an existing file; report it with the path" || return
        [[ ! -e $missing ]] ||
            lab_fail "no file $missing after shm_$prog -p $missing" "shm_$prog created it" \
                "§2: PATH must exist; the programs never create it" || return
    done

    # Without -p: the default PATH.  strace makes every call on
    # /tmp/ipclab-shm fail with ENOENT, as if it did not exist: nothing
    # there is touched, whoever else uses it.
    local default=/tmp/ipclab-shm
    for prog in server client; do
        lab_run "default-$prog" --inject '%file:error=ENOENT' --trace-path "$default" -- "$LAB_BIN/shm_$prog"
        lab_assert_exit "default-$prog" 1 "§7: shm_$prog with a PATH that does not exist exits 1" || return
        lab_assert_stderr_line "default-$prog" "shm_$prog: ftok: $default: No such file or directory" \
            "§2: without -p, PATH is $default (strace made every call on it fail with ENOENT)" || return
    done
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2 (all three programs)" {
    # PROG|ARG|ARG...; EMPTY stands for an empty argument.
    local -a cases=(
        "fork|-n|0" "fork|-n|-3" "fork|-n|abc" "fork|-n|12x" "fork|-n|1000001" "fork|-n|+5" "fork|-n| 5"
        "fork|-n|5 " "fork|-n|4294967297" "fork|-n|99999999999999999999" "fork|-n" "fork|-x" "fork|extra"
        "server|-n|0" "server|-n|5x" "server|-n|+5" "server|-n|4294967297" "server|-n" "server|-p" "server|-p|EMPTY" "server|-x"
        "server|extra"
        "client|-n|3" "client|-p" "client|-p|EMPTY" "client|-x" "client|extra"
    )
    local -A usage=([fork]="usage: shm_fork [-n COUNT]" [server]="usage: shm_server [-p PATH] [-n COUNT]"
        [client]="usage: shm_client [-p PATH]")
    local i prog shown
    local -a args
    for i in "${!cases[@]}"; do
        IFS='|' read -r -a args <<<"${cases[$i]}"
        prog=${args[0]}
        args=("${args[@]:1}")
        args=("${args[@]/#EMPTY/}")
        shown=$(printf " '%s'" "${args[@]}")
        lab_run "bad$i" -- "$LAB_BIN/shm_$prog" "${args[@]}"
        lab_assert_exit "bad$i" 2 "§2: shm_$prog$shown is a usage error" || return
        [[ $(wc -l <"$LAB_RUN/bad$i.err") == 2 && $(tail -n 1 "$LAB_RUN/bad$i.err") == "${usage[$prog]}" ]] ||
            lab_fail "two lines on stderr for: shm_$prog$shown: what is wrong, then \"${usage[$prog]}\"" \
                "$(wc -l <"$LAB_RUN/bad$i.err") line(s), the last: $(tail -n 1 "$LAB_RUN/bad$i.err")" \
                "§2: the usage line exactly as in §2" "$(lab_show_output "bad$i")" || return
        [[ ! -s $LAB_RUN/bad$i.out ]] ||
            lab_fail "nothing on stdout for: shm_$prog$shown" "some output" "§2" \
                "$(lab_show_output "bad$i" out)" || return
    done
}

# points: 5
@test "waits with sigsuspend() or sigwaitinfo(), signals blocked first, never pause() (strace)" {
    local calls='pause,rt_sigsuspend,rt_sigtimedwait,rt_sigprocmask,shmget,kill,clone,clone3,fork,vfork'
    conversation 20 10 --strace "$calls" || return
    lab_run fork --strace "$calls" -- "$FORK" -n 20
    lab_assert_exit fork 0 "§3" || return
    local name sig first blocked before
    local -A why=([shmget]="from then on a client can find the segment" [kill]="the hello: the server answers it"
        [clone]="fork(): the child inherits the mask, and is signalled at once")
    for name in server:USR2:shmget client:USR1:kill fork:USR1:clone; do
        IFS=: read -r name sig first <<<"$name"
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
        # Blocked in time: before anybody can send it (§5).
        blocked=$(first_call "$name" "rt_sigprocmask\\(SIG_(BLOCK|SETMASK), \\[[^]]*$sig")
        before=$(first_call "$name" "$first(3)?\\(")
        [[ -z $before ]] || ((blocked < before)) ||
            lab_fail "shm_$name to block SIG$sig before its first $first() (${why[$first]})" \
                "strace saw $first() first: $(sed -n "${before}p" "$LAB_LOGS/$name.strace")" \
                "§5: block before anybody can signal you: in shm_fork before fork(), in the server before creating the segment, in the client before its hello" ||
            return
    done

    # Blocked everywhere but inside sigsuspend() (§5): shm_fork's parent,
    # stopped right after its first kill(), outside any wait, has SIGUSR1,
    # SIGUSR2 and SIGCHLD blocked (SigBlk of /proc/PID/status).
    lab_spawn masked --inject 'kill:signal=SIGSTOP:when=1' -- "$FORK" -n 3
    local pid mask missing=""
    pid=$(lab_pid masked) || return
    wait_stopped masked "$pid" "shm_fork to send message 1 (the grader stops it right after that kill())" "§3 step 4" ||
        return
    mask=$(awk '$1 == "SigBlk:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
    for sig in USR1:10 USR2:12 CHLD:17; do
        ((16#${mask:-0} >> (${sig#*:} - 1) & 1)) || missing+=" SIG${sig%:*}"
    done
    [[ -z $missing ]] ||
        lab_fail "SIGUSR1, SIGUSR2 and SIGCHLD blocked in shm_fork's parent outside sigsuspend() (stopped right after its first kill())" \
            "not blocked:$missing (SigBlk: ${mask:-none})" \
            "§5: block the program's signals once, at start, and let them in only inside sigsuspend(): a SIGCHLD that comes between the test of the flag and sigsuspend() is lost" ||
        return
    lab_stop masked
}

# points: 5
@test "valgrind finds no memory error and no descriptor left open (all three programs)" {
    conversation 20 10 --valgrind || return
    lab_run fork --valgrind --wait 10 -- "$FORK" -n 20
    lab_assert_exit fork 0 "§3" || return
    local name
    for name in server client fork; do
        lab_assert_valgrind_clean "$name" "§8" || return
        lab_assert_valgrind_fds "$name" "§8: System V shared memory needs no descriptor; close whatever you open" ||
            return
    done
}

# points: 5
@test "a second client is refused, even one that looked at client_pid before the first claimed it" {
    start_server server -- -n 1000000 || return
    # The grader stops this client right after its first getpid(): it may
    # have read client_pid (0), it has not claimed the segment yet.
    lab_spawn stopped --strace getpid,shmat,shmdt --inject 'getpid:signal=SIGSTOP:when=1' -- "$CLIENT" -p "$SHM_PATH"
    wait_stopped stopped "$(lab_pid stopped)" "shm_client to call getpid() (the grader stops it right after)" \
        "§4 step 3: the client claims the segment with its pid" || return
    lab_spawn client -- "$CLIENT" -p "$SHM_PATH"
    lab_wait_output client '^message 1$' 5 ||
        lab_fail "the second shm_client, started while the first was stopped, to claim the segment and print \"message 1\"" \
            "$(lab_describe client)" "§4 step 3" "$(lab_show_output client)" || return
    local pid
    pid=$(lab_pid client)
    lab_signal stopped CONT
    assert_ends stopped 5 1 "the client stopped before it claimed the segment to be refused when it goes on (exit 1)" \
        "§4 step 3: claim client_pid with __atomic_compare_exchange_n (0 -> your pid): a check and a store apart let two clients in" ||
        return
    lab_assert_stderr_line stopped "shm_client: the server already has a client (pid $pid)" "§4 step 3" || return
    assert_detached stopped "the refused shm_client" || return
    [[ $(lab_shm_field "$SHMID" nattch) == 2 ]] ||
        lab_fail "nattch 2 (the server and its client) once the refused client has ended" "$(shm_describe "$SHMID")" \
            "§4 step 3" || return
    lab_signal server TERM
    assert_ends server 5 143 "shm_server to exit 143 after SIGTERM, its client unharmed until then" "§6" || return
    assert_ends client 5 1 "the server's client to exit 1 once the server has quit" "§6"
}

# points: 5
@test "each process detaches (shmdt), the client before its last SIGUSR2, and only the server removes (strace)" {
    local calls='shmat,shmdt,shmctl,kill' rc=0
    conversation 3 10 --strace "$calls" || rc=$?
    # Looked at first: a client that removes the segment makes the server's
    # own IPC_RMID fail, and the conversation's report blames the server.
    ! lab_strace_grep client 'IPC_RMID' >/dev/null ||
        lab_fail "shm_client never to remove the segment" "strace saw: $(lab_strace_grep client 'IPC_RMID' | head -n 1)" \
            "§6: the server created it, the server removes it; a client only detaches" || return
    ((rc == 0)) || return "$rc"
    lab_run fork --strace "$calls" -- "$FORK" -n 3
    lab_assert_exit fork 0 "§3" || return
    local detached last name
    for name in server client; do
        [[ -n $(first_call "$name" 'shmdt\(.*= 0') ]] ||
            lab_fail "shm_$name to detach with shmdt()" "strace never saw shmdt()" \
                "§8: every shmat() has its shmdt() on every path" || return
    done
    detached=$(first_call client 'shmdt\(.*= 0')
    last=$(grep -n -E '^([0-9]+ +)?kill\(' "$LAB_LOGS/client.strace" | tail -n 1 | cut -d: -f1)
    ((detached < last)) ||
        lab_fail "shm_client to detach, then send its last SIGUSR2" \
            "strace saw: $(sed -n "${last}p" "$LAB_LOGS/client.strace"), then: $(sed -n "${detached}p" "$LAB_LOGS/client.strace")" \
            "§4 step 6 and §6: the last SIGUSR2 says \"detached\" (nattch back to 1)" || return
    local -a pids
    # Two processes: strace may split a call in two lines ("<unfinished ...>",
    # then "<... shmdt resumed>) = 0").
    mapfile -t pids < <(lab_strace_grep fork '^[0-9]+ +(shmdt\(|<\.\.\. shmdt resumed>).*= 0' | awk '{ print $1 }' | sort -u)
    ((${#pids[@]} == 2)) ||
        lab_fail "both shm_fork processes, the parent and the child, to detach with shmdt()" \
            "shmdt() by ${#pids[@]} process(es)$( ((${#pids[@]})) && printf ' (pid %s)' "${pids[@]}")" \
            "§3 step 5 and §8: the child detaches before it exits, the parent before it waits" || return
}

# points: 5
@test "each line is printed at once (line-buffered), and each side writes before its kill() (the grader stops them)" {
    # shm_fork: the grader stops the process right after its first write().
    lab_spawn fork --inject 'write:signal=SIGSTOP:when=1' -- "$FORK" -n 3
    local child
    lab_wait_descendants fork 1 5 || true
    child=$(lab_descendants fork | head -n 1)
    [[ -n $child ]] || lab_fail "a child process below shm_fork" "$(lab_describe fork)" "§3" || return
    wait_stopped fork "$child" "the child of shm_fork to write its first line (the grader stops it right after)" \
        "§4: set stdout line-buffered" || return
    lab_assert_same_output fork "$BATS_FILE_TMPDIR/msgs1" \
        "\"message 1\" alone, written before the child goes on to message 2" \
        "§4: each program prints a line as soon as it has it: setvbuf(stdout, NULL, _IOLBF, 0), or fflush() after each line" ||
        return
    lab_stop fork

    # The server stops right after its second write() (the first is the
    # ready line), the client right after its second kill() (the first is
    # the hello): the answer to message 1 is then in the segment.
    start_server server --inject 'write:signal=SIGSTOP:when=2' -- -n 3 || return
    lab_spawn client --inject 'kill:signal=SIGSTOP:when=2' -- "$CLIENT" -p "$SHM_PATH"
    wait_stopped client "$(lab_pid client)" "shm_client to answer message 1 (the grader stops it right after that kill())" \
        "§4 step 5" || return
    wait_stopped server "$(lab_pid server)" "shm_server to write its second line (the grader stops it right after)" \
        "§4: set stdout line-buffered" || return
    lab_assert_same_output server "$BATS_FILE_TMPDIR/acks1" \
        "\"ack message 1\" alone, written before the server sends message 2 (the client, stopped right after its kill(), wrote the answer before it)" \
        "§4: each program prints a line as soon as it has it (setvbuf(stdout, NULL, _IOLBF, 0)); §5: the kill() that hands the turn over comes after every write into the segment" ||
        return
    lab_assert_same_output client "$BATS_FILE_TMPDIR/msgs1" \
        "\"message 1\", written before the client answered it (the server has the answer)" \
        "§4: each program prints a line as soon as it has it: setvbuf(stdout, NULL, _IOLBF, 0), or fflush() after each line" ||
        return
    lab_signal client CONT
    lab_signal server CONT
    assert_ends client 5 0 "shm_client to finish once the server goes on" "§4" || return
    assert_ends server 5 0 "shm_server to finish once it goes on" "§4" || return

    # The end mark too is written before its kill(): shm_fork -n 3 is
    # stopped right after the parent's fourth kill() (the end mark's
    # SIGUSR1); its child must find KIND_END there, print nothing more and
    # exit.
    lab_spawn ended --inject 'kill:signal=SIGSTOP:when=4' -- "$FORK" -n 3
    local parent
    parent=$(lab_pid ended) || return
    wait_stopped ended "$parent" \
        "the parent of shm_fork to send the end mark (the grader stops it right after its fourth kill())" "§3 step 5" ||
        return
    child=$(lab_descendants ended | head -n 1)
    [[ -z $child ]] || lab_wait_while_running ended 5 child_done "$child" || true
    lab_assert_same_output ended "$BATS_FILE_TMPDIR/msgs3" \
        "the 3 messages, and nothing more once the end mark's SIGUSR1 is sent (the parent stopped right after that kill())" \
        "§3 step 5 and §5: the kill() that hands the turn over comes after every write into the segment: write kind = KIND_END, then send SIGUSR1" ||
        return
    lab_kill CONT "$parent"
    assert_ends ended 5 0 "shm_fork to finish once the parent goes on" "§3 step 5"
}

# child_done PID: shm_fork's child has ended (a zombie, or gone), or sleeps
# waiting for a signal.
child_done() {
    lab_proc_state "$1" Z && return 0
    [[ -e /proc/$1 ]] || return 0
    waits_for_signal "$1"
}

# points: 5
@test "a failed call: PROG: CALL: strerror text, exit 1, and no segment left (shmat and fork fail on purpose)" {
    local pid left
    lab_run server --inject 'shmat:error=EINVAL' -- "$SERVER" -p "$SHM_PATH" -n 3
    lab_assert_exit server 1 "§7: a failed call makes the program exit 1" || return
    lab_assert_stderr_line server "shm_server: shmat: Invalid argument" \
        "§7: PROG: CALL: strerror text (the grader made shmat() fail with EINVAL)" || return
    pid=$(lab_pid server)
    left=$(shm_created_by "$pid")
    if [[ -n $left ]] && ! lab_shm_wait_gone "$left"; then
        lab_fail "no segment left once shm_server has failed after shmget()" \
            "the segment it created is still there (the grader removed it): $(shm_describe "$left")" \
            "§6 and §7: the server removes its segment after any failure after shmget()"
        ipcrm -m "$left" 2>/dev/null
        return 1
    fi

    start_server server2 -- -n 3 || return
    lab_run client --inject 'shmat:error=EINVAL' -- "$CLIENT" -p "$SHM_PATH"
    lab_assert_exit client 1 "§7" || return
    lab_assert_stderr_line client "shm_client: shmat: Invalid argument" \
        "§7: PROG: CALL: strerror text (the grader made shmat() fail with EINVAL)" || return
    # shmget() failing otherwise than §4 foresees (ENOENT for the client,
    # EEXIST for the server) is a failed call like any other.
    lab_run client-get --inject 'shmget:error=EACCES' -- "$CLIENT" -p "$SHM_PATH"
    lab_assert_exit client-get 1 "§7" || return
    lab_assert_stderr_line client-get "shm_client: shmget: Permission denied" \
        "§4 step 2 and §7: only ENOENT means \"no server\"; any other failure of shmget() is PROG: CALL: strerror text (the grader made shmget() fail with EACCES)" ||
        return
    lab_signal server2 TERM
    assert_ends server2 5 143 "shm_server to exit 143 after SIGTERM" "§6" || return

    lab_run server3 --inject 'shmget:error=ENOSPC' -- "$SERVER" -p "$SHM_PATH" -n 3
    lab_assert_exit server3 1 "§7" || return
    lab_assert_stderr_line server3 "shm_server: shmget: No space left on device" \
        "§4 step 2 and §7: only EEXIST means \"another server\"; any other failure of shmget() is PROG: CALL: strerror text (the grader made shmget() fail with ENOSPC)" ||
        return

    lab_run fork --inject 'clone:error=EAGAIN' -- "$FORK" -n 3
    lab_assert_exit fork 1 "§7" || return
    lab_assert_stderr_line fork "shm_fork: fork: Resource temporarily unavailable" \
        "§7: PROG: CALL: strerror text (the grader made fork() fail with EAGAIN)"
}

# points: 5
@test "the server's pid is in the segment before its ready line; a client that finds 0 says the server is not ready" {
    # Stopped right after shmat(): the segment exists, server_pid is still 0.
    lab_spawn early --inject 'shmat:signal=SIGSTOP:when=1' -- "$SERVER" -p "$SHM_PATH" -n 3
    wait_stopped early "$(lab_pid early)" "shm_server to attach its segment (the grader stops it right after shmat())" \
        "§4 step 3" || return
    lab_run client -- "$CLIENT" -p "$SHM_PATH"
    lab_assert_exit client 1 "§4 step 3: server_pid 0 means the server has not finished starting" || return
    lab_assert_stderr_line client "shm_client: the server is not ready yet" "§4 step 3" || return
    lab_signal early CONT
    lab_signal early TERM
    assert_ends early 5 143 "shm_server to exit 143 after SIGTERM" "§6" || return

    # Stopped right after its first write(), the ready line: a client started
    # now must find the server's pid.
    start_server server --inject 'write:signal=SIGSTOP:when=1' -- -n 3 || return
    wait_stopped server "$(lab_pid server)" "shm_server to print its ready line (the grader stops it right after)" \
        "§4 step 3" || return
    lab_spawn client2 -- "$CLIENT" -p "$SHM_PATH"
    lab_wait_while_running client2 5 has_pending "$(lab_pid server)" 12 || {
        lab_wait_exit client2 5 || true
        lab_fail "a client started after the ready line to find the server's pid and say hello (SIGUSR2)" \
            "$(lab_describe client2)" \
            "§4 step 3: write server_pid into the segment, then print the ready line" "$(lab_show_output client2)"
        return 1
    }
    lab_signal server CONT
    assert_ends client2 5 0 "shm_client to talk with the server once it goes on" "§4" || return
    lab_assert_same_output client2 "$BATS_FILE_TMPDIR/msgs3" "the 3 messages" "§4" || return
    assert_ends server 5 0 "shm_server to finish its conversation" "§4"
}

# points: 5
@test "a peer found gone by kill() (ESRCH) counts as one that quit: the server or the client says so and exits 1" {
    # The server stops right after its first kill() (message 1): its client
    # answers, and is killed; the server goes on and finds it gone.
    start_server server --inject 'kill:signal=SIGSTOP:when=1' -- -n 1000000 || return
    local spid
    spid=$(lab_pid server)
    lab_spawn client -- "$CLIENT" -p "$SHM_PATH"
    lab_wait_while_running client 5 has_pending "$spid" 12 ||
        lab_fail "the client to answer message 1 (SIGUSR2) while the server is stopped" "$(lab_describe client)" \
            "§4" "$(lab_show_output client)" || return
    lab_signal client KILL
    lab_wait_exit client 5 || true
    lab_signal server CONT
    assert_ends server 5 1 "shm_server to exit 1 once kill() finds its client gone (ESRCH)" \
        "§6: a client found gone by kill() (ESRCH) has quit" || return
    lab_assert_stderr_line server "shm_server: the client has quit" "§6" || return
    assert_segment_gone "$SHMID" "no segment left once the server found its client gone" "§6" || return

    # The client stops right after its hello; the server sends message 1 and
    # is killed (its segment stays: the grader removes it).
    start_server server2 -- -n 1000000 || return
    local shmid=$SHMID cpid
    lab_spawn client2 --inject 'kill:signal=SIGSTOP:when=1' -- "$CLIENT" -p "$SHM_PATH"
    cpid=$(lab_pid client2)
    lab_wait_while_running client2 5 has_pending "$cpid" 10 ||
        lab_fail "the server to send message 1 (SIGUSR1) to the client stopped after its hello" \
            "$(lab_describe server2)" "§4" "$(lab_show_output server2)" || return
    lab_signal server2 KILL
    lab_wait_exit server2 5 || true
    ipcrm -m "$shmid" 2>/dev/null
    lab_signal client2 CONT
    assert_ends client2 5 1 "shm_client to exit 1 once kill() finds the server gone (ESRCH)" \
        "§6: a server found gone by kill() (ESRCH) has quit" || return
    lab_assert_stderr_line client2 "shm_client: the server has quit" "§6" || return

    # A server killed (SIGKILL) leaves its segment, its pid in it: a client
    # started then finds the server gone with its hello's kill().
    start_server server3 -- -n 3 || return
    shmid=$SHMID
    lab_signal server3 KILL
    lab_wait_exit server3 5 || true
    lab_run client3 -- "$CLIENT" -p "$SHM_PATH"
    ipcrm -m "$shmid" 2>/dev/null
    lab_assert_exit client3 1 \
        "§4 step 4 and §6: a server found gone by the hello's kill() (ESRCH; it was killed and left its segment) has quit" ||
        return
    lab_assert_stderr_line client3 "shm_client: the server has quit" "§4 step 4 and §6: ESRCH on the hello too"
}
