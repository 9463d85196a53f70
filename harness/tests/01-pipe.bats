#!/usr/bin/env bats
# 01-pipe: relay standard input through an anonymous pipe.
# Statement: exercises/01-pipe/README.md (the § numbers below are its sections).
#
# programs: pipe_relay
# valgrind-factor: 4.2   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

RELAY=$LAB_BIN/pipe_relay

# Inputs shared by the tests of this file, made once.
setup_file() {
    local dir=$BATS_FILE_TMPDIR
    printf 'alpha\nbeta\n\ngamma delta\n' >"$dir/small.txt"
    # Binary-safe: a NUL, a CR before the newline, bytes above 0x7f, and a
    # last line with no newline.
    printf 'one\ntwo\000three\r\n\377\376 bytes\nlast line, no newline' >"$dir/binary.txt"
    # 8 MB of lines of many lengths (some longer than a pipe holds), the same
    # bytes on every run.
    awk 'BEGIN {
        for (i = 0; i < 64; i++) chunk = chunk "abcdefghijklmnopqrstuvwxyz0123456789 ";
        while (bytes < 8 * 1024 * 1024) {
            if (n % 997 == 0) { len = 70000 + n % 5000; line = "" ;
                while (length(line) < len) line = line chunk; line = substr(line, 1, len) }
            else { len = (n * 7919) % 300; line = substr(chunk chunk, 1 + n % 50, len) }
            print n ": " line; bytes += length(line) + length(n) + 3; n++
        } }' >"$dir/big.txt"
    # 200 lines for the report: numbers known in advance.
    seq -f 'line %g of the report test' 1 200 >"$dir/report.txt"
    # 1000001 empty lines: numbers of 7 digits, wider than the 6 columns.
    yes '' | head -n 1000001 >"$dir/many.txt"
    # 100000 bytes in lines of 1000: more than a pipe holds, less than two.
    awk 'BEGIN { for (i = 0; i < 100; i++) { printf "%04d", i; for (j = 4; j < 999; j++) printf "x"; printf "\n" } }' >"$dir/lines1000.txt"
    local f
    for f in small binary big report many lines1000; do
        cat -n "$dir/$f.txt" >"$dir/$f.expected"
    done
    : >"$dir/empty.txt"
    printf 'only line\n' >"$dir/one.txt"
}

