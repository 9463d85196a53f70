#!/usr/bin/env bats
# 08-posix-mq: a dispatcher puts prioritised jobs on a POSIX message queue;
# workers take them until the queue stays empty.
# Statement: exercises/08-posix-mq/README.md (the § numbers below are its sections).
#
# programs: mq_dispatch mq_worker
# ldlibs: -lrt
# valgrind-factor: 2.8   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

DISPATCH=$LAB_BIN/mq_dispatch
WORKER=$LAB_BIN/mq_worker

setup() {
    lab_setup
    Q=$(lab_name jobs)
}

# timeout_ms MS [valgrind]: a worker's -t value, scaled like every bound.
timeout_ms() {
    awk -v s="$(lab_seconds 1 "${2:-}")" -v ms="$1" 'BEGIN { printf "%d", ms * s }'
}

# blocked_in_mq NAME WHAT LOOK_AT: waits until NAME is asleep in a mq_send()
# or mq_receive() (the wait channel wq_sleep; where the kernel hides it, the
# call in progress: mq_timedsend 242 or mq_timedreceive 243). The dispatcher
# only ever sends and a worker only ever receives, so which one is known.
blocked_in_mq() {
    local name=$1 pid nr=242
    [[ $name == worker* ]] && nr=243
    pid=$(lab_pid "$name") || return 1
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in "$pid" '*wq_sleep*' "$nr" ||
        lab_fail "$2" "$(lab_describe "$name"), and not asleep in mq_send()/mq_receive()" "$3" \
            "$(lab_show_output "$name")"
}

# worker_stopped PID: stopped (strace's injected SIGSTOP: a tracing stop).
worker_stopped() {
    lab_proc_state "$1" t || lab_proc_state "$1" T
}

# start_dispatch NAME [DISPATCH ARGS...]: starts mq_dispatch -q $Q with these
# arguments and waits for its readiness line (§5). With DISPATCH_STRACE set
# (calls, as for lab_spawn --strace), strace records those calls.
start_dispatch() {
    local name=$1
    shift
    lab_spawn "$name" ${DISPATCH_STRACE:+--strace "$DISPATCH_STRACE"} -- "$DISPATCH" -q "$Q" "$@" || return
    lab_wait_output "$name" "^mq_dispatch: queue $Q ready \\(maxmsg 10, msgsize [0-9]+\\)$" 5 err ||
        lab_fail "the line \"mq_dispatch: queue $Q ready (maxmsg 10, msgsize 256)\" on stderr once the queue exists" \
            "$(lab_describe "$name")" "§3 and §5 (readiness)" "$(lab_show_output "$name")"
}

# wait_all_sent NAME: waits for the attribute line, printed once every job is sent (§5).
wait_all_sent() {
    lab_wait_output "$1" "^mq_dispatch: $Q maxmsg " 5 err ||
        lab_fail "the line \"mq_dispatch: $Q maxmsg 10 msgsize M curmsgs N\" on stderr once every job is sent" \
            "$(lab_describe "$1")" "§5 (the attribute line)" "$(lab_show_output "$1")"
}

# finish_dispatch NAME JOBS: the dispatcher ends by itself once the jobs are
# taken, says so, exits 0, and the queue is gone.
finish_dispatch() {
    local name=$1 jobs=$2
    lab_wait_exit "$name" 10 ||
        lab_fail "mq_dispatch to remove the queue and exit soon after the workers took every job" \
            "$(lab_describe "$name")" "§4: wait until mq_curmsgs is 0, then mq_unlink() (hint 6)" \
            "$(lab_show_output "$name")" || return
    lab_assert_exit "$name" 0 "§8" || return
    lab_assert_stderr_line "$name" "mq_dispatch: all $jobs jobs taken: queue $Q removed" "§5" || return
    [[ ! -s $LAB_RUN/$name.out ]] ||
        lab_fail "nothing on mq_dispatch's stdout" "it wrote $(wc -c <"$LAB_RUN/$name.out") bytes there" \
            "§5: everything the dispatcher prints goes to stderr" "$(lab_show_output "$name" out)" || return
    lab_assert_no_new_ipc "no message queue left once mq_dispatch has ended" \
        "§3: mq_close() is not enough, a queue lives until mq_unlink() (hint 1)"
}

# finish_worker NAME ID JOBS TIMEOUT: the worker exits 0 by itself with its last line.
finish_worker() {
    local name=$1
    lab_wait_exit "$name" 10 ||
        lab_fail "mq_worker to exit $4 ms after the last job" "$(lab_describe "$name")" \
            "§6: mq_timedreceive() with an absolute deadline, now + TIMEOUT_MS (hint 4)" \
            "$(lab_show_output "$name" out)" "$(lab_show_output "$name")" || return
    lab_assert_exit "$name" 0 "§6 and §8: a worker that times out exits 0" || return
    grep -qxF "worker $2: $3 jobs, idle for $4 ms, exiting" "$LAB_RUN/$name.out" ||
        lab_fail "the line \"worker $2: $3 jobs, idle for $4 ms, exiting\" on stdout" "no such line" \
            "§6 (the worker's output)" "$(lab_show_output "$name" out)"
}

# expected_jobs ID PID JOBS PRIOS ORDER: the job lines of §6 for jobs 1..JOBS,
# in the order "fifo" (job number) or "priority" (highest priority first,
# oldest first within a priority).
expected_jobs() {
    awk -v id="$1" -v pid="$2" -v n="$3" -v p="$4" -v order="$5" 'BEGIN {
        if (order == "fifo") {
            for (j = 1; j <= n; j++) printf "worker %s pid %s job %d priority %d\n", id, pid, j, (j - 1) % p
        } else {
            for (r = p - 1; r >= 0; r--)
                for (j = 1; j <= n; j++) if ((j - 1) % p == r) printf "worker %s pid %s job %d priority %d\n", id, pid, j, r
        } }'
}

# points: 10
@test "3 workers, 1000 jobs: every job runs exactly once, with its priority" {
    local t k pid dpid
    local -a wpid=()
    t=$(timeout_ms 1000)
    start_dispatch dispatch -n 1000 -p 4 || return
    blocked_in_mq dispatch "mq_dispatch blocked in mq_send() once the queue holds 10 jobs" \
        "§4: a full queue blocks mq_send()" || return
    # The dispatcher is stopped while the workers start, and each worker is
    # stopped (strace) at its first mq_timedreceive(): none can time out
    # before the others are there, and the dispatcher cannot finish (and
    # remove the queue) before the last one has opened it. Then all go on.
    dpid=$(lab_pid dispatch) || return
    lab_signal dispatch STOP
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$dpid" T || true
    for k in 1 2 3; do
        lab_spawn "worker$k" --inject 'mq_timedreceive:signal=SIGSTOP:when=1' -- "$WORKER" -q "$Q" -t "$t" -i "$k"
    done
    for k in 1 2 3; do
        pid=$(lab_pid "worker$k") && wpid[k]=$pid && lab_wait_while_running "worker$k" 5 worker_stopped "$pid" ||
            {
                lab_kill CONT "$dpid" || :
                lab_fail "worker $k at its first mq_timedreceive() (where the grader stops it)" \
                    "$(lab_describe "worker$k")" "§6: mq_timedreceive() takes the jobs" "$(lab_show_output "worker$k")"
                return 1
            }
    done
    for k in 1 2 3; do
        lab_signal "worker$k" CONT
    done
    lab_signal dispatch CONT
    finish_dispatch dispatch 1000 || return
    local total=0 n
    : >"$BATS_TEST_TMPDIR/all"
    # A worker's lines are counted once it has exited: a line still to come
    # would otherwise be missed.
    for k in 1 2 3; do
        lab_wait_exit "worker$k" 10 ||
            lab_fail "mq_worker -i $k to exit $t ms after the last job" "$(lab_describe "worker$k")" \
                "§6: mq_timedreceive() with an absolute deadline, now + TIMEOUT_MS (hint 4)" \
                "$(lab_show_output "worker$k" out)" || return
    done
    for k in 1 2 3; do
        n=$(grep -c '^worker [0-9]* pid' "$LAB_RUN/worker$k.out" || :)   # 0: the others took them all
        finish_worker "worker$k" "$k" "$n" "$t" || return
        total=$((total + n))
        pid=${wpid[k]}
        # Every job line of worker k names worker k, its pid, and the job's priority.
        awk -v id="$k" -v pid="$pid" '
            /^worker [0-9]+: / { next }
            !($1 == "worker" && $2 == id && $3 == "pid" && $4 == pid && $5 == "job" && $7 == "priority" && NF == 8) {
                print "    not a job line of worker " id " (pid " pid "): " $0; exit 1 }
            $8 != ($6 - 1) % 4 { print "    job " $6 " has priority " $8 ", not " ($6 - 1) % 4; exit 1 }
            { print $6 >> "'"$BATS_TEST_TMPDIR/all"'" }' "$LAB_RUN/worker$k.out" >"$BATS_TEST_TMPDIR/bad" ||
            lab_fail "one line \"worker $k pid $pid job J priority R\" per job, R = (J - 1) % 4" \
                "worker $k printed:" "§4 (priorities) and §6 (the job line)" "$(cat "$BATS_TEST_TMPDIR/bad")" \
                "$(lab_show_output "worker$k" out)" || return
    done
    sort -n "$BATS_TEST_TMPDIR/all" >"$BATS_TEST_TMPDIR/sorted"
    seq 1 1000 >"$BATS_TEST_TMPDIR/expected"
    cmp -s "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/sorted" ||
        lab_fail "jobs 1 to 1000, each taken by exactly one worker" \
            "$(sort -n "$BATS_TEST_TMPDIR/sorted" | uniq -d | wc -l) job(s) twice, $(comm -23 <(sort "$BATS_TEST_TMPDIR/expected") <(sort -u "$BATS_TEST_TMPDIR/sorted") | wc -l) missing" \
            "§4 and §6: one mq_send() per job, one line per mq_receive()" \
            "$(lab_first_difference "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/sorted")" || return
    ((total == 1000)) ||
        lab_fail "the workers' last lines to add up to 1000 jobs" "they add up to $total" "§6"
}

