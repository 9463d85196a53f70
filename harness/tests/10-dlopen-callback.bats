#!/usr/bin/env bats
# 10-dlopen-callback: clients register callbacks by name in a POSIX shared
# memory registry; the server resolves each with dlopen/dlsym in a plugin and
# runs it in its own process.
# Statement: exercises/10-dlopen-callback/README.md (the § numbers below are its sections).
#
# programs: cb_server cb_client
# libraries: libplugin.so
# ldlibs: -ldl -pthread
# valgrind-factor: 5.8   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

SERVER=$LAB_BIN/cb_server
CLIENT=$LAB_BIN/cb_client
PLUGIN=$LAB_BIN/libplugin.so

# Every test gets its own registry name (§2).
setup() {
    lab_setup
    SHM=$(lab_name)
}

# The slow-callback test's FIFO (GATE) is the grader's, not a leak.
teardown() {
    [[ -z ${GATE:-} ]] || rm -f -- "$GATE"
    lab_teardown
}

# shm_exists NAME: the POSIX shared memory object is there.
shm_exists() { [[ -e /dev/shm/${1#/} ]]; }

# wait_ready NAME SHMNAME: NAME (a cb_server) prints its readiness line, and
# the registry exists by then (§3).
wait_ready() {
    local name=$1 shm=$2
    lab_wait_output "$name" '^cb_server: ready on ' 5 ||
        lab_fail "cb_server to print \"cb_server: ready on $shm, plugin ... (pid ...)\" once the registry exists" \
            "$(lab_describe "$name")" "§3 and §6: dlopen, then create and set up the object, then print" \
            "$(lab_show_output "$name" out)" "$(lab_show_output "$name")" || return
    shm_exists "$shm" ||
        lab_fail "the object $shm (/dev/shm${shm}) to exist once cb_server says it is ready" \
            "there is no such object" "§3: shm_open(SHMNAME, O_CREAT | O_EXCL | O_RDWR, 0600)"
}

# start_server [NAME [SHMNAME [lab_spawn options]]]: starts cb_server with
# the plugin on SHMNAME (default $SHM) and waits until it is ready.
start_server() {
    local name=${1:-server} shm=${2:-$SHM}
    shift 2 2>/dev/null || shift $#
    lab_spawn "$name" "$@" -- "$SERVER" -n "$shm" -l "$PLUGIN" || return
    wait_ready "$name" "$shm"
}

# call NAME [lab_run options] -- CLIENT_ARGS...: runs cb_client on $SHM (or
# on $ON, where a test sets it).
call() {
    local name=$1
    shift
    local -a opts=()
    while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
    shift
    lab_run "$name" "${opts[@]}" -- "$CLIENT" -n "${ON:-$SHM}" "$@"
}

# server_alive NAME LOOK_AT: the server still runs (a call must never kill it).
server_alive() {
    lab_finished "$1" || return 0
    lab_fail "cb_server to keep running and serving" "$(lab_describe "$1")" "$2" "$(lab_show_output "$1")"
}

# stop_server NAME: SIGTERM, then the server must exit 143 soon, the
# registry gone (§7).
stop_server() {
    lab_stop_gracefully "$1" TERM 143 cb_server \
        "§7: the handler posts the work semaphore, so that sem_wait() returns and the loop sees the flag (hint 5)" \
        "§7: after SIGTERM the server cleans up and exits 128 + 15"
}

# assert_call NAME LINE LOOK_AT: the client NAME exited 0 and printed exactly LINE.
assert_call() {
    local name=$1 line=$2
    lab_assert_finished "$name" "cb_client to get its answer and exit" \
        "§4: the client waits on its slot's done semaphore, which the server posts (hint 3)" || return
    lab_assert_exit "$name" 0 "$3" || return
    printf '%s\n' "$line" >"$LAB_RUN/$name.expected"
    lab_assert_same_output "$name" "$LAB_RUN/$name.expected" "the line: $line" "$3"
}

# wait_line NAME LINE SECONDS [out|err] LOOK_AT: NAME prints LINE, exactly, as
# a whole line of its stderr (or stdout) within SECONDS (a line printed just
# after the answer it goes with is waited for, not missed).
wait_line() {
    local name=$1 line=$2 file="$LAB_RUN/$1.${4:-err}"
    _lab_has_line() { grep -qxF -- "$line" "$file" 2>/dev/null; }
    lab_wait_until "$(lab_seconds "$3")" _lab_has_line && return 0
    lab_fail "$name to print the line \"$line\" on std${4:-err}" "no such line ($(lab_describe "$name"))" "$5" \
        "$(lab_show_output "$name" "${4:-err}")"
}

# build_plugin NAME: compiles the C source on stdin into $LAB_WORK/libNAME.so,
# a plugin of the grader's own for the learner's server (lazy binding in the
# library itself: only the server's dlopen() flags decide when its symbols
# are resolved).
build_plugin() {
    "${CC:-gcc}" -std=gnu17 -O2 -fPIC -shared -Wl,-z,lazy -o "$LAB_WORK/lib$1.so" -x c - \
        >"$LAB_RUN/cc-$1.log" 2>&1 ||
        lab_fail "the grader to build its own plugin lib$1.so" "gcc failed" "" "$(lab_excerpt "$LAB_RUN/cc-$1.log")"
}

# build_hostile: compiles $LAB_WORK/hostile SHMNAME [NAME], a client of the
# grader's that registers length (or NAME, unchecked) with an argument of
# 256 bytes and no NUL, its result
# field full of 'c' (a hostile writer, not cb_client), then prints
# "STATUS RESULT" of the answer, with the grader's own callbacks.h.
build_hostile() {
    "${CC:-gcc}" -std=gnu17 -O2 -I "$LAB_HARNESS/tools" -o "$LAB_WORK/hostile" -x c - -pthread \
        >"$LAB_RUN/cc-hostile.log" 2>&1 <<'EOF' ||
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "callbacks.h"
int main(int argc, char *argv[])
{
    struct cb_registry *reg;
    struct cb_slot *slot = NULL;
    struct timespec until;
    int fd = argc == 2 || argc == 3 ? shm_open(argv[1], O_RDWR, 0) : -1;

    if (fd == -1 || (reg = mmap(NULL, sizeof *reg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
        return perror("hostile: registry"), 1;
    sem_wait(&reg->free_slots);
    sem_wait(&reg->lock);
    for (int i = 0; i < CB_SLOTS && slot == NULL; i++)
        if (reg->slots[i].state == SLOT_FREE)
            slot = &reg->slots[i];
    if (slot == NULL)
        return fprintf(stderr, "hostile: no FREE slot\n"), 1;
    slot->client = getpid();
    snprintf(slot->name, sizeof slot->name, "%s", argc == 3 ? argv[2] : "length");
    memset(slot->arg, 'b', sizeof slot->arg);
    memset(slot->result, 'c', sizeof slot->result);
    slot->state = SLOT_REGISTERED;
    sem_post(&reg->lock);
    sem_post(&reg->work);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    if (sem_timedwait(&slot->done, &until) == -1)
        return perror("hostile: no answer"), 1;
    printf("%d %.*s\n", slot->status, (int)sizeof slot->result, slot->result);
    sem_wait(&reg->lock);
    slot->state = SLOT_FREE;
    sem_post(&reg->lock);
    sem_post(&reg->free_slots);
    return 0;
}
EOF
        lab_fail "the grader to build its own client hostile" "gcc failed" "" "$(lab_excerpt "$LAB_RUN/cc-hostile.log")"
}

# points: 5
@test "a callback runs in the server's process: whoami returns the server's pid" {
    # strace holds the server back for 0.3 s as each futex() call returns,
    # among them the wake of sem_post(done): an answer written into the slot
    # only after that post is read by the client before it is there.
    start_server server "$SHM" --inject 'futex:delay_exit=300000' || return
    local spid
    spid=$(lab_pid server)
    grep -qxF "cb_server: ready on $SHM, plugin $PLUGIN (pid $spid)" "$LAB_RUN/server.out" ||
        lab_fail "the line \"cb_server: ready on $SHM, plugin $PLUGIN (pid $spid)\" on stdout" \
            "it printed something else" "§6 step 4: the ready line, with the server's own pid" \
            "$(lab_show_output server out)" || return
    # The registry's server field (after the 4 bytes of magic, callbacks.h):
    # the server's pid, read straight from the object.
    local field
    field=$(od -An -t d4 -j 4 -N 4 "/dev/shm$SHM" 2>&1 | tr -d ' ')
    [[ $field == "$spid" ]] ||
        lab_fail "the registry's server field (bytes 4 to 7 of /dev/shm$SHM) to hold the server's pid $spid" \
            "it holds ${field:-nothing}" "§3: the server sets reg->server = getpid() before it writes the magic" || return
    call who -- whoami hello
    assert_call who "whoami(hello) = $spid (ran in pid $spid)" \
        "§4 (the output line) and §5: the server calls cb_whoami itself, so getpid() is the server's pid; §3: it writes the answer into the slot before it posts done" || return
    # The second call: a server that ends after its first one (or is ending
    # as it is checked) does not answer it.
    call again -- whoami again
    assert_call again "whoami(again) = $spid (ran in pid $spid)" \
        "§6: the server serves call after call until SIGINT or SIGTERM" || return
    server_alive server "§6: the server serves until SIGINT or SIGTERM" || return
    stop_server server
}

# letters N [CHAR]: N times CHAR (default x).
letters() {
    local s
    printf -v s '%*s' "$1" ''
    printf '%s' "${s// /${2:-x}}"
}

# points: 10
@test "the client's argument reaches the callback and the result comes back (upper, reverse, square, length)" {
    # The longest SHMNAME there may be: 200 characters after the slash (§2).
    ON=$SHM$(letters $((201 - ${#SHM})))
    start_server server "$ON" || return
    local spid
    spid=$(lab_pid server)
    call up -- upper 'Hello, World 42'
    assert_call up "upper(Hello, World 42) = HELLO, WORLD 42 (ran in pid $spid)" \
        "§4: the argument goes into the slot, the result comes back in it; §5: upper" || return
    call rev -- reverse 'abc def'
    assert_call rev "reverse(abc def) = fed cba (ran in pid $spid)" "§5: reverse" || return
    call sq -- square -12
    assert_call sq "square(-12) = 144 (ran in pid $spid)" "§5: square" || return
    call len -- length five5
    assert_call len "length(five5) = 5 (ran in pid $spid)" "§5: length" || return
    call empty -- length ''
    assert_call empty "length() = 0 (ran in pid $spid)" "§2: ARG may be empty" || return
    # ARG at its bounds: 255 bytes, and 247 with -c (room for -1000000).
    local arg i
    arg=$(letters 255 a)
    call long -- length "$arg"
    assert_call long "length($arg) = 255 (ran in pid $spid)" "§2: ARG of at most 255 bytes" || return
    arg=$(letters 247 b)
    call longc -- -c 1 length "$arg"
    assert_call longc "length($arg-1) = 249 (ran in pid $spid)" "§2: ARG of at most 247 bytes with -c" || return
    # COUNT with a leading zero is still decimal digits: 010 is ten, not octal 8.
    call seq -- -c 010 upper ab
    for i in {1..10}; do
        printf 'upper(ab-%s) = AB-%s (ran in pid %s)\n' "$i" "$i" "$spid"
    done >"$LAB_RUN/seq.expected"
    lab_assert_exit seq 0 "§2: -c COUNT makes COUNT calls (-c 010 is 10)" || return
    lab_assert_same_output seq "$LAB_RUN/seq.expected" "ten lines, for ab-1 to ab-10" \
        "§2: with -c COUNT, the i-th call passes ARG-i" || return
    # A slot written by another program: an argument of 256 bytes without a
    # NUL. The server's own bounded copy ends it: length sees 255 bytes.
    build_hostile || return
    lab_run hostile -- "$LAB_WORK/hostile" "$ON"
    lab_assert_exit hostile 0 "§5: the server answers every REGISTERED slot" || return
    printf '0 255\n' >"$LAB_RUN/hostile.expected"
    lab_assert_same_output hostile "$LAB_RUN/hostile.expected" \
        "CALL_OK (0) and 255: length ran on the server's copy of the 256 bytes, cut to 255 and NUL-terminated" \
        "§5: the server works on its own bounded, NUL-terminated copies of the name and the argument, never on the slot's bytes" ||
        return
    server_alive server "§5: never trust the shared memory" || return
    stop_server server
}

# The lock test's steps, with the grader's cb_lockholder (harness/tools/) as
# a second client that holds the registry's lock as long as the test wants.
LOCKED="§3 and §4 step 2: sem_wait(free_slots), sem_wait(lock), and only then look for a FREE slot and mark it REGISTERED, before sem_post(lock) (hint 2)"

# server_stopped NAME: the server NAME stopped (SIGSTOP), and seen stopped.
server_stopped() {
    local pid
    pid=$(lab_pid "$1") || return
    lab_signal "$1" STOP || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$pid" T ||
        lab_fail "cb_server stopped by SIGSTOP" "$(lab_describe "$1")" ""
}

# registered NAME SHMNAME CALLBACK ARG: client NAME calls CALLBACK(ARG) on
# SHMNAME while the server is stopped, and is seen waiting for its answer
# in sem_wait().
registered() {
    local name=$1 shm=$2
    shift 2
    lab_spawn "$name" -- "$CLIENT" -n "$shm" "$@" || return
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in_sem_wait "$(lab_pid "$name")" ||
        lab_fail "cb_client $* to register its call and wait for the answer in sem_wait() while the server is stopped" \
            "$(lab_describe "$name")" "§4 steps 2 and 3" "$(lab_show_output "$name")"
}

# lock_held NAME SHMNAME: the grader's cb_lockholder -L, spawned as NAME,
# takes the registry's lock alone, and says so.
lock_held() {
    lab_spawn "$1" --in-pipe -- "$LAB_TOOLS/cb_lockholder" -L -n "$2" || return
    lab_wait_output "$1" '^holding the lock$' 5 ||
        lab_fail "the grader's cb_lockholder to take the lock once the client has registered its call" \
            "$(lab_describe "$1")" "§4 step 2: the client posts lock, then work" "$(lab_show_output "$1")"
}

# holder_says NAME REGEX WHAT: the holder prints a line matching REGEX (its
# answer to the last command) soon.
holder_says() {
    lab_wait_output "$1" "$2" 5 ||
        lab_fail "the grader's cb_lockholder to $3" "$(lab_describe "$1")" \
            "§3: the registry's layout and semaphores as callbacks.h and the table give them" \
            "$(lab_show_output "$1")"
}

# holder_states NAME: NAME (a cb_lockholder -L, which holds the lock alone)
# answers "states"; prints the states it saw, sorted, on one line.
holder_states() {
    local name=$1 before
    before=$(grep -c '^slots: ' "$LAB_RUN/$name.out")
    _holder_answered() { (($(grep -c '^slots: ' "$LAB_RUN/$name.out") > before)); }
    lab_input "$name" states || return
    lab_wait_until "$(lab_seconds 5)" _holder_answered ||
        lab_fail "the grader's cb_lockholder to read the slots' states" "$(lab_describe "$name")" "" \
            "$(lab_show_output "$name")" || return
    sed -n 's/^slots: //p' "$LAB_RUN/$name.out" | tail -n 1 | tr ' ' '\n' | sort | paste -sd ' '
}

# points: 5
@test "a client looks for a FREE slot and claims it under the lock: while another process holds the lock, it waits" {
    start_server || return
    local spid cpid states slot
    spid=$(lab_pid server)
    lab_spawn holder --in-pipe -- "$LAB_TOOLS/cb_lockholder" -n "$SHM" || return
    holder_says holder '^holding the lock$' "take a slot's token and the lock, as a client does" || return
    # A client started now must wait for the lock, with every slot still FREE.
    lab_spawn c -- "$CLIENT" -n "$SHM" reverse locked-out || return
    cpid=$(lab_pid c) || return
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in_sem_wait "$cpid" ||
        lab_fail "cb_client to wait in sem_wait() while another process holds the registry's lock" \
            "$(lab_describe c)" "$LOCKED" "$(lab_show_output c)" || return
    lab_input holder claim || return
    holder_says holder '^(claimed slot [0-9]+|no FREE slot)$' "claim a FREE slot" || return
    states=$(sed -n 's/^slots: //p' "$LAB_RUN/holder.out")
    [[ $states == "FREE FREE FREE FREE" ]] ||
        lab_fail "every slot still FREE while another process held the lock" \
            "the slots were $states: cb_client changed a slot without holding the lock" "$LOCKED" || return
    # The holder took slot 0 and let go of the lock: the client takes another.
    lab_wait_exit c 5 || true
    assert_call c "reverse(locked-out) = tuo-dekcol (ran in pid $spid)" "$LOCKED" || return
    lab_input holder check || return
    holder_says holder '^slot [0-9]+: ' "check that its slot is still its own" || return
    slot=$(grep -E '^slot [0-9]+: ' "$LAB_RUN/holder.out")
    [[ $slot == *": kept" ]] ||
        lab_fail "cb_client to leave alone the slot another process claimed while it waited for the lock" \
            "${slot/taken over/taken over by cb_client}: it chose its slot before it held the lock" "$LOCKED" || return
    lab_close_input holder
    lab_wait_exit holder 5 || true
    lab_assert_exit holder 0 "§3" || return
    # The client gives its slot back under the lock too: stopped (SIGSTOP)
    # while it waits for its answer, it is let go on once the server has
    # answered and the grader's cb_lockholder -L holds the lock alone. It
    # must wait for the lock, its slot still DONE.
    local bpid
    server_stopped server || return
    registered back "$SHM" upper give-back || return
    bpid=$(lab_pid back) || return
    lab_signal back STOP || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$bpid" T ||
        lab_fail "cb_client upper give-back stopped by SIGSTOP" "$(lab_describe back)" "" || return
    lab_kill CONT "$spid" || true
    # The server answers, then waits for the next call.
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in_sem_wait "$spid" ||
        lab_fail "cb_server to answer the call and wait for the next one in sem_wait()" "$(lab_describe server)" \
            "§6 step 5" || return
    lab_spawn giving --in-pipe -- "$LAB_TOOLS/cb_lockholder" -L -n "$SHM" || return
    lab_wait_output giving '^holding the lock$' 5 ||
        lab_fail "the grader's cb_lockholder to take the lock once the server has answered" "$(lab_describe giving)" \
            "§3: the server lets go of the lock once the slot is DONE" "$(lab_show_output giving)" || return
    states=$(holder_states giving) || return
    [[ $states == "DONE FREE FREE FREE" ]] ||
        lab_fail "the slot of cb_client upper give-back DONE once the server has answered it, and three FREE" \
            "the slots were: $states" "§3 and §5: the server sets the slot DONE, then posts done" || return
    lab_kill CONT "$bpid" || true
    # It sleeps in sem_wait() (for the lock), or it ends (it gave its slot
    # back without the lock: status 2 once it is gone).
    _back_waits() { lab_finished back || lab_blocked_in_sem_wait "$bpid"; }
    lab_wait_until "$(lab_seconds 5)" _back_waits || true
    if ! lab_blocked_in_sem_wait "$bpid"; then
        lab_wait_exit back 5 || true
        lab_fail "cb_client to wait for the lock before it gives its slot back (another process holds it)" \
            "it went on without waiting: it set its slot FREE without the lock ($(lab_describe back))" \
            "§3 and §4 step 3: under the lock set the slot FREE, then post free_slots" || return
    fi
    states=$(holder_states giving) || return
    [[ $states == "DONE FREE FREE FREE" ]] ||
        lab_fail "the client's slot still DONE while another process holds the lock" \
            "the slots were: $states: cb_client gave its slot back without the lock" \
            "§3 and §4 step 3: under the lock set the slot FREE, then post free_slots" || return
    lab_close_input giving
    lab_wait_exit giving 5 || true
    lab_assert_exit giving 0 "§3" || return
    lab_wait_exit back 5 || true
    assert_call back "upper(give-back) = GIVE-BACK (ran in pid $spid)" "§4 step 3" || return
    server_alive server "§6" || return
    stop_server server
}

# Checks for the concurrency test: each client's output so far is a prefix
# of what it should print (else 2: "corrupt, stop waiting"); 0 once all ended.
_clients_done_or_corrupt() {
    local i size all=0
    for ((i = 1; i <= CLIENTS; i++)); do
        size=$(stat -c %s "$LAB_RUN/c$i.out" 2>/dev/null || echo 0)
        cmp -s -n "$size" "$LAB_RUN/c$i.expected" "$LAB_RUN/c$i.out" || return 2
        lab_finished "c$i" || all=1
    done
    return "$all"
}

# points: 5
@test "8 clients at once, 500 calls each: every call gets its own answer (the registry is guarded)" {
    # The answer is copied out before the slot is given back: a client that
    # frees its slot first loses it to a client waiting for one.  The server
    # is stopped while x registers (slot 0), three clients fill the other
    # slots (then are killed: their slots stay taken) and w waits for a
    # slot.  x runs under strace, each futex() call held 1 s as it returns:
    # when x posts free_slots, w takes slot 0 before x goes on.  (A server
    # of its own: the killed clients' slots are never given back.)
    local name cpid spid i
    start_server freed "$SHM-freed" || return
    spid=$(lab_pid freed)
    lab_signal freed STOP || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$spid" T ||
        lab_fail "cb_server stopped by SIGSTOP" "$(lab_describe freed)" "" || return
    for name in x f1 f2 f3 w; do
        if [[ $name == x ]]; then
            lab_spawn x --inject 'futex:delay_exit=1000000' -- "$CLIENT" -n "$SHM-freed" upper x || return
        else
            lab_spawn "$name" -- "$CLIENT" -n "$SHM-freed" upper "$name" || return
        fi
        cpid=$(lab_pid "$name") || return
        lab_wait_until "$(lab_seconds 5)" lab_blocked_in_sem_wait "$cpid" ||
            lab_fail "cb_client $name to wait in sem_wait() (for its answer, or for a free slot) while the server is stopped" \
                "$(lab_describe "$name")" "§4 steps 2 and 3" "$(lab_show_output "$name")" || return
    done
    for name in f1 f2 f3; do
        lab_stop "$name"
    done
    lab_kill CONT "$spid" || true
    lab_wait_exit x 10 || true
    lab_wait_exit w 10 || true
    assert_call x "upper(x) = X (ran in pid $spid)" \
        "§4 step 3: copy status, pid and result out of the slot, and only then mark it FREE and post free_slots: a client waiting for a slot takes it at once" ||
        return
    assert_call w "upper(w) = W (ran in pid $spid)" "§4: the slot given back serves the next client" || return
    stop_server freed || return

    start_server || return
    spid=$(lab_pid server)
    CLIENTS=8
    for ((i = 1; i <= CLIENTS; i++)); do
        awk -v c="client$i" -v pid="$spid" 'BEGIN {
            for (k = 1; k <= 500; k++) {
                arg = c "-" k; r = ""
                for (j = length(arg); j > 0; j--) r = r substr(arg, j, 1)
                printf "reverse(%s) = %s (ran in pid %s)\n", arg, r, pid
            } }' >"$LAB_RUN/c$i.expected"
    done
    for ((i = 1; i <= CLIENTS; i++)); do
        lab_spawn "c$i" -- "$CLIENT" -n "$SHM" -c 500 reverse "client$i"
    done
    lab_wait_until "$(lab_seconds 30)" _clients_done_or_corrupt || true
    for ((i = 1; i <= CLIENTS; i++)); do
        if ! lab_finished "c$i"; then
            lab_seconds 30 >"$LAB_RUN/c$i.bound"
            lab_stop "c$i"
        fi
    done
    local look="§3: claim a slot and mark it under the registry's lock (sem_wait/sem_post on lock), so that two clients never take the same slot (hint 2)"
    for ((i = 1; i <= CLIENTS; i++)); do
        lab_assert_same_output "c$i" "$LAB_RUN/c$i.expected" \
            "client $i: its own 500 answers, reverse(client$i-1) to reverse(client$i-500), in order" \
            "$look" || return
        lab_assert_exit "c$i" 0 "$look" || return
    done
    server_alive server "§6" || return
    stop_server server
}

# points: 5
@test "one client makes 50 calls in a row: each slot is given back" {
    start_server || return
    local spid
    spid=$(lab_pid server)
    call many --wait 10 -- -c 50 length x
    awk -v pid="$spid" 'BEGIN { for (k = 1; k <= 50; k++) printf "length(x-%d) = %d (ran in pid %s)\n", k, length("x-" k), pid }' \
        >"$LAB_RUN/many.expected"
    lab_assert_finished many "cb_client -c 50 to make its 50 calls and exit, though the registry has 4 slots" \
        "§3: after reading its answer the client marks the slot FREE and posts free_slots (hint 3)" || return
    lab_assert_same_output many "$LAB_RUN/many.expected" "50 answers, for x-1 to x-50" "§3 and §4" || return
    lab_assert_exit many 0 "§4" || return
    stop_server server
}

# points: 5
@test "an unknown callback: the client gets an error naming it, and the server keeps serving" {
    # The plugin exports the six callbacks, and nothing else of plugin.c
    # (the loader's and the toolchain's own names begin with _).
    local exported missing="" others cb
    exported=$(nm -D --defined-only "$PLUGIN" 2>&1 | awk 'NF == 3 && $3 !~ /^_/ { print $3 }')
    for cb in whoami upper reverse square length address; do
        grep -qx "cb_$cb" <<<"$exported" || missing+=" cb_$cb"
    done
    others=$(grep -v '^cb_' <<<"$exported" | paste -sd ' ')
    [[ -z $missing && -z $others ]] ||
        lab_fail "libplugin.so to export cb_whoami, cb_upper, cb_reverse, cb_square, cb_length and cb_address, and nothing else of plugin.c" \
            "${missing:+missing:$missing}${missing:+${others:+; }}${others:+also exported: $others}" \
            "§5: each callback NAME is a function cb_NAME; everything else in plugin.c is static (nm -D --defined-only libplugin.so)" ||
        return
    start_server || return
    local spid name
    spid=$(lab_pid server)
    # "exit" is a function of the C library, not a callback: cb_exit does not exist.
    # The answer is the slot's result text, at most 255 bytes (CB_RESULT_MAX,
    # NUL included): with a long path to the plugin, cut there (§5).
    local text
    for name in nosuch_callback exit; do
        text="unknown callback '$name': $PLUGIN: undefined symbol: cb_$name"
        text=${text:0:255}
        call "bad-$name" -- "$name" 1
        lab_assert_finished "bad-$name" "cb_client $name 1 to get an error back and exit" \
            "§5: check what dlsym() returns; NULL means \"no such callback\", to be answered, not called (hint 4)" \
            "$(lab_describe server)" || return
        server_alive server "§5: an unknown name is the client's mistake; calling a NULL pointer kills the server (hint 4)" ||
            return
        lab_assert_exit "bad-$name" 3 "§4: status 3 when the server answers with an error" || return
        lab_assert_stderr_line "bad-$name" "cb_client: $text" \
            "§4 and §5: the server answers \"unknown callback 'NAME': \" and dlerror()'s text, which names cb_NAME" ||
            return
        [[ ! -s $LAB_RUN/bad-$name.out ]] ||
            lab_fail "nothing on stdout for an unknown callback" "some output" "§4" \
                "$(lab_show_output "bad-$name" out)" || return
        wait_line server "cb_server: $text" 5 err \
            "§5: the server prints \"cb_server: \" and the same text on its own stderr" || return
    done
    # The longest NAME (63 characters) is no usage error: the server answers it.
    name=$(letters 63 n)
    call longest -- "$name" 1
    lab_assert_exit longest 3 "§2: NAME has 1 to 63 characters; §4: status 3 for an unknown callback" || return
    text="unknown callback '$name': $PLUGIN: undefined symbol: cb_$name"
    lab_assert_stderr_line longest "cb_client: ${text:0:255}" \
        "§5: the whole name reaches the server (the answer cut to the slot's 255 bytes, CB_RESULT_MAX)" || return
    # -c stops at the first call that fails, even with the largest COUNT.
    call many -- -c 1000000 nosuch_callback x
    lab_assert_exit many 3 "§2: -c stops at the first call that fails, with its status" || return
    [[ $(wc -l <"$LAB_RUN/many.err") == 1 ]] ||
        lab_fail "one line on stderr for cb_client -c 1000000 nosuch_callback x: the first call fails, and -c stops there" \
            "$(wc -l <"$LAB_RUN/many.err") lines" "§2: -c COUNT stops at the first call that fails" \
            "$(lab_show_output many)" || return
    call after -- whoami again
    assert_call after "whoami(again) = $spid (ran in pid $spid)" "§5: the server goes on serving after an unknown name" ||
        return
    stop_server server || return

    # The server checks the name itself: a plugin of the grader's exports
    # cb_a.b, and a client of the grader's (hostile) registers the name a.b,
    # which cb_client would refuse. Looked up, it would be called.
    build_plugin odd <<'EOF' || return
#include <stdio.h>
int lab_odd(const char *arg, char *result, size_t size) __asm__("cb_a.b");
int lab_odd(const char *arg, char *result, size_t size)
{
    (void)arg;
    snprintf(result, size, "called");
    return 0;
}
EOF
    build_hostile || return
    lab_spawn odd -- "$SERVER" -n "$SHM-odd" -l "$LAB_WORK/libodd.so" || return
    wait_ready odd "$SHM-odd" || return
    lab_run dotted -- "$LAB_WORK/hostile" "$SHM-odd" a.b
    lab_assert_exit dotted 0 "§5: the server answers every REGISTERED slot, whatever its name" || return
    [[ $(cut -d ' ' -f 1 "$LAB_RUN/dotted.out") == 1 ]] && ! grep -q called "$LAB_RUN/dotted.out" ||
        lab_fail "the name a.b (registered by a client of the grader's) answered CALL_UNKNOWN (1), never looked up: the plugin libodd.so exports cb_a.b" \
            "the answer (status, result) was: $(head -c 120 "$LAB_RUN/dotted.out")" \
            "§5: the server checks that the name is letters, digits and _ before dlsym(): the shared memory is anybody's to write" ||
        return
    server_alive odd "§5: a bad name is the client's mistake" || return
    stop_server odd
}

# points: 5
@test "a callback that fails (square of a non-number) sends its message back" {
    start_server || return
    call nan -- square twelve
    lab_assert_exit nan 3 "§4: status 3 when the callback returns -1" || return
    lab_assert_stderr_line nan "cb_client: square(twelve) failed: not an integer: 'twelve'" \
        "§4 (the error line) and §5 (square)" || return
    server_alive server "§6" || return
    stop_server server
}

# points: 5
@test "square takes a decimal integer with an optional - only: +12, ' 12', '12 ', 0x10 and 3037000500 are errors" {
    start_server || return
    local spid arg name
    spid=$(lab_pid server)
    local -a args=(+12 " 12" "12 " 0x10 "" -) names=(plus blank trailing hex empty minus)
    local i
    for i in "${!args[@]}"; do
        arg=${args[$i]} name=${names[$i]}
        call "$name" -- square "$arg"
        [[ $(lab_status "$name") == 3 ]] ||
            lab_fail "cb_client square '$arg' to fail with exit status 3: \"$arg\" is not digits with an optional -" \
                "$(lab_describe "$name")" "§5: square (anything else returns -1) and §4 (status 3)" \
                "$(lab_show_output "$name" out)" "$(lab_show_output "$name")" || return
        lab_assert_stderr_line "$name" "cb_client: square($arg) failed: not an integer: '$arg'" \
            "§5: square: anything but digits with an optional - returns -1 with \"not an integer: 'ARG'\"" || return
    done
    call large -- square 3037000500
    [[ $(lab_status large) == 3 ]] ||
        lab_fail "cb_client square 3037000500 to fail with exit status 3: its square is too large for a long long" \
            "$(lab_describe large)" "§5: square (a square too large is an error) and §4 (status 3)" \
            "$(lab_show_output large out)" "$(lab_show_output large)" || return
    call huge -- square 99999999999999999999
    [[ $(lab_status huge) == 3 ]] ||
        lab_fail "cb_client square 99999999999999999999 to fail with exit status 3: no long long holds it" \
            "$(lab_describe huge)" "§5: square (strtoll() says ERANGE) and §4 (status 3)" \
            "$(lab_show_output huge out)" "$(lab_show_output huge)" || return
    call largest -- square -3037000499
    assert_call largest "square(-3037000499) = 9223372030926249001 (ran in pid $spid)" \
        "§5: the largest square a long long holds is not an error" || return
    call zeros -- square 007
    assert_call zeros "square(007) = 49 (ran in pid $spid)" "§5: leading zeros are digits too" || return
    stop_server server
}

# points: 10
@test "a missing or broken library: dlerror()'s message, exit status 2, nothing created" {
    # strace watches every call on /dev/shm/SHMNAME: a server that made the
    # object and removed it again before it exits has still created it.
    lab_run missing --strace openat,open,unlink,ftruncate --trace-path "/dev/shm$SHM" -- \
        "$SERVER" -n "$SHM" -l "$LAB_WORK/nothere.so"
    lab_assert_exit missing 2 "§6: a plugin dlopen() cannot load is exit status 2" || return
    grep -qE "^cb_server: dlopen: .*nothere\.so: cannot open shared object file" "$LAB_RUN/missing.err" ||
        lab_fail "the line \"cb_server: dlopen: $LAB_WORK/nothere.so: cannot open shared object file: ...\" (dlerror()'s message)" \
            "no such line" "§6: print what dlerror() returns after dlopen() fails" \
            "$(lab_show_output missing)" || return
    lab_assert_no_new_ipc "no registry created when the plugin cannot be loaded" \
        "§6: dlopen() first, then create the shared object" || return
    ! lab_strace_grep missing "\"/dev/shm$SHM\"" >/dev/null ||
        lab_fail "cb_server to touch no /dev/shm$SHM when the plugin cannot be loaded: dlopen() comes before the registry" \
            "strace saw: $(lab_strace_grep missing "\"/dev/shm$SHM\"" | head -n 2 | paste -sd ';')" \
            "§6 step 2: dlopen() fails, exit 2, before anything is created (made and removed again is created all the same)" ||
        return

    # A name without a slash goes to dlopen() as it is: the loader searches
    # the library path, never the current folder (dlopen(3)). Started in the
    # folder of libplugin.so, "-l libplugin.so" is not found there.
    lab_run bare -- env -u LD_LIBRARY_PATH -C "${PLUGIN%/*}" "$SERVER" -n "$SHM" -l libplugin.so
    lab_assert_exit bare 2 "§2 and §6: -l PLUGIN is given to dlopen() as it is; a name without a slash is not looked for in the current folder" ||
        return
    lab_assert_stderr_line bare "cb_server: dlopen: libplugin.so: cannot open shared object file: No such file or directory" \
        "§2: -l PLUGIN.so is given to dlopen() as it is (no ./ added, no path made absolute); §6: dlerror()'s message" || return
    lab_assert_no_new_ipc "no registry created when the plugin cannot be loaded" "§6" || return

    # A file that is not an ELF object at all (longer than an ELF header).
    printf 'This is a text file, not a shared library: dlopen() must refuse it.\n%.0s' 1 2 3 \
        >"$LAB_WORK/broken.so"
    lab_run broken -- "$SERVER" -n "$SHM" -l "$LAB_WORK/broken.so"
    lab_assert_exit broken 2 "§6: a plugin dlopen() cannot load is exit status 2" || return
    grep -qE "^cb_server: dlopen: .*broken\.so: invalid ELF header" "$LAB_RUN/broken.err" ||
        lab_fail "the line \"cb_server: dlopen: $LAB_WORK/broken.so: invalid ELF header\" (dlerror()'s message)" \
            "no such line" "§6: print what dlerror() returns after dlopen() fails" \
            "$(lab_show_output broken)" || return
    lab_assert_no_new_ipc "no registry created when the plugin cannot be loaded" "§6" || return

    # A plugin that calls a function no library defines: RTLD_NOW refuses it
    # at dlopen(); RTLD_LAZY would load it, and the first call would kill
    # the server.
    build_plugin unresolved <<'EOF' || return
#include <stddef.h>
int lab_no_such_function(const char *arg);
int cb_whoami(const char *arg, char *result, size_t size)
{
    (void)result;
    (void)size;
    return lab_no_such_function(arg);
}
EOF
    lab_spawn unresolved -- "$SERVER" -n "$SHM" -l "$LAB_WORK/libunresolved.so" || return
    if lab_wait_output unresolved '^cb_server: ready on ' 5; then
        lab_fail "cb_server to refuse a plugin with an unresolved symbol at dlopen() (exit status 2)" \
            "it loaded it and said it was ready: dlopen() without RTLD_NOW resolves a function only at its first call" \
            "§6 step 2: dlopen(PLUGIN, RTLD_NOW | RTLD_LOCAL)" "$(lab_show_output unresolved out)" || return
    fi
    lab_wait_exit unresolved 5 || true
    lab_assert_exit unresolved 2 "§6 step 2: RTLD_NOW, and exit status 2 when dlopen() fails" || return
    grep -qE "^cb_server: dlopen: .*libunresolved\.so: undefined symbol: lab_no_such_function" "$LAB_RUN/unresolved.err" ||
        lab_fail "the line \"cb_server: dlopen: $LAB_WORK/libunresolved.so: undefined symbol: lab_no_such_function\" (dlerror()'s message)" \
            "no such line" "§6 step 2: print what dlerror() returns after dlopen() fails" \
            "$(lab_show_output unresolved)" || return
    lab_assert_no_new_ipc "no registry created when the plugin cannot be loaded" "§6" || return

    # RTLD_LOCAL: the plugin's symbols stay out of the process's global
    # scope. The grader's callback scope(LIB) loads LIB, a library of the
    # grader's with a weak reference to cb_scope: resolved in LIB's own
    # scope (the global one, then LIB's), it is found only if the server's
    # dlopen() made the plugin global.
    build_plugin probe <<'EOF' || return
extern int cb_scope(const char *arg, char *result, unsigned long size) __attribute__((weak));
int lab_probe(void) { return cb_scope != 0; }
EOF
    build_plugin scope <<'EOF' || return
#include <dlfcn.h>
#include <stdio.h>
int cb_scope(const char *arg, char *result, size_t size)
{
    void *h = dlopen(arg, RTLD_NOW | RTLD_LOCAL);
    int (*probe)(void);

    if (h == NULL) {
        snprintf(result, size, "%s", dlerror());
        return -1;
    }
    *(void **)&probe = dlsym(h, "lab_probe");
    snprintf(result, size, "%s", probe == NULL ? "no lab_probe" : probe() ? "global" : "local");
    dlclose(h);
    return 0;
}
EOF
    lab_spawn scoped -- "$SERVER" -n "$SHM" -l "$LAB_WORK/libscope.so" || return
    wait_ready scoped "$SHM" || return
    local spid
    spid=$(lab_pid scoped)
    call scope -- scope "$LAB_WORK/libprobe.so"
    assert_call scope "scope($LAB_WORK/libprobe.so) = local (ran in pid $spid)" \
        "§6 step 2: dlopen(PLUGIN, RTLD_NOW | RTLD_LOCAL): with RTLD_GLOBAL, a library loaded later finds the plugin's symbols" ||
        return
    stop_server scoped
}

# points: 5
@test "SIGTERM or SIGINT: the registry is removed at once, exit status 143 or 130" {
    local sig code tpid
    for sig in TERM INT; do
        code=$((128 + $(kill -l "$sig")))
        # Under SIGTERM strace watches what the handler does.
        if [[ $sig == TERM ]]; then
            start_server "s$sig" "$SHM-$sig" --strace all || return
            tpid=$(lab_pid "s$sig") || return
        else
            start_server "s$sig" "$SHM-$sig" || return
        fi
        lab_run "c$sig" -- "$CLIENT" -n "$SHM-$sig" whoami x
        lab_assert_exit "c$sig" 0 "§4" || return
        lab_signal "s$sig" "$sig"
        lab_wait_exit "s$sig" 5 || true
        lab_assert_exit "s$sig" "$code" "§7: after SIG$sig, clean up and exit 128 + $(kill -l "$sig")" || return
        lab_assert_no_new_ipc "no shared object left right after cb_server ended on SIG$sig" \
            "§7: shm_unlink(SHMNAME) before exiting (hint 5)" || return
        lab_assert_stderr_line "s$sig" "cb_server: stopped by SIG$sig: plugin unloaded, $SHM-$sig removed" \
            "§7 step 5: the message names the signal and the registry" || return
    done
    # Between SIGTERM's delivery and rt_sigreturn the server runs its
    # handler: a sem_post() of work (a futex wake, at most) and nothing else.
    grep -qE "^$tpid +--- SIGTERM " "$LAB_LOGS/sTERM.strace" ||
        lab_fail "strace to see the SIGTERM delivered to cb_server (pid $tpid)" "no SIGTERM in its trace" "§7" || return
    lab_assert_handlers_only sTERM "$tpid" TERM '^futex\(' \
        "the handler to set a flag and post work, and nothing else: the cleanup belongs to the main loop" \
        "§7: the handler sets a volatile sig_atomic_t flag and posts work (signal-safety(7))" || return
    # §7's order: shm_unlink() (an unlink() of /dev/shm/SHMNAME), then
    # dlclose() (the loader's munmap() of libplugin.so, at the address its
    # first mmap() returned), then the last message, which tells what was done.
    local order
    order=$(awk -v p="$tpid" -v lib='/libplugin.so"' -v obj="\"/dev/shm$SHM-TERM\"" '
        $1 != p { next }
        /openat\(/ && index($0, lib) && / = [0-9]+$/ { loading = 1; next }
        loading && /mmap\(/ && / = 0x[0-9a-f]+$/ { base = $NF; loading = 0; next }
        !unlinked && /unlink(at)?\(/ && index($0, obj) { unlinked = NR }
        base != "" && !unloaded && index($0, "munmap(" base ",") { unloaded = NR }
        !said && /write\(2, .*stopped by / { said = NR }
        END {
            if (!said) exit
            if (unlinked > said) print "the message came before the unlink() of " obj
            if (unloaded > said) print "the message came before dlclose() unmapped libplugin.so"
            if (unloaded && unlinked && unloaded < unlinked) print "dlclose() unmapped libplugin.so before the unlink() of " obj
        }' "$LAB_LOGS/sTERM.strace")
    [[ -z $order ]] ||
        lab_fail "cb_server to remove the registry, then unload the plugin, then print \"stopped by SIGTERM: plugin unloaded, $SHM-TERM removed\"" \
            "$(paste -sd ';' <<<"$order" | sed 's/;/; /g') (strace)" \
            "§7: steps 1 to 4 in that order (clients answered, shm_unlink(), munmap(), dlclose(): the name goes first, before the plugin's own code runs in dlclose()), then step 5, the message" || return
    # SIGTERM while the server creates the registry: strace delivers it as
    # shm_open() enters openat(). The handler is installed by then (§6 step
    # 3), so the server stops as cleanly, without waiting for a call first.
    local early=$SHM-early
    lab_spawn early --inject openat:signal=SIGTERM --trace-path "/dev/shm$early" -- \
        "$SERVER" -n "$early" -l "$PLUGIN" || return
    lab_wait_exit early 5 || true
    [[ $(lab_field early result) == exited && $(lab_status early) == 143 ]] ||
        lab_fail "cb_server to exit 143 by itself after a SIGTERM that came while it created the registry (at its shm_open())" \
            "$(lab_describe early)" \
            "§6 steps 3 and 4: install the handler before the registry is created; §7: a signal before sem_wait() is not lost" \
            "$(lab_show_output early)" || return
    lab_assert_no_new_ipc "no shared object left after a SIGTERM during the set-up" \
        "§6 step 3 and §7: the handler is there before the registry, and the stop removes it" || return
    lab_assert_stderr_line early "cb_server: stopped by SIGTERM: plugin unloaded, $early removed" "§7 step 5" || return

    # SIGTERM while the server waits for the lock to take a call: the
    # grader's cb_lockholder -L holds it (the server stopped while a client
    # registers, then let go on). The handler interrupts that sem_wait()
    # (EINTR), which is no error: the server waits again, and once the lock
    # is let go it stops as cleanly, with 143.
    local wshm=$SHM-W wpid
    start_server sW "$wshm" || return
    wpid=$(lab_pid sW) || return
    server_stopped sW || return
    registered cW "$wshm" whoami w || return
    lock_held lW "$wshm" || return
    lab_kill CONT "$wpid" || true
    lab_input lW work || return
    lab_wait_output lW '^work taken$' 5 ||
        lab_fail "cb_server to wake up for the call (the grader's cb_lockholder sees the work semaphore taken)" \
            "$(lab_describe sW)" "§6 step 5: sem_wait(work), then the lock" || return
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in_sem_wait "$wpid" ||
        lab_fail "cb_server to wait in sem_wait() for the lock, which the grader's cb_lockholder holds" \
            "$(lab_describe sW)" "§6 step 5: under the lock, take a REGISTERED slot" || return
    lab_signal sW TERM || return
    # The handler has run once no signal is pending, and the server waits
    # in sem_wait() again (for the lock, whatever it does next).
    _handled_and_waits() { lab_no_signal_pending "$wpid" && lab_blocked_in_sem_wait "$wpid"; }
    lab_wait_until "$(lab_seconds 5)" _handled_and_waits || true
    lab_close_input lW
    lab_wait_exit lW 5 || true
    lab_assert_exit lW 0 "§3" || return
    lab_wait_exit sW 5 || true
    lab_assert_exit sW 143 \
        "§6 and §7: a sem_wait() on the lock that the handler interrupts (EINTR) is no error: wait again; after SIGTERM, clean up and exit 128 + 15" ||
        return
    lab_assert_stderr_line sW "cb_server: stopped by SIGTERM: plugin unloaded, $wshm removed" "§7 step 5" || return
    lab_wait_exit cW 5 || true
    lab_assert_finished cW "cb_client whoami w to end once the server has stopped (answered, or told that the server stopped)" \
        "§7 step 1" || return
    lab_assert_no_new_ipc "no shared object left after cb_server ended on SIGTERM" "§7 step 2"
}

# points: 5
@test "SIGTERM: the server unloads the plugin with dlclose() before it exits" {
    # The dynamic loader itself reports dlclose(): with LD_DEBUG=files it
    # writes "destroying link map" when a library is unloaded (ld.so(8)).
    lab_spawn server -- env LD_DEBUG=files LD_DEBUG_OUTPUT="$LAB_LOGS/ld" "$SERVER" -n "$SHM" -l "$PLUGIN" || return
    wait_ready server "$SHM" || return
    # The client sends a name and never loads the plugin itself (§1).
    lab_run who -- env LD_DEBUG=files LD_DEBUG_OUTPUT="$LAB_LOGS/ldclient" "$CLIENT" -n "$SHM" whoami x
    lab_assert_exit who 0 "§4" || return
    ! grep -qs 'file=.*libplugin\.so' "$LAB_LOGS"/ldclient.* ||
        lab_fail "cb_client to load no plugin: it sends the callback's name, and the server runs it" \
            "the dynamic loader loaded libplugin.so into cb_client (LD_DEBUG=files)" "§1 and §3: the client never calls dlopen()" \
            "$(grep -hs 'libplugin' "$LAB_LOGS"/ldclient.* | lab_excerpt /dev/stdin)" || return
    lab_signal server TERM
    lab_wait_exit server 5 || true
    lab_assert_exit server 143 "§7" || return
    grep -qs 'libplugin\.so.*destroying link map' "$LAB_LOGS"/ld.* ||
        lab_fail "the dynamic loader to unload libplugin.so when cb_server stops (LD_DEBUG=files: \"destroying link map\")" \
            "the plugin was never unloaded" "§7: dlclose(handle) before exiting (hint 5)" \
            "$(grep -hs 'libplugin' "$LAB_LOGS"/ld.* | lab_excerpt /dev/stdin)" || return

    # SIGINT stops it the same way: the plugin unloaded too.
    lab_spawn sint -- env LD_DEBUG=files LD_DEBUG_OUTPUT="$LAB_LOGS/ldint" "$SERVER" -n "$SHM-int" -l "$PLUGIN" || return
    wait_ready sint "$SHM-int" || return
    lab_signal sint INT
    lab_wait_exit sint 5 || true
    lab_assert_exit sint 130 "§7" || return
    grep -qs 'libplugin\.so.*destroying link map' "$LAB_LOGS"/ldint.* ||
        lab_fail "the dynamic loader to unload libplugin.so when cb_server stops on SIGINT (LD_DEBUG=files: \"destroying link map\")" \
            "the plugin was never unloaded" "§7: dlclose(handle) after SIGINT as after SIGTERM" \
            "$(grep -hs 'libplugin' "$LAB_LOGS"/ldint.* | lab_excerpt /dev/stdin)"
}

# no_randomize PID: PID runs with ADDR_NO_RANDOMIZE (0x0040000) in its
# personality (setarch -R, a debugger); status 2 when it cannot be read.
no_randomize() {
    local persona
    # shellcheck disable=SC2016 # expanded by that bash
    persona=$(lab_read_proc 'read -r p <"/proc/$1/personality" && echo "$p"' "$1")
    [[ $persona =~ ^[0-9a-fA-F]+$ ]] || return 2
    (((16#$persona & 0x0040000) != 0))
}

# aslr_off: prints why ASLR is off for every program the grader starts, if
# it is: the kernel's setting, or the grader itself runs under setarch -R
# (its programs inherit the personality).
aslr_off() {
    if [[ $(cat /proc/sys/kernel/randomize_va_space 2>/dev/null) == 0 ]]; then
        echo "kernel.randomize_va_space is 0"
        return
    fi
    no_randomize "$BASHPID" && echo "the grader runs with ADDR_NO_RANDOMIZE (setarch -R?)"
    return 0
}

# points: 5
@test "ASLR: the same callback lives at a different address in two servers (why a name, not a pointer)" {
    start_server one "$SHM-one" || return
    start_server two "$SHM-two" || return
    local who pid line addr
    local -A at=()
    for who in one two; do
        pid=$(lab_pid "$who")
        lab_run "a$who" -- "$CLIENT" -n "$SHM-$who" address x
        lab_assert_exit "a$who" 0 "§4 and §5: address" || return
        line=$(head -n 1 "$LAB_RUN/a$who.out")
        [[ $line =~ ^address\(x\)\ =\ 0x([0-9a-f]+)\ \(ran\ in\ pid\ $pid\)$ ]] ||
            lab_fail "the line \"address(x) = 0x... (ran in pid $pid)\"" "it printed: $line" \
                "§5: address prints (void *)cb_address with %p" || return
        addr=${BASH_REMATCH[1]}
        at[$who]=$addr
        # The address is inside that server's own mapping of the plugin.
        awk -v a="$addr" '
            function hex(s,   n, i, c) { n = 0; s = tolower(s)
                for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; n = n * 16 + c }
                return n }
            $6 ~ /libplugin\.so$/ { split($1, r, "-"); if (hex(r[1]) <= hex(a) && hex(a) < hex(r[2])) found = 1 }
            END { exit !found }' "/proc/$pid/maps" ||
            lab_fail "0x$addr to lie inside libplugin.so as mapped in the server (pid $pid)" \
                "it does not (see /proc/$pid/maps)" "§5: address returns the address of cb_address itself" || return
    done
    local off
    off=$(aslr_off)
    # A server that turns ASLR off for itself (personality(2), then exec)
    # would get the same address twice, and be excused: it is not.
    for who in one two; do
        pid=$(lab_pid "$who")
        if [[ -z $off ]] && no_randomize "$pid"; then
            lab_fail "cb_server to run with ASLR on, as the grader started it" \
                "cb_server $who (pid $pid) runs with ADDR_NO_RANDOMIZE, and the grader does not: the server turned ASLR off for itself" \
                "§1 and §9: ASLR is why a callback is sent by name; only a grading with ASLR off (kernel.randomize_va_space 0, the grader under setarch -R) expects two equal addresses" ||
                return
        fi
    done
    if [[ -n $off ]]; then
        # Nothing to demonstrate: without ASLR both servers may load the
        # plugin at the same address. Said in the test's own folder, since
        # a passing test shows no message.
        echo "ASLR is off ($off): both servers may load the plugin at the same address" >"$LAB_RUN/aslr-off"
    else
        [[ ${at[one]} != "${at[two]}" ]] ||
            lab_fail "two different addresses: ASLR loads the plugin somewhere else in every process" \
                "both servers have cb_address at 0x${at[one]}" "§1: why a pointer cannot be passed" || return
    fi
    stop_server one || return
    stop_server two
}

# not_a_registry NAME WHAT LOOK_AT: the client NAME refused the object: a
# line "cb_client: ..." on stderr, nothing on stdout, exit status 1.
not_a_registry() {
    local name=$1
    lab_assert_finished "$name" "cb_client to refuse $2 at once" "$3" || return
    lab_assert_exit "$name" 1 "$3" || return
    grep -q '^cb_client: ' "$LAB_RUN/$name.err" ||
        lab_fail "a line \"cb_client: ...\" on stderr saying what is wrong with $SHM" "no such line" "$3" \
            "$(lab_show_output "$name")" || return
    [[ ! -s $LAB_RUN/$name.out ]] ||
        lab_fail "nothing on stdout" "some output" "$3" "$(lab_show_output "$name" out)" || return
    # The object is not the client's: refused, it is left where it was.
    shm_exists "$SHM" ||
        lab_fail "cb_client to leave /dev/shm/${SHM#/} ($2) where it was" "it is gone after the client refused it" \
            "§4 step 1: an object that is not a registry is an error, and the client removes nothing (only the server removes its registry, §7 step 2)" \
            "$(lab_show_output "$name")"
}

# points: 5
@test "no server, or an object that is not a registry: the client says so, exits 1 and creates nothing" {
    call lonely -- whoami x
    lab_assert_exit lonely 1 "§4: no registry means no server: exit status 1" || return
    lab_assert_stderr_line lonely "cb_client: no server on $SHM (shm_open: No such file or directory)" \
        "§4 step 1: the no-server message" || return
    lab_assert_no_new_ipc "no object created by a client" "§4: the client opens the registry without O_CREAT" || return

    # An object of 0 bytes: mapping the registry's size over it and reading
    # it would be SIGBUS (fstat() first).
    local obj=/dev/shm/${SHM#/}
    : >"$obj"
    chmod 0600 "$obj"
    lab_give_to_program "$obj"
    call empty --wait 3 -- whoami x
    not_a_registry empty "an object of 0 bytes" "§4 step 1: fstat() the object: one too small is an error, before mmap()" || return
    # An object large enough, but all zeros: no CB_MAGIC, no semaphore set up.
    head -c 65536 /dev/zero >"$obj"
    call zeros --wait 3 -- whoami x
    not_a_registry zeros "an object of zeros (no CB_MAGIC)" \
        "§4 step 1: an object without the magic number is no registry: its semaphores were never set up" || return
    # Too small, though it begins with CB_MAGIC (0x69706362, little-endian):
    # 64 bytes. A client that trusts the magic alone maps the registry over
    # it and waits on a semaphore nobody set up (or dies of SIGBUS).
    { printf '\142\143\160\151'; head -c 60 /dev/zero; } >"$obj"
    call small --wait 3 -- whoami x
    not_a_registry small "an object of 64 bytes that begins with CB_MAGIC" \
        "§4 step 1: fstat() the object: one smaller than struct cb_registry is no registry, whatever its first bytes say" ||
        return
    # An object the client may not open: strace makes its shm_open() fail
    # with EACCES (a mode would not do it for a client that runs as root).
    # The object is there: a failed system call, not "no server".
    head -c 65536 /dev/zero >"$obj"
    call denied --wait 3 --inject openat:error=EACCES --trace-path "$obj" -- whoami x
    lab_assert_exit denied 1 "§4 step 1: a failed shm_open() is exit status 1" || return
    lab_assert_stderr_line denied "cb_client: shm_open: Permission denied" \
        "§4 step 1: only ENOENT (no object) means no server; any other failure of shm_open() is a failed system call: cb_client: CALL: strerror text" ||
        return
    rm -f -- "$obj"
    # Without -n, the default name /ipclab-callbacks (§2). strace makes the
    # open of /dev/shm/ipclab-callbacks fail (ENOENT), so that an object of
    # that name, somebody else's server, is never touched.
    lab_run nodefault --inject openat:error=ENOENT --trace-path /dev/shm/ipclab-callbacks -- "$CLIENT" whoami x
    lab_assert_exit nodefault 1 "§2: without -n, the registry is /ipclab-callbacks; §4: no registry means no server, exit status 1" ||
        return
    lab_assert_stderr_line nodefault "cb_client: no server on /ipclab-callbacks (shm_open: No such file or directory)" \
        "§2: -n SHMNAME, default /ipclab-callbacks (strace made the client's shm_open() of that name fail with ENOENT)" || return
    lab_assert_no_new_ipc "no object created by a client" "§4: the client opens the registry without O_CREAT"
}

# points: 5
@test "valgrind: no memory error, no leak, no descriptor left open (server and clients)" {
    start_server server "$SHM" --valgrind || return
    local spid
    spid=$(lab_pid server)
    call vc1 --valgrind --wait 5 -- -c 3 whoami x
    lab_assert_exit vc1 0 "§4" || return
    call vc2 --valgrind --wait 5 -- no_such_thing x
    lab_assert_exit vc2 3 "§4 and §5" || return
    stop_server server || return
    local who
    for who in server vc1 vc2; do
        lab_assert_valgrind_clean "$who" "§8" || return
        lab_assert_valgrind_fds "$who" "§8: close the object's descriptor once it is mapped" || return
    done
}

# bad NAME PROGRAM ARG...: starts PROGRAM (cb_server or cb_client) with
# those arguments, which are a usage error; usage_errors checks them all.
bad() {
    local name=$1 prog=$2 shown
    shift 2
    printf -v shown ' %q' "$@"
    BAD+=("$name $prog$shown")
    lab_spawn "$name" -- "$LAB_BIN/$prog" "$@"
}

# usage_errors: each program started by bad exited with status 2, printed
# nothing on stdout, and on stderr one line saying what is wrong, then the
# usage line.
usage_errors() {
    local entry name command usage
    for entry in "${BAD[@]}"; do
        name=${entry%% *} command=${entry#* }
        case $command in
        cb_server*) usage="usage: cb_server [-n SHMNAME] -l PLUGIN.so" ;;
        *) usage="usage: cb_client [-n SHMNAME] [-c COUNT] NAME ARG" ;;
        esac
        lab_wait_exit "$name" 5 || true
        lab_assert_exit "$name" 2 "§2: $command is a usage error" || return
        [[ $(wc -l <"$LAB_RUN/$name.err") == 2 && $(tail -n 1 "$LAB_RUN/$name.err") == "$usage" ]] ||
            lab_fail "two lines on stderr for $command: what is wrong, then exactly \"$usage\"" \
                "something else" "§2: a usage error" "$(lab_show_output "$name")" || return
        [[ ! -s $LAB_RUN/$name.out ]] ||
            lab_fail "nothing on stdout for a usage error ($command)" "some output" "§2" \
                "$(lab_show_output "$name" out)" || return
    done
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2, nothing created" {
    local long
    long=/$(letters 201)
    BAD=()
    bad s1 cb_server -n "$SHM"
    bad s2 cb_server -l
    bad s3 cb_server -n noslash -l "$PLUGIN"
    bad s4 cb_server -n "$long" -l "$PLUGIN"
    bad s5 cb_server -x -l "$PLUGIN"
    # A server that ignored its operand would start: on a name of this test's own.
    bad s6 cb_server -n "$SHM-s6" -l "$PLUGIN" extra
    bad s7 cb_server -n "$SHM" -l ''
    bad s9 cb_server -n /a/b -l "$PLUGIN"
    bad s10 cb_server -n / -l "$PLUGIN"
    # The arguments are checked before dlopen(): the loader, asked to log
    # the files it loads (LD_DEBUG=files), must never see libplugin.so.
    BAD+=("s8 cb_server -l $PLUGIN -n noslash")
    lab_spawn s8 -- env LD_DEBUG=files LD_DEBUG_OUTPUT="$LAB_LOGS/ldbad" "$SERVER" -l "$PLUGIN" -n noslash || return
    usage_errors || return
    ! grep -qs 'file=.*libplugin\.so' "$LAB_LOGS"/ldbad.* ||
        lab_fail "cb_server -l $PLUGIN -n noslash to load nothing: a usage error is found before dlopen()" \
            "the dynamic loader loaded libplugin.so (LD_DEBUG=files)" "§2 and §6: check every argument, then dlopen()" \
            "$(grep -hs 'libplugin' "$LAB_LOGS"/ldbad.* | lab_excerpt /dev/stdin)" || return

    BAD=()
    bad c1 cb_client whoami
    bad c2 cb_client whoami x extra
    bad c3 cb_client -x whoami x
    bad c4 cb_client -n
    bad c5 cb_client -c
    bad c6 cb_client -n /a/b whoami x
    bad c7 cb_client -n / whoami x
    bad c8 cb_client -n "$long" whoami x
    bad c9 cb_client bad-name x
    bad c10 cb_client '' x
    bad c11 cb_client "$(letters 64)" x
    usage_errors || return

    BAD=()
    bad c12 cb_client -c 0 whoami x
    bad c13 cb_client -c x whoami x
    bad c14 cb_client -c 5x whoami x
    bad c15 cb_client -c +5 whoami x
    bad c16 cb_client -c 1000001 whoami x
    bad c17 cb_client whoami "$(letters 256)"
    bad c18 cb_client -c 2 whoami "$(letters 248)"
    usage_errors || return
    lab_assert_no_new_ipc "no object created by a usage error" "§2: check the arguments first"
}

# points: 5
@test "a second server on the same name: File exists, exit status 1, and the first one serves on (mode 0600)" {
    # Under the programs' umask, 022, a mode wider than 0600 would show.
    start_server || return
    local spid mode
    spid=$(lab_pid server)
    mode=$(stat -c %a "/dev/shm/${SHM#/}")
    [[ $mode == 600 ]] ||
        lab_fail "the registry /dev/shm$SHM with mode 0600 (rw for its owner only)" "its mode is $mode" \
            "§3: shm_open(SHMNAME, O_CREAT | O_EXCL | O_RDWR, 0600)" || return
    lab_spawn second -- "$SERVER" -n "$SHM" -l "$PLUGIN" || return
    if lab_wait_output second '^cb_server: ready on ' 5; then
        lab_fail "a second cb_server on $SHM to be refused: the name is taken" \
            "it said it was ready, on the registry of the first one" \
            "§3: O_EXCL: a second server on the same name is an error, never a registry shared by accident" \
            "$(lab_show_output second out)" || return
    fi
    lab_wait_exit second 5 || true
    lab_assert_exit second 1 "§3: a second server on the same name exits 1" || return
    lab_assert_stderr_line second "cb_server: shm_open: File exists" "§3 and §6: a failed system call's message" ||
        return
    shm_exists "$SHM" ||
        lab_fail "the first server's registry /dev/shm$SHM still there" \
            "it is gone: the second server removed a name it had not created" \
            "§3 and §8: remove only the object you created" || return
    call who -- whoami still
    assert_call who "whoami(still) = $spid (ran in pid $spid)" "§3: the first server serves on" || return

    # A client whose mmap() of the registry fails (strace makes it return
    # ENOMEM): the failed call's message, exit 1, and the server serves on.
    call nomap --inject mmap:error=ENOMEM --trace-path "/dev/shm$SHM" -- whoami x
    lab_assert_exit nomap 1 "§4: a failed system call (mmap() of the registry, made to fail by strace) is exit status 1" ||
        return
    lab_assert_stderr_line nomap "cb_client: mmap: Cannot allocate memory" \
        "§4: a failed system call prints cb_client: CALL: strerror text; mmap() returns MAP_FAILED, not NULL" || return
    stop_server server || return

    # A server whose ftruncate() fails (strace makes it return EFBIG) once
    # its object exists: the message, exit 1, and the object removed.
    lab_run trunc --inject ftruncate:error=EFBIG -- "$SERVER" -n "$SHM-t" -l "$PLUGIN"
    lab_assert_exit trunc 1 "§6: a failed system call (ftruncate(), made to fail by strace) is exit status 1" || return
    lab_assert_stderr_line trunc "cb_server: ftruncate: File too large" \
        "§6: a failed system call prints cb_server: CALL: strerror text" || return
    ! shm_exists "$SHM-t" ||
        lab_fail "no object /dev/shm$SHM-t left once cb_server has failed (ftruncate() made to fail by strace)" \
            "the object is still there" "§6 and §8: a failure once the object exists still removes it (shm_unlink() on every path)" \
            "$(lab_show_output trunc)" || return
    # A server whose mmap() of the registry fails (ENOMEM, by strace): mmap()
    # returns MAP_FAILED, not NULL; the message, exit 1, the object removed.
    lab_run nomem --inject mmap:error=ENOMEM --trace-path "/dev/shm$SHM-m" -- "$SERVER" -n "$SHM-m" -l "$PLUGIN"
    lab_assert_exit nomem 1 "§6: a failed system call (mmap() of the registry, made to fail by strace) is exit status 1; mmap() returns MAP_FAILED, not NULL" ||
        return
    lab_assert_stderr_line nomem "cb_server: mmap: Cannot allocate memory" \
        "§6: a failed system call prints cb_server: CALL: strerror text" || return
    ! shm_exists "$SHM-m" ||
        lab_fail "no object /dev/shm$SHM-m left once cb_server has failed (mmap() made to fail by strace)" \
            "the object is still there" "§6 and §8: a failure once the object exists still removes it (shm_unlink() on every path)" \
            "$(lab_show_output nomem)" || return
    lab_assert_no_new_ipc "no object left by a server that failed" "§8: shm_unlink() on every path" || return
    # Without -n, the server creates /ipclab-callbacks (§2). strace makes
    # that open fail (EEXIST, as if a server ran there), so that nothing of
    # that name is made or touched.
    lab_run dflt --inject openat:error=EEXIST --trace-path /dev/shm/ipclab-callbacks -- "$SERVER" -l "$PLUGIN"
    lab_assert_exit dflt 1 "§2: without -n, the registry is /ipclab-callbacks; §3: a name taken is exit status 1" || return
    lab_assert_stderr_line dflt "cb_server: shm_open: File exists" \
        "§2: -n SHMNAME, default /ipclab-callbacks (strace made the server's shm_open() of that name fail with EEXIST)" || return
    # A server whose shm_unlink() fails as it stops (strace makes the unlink()
    # of /dev/shm/SHMNAME return EACCES): the failed call's message, and exit
    # status 1, a system error, not the 143 of a clean stop.
    start_server unl "$SHM-u" --inject unlink:error=EACCES --trace-path "/dev/shm$SHM-u" || return
    lab_signal unl TERM
    lab_wait_exit unl 5 || true
    lab_assert_stderr_line unl "cb_server: shm_unlink: Permission denied" \
        "§8: every system call is checked, with a message naming it (shm_unlink() made to fail by strace)" || return
    lab_assert_exit unl 1 "§6: exit status 1 for a failed system call; 128 + N only after a clean stop" || return
    # The object the injected failure left is the grader's doing.
    rm -f -- "/dev/shm$SHM-u"
}

# waiting_clients S SHMNAME: starts the server S on SHMNAME and stops it
# (SIGSTOP); then 6 clients S1 ... S6, one after the other: S1 to S4
# register a call each and wait for its answer, S5 and S6 wait for a free
# slot.  Each is seen asleep in sem_wait() before the next one starts.
waiting_clients() {
    local server=$1 shm=$2 cpid i
    start_server "$server" "$shm" || return
    server_stopped "$server" || return
    for i in 1 2 3 4 5 6; do
        lab_spawn "$server$i" -- "$CLIENT" -n "$shm" whoami "$server$i" || return
        cpid=$(lab_pid "$server$i") || return
        lab_wait_until "$(lab_seconds 5)" lab_blocked_in_sem_wait "$cpid" ||
            lab_fail "cb_client $server$i to wait in sem_wait() (for its answer, or for a free slot) while the server is stopped" \
                "$(lab_describe "$server$i")" "§4 steps 2 and 3" "$(lab_show_output "$server$i")" || return
    done
}

# Checks for the stopping test: 0 once every program of WAITING has ended.
_all_ended() {
    local name
    for name in "${WAITING[@]}"; do
        lab_finished "$name" || return 1
    done
}

# points: 5
@test "SIGTERM while clients wait for an answer or for a slot: each one ends, saying the server stopped (status 1)" {
    # On A, 4 clients wait for their answers and 2 for a slot.  On B, the
    # 4 clients that registered are killed (a known limit, §7: nobody gives
    # their slots back), and the 2 that wait for a slot are woken by the
    # server's post of free_slots and by each other.
    waiting_clients A "$SHM-A" || return
    waiting_clients B "$SHM-B" || return
    local name i
    for i in 1 2 3 4; do
        lab_stop "B$i"
    done
    WAITING=(A A1 A2 A3 A4 A5 A6 B B5 B6)
    # SIGTERM reaches each server as soon as it runs again.
    for name in A B; do
        lab_signal "$name" TERM || return
        lab_kill CONT "$(lab_pid "$name")" || true
    done
    lab_wait_until "$(lab_seconds 5)" _all_ended || true
    for name in "${WAITING[@]}"; do
        if ! lab_finished "$name"; then
            lab_seconds 5 >"$LAB_RUN/$name.bound"
            lab_note_stuck "$name"
            lab_stop "$name"
        fi
    done
    local look="§7 step 1: under the lock, set stopping, answer every REGISTERED slot with CALL_STOPPED and post its done, then post free_slots once; §4 step 2: a client that sees stopping posts lock and free_slots for the next one"
    for name in A1 A2 A3 A4 A5 A6 B5 B6; do
        lab_assert_finished "$name" "cb_client $name to end once the server has stopped: no client may wait for ever" \
            "$look" || return
        lab_assert_exit "$name" 1 "§4: CALL_STOPPED, or stopping seen under the lock: exit status 1" || return
        lab_assert_stderr_line "$name" "cb_client: the server stopped" "§4 and §7" || return
        [[ ! -s $LAB_RUN/$name.out ]] ||
            lab_fail "no answer for $name: the server stops at once on SIGTERM, before it runs any call" \
                "it printed an answer" "§7: then the server, at once, ..." "$(lab_show_output "$name" out)" || return
    done
    for name in A B; do
        lab_assert_finished "$name" "cb_server $name to end after SIGTERM" "§7" || return
        lab_assert_exit "$name" 143 "§7: exit status 128 + 15" || return
    done
    lab_assert_no_new_ipc "no shared object left after both servers ended on SIGTERM" "§7 step 2" || return

    # The stop takes the lock too. On C, a client registers a call while the
    # server is stopped (SIGSTOP), and the grader's cb_lockholder claims
    # another slot (RUNNING: the server leaves it alone); then its
    # cb_lockholder -L holds the lock while SIGTERM comes and the server runs
    # again. The server must wait for the lock, the slot still REGISTERED,
    # before it sets stopping and answers the slot; the RUNNING slot stays
    # the grader's.
    local cspid states
    start_server C "$SHM-C" || return
    cspid=$(lab_pid C) || return
    server_stopped C || return
    registered C1 "$SHM-C" whoami C1 || return
    lab_spawn Ch --in-pipe -- "$LAB_TOOLS/cb_lockholder" -n "$SHM-C" || return
    holder_says Ch '^holding the lock$' "take a slot's token and the lock, as a client does" || return
    lab_input Ch claim || return
    holder_says Ch '^claimed slot [0-9]+$' "claim a FREE slot" || return
    lock_held Cl "$SHM-C" || return
    lab_signal C TERM || return
    lab_kill CONT "$cspid" || true
    # The handler has run once no signal is pending; the server then waits
    # for the lock (or, without it, has already ended).
    _stop_waits() {
        lab_finished C && return 2
        lab_no_signal_pending "$cspid" && lab_blocked_in_sem_wait "$cspid"
    }
    lab_wait_until "$(lab_seconds 5)" _stop_waits || true
    states=$(holder_states Cl) || return
    [[ $states == "FREE FREE REGISTERED RUNNING" ]] && ! lab_finished C ||
        lab_fail "cb_server, told to stop while another process holds the lock, to wait for the lock: C1's slot still REGISTERED meanwhile" \
            "the slots were: $states; cb_server: $(lab_describe C): it answered the slot without the lock" \
            "§7 step 1: under the lock, set stopping and answer every REGISTERED slot with CALL_STOPPED; §3: every change of a slot's state happens while holding it" \
            "$(lab_show_output C)" || return
    # A second SIGTERM while the stop waits for that lock: its sem_wait()
    # returns EINTR, which is no error (§6 step 5): the server waits again,
    # C1's slot still REGISTERED, and answers it once it has the lock.
    lab_signal C TERM || return
    lab_wait_until "$(lab_seconds 5)" _stop_waits ||
        lab_fail "cb_server, sent a second SIGTERM while its stop waits for the lock another process holds, to wait for the lock again" \
            "cb_server: $(lab_describe C); the slots: $(holder_states Cl): it gave up the stop on EINTR, so C1's slot is never answered" \
            "§6 step 5: a sem_wait() on the lock that the handler interrupts (EINTR) is no error: wait again; §7 step 1" \
            "$(lab_show_output C)" || return
    lab_close_input Cl
    lab_wait_exit Cl 5 || true
    lab_assert_exit Cl 0 "§3" || return
    lab_wait_exit C 5 || true
    lab_assert_exit C 143 "§7: exit status 128 + 15" || return
    lab_wait_exit C1 5 || true
    lab_assert_finished C1 "cb_client C1 to end once the server has stopped" "§7 step 1" || return
    lab_assert_exit C1 1 "§4: CALL_STOPPED: exit status 1" || return
    lab_assert_stderr_line C1 "cb_client: the server stopped" "§4 and §7" || return
    lab_input Ch check || return
    holder_says Ch '^slot [0-9]+: ' "check that its slot is still its own" || return
    grep -qE '^slot [0-9]+: kept$' "$LAB_RUN/Ch.out" ||
        lab_fail "the slot the grader's cb_lockholder marked RUNNING left alone by the stop" \
            "$(grep -E '^slot [0-9]+: ' "$LAB_RUN/Ch.out"): the server answered it" \
            "§7 step 1: the stop answers every REGISTERED slot, and only those; §9: the server leaves a RUNNING slot alone" || return
    lab_close_input Ch
    lab_wait_exit Ch 5 || true
    lab_assert_exit Ch 0 "§3" || return
    lab_assert_no_new_ipc "no shared object left after cb_server ended on SIGTERM" "§7 step 2"
}

# points: 5
@test "a slow callback runs without the lock: another process takes the lock and a slot meanwhile" {
    # A plugin of the grader's: hold(FIFO) says it started (FIFO.started),
    # then waits for a byte from the FIFO, for as long as the test wants.
    build_plugin hold <<'EOF' || return
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int cb_hold(const char *arg, char *result, size_t size)
{
    char path[4096], c = '?';
    int fd;

    snprintf(path, sizeof path, "%s.started", arg);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    if (fd != -1)
        close(fd);
    fd = open(arg, O_RDONLY);
    if (fd != -1) {
        if (read(fd, &c, 1) != 1)
            c = '?';
        close(fd);
    }
    snprintf(result, size, "held until %c", c);
    return 0;
}
EOF
    local gate=$LAB_WORK/gate spid hpid states fd
    GATE=$gate
    mkfifo "$gate"
    lab_give_to_program "$gate"
    lab_spawn server -- "$SERVER" -n "$SHM" -l "$LAB_WORK/libhold.so" || return
    wait_ready server "$SHM" || return
    spid=$(lab_pid server)
    # The server takes the call under the lock: stopped (SIGSTOP) while the
    # client registers hold(GATE), it is let go on while the grader's
    # cb_lockholder -L holds the lock alone. Once it has taken the work
    # semaphore's token, it must wait for the lock, the slot still REGISTERED
    # (a server that took it without the lock would be running hold() by
    # then).
    server_stopped server || return
    registered slow "$SHM" hold "$gate" || return
    lock_held taking "$SHM" || return
    lab_kill CONT "$spid" || true
    lab_input taking work || return
    lab_wait_output taking '^work taken$' 5 ||
        lab_fail "cb_server to wake up for the call (the grader's cb_lockholder sees the work semaphore taken)" \
            "$(lab_describe server)" "§6 step 5: sem_wait(work), then the lock" || return
    _waits_or_runs() { lab_blocked_in_sem_wait "$spid" || test -e "$gate.started"; }
    lab_wait_until "$(lab_seconds 5)" _waits_or_runs || true
    states=$(holder_states taking) || return
    [[ $states == "FREE FREE FREE REGISTERED" ]] ||
        lab_fail "the call's slot still REGISTERED while another process holds the lock: the server waits for the lock before it takes a slot" \
            "the slots were: $states: the server took the slot without the lock" \
            "§3 and §6 step 5: under the lock, take a REGISTERED slot and mark it RUNNING" || return
    lab_close_input taking
    lab_wait_exit taking 5 || true
    lab_assert_exit taking 0 "§3" || return
    lab_wait_while_running server 5 test -e "$gate.started" ||
        lab_fail "cb_server to run the callback hold of the grader's plugin" "$(lab_describe server)" \
            "§5: the call" "$(lab_show_output slow)" || return
    # While hold() runs, the grader's cb_lockholder takes a slot and the lock.
    lab_spawn holder --in-pipe -- "$LAB_TOOLS/cb_lockholder" -n "$SHM" || return
    hpid=$(lab_pid holder) || return
    _holds_or_waits() {
        grep -qx 'holding the lock' "$LAB_RUN/holder.out" && return 0
        lab_blocked_in_sem_wait "$hpid" && return 0
        lab_finished holder && return 2
        return 1
    }
    lab_wait_until "$(lab_seconds 5)" _holds_or_waits || true
    grep -qx 'holding the lock' "$LAB_RUN/holder.out" ||
        lab_fail "another process to take the registry's lock while a callback runs" \
            "the grader's cb_lockholder waits for it ($(lab_describe holder)): the server holds the lock during the call" \
            "§5: the callback runs without the lock held: a slow callback must not stop clients from registering" \
            "$(lab_show_output holder)" || return
    lab_input holder claim || return
    holder_says holder '^(claimed slot [0-9]+|no FREE slot)$' "claim a FREE slot" || return
    states=$(sed -n 's/^slots: //p' "$LAB_RUN/holder.out")
    [[ $(tr ' ' '\n' <<<"$states" | sort | paste -sd ' ') == "FREE FREE FREE RUNNING" ]] ||
        lab_fail "one slot RUNNING (the call hold runs in) and three FREE" "the slots were: $states" \
            "§3 and §6 step 5: under the lock, the server marks the slot it takes RUNNING" || return
    lab_input holder check || return
    holder_says holder '^slot [0-9]+: ' "give its slot back" || return
    lab_close_input holder
    lab_wait_exit holder 5 || true
    lab_assert_exit holder 0 "§3" || return
    # The server marks the slot DONE under the lock: the grader's
    # cb_lockholder -L holds it alone while hold() returns, and the server
    # must wait for it, the slot still RUNNING (the client, not answered yet,
    # still waiting).
    lab_spawn ending --in-pipe -- "$LAB_TOOLS/cb_lockholder" -L -n "$SHM" || return
    lab_wait_output ending '^holding the lock$' 5 ||
        lab_fail "the grader's cb_lockholder to take the lock while hold() runs" "$(lab_describe ending)" \
            "§5: the callback runs without the lock held" "$(lab_show_output ending)" || return
    # Let hold() return.
    exec {fd}<>"$gate"
    printf 'x' >&"$fd"
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in_sem_wait "$spid" || true
    states=$(holder_states ending) || return
    [[ $states == "FREE FREE FREE RUNNING" ]] ||
        lab_fail "the call's slot still RUNNING once hold() has returned, while another process holds the lock: the server waits for the lock to mark it DONE" \
            "the slots were: $states: the server changed the slot's state without the lock" \
            "§3 and §5: the server writes the answer, sets the slot DONE under the lock, like every change of state, then posts done" ||
        return
    lab_close_input ending
    lab_wait_exit ending 5 || true
    lab_assert_exit ending 0 "§3" || return
    lab_wait_exit slow 5 || true
    exec {fd}>&-
    assert_call slow "hold($gate) = held until x (ran in pid $spid)" "§5: the call" || return
    stop_server server
}
