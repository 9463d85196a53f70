#!/usr/bin/env bats
# 02-task-pool: a parent dispatches tasks to a pool of workers, one pipe each.
# Statement: exercises/02-task-pool/README.md (the § numbers below are its sections).
#
# programs: task_pool
# valgrind-factor: 4.2   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

POOL=$LAB_BIN/task_pool

# ---- helpers of this file ---------------------------------------------------

# pool_expected N W SEED EVERY OUT: the log lines §3 and §4 give for a
# generated run, without the pids ("worker K task T code C result R"), sorted by
# task; the invalid tasks go to OUT.invalid as "worker K task T: invalid code C".
# The generator is replayed in awk: every step is exact in a double.
pool_expected() {
    awk -v n="$1" -v w="$2" -v seed="$3" -v every="$4" -v inv="$5.invalid" '
        function result(c, t,   s) {
            if (c == 0) return sprintf("%.0f", t * t)
            if (c == 1) return sprintf("%.0f", t * (t + 1) / 2)
            s = 0
            if (c == 2) { for (; t > 0; t = int(t / 10)) s += t % 10; return s }
            for (; t > 0; t = int(t / 2)) s += t % 2
            return s
        }
        BEGIN {
            x = seed % 65537
            printf "" >inv
            for (i = 0; i < n; i++) {
                x = (75 * x + 74) % 65537
                if (every > 0 && (i + 1) % every == 0)
                    printf "worker %d task %d: invalid code %d\n", i % w, i, 4 + x >inv
                else
                    printf "worker %d task %d code %d result %s\n", i % w, i, x % 4, result(x % 4, i)
            }
        }' >"$5"
}

# pool_line W T C: the expected log line (without pid) of task T, code C, on worker W.
pool_line() {
    awk -v w="$1" -v t="$2" -v c="$3" 'BEGIN {
        if (c == 0) r = sprintf("%.0f", t * t)
        else if (c == 1) r = sprintf("%.0f", t * (t + 1) / 2)
        else if (c == 2) { r = 0; for (u = t; u > 0; u = int(u / 10)) r += u % 10 }
        else { r = 0; for (u = t; u > 0; u = int(u / 2)) r += u % 2 }
        printf "worker %d task %d code %d result %s\n", w, t, c, r }'
}

# pool_log NAME: NAME's stdout without the pids, sorted by task number.
pool_log() {
    sed -E 's/^(worker [0-9]+) pid [0-9]+ /\1 /' "$LAB_RUN/$1.out" | sort -t ' ' -k4,4n -k1,1
}

# pool_invalid NAME: NAME's reports of invalid codes, without the pids, sorted.
pool_invalid() {
    sed -nE 's/^task_pool: (worker [0-9]+) pid [0-9]+ (task [0-9]+: invalid code [0-9]+)$/\1 \2/p' \
        "$LAB_RUN/$1.err" | sort -t ' ' -k4,4n
}

# pool_stderr_cut_writes NAME: the write()s to stderr, in NAME's strace log
# (lab_spawn --strace write), whose bytes do not end with a newline: at
# most three, as strace shows them.  strace shows 96 bytes of a write (-s
# 96, see trace.bash), which a report line fits in; a longer write, its end
# not shown, is not judged.
pool_stderr_cut_writes() {
    lab_strace_grep "$1" '(^|[0-9] +)write\(2, "' |
        grep -vE 'write\(2, "([^"\\]|\\.)*\\n"(, [0-9]+| *<unfinished)|write\(2, "([^"\\]|\\.)*"\.\.\.' |
        head -n 3
}

# pool_assert_log NAME EXPECTED_FILE WHAT LOOK_AT: the log (pids left out,
# sorted by task) is EXPECTED_FILE.
pool_assert_log() {
    local name=$1 expected=$2 actual="$LAB_RUN/$1.log"
    pool_log "$name" >"$actual"
    cmp -s -- "$expected" "$actual" && return 0
    lab_fail "$3" "the log lines of $name differ (sorted by task, pids left out; $(lab_describe "$name"))" "$4" \
        "$(lab_first_difference "$expected" "$actual")" "$(lab_show_output "$name" out)" "$(lab_show_output "$name")"
}