# points: 10
@test "a queue filled before any worker starts: highest priority first, oldest first within a priority" {
    local t pid
    # A TIMEOUT_MS that ends in 999 (-t 999, scaled): now + TIMEOUT_MS then
    # carries a second out of tv_nsec on all but 1 call in 1000, and a
    # deadline whose tv_nsec is not brought back below 1000000000 makes
    # mq_timedreceive() fail with EINVAL (§6, hint 4).
    t=$(($(timeout_ms 999) / 1000 * 1000 + 999))
    local dpid
    start_dispatch dispatch -p 4 || return   # no -n: 10 jobs, the default (§2)
    wait_all_sent dispatch || return
    # The dispatcher is stopped until the worker has exited: the worker times
    # out on a queue that still exists, and must leave it there (§6).
    dpid=$(lab_pid dispatch) || return
    lab_signal dispatch STOP
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$dpid" T || true
    # strace stops the worker at its 11th mq_timedreceive(), after the 10
    # jobs: their lines must be out by then, not held in a stdio buffer
    # until exit (§6: one write() per job line, at once). Its write()s are
    # recorded too: each one a whole line.
    lab_spawn worker --inject 'mq_timedreceive:signal=SIGSTOP:when=11' --strace mq_timedreceive,write \
        -- "$WORKER" -q "$Q" -t "$t" -i 5
    pid=$(lab_pid worker) && lab_wait_while_running worker 5 worker_stopped "$pid" ||
        {
            lab_kill CONT "$dpid" || :
            lab_fail "mq_worker at its 11th mq_timedreceive(), once it has taken the 10 jobs (where the grader stops it)" \
                "$(lab_describe worker)" "§6" "$(lab_show_output worker)"
            return 1
        }
    local lines
    lines=$(grep -c '^worker 5 pid ' "$LAB_RUN/worker.out" || :)
    ((lines == 10)) || {
        lab_signal worker CONT
        lab_kill CONT "$dpid" || :
        lab_fail "10 job lines \"worker 5 pid P job J priority R\" on mq_worker's stdout while it waits for an 11th job" \
            "$lines such line(s) so far" \
            "§6: the job line, exactly, on stdout, written with one write() when the job is taken (printf() into a file is held in a buffer until exit: fflush(), or format and write())" \
            "$(lab_show_output worker out)" "$(lab_show_output worker)"
        return 1
    }
    lab_signal worker CONT
    finish_worker worker 5 10 "$t" || { lab_kill CONT "$dpid" || :; return 1; }
    [[ -z $LAB_MQUEUE_DIR || -e $LAB_MQUEUE_DIR$Q ]] || {
        lab_kill CONT "$dpid" || :
        lab_fail "the queue $LAB_MQUEUE_DIR$Q still there once the worker has exited (the dispatcher is stopped)" \
            "it is gone: the worker removed it" "§3 and §6: workers never remove the queue, only the dispatcher does"
        return 1
    }
    lab_signal dispatch CONT
    # pid: the worker's own (lab_pid), not strace's.
    { expected_jobs 5 "$pid" 10 4 priority; echo "worker 5: 10 jobs, idle for $t ms, exiting"; } \
        >"$BATS_TEST_TMPDIR/expected"
    lab_assert_same_output worker "$BATS_TEST_TMPDIR/expected" \
        "jobs 4 and 8 (priority 3) first, then 3 and 7 (2), then 2, 6 and 10 (1), then 1, 5 and 9 (0)" \
        "§4: job J is sent with priority (J - 1) % PRIORITIES; the queue hands out the highest priority first (hint 2)" ||
        return
    # One write() per line, the newline in it: workers sharing a pipe would
    # otherwise mix their lines (§6).
    local split
    split=$(lab_strace_grep worker '^([0-9]+ +)?write\(1,' |
        grep -vE '^([0-9]+ +)?write\(1, "[^"\\]+\\n", [0-9]+\) += [0-9]+$' | head -n 3)
    [[ -z $split ]] ||
        lab_fail "each line on mq_worker's stdout written whole, newline included, with one write()" \
            "strace saw these writes:" \
            "§6: format the whole line first, then one write(): the lines of workers sharing a pipe or a terminal must not mix" \
            "$split" || return
    finish_dispatch dispatch 10
}

# points: 10
@test "a full queue blocks mq_send until a worker takes a job" {
    local t pid
    t=$(timeout_ms 1000)
    start_dispatch dispatch -n 12 -p 1 || return
    blocked_in_mq dispatch "mq_dispatch asleep in mq_send() with 10 jobs in the queue and 2 to go" \
        "§4: the queue holds mq_maxmsg 10 messages; the 11th mq_send() blocks (no O_NONBLOCK without --nonblock)" ||
        return
    ! grep -q "^mq_dispatch: $Q maxmsg" "$LAB_RUN/dispatch.err" ||
        lab_fail "no attribute line while 2 jobs are still to be sent" "it was printed" "§4 and §5" \
            "$(lab_show_output dispatch)" || return
    # The dispatcher is stopped (SIGSTOP) while the worker takes jobs 1 to 4:
    # strace sends SIGSTOP as its 4th mq_timedreceive() starts, and a call
    # that finds a job waiting takes it before the stop. Let go, the
    # dispatcher sends jobs 11 and 12 into a queue of 6: mq_getattr() then
    # says 8, every time (not 12, the jobs, nor 10, mq_maxmsg).
    local dpid
    dpid=$(lab_pid dispatch) || return
    lab_signal dispatch STOP
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$dpid" T || true
    lab_spawn worker --inject 'mq_timedreceive:signal=SIGSTOP:when=4' -- "$WORKER" -q "$Q" -t "$t" -i 1
    pid=$(lab_pid worker) && lab_wait_while_running worker 5 worker_stopped "$pid" ||
        {
            lab_kill CONT "$dpid" || :
            lab_fail "mq_worker stopped at its 4th mq_timedreceive(), once it has taken 4 jobs (where the grader stops it)" \
                "$(lab_describe worker)" "§6" "$(lab_show_output worker)"
            return 1
        }
    lab_signal dispatch CONT
    wait_all_sent dispatch || { lab_signal worker CONT; return 1; }
    lab_signal worker CONT
    finish_dispatch dispatch 12 || return
    grep -qE "^mq_dispatch: $Q maxmsg 10 msgsize 256 curmsgs 8\$" "$LAB_RUN/dispatch.err" ||
        lab_fail "the line \"mq_dispatch: $Q maxmsg 10 msgsize 256 curmsgs 8\": 4 of the 12 jobs taken when the 12th mq_send() returned" \
            "$(grep "^mq_dispatch: $Q maxmsg" "$LAB_RUN/dispatch.err" || echo "no such line")" \
            "§5: N is mq_curmsgs as mq_getattr() says it once the last job is sent, not the number of jobs nor mq_maxmsg" \
            "$(lab_show_output dispatch)" || return
    finish_worker worker 1 12 "$t" || return
    # pid: the worker's own (lab_pid above), not strace's.
    { expected_jobs 1 "$pid" 12 1 fifo; echo "worker 1: 12 jobs, idle for $t ms, exiting"; } \
        >"$BATS_TEST_TMPDIR/expected"
    lab_assert_same_output worker "$BATS_TEST_TMPDIR/expected" \
        "jobs 1 to 12 in order (one priority: first in, first out)" "§4 and §6"
}

