#!/usr/bin/env bats
# 06-sysv-msgq: a request/response server on one System V message queue.
# Statement: exercises/06-sysv-msgq/README.md (the § numbers below are its sections).
#
# programs: msgq_server msgq_client
# valgrind-factor: 4.9   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

SERVER=$LAB_BIN/msgq_server
CLIENT=$LAB_BIN/msgq_client

# Inputs shared by the tests of this file, made once.
setup_file() {
    local dir=$BATS_FILE_TMPDIR k
    # 10 clients, 200 requests each, with answers that differ from one client
    # to the next: a reply delivered to the wrong client cannot go unseen.
    for k in 1 2 3 4 5 6 7 8 9 10; do
        awk -v k="$k" 'BEGIN {
            for (i = 1; i <= 200; i++) {
                if (i % 3 == 1) printf "add %d %d\n", k * 100000, i
                else if (i % 3 == 2) printf "div %d %d\n", k * 1000 + i, k
                else printf "upper client %d request %d\n", k, i
            } }' >"$dir/client$k.txt"
        awk -v k="$k" 'BEGIN {
            for (i = 1; i <= 200; i++) {
                if (i % 3 == 1) printf "ok %d\n", k * 100000 + i
                else if (i % 3 == 2) printf "ok %d\n", int((k * 1000 + i) / k)
                else printf "ok CLIENT %d REQUEST %d\n", k, i
            } }' >"$dir/client$k.expected"
    done
}

setup() {
    lab_setup
    KEYPATH=$(lab_path key)
}

# wait_in_msgrcv NAME WHAT LOOK_AT: waits until NAME is blocked in msgrcv(),
# i.e. idle and waiting for a message (readiness for a signal).
wait_in_msgrcv() {
    local name=$1 pid
    pid=$(lab_pid "$name") || return 1
    lab_wait_until "$(lab_seconds 5 "$(lab_scale_of "$name")")" lab_blocked_in "$pid" '*msgrcv*' 70 ||
        lab_fail "$2" "$(lab_describe "$name"), and not blocked in msgrcv()" "$3" \
            "$(lab_show_output "$name")"
}

# server_state: what became of msgq_server, and its stderr, for a message
# about a client that waited in vain.
server_state() {
    printf 'msgq_server: %s\n' "$(lab_describe server)" >&2
    lab_show_output server >&2
}

# stop_process NAME: SIGSTOP to NAME, and waits until it is stopped.
stop_process() {
    local pid
    pid=$(lab_pid "$1") || return
    lab_signal "$1" STOP || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$pid" T || true
}

# queue_exists MSQID: the queue is in /proc/sysvipc/msg.
queue_exists() {
    awk -v id="$1" 'NR > 1 && $2 == id { found = 1 } END { exit !found }' /proc/sysvipc/msg
}

# queue_field MSQID COLUMN: one column of /proc/sysvipc/msg for that queue,
# by its header's name (key, perms, qnum, ...); nothing if there is none.
queue_field() {
    awk -v id="$1" -v col="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $(c["msqid"]) == id { print $(c[col]) }' /proc/sysvipc/msg
}

# assert_only_line NAME LINE LOOK_AT [SKIP]: after its first SKIP lines
# (its readiness line), NAME's stderr is exactly LINE, alone.
assert_only_line() {
    local name=$1 line=$2 skip=${4:-0} rest
    rest=$(tail -n +"$((skip + 1))" "$LAB_RUN/$name.err")
    [[ $rest == "$line" ]] ||
        lab_fail "$( ((skip)) && printf 'after its readiness line, ')exactly one line on $name's stderr: \"$line\"" \
            "$(printf '%s' "$rest" | grep -c '') line(s): $(printf '%q' "$rest")" "$3" \
            "$(lab_show_output "$name")"
}

# assert_call_failed NAME PROG CALL ERROR WHY: NAME's stderr has the line
# "PROG: CALL: ERROR" (something between CALL and ERROR allowed, a path),
# and no "no server" line: WHY made CALL fail.
assert_call_failed() {
    local name=$1 prog=$2 call=$3 error=$4
    grep -qE "^$prog: $call: (.*: )?$error\$" "$LAB_RUN/$name.err" &&
        ! grep -q "^$prog: no server" "$LAB_RUN/$name.err" && return 0
    lab_fail "the line \"$prog: $call: $error\" on stderr, and no \"no server\" line: $5" "$(lab_describe "$name")" \
        "§4: \"no server\" only for ENOENT; any other failure: PROGRAM: CALL: strerror text" \
        "$(lab_show_output "$name")"
}

# held_or_in_msgrcv PID: PID is held by strace on its way into msgrcv()
# (lab_held_in_syscall), or, on a machine so slow that the hold ended
# first, blocked in it (the queue removed then gives EIDRM: no wrong
# failure, the race only not forced that time).
held_or_in_msgrcv() {
    lab_held_in_syscall "$1" 70
    case $? in
    0) return 0 ;;
    2) return 2 ;;
    esac
    lab_blocked_in "$1" '*msgrcv*' 70
}

# remove_queue_by_hand MSQID: ipcrm -q MSQID, as someone else would do it
# (under the programs' uid when the grader is root: in a container root
# may lack CAP_SYS_ADMIN, and the queue is that uid's).
remove_queue_by_hand() {
    if [[ -n ${LAB_PROGRAM_UID:-} && $EUID -eq 0 ]]; then
        setpriv --reuid="$LAB_PROGRAM_UID" --regid="$LAB_PROGRAM_UID" --clear-groups ipcrm -q "$1"
    else
        ipcrm -q "$1"
    fi
}

# assert_usage NAME PROG USAGE ARGS: NAME (PROG run with ARGS) exited 2
# and wrote two lines to stderr: what is wrong, then exactly USAGE.
assert_usage() {
    local name=$1 prog=$2 usage=$3 args=$4 count
    lab_assert_exit "$name" 2 "§2: $prog $args is a usage error" || return
    count=$(wc -l <"$LAB_RUN/$name.err")
    [[ $count == 2 && $(sed -n 2p "$LAB_RUN/$name.err") == "$usage" ]] ||
        lab_fail "two lines on stderr for: $prog $args: one that says what is wrong, then exactly \"$usage\"" \
            "$count line(s)$( ((count >= 2)) && printf ', the second: "%s"' "$(sed -n 2p "$LAB_RUN/$name.err")")" \
            "§2 (bad arguments)" "$(lab_show_output "$name")"
}