# pool_assert_pids NAME W LOOK_AT: W workers, each with one pid of its own,
# none of them the parent's.
pool_assert_pids() {
    local name=$1 w=$2 parent bad
    parent=$(lab_field "$name" pid)
    bad=$(awk -v w="$w" -v parent="$parent" '
        $1 == "worker" && $3 == "pid" {
            if ($4 == parent) { print "worker " $2 " logged the pid of the parent (" parent ")"; exit }
            if ($2 in pid && pid[$2] != $4) { print "worker " $2 " logged with two pids: " pid[$2] " and " $4; exit }
            if ($4 in idx && idx[$4] != $2) { print "pid " $4 " logged as worker " idx[$4] " and as worker " $2; exit }
            pid[$2] = $4; idx[$4] = $2
        }
        END { for (k = 0; k < w; k++) if (!(k in pid)) { print "worker " k " logged nothing"; exit } }' \
        "$LAB_RUN/$name.out")
    [[ -z $bad ]] && return 0
    lab_fail "each worker K (0 to $((w - 1))) to log its own pid, the pid of a child of the parent" "$bad" "$3" \
        "$(lab_show_output "$name" out)"
}

# pool_worker_pid NAME K: the pid worker K logged.
pool_worker_pid() {
    awk -v k="$2" '$1 == "worker" && $2 == k && $3 == "pid" { print $4; exit }' "$LAB_RUN/$1.out"
}

# pool_summary N W R D: the parent's last line (§7).
pool_summary() {
    echo "task_pool: dispatched $1 tasks to $2 workers, $3 redispatched, $4 died"
}

# pool_input_raw NAME TEXT: writes TEXT as it is, no newline added, to NAME's
# stdin pipe (lab_spawn --in-pipe): a line in pieces.  As lab_input, in a
# subshell that ignores SIGPIPE.
pool_input_raw() {
    local fd=${LAB_INPUT_FD[$1]:-}
    [[ -n $fd ]] || { echo "pool_input_raw: $1 was not spawned with --in-pipe" >&2; return 2; }
    (
        trap '' PIPE
        printf '%s' "$2" >&"$fd"
    ) 2>/dev/null && return 0
    lab_fail "$1 to read its standard input (the grader writes to it)" "nobody reads it any more: $(lab_describe "$1")"
}

# pool_first_tasks NAME N: writes N tasks of code 0 to NAME (spawned with
# --in-pipe) and waits for their N log lines.
pool_first_tasks() {
    local name=$1 n=$2 codes
    mapfile -t codes < <(yes 0 | head -n "$n")
    lab_input "$name" "${codes[@]}"
    lab_wait_lines "$name" "$n" 5 ||
        lab_fail "$n log lines soon after $n tasks were written" "$(lab_describe "$name")" "§5, §6" \
            "$(lab_show_output "$name" out)" "$(lab_show_output "$name")"
}

# pool_write_ends PID: how many descriptors PID holds besides 0, 1 and 2,
# and how many of them are write ends of pipes ("N W").
pool_write_ends() {
    local report
    report=$(lab_fds "$1")
    echo "$(grep -c . <<<"$report") $(grep -cE '^[0-9]+ w pipe:' <<<"$report")"
}

# pool_holds PID N: PID holds N write ends of pipes and nothing else above 2.
pool_holds() {
    [[ $(pool_write_ends "$1") == "$2 $2" ]]
}

# pool_show_fds PID: PID's descriptors above 2, for a failure report.
pool_show_fds() {
    lab_fds "$1" | sed 's/^/        fd /'
}

# pool_blocked_in_wait PID: PID sleeps in waitpid() (wait4).
pool_blocked_in_wait() {
    lab_blocked_in "$1" '*do_wait*' 61
}

# pool_sigchld_taken CHILD PARENT: CHILD has ended (a zombie, or gone) and
# PARENT has no signal pending: its SIGCHLD handler has run (or PARENT has
# ended).
pool_sigchld_taken() {
    lab_proc_state "$1" Z
    (($? == 1)) && return 1
    lab_no_signal_pending "$2"
    (($? != 1))
}

assert_pool_ended() {
    lab_assert_finished "$1" "task_pool to finish once every task is dispatched" \
        "§7: close worker K's pipe, then wait for worker K; a worker ends when read() returns 0 (hint 3)"
}

# ---- the tests ----------------------------------------------------------------

# pool_two_stopped [lab_spawn options]: starts "pool", task_pool -w 2 -
# reading a pipe, waits for its first two tasks, then stops both workers;
# sets the caller's w0, w1 (the workers' pids) and parent.
pool_two_stopped() {
    lab_spawn pool --in-pipe "$@" -- "$POOL" -w 2 - || return
    pool_first_tasks pool 2 || return
    w0=$(pool_worker_pid pool 0) w1=$(pool_worker_pid pool 1) parent=$(lab_pid pool)
    lab_signal_pid "$w0" STOP "worker 0" "§4"
    lab_signal_pid "$w1" STOP "worker 1" "§4"
}

# points: 5
@test "every task runs exactly once, on worker T mod W, with the right result" {
    pool_expected 1000 4 7 0 "$BATS_TEST_TMPDIR/expected"
    lab_run pool -- "$POOL" -w 4 -n 1000 -s 7
    assert_pool_ended pool || return
    pool_assert_log pool "$BATS_TEST_TMPDIR/expected" \
        "1000 lines \"worker K pid P task T code C result R\", task T on worker T mod 4, each exactly once" \
        "§3 (the codes), §4 (the table and the log line), §5 (round-robin)" || return
    pool_assert_pids pool 4 "§4: P is getpid() of the worker that ran the task" || return
    lab_assert_stderr_line pool "$(pool_summary 1000 4 0 0)" "§7 (the summary)" || return
    lab_assert_exit pool 0 "§9"
}

# points: 5
@test "the seed decides the codes; the defaults are 4 workers, 20 tasks, seed 1" {
    pool_expected 20 4 1 0 "$BATS_TEST_TMPDIR/defaults"
    lab_run defaults -- "$POOL"
    assert_pool_ended defaults || return
    pool_assert_log defaults "$BATS_TEST_TMPDIR/defaults" \
        "without options: tasks 0 to 19 from seed 1, on 4 workers" "§2 (defaults) and §3 (the generator)" || return

    pool_expected 50 3 4294967295 0 "$BATS_TEST_TMPDIR/seeded"
    lab_run seeded -- "$POOL" -s 4294967295 -n 50 -w 3
    assert_pool_ended seeded || return
    pool_assert_log seeded "$BATS_TEST_TMPDIR/seeded" \
        "-s 4294967295 -n 50 -w 3: the codes of §3's generator from that seed" \
        "§3: x starts at SEED mod 65537; every step x = (75 x + 74) mod 65537 comes before the code"
}

# points: 5
@test "tasks from standard input run as soon as their line arrives" {
    lab_spawn pool --in-pipe --strace read -- "$POOL" -w 3 -
    local -a codes=(1 3 0 2 1) expected=()
    local t
    for t in "${!codes[@]}"; do
        lab_input pool "${codes[$t]}"
        lab_wait_output pool "^worker $((t % 3)) pid [0-9]+ task $t code ${codes[$t]} " 5 ||
            lab_fail "the log line of task $t (code ${codes[$t]}, worker $((t % 3))) soon after its line was written, before standard input ends" \
                "$(lab_describe pool)" \
                "§6: dispatch each line as soon as it is read; a worker writes its log before it waits again (§4)" \
                "$(lab_show_output pool out)" "$(lab_show_output pool)" || return
        expected+=("$(pool_line $((t % 3)) "$t" "${codes[$t]}")")
    done
    # A line in two pieces: "x" alone, which the parent reads (strace sees
    # it, as "read(0, ..." or, the call shown in two parts, as its "<...
    # read resumed>"), then "1" and the newline. One bad line "x1", line 6:
    # no task.
    pool_input_raw pool x || return
    lab_wait_until "$(lab_seconds 5)" lab_strace_grep pool '^[0-9]+ +(read\(0, |<\.\.\. read resumed>)"x", [0-9]+\) += 1$' >/dev/null ||
        lab_fail "the parent to read the piece \"x\" (no newline yet) from standard input" "$(lab_describe pool)" \
            "§6: read standard input with read(2)" "$(lab_show_output pool)" || return
    lab_input pool 1
    lab_wait_output pool "^task_pool: line 6: bad task code 'x1'$" 5 err ||
        lab_fail "the pieces \"x\" then \"1\" read apart to be one bad line \"x1\", reported as \"task_pool: line 6: bad task code 'x1'\"" \
            "no such line: $(lab_describe pool)" \
            "§6: a line ends at its newline only, whatever pieces read() returns it in: keep the start of a line for the next read()" \
            "$(lab_show_output pool out)" "$(lab_show_output pool)" || return
    lab_wait_exit pool 5 || true
    assert_pool_ended pool || return
    printf '%s\n' "${expected[@]}" >"$BATS_TEST_TMPDIR/expected"
    pool_assert_log pool "$BATS_TEST_TMPDIR/expected" "exactly the 5 log lines (line 6, \"x1\", is no task)" "§4, §6" || return
    lab_assert_stderr_line pool "$(pool_summary 5 3 0 0)" "§7 (the summary)" || return
    lab_assert_exit pool 0 "§9"
}

# points: 5
@test "invalid task codes are reported, not run, and the pool keeps going" {
    # From standard input: tasks 1, 3 and 5 are invalid (4 is the first code
    # past the table).
    printf '%s\n' 0 4 1 4294967295 2 99 3 >"$BATS_TEST_TMPDIR/codes.txt"
    lab_run stdin --in "$BATS_TEST_TMPDIR/codes.txt" --strace write -- "$POOL" -w 3 -
    lab_assert_finished stdin "task_pool to finish in spite of the invalid codes" \
        "§4: a worker checks the code against the size of the table before it calls anything (hint 4)" || return
    # Whole lines on stderr too: each write(2, ...) that strace saw ends
    # with its newline.  Checked first: a report written in pieces mixes
    # with the others' and garbles the reports checked below.
    local cut
    cut=$(pool_stderr_cut_writes stdin)
    [[ -z $cut ]] ||
        lab_fail "every write() to stderr to hold whole lines (a report in one write(), its newline included)" \
            "strace saw a write() to stderr that ends inside a line:" \
            "§4 (whole lines): build the line, then write it at once" "$cut" || return
    {
        pool_line 0 0 0
        pool_line 2 2 1
        pool_line 1 4 2
        pool_line 0 6 3
    } >"$BATS_TEST_TMPDIR/valid"
    pool_assert_log stdin "$BATS_TEST_TMPDIR/valid" \
        "the 4 valid tasks (0, 2, 4, 6) logged, and nothing for the invalid ones" \
        "§4: an invalid code is reported on stderr, not logged on stdout" || return
    printf '%s\n' "worker 1 task 1: invalid code 4" "worker 0 task 3: invalid code 4294967295" \
        "worker 2 task 5: invalid code 99" >"$BATS_TEST_TMPDIR/invalid"
    pool_invalid stdin >"$LAB_RUN/stdin.invalid"
    cmp -s "$BATS_TEST_TMPDIR/invalid" "$LAB_RUN/stdin.invalid" ||
        lab_fail "one line \"task_pool: worker K pid P task T: invalid code C\" on stderr for each of the tasks 1, 3 and 5" \
            "other reports ($(lab_describe stdin))" "§4 (the report)" \
            "$(lab_first_difference "$BATS_TEST_TMPDIR/invalid" "$LAB_RUN/stdin.invalid")" \
            "$(lab_show_output stdin)" || return
    lab_assert_stderr_line stdin "$(pool_summary 7 3 0 0)" "§7: invalid tasks are dispatched like the others" || return
    lab_assert_exit stdin 0 "§9: invalid codes do not change the exit status" || return

    # Generated: every 3rd task is invalid.
    pool_expected 30 4 5 3 "$BATS_TEST_TMPDIR/gen"
    lab_run gen -- "$POOL" -w 4 -n 30 -s 5 -i 3
    lab_assert_finished gen "task_pool -i 3 to finish" "§4 (hint 4)" || return
    pool_assert_log gen "$BATS_TEST_TMPDIR/gen" "the 20 valid tasks of -n 30 -s 5 -i 3 logged" \
        "§3: task T is invalid when (T + 1) mod INVALID_EVERY is 0, with the code 4 + x" || return
    pool_invalid gen >"$LAB_RUN/gen.invalid"
    cmp -s "$BATS_TEST_TMPDIR/gen.invalid" "$LAB_RUN/gen.invalid" ||
        lab_fail "the 10 invalid tasks of -n 30 -s 5 -i 3 reported on stderr" "other reports" "§3 and §4" \
            "$(lab_first_difference "$BATS_TEST_TMPDIR/gen.invalid" "$LAB_RUN/gen.invalid")" \
            "$(lab_show_output gen)" || return
    lab_assert_exit gen 0 "§9"
}

# points: 5
@test "bad lines on standard input are reported and skipped" {
    # Leading zeros are digits too (line 8 is the code 3); a NUL byte is not
    # (line 9: the line is judged by its length, not as a C string).
    printf '1\nabc\n\n-1\n4294967296\n 2\n3x\n00000000003\n1\0junk\n2' >"$BATS_TEST_TMPDIR/lines.txt"
    lab_run pool --in "$BATS_TEST_TMPDIR/lines.txt" -- "$POOL" -w 2 -
    assert_pool_ended pool || return
    { pool_line 0 0 1; pool_line 1 1 3; pool_line 0 2 2; } >"$BATS_TEST_TMPDIR/expected"
    pool_assert_log pool "$BATS_TEST_TMPDIR/expected" \
        "only the lines \"1\", \"00000000003\" and the last \"2\" (no newline) are tasks: 0, 1 and 2" \
        "§6: digits only, leading zeros too, and nothing else on the line (not even a NUL byte); a bad line is not a task and takes no task number" ||
        return
    local line
    for line in "line 2: bad task code 'abc'" "line 3: bad task code ''" "line 4: bad task code '-1'" \
        "line 5: bad task code '4294967296'" "line 6: bad task code ' 2'" "line 7: bad task code '3x'"; do
        lab_assert_stderr_line pool "task_pool: $line" "§6 (bad lines)" || return
    done
    grep -aq "^task_pool: line 9: bad task code '" "$LAB_RUN/pool.err" ||
        lab_fail "a line \"task_pool: line 9: bad task code '...'\" for the line 1, NUL, junk" "no such line" \
            "§6 (bad lines: a NUL byte is not a digit)" "$(lab_show_output pool)" || return
    lab_assert_exit pool 0 "§9" || return

    # A line of 200 digits is one bad line, however the parent buffers it:
    # cut into pieces, its last 8 digits would be a task of their own.  The
    # bound is 64 bytes: 63 zeros and a 3 (line 3) are the code 3, 64 zeros
    # and a 3 (line 4, 65 bytes) a bad line.
    local zeros63
    zeros63=$(printf '0%.0s' {1..63})
    { printf '3%.0s' {1..200}; printf '\n2\n%s3\n0%s3\n' "$zeros63" "$zeros63"; } >"$BATS_TEST_TMPDIR/long.txt"
    lab_run long --in "$BATS_TEST_TMPDIR/long.txt" -- "$POOL" -w 2 -
    assert_pool_ended long || return
    { pool_line 0 0 2; pool_line 1 1 3; } >"$BATS_TEST_TMPDIR/long.expected"
    pool_assert_log long "$BATS_TEST_TMPDIR/long.expected" \
        "two tasks: the line \"2\" after a line of 200 digits (a bad line, one only), and the line of 64 bytes, 63 zeros and a 3" \
        "§6: a line ends at its newline only; a line of up to 64 bytes is judged by its digits, a longer one is one bad line (its TEXT may be cut)" || return
    local reports
    reports=$(grep -ac '^task_pool: line 1: bad task code' "$LAB_RUN/long.err")
    ((reports == 1)) ||
        lab_fail "one \"task_pool: line 1: bad task code '333...'\" line for the line of 200 digits" \
            "$reports such lines" "§6 (bad lines)" "$(lab_show_output long)" || return
    grep -aq "^task_pool: line 1: bad task code '3333" "$LAB_RUN/long.err" ||
        lab_fail "the line \"task_pool: line 1: bad task code '333...'\" on stderr" "no such line" "§6 (bad lines)" \
            "$(lab_show_output long)" || return
    grep -aq "^task_pool: line 4: bad task code '0000" "$LAB_RUN/long.err" ||
        lab_fail "the line \"task_pool: line 4: bad task code '000...'\" on stderr for 64 zeros and a 3 (65 bytes)" \
            "no such line" "§6 (bad lines: over 64 bytes)" "$(lab_show_output long)" || return
    reports=$(grep -ac 'bad task code' "$LAB_RUN/long.err")
    ((reports == 2)) ||
        lab_fail "two \"bad task code\" lines (lines 1 and 4)" "$reports such lines" "§6 (bad lines)" \
            "$(lab_show_output long)" || return
    lab_assert_exit long 0 "§9"
}

# points: 10
@test "each worker holds only the read end of its own pipe (/proc/PID/fd)" {
    lab_spawn pool --in-pipe -- "$POOL" -w 6 -
    lab_input pool 0 0 0 0 0 0
    lab_wait_lines pool 6 5 ||
        lab_fail "6 log lines, one per worker, soon after 6 tasks were written" "$(lab_describe pool)" \
            "§5, §6" "$(lab_show_output pool out)" "$(lab_show_output pool)" || return
    pool_assert_pids pool 6 "§4" || return

    # Every worker has run a task: it is past its start. The pool now waits
    # for input, and each process shows what it holds.
    local k pid report parent inodes="" bad=() n reads
    for k in 0 1 2 3 4 5; do
        pid=$(pool_worker_pid pool "$k")
        report=$(lab_fds "$pid")
        n=$(grep -c . <<<"$report")
        reads=$(grep -cE '^[0-9]+ r pipe:' <<<"$report")
        if ((n != 1 || reads != 1)); then
            bad+=("    worker $k (pid $pid) holds, besides 0, 1 and 2:" "$(sed 's/^/        fd /' <<<"$report")")
        else
            inodes+=" ${report##* }"
        fi
    done
    ((${#bad[@]} == 0)) ||
        lab_fail "each worker to hold one descriptor besides 0, 1 and 2: the read end of its own pipe" \
            "some hold more (or other) descriptors (r = read end, w = write end):" \
            "§5: right after fork() a worker closes the write ends it inherited, its siblings' and its own (hint 2)" \
            "${bad[@]}" || return
    [[ $(tr ' ' '\n' <<<"$inodes" | grep . | sort -u | wc -l) == 6 ]] ||
        lab_fail "six workers reading six different pipes" "some share a pipe:$inodes" "§5: one pipe per worker" || return
    parent=$(lab_pid pool)
    report=$(lab_fds "$parent")
    if [[ $(grep -c . <<<"$report") != 6 || $(grep -cE '^[0-9]+ w pipe:' <<<"$report") != 6 ]]; then
        lab_fail "the parent to hold six write ends, one per worker, and nothing else besides 0, 1 and 2" \
            "it holds (r = read end, w = write end):" \
            "§5: the parent closes the read end of each pipe right after the fork" \
            "$(sed 's/^/        fd /' <<<"$report")" || return
    fi
    lab_close_input pool
    lab_wait_exit pool 5 || true
    lab_assert_exit pool 0 "§7, §9"
}

# points: 5
@test "every worker sees EOF when its pipe is closed, and all are reaped (no zombie, no orphan)" {
    lab_run pool -- "$POOL" -w 8 -n 200
    lab_assert_finished pool "task_pool -w 8 to finish soon after its 200 tasks" \
        "§7: worker 0 is ended first; if a sibling still holds a copy of its write end, it never reads EOF (hint 2)" || return
    lab_assert_no_strays pool "§7: wait for every worker before the parent exits (hint 5)" || return
    [[ $(wc -l <"$LAB_RUN/pool.out") == 200 ]] ||
        lab_fail "200 log lines" "$(wc -l <"$LAB_RUN/pool.out") lines" "§4, §7: a worker handles every task in its pipe before EOF" \
            "$(lab_show_output pool out)" || return
    lab_assert_stderr_line pool "$(pool_summary 200 8 0 0)" "§7 (the summary)" || return
    lab_assert_exit pool 0 "§9"
}

# points: 5
@test "64 workers and 100000 tasks finish within 5 s, every result right (64-bit)" {
    lab_run pool --max-procs 80 --wait 5 -- "$POOL" -w 64 -n 100000 -s 3
    lab_assert_finished pool "task_pool -w 64 -n 100000 to finish within 5 s" \
        "§4: a task is a small computation, no sleep and no fork per task; §7 (hint 2)" || return
    local bad
    bad=$(awk '
        $1 != "worker" || $5 != "task" { print "not a log line: " $0; exit }
        $6 in seen { print "task " $6 " logged twice"; exit }
        $2 != $6 % 64 { print "task " $6 " ran on worker " $2 ", not on worker " ($6 % 64); exit }
        # T x T passes 2^32 from T = 65536 on: the results are 64-bit.
        $8 == 0 && $10 != sprintf("%.0f", $6 * $6) { print "task " $6 " code 0: result " $10 ", not " sprintf("%.0f", $6 * $6); exit }
        $8 == 1 && $10 != sprintf("%.0f", $6 * ($6 + 1) / 2) { print "task " $6 " code 1: result " $10 ", not " sprintf("%.0f", $6 * ($6 + 1) / 2); exit }
        { seen[$6] = 1; pid[$4] = 1; n++ }
        END { if (n != 100000) print n + 0 " log lines, not 100000"
              else { for (p in pid) np++; if (np != 64) print np " different pids, not 64" } }' "$LAB_RUN/pool.out")
    [[ -z $bad ]] ||
        lab_fail "100000 log lines, task T on worker T mod 64, each task once, with its result in 64 bits" "$bad" \
            "§4 (square and triangle are uint64: compute them in 64 bits), §5" \
            "$(lab_show_output pool out)" || return
    lab_assert_stderr_line pool "$(pool_summary 100000 64 0 0)" "§7 (the summary)" || return
    lab_assert_no_strays pool "§7" || return
    lab_assert_exit pool 0 "§9"
}

# points: 10
@test "a killed worker is reported and reaped at once, and its tasks go to the next live worker" {
    # Traced (every call): what the SIGCHLD handler does is looked at last.
    lab_spawn pool --strace all --in-pipe -- "$POOL" -w 3 -
    lab_input pool 0 1 2 3 0 1
    lab_wait_lines pool 6 5 ||
        lab_fail "6 log lines soon after 6 tasks were written" "$(lab_describe pool)" "§5, §6" \
            "$(lab_show_output pool out)" "$(lab_show_output pool)" || return
    # A worker stopped and continued has not died: SA_NOCLDSTOP, so the
    # parent gets no SIGCHLD for it (looked at once the pool has ended).
    local stopped
    stopped=$(pool_worker_pid pool 0)
    lab_signal_pid "$stopped" STOP "worker 0" "§4" || return
    lab_wait_until "$(lab_seconds 5)" lab_strace_grep pool "^$stopped +--- stopped by SIGSTOP" >/dev/null ||
        lab_fail "worker 0 (pid $stopped) to stop after SIGSTOP" "$(lab_describe pool)" "§8" || return
    lab_signal_pid "$stopped" CONT "worker 0" "§4" || return
    local victim
    victim=$(pool_worker_pid pool 1)
    [[ -n $victim ]] && lab_descendants pool | grep -qx "$victim" ||
        lab_fail "worker 1 to be a child of task_pool, with the pid it logs" "pid '$victim' is not below task_pool" "§4" \
            "$(lab_show_output pool out)" || return
    lab_signal_pid "$victim" KILL "worker 1" "§4"
    lab_wait_output pool "^task_pool: worker 1 \\(pid $victim\\) died$" 2 err ||
        lab_fail "the line \"task_pool: worker 1 (pid $victim) died\" on stderr soon after worker 1 was killed, while the parent waits for input" \
            "$(lab_describe pool)" \
            "§8: SIGCHLD, handled without SA_RESTART, interrupts the read() on stdin (hint 6)" \
            "$(lab_show_output pool)" || return
    lab_wait_no_zombies pool 2 "§8: waitpid() with WNOHANG, in a loop, after each SIGCHLD (hint 6)" || return
    local parent
    parent=$(lab_pid pool)
    lab_wait_until "$(lab_seconds 2)" pool_holds "$parent" 2 ||
        lab_fail "the parent to hold the write ends of workers 0 and 2 only, once worker 1 was reported dead" \
            "it holds (r = read end, w = write end):" \
            "§8: after the \"died\" line, the parent closes its write end of the dead worker's pipe at once" \
            "$(pool_show_fds "$parent")" || return

    # Tasks 7 and 10 were worker 1's: they go to worker 2.
    lab_input pool 2 3 0 1 2 3
    # Task 11, the last, is worker 2's own: once it is logged, worker 2 has
    # run every task it was given.
    lab_wait_output pool '^worker 2 pid [0-9]+ task 11 ' 5 ||
        lab_fail "worker 2 to log task 11 soon after 12 tasks were written, worker 1 dead" \
            "$(lab_describe pool)" "§5: task T goes to worker T mod W" \
            "$(lab_show_output pool out)" "$(lab_show_output pool)" || return

    # Then the last worker dies too: the next live worker after 2 is 0,
    # the wrap from W-1 to 0 (tasks 13 and 14 were workers 1's and 2's).
    local last
    last=$(pool_worker_pid pool 2)
    lab_signal_pid "$last" KILL "worker 2" "§4"
    lab_wait_output pool "^task_pool: worker 2 \\(pid $last\\) died$" 2 err ||
        lab_fail "the line \"task_pool: worker 2 (pid $last) died\" on stderr soon after worker 2 was killed" \
            "$(lab_describe pool)" "§8" "$(lab_show_output pool)" || return
    lab_input pool 0 1 2
    lab_close_input pool
    lab_wait_exit pool 5 || true
    assert_pool_ended pool || return
    local report
    report=$(grep -E "^$parent +--- SIGCHLD \\{.*si_code=CLD_(STOPPED|CONTINUED), si_pid=$stopped," \
        "$LAB_LOGS/pool.strace" | head -n 2)
    ! grep -q "^task_pool: worker 0 (pid $stopped) died$" "$LAB_RUN/pool.err" && [[ -z $report ]] ||
        lab_fail "no SIGCHLD for the parent, and no \"died\" line, when worker 0 was stopped (SIGSTOP) and continued" \
            "$( [[ -n $report ]] && echo "strace saw the parent get:" || echo "worker 0 was reported as died:")" \
            "§8: install the SIGCHLD handler with SA_NOCLDSTOP: a stopped worker has not died" \
            "${report:-$(lab_show_output pool)}" || return
    local t
    for t in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
        local k=$((t % 3))
        ((k == 1 && t > 5)) && k=2
        ((t > 11)) && k=0
        pool_line "$k" "$t" $((t % 4))
    done | sort -t ' ' -k4,4n >"$BATS_TEST_TMPDIR/expected"
    pool_assert_log pool "$BATS_TEST_TMPDIR/expected" \
        "tasks 0-5 as usual, tasks 7 and 10 (worker 1's) on worker 2, the next live worker, then with workers 1 and 2 dead tasks 12-14 on worker 0 (after worker 2 comes worker 0)" \
        "§5: the next live worker after K, wrapping from W-1 to 0" || return
    local k pid
    for k in 1 2; do
        pid=$victim
        ((k == 2)) && pid=$last
        [[ $(grep -c "^task_pool: worker $k (pid $pid) died$" "$LAB_RUN/pool.err") == 1 ]] ||
            lab_fail "the death of worker $k reported exactly once" \
                "$(grep -c "died" "$LAB_RUN/pool.err") lines about a death" "§8" "$(lab_show_output pool)" || return
    done
    lab_assert_stderr_line pool "$(pool_summary 15 3 4 2)" "§7 (the summary)" || return
    lab_assert_no_strays pool "§7, §8" || return
    lab_assert_exit pool 1 "§9: a worker died, so the status is 1" || return
    lab_assert_handlers_only pool "$parent" CHLD '^$' "the SIGCHLD handler to make no system call: it only sets a flag" \
        "§8: the handler only sets a flag; the main loop calls waitpid() and writes the messages (signal-safety(7))" || return

    # A worker killed while the parent dispatches, not while it waits for
    # input: strace holds the parent's third write() (task 2, into a pipe) 4 s
    # once it is done (a long window: the test may be slow to see it), and
    # worker 1 is killed then. Its SIGCHLD interrupts no
    # read(): the parent must look at the flag before read() blocks again.
    lab_spawn batch --in-pipe --inject 'write:delay_exit=4000000:when=3' -- "$POOL" -w 2 - || return
    pool_first_tasks batch 2 || return
    local bparent b1
    bparent=$(lab_pid batch) b1=$(pool_worker_pid batch 1)
    lab_input batch 0
    lab_wait_until "$(lab_seconds 5)" lab_held_in_syscall "$bparent" 1 ||
        lab_fail "the parent to write task 2 into the pipe of worker 0 (its third write())" "$(lab_describe batch)" \
            "§5, §6" "$(lab_show_output batch)" || return
    lab_signal_pid "$b1" KILL "worker 1" "§4" || return
    lab_wait_output batch "^task_pool: worker 1 \\(pid $b1\\) died$" 8 err ||
        lab_fail "the line \"task_pool: worker 1 (pid $b1) died\" on stderr soon after worker 1 was killed while the parent wrote task 2, with no more input" \
            "$(lab_describe batch)" \
            "§8: a SIGCHLD that comes while the parent dispatches interrupts no read(): look at the flag again before read() blocks" \
            "$(lab_show_output batch)" || return
    lab_wait_exit batch 5 || true
    assert_pool_ended batch || return
    lab_assert_stderr_line batch "$(pool_summary 3 2 0 1)" "§7 (the summary)" || return
    lab_assert_exit batch 1 "§9: a worker died, so the status is 1"
}

# points: 5
@test "a worker that dies while the parent writes to it: EPIPE, not a dead parent" {
    local w0 w1 parent
    pool_two_stopped || return
    # 20000 more tasks (40000 bytes: the input pipe holds them all). With both
    # workers stopped, worker 0's pipe is full first (8192 messages of 8
    # bytes): the parent blocks in write(), at task 16386.
    local -a zeros
    mapfile -t zeros < <(yes 0 | head -n 20000)
    lab_input pool "${zeros[@]}"
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in_pipe_write "$parent" ||
        lab_fail "the parent blocked in write() on a full pipe, with both workers stopped" \
            "$(lab_describe pool); its wait channel: $(cat "/proc/$parent/wchan" 2>/dev/null)" \
            "§5: one write() of 8 bytes per task, blocking" "$(lab_show_output pool)" || return
    lab_signal_pid "$w0" KILL "worker 0" "§4"
    lab_wait_output pool "^task_pool: worker 0 \\(pid $w0\\) died$" 3 err ||
        lab_fail "the line \"task_pool: worker 0 (pid $w0) died\" on stderr, and task_pool still running" \
            "$(lab_describe pool)" \
            "§8: ignore SIGPIPE; then write() to a pipe without reader fails with EPIPE instead of killing the parent (hint 7)" \
            "$(lab_show_output pool)" || return
    lab_signal_pid "$w1" CONT "worker 1" "§4"
    lab_close_input pool
    lab_wait_exit pool 10 || true
    lab_assert_finished pool "task_pool to finish once worker 1 runs again" "§8" || return
    local deaths
    deaths=$(grep -c "^task_pool: worker 0 (pid $w0) died$" "$LAB_RUN/pool.err")
    ((deaths == 1)) ||
        lab_fail "the death of worker 0 reported exactly once" "$deaths lines \"task_pool: worker 0 (pid $w0) died\"" \
            "§8: say it the first time the parent learns of it (EPIPE or waitpid()), never again" \
            "$(lab_show_output pool)" || return
    # Worker 0's tasks 2, 4, ... 16384 were in its pipe: lost with it. From
    # task 16386 on, everything goes to worker 1.
    local bad
    bad=$(awk '
        $2 == 0 && $6 != 0 { print "worker 0 logged task " $6 " after it was stopped"; exit }
        $2 == 1 { if ($6 in seen) { print "task " $6 " logged twice"; exit } seen[$6] = 1 }
        END {
            for (t = 1; t <= 20001; t++)
                if ((t % 2 == 1 || t >= 16386) && !(t in seen)) { print "task " t " never ran on worker 1"; exit }
        }' "$LAB_RUN/pool.out")
    [[ -z $bad ]] ||
        lab_fail "worker 1 to run its own tasks and every task from 16386 on" "$bad" \
            "§8: after EPIPE, the same task goes to the next live worker" "$(lab_show_output pool out)" || return
    lab_assert_stderr_line pool "$(pool_summary 20002 2 1808 1)" \
        "§7: tasks 16386, 16388, ... 20000 were redispatched" || return
    lab_assert_no_strays pool "§7, §8" || return
    lab_assert_exit pool 1 "§9: a worker died, so the status is 1" || return

    # The workers set SIGPIPE back to its default: with their stdout a pipe
    # nobody reads (task_pool | head), the first write() of the log kills
    # them, as it kills any program of a pipeline. The test holds the read
    # end until task_pool has started, and closes it before the first task.
    local fifo=$BATS_TEST_TMPDIR/nobody-reads r
    mkfifo "$fifo"
    lab_spawn closed --in-pipe --out "$fifo" -- "$POOL" -w 2 - || return
    exec {r}<"$fifo"
    exec {r}<&-
    lab_input closed 0 1
    lab_wait_exit closed 5 || true
    lab_assert_finished closed "task_pool to finish once its input ends" "§7, §8" || return
    local broken
    broken=$(grep -a 'Broken pipe' "$LAB_RUN/closed.err" | head -n 2)
    [[ -z $broken ]] ||
        lab_fail "each worker, its stdout a pipe nobody reads, killed by SIGPIPE at its first write() (the default action): no report of EPIPE" \
            "a worker still ignores SIGPIPE (the parent's SIG_IGN, inherited across fork()), and its write() failed:" \
            "§8: the parent ignores SIGPIPE; each worker sets it back to SIG_DFL" "$broken" || return
    local k
    for k in 0 1; do
        grep -qE "^task_pool: worker $k \(pid [0-9]+\) died$" "$LAB_RUN/closed.err" ||
            lab_fail "worker $k, killed by SIGPIPE, reported as died" "no such line" "§8" \
                "$(lab_show_output closed)" || return
    done
    lab_assert_exit closed 1 "§9: the workers died, so the status is 1"
}

# points: 5
@test "a worker's log comes in whole lines, never mixed with another worker's" {
    # strace holds the second and third write() of every process 0.5 s after
    # it is done: a worker that cuts a line between two write()s lets the
    # other worker's lines in between, every time.
    local w0 w1 parent
    pool_two_stopped --inject 'write:delay_exit=500000:when=2..3' || return
    # 1200 tasks more, 600 in each pipe: once both workers go on, each has
    # some 27 KB of log to write at once.
    local -a codes
    mapfile -t codes < <(yes 0 | head -n 1200)
    lab_input pool "${codes[@]}"
    lab_close_input pool
    lab_wait_until "$(lab_seconds 5)" pool_blocked_in_wait "$parent" ||
        lab_fail "the parent, at the end of its input, to wait in waitpid() for worker 0 (stopped)" \
            "$(lab_describe pool); its wait channel: $(cat "/proc/$parent/wchan" 2>/dev/null)" \
            "§7" "$(lab_show_output pool)" || return
    lab_signal_pid "$w0" CONT "worker 0" "§4"
    lab_signal_pid "$w1" CONT "worker 1" "§4"
    lab_wait_exit pool 10 || true
    assert_pool_ended pool || return
    local bad
    bad=$(awk '
        !/^worker [01] pid [0-9]+ task [0-9]+ code 0 result [0-9]+$/ { print "line " NR " is not a log line: " $0; exit }
        $6 in seen { print "task " $6 " logged twice"; exit }
        { seen[$6] = 1; n++ }
        END { if (n != 1202) print n + 0 " log lines, not 1202" }' "$LAB_RUN/pool.out")
    [[ -z $bad ]] ||
        lab_fail "1202 whole log lines, each written by one worker in one piece" "$bad" \
            "§4: every write() holds whole lines only: flush the lines gathered, never a part of one" \
            "$(lab_show_output pool out)" || return
    lab_assert_exit pool 0 "§9"
}

# points: 5
@test "the workers are ended one at a time, in index order, and one killed at its end is reported" {
    lab_spawn pool --in-pipe -- "$POOL" -w 3 -
    pool_first_tasks pool 3 || return
    local w0 parent
    w0=$(pool_worker_pid pool 0) parent=$(lab_pid pool)
    # Worker 0 stopped: once its pipe is closed, the parent waits for it, and
    # must not have touched the pipes of workers 1 and 2 yet.
    lab_signal_pid "$w0" STOP "worker 0" "§4"
    lab_close_input pool
    lab_wait_until "$(lab_seconds 5)" pool_blocked_in_wait "$parent" ||
        lab_fail "the parent, at the end of its input, to wait in waitpid() for worker 0 (stopped)" \
            "$(lab_describe pool); its wait channel: $(cat "/proc/$parent/wchan" 2>/dev/null)" \
            "§7: close pipe 0, then wait for worker 0" "$(lab_show_output pool)" || return
    pool_holds "$parent" 2 ||
        lab_fail "the parent, waiting for worker 0, to hold still the write ends of workers 1 and 2, and nothing else" \
            "it holds (r = read end, w = write end):" \
            "§7: one at a time, in index order: close pipe K, wait for worker K, and only then go on to K+1" \
            "$(pool_show_fds "$parent")" || return
    # Worker 2 killed while the parent waits for worker 0: its SIGCHLD
    # interrupts that waitpid() (EINTR), which must be made again, for worker
    # 0. Once worker 2 is a zombie and the parent has no signal pending, the
    # handler has run: the waitpid() has returned, and worker 0 still runs.
    local w2
    w2=$(pool_worker_pid pool 2)
    lab_signal_pid "$w2" KILL "worker 2" "§4"
    lab_wait_until "$(lab_seconds 5)" pool_sigchld_taken "$w2" "$parent" ||
        lab_fail "worker 2 (pid $w2), killed, to end and its SIGCHLD to reach the parent" "$(lab_describe pool)" \
            "§7, §8" "$(lab_show_output pool)" || return
    lab_wait_until "$(lab_seconds 5)" pool_blocked_in_wait "$parent" ||
        lab_fail "the parent, its waitpid() for worker 0 interrupted by the SIGCHLD of worker 2, to call waitpid() again and go on waiting for worker 0 (stopped)" \
            "it went on without worker 0: $(lab_describe pool)" \
            "§7: waitpid() fails with EINTR when a signal comes: call it again, for the same worker (hint 5)" \
            "$(lab_show_output pool)" || return
    # Worker 0 killed now, after its pipe was closed: it did not exit with
    # status 0.
    lab_signal_pid "$w0" KILL "worker 0" "§4"
    lab_wait_exit pool 5 || true
    assert_pool_ended pool || return
    lab_assert_stderr_line pool "task_pool: worker 0 (pid $w0) died" \
        "§7: a SIGCHLD from another worker interrupts waitpid() (EINTR): call it again, for the same worker, until it says worker 0 ended; §8: a worker that ends by a signal after its pipe was closed is reported as died" || return
    lab_assert_stderr_line pool "task_pool: worker 2 (pid $w2) died" "§8: worker 2 ended by a signal" || return
    lab_assert_stderr_line pool "$(pool_summary 3 3 0 2)" "§7 (the summary)" || return
    lab_assert_no_strays pool "§7" || return
    lab_assert_exit pool 1 "§9: a worker died, so the status is 1"
}

# points: 5
@test "when every worker has died, the next task ends the pool without waiting for EOF" {
    # strace holds every waitpid() of the pool 2 s once it is done: the
    # test kills workers while the parent reaps.
    lab_spawn pool --in-pipe --inject 'wait4:delay_exit=2000000' -- "$POOL" -w 4 - || return
    pool_first_tasks pool 4 || return
    local parent k
    local -a w
    parent=$(lab_pid pool)
    for k in 0 1 2 3; do w[k]=$(pool_worker_pid pool "$k"); done
    # Worker 0 killed; while the parent is held in the waitpid() that
    # collects it, workers 1 and 2 are killed together: one SIGCHLD may stand
    # for both deaths (signals do not queue).
    lab_signal_pid "${w[0]}" KILL "worker 0" "§4" || return
    lab_wait_until "$(lab_seconds 5)" lab_held_in_syscall "$parent" 61 ||
        lab_fail "the parent to call waitpid() soon after worker 0 was killed, while it waits for input" \
            "$(lab_describe pool)" "§8: SIGCHLD interrupts the read(); then waitpid(-1, &status, WNOHANG) (hint 6)" \
            "$(lab_show_output pool)" || return
    lab_signal_pid "${w[1]}" KILL "worker 1" "§4" || return
    lab_signal_pid "${w[2]}" KILL "worker 2" "§4" || return
    for k in 0 1 2; do
        lab_wait_output pool "^task_pool: worker $k \\(pid ${w[k]}\\) died$" 10 err ||
            lab_fail "the line \"task_pool: worker $k (pid ${w[k]}) died\" on stderr soon after workers 1 and 2 were killed together (while the parent reaped worker 0)" \
                "$(lab_describe pool)" \
                "§8: one SIGCHLD can stand for several deaths: call waitpid(-1, &status, WNOHANG) until it returns 0 (hint 6)" \
                "$(lab_show_output pool)" || return
    done
    # Worker 3 killed while the parent is held in its last waitpid(), the one
    # that returned 0: its SIGCHLD comes after that look, and the flag it sets
    # must not be lost.
    lab_wait_until "$(lab_seconds 5)" lab_held_in_syscall "$parent" 61 ||
        lab_fail "the parent, after the death of worker 2, to call waitpid() until it returns 0" \
            "$(lab_describe pool)" "§8: waitpid(-1, &status, WNOHANG) until it returns 0 (hint 6)" \
            "$(lab_show_output pool)" || return
    lab_signal_pid "${w[3]}" KILL "worker 3" "§4" || return
    lab_wait_output pool "^task_pool: worker 3 \\(pid ${w[3]}\\) died$" 8 err ||
        lab_fail "the line \"task_pool: worker 3 (pid ${w[3]}) died\" on stderr soon after worker 3 was killed, its SIGCHLD coming while the parent's last waitpid() returned 0" \
            "$(lab_describe pool)" \
            "§8: a SIGCHLD that comes while the main loop reaps sets the flag again: clear the flag before the waitpid() calls, never after, and look at it again before read() blocks" \
            "$(lab_show_output pool)" || return
    lab_wait_no_zombies pool 3 "§8: waitpid() with WNOHANG, in a loop, after each SIGCHLD (hint 6)" || return
    # A fifth task, and standard input left open: no worker can take it.
    lab_input pool 1
    lab_wait_until "$(lab_seconds 5)" lab_finished pool ||
        lab_fail "task_pool to end once a task finds no live worker, with its input still open" \
            "it still runs 5 s later: $(lab_describe pool)" \
            "§8: if every worker has died, write \"no live worker left\", stop dispatching and reading, and end" \
            "$(lab_show_output pool)" || return
    lab_wait_exit pool 5 || true
    lab_assert_stderr_line pool "task_pool: no live worker left" "§8" || return
    lab_assert_stderr_line pool "$(pool_summary 4 4 0 4)" "§7 (the summary)" || return
    lab_assert_exit pool 1 "§9: workers died, so the status is 1"
}

# points: 5
@test "a pipe() that fails at start: reported, the workers started are reaped, exit 1" {
    # strace makes the third pipe() fail with EMFILE: workers 0 and 1 exist.
    lab_run pool --inject 'pipe,pipe2:error=EMFILE:when=3' -- "$POOL" -w 4 -n 20
    assert_pool_ended pool || return
    lab_assert_stderr_line pool "task_pool: pipe: Too many open files" \
        "§9: a failed call is reported as \"task_pool: CALL: strerror text\"" || return
    lab_assert_no_strays pool "§9: the workers already started are ended and reaped (§7)" || return
    [[ ! -s $LAB_RUN/pool.out ]] ||
        lab_fail "no task run when the pool could not be started" "some log lines" "§9" \
            "$(lab_show_output pool out)" || return
    lab_assert_stderr_line pool "$(pool_summary 0 2 0 0)" \
        "§7: the summary, W the workers started (2: the third pipe() failed)" || return
    lab_assert_exit pool 1 "§9: pipe() failed while the workers were started" || return

    # The same with fork(): the third one (the clone() of glibc's fork())
    # fails with EAGAIN, workers 0 and 1 exist.
    lab_run fork --inject 'clone:error=EAGAIN:when=3' -- "$POOL" -w 4 -n 20
    lab_assert_finished fork "task_pool to finish after fork() failed" \
        "§9: end the workers already started as in §7, then exit" || return
    lab_assert_stderr_line fork "task_pool: fork: Resource temporarily unavailable" \
        "§9: a failed call is reported as \"task_pool: CALL: strerror text\"" || return
    lab_assert_no_strays fork "§9: the workers already started are ended and reaped (§7)" || return
    [[ ! -s $LAB_RUN/fork.out ]] ||
        lab_fail "no task run when the pool could not be started" "some log lines" "§9" \
            "$(lab_show_output fork out)" || return
    lab_assert_stderr_line fork "$(pool_summary 0 2 0 0)" \
        "§9: if fork() fails, the parent ends the workers already started as in §7, summary included (W: the 2 workers started)" || return
    lab_assert_exit fork 1 "§9: fork() failed while the workers were started"
}

# points: 5
@test "SIGTERM to the parent ends the pool as at EOF, with the summary and status 143; a worker ignores SIGINT" {
    lab_spawn pool --in-pipe -- "$POOL" -w 2 -
    lab_input pool 0 1
    lab_wait_lines pool 2 5 ||
        lab_fail "2 log lines soon after 2 tasks were written" "$(lab_describe pool)" "§6" \
            "$(lab_show_output pool out)" "$(lab_show_output pool)" || return
    # A Ctrl-C reaches every process of the group: a worker lives on.
    local w0
    w0=$(pool_worker_pid pool 0)
    lab_signal_pid "$w0" INT "worker 0" "§9" || return
    lab_input pool 2 3
    lab_wait_output pool '^worker 0 pid [0-9]+ task 2 ' 5 ||
        lab_fail "worker 0 to ignore SIGINT and run task 2" "$(lab_describe pool)" \
            "§9: workers ignore SIGINT (the parent ends them); set it in the child after fork()" \
            "$(lab_show_output pool out)" "$(lab_show_output pool)" || return
    lab_wait_output pool '^worker 1 pid [0-9]+ task 3 ' 5 || true
    # SIGTERM while the parent waits for input, its input left open.
    lab_signal pool TERM
    lab_wait_until "$(lab_seconds 5)" lab_finished pool ||
        lab_fail "task_pool to end soon after SIGTERM, with its input still open" \
            "it still runs 5 s later: $(lab_describe pool)" \
            "§9: SIGTERM stops the dispatching: a handler without SA_RESTART, so the read() returns EINTR" \
            "$(lab_show_output pool)" || return
    lab_wait_exit pool 5 || true
    lab_assert_stderr_line pool "$(pool_summary 4 2 0 0)" "§9: the pool ends as in §7, with the summary" || return
    lab_assert_no_strays pool "§9: the workers are ended and reaped as in §7" || return
    lab_assert_exit pool 143 "§9: SIGTERM (15): exit status 128 + 15, from exit(), not the signal's default action" || return

    # Generated tasks: the worker's stdout is a pipe the test holds open but
    # does not read. Once it is full, the worker blocks in write(), its own
    # pipe fills, and the parent blocks in write() too: SIGTERM comes then.
    local fifo=$BATS_TEST_TMPDIR/log r gparent
    mkfifo "$fifo"
    lab_spawn gen --out "$fifo" -- "$POOL" -w 1 -n 1000000 || return
    exec {r}<"$fifo"
    gparent=$(lab_pid gen)
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in_pipe_write "$gparent" || {
        exec {r}<&-
        lab_fail "the parent of task_pool -w 1 -n 1000000 blocked in write() on the full pipe of its worker (blocked on its own stdout)" \
            "$(lab_describe gen); its wait channel: $(cat "/proc/$gparent/wchan" 2>/dev/null)" "§5" "$(lab_show_output gen)"
        return
    }
    lab_signal gen TERM
    lab_wait_until "$(lab_seconds 5)" pool_blocked_in_wait "$gparent" || {
        exec {r}<&-
        lab_fail "the parent, SIGTERM interrupting its write() to a full pipe, to stop dispatching and wait for its worker (in waitpid())" \
            "$(lab_describe gen); its wait channel: $(cat "/proc/$gparent/wchan" 2>/dev/null)" \
            "§9: SIGTERM stops the dispatching of generated tasks too: after write() fails with EINTR, look at the flag before the next write()" \
            "$(lab_show_output gen)"
        return
    }
    # The test closes the log pipe: the worker dies of SIGPIPE (reported).
    exec {r}<&-
    lab_wait_exit gen 5 || true
    lab_assert_finished gen "task_pool to end once its worker has ended" "§7, §9" || return
    local summary n
    summary=$(grep -E '^task_pool: dispatched [0-9]+ tasks to 1 workers, 0 redispatched, 1 died$' "$LAB_RUN/gen.err")
    n=$(awk '{ print $3 }' <<<"$summary")
    [[ -n $n ]] && ((n < 1000000)) ||
        lab_fail "the summary \"task_pool: dispatched N tasks to 1 workers, 0 redispatched, 1 died\", N below 1000000 (the dispatching stopped at SIGTERM)" \
            "no such line" "§9: SIGTERM stops the dispatching; §7 (the summary)" "$(lab_show_output gen)" || return
    lab_assert_no_strays gen "§9: the worker is ended and reaped as in §7" || return
    lab_assert_exit gen 143 "§9: SIGTERM (15): exit status 128 + 15"
}

# points: 5
@test "a worker that cannot write its log reports it and exits 1" {
    # Standard output is /dev/full: every write() to it fails with ENOSPC.
    lab_run pool --out /dev/full -- "$POOL" -w 2 -n 4
    assert_pool_ended pool || return
    local n
    n=$(grep -cxF "task_pool: write: No space left on device" "$LAB_RUN/pool.err")
    ((n == 2)) ||
        lab_fail "from each of the 2 workers, the line \"task_pool: write: No space left on device\" on stderr" \
            "$n such lines" "§9: a worker that cannot write its log reports it and exits 1" \
            "$(lab_show_output pool)" || return
    lab_assert_exit pool 1 "§9: the workers exited 1 (§8: reported as died)" || return

    # Each worker exits 1 after the parent has closed its pipe: both workers
    # stopped until the parent, at the end of its input, waits for worker 0.
    lab_spawn late --in-pipe --out /dev/full -- "$POOL" -w 2 - || return
    lab_wait_descendants late 2 5 ||
        lab_fail "2 workers soon after task_pool -w 2 - started" "$(lab_describe late)" "§1, §5" || return
    local parent pid
    local -a workers
    parent=$(lab_pid late)
    mapfile -t workers < <(lab_descendants late)
    for pid in "${workers[@]}"; do lab_signal_pid "$pid" STOP "a worker" "§4" || return; done
    lab_input late 0 1
    lab_close_input late
    lab_wait_until "$(lab_seconds 5)" pool_blocked_in_wait "$parent" ||
        lab_fail "the parent, at the end of its input, to wait in waitpid() for worker 0 (stopped)" \
            "$(lab_describe late); its wait channel: $(cat "/proc/$parent/wchan" 2>/dev/null)" \
            "§7" "$(lab_show_output late)" || return
    for pid in "${workers[@]}"; do lab_signal_pid "$pid" CONT "a worker" "§4" || return; done
    lab_wait_exit late 5 || true
    assert_pool_ended late || return
    for pid in "${workers[@]}"; do
        grep -qE "^task_pool: worker [01] \(pid $pid\) died$" "$LAB_RUN/late.err" ||
            lab_fail "the worker of pid $pid, which exited 1 after its pipe was closed, reported as \"task_pool: worker K (pid $pid) died\"" \
                "no such line" \
                "§8: a worker that ends by a signal or with a status other than 0 after its pipe was closed (§7) is reported as died; §9" \
                "$(lab_show_output late)" || return
    done
    lab_assert_exit late 1 "§9: the workers exited 1 (§8: reported as died)"
}

# points: 5
@test "valgrind finds no memory error, no leak and no open descriptor in any process" {
    lab_run pool --valgrind -- "$POOL" -w 3 -n 30
    assert_pool_ended pool || return
    pool_expected 30 3 1 0 "$BATS_TEST_TMPDIR/expected"
    pool_assert_log pool "$BATS_TEST_TMPDIR/expected" "the 30 log lines, under valgrind too" "§3, §4" || return
    lab_assert_valgrind_clean pool "§10: free what you allocate, in the parent and in the workers" || return
    lab_assert_valgrind_fds pool "§10: each worker closes its read end before it exits; the parent closes each write end"
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2" {
    # One case per entry, its arguments separated by "|" (some hold a blank).
    local -a bad=("-w|0" "-w|65" "-w|x" "-w" "-w| 3" "-n|-1" "-n|1000001" "-n|5k" "-n|5 " "-n|0x10"
        "-s|4294967296" "-i|x" "-i|1000001" "-x" "extra" "-|-" "-n|5|-" "-s|2|-" "-i|3|-")
    local usage="$BATS_TEST_TMPDIR/usage" i args shown first trace
    printf '%s\n' "usage: task_pool [-w WORKERS] [-n TASKS] [-s SEED] [-i INVALID_EVERY]" \
        "       task_pool [-w WORKERS] -" >"$usage"
    for i in "${!bad[@]}"; do
        IFS='|' read -ra args <<<"${bad[$i]}"
        shown="task_pool ${args[*]@Q}"
        # The operands are looked at last: these runs are traced.
        trace=()
        [[ ${args[-1]} == - || ${args[-1]} == extra ]] && trace=(--strace "pipe,pipe2,fork,vfork,clone,clone3")
        lab_run "bad$i" "${trace[@]}" -- "$POOL" "${args[@]}"
        lab_assert_exit "bad$i" 2 "§2: $shown is a usage error" || return
        [[ ! -s $LAB_RUN/bad$i.out ]] ||
            lab_fail "nothing on stdout for: $shown" "some output" "§2" \
                "$(lab_show_output "bad$i" out)" || return
        # First one line that says what is wrong, then the two usage lines.
        first=$(head -n 1 "$LAB_RUN/bad$i.err")
        [[ $first == "task_pool: "?* && $first != "task_pool: usage"* ]] || first="task_pool: ... (what is wrong)"
        { printf '%s\n' "$first"; cat "$usage"; } >"$LAB_RUN/bad$i.expected"
        cmp -s "$LAB_RUN/bad$i.expected" "$LAB_RUN/bad$i.err" ||
            lab_fail "on stderr for: $shown, one line \"task_pool: ...\" that says what is wrong, then the two usage lines" \
                "other lines" "§2" "$(lab_first_difference "$LAB_RUN/bad$i.expected" "$LAB_RUN/bad$i.err")" \
                "$(lab_show_output "bad$i")" || return
        ((${#trace[@]} == 0)) || [[ -z $(lab_strace_grep "bad$i" '(pipe2?|v?fork|clone3?)\(') ]] ||
            lab_fail "no pipe and no process made for: $shown" "strace saw:" \
                "§2: check every argument before the first pipe() or fork()" \
                "$(lab_strace_grep "bad$i" '(pipe2?|v?fork|clone3?)\(' | head -n 3)" || return
    done
    lab_run good --max-procs 80 -- "$POOL" -w 64 -n 0 -s 4294967295 -i 0
    lab_assert_exit good 0 "§2: -w 64 -n 0 -s 4294967295 -i 0 is valid (no task at all)" || return
    [[ ! -s $LAB_RUN/good.out ]] ||
        lab_fail "no log line for -n 0" "some output" "§2, §3" "$(lab_show_output good out)" || return
    # getopt(3): an argument joined to its option, and "--" before the operands.
    lab_run joined -- "$POOL" -w3 -n5 -i1000000 --
    lab_assert_exit joined 0 "§2: options are parsed as by getopt(3): -w3 -n5 -i1000000 -- is valid" || return
    [[ $(wc -l <"$LAB_RUN/joined.out") == 5 ]] ||
        lab_fail "5 log lines for -w3 -n5 -i1000000 --" "$(wc -l <"$LAB_RUN/joined.out") lines" "§2 (getopt)" \
            "$(lab_show_output joined out)"
}