# points: 5
@test "--nonblock: a full queue makes mq_send fail with EAGAIN; the dispatcher says so and removes the queue" {
    lab_run dispatch -- "$DISPATCH" -q "$Q" -n 12 --nonblock
    lab_assert_finished dispatch "mq_dispatch --nonblock to give up at once when the queue is full" \
        "§4: with O_NONBLOCK, mq_send() on a full queue fails with EAGAIN instead of blocking" || return
    lab_assert_exit dispatch 1 "§4 and §8" || return
    lab_assert_stderr_line dispatch \
        "mq_dispatch: queue $Q is full (mq_maxmsg 10): job 11 not sent, giving up (--nonblock)" "§4" || return
    lab_assert_no_new_ipc "no message queue left after the dispatcher gave up" "§3: every way out removes the queue"
}

# points: 10
@test "an idle worker exits after its timeout (mq_timedreceive)" {
    local t elapsed
    t=$(timeout_ms 400)
    start_dispatch dispatch -n 3 -p 2 || return
    wait_all_sent dispatch || return
    lab_spawn worker -- "$WORKER" -q "$Q" -t "$t" -i 7
    finish_dispatch dispatch 3 || return
    finish_worker worker 7 3 "$t" || return
    elapsed=$(lab_field worker elapsed_ms)
    ((elapsed >= t)) ||
        lab_fail "the worker to wait $t ms for another job before it exits" \
            "it ended after $elapsed ms" \
            "§6: wait with mq_timedreceive() until now + TIMEOUT_MS, not a non-blocking receive (hint 4)" ||
        return

    # A job that comes late: the worker's first mq_timedreceive() returns job
    # 1 only 2 x TIMEOUT_MS after it was called (strace holds it), as if the
    # job had come then. The next wait is TIMEOUT_MS from then, not from the
    # start: at least 3 x TIMEOUT_MS in all.
    local late=$((2 * t))
    start_dispatch late -n 1 -p 1 || return
    wait_all_sent late || return
    lab_spawn slow --inject "mq_timedreceive:delay_exit=$((late * 1000)):when=1" -- "$WORKER" -q "$Q" -t "$t" -i 8
    finish_dispatch late 1 || return
    finish_worker slow 8 1 "$t" || return
    elapsed=$(lab_field slow elapsed_ms)
    ((elapsed >= late + t)) ||
        lab_fail "the worker to wait $t ms for another job after job 1, which came $late ms after it started waiting: $((late + t)) ms at least" \
            "it ended after $elapsed ms: its deadline was not computed again after job 1" \
            "§6: the deadline is now + TIMEOUT_MS, computed again before every mq_timedreceive() (hint 4)" || return

    # A worker that finds the queue empty when it starts waits too: TIMEOUT_MS
    # without a job, not "nothing to do" at once (§6). The dispatcher (-n 1)
    # is stopped once every job is sent, so that the queue stays; worker
    # "first" takes job 1 and is stopped (strace) at its second
    # mq_timedreceive(); then worker "empty" starts on the empty queue.
    local dpid fpid
    start_dispatch held -n 1 -p 1 || return
    wait_all_sent held || return
    dpid=$(lab_pid held) || return
    lab_signal held STOP
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$dpid" T || true
    lab_spawn first --inject 'mq_timedreceive:signal=SIGSTOP:when=2' -- "$WORKER" -q "$Q" -t "$t" -i 10
    fpid=$(lab_pid first) && lab_wait_while_running first 5 worker_stopped "$fpid" || {
        lab_kill CONT "$dpid" || :
        lab_fail "mq_worker at its second mq_timedreceive(), once it has taken job 1 (where the grader stops it)" \
            "$(lab_describe first)" "§6" "$(lab_show_output first)"
        return 1
    }
    lab_spawn empty -- "$WORKER" -q "$Q" -t "$t" -i 11
    finish_worker empty 11 0 "$t" || { lab_kill CONT "$dpid" || :; return 1; }
    elapsed=$(lab_field empty elapsed_ms)
    ((elapsed >= t)) || {
        lab_kill CONT "$dpid" || :
        lab_fail "a worker started on an empty queue to wait $t ms for a job before it exits" \
            "it ended after $elapsed ms" \
            "§6: the worker exits once no job has come for TIMEOUT_MS, an empty queue at the start included: mq_timedreceive() waits, whatever mq_curmsgs says" \
            "$(lab_show_output empty out)"
        return 1
    }
    lab_signal first CONT
    lab_signal held CONT
    finish_worker first 10 1 "$t" || return
    finish_dispatch held 1 || return

    # A worker installs no handler: SIGINT and SIGTERM end an idle one at
    # once, long before its TIMEOUT_MS of a minute (§7). Each takes job 1 of
    # a dispatcher of its own, then waits in mq_timedreceive().
    local sig code
    for sig in INT TERM; do
        start_dispatch "d$sig" -n 1 -p 1 || return
        lab_spawn "worker$sig" -- "$WORKER" -q "$Q" -t "$(timeout_ms 60000)" -i 9
        blocked_in_mq "worker$sig" "mq_worker -t $(timeout_ms 60000) asleep in mq_timedreceive() once it has taken job 1" \
            "§6" || return
        finish_dispatch "d$sig" 1 || return
        lab_signal "worker$sig" "$sig"
        lab_wait_exit "worker$sig" 5 ||
            lab_fail "mq_worker to end soon after SIG$sig while it waits for a job" "$(lab_describe "worker$sig")" \
                "§7: the worker installs no handler: SIGINT and SIGTERM end it" "$(lab_show_output "worker$sig")" || return
        code=$((128 + $(kill -l "$sig")))
        lab_assert_exit "worker$sig" "$code" "§7: the worker installs no handler: SIG$sig ends it" || return
        [[ $(lab_field "worker$sig" result) == signaled ]] ||
            lab_fail "mq_worker killed by SIG$sig (its default action)" "it caught it and exited with status $code" \
                "§7: the worker installs no handler: the signal itself ends it" || return
    done
}

