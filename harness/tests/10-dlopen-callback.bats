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

# call NAME [lab_run options] -- CLIENT_ARGS...: runs cb_client on $SHM.
call() {
    local name=$1
    shift
    local -a opts=()
    while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
    shift
    lab_run "$name" "${opts[@]}" -- "$CLIENT" -n "$SHM" "$@"
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

# points: 10
@test "a callback runs in the server's process: whoami returns the server's pid" {
    start_server || return
    local spid
    spid=$(lab_pid server)
    call who -- whoami hello
    assert_call who "whoami(hello) = $spid (ran in pid $spid)" \
        "§4 (the output line) and §5: the server calls cb_whoami itself, so getpid() is the server's pid" || return
    server_alive server "§6: the server serves until SIGINT or SIGTERM" || return
    stop_server server
}

# points: 10
@test "the client's argument reaches the callback and the result comes back (upper, reverse, square, length)" {
    start_server || return
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
    call seq -- -c 3 upper ab
    printf 'upper(ab-%s) = AB-%s (ran in pid %s)\n' 1 1 "$spid" 2 2 "$spid" 3 3 "$spid" >"$LAB_RUN/seq.expected"
    lab_assert_exit seq 0 "§2: -c COUNT makes COUNT calls" || return
    lab_assert_same_output seq "$LAB_RUN/seq.expected" "three lines, for ab-1, ab-2 and ab-3" \
        "§2: with -c COUNT, the i-th call passes ARG-i" || return
    stop_server server
}

# The lock test's steps, with the grader's cb_lockholder (harness/tools/) as
# a second client that holds the registry's lock as long as the test wants.
LOCKED="§3 and §4 step 2: sem_wait(free_slots), sem_wait(lock), and only then look for a FREE slot and mark it REGISTERED, before sem_post(lock) (hint 2)"

# holder_says NAME REGEX WHAT: the holder prints a line matching REGEX (its
# answer to the last command) soon.
holder_says() {
    lab_wait_output "$1" "$2" 5 ||
        lab_fail "the grader's cb_lockholder to $3" "$(lab_describe "$1")" \
            "§3: the registry's layout and semaphores as callbacks.h and the table give them" \
            "$(lab_show_output "$1")"
}

# points: 10
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
    start_server || return
    local spid i
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
    start_server || return
    local spid name
    spid=$(lab_pid server)
    # "exit" is a function of the C library, not a callback: cb_exit does not exist.
    for name in nosuch_callback exit; do
        call "bad-$name" -- "$name" 1
        lab_assert_finished "bad-$name" "cb_client $name 1 to get an error back and exit" \
            "§5: check what dlsym() returns; NULL means \"no such callback\", to be answered, not called (hint 4)" \
            "$(lab_describe server)" || return
        server_alive server "§5: an unknown name is the client's mistake; calling a NULL pointer kills the server (hint 4)" ||
            return
        lab_assert_exit "bad-$name" 3 "§4: status 3 when the server answers with an error" || return
        grep -q "^cb_client: .*cb_$name" "$LAB_RUN/bad-$name.err" ||
            lab_fail "a line \"cb_client: ...\" on stderr that names the symbol cb_$name (dlerror() does)" \
                "no such line" "§4 and §5: the server puts dlerror()'s message into the slot" \
                "$(lab_show_output "bad-$name")" || return
        [[ ! -s $LAB_RUN/bad-$name.out ]] ||
            lab_fail "nothing on stdout for an unknown callback" "some output" "§4" \
                "$(lab_show_output "bad-$name" out)" || return
    done
    call after -- whoami again
    assert_call after "whoami(again) = $spid (ran in pid $spid)" "§5: the server goes on serving after an unknown name" ||
        return
    stop_server server
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
    local -A names=([+12]=plus [" 12"]=blank ["12 "]=trailing [0x10]=hex)
    for arg in +12 " 12" "12 " 0x10; do
        name=${names[$arg]}
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
    call largest -- square -3037000499
    assert_call largest "square(-3037000499) = 9223372030926249001 (ran in pid $spid)" \
        "§5: the largest square a long long holds is not an error" || return
    stop_server server
}

# points: 10
@test "a missing or broken library: dlerror()'s message, exit status 2, nothing created" {
    lab_run missing -- "$SERVER" -n "$SHM" -l "$LAB_WORK/nothere.so"
    lab_assert_exit missing 2 "§6: a plugin dlopen() cannot load is exit status 2" || return
    grep -qE "^cb_server: dlopen: .*nothere\.so: cannot open shared object file" "$LAB_RUN/missing.err" ||
        lab_fail "the line \"cb_server: dlopen: $LAB_WORK/nothere.so: cannot open shared object file: ...\" (dlerror()'s message)" \
            "no such line" "§6: print what dlerror() returns after dlopen() fails" \
            "$(lab_show_output missing)" || return
    lab_assert_no_new_ipc "no registry created when the plugin cannot be loaded" \
        "§6: dlopen() first, then create the shared object" || return

    # A file that is not an ELF object at all (longer than an ELF header).
    printf 'This is a text file, not a shared library: dlopen() must refuse it.\n%.0s' 1 2 3 \
        >"$LAB_WORK/broken.so"
    lab_run broken -- "$SERVER" -n "$SHM" -l "$LAB_WORK/broken.so"
    lab_assert_exit broken 2 "§6: a plugin dlopen() cannot load is exit status 2" || return
    grep -qE "^cb_server: dlopen: .*broken\.so: invalid ELF header" "$LAB_RUN/broken.err" ||
        lab_fail "the line \"cb_server: dlopen: $LAB_WORK/broken.so: invalid ELF header\" (dlerror()'s message)" \
            "no such line" "§6: print what dlerror() returns after dlopen() fails" \
            "$(lab_show_output broken)" || return
    lab_assert_no_new_ipc "no registry created when the plugin cannot be loaded" "§6"
}