# start_server NAME [lab_spawn options] [-- SERVER ARGS...]: starts msgq_server
# on the test's KEYPATH and waits for its readiness line (§5); MSQID is then
# the msqid it printed.
start_server() {
    local name=$1
    shift
    local -a opts=() args=()
    while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
    (($#)) && shift && args=("$@")
    ((${#args[@]})) || args=(-k "$KEYPATH")
    lab_start_server "$name" '^msgq_server: queue [0-9]+ ready for ' \
        "the line \"msgq_server: queue MSQID ready for KEYPATH\" on stderr once the queue exists" \
        "§3 and §5 (readiness)" "${opts[@]}" -- "$SERVER" "${args[@]}" || return
    MSQID=$(sed -nE 's/^msgq_server: queue ([0-9]+) ready for .*/\1/p' "$LAB_RUN/$name.err" | head -n 1)
    queue_exists "$MSQID" ||
        lab_fail "a message queue with msqid $MSQID in /proc/sysvipc/msg (ipcs -q)" \
            "there is none" "§3: print the msqid that msgget() returned"
}

# stop_server NAME SIGNAL: waits until the server is idle in msgrcv(), sends
# SIGNAL, waits for the end, checks exit 0 and the message of §6.
stop_server() {
    local name=$1 sig=${2:-TERM}
    wait_in_msgrcv "$name" "msgq_server idle, waiting in msgrcv() for a request" "§4" || return
    lab_stop_gracefully "$name" "$sig" 0 msgq_server \
        "§6: the handler sets a flag; msgrcv() fails with EINTR and the loop sees it (hint 4)" \
        "§6: after SIGINT or SIGTERM the server exits 0" || return
    lab_assert_stderr_line "$name" "msgq_server: SIG$sig received: queue $MSQID removed" "§6"
}

# client_run NAME INPUT_TEXT...: runs msgq_client with these request lines.
client_run() {
    local name=$1
    shift
    printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/$name.in"
    lab_run "$name" --in "$BATS_TEST_TMPDIR/$name.in" -- "$CLIENT" -k "$KEYPATH"
}

# assert_replies NAME WHAT LOOK_AT LINE...: NAME printed exactly these lines.
assert_replies() {
    local name=$1 what=$2 look=$3
    shift 3
    printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/$name.expected"
    lab_assert_same_output "$name" "$BATS_TEST_TMPDIR/$name.expected" "$what" "$look"
}

# sender_request NAME WHAT LOOK_AT: the grader's msgq_sender sends "PID add 20
# 22" (its own pid) with type 1 and waits for its reply, as a client would:
# the learner's server against the grader's client.
sender_request() {
    local name=$1
    lab_run "$name" -- "$LAB_TOOLS/msgq_sender" -k "$KEYPATH" -p -r "$(lab_seconds 3)" "add 20 22"
    [[ $(lab_status "$name") == 0 && $(cat "$LAB_RUN/$name.out") == "ok 42" ]] ||
        lab_fail "the reply \"ok 42\" of type PID to $2, sent by the grader's msgq_sender" \
            "$(lab_describe "$name"); msgq_server: $(lab_describe server)" "$3" \
            "$(lab_show_output "$name")" "$(lab_show_output "$name" out)" "$(lab_show_output server)"
}

# points: 5
@test "one client: add, div and upper get the right replies, in order" {
    start_server server || return
    # The last line has no newline: it is a line all the same.
    printf '%s\n' "add 2 3" "add -1000000000 -1000000000" "div 7 2" "div -7 2" \
        "upper hello, World 42" >"$BATS_TEST_TMPDIR/client.in"
    # A NUL byte inside TEXT: a byte like any other, it comes back too.
    printf 'upper nul\0inside\n' >>"$BATS_TEST_TMPDIR/client.in"
    printf 'add 0 0' >>"$BATS_TEST_TMPDIR/client.in"
    lab_run client --in "$BATS_TEST_TMPDIR/client.in" -- "$CLIENT" -k "$KEYPATH"
    lab_assert_finished client "msgq_client to finish once every request has its reply" \
        "§4: send with mtype 1, then msgrcv() with msgtyp = your pid; §5: the server replies with mtype = that pid" ||
        { server_state; return 1; }
    printf 'ok 5\nok -2000000000\nok 3\nok -3\nok HELLO, WORLD 42\nok NUL\0INSIDE\nok 0\n' \
        >"$BATS_TEST_TMPDIR/client.expected"
    lab_assert_same_output client "$BATS_TEST_TMPDIR/client.expected" \
        "one reply per request, in order: ok 5, ok -2000000000, ok 3, ok -3, ok HELLO, WORLD 42, ok NUL\\0INSIDE (a NUL byte inside, sent and sent back), ok 0" \
        "§5 (the operations; TEXT is bytes with a length: a NUL byte in it comes back in the reply) and §4 (one line per reply)" ||
        return
    lab_assert_exit client 0 "§4" || return
    stop_server server TERM || return
    [[ ! -s $LAB_RUN/server.out ]] ||
        lab_fail "nothing on msgq_server's stdout" "$(wc -c <"$LAB_RUN/server.out") bytes" \
            "§5: the server writes nothing on stdout (its messages go to stderr)" "$(lab_show_output server out)"
}

# points: 5
@test "a request given on the command line gets its reply (msgq_client add 2 3)" {
    start_server server || return
    lab_run add -- "$CLIENT" -k "$KEYPATH" add 2 3
    assert_replies add "the reply of: msgq_client -k KEYPATH add 2 3" "§2 (operands) and §4" "ok 5" || return
    lab_assert_exit add 0 "§4" || return
    lab_run negative -- "$CLIENT" -k "$KEYPATH" div -9 2
    assert_replies negative "the reply of: msgq_client -k KEYPATH div -9 2" \
        "§2: options end at the first operand, so -9 is an argument, not an option (getopt \"+\")" "ok -4" ||
        return
    lab_run upper -- "$CLIENT" -k "$KEYPATH" upper two words
    assert_replies upper "the reply of: msgq_client -k KEYPATH upper two words" \
        "§2: the operands are joined with single blanks" "ok TWO WORDS" || return
    # stdout on a full device: the reply cannot be written, a failure.
    lab_run full --out /dev/full -- "$CLIENT" -k "$KEYPATH" add 2 3
    lab_assert_exit full 1 "§4: a reply that cannot be written to stdout (here /dev/full) is a failure: exit 1" || return
    grep -qE '^msgq_client: [a-z_()]+: No space left on device$' "$LAB_RUN/full.err" ||
        lab_fail "a line \"msgq_client: CALL: No space left on device\" on stderr (stdout is /dev/full)" \
            "no such line" "§4: any other failure, printing a reply too: msgq_client: CALL: strerror text (check printf/fwrite and fflush)" \
            "$(lab_show_output full)" || return
    stop_server server TERM
}

# points: 10
@test "10 clients x 200 requests at once: every reply reaches its own client, and is correct" {
    start_server server || return
    # First, two clients waiting at the same time, made certain: while the
    # server is stopped, client A sends and waits, then is stopped too (it
    # leaves msgrcv); client B sends and waits.  When the server goes on, it
    # answers A first, while only B is waiting: a reply that is not typed
    # with A's pid goes to B.
    local a b
    stop_process server || return
    lab_spawn first -- "$CLIENT" -k "$KEYPATH" add 1 1
    a=$(lab_pid first)
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in "$a" '*msgrcv*' 70 || true
    stop_process first || return
    lab_spawn second -- "$CLIENT" -k "$KEYPATH" add 2 2
    b=$(lab_pid second)
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in "$b" '*msgrcv*' 70 || true
    lab_signal server CONT
    lab_wait_exit second 5 || true
    # The server idle again: whatever it takes from the queue, it has taken,
    # and A's reply is still waiting for A (a server that receives any type
    # has taken it for a request).
    wait_in_msgrcv server "msgq_server idle in msgrcv() once it has answered both clients" "§4" || return
    lab_signal first CONT
    lab_wait_exit first 5 || true
    assert_replies second "client B's own reply (add 2 2), although client A's reply came first" \
        "§4 and §5: mtype of a reply = the pid of the client that asked; msgrcv() with msgtyp = own pid (hint 2)" \
        "ok 4" || return
    assert_replies first "client A's own reply (add 1 1), left in the queue while A was stopped" \
        "§4: the server receives type 1 only (msgtyp 1), never a reply waiting for its client (hint 2)" "ok 2" || return

    local k
    for k in 1 2 3 4 5 6 7 8 9 10; do
        lab_spawn "client$k" --in "$BATS_FILE_TMPDIR/client$k.txt" -- "$CLIENT" -k "$KEYPATH"
    done
    for k in 1 2 3 4 5 6 7 8 9 10; do
        lab_wait_exit "client$k" 20 || true
        lab_assert_finished "client$k" "client $k to get its 200 replies and finish" \
            "§4 and §5: each client waits for the type equal to its pid, and the server replies with exactly that type (hint 2)" ||
            { server_state; return 1; }
    done
    for k in 1 2 3 4 5 6 7 8 9 10; do
        lab_assert_same_output "client$k" "$BATS_FILE_TMPDIR/client$k.expected" \
            "client $k's 200 replies, its own and no one else's, in order" \
            "§4 and §5: mtype of a reply = the pid of the client that asked; msgrcv() with msgtyp = own pid (hint 2)" ||
            return
        lab_assert_exit "client$k" 0 "§4" || return
    done
    stop_server server TERM
}

# points: 5
@test "division by zero, an unknown operation and bad arguments get error replies; the server goes on" {
    start_server server || return
    client_run client "div 1 0" "mul 2 3" "add 1" "add 1 2 3" "add x 2" "div 5 99999999999" \
        "upper" "" "add 1000000001 1" "div -1000000001 1" "add 1  2" "upper " "add - 3" "div 6 -" \
        "add 00000000001 2" "div 6 -00000000002" "add +1 2" "div 10 -3"
    lab_assert_finished client "msgq_client to finish: every request, even a wrong one, gets a reply" \
        "§5: a request the server cannot serve gets an error reply, never silence" ||
        { server_state; return 1; }
    local usage_add="error usage: add A B (integers from -1000000000 to 1000000000)"
    local usage_div="error usage: div A B (integers from -1000000000 to 1000000000)"
    assert_replies client "an error reply for each wrong request (a lone '-' is no number; 00000000001 has 11 digits; +1 has a '+'), then the right answer to the last one" \
        "§5 (the table of replies; A and B: an optional '-' (no '+'), then 1 to 10 digits, leading zeros counted)" \
        "error division by zero" "error unknown operation 'mul'" "$usage_add" "$usage_add" \
        "$usage_add" "$usage_div" "error usage: upper TEXT" "error unknown operation ''" \
        "$usage_add" "$usage_div" "$usage_add" "error usage: upper TEXT" \
        "$usage_add" "$usage_div" "$usage_add" "$usage_div" "$usage_add" "ok -3" || return
    lab_assert_exit client 0 "§4: error replies are replies: the client exits 0" || return

    # The grader's own client (msgq_sender): a request of type 1 that no
    # learner's client wrote (both programs may agree on another type), then
    # requests without a pid, which no client sends: each one is dropped
    # with a line on stderr, and the server goes on.
    sender_request type1 "a request \"PID add 20 22\" of type 1 (§4)" \
        "§4: requests have type 1, whoever sends them: the server receives msgtyp 1, and replies with mtype = the pid at the start of the text (hint 2)" || return
    local -a bad=("add 2 3" "" "42add 1 1" "0 add 1 1" "1 add 1 1")
    lab_run raw -- "$LAB_TOOLS/msgq_sender" -k "$KEYPATH" "${bad[@]}"
    lab_assert_exit raw 0 "the grader's msgq_sender (a grader fault if it fails)" || return
    sender_request after "the same request after ${#bad[@]} requests without a pid (§4: 'add 2 3', '', '42add 1 1', '0 add 1 1', '1 add 1 1')" \
        "§4: a request without a pid, or with a pid below 2, is dropped with a line on stderr, nothing sent, and the server goes on" || return
    stop_server server TERM || return
    local count
    count=$(grep -cxF 'msgq_server: malformed request dropped (it does not start with a client pid)' \
        "$LAB_RUN/server.err") || true
    ((count == ${#bad[@]})) ||
        lab_fail "${#bad[@]} lines \"msgq_server: malformed request dropped (it does not start with a client pid)\" on stderr, one for each of: 'add 2 3', '' (empty), '42add 1 1', '0 add 1 1' and '1 add 1 1' (type 1, no pid, or a pid below 2)" \
            "$count such line(s)" "§4: a request whose text does not start with a pid (digits, then a blank), or whose pid is below 2 (0: msgsnd() fails with EINVAL; 1: the reply would be taken for a request)" \
            "$(lab_show_output server)"
}

# points: 5
@test "an oversized request gets an error reply and the server keeps serving" {
    start_server server || return
    lab_spawn client --in-pipe -- "$CLIENT" -k "$KEYPATH"
    local pid exact over long
    pid=$(lab_pid client) || return
    # The request text is "PID upper TEXT": exactly 512 bytes is served.
    exact=$(head -c $((512 - ${#pid} - 1 - 6)) /dev/zero | tr '\0' 'x')
    over=${exact}y
    long=$(head -c 3000 /dev/zero | tr '\0' 'z')
    lab_input client "upper $exact" "upper $over" "upper $long" "add 2 2"
    lab_close_input client
    lab_wait_exit client 5 || true
    lab_assert_finished client "msgq_client to get a reply to each of its 4 requests and finish" \
        "§5: receive with MSG_NOERROR: without it msgrcv() fails with E2BIG and the message stays in the queue (hint 3)" \
        "$(lab_show_output server)" || return
    assert_replies client "a request of exactly 512 bytes served; 513 and 3010 bytes refused; then add 2 2 served" \
        "§5: requests of at most 512 bytes (PID prefix included); a longer one gets an error reply (hint 3)" \
        "ok ${exact^^}" "error request too long (at most 512 bytes)" \
        "error request too long (at most 512 bytes)" "ok 4" || return
    lab_assert_exit client 0 "§4" || return
    stop_server server TERM
}

# points: 5
@test "SIGUSR1 interrupts msgrcv (EINTR): statistics printed, the server keeps serving" {
    start_server server || return
    # 6 replies, 3 of them errors (one for a request over 512 bytes).
    local long
    long="upper $(head -c 600 /dev/zero | tr '\0' 'x')"
    client_run first "add 1 1" "div 1 0" "upper a" "foo" "$long" "div 9 3"
    assert_replies first "the 6 replies" "§5" "ok 2" "error division by zero" "ok A" \
        "error unknown operation 'foo'" "error request too long (at most 512 bytes)" "ok 3" || return
    # A request without a pid, from the grader's msgq_sender: dropped, no
    # reply, counted nowhere.
    lab_run raw -- "$LAB_TOOLS/msgq_sender" -k "$KEYPATH" "add 2 3"
    lab_assert_exit raw 0 "the grader's msgq_sender (a grader fault if it fails)" || return
    lab_wait_output server '^msgq_server: malformed request dropped ' 5 err ||
        lab_fail "the line \"msgq_server: malformed request dropped (it does not start with a client pid)\" for the request \"add 2 3\" (type 1, no pid)" \
            "$(lab_describe server)" "§4" "$(lab_show_output server)" || return
    wait_in_msgrcv server "msgq_server idle in msgrcv() after serving the client" "§4" || return
    lab_signal server USR1
    lab_wait_output server '^msgq_server: served [0-9]+ requests, [0-9]+ error replies$' 5 err ||
        lab_fail "the line \"msgq_server: served 6 requests, 3 error replies\" on stderr soon after SIGUSR1" \
            "$(lab_describe server)" \
            "§6: msgrcv() always fails with EINTR after a handler ran (SA_RESTART or not): that is no error, print and go on (hint 4)" \
            "$(lab_show_output server)" || return
    lab_assert_stderr_line server "msgq_server: served 6 requests, 3 error replies" \
        "§6: N counts the replies sent, E the error replies among them: the request over 512 bytes got one (it counts in both), the request without a pid got none (it counts in neither)" ||
        return
    client_run second "add 20 22"
    assert_replies second "the reply \"ok 42\" after the SIGUSR1" \
        "§6: after SIGUSR1 the server keeps serving (EINTR is not an error)" "ok 42" || return
    wait_in_msgrcv server "msgq_server idle in msgrcv() again" "§6" || return
    lab_signal server USR1
    lab_wait_output server '^msgq_server: served 7 requests, 3 error replies$' 5 err ||
        lab_fail "the line \"msgq_server: served 7 requests, 3 error replies\" after a second SIGUSR1" \
            "$(lab_describe server)" "§6" "$(lab_show_output server)" || return
    stop_server server TERM || return
    local count
    count=$(grep -c '^msgq_server: served ' "$LAB_RUN/server.err")
    ((count == 2)) ||
        lab_fail "2 lines \"msgq_server: served N requests, E error replies\": one for each of the 2 SIGUSR1" \
            "$count such lines" "§6: print the statistics once per SIGUSR1, then clear the flag" \
            "$(lab_show_output server)"
}

# points: 5
@test "SIGTERM: the queue is removed, KEYPATH stays, and the server exits 0" {
    start_server server || return
    client_run client "add 1 2"
    assert_replies client "the reply" "§5" "ok 3" || return
    stop_server server TERM || return
    ! queue_exists "$MSQID" ||
        lab_fail "no queue $MSQID once the server has ended" "it is still there (ipcs -q)" \
            "§6: msgctl(msqid, IPC_RMID, NULL) before exiting: a queue outlives its creator (hint 5)" || return
    lab_assert_no_new_ipc "no message queue left behind after SIGTERM" "§6 (hint 5)" || return
    # KEYPATH did not exist: the server made it, and leaves it.
    [[ -f $KEYPATH && ! -s $KEYPATH ]] ||
        lab_fail "KEYPATH, the empty file the server created, still there after it ended" \
            "$(if [[ -e $KEYPATH ]]; then stat -c '%F of %s bytes' -- "$KEYPATH"; else echo "it is gone"; fi)" \
            "§3: the server never truncates, writes or removes KEYPATH: it only names the queue, and it stays" || return
    [[ $(stat -c %a -- "$KEYPATH") == 600 ]] ||
        lab_fail "KEYPATH created with mode 0600" "mode $(stat -c %a -- "$KEYPATH")" "§3: open(KEYPATH, O_CREAT | O_EXCL, 0600)"
}

# points: 5
@test "SIGINT: the queue is removed and the server exits 0; the handlers (SIGUSR1 too) only set a flag" {
    # Traced (every call): what the handlers do is looked at last.
    start_server server --strace all || return
    local pid
    pid=$(lab_pid server) || return
    wait_in_msgrcv server "msgq_server idle, waiting in msgrcv() for a request" "§4" || return
    lab_signal server USR1
    lab_wait_output server '^msgq_server: served 0 requests, 0 error replies$' 5 err ||
        lab_fail "the line \"msgq_server: served 0 requests, 0 error replies\" on stderr soon after SIGUSR1" \
            "$(lab_describe server)" "§6 (hint 4)" "$(lab_show_output server)" || return
    stop_server server INT || return
    lab_assert_no_new_ipc "no message queue left behind after SIGINT (Ctrl-C)" "§6 (hint 5)" || return
    lab_assert_handlers_only server "$pid" 'INT|TERM|USR1' '^$' \
        "the SIGUSR1 and SIGINT handlers to make no system call: each only sets a flag" \
        "§6: each handler only sets a volatile sig_atomic_t flag; the main loop prints the statistics, removes the queue and exits"
}

# points: 5
@test "a client with no server fails at once with a clear message, exit 1" {
    lab_run nofile -- "$CLIENT" -k "$KEYPATH" add 1 2
    lab_assert_finished nofile "msgq_client to give up at once when KEYPATH does not exist" "§4" || return
    lab_assert_exit nofile 1 "§4: no KEYPATH, no server" || return
    lab_assert_stderr_line nofile "msgq_client: no server: $KEYPATH does not exist" "§4 (ftok fails with ENOENT)" ||
        return
    : >"$KEYPATH"
    # ftok() failing otherwise (strace: EACCES on KEYPATH) is no "no server".
    lab_run ftokerr --inject '%file:error=EACCES' --trace-path "$KEYPATH" -- "$CLIENT" -k "$KEYPATH" add 1 2
    lab_assert_exit ftokerr 1 "§4: any other failure: exit 1" || return
    assert_call_failed ftokerr msgq_client ftok "Permission denied" \
        "ftok() fails with EACCES (strace): KEYPATH exists, but cannot be looked at" || return
    # msgget() failing otherwise (strace: EACCES) is no "no server" either.
    lab_run getterr --inject 'msgget:error=EACCES' -- "$CLIENT" -k "$KEYPATH" add 1 2
    lab_assert_exit getterr 1 "§4: any other failure: exit 1" || return
    assert_call_failed getterr msgq_client msgget "Permission denied" \
        "msgget() fails with EACCES (strace): a queue that is not ours, say" || return
    lab_run noqueue -- "$CLIENT" -k "$KEYPATH" add 1 2
    lab_assert_finished noqueue "msgq_client to give up at once when there is no queue for KEYPATH" \
        "§4: msgget(key, 0), without IPC_CREAT: a client never creates the queue (hint 1)" || return
    lab_assert_exit noqueue 1 "§4: a key without a queue: no server" || return
    lab_assert_stderr_line noqueue "msgq_client: no server: no queue for $KEYPATH" "§4 (msgget fails with ENOENT)" ||
        return
    lab_assert_no_new_ipc "no queue created by a client" "§4: no IPC_CREAT in the client (hint 1)" || return

    # Without -k: the default KEYPATH.  strace makes every call on
    # /tmp/ipclab-msgq fail with ENOENT, as if it did not exist: nothing
    # there is touched, whoever else uses it.
    local default=/tmp/ipclab-msgq
    lab_run dflt --inject '%file:error=ENOENT' --trace-path "$default" -- "$CLIENT" add 1 2
    lab_assert_finished dflt "msgq_client without -k to give up at once, its KEYPATH missing" "§2 and §4" || return
    lab_assert_exit dflt 1 "§4: no KEYPATH, no server" || return
    lab_assert_stderr_line dflt "msgq_client: no server: $default does not exist" \
        "§2: without -k, KEYPATH is $default (strace made every call on it fail with ENOENT)"
}

# points: 5
@test "a client waiting for its reply when the queue is removed fails with a clear message (EIDRM), exit 1" {
    start_server server || return
    wait_in_msgrcv server "msgq_server idle in msgrcv()" "§4" || return
    # The server is stopped: the request stays in the queue, unanswered.
    stop_process server || return
    # Two lines: the second one is left when the queue goes.
    printf '%s\n' "add 1 2" "add 3 4" >"$BATS_TEST_TMPDIR/client.in"
    lab_spawn client --in "$BATS_TEST_TMPDIR/client.in" -- "$CLIENT" -k "$KEYPATH"
    wait_in_msgrcv client "msgq_client waiting in msgrcv() for its reply to add 1 2" "§4" ||
        { lab_signal server CONT; return 1; }
    # Now the server goes away: it handles SIGTERM first, removes the queue.
    lab_signal server TERM
    lab_signal server CONT
    lab_wait_exit server 5 || true
    lab_assert_exit server 0 "§6: SIGTERM, even with a request waiting: remove the queue and exit 0" || return
    lab_wait_exit client 5 ||
        lab_fail "msgq_client to fail soon after the queue was removed" "$(lab_describe client)" \
            "§4: msgrcv() fails with EIDRM when the queue is removed while it waits" \
            "$(lab_show_output client)" || return
    lab_assert_exit client 1 "§4: the server is gone: exit 1" || return
    lab_assert_stderr_line client "msgq_client: the server has gone away: its queue was removed" \
        "§4 (EIDRM, or EINVAL if it was gone before the call)" || return
    assert_only_line client "msgq_client: the server has gone away: its queue was removed" \
        "§4: after that line the client stops: it sends nothing more (add 3 4 is left), and exits 1" || return
    [[ ! -s $LAB_RUN/client.out ]] ||
        lab_fail "nothing on msgq_client's stdout: add 1 2 got no reply" "$(wc -c <"$LAB_RUN/client.out") bytes" \
            "§4" "$(lab_show_output client out)"
}

# points: 5
@test "a second server on the same key is refused; the first keeps its queue" {
    start_server server || return
    lab_run second -- "$SERVER" -k "$KEYPATH"
    lab_assert_exit second 1 "§3: IPC_EXCL: a queue that exists belongs to another server" || return
    grep -qE "^msgq_server: a queue already exists for $KEYPATH \(msqid $MSQID\)" "$LAB_RUN/second.err" ||
        lab_fail "the line \"msgq_server: a queue already exists for $KEYPATH (msqid $MSQID): ...\" on stderr" \
            "no such line" "§3" "$(lab_show_output second)" || return
    queue_exists "$MSQID" ||
        lab_fail "the first server's queue $MSQID still there" "the second server removed it" \
            "§3: a refused server removes nothing" || return
    client_run client "add 40 2"
    assert_replies client "the first server still serving" "§3" "ok 42" || return
    stop_server server TERM
}

# points: 5
@test "valgrind: no memory error, no leak, no descriptor left open (server and client)" {
    start_server server --valgrind || return
    printf '%s\n' "add 1 2" "div 1 0" "upper valgrind" "what" >"$BATS_TEST_TMPDIR/in"
    lab_run client --valgrind --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -k "$KEYPATH"
    assert_replies client "the 4 replies, under valgrind too" "§5" \
        "ok 3" "error division by zero" "ok VALGRIND" "error unknown operation 'what'" || return
    stop_server server TERM || return
    lab_assert_valgrind_clean client "§7: free what you allocate (getline's buffer too)" || return
    lab_assert_valgrind_clean server "§7" || return
    lab_assert_valgrind_fds client "§7: close what you open" || return
    lab_assert_valgrind_fds server "§7: close KEYPATH once created (a queue is not a descriptor)"
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2" {
    local usage_server="usage: msgq_server [-k KEYPATH]"
    local usage_client="usage: msgq_client [-k KEYPATH] [OP [ARG...]]"
    local -a bad=("-x" "extra" "-k")
    local i name
    local -a args
    for i in "${!bad[@]}"; do
        read -ra args <<<"${bad[$i]}"
        name=server$i
        lab_run "$name" -- "$SERVER" -k "$KEYPATH" "${args[@]}"
        assert_usage "$name" msgq_server "$usage_server" "-k KEYPATH ${bad[$i]}" || return
    done
    lab_run empty -- "$SERVER" -k ""
    assert_usage empty msgq_server "$usage_server" '-k ""' || return
    lab_assert_no_new_ipc "no queue created for bad arguments" "§2: check the arguments before msgget()" || return
    [[ ! -e $KEYPATH ]] ||
        lab_fail "no KEYPATH made for bad arguments" "$KEYPATH was created ($(stat -c %F -- "$KEYPATH"))" \
            "§2: check every argument before anything is created (before ftok() and open())" || return
    local -a cbad=("-x" "-k")
    for i in "${!cbad[@]}"; do
        read -ra args <<<"${cbad[$i]}"
        name=client$i
        lab_run "$name" -- "$CLIENT" -k "$KEYPATH" "${args[@]}"
        assert_usage "$name" msgq_client "$usage_client" "-k KEYPATH ${cbad[$i]}" || return
    done
    lab_run cempty -- "$CLIENT" -k "" add 1 2
    assert_usage cempty msgq_client "$usage_client" '-k "" add 1 2'
}

# points: 5
@test "the queue's key is ftok(KEYPATH, 'M') and its mode is 0600" {
    start_server server || return
    local dev ino want got perms
    read -r dev ino < <(stat -c '%d %i' -- "$KEYPATH")
    # glibc's ftok(): the project id, the low byte of the device, the low
    # 16 bits of the inode.
    want=$(((0x4d << 24) | ((dev & 0xff) << 16) | (ino & 0xffff)))
    got=$(queue_field "$MSQID" key)
    got=$(((got + 4294967296) % 4294967296))
    ((got == want)) ||
        lab_fail "the queue $MSQID with the key ftok(KEYPATH, 'M') = $(printf '0x%08x' "$want")" \
            "its key is $(printf '0x%08x' "$got") (/proc/sysvipc/msg, ipcs -q)" \
            "§2: the key is ftok(KEYPATH, 'M'), project id 'M' (0x4d), in both programs" || return
    perms=$(queue_field "$MSQID" perms)
    [[ $perms == 600 ]] ||
        lab_fail "the queue $MSQID with mode 0600" "mode 0$perms (/proc/sysvipc/msg, ipcs -q)" \
            "§3: msgget(key, IPC_CREAT | IPC_EXCL | 0600)" || return
    stop_server server TERM || return

    # Without -k: the default KEYPATH.  strace makes every call on
    # /tmp/ipclab-msgq fail with ENOENT, its creation too: the server must
    # try that path (strace's log of the calls on it), fail, and exit 1,
    # nothing there touched, whoever else uses it.
    local default=/tmp/ipclab-msgq
    lab_spawn dflt --inject '%file:error=ENOENT' --trace-path "$default" -- "$SERVER"
    lab_wait_output dflt '^msgq_server: ' 5 err || true
    # A server ready elsewhere is stopped at once.
    if grep -q '^msgq_server: queue [0-9]* ready for ' "$LAB_RUN/dflt.err"; then
        lab_stop dflt
    else
        lab_wait_exit dflt 2 || true
    fi
    lab_strace_grep dflt "\"$default\"" >/dev/null ||
        lab_fail "msgq_server without -k to look for its KEYPATH at $default (ftok, then open to create it)" \
            "no call on $default in strace's log" \
            "§2: without -k, KEYPATH is $default" "$(lab_show_output dflt)" || return
    lab_assert_exit dflt 1 "§3 and §7: KEYPATH can be neither found nor created (strace made every call on it fail): an error, exit 1" || return
    lab_assert_no_new_ipc "no queue made by a server that could not make its key" "§3: the key first, then the queue"
}

# points: 5
@test "one request at a time: each reply printed at once, the next request sent only after it" {
    start_server server || return
    # The server stopped: what the client sends stays in the queue.
    wait_in_msgrcv server "msgq_server idle in msgrcv()" "§4" || return
    local qnum
    stop_process server || return
    printf '%s\n' "add 1 1" "add 2 2" >"$BATS_TEST_TMPDIR/two.in"
    lab_spawn two --in "$BATS_TEST_TMPDIR/two.in" -- "$CLIENT" -k "$KEYPATH"
    wait_in_msgrcv two "msgq_client waiting in msgrcv() for the reply to add 1 1" "§4" ||
        { lab_signal server CONT; return 1; }
    qnum=$(queue_field "$MSQID" qnum)
    lab_signal server CONT
    [[ $qnum == 1 ]] ||
        lab_fail "one request in the queue $MSQID while msgq_client waits for its reply (the server stopped)" \
            "${qnum:-no} messages in it: add 1 1 and add 2 2 were both sent" \
            "§4: one request at a time: send the next one only once the reply to the previous one is printed" ||
        return
    lab_wait_exit two 5 || true
    assert_replies two "the 2 replies, in order" "§4" "ok 2" "ok 4" || return
    lab_assert_exit two 0 "§4" || return
    # A reply is printed while the input is still open.
    lab_spawn open --in-pipe -- "$CLIENT" -k "$KEYPATH"
    lab_input open "add 3 3" || return
    lab_wait_output open '^ok 6$' 5 ||
        lab_fail "the reply \"ok 6\" on msgq_client's stdout while its input is still open" \
            "$(lab_describe open)" \
            "§4: print each reply as soon as it arrives (stdout to a file is fully buffered: fflush it)" \
            "$(lab_show_output open out)" || return
    lab_close_input open
    lab_wait_exit open 5 || true
    lab_assert_exit open 0 "§4" || return
    stop_server server TERM
}

# points: 5
@test "the client's 4080-byte limit: a line or operands of 4080 bytes are sent, one byte more is refused" {
    start_server server || return
    local at over too_long="error request too long (at most 512 bytes)"
    at="upper $(head -c 4074 /dev/zero | tr '\0' 'a')"   # 4080 bytes
    over="${at}b"                                         # 4081 bytes
    client_run lines "add 1 1" "$over" "$at" "$over" "add 2 2"
    lab_assert_finished lines "msgq_client to finish at the end of its input" "§4" ||
        { server_state; return 1; }
    assert_replies lines \
        "replies to lines 1, 3 and 5 only: line 3 (4080 bytes) sent (and refused by the server: over 512), lines 2 and 4 (4081 bytes) not sent" \
        "§4: a line of at most 4080 bytes (the newline not counted) is sent; a longer one is not, and the client goes on" \
        "ok 2" "$too_long" "ok 4" || return
    local n
    for n in 2 4; do
        lab_assert_stderr_line lines "msgq_client: line $n is too long (at most 4080 bytes): not sent" \
            "§4: lines are numbered from 1, sent or not" || return
    done
    lab_assert_exit lines 1 "§4: a line too long: the client goes on, and exits 1 at the end" || return
    # Operands: two words and the blank between them count.
    local a b
    a=$(head -c 2000 /dev/zero | tr '\0' 'a')
    b=$(head -c 2073 /dev/zero | tr '\0' 'b')
    lab_run atop -- "$CLIENT" -k "$KEYPATH" upper "$a" "$b"
    assert_replies atop "the reply to operands of 4080 bytes in all (upper, 2000 bytes, 2073 bytes, 2 blanks)" \
        "§4: operands of at most 4080 bytes, joined by single blanks, are sent" "$too_long" || return
    lab_assert_exit atop 0 "§4" || return
    lab_run overop -- "$CLIENT" -k "$KEYPATH" upper "$a" "${b}b"
    lab_assert_stderr_line overop "msgq_client: the request is too long (at most 4080 bytes)" \
        "§4: operands of 4081 bytes in all (the blanks counted) are refused" || return
    [[ ! -s $LAB_RUN/overop.out ]] ||
        lab_fail "no reply: a request of 4081 bytes is not sent" "a reply on stdout" "§4" \
            "$(lab_show_output overop out)" || return
    lab_assert_exit overop 1 "§4: operands longer than 4080 bytes in all (4081 here): exit 1" || return
    stop_server server TERM
}

# points: 5
@test "the queue removed by hand (ipcrm): the server and a client say so and exit 1" {
    start_server server || return
    lab_spawn client --in-pipe -- "$CLIENT" -k "$KEYPATH"
    lab_input client "add 1 1" || return
    lab_wait_output client '^ok 2$' 5 ||
        lab_fail "the reply \"ok 2\" on msgq_client's stdout" "$(lab_describe client)" "§4" \
            "$(lab_show_output client out)" || return
    wait_in_msgrcv server "msgq_server idle in msgrcv()" "§4" || return
    remove_queue_by_hand "$MSQID" ||
        lab_fail "ipcrm -q $MSQID to remove the server's queue" "it failed" || return
    lab_wait_exit server 5 ||
        lab_fail "msgq_server to stop soon after its queue was removed" "$(lab_describe server)" \
            "§7: msgrcv() fails with EIDRM: the queue is gone" "$(lab_show_output server)" || return
    lab_assert_exit server 1 "§7: the queue removed by someone else: exit 1" || return
    lab_assert_stderr_line server "msgq_server: the queue $MSQID was removed: stopping" \
        "§7 (msgrcv fails with EIDRM; nothing left to remove)" || return
    assert_only_line server "msgq_server: the queue $MSQID was removed: stopping" \
        "§7: that is the only line: nothing is left to remove (no msgctl(IPC_RMID)), no other message" 1 || return
    lab_assert_no_new_ipc "no queue made again once the first was removed" "§7: the server stops" || return
    # The client, between two requests, sends the next one to a queue that
    # is gone: msgsnd() fails with EINVAL.
    lab_input client "add 2 2" || return
    lab_wait_exit client 5 ||
        lab_fail "msgq_client to fail at once: its queue is gone" "$(lab_describe client)" \
            "§4: msgsnd() fails with EINVAL when the queue was removed before the call" \
            "$(lab_show_output client)" || return
    lab_assert_exit client 1 "§4: the server is gone: exit 1" || return
    lab_assert_stderr_line client "msgq_client: the server has gone away: its queue was removed" \
        "§4 (msgsnd fails with EINVAL when the queue was removed before the call)" || return
    assert_replies client "the reply to add 1 1 only" "§4" "ok 2" || return

    # The queue removed just before msgrcv() is made: strace holds the
    # server's first msgrcv() on its way in; the queue goes meanwhile, and
    # msgrcv() then fails with EINVAL, not EIDRM.  (Spawned, not
    # start_server: the hold starts right after the readiness line.)
    local hold pid
    hold=$(lab_seconds 5)
    lab_spawn late --inject "msgrcv:delay_enter=$(awk -v s="$hold" 'BEGIN { printf "%d", s * 1000000 }'):when=1" \
        -- "$SERVER" -k "$(lab_path key2)"
    pid=$(lab_pid late) || return
    lab_wait_until "$(lab_seconds 10)" held_or_in_msgrcv "$pid" ||
        lab_fail "msgq_server on its way into its first msgrcv() (held there by strace), once ready" \
            "$(lab_describe late)" "§4 and §5: once ready, the server waits for requests with msgrcv()" \
            "$(lab_show_output late)" || return
    MSQID=$(sed -nE 's/^msgq_server: queue ([0-9]+) ready for .*/\1/p' "$LAB_RUN/late.err" | head -n 1)
    [[ -n $MSQID ]] ||
        lab_fail "the line \"msgq_server: queue MSQID ready for KEYPATH\" on stderr before msgrcv()" "no such line" \
            "§5 (readiness)" "$(lab_show_output late)" || return
    remove_queue_by_hand "$MSQID" ||
        lab_fail "ipcrm -q $MSQID to remove the server's queue" "it failed" || return
    lab_wait_exit late 10 ||
        lab_fail "msgq_server to stop soon after its queue was removed" "$(lab_describe late)" \
            "§7: msgrcv() fails with EINVAL when the queue was removed just before the call: the queue is gone" \
            "$(lab_show_output late)" || return
    lab_assert_exit late 1 "§7: the queue removed by someone else (EINVAL: just before msgrcv()): exit 1" || return
    assert_only_line late "msgq_server: the queue $MSQID was removed: stopping" \
        "§7: msgrcv() fails with EINVAL when the queue was removed just before the call: the same line as for EIDRM, and nothing else" 1
}

# points: 5
@test "the server's msgsnd(): EINTR is tried again; another failure is reported, the queue removed, exit 1" {
    # strace makes the first reply's msgsnd() fail with EINTR, as SIGUSR1 would.
    start_server server --inject 'msgsnd:error=EINTR:when=1' || return
    lab_run first -- "$CLIENT" -k "$KEYPATH" add 2 3
    assert_replies first "the reply \"ok 5\", although the server's first msgsnd() failed with EINTR" \
        "§6: a reply's msgsnd() interrupted by a signal (SIGUSR1) is sent again" "ok 5" ||
        { server_state; return 1; }
    stop_server server TERM || return
    # Now every msgsnd() of the server fails with ENOMEM.
    start_server failing --inject 'msgsnd:error=ENOMEM' || return
    lab_spawn second -- "$CLIENT" -k "$KEYPATH" add 1 2
    lab_wait_exit failing 5 ||
        lab_fail "msgq_server to stop when its msgsnd() fails (ENOMEM, made by strace)" \
            "$(lab_describe failing)" "§7: check every call" "$(lab_show_output failing)" || return
    lab_assert_exit failing 1 "§7: a failed call: exit 1" || return
    lab_assert_stderr_line failing "msgq_server: msgsnd: Cannot allocate memory" \
        "§7: a failure is reported as PROGRAM: CALL: strerror text" || return
    lab_assert_no_new_ipc "no queue left by the server that failed" \
        "§3: every way the server ends removes its queue, an error too" || return
    lab_wait_exit second 5 || true
    lab_assert_exit second 1 "§4: the queue removed while the client waits: exit 1" || return
    lab_assert_stderr_line second "msgq_client: the server has gone away: its queue was removed" "§4 (EIDRM)" || return
    # The server's msgrcv() failing with ENOMEM (strace): an error, not a
    # queue removed by someone else: reported, the queue removed, exit 1.
    # (Not start_server: the queue is gone as soon as it is ready.)
    lab_spawn rcv --inject 'msgrcv:error=ENOMEM:when=1' -- "$SERVER" -k "$(lab_path key2)"
    lab_wait_exit rcv 5 ||
        lab_fail "msgq_server to stop when its msgrcv() fails (ENOMEM, made by strace)" \
            "$(lab_describe rcv)" "§7: check every call" "$(lab_show_output rcv)" || return
    lab_assert_exit rcv 1 "§7: a failed call: exit 1" || return
    lab_assert_stderr_line rcv "msgq_server: msgrcv: Cannot allocate memory" \
        "§7: a failure is reported as PROGRAM: CALL: strerror text (ENOMEM is no removed queue: only EIDRM and EINVAL say that)" ||
        return
    lab_assert_no_new_ipc "no queue left by the server whose msgrcv() failed" \
        "§3: every way the server ends removes its queue, an error too (only a queue removed by someone else is not)"
}

# points: 5
@test "SIGTERM as the queue is made: the handlers are already installed, the queue is removed, exit 0" {
    # strace sends SIGTERM as msgget() starts: it is handled once msgget()
    # returns, when the queue exists.
    lab_spawn server --inject 'msgget:signal=SIGTERM' -- "$SERVER" -k "$KEYPATH"
    lab_wait_exit server 5 ||
        lab_fail "msgq_server to end soon after a SIGTERM that came during its msgget()" \
            "$(lab_describe server)" "§6: the stop flag is set already: the loop must look at it before msgrcv()" \
            "$(lab_show_output server)" || return
    lab_assert_exit server 0 \
        "§6: install the handlers with sigaction() before the queue is created: SIGTERM then never kills the server with its queue left" ||
        return
    lab_assert_no_new_ipc "no message queue left behind after a SIGTERM during msgget()" \
        "§6: handlers installed before msgget(); SIGTERM removes the queue" || return
    grep -qE '^msgq_server: SIGTERM received: queue [0-9]+ removed$' "$LAB_RUN/server.err" ||
        lab_fail "the line \"msgq_server: SIGTERM received: queue MSQID removed\" on stderr" "no such line" "§6" \
            "$(lab_show_output server)"
}