# points: 5
@test "a message that is not \"job N\" (N at most 1000000000) is dropped with a line on stderr, and not counted" {
    local t
    t=$(timeout_ms 400)
    start_dispatch dispatch -n 1 -p 1 || return
    wait_all_sent dispatch || return
    # Behind job 1, what no dispatcher sends (the grader's mq_sender):
    # job 1000000000 is a job, the others are not (§6); job 4294967297
    # (2^32 + 1) is not job 1 read into an int.
    local -a bad=(hello job "job x" "Job 4" " job 5" "job 1000000001" "job -1" "job 4294967297")
    lab_run sender -- "$LAB_TOOLS/mq_sender" "$Q" "job 1000000000" "${bad[@]}"
    lab_assert_exit sender 0 "the grader's mq_sender (a grader fault if it fails)" || return
    lab_spawn worker -- "$WORKER" -q "$Q" -t "$t" -i 3
    finish_dispatch dispatch 1 || return
    finish_worker worker 3 2 "$t" || return
    local pid
    pid=$(lab_field worker pid)
    {
        printf 'worker 3 pid %s job %s priority 0\n' "$pid" 1 "$pid" 1000000000
        echo "worker 3: 2 jobs, idle for $t ms, exiting"
    } >"$BATS_TEST_TMPDIR/worker.expected"
    lab_assert_same_output worker "$BATS_TEST_TMPDIR/worker.expected" \
        "jobs 1 and 1000000000, and the last line counting 2 jobs: nothing for the messages that are not jobs" \
        "§6: a message that does not start with \"job \" and a digit, or whose number is above 1000000000, is dropped and not counted" ||
        return
    local message count
    for message in "${bad[@]}"; do
        count=$(grep -c "^mq_worker: malformed message of ${#message} bytes dropped" "$LAB_RUN/worker.err")
        ((count >= 1)) ||
            lab_fail "a line \"mq_worker: malformed message of ${#message} bytes dropped ...\" on stderr for '$message'" \
                "no such line" "§6 (a malformed message)" "$(lab_show_output worker)" || return
    done
    count=$(grep -c '^mq_worker: malformed message of ' "$LAB_RUN/worker.err")
    ((count == ${#bad[@]})) ||
        lab_fail "${#bad[@]} lines \"mq_worker: malformed message of N bytes dropped ...\", one per malformed message" \
            "$count such lines" "§6" "$(lab_show_output worker)"
}

# points: 5
@test "the attribute line reports what mq_getattr says (maxmsg, msgsize, curmsgs)" {
    local t
    t=$(timeout_ms 300)
    # The programs' umask is 022 (lab-grade): the queue's mode 0600 is then
    # 600, and 0644 or 0666 show as 644.
    # Leading zeros are decimal digits like any other (§2): -n 07 -m 0512 is 7 jobs of at most 512 bytes.
    start_dispatch dispatch -n 07 -m 0512 || return
    lab_assert_stderr_line dispatch "mq_dispatch: queue $Q ready (maxmsg 10, msgsize 512)" \
        "§5 (readiness): M is MSGSIZE; §2: -m 0512 is 512 (decimal digits, leading zeros accepted, not octal)" ||
        return
    wait_all_sent dispatch || return
    lab_assert_stderr_line dispatch "mq_dispatch: $Q maxmsg 10 msgsize 512 curmsgs 7" \
        "§5: mq_getattr() once the 7 jobs (-n 07) are sent, before any worker runs" || return
    if [[ -n $LAB_MQUEUE_DIR ]]; then
        [[ -e $LAB_MQUEUE_DIR$Q ]] ||
            lab_fail "the queue $LAB_MQUEUE_DIR$Q while the dispatcher waits for workers" "it is not there" \
                "§3: the name given with -q, as it is" || return
        local mode qsize
        mode=$(stat -c %a "$LAB_MQUEUE_DIR$Q")
        [[ $mode == 600 ]] ||
            lab_fail "the queue $LAB_MQUEUE_DIR$Q with mode 600 (rw for its owner only; the grader's umask is 022)" \
                "its mode is $mode" "§3: mq_open(NAME, ..., 0600, &attr)" || return
        # QSIZE: the bytes of the 7 jobs waiting, "job 1" to "job 7", 5 bytes each, no '\0'.
        qsize=$(grep -o 'QSIZE:[0-9]*' "$LAB_MQUEUE_DIR$Q")
        [[ $qsize == QSIZE:35 ]] ||
            lab_fail "QSIZE:35 in $LAB_MQUEUE_DIR$Q: the 7 jobs \"job 1\" to \"job 7\", 5 bytes each" \
                "${qsize:-no QSIZE}" "§4: the text \"job J\" with no '\\0' (send strlen() bytes, not strlen() + 1)" \
                "$(cat "$LAB_MQUEUE_DIR$Q")" || return
    fi
    # The dispatcher's queue descriptor is O_WRONLY (§3): /proc/PID/fdinfo shows its flags.
    local dpid fd flags=""
    dpid=$(lab_pid dispatch) || return
    for fd in /proc/"$dpid"/fd/*; do
        [[ $(readlink "$fd" 2>/dev/null) == "$Q" ]] || continue
        flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$dpid/fdinfo/${fd##*/}" 2>/dev/null)
    done
    local seen="no descriptor of $Q in /proc/$dpid/fd"
    [[ -z $flags ]] || seen="its flags are $flags (octal; the last digit is 0 for O_RDONLY, 1 for O_WRONLY, 2 for O_RDWR)"
    [[ -n $flags ]] && (((8#$flags & 3) == 1)) ||
        lab_fail "mq_dispatch's descriptor of $Q open for writing only (O_WRONLY)" "$seen" \
            "§3: mq_open(NAME, O_WRONLY | O_CREAT | O_EXCL, 0600, &attr): only the workers read" || return
    # No -t, no -i: TIMEOUT_MS 1000 and ID 1, the defaults (§2).
    lab_spawn worker -- "$WORKER" -q "$Q"
    finish_dispatch dispatch 7 || return
    finish_worker worker 1 7 1000 || return
    # -p 32, the largest number of priorities (§2), is accepted.
    lab_run empty -- "$DISPATCH" -q "$Q" -n 0 -p 32
    lab_assert_stderr_line empty "mq_dispatch: $Q maxmsg 10 msgsize 256 curmsgs 0" \
        "§5: with -n 0 nothing is sent, and the queue is removed at once; §2: -p 32 is accepted (1 to 32)" || return
    lab_assert_exit empty 0 "§8; §2: -n 0 -p 32 are both accepted" || return
    # No -q: NAME is /ipclab-jobs (§2). That name is every grading's on the
    # machine, so strace fails the calls that would touch it (mq_open() and,
    # for a program that would, mq_unlink()): the messages name the queue.
    lab_run dflt --inject 'mq_open,mq_unlink:error=ENOSPC' -- "$DISPATCH" -n 1
    lab_assert_exit dflt 1 "§8: mq_open() fails with ENOSPC (strace makes it fail)" || return
    lab_assert_stderr_line dflt \
        "mq_dispatch: cannot create queue /ipclab-jobs: the system-wide limit on the number of queues is reached (/proc/sys/fs/mqueue/queues_max)" \
        "§2: without -q, NAME is /ipclab-jobs; §8 (ENOSPC)" || return
    lab_run wdflt --inject 'mq_open,mq_unlink:error=ENOENT' -- "$WORKER" -t 300
    lab_assert_exit wdflt 1 "§6: no queue (strace makes mq_open() fail with ENOENT)" || return
    lab_assert_stderr_line wdflt "mq_worker: no queue /ipclab-jobs: start mq_dispatch first" \
        "§2: without -q, NAME is /ipclab-jobs; §6 (ENOENT)"
}

# points: 10
@test "SIGINT while mq_send is blocked on a full queue: the queue is removed, exit 130 (1 if it was gone already)" {
    # Traced (every call): what the handler does is looked at once it has ended.
    local pid
    DISPATCH_STRACE=all start_dispatch dispatch -n 12 || return
    pid=$(lab_pid dispatch) || return
    blocked_in_mq dispatch "mq_dispatch asleep in mq_send() on the full queue" "§4" || return
    lab_signal dispatch INT
    lab_wait_exit dispatch 5 ||
        lab_fail "mq_dispatch to end soon after SIGINT" "$(lab_describe dispatch)" \
            "§7: install the handler without SA_RESTART, or mq_send() is restarted and never returns (hint 5)" \
            "$(lab_show_output dispatch)" || return
    lab_assert_exit dispatch 130 "§7: 128 + 2 after SIGINT" || return
    lab_assert_stderr_line dispatch "mq_dispatch: SIGINT received: queue $Q removed" "§7" || return
    lab_assert_no_new_ipc "no message queue left after SIGINT (Ctrl-C)" "§7: mq_unlink() on SIGINT too (hint 5)" || return
    lab_assert_handlers_only dispatch "$pid" 'INT|TERM' '^$' \
        "the SIGINT handler to make no system call: it only sets a flag, the main code cleans up" \
        "§7: the handler only sets a volatile sig_atomic_t flag; mq_close(), mq_unlink(), the message and the exit come after mq_send() returns (hint 5)" ||
        return

    # SIGTERM in the same place: 143 and its own line (§7).
    start_dispatch term -n 12 || return
    blocked_in_mq term "mq_dispatch asleep in mq_send() on the full queue" "§4" || return
    lab_signal term TERM
    lab_wait_exit term 5 ||
        lab_fail "mq_dispatch to end soon after SIGTERM" "$(lab_describe term)" "§7 (hint 5)" \
            "$(lab_show_output term)" || return
    lab_assert_exit term 143 "§7: 128 + 15 after SIGTERM, in mq_send() as well" || return
    lab_assert_stderr_line term "mq_dispatch: SIGTERM received: queue $Q removed" "§7" || return
    lab_assert_no_new_ipc "no message queue left after SIGTERM in mq_send()" "§7 (hint 5)" || return

    # The queue removed by hand while the dispatcher sleeps in mq_send():
    # its mq_unlink() then fails (ENOENT), and no line may say it removed it.
    start_dispatch gone -n 12 || return
    blocked_in_mq gone "mq_dispatch asleep in mq_send() on the full queue" "§4" || return
    rm -f "/dev/mqueue/${Q#/}"
    lab_signal gone INT
    lab_wait_exit gone 5 ||
        lab_fail "mq_dispatch to end soon after SIGINT" "$(lab_describe gone)" "§7 (hint 5)" \
            "$(lab_show_output gone)" || return
    lab_assert_stderr_line gone "mq_dispatch: mq_unlink: No such file or directory" \
        "§7 and §8: the queue was removed by hand before the SIGINT; report the failed mq_unlink()" || return
    ! grep -q "received: queue $Q removed" "$LAB_RUN/gone.err" ||
        lab_fail "no line saying the queue was removed: mq_unlink() failed" \
            "$(grep "received: queue" "$LAB_RUN/gone.err" | head -n 1)" \
            "§7: if the removal fails, its failure's line takes the place of the \"removed\" line" || return
    lab_assert_exit gone 1 "§7 and §8: after a signal, 1 when the queue could not be removed" || return

    # SIGINT as the queue is made (strace sends it as mq_open() is entered):
    # the handler is already there, so the queue is removed (§7). No call is
    # interrupted then: with 12 jobs, a dispatcher that looks at the flag only
    # when mq_send() fails with EINTR would sleep in the 11th mq_send().
    lab_run early --wait 5 --inject 'mq_open:signal=SIGINT:when=1' -- "$DISPATCH" -q "$Q" -n 12 -p 1
    lab_assert_finished early "mq_dispatch to end soon after a SIGINT that comes as mq_open() makes the queue" \
        "§7: install the handler before mq_open(), and look at the flag before each mq_send()" || return
    lab_assert_no_new_ipc "no message queue left after a SIGINT that came as mq_open() made it" \
        "§7: the handler is installed before mq_open(): without it SIGINT kills the dispatcher and the queue stays" || return
    lab_assert_exit early 130 "§7: 128 + 2 after SIGINT" || return
    lab_assert_stderr_line early "mq_dispatch: SIGINT received: queue $Q removed" "§7"
}

# points: 5
@test "SIGTERM while waiting for the workers: the queue is removed, exit 143" {
    local t pid
    t=$(timeout_ms 300)
    start_dispatch dispatch -n 5 || return
    wait_all_sent dispatch || return
    # A worker has the queue open, stopped by strace at its first
    # mq_timedreceive(), when the dispatcher removes it: once let go, it
    # still takes the 5 jobs through its descriptor (§6).
    lab_spawn worker --inject 'mq_timedreceive:signal=SIGSTOP:when=1' -- "$WORKER" -q "$Q" -t "$t" -i 6
    pid=$(lab_pid worker) && lab_wait_while_running worker 5 worker_stopped "$pid" ||
        lab_fail "mq_worker at its first mq_timedreceive() (where the grader stops it)" "$(lab_describe worker)" \
            "§6: mq_timedreceive() takes the jobs" "$(lab_show_output worker)" || return
    # Nothing is taken while the worker is stopped: the dispatcher waits,
    # asleep between two looks at mq_curmsgs, not spinning.
    # ... and looks every 10 ms: over that same second it goes to sleep
    # about 100 times (voluntary_ctxt_switches in /proc/PID/status, one per
    # nanosleep()); at least 10 are required (one look in 100 ms), so that a
    # loaded machine passes and a dispatcher that sleeps 1 s between two
    # looks does not. (Read from /proc, not counted by strace: a traced busy
    # loop spends most of its time stopped, and would look idle.)
    local dpid sleeps
    dpid=$(lab_pid dispatch) || return
    sleeps=$(lab_sleep_count "$dpid")
    lab_assert_idle dispatch 1 10 \
        "§4: look at mq_curmsgs every 10 ms and sleep (nanosleep()) in between, not in a busy loop (hint 6)" || return
    sleeps=$(($(lab_sleep_count "$dpid") - sleeps))
    ((sleeps >= 10)) ||
        lab_fail "mq_dispatch to look at mq_curmsgs every 10 ms while the jobs wait: at least 10 sleeps in 1 s (100 at 10 ms)" \
            "it went to sleep $sleeps time(s) in that second (voluntary_ctxt_switches in /proc/$dpid/status)" \
            "§4: mq_getattr() every 10 ms, a sleep of 10 ms in between (hint 6): a longer sleep keeps the queue there long after the last job was taken" ||
        return
    lab_signal dispatch TERM
    lab_wait_exit dispatch 5 ||
        lab_fail "mq_dispatch to end soon after SIGTERM" "$(lab_describe dispatch)" \
            "§7: the wait for the queue to drain looks at the flag too (hint 5)" \
            "$(lab_show_output dispatch)" || return
    lab_assert_exit dispatch 143 "§7: 128 + 15 after SIGTERM" || return
    lab_assert_stderr_line dispatch "mq_dispatch: SIGTERM received: queue $Q removed" "§7" || return
    lab_assert_no_new_ipc "no message queue left after SIGTERM, with 5 jobs still in it" "§7 (hint 5)" || return
    lab_signal worker CONT
    lab_wait_exit worker 10 || true
    lab_assert_exit worker 0 \
        "§6: the worker keeps working after the dispatcher unlinked the queue: its descriptor still refers to it (open it once, never again by name)" ||
        return
    finish_worker worker 6 5 "$t" || return
    # -p left out: 4 priorities (§2), so jobs 4, 3, 2, then 1 and 5.
    { expected_jobs 6 "$pid" 5 4 priority; echo "worker 6: 5 jobs, idle for $t ms, exiting"; } \
        >"$BATS_TEST_TMPDIR/expected"
    lab_assert_same_output worker "$BATS_TEST_TMPDIR/expected" \
        "the 5 jobs from the removed queue, highest priority first: 4, 3, 2, then 1 and 5 (4 priorities, the default)" \
        "§6: the descriptor outlives the name; §2: PRIORITIES is 4 by default" || return

    # SIGINT in the same place (no worker: the 2 jobs stay): 130 and its own line (§7).
    start_dispatch int -n 2 || return
    wait_all_sent int || return
    lab_signal int INT
    lab_wait_exit int 5 ||
        lab_fail "mq_dispatch to end soon after SIGINT while it waits for the workers" "$(lab_describe int)" \
            "§7: the wait for the queue to drain looks at the flag, whichever signal set it (hint 5)" \
            "$(lab_show_output int)" || return
    lab_assert_exit int 130 "§7: 128 + 2 after SIGINT, while waiting as well" || return
    lab_assert_stderr_line int "mq_dispatch: SIGINT received: queue $Q removed" "§7" || return
    lab_assert_no_new_ipc "no message queue left after SIGINT, with 2 jobs still in it" "§7 (hint 5)"
}

# points: 5
@test "a queue with a larger mq_msgsize (1024): workers receive 1000-byte jobs" {
    local t pid
    t=$(timeout_ms 300)
    DISPATCH_STRACE=mq_unlink,write start_dispatch dispatch -n 5 -p 1 -m 1024 -l 1000 || return
    wait_all_sent dispatch || return
    if [[ -n $LAB_MQUEUE_DIR ]]; then
        # QSIZE: the bytes waiting, 5 jobs padded to exactly 1000 bytes each.
        local qsize
        qsize=$(grep -o 'QSIZE:[0-9]*' "$LAB_MQUEUE_DIR$Q")
        [[ $qsize == QSIZE:5000 ]] ||
            lab_fail "QSIZE:5000 in $LAB_MQUEUE_DIR$Q: 5 jobs of exactly 1000 bytes (-l 1000)" "${qsize:-no QSIZE}" \
                "§4: \"job J\" followed by as many '.' as it takes to make exactly LENGTH bytes, no '\\0'" \
                "$(cat "$LAB_MQUEUE_DIR$Q")" || return
    fi
    lab_spawn worker -- "$WORKER" -q "$Q" -t "$t" -i 2
    finish_worker worker 2 5 "$t" || return
    pid=$(lab_field worker pid)
    { expected_jobs 2 "$pid" 5 1 fifo; echo "worker 2: 5 jobs, idle for $t ms, exiting"; } \
        >"$BATS_TEST_TMPDIR/expected"
    lab_assert_same_output worker "$BATS_TEST_TMPDIR/expected" "the 5 jobs of 1000 bytes, in order" \
        "§6: the receive buffer must hold mq_msgsize bytes, from mq_getattr(), or mq_receive() fails with EMSGSIZE (hint 3)" ||
        return
    finish_dispatch dispatch 5 || return
    # The end line says the queue is removed: written after mq_unlink(), not before (§5).
    local order
    order=$(lab_strace_grep dispatch 'mq_unlink\(|write\(2, .*jobs taken' | sed -nE 's/^([0-9]+ +)?(mq_unlink|write).*/\2/p' | tr '\n' ' ')
    [[ $order == "mq_unlink write " ]] ||
        lab_fail "mq_unlink(), then the write() of \"mq_dispatch: all 5 jobs taken: queue $Q removed\"" \
            "strace saw, in this order: ${order:-neither}" \
            "§5: the end line says the queue is removed: print it once mq_unlink() has returned" \
            "$(lab_strace_grep dispatch 'mq_unlink\(|write\(2,')"
}

# assert_usage_error NAME USAGE PROGRAM ARGS: PROGRAM ARGS (split at blanks)
# exits 2 with two lines on stderr: what is wrong, then exactly USAGE (§2).
assert_usage_error() {
    local -a args
    read -ra args <<<"$4"
    assert_usage_error_argv "$1" "$2" "$3" "${args[@]}"
}

# assert_usage_error_argv NAME USAGE PROGRAM ARG...: the same, the arguments
# given one by one (an empty one too).
assert_usage_error_argv() {
    local name=$1 usage=$2 program=$3 prog=${3##*/} shown
    shift 3
    shown=$(printf "%q " "$@")
    shown=${shown% }
    lab_run "$name" -- "$program" "$@"
    lab_assert_exit "$name" 2 "§2: $prog $shown is a usage error" || return
    [[ $(wc -l <"$LAB_RUN/$name.err") -eq 2 && $(tail -n 1 "$LAB_RUN/$name.err") == "$usage" ]] ||
        lab_fail "two lines on stderr for: $prog $shown: one that says what is wrong, then \"$usage\"" \
            "$(wc -l <"$LAB_RUN/$name.err") line(s)" "§2 (bad arguments)" "$(lab_show_output "$name")"
}

# points: 5
@test "bad arguments and a queue name without the leading '/': a usage message, exit 2" {
    # All but the bad names name the test's queue: a program that takes a bad
    # argument for a good one uses a queue of this test's, never /ipclab-jobs.
    local -a bad=("-q ipclab-jobs" "-q /a/b" "-q /" "-q $Q -n -1" "-q $Q -n x" "-q $Q -p 0" "-q $Q -p 33"
        "-q $Q -m 8193" "-q $Q -l 5" "-q $Q -x" "-q $Q extra" "-q"
        "-q $Q -n +5" "-q $Q -n 1000001" "-q $Q -m 15" "-q $Q -l 65537" "-q $Q -n 99999999999999999999")
    local usage="usage: mq_dispatch [-q NAME] [-n JOBS] [-p PRIORITIES] [-m MSGSIZE] [-l LENGTH] [--nonblock]"
    local i
    for i in "${!bad[@]}"; do
        assert_usage_error "dispatch$i" "$usage" "$DISPATCH" "${bad[$i]}" || return
    done
    # An empty number is no number: not 0 (§2: digits only).
    assert_usage_error_argv dispatch_empty "$usage" "$DISPATCH" -q "$Q" -n "" || return
    # Found before mq_open(): a queue made and removed again would show in no
    # /dev/mqueue, but strace sees the call (and a dispatcher running on that
    # name would make it an EEXIST refusal instead of a usage error).
    lab_run dispatch_traced --strace mq_open -- "$DISPATCH" -q "$Q" -n 1000001
    lab_assert_exit dispatch_traced 2 "§2: mq_dispatch -q $Q -n 1000001 is a usage error" || return
    [[ -z $(lab_strace_grep dispatch_traced '^([0-9]+ +)?mq_open\(') ]] ||
        lab_fail "no mq_open() for: mq_dispatch -q $Q -n 1000001 (bad arguments are found before anything is opened)" \
            "strace saw: $(lab_strace_grep dispatch_traced '^([0-9]+ +)?mq_open\(' | head -n 1)" \
            "§2: check every argument before mq_open(), then exit 2" || return
    # Names of 255 characters after the '/' (NAME_MAX) and of 256, made from the test's own.
    local long255 long256
    long255=$Q$(printf "%$((256 - ${#Q}))s" "" | tr ' ' x)
    long256=${long255}y
    assert_usage_error_argv dispatch_long "$usage" "$DISPATCH" -q "$long256" -n 0 || return
    lab_run dispatch_255 -- "$DISPATCH" -q "$long255" -n 0
    lab_assert_exit dispatch_255 0 \
        "§3: a name of 255 characters after the '/' is accepted (NAME_MAX counts the characters after the '/'): mq_dispatch -q /x...x (255 x) -n 0" ||
        return
    lab_assert_stderr_line dispatch0 \
        "mq_dispatch: invalid queue name 'ipclab-jobs': it must start with '/', then 1 to 255 characters, none of them '/'" \
        "§2 and §3 (queue names)" || return
    local -a wbad=("-q jobs" "-q $Q -t 0" "-q $Q -t 1s" "-q $Q -i x" "-q $Q -x" "-q $Q extra" "-t" "-q $Q -t 600001"
        "-q $Q -i 1000000" "-q /a/b")
    usage="usage: mq_worker [-q NAME] [-t TIMEOUT_MS] [-i ID]"
    for i in "${!wbad[@]}"; do
        assert_usage_error "worker$i" "$usage" "$WORKER" "${wbad[$i]}" || return
    done
    assert_usage_error_argv worker_empty "$usage" "$WORKER" -q "$Q" -t "" || return
    assert_usage_error_argv worker_long "$usage" "$WORKER" -q "$long256" || return
    lab_assert_stderr_line worker0 \
        "mq_worker: invalid queue name 'jobs': it must start with '/', then 1 to 255 characters, none of them '/'" \
        "§2 and §3 (queue names)" || return
    # The ends of each range of §2 are accepted, not usage errors. The
    # dispatcher's are seen through the errors they lead to, at once: -n
    # 1000000 -m 16 -l 16 --nonblock puts 10 jobs of exactly 16 bytes (as
    # large as mq_msgsize) in the queue and gives up at job 11 (EAGAIN); -m
    # 8192 -l 65536 makes job 1 too large (EMSGSIZE). The worker's, with no
    # queue: exit 1, "no queue".
    lab_run lowest -- "$DISPATCH" -q "$Q" -n 1000000 -m 16 -l 16 --nonblock
    lab_assert_stderr_line lowest "mq_dispatch: queue $Q is full (mq_maxmsg 10): job 11 not sent, giving up (--nonblock)" \
        "§2: -n 1000000, -m 16 and -l 16 are accepted (0 to 1000000, 16 to 8192, 16 to 65536), and a job of exactly mq_msgsize bytes fits (§4: only a larger one fails with EMSGSIZE); §4 (--nonblock)" ||
        return
    lab_assert_exit lowest 1 "§4 and §8: a full queue with --nonblock" || return
    lab_run highest -- "$DISPATCH" -q "$Q" -n 1 -m 8192 -l 65536
    lab_assert_stderr_line highest "mq_dispatch: job 1 is 65536 bytes, more than the queue's mq_msgsize (8192): not sent" \
        "§2: -m 8192 and -l 65536 are accepted (16 to 8192, 16 to 65536); §4 (EMSGSIZE)" || return
    lab_assert_exit highest 1 "§4 and §8: EMSGSIZE" || return
    local wargs
    for wargs in "-t 1 -i 0" "-t 600000 -i 999999"; do
        lab_run "wbound${wargs// /}" -- "$WORKER" -q "$Q" $wargs
        lab_assert_stderr_line "wbound${wargs// /}" "mq_worker: no queue $Q: start mq_dispatch first" \
            "§2: mq_worker $wargs is accepted (-t 1 to 600000, -i 0 to 999999); §6: with no queue, the line of ENOENT" ||
            return
        lab_assert_exit "wbound${wargs// /}" 1 "§6 and §8: no queue" || return
    done
    lab_assert_no_new_ipc "no queue left by bad arguments or the errors above" "§2: check the arguments before mq_open(); §3: every way out removes the queue"
}

# no_ready_line NAME WHY: the dispatcher NAME, whose mq_open() failed (WHY),
# never said its queue was ready (§5: that line comes once mq_open() has
# succeeded; the grader starts the workers on it).
no_ready_line() {
    ! grep -q "^mq_dispatch: queue $Q ready" "$LAB_RUN/$1.err" ||
        lab_fail "no line \"mq_dispatch: queue $Q ready ...\" from a dispatcher whose queue was never made: $2" \
            "it wrote: $(grep -m 1 "^mq_dispatch: queue $Q ready" "$LAB_RUN/$1.err")" \
            "§5 (readiness): the line comes right after mq_open() succeeds, not before the call; the grader starts the workers once it has seen it" \
            "$(lab_show_output "$1")"
}

# points: 5
@test "clear messages: a job larger than mq_msgsize, a queue that exists, a worker with no queue" {
    lab_run big -- "$DISPATCH" -q "$Q" -n 3 -l 300
    lab_assert_exit big 1 "§4: mq_send() fails with EMSGSIZE" || return
    lab_assert_stderr_line big "mq_dispatch: job 1 is 300 bytes, more than the queue's mq_msgsize (256): not sent" \
        "§4 (EMSGSIZE)" || return
    lab_assert_no_new_ipc "no queue left after EMSGSIZE" "§3: every way out removes the queue" || return

    lab_run lonely -- "$WORKER" -q "$Q"
    lab_assert_exit lonely 1 "§6: a worker never creates the queue" || return
    lab_assert_stderr_line lonely "mq_worker: no queue $Q: start mq_dispatch first" "§6 (ENOENT)" || return
    lab_assert_no_new_ipc "no queue created by a worker" "§6: mq_open() without O_CREAT in the worker" || return

    start_dispatch first -n 2 || return
    wait_all_sent first || return
    lab_run second -- "$DISPATCH" -q "$Q" -n 2
    lab_assert_exit second 1 "§3: O_EXCL: a queue that exists belongs to another dispatcher" || return
    lab_assert_stderr_line second \
        "mq_dispatch: queue $Q exists already: another dispatcher is running, or a killed one left it (remove it with: rm /dev/mqueue$Q)" \
        "§3 and §8" || return
    no_ready_line second "its mq_open() failed with EEXIST" || return
    [[ -z $LAB_MQUEUE_DIR || -e $LAB_MQUEUE_DIR$Q ]] ||
        lab_fail "the first dispatcher's queue still there" "the second dispatcher removed it" \
            "§3: a dispatcher that did not create the queue must not remove it" || return
    lab_spawn worker -- "$WORKER" -q "$Q" -t "$(timeout_ms 300)"
    finish_dispatch first 2 || return

    # The system's limits, hard to reach on purpose: strace makes mq_open()
    # fail with ENOSPC (queues_max) and EINVAL (msg_max, msgsize_max) (§8).
    lab_run nospc --inject 'mq_open:error=ENOSPC:when=1' -- "$DISPATCH" -q "$Q" -n 1 -m 512
    lab_assert_exit nospc 1 "§8: mq_open() fails with ENOSPC" || return
    lab_assert_stderr_line nospc \
        "mq_dispatch: cannot create queue $Q: the system-wide limit on the number of queues is reached (/proc/sys/fs/mqueue/queues_max)" \
        "§8 (the table of errors: ENOSPC)" || return
    no_ready_line nospc "its mq_open() failed with ENOSPC" || return
    lab_run inval --inject 'mq_open:error=EINVAL:when=1' -- "$DISPATCH" -q "$Q" -n 1 -m 512
    lab_assert_exit inval 1 "§8: mq_open() fails with EINVAL" || return
    lab_assert_stderr_line inval \
        "mq_dispatch: cannot create queue $Q: the system refuses mq_maxmsg 10 or mq_msgsize 512 (/proc/sys/fs/mqueue/msg_max and msgsize_max)" \
        "§8 (the table of errors: EINVAL)" || return
    no_ready_line inval "its mq_open() failed with EINVAL" || return
    lab_assert_no_new_ipc "no queue after a refused mq_open()" "§3"
}

# assert_syserr NAME PROGRAM CALLS ERROR LOOK_AT: NAME exited 1 with the line
# "PROGRAM: CALL: ERROR" on stderr, CALL one of CALLS (an ERE: the library
# function or the system call strace made fail).
assert_syserr() {
    local name=$1
    lab_assert_finished "$name" "$2 to give up when $3 fails with \"$4\"" "$5" || return
    lab_assert_exit "$name" 1 "$5: any other failure exits 1" || return
    grep -qxE -- "$2: ($3): $4" "$LAB_RUN/$name.err" ||
        lab_fail "the line \"$2: CALL: $4\" on stderr, CALL the call that failed ($3)" "no such line" \
            "$5 (the last row of the table of errors: PROGRAM: CALL: strerror text)" "$(lab_show_output "$name")"
}

# points: 5
@test "a call that fails (mq_send, mq_getattr, mq_timedreceive): PROGRAM: CALL: its error, exit 1, the queue removed" {
    # strace makes one call fail, with an error none of the messages of §8 is for.
    lab_run send --wait 5 --inject 'mq_timedsend:error=EIO:when=1' -- "$DISPATCH" -q "$Q" -n 1 -p 1
    assert_syserr send mq_dispatch 'mq_send|mq_timedsend' 'Input/output error' "§8" || return
    lab_assert_no_new_ipc "no queue left after mq_send() failed" \
        "§3: every way the dispatcher ends after mq_open() removes the queue" || return

    # mq_getattr() fails while the dispatcher waits for the 2 jobs to be taken.
    lab_run attr --wait 5 --inject 'mq_getsetattr:error=EIO:when=2' -- "$DISPATCH" -q "$Q" -n 2 -p 1
    assert_syserr attr mq_dispatch 'mq_getattr|mq_getsetattr' 'Input/output error' "§4 and §8" || return
    lab_assert_no_new_ipc "no queue left after mq_getattr() failed" \
        "§3: every way the dispatcher ends after mq_open() removes the queue" || return

    # The worker's second mq_timedreceive() fails: job 1 done, then an error, not a timeout.
    start_dispatch dispatch -n 3 -p 1 || return
    wait_all_sent dispatch || return
    lab_run broken --wait 5 --inject 'mq_timedreceive:error=EBADF:when=2' -- "$WORKER" -q "$Q" -t "$(timeout_ms 1000)" -i 4
    assert_syserr broken mq_worker 'mq_timedreceive|mq_receive' 'Bad file descriptor' "§6 and §8" || return
    grep -qE '^worker 4 pid [0-9]+ job 1 priority 0$' "$LAB_RUN/broken.out" ||
        lab_fail "the line \"worker 4 pid P job 1 priority 0\" on stdout, for the job taken before the failure" \
            "no such line" "§6" "$(lab_show_output broken out)" || return
    lab_spawn worker -- "$WORKER" -q "$Q" -t "$(timeout_ms 300)" -i 5
    finish_dispatch dispatch 3 || return

    # The queue removed by hand while the dispatcher waits for its workers;
    # a worker, stopped by strace as its first mq_timedreceive() returns
    # (job 2 still waits), has it open and then takes job 2. The
    # dispatcher's mq_unlink() fails (ENOENT):
    # "mq_dispatch: mq_unlink: No such file or directory", exit 1, and no line
    # saying the queue was removed (§5, §8: every call is checked).
    # (Without a mounted /dev/mqueue the grader cannot remove the queue
    # behind the dispatcher's back: the rest of this test is then not run.)
    [[ -n $LAB_MQUEUE_DIR ]] || return 0
    local pid
    start_dispatch gone -n 2 -p 1 || return
    wait_all_sent gone || return
    lab_spawn wgone --inject 'mq_timedreceive:signal=SIGSTOP:when=1' -- "$WORKER" -q "$Q" -t "$(timeout_ms 300)" -i 6
    pid=$(lab_pid wgone) && lab_wait_while_running wgone 5 worker_stopped "$pid" ||
        lab_fail "mq_worker stopped at its first mq_timedreceive() (where the grader stops it)" "$(lab_describe wgone)" \
            "§6" "$(lab_show_output wgone)" || return
    rm -f -- "$LAB_MQUEUE_DIR$Q"
    lab_signal wgone CONT
    lab_wait_exit gone 10 ||
        lab_fail "mq_dispatch to end soon after the worker took the last job" "$(lab_describe gone)" \
            "§4: wait until mq_curmsgs is 0 (the descriptor still works once the name is gone)" "$(lab_show_output gone)" ||
        return
    assert_syserr gone mq_dispatch 'mq_unlink' 'No such file or directory' \
        "§8 (the queue was removed by hand while the dispatcher waited: its mq_unlink() fails with ENOENT)" || return
    ! grep -q "jobs taken: queue $Q removed" "$LAB_RUN/gone.err" ||
        lab_fail "no line saying the queue was removed: mq_unlink() failed" \
            "$(grep "jobs taken: queue" "$LAB_RUN/gone.err" | head -n 1)" \
            "§5: the end line comes after mq_unlink() has removed the queue, never when it failed" || return
    finish_worker wgone 6 2 "$(timeout_ms 300)"
}

# points: 5
@test "queue memory limit reached (ulimit -q): a clear message, exit 1" {
    # 10 messages of 256 bytes need more than 2000 bytes of RLIMIT_MSGQUEUE.
    lab_run limited -- bash -c 'ulimit -q 2000 && exec "$@"' _ "$DISPATCH" -q "$Q" -n 1
    lab_assert_exit limited 1 "§8: mq_open() fails with EMFILE" || return
    lab_assert_stderr_line limited \
        "mq_dispatch: cannot create queue $Q: the per-user limit on queue memory (RLIMIT_MSGQUEUE, ulimit -q) is too small for 10 messages of 256 bytes, or too many descriptors are open" \
        "§8 (the table of errors)" || return
    lab_assert_no_new_ipc "no queue" "§3" || return
    # M is MSGSIZE: 10 messages of 512 bytes need more than 2000 bytes too.
    lab_run limited512 -- bash -c 'ulimit -q 2000 && exec "$@"' _ "$DISPATCH" -q "$Q" -n 1 -m 512
    lab_assert_exit limited512 1 "§8: mq_open() fails with EMFILE (-m 512 under ulimit -q 2000)" || return
    lab_assert_stderr_line limited512 \
        "mq_dispatch: cannot create queue $Q: the per-user limit on queue memory (RLIMIT_MSGQUEUE, ulimit -q) is too small for 10 messages of 512 bytes, or too many descriptors are open" \
        "§8 (the table of errors): M is the MSGSIZE asked for (-m 512)" || return
    lab_assert_no_new_ipc "no queue" "§3"
}

# points: 5
@test "valgrind: no memory error, no leak, no descriptor left open (dispatcher and worker)" {
    local t
    t=$(timeout_ms 300)
    # Messages exactly as long as mq_msgsize (-m 100 -l 100): the worker's
    # buffer is full, with no room for a '\0' at buf[n] (§6).
    lab_spawn dispatch --valgrind -- "$DISPATCH" -q "$Q" -n 5 -m 100 -l 100
    wait_all_sent dispatch || return
    lab_spawn worker --valgrind -- "$WORKER" -q "$Q" -t "$t" -i 3
    finish_worker worker 3 5 "$t" || return
    finish_dispatch dispatch 5 || return
    lab_assert_valgrind_clean dispatch "§9: free what you allocate" || return
    lab_assert_valgrind_clean worker \
        "§9: free the receive buffer; §6: a message of mq_msgsize bytes fills it, so buf[n] is past its end" || return
    lab_assert_valgrind_fds dispatch "§9: mq_close() the queue (a queue descriptor is a file descriptor)" || return
    lab_assert_valgrind_fds worker "§9: mq_close() the queue" || return
    # An error path (EMSGSIZE) frees and closes as well (§9: when either program exits).
    lab_run big --valgrind -- "$DISPATCH" -q "$Q" -n 2 -l 300
    lab_assert_exit big 1 "§4: mq_send() fails with EMSGSIZE" || return
    lab_assert_valgrind_clean big "§9: free the job buffer on the way out after an error too" || return
    lab_assert_valgrind_fds big "§9: mq_close() the queue after an error too" || return
    # And the full queue of --nonblock (EAGAIN).
    lab_run full --valgrind -- "$DISPATCH" -q "$Q" -n 12 --nonblock
    lab_assert_exit full 1 "§4: mq_send() fails with EAGAIN (--nonblock)" || return
    lab_assert_valgrind_clean full "§9: free the job buffer on the way out after EAGAIN too" || return
    lab_assert_valgrind_fds full "§9: mq_close() the queue after EAGAIN too" || return
    # And the paths of a call that fails (§8), made to fail by strace: the
    # dispatcher's mq_getattr() while it waits for the workers (EIO), then a
    # worker's second mq_timedreceive() (EBADF).
    lab_run attr --valgrind --inject 'mq_getsetattr:error=EIO:when=2' -- "$DISPATCH" -q "$Q" -n 2 -p 1
    lab_assert_exit attr 1 "§8: mq_getattr() fails with EIO (strace makes it fail)" || return
    lab_assert_valgrind_clean attr "§9: free what you allocate on the way out after a failed mq_getattr() too" || return
    lab_assert_valgrind_fds attr "§9: mq_close() the queue after a failed mq_getattr() too (every way out)" || return
    lab_assert_no_new_ipc "no queue left after mq_getattr() failed" "§3: every way the dispatcher ends removes the queue" ||
        return
    start_dispatch second -n 3 -p 1 || return
    wait_all_sent second || return
    lab_run broken --valgrind --inject 'mq_timedreceive:error=EBADF:when=2' -- "$WORKER" -q "$Q" -t "$t" -i 4
    lab_assert_exit broken 1 "§8: the worker's second mq_timedreceive() fails with EBADF (strace makes it fail)" || return
    lab_assert_valgrind_clean broken "§9: free the receive buffer after a failed mq_timedreceive() too" || return
    lab_assert_valgrind_fds broken "§9: mq_close() the queue after a failed mq_timedreceive() too (every way out)" || return
    lab_spawn rest -- "$WORKER" -q "$Q" -t "$t" -i 5
    finish_dispatch second 3 || return
    # And SIGTERM while it waits for the workers (§7: closed and removed on that way out too).
    lab_spawn term --valgrind -- "$DISPATCH" -q "$Q" -n 2 -p 1
    wait_all_sent term || return
    lab_signal term TERM
    lab_wait_exit term 10 ||
        lab_fail "mq_dispatch (under valgrind) to end soon after SIGTERM while it waits for the workers" \
            "$(lab_describe term)" "§7" "$(lab_show_output term)" || return
    lab_assert_exit term 143 "§7: 128 + 15 after SIGTERM" || return
    lab_assert_valgrind_clean term "§9: free what you allocate on the way out after SIGTERM too" || return
    lab_assert_valgrind_fds term "§9: mq_close() the queue after SIGTERM too (§3: every way the dispatcher ends closes its descriptor)" ||
        return
    lab_assert_no_new_ipc "no queue left after SIGTERM" "§7"
}