# points: 10
@test "SIGTERM or SIGINT: the registry is removed at once, exit status 143 or 130" {
    local sig code
    for sig in TERM INT; do
        code=$((128 + $(kill -l "$sig")))
        start_server "s$sig" "$SHM-$sig" || return
        lab_run "c$sig" -- "$CLIENT" -n "$SHM-$sig" whoami x
        lab_assert_exit "c$sig" 0 "§4" || return
        lab_signal "s$sig" "$sig"
        lab_wait_exit "s$sig" 5 || true
        lab_assert_exit "s$sig" "$code" "§7: after SIG$sig, clean up and exit 128 + $(kill -l "$sig")" || return
        lab_assert_no_new_ipc "no shared object left right after cb_server ended on SIG$sig" \
            "§7: shm_unlink(SHMNAME) before exiting (hint 5)" || return
    done
}

# points: 5
@test "SIGTERM: the server unloads the plugin with dlclose() before it exits" {
    # The dynamic loader itself reports dlclose(): with LD_DEBUG=files it
    # writes "destroying link map" when a library is unloaded (ld.so(8)).
    lab_spawn server -- env LD_DEBUG=files LD_DEBUG_OUTPUT="$LAB_LOGS/ld" "$SERVER" -n "$SHM" -l "$PLUGIN" || return
    wait_ready server "$SHM" || return
    call who -- whoami x
    lab_assert_exit who 0 "§4" || return
    lab_signal server TERM
    lab_wait_exit server 5 || true
    lab_assert_exit server 143 "§7" || return
    grep -qs 'libplugin\.so.*destroying link map' "$LAB_LOGS"/ld.* ||
        lab_fail "the dynamic loader to unload libplugin.so when cb_server stops (LD_DEBUG=files: \"destroying link map\")" \
            "the plugin was never unloaded" "§7: dlclose(handle) before exiting (hint 5)" \
            "$(grep -hs 'libplugin' "$LAB_LOGS"/ld.* | lab_excerpt /dev/stdin)"
}

# aslr_off PID: prints why ASLR is off for that process, if it is.
aslr_off() {
    local persona
    if [[ $(cat /proc/sys/kernel/randomize_va_space 2>/dev/null) == 0 ]]; then
        echo "kernel.randomize_va_space is 0"
        return
    fi
    persona=$(cat "/proc/$1/personality" 2>/dev/null) || return 0
    # ADDR_NO_RANDOMIZE (0x0040000): setarch -R, or a debugger.
    (((16#$persona & 0x0040000) != 0)) && echo "the process runs with ADDR_NO_RANDOMIZE (setarch -R?)"
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
    off=$(aslr_off "$(lab_pid one)")
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

# points: 5
@test "no server: the client says so, exits 1 and creates nothing" {
    call lonely -- whoami x
    lab_assert_exit lonely 1 "§4: no registry means no server: exit status 1" || return
    grep -q "^cb_client: .*$SHM" "$LAB_RUN/lonely.err" ||
        lab_fail "a line \"cb_client: no server on $SHM ...\" on stderr" "no line naming $SHM" "§4" \
            "$(lab_show_output lonely)" || return
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

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2, nothing created" {
    local -a bad=("-n $SHM" "-l" "-n noslash -l $PLUGIN" "-n /a/b -l $PLUGIN" "-x -l $PLUGIN" "-l $PLUGIN extra")
    local i args
    for i in "${!bad[@]}"; do
        read -ra args <<<"${bad[$i]}"
        lab_run "sbad$i" -- "$SERVER" "${args[@]}"
        lab_assert_exit "sbad$i" 2 "§2: cb_server ${bad[$i]} is a usage error" || return
        grep -q '^usage: cb_server' "$LAB_RUN/sbad$i.err" ||
            lab_fail "the line \"usage: cb_server [-n SHMNAME] -l PLUGIN.so\" on stderr for: cb_server ${bad[$i]}" \
                "no usage line" "§2" "$(lab_show_output "sbad$i")" || return
    done
    bad=("whoami" "" "-c 0 whoami x" "-c x whoami x" "-n noslash whoami x" "bad-name x" "whoami x extra" "-x whoami x")
    for i in "${!bad[@]}"; do
        read -ra args <<<"${bad[$i]}"
        lab_run "cbad$i" -- "$CLIENT" "${args[@]}"
        lab_assert_exit "cbad$i" 2 "§2: cb_client ${bad[$i]} is a usage error" || return
        grep -q '^usage: cb_client' "$LAB_RUN/cbad$i.err" ||
            lab_fail "the line \"usage: cb_client [-n SHMNAME] [-c COUNT] NAME ARG\" on stderr for: cb_client ${bad[$i]}" \
                "no usage line" "§2" "$(lab_show_output "cbad$i")" || return
    done
    lab_assert_no_new_ipc "no object created by a usage error" "§2: check the arguments first"
}