# relay_run NAME INPUT [lab_run options] [-- ARGS...]: runs pipe_relay on one
# of the inputs above and waits for it (bounded).
relay_run() {
    local name=$1 input=$2
    shift 2
    local -a opts=() args=()
    while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
    (($#)) && shift && args=("$@")
    lab_run "$name" --in "$BATS_FILE_TMPDIR/$input.txt" "${opts[@]}" -- "$RELAY" "${args[@]}"
}

# parent_strace_command NAME CALLS INJECT: lab_strace_command without -f:
# only pipe_relay itself is traced and injected, never its child (a fault
# in the parent's write() into the pipe, the child's writes left alone).
parent_strace_command() {
    lab_strace_command "$@" | grep -vxF -- -f
}

# assert_relay_ended NAME: it ended by itself; if not, say why that usually is.
assert_relay_ended() {
    lab_assert_finished "$1" "pipe_relay to finish once its input has ended" \
        "§3 (EOF needs every write end closed) and hint 2"
}

# points: 10
@test "numbers every line exactly like cat -n" {
    relay_run relay small
    assert_relay_ended relay
    lab_assert_same_output relay "$BATS_FILE_TMPDIR/small.expected" \
        "each line numbered as printf \"%6ld\\t\" does, like cat -n" "§4, and compare with: cat -n"
    lab_assert_exit relay 0 "§5" || return
    # From line 1000000 on, the number is wider than its 6 columns.
    relay_run many many --wait 15
    assert_relay_ended many
    lab_assert_same_output many "$BATS_FILE_TMPDIR/many.expected" \
        "1000001 lines numbered; from 1000000 on, 7 digits and then the TAB, as printf \"%6ld\\t\" widens" \
        "§4: \"wider when it needs more digits\""
}

# points: 5
@test "keeps a last line without a newline, and any bytes (binary-safe)" {
    relay_run relay binary
    assert_relay_ended relay
    lab_assert_same_output relay "$BATS_FILE_TMPDIR/binary.expected" \
        "every byte kept (NUL, CR, bytes above 127) and the last line numbered without a newline added" \
        "§4: the data is bytes, not C strings (no strlen, no fgets/printf %s)"
}

# points: 5
@test "empty input: no output, and the child reports 0 lines, 0 bytes" {
    relay_run relay empty
    assert_relay_ended relay
    lab_assert_same_output relay "$BATS_FILE_TMPDIR/empty.txt" "no output at all" "§4"
    lab_assert_stderr_line relay "pipe_relay: relayed 0 lines, 0 bytes" "§4 (the report)"
    lab_assert_exit relay 0 "§5"
}

# points: 5
@test "the child reports how many lines and bytes it relayed" {
    relay_run relay report
    assert_relay_ended relay
    local bytes
    bytes=$(stat -c %s "$BATS_FILE_TMPDIR/report.txt")
    lab_assert_stderr_line relay "pipe_relay: relayed 200 lines, $bytes bytes" "§4 (the report)" || return
    # A last line without a newline is a line too: 4 lines, 3 newlines.
    relay_run last binary
    assert_relay_ended last
    bytes=$(stat -c %s "$BATS_FILE_TMPDIR/binary.txt")
    lab_assert_stderr_line last "pipe_relay: relayed 4 lines, $bytes bytes" \
        "§4 (the report): L counts a last line without a newline" || return
    # One line: the word stays "lines".
    relay_run one one
    assert_relay_ended one
    lab_assert_stderr_line one "pipe_relay: relayed 1 lines, 10 bytes" \
        "§4 (the report): the word stays \"lines\" even when L is 1"
}

# points: 10
@test "8 MB of input, far more than a pipe holds, arrives byte-exact" {
    relay_run relay big --wait 15
    assert_relay_ended relay
    lab_assert_same_output relay "$BATS_FILE_TMPDIR/big.expected" \
        "all 8 MB numbered, byte for byte" \
        "§3 and §4: read until read() returns 0, and write everything read() gave you"
    lab_assert_exit relay 0 "§5"
}

# points: 10
@test "the child sees EOF: every unused end of the pipe is closed" {
    lab_spawn relay --in "$BATS_FILE_TMPDIR/small.txt" -- "$RELAY"
    lab_wait_exit relay 5 ||
        lab_fail "pipe_relay to finish soon after its input ended" \
            "$(lab_describe relay)" \
            "§3: the child reads EOF only when every copy of the write end is closed, its own included (hint 2)" \
            "$(lab_show_output relay out)" || return
    lab_assert_same_output relay "$BATS_FILE_TMPDIR/small.expected" "the numbered input" "§4"
}

# points: 5
@test "the parent waits for its child: no zombie, no orphan, even when it fails after the fork" {
    relay_run relay report
    assert_relay_ended relay
    # Strays first: a parent that does not wait may end before its child
    # has written anything, and the output would be blamed instead.
    lab_assert_no_strays relay "§8: waitpid() for the child before the parent exits (hint 4)" || return
    lab_assert_same_output relay "$BATS_FILE_TMPDIR/report.expected" "the numbered input" "§4" || return
    lab_assert_exit relay 0 "§5" || return
    # Standard input is a directory (/, which every uid may open): the parent's first read() fails after
    # the fork.  It reports it, closes its end (the child reports 0 lines)
    # and waits for its child before it exits 1; strace sees the wait.
    lab_run dir --strace wait4,waitid,exit_group --in / -- "$RELAY"
    assert_relay_ended dir
    lab_assert_exit dir 1 "§7: a parent that fails after the fork exits 1" || return
    lab_assert_stderr_line dir "pipe_relay: read: Is a directory" \
        "§7: report a failed call as pipe_relay: CALL: strerror(errno) (stdin was a directory)" || return
    lab_assert_stderr_line dir "pipe_relay: relayed 0 lines, 0 bytes" \
        "§7: the parent still closes its write end, so the child sees EOF and reports" || return
    # The log's first line is the program's own execve() (always traced),
    # not whichever process reached wait4() or exit_group() first.
    local parent
    parent=$(awk '{ print $1; exit }' "$LAB_LOGS/dir.strace")
    awk -v p="$parent" '$1 == p && $2 ~ /^(wait4|waitid)\(/ && !/= -1/ { found = 1 } END { exit !found }' \
        "$LAB_LOGS/dir.strace" ||
        lab_fail "the parent to wait for its child after its read() failed" \
            "strace saw no successful wait4()/waitid() in the parent (pid $parent)" \
            "§7: after a failure past the fork, close the write end and wait for the child, then exit 1" \
            "$(sed -n '1,8p' "$LAB_LOGS/dir.strace")" || return
    # The parent's first write() into the pipe fails with EIO (strace, on
    # the parent alone): an error, not EPIPE.  It says so, still closes its
    # end (the child sees EOF and reports) and waits, then exits 1.
    local -a traced
    mapfile -t traced < <(parent_strace_command eio write write:error=EIO:when=1)
    lab_run eio --in "$BATS_FILE_TMPDIR/small.txt" -- "${traced[@]}" "$RELAY"
    assert_relay_ended eio
    lab_assert_exit eio 1 \
        "§7: a write() into the pipe that fails with any error but EPIPE (here EIO) is a failure of the parent: it exits 1" || return
    lab_assert_stderr_line eio "pipe_relay: write: Input/output error" \
        "§7: report the failed write() as pipe_relay: write: strerror(errno); only EPIPE is the child's end" || return
    lab_assert_stderr_line eio "pipe_relay: relayed 0 lines, 0 bytes" \
        "§7: after the failed write() the parent still closes its write end, so the child sees EOF and reports" || return
    # fork() fails (strace makes clone() fail with EAGAIN): there is no child
    # to wait for.  The parent names the call that failed and exits 1.
    lab_run nofork --inject 'clone,clone3:error=EAGAIN' --in "$BATS_FILE_TMPDIR/small.txt" -- "$RELAY"
    assert_relay_ended nofork
    lab_assert_exit nofork 1 "§7: if fork() fails, pipe_relay prints the message and exits 1" || return
    lab_assert_stderr_line nofork "pipe_relay: fork: Resource temporarily unavailable" \
        "§7: check fork()'s -1 and report it as pipe_relay: fork: strerror(errno); -1 is not a child's pid" || return
    [[ ! -s $LAB_RUN/nofork.out ]] ||
        lab_fail "no output when fork() failed" "some output" "§7" "$(lab_show_output nofork out)"
}

# points: 10
@test "no file descriptor is left open at exit (valgrind --track-fds)" {
    relay_run relay small --valgrind
    assert_relay_ended relay
    lab_assert_same_output relay "$BATS_FILE_TMPDIR/small.expected" "the numbered input, under valgrind too" "§4"
    lab_assert_valgrind_fds relay \
        "§8: close the end of the pipe each process does not use, and the other end when done" || return
    # A rarer path: the child cannot write its output (stdout is /dev/full)
    # and exits 1; it still closes its read end first.
    relay_run full small --out /dev/full --valgrind
    assert_relay_ended full
    lab_assert_exit full 1 "§7: when its stdout is /dev/full the child exits 1, and so does the parent" || return
    lab_assert_valgrind_fds full \
        "§8: every path out closes the pipe: the child that failed to write (stdout was /dev/full) too"
}

# points: 5
@test "valgrind finds no memory error and no leak" {
    relay_run relay report --valgrind
    assert_relay_ended relay
    lab_assert_same_output relay "$BATS_FILE_TMPDIR/report.expected" "the numbered input, under valgrind too" "§4"
    lab_assert_valgrind_clean relay "§8: free what you malloc, in the parent and in the child"
}

# points: 10
@test "the child's exit status passes through (exit code and signal)" {
    # The child cannot write its output: it fails, with status 1.
    lab_run full --in "$BATS_FILE_TMPDIR/small.txt" --out /dev/full -- "$RELAY"
    assert_relay_ended full
    lab_assert_exit full 1 "§5: when its stdout is /dev/full the child exits 1, and so must the parent" || return
    grep -qE '^pipe_relay: [a-z_0-9]+: No space left on device$' "$LAB_RUN/full.err" ||
        lab_fail "the line \"pipe_relay: CALL: No space left on device\" on stderr (the child's failed write)" \
            "no such line" "§7: report a failed call as pipe_relay: CALL: strerror(errno)" \
            "$(lab_show_output full)" || return
    ! grep -q 'relayed' "$LAB_RUN/full.err" ||
        lab_fail "no report line from a child that failed" "a report line" "§7: it exits 1 without the report line" \
            "$(lab_show_output full)" || return
    # The same with 8 MB to forward: the child is gone long before the
    # parent's input ends, so the parent's next write() into the pipe has no
    # reader.  SIGPIPE ignored, it fails with EPIPE, and the child's 1 passes.
    lab_run fullbig --in "$BATS_FILE_TMPDIR/big.txt" --out /dev/full -- "$RELAY"
    assert_relay_ended fullbig
    lab_assert_exit fullbig 1 \
        "§6: the parent sets SIGPIPE to SIG_IGN after the fork, so that writing into the pipe of a child that died fails with EPIPE instead of killing it; it then waits and exits with the child's 1 (stdout was /dev/full, 8 MB of input)" || return

    # The child is killed by SIGTERM: the parent exits 128 + 15.
    lab_spawn killed --in-pipe -- "$RELAY"
    lab_input killed "first line"
    lab_wait_output killed 'first line' 5 ||
        lab_fail "the first line numbered on stdout" "$(lab_describe killed)" "§4" \
            "$(lab_show_output killed out)" || return
    local child
    child=$(lab_descendants killed | head -n 1)
    [[ -n $child ]] || lab_fail "a child process below pipe_relay" "none was found" "§3" || return
    lab_signal_pid "$child" TERM "the child of pipe_relay" "§3"
    lab_wait_exit killed 5 || true
    lab_assert_exit killed 143 \
        "§5: after waitpid(), WIFSIGNALED/WTERMSIG give the signal; exit with 128 + its number (hint 4)"
}

# points: 5
@test "a reader that quits early (head -n 1) does not hang it" {
    # A pipeline, as a shell runs it; the status of pipe_relay is kept.
    lab_run pipeline --in "$BATS_FILE_TMPDIR/big.txt" --wait 10 -- bash -c \
        '"$1" | head -n 1; echo "pipe_relay exit status: ${PIPESTATUS[0]}" >&2' _ "$RELAY"
    lab_assert_finished pipeline "pipe_relay | head -n 1 to finish soon after head quits" \
        "§6: a write() to a pipe nobody reads fails with EPIPE (parent) or kills with SIGPIPE (child); the parent must close its read end (hint 5)" ||
        return
    head -n 1 "$BATS_FILE_TMPDIR/big.expected" >"$BATS_TEST_TMPDIR/first.expected"
    lab_assert_same_output pipeline "$BATS_TEST_TMPDIR/first.expected" \
        "head to print the first numbered line" "§4"
    lab_assert_stderr_line pipeline "pipe_relay exit status: 141" \
        "§6: the child dies of SIGPIPE, and the parent exits 128 + 13 = 141" || return
    # Started by a shell that ignores SIGPIPE: the child still dies of it.
    lab_run ignored --in "$BATS_FILE_TMPDIR/big.txt" --wait 10 -- bash -c \
        'trap "" PIPE; "$1" | head -n 1 >/dev/null; echo "pipe_relay exit status: ${PIPESTATUS[0]}" >&2' _ "$RELAY"
    lab_assert_finished ignored "pipe_relay | head -n 1 to finish soon after head quits, SIGPIPE ignored by the shell" \
        "§6: the child sets SIGPIPE to SIG_DFL itself" || return
    lab_assert_stderr_line ignored "pipe_relay exit status: 141" \
        "§6: an ignored SIGPIPE is inherited: the child sets it back to SIG_DFL, dies of it, and the parent exits 141"
}

# points: 5
@test "SIGUSR1: the parent reports the bytes forwarded so far" {
    lab_spawn relay --in-pipe -- "$RELAY"
    lab_input relay "hello"
    lab_wait_output relay $'^ +1\thello$' 5 ||
        lab_fail "the line \"     1<TAB>hello\" on stdout as soon as it was written" \
            "$(lab_describe relay)" "§4: the child writes as soon as it reads, and does not wait for EOF" \
            "$(lab_show_output relay out)" || return
    # The 6 bytes of "hello\n" went through the pipe: the parent is blocked
    # reading its stdin now.
    lab_signal relay USR1
    lab_wait_output relay '^pipe_relay: forwarded 6 bytes$' 5 err ||
        lab_fail "the line \"pipe_relay: forwarded 6 bytes\" on stderr soon after SIGUSR1" \
            "$(lab_describe relay)" \
            "§6: no SA_RESTART, so the blocked read() returns EINTR and the loop can print (hint 6)" \
            "$(lab_show_output relay)" || return
    # The interrupted read() was not the end of the input: what comes next
    # is relayed too.
    lab_input relay "world" || return
    lab_wait_output relay $'^ +2\tworld$' 5 ||
        lab_fail "the line \"     2<TAB>world\", written after the report, on stdout" \
            "$(lab_describe relay)" "§3: EINTR from read() means \"try again\", not the end of the input" \
            "$(lab_show_output relay)" || return
    lab_close_input relay
    lab_wait_exit relay 5 || true
    lab_assert_exit relay 0 "§5" || return
    # A SIGUSR1 as early as it can matter: strace delivers it when pipe() is
    # called, every time.  The handler must be in place by then, and it may
    # make no system call (it only sets a flag).
    lab_run early --strace all --inject 'pipe,pipe2:signal=USR1' \
        --in "$BATS_FILE_TMPDIR/small.txt" -- "$RELAY"
    assert_relay_ended early
    lab_assert_exit early 0 \
        "§6: install the SIGUSR1 handler right after checking the arguments, before pipe() and fork() (a SIGUSR1 came at pipe())" || return
    lab_assert_same_output early "$BATS_FILE_TMPDIR/small.expected" \
        "the numbered input, although a SIGUSR1 came at pipe()" "§6" || return
    local parent
    parent=$(awk '/execve\(/ { print $1; exit }' "$LAB_LOGS/early.strace")
    grep -qE "^$parent +--- SIGUSR1 " "$LAB_LOGS/early.strace" ||
        lab_fail "strace to deliver a SIGUSR1 to pipe_relay when it calls pipe()" \
            "no SIGUSR1 in the trace: did it call pipe() or pipe2()?" "§3: the parent makes the pipe" || return
    lab_assert_handlers_only early "$parent" USR1 '^$' "the SIGUSR1 handler to make no system call: it only sets a flag" \
        "§6: the handler sets a volatile sig_atomic_t flag; the main loop prints (signal-safety(7))" || return
    # The child sets SIGUSR1 back to its default action, which ends it: sent
    # to the child, a SIGUSR1 kills it, and the parent exits 128 + 10.
    lab_spawn child --in-pipe -- "$RELAY"
    lab_input child "hello"
    lab_wait_output child $'^ +1\thello$' 5 ||
        lab_fail "the line \"     1<TAB>hello\" on stdout as soon as it was written" \
            "$(lab_describe child)" "§4" "$(lab_show_output child out)" || return
    local pid
    pid=$(lab_descendants child | head -n 1)
    [[ -n $pid ]] || lab_fail "a child process below pipe_relay" "none was found" "§3" || return
    lab_signal_pid "$pid" USR1 "the child of pipe_relay" "§6" || return
    # The child is a zombie once it died of it; then the input ends (EOF).
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$pid" Z || true
    lab_wait_exit child 5 || true
    lab_assert_exit child 138 \
        "§6: after fork() the child sets SIGUSR1 back to SIG_DFL (the handler is inherited): a SIGUSR1 sent to the child ends it, and the parent exits 128 + 10"
}

# points: 5
@test "SIGUSR1 while the parent waits in waitpid(): a report, and it still waits for its child" {
    # The child blocks writing to a stopped reader; the parent has forwarded
    # all of its 100000 bytes, closed its end and waits in waitpid().
    local fifo=$LAB_LOGS/output.fifo parent
    mkfifo "$fifo"
    lab_spawn reader -- bash -c 'exec 9<"$1" && kill -STOP $$ && exec cat <&9' _ "$fifo"
    lab_spawn relay --in "$BATS_FILE_TMPDIR/lines1000.txt" --out "$fifo" -- "$RELAY"
    parent=$(lab_pid relay) || return
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in "$parent" '*do_wait*' 61 ||
        lab_fail "pipe_relay to wait in waitpid() once its input is forwarded, its child still writing" \
            "$(lab_describe relay)" "§3: close the write end, then wait" "$(lab_show_output relay)" || return
    lab_signal relay USR1
    lab_wait_output relay '^pipe_relay: forwarded 100000 bytes$' 5 err ||
        lab_fail "the line \"pipe_relay: forwarded 100000 bytes\" on stderr soon after SIGUSR1, while in waitpid()" \
            "$(lab_describe relay)" "§6: waitpid() returns EINTR; print the report, then call it again" \
            "$(lab_show_output relay)" || return
    lab_signal reader CONT
    lab_wait_exit relay 10 || true
    lab_wait_exit reader 10 || true
    assert_relay_ended relay
    lab_assert_exit relay 0 "§5: waitpid() interrupted by SIGUSR1 is called again (EINTR is not a failure), and the child's status passes through" || return
    lab_assert_same_output reader "$BATS_FILE_TMPDIR/lines1000.expected" "the 100 lines numbered" "§4"
}

# points: 5
@test "no byte is lost when signals interrupt write() (short writes)" {
    # The output goes to a reader that stops itself as soon as it has opened
    # its end: the child blocks on its full stdout, the pipe between parent
    # and child fills, and the parent blocks half-way through writing its
    # first 1 MiB chunk.  A SIGUSR1 then makes that write() return a short
    # count: the parent must go on with the rest of the chunk.
    local fifo=$LAB_LOGS/output.fifo parent
    mkfifo "$fifo"     # in $LAB_LOGS: the reader, a program, opens it by its path
    lab_spawn reader -- bash -c 'exec 9<"$1" && kill -STOP $$ && exec cat <&9' _ "$fifo"
    lab_spawn relay --in "$BATS_FILE_TMPDIR/big.txt" --out "$fifo" -- "$RELAY" -b 1048576
    parent=$(lab_pid relay)
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$(lab_pid reader)" T || true
    # The parent sleeps in write() on the full pipe (not merely asleep).
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in_pipe_write "$parent" || true
    lab_kill USR1 "$parent" || true
    lab_wait_output relay '^pipe_relay: forwarded [0-9]+ bytes$' 5 err || true
    lab_signal reader CONT
    lab_wait_exit relay 15 || true
    lab_wait_exit reader 15 || true
    assert_relay_ended relay
    lab_assert_same_output reader "$BATS_FILE_TMPDIR/big.expected" \
        "all 8 MB numbered, byte for byte, although a SIGUSR1 interrupted a write() half-way" \
        "§3: write() may write only part of the buffer, or fail with EINTR: loop until all is written (hint 3)" || return
    lab_assert_exit relay 0 "§5" || return
    # The report came while the first 1 MiB chunk was half written (the pipe
    # and the child hold far less): it counts the bytes of that write() so far.
    local report count
    report=$(grep -m 1 -E '^pipe_relay: forwarded [0-9]+ bytes$' "$LAB_RUN/relay.err")
    count=${report//[!0-9]/}
    [[ -n $count ]] && ((count > 0 && count < 1048576)) ||
        lab_fail "a report \"pipe_relay: forwarded N bytes\" with 0 < N < 1048576: the part of the first 1 MiB chunk written when SIGUSR1 came" \
            "${report:-no report}" "§6: count every write(), so that a report in the middle of a chunk is exact" \
            "$(lab_show_output relay err)"
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2" {
    # Each entry is one command line, its arguments separated by "|" (so
    # that an argument may hold a blank).
    local -a bad=("-b|0" "-b|-5" "-b|+5" "-b| 5" "-b|5 " "-b|abc" "-b|12x" "-b|1048577" "-b|4294967297" "-b|99999999999999999999" "-b" "-x" "extra")
    local i args shown
    for i in "${!bad[@]}"; do
        IFS='|' read -ra args <<<"${bad[$i]}"
        shown=$(printf "'%s' " "${args[@]}")
        lab_run "bad$i" --in "$BATS_FILE_TMPDIR/small.txt" -- "$RELAY" "${args[@]}"
        lab_assert_exit "bad$i" 2 "§7: pipe_relay ${shown% } is a usage error (§2: digits only, no sign, no blanks, from 1 to 1048576, even past the range of an int or a long)" || return
        grep -q '^usage: pipe_relay' "$LAB_RUN/bad$i.err" ||
            lab_fail "the line \"usage: pipe_relay [-b BUFSIZE]\" on stderr for: pipe_relay ${shown% }" \
                "no usage line" "§7" "$(lab_show_output "bad$i")" || return
        [[ ! -s $LAB_RUN/bad$i.out ]] ||
            lab_fail "nothing on stdout for: pipe_relay ${shown% }" "some output" "§7" \
                "$(lab_show_output "bad$i" out)" || return
    done
    # A usage error comes before any pipe or child (strace sees none).
    lab_run traced --strace pipe,pipe2,fork,vfork,clone,clone3 --in "$BATS_FILE_TMPDIR/small.txt" -- "$RELAY" -b 0
    lab_assert_exit traced 2 "§7: pipe_relay -b 0 is a usage error" || return
    local made
    made=$(lab_syscalls traced | tr '\n' ' ')
    [[ -z $made ]] ||
        lab_fail "no pipe and no child for a usage error (pipe_relay -b 0)" "strace saw: $made" \
            "§7: check the arguments first, exit 2 \"without creating the pipe or forking\"" || return
    # The bounds and getopt's joined form are valid, and change nothing in
    # the output.
    local -a good=("-b|1" "-b1048576" "-b|7")
    for i in "${!good[@]}"; do
        IFS='|' read -ra args <<<"${good[$i]}"
        lab_run "good$i" --in "$BATS_FILE_TMPDIR/binary.txt" -- "$RELAY" "${args[@]}"
        lab_assert_exit "good$i" 0 "§2: pipe_relay ${args[*]} is valid (BUFSIZE from 1 to 1048576; -bN is -b N)" || return
        lab_assert_no_strays "good$i" "§8: waitpid() for the child before the parent exits" || return
        lab_assert_same_output "good$i" "$BATS_FILE_TMPDIR/binary.expected" \
            "the same output with pipe_relay ${args[*]}" "§2: BUFSIZE has no effect on the output" || return
    done
    # -b sets the size of each read() the parent makes on its stdin (strace
    # shows the size asked for, in hex: 100000 is 0x186a0; a read() cut in two
    # by another process's line ends in "<unfinished ...>").
    lab_run sized --strace read --strace-raw read --in "$BATS_FILE_TMPDIR/small.txt" -- "$RELAY" -b 100000
    lab_assert_exit sized 0 "§2: pipe_relay -b 100000 is valid" || return
    local parent sizes
    parent=$(awk '{ print $1; exit }' "$LAB_LOGS/sized.strace")
    sizes=$(awk -v p="$parent" '$1 == p && $2 ~ /^read\((0|0x0),/ { s = $0; sub(/^[^,]*, *[^,]*, */, "", s); sub(/ *<unfinished.*/, "", s); sub(/\).*/, "", s); print s }' \
        "$LAB_LOGS/sized.strace" | sort -u | tr '\n' ' ')
    [[ $sizes == "0x186a0 " ]] ||
        lab_fail "every read() of the parent on stdin (fd 0) to ask for 100000 bytes (0x186a0) with -b 100000" \
            "it asked for: ${sizes:-no read() on fd 0 seen}" \
            "§2: -b BUFSIZE sets the size of each read(2) the parent makes on standard input: read(0, buf, BUFSIZE)" \
            "$(grep -E "^$parent +read\((0|0x0)," "$LAB_LOGS/sized.strace" | head -n 4)"
}
