#!/usr/bin/env bats
# 05-sysv-chat: two processes chat both ways at once through two System V
# shared memory segments, synchronised with System V semaphores.
# Statement: exercises/05-sysv-chat/README.md (the § numbers below are its sections).
#
# programs: chat
# ldlibs: -pthread
# valgrind-factor: 3.7   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

CHAT=$LAB_BIN/chat

# ---------------------------------------------------------------------------
# helgrind (for the library: a sibling of lab_spawn --valgrind)
#
# ---------------------------------------------------------------------------

setup_file() {
    local dir=$BATS_FILE_TMPDIR side
    # 1000 lines per side, from 1 to about 3000 bytes: a message torn by a
    # missing wait (the slot written again before it was read) shows.
    for side in a b; do
        awk -v side="$side" 'BEGIN {
            pad = "abcdefghijklmnopqrstuvwxyz0123456789"
            for (i = 1; i <= 1000; i++) {
                len = 1 + (i * 7919 + (side == "a" ? 0 : 104729)) % 3000
                s = sprintf("%s %04d ", side, i)
                while (length(s) < len) s = s pad
                print substr(s, 1, len)
            } }' >"$dir/$side.1000"
        sed 's/^/peer: /' "$dir/$side.1000" >"$dir/$side.1000.expected"
    done
    printf 'a1\n\na3 with  blanks\tand a tab\nlast line, no newline' >"$dir/eof.txt"
    printf 'peer: a1\npeer: \npeer: a3 with  blanks\tand a tab\npeer: last line, no newline\n' \
        >"$dir/eof.expected"
    # Lines at MSG_MAX (4096): one of exactly 4096 bytes is one message;
    # 4097 bytes are two (4096 and 1); 8193 bytes are three (4096, 4096, 1:
    # the second piece of a line goes like the first); a long line whose
    # last piece reads "quit" is text, not a quit (§4: only a line that is
    # exactly quit); then a line "quit" after those long lines is a quit
    # again, and the line after it is never sent.
    {
        head -c 4096 /dev/zero | tr '\0' x
        echo
        head -c 4097 /dev/zero | tr '\0' z
        echo
        head -c 8193 /dev/zero | tr '\0' w
        echo
        head -c 4096 /dev/zero | tr '\0' y
        echo quit
        echo last
        echo quit
        echo "never sent"
    } >"$dir/limits.txt"
    {
        printf 'peer: %s\n' "$(head -c 4096 /dev/zero | tr '\0' x)" "$(head -c 4096 /dev/zero | tr '\0' z)" z
        printf 'peer: %s\n' "$(head -c 4096 /dev/zero | tr '\0' w)" "$(head -c 4096 /dev/zero | tr '\0' w)" w
        printf 'peer: %s\n' "$(head -c 4096 /dev/zero | tr '\0' y)" quit last
    } >"$dir/limits.expected"
    # A last line "quit" without its newline, at the end of input: a line,
    # and exactly quit, so a quit (§4).
    printf 'before the end\nquit' >"$dir/quit-eof.txt"
    # Any byte but the newline (NUL, bytes above 127); lines that only look
    # like quit are text; then the quit.
    printf 'quitx\n quit\nquit \nNUL\0inside\n\351t\351 \377\nquit\n' >"$dir/bytes.txt"
    printf 'peer: quitx\npeer:  quit\npeer: quit \npeer: NUL\0inside\npeer: \351t\351 \377\n' >"$dir/bytes.expected"
    # More messages one way than a SEM_UNDO adjustment can count (32767).
    seq 32800 >"$dir/32800"
    sed 's/^/peer: /' "$dir/32800" >"$dir/32800.expected"
    printf 'hello from a\nsecond line\n' >"$dir/short.a"
    printf 'hello from b\n' >"$dir/short.b"
}

setup() {
    lab_setup
    KEY=$(lab_sysv_key)
}

# side NAME ROLE [lab_spawn options]: starts one side of the conversation on
# the test's key (lab_spawn options, --helgrind among them, come first).
side() {
    local name=$1 role=$2
    shift 2
    lab_spawn "$name" "$@" -- "$CHAT" -k "$KEY" -r "$role"
}

# connected NAME: waits for "chat: connected" on NAME's stderr (§5).
connected() {
    lab_wait_output "$1" '^chat: connected$' 5 err ||
        lab_fail "the line \"chat: connected\" on stderr of $1 once both sides are there" \
            "$(lab_describe "$1")" "§5 (readiness) and §3 (attaching)" "$(lab_show_output "$1")"
}

# ended NAME CODE SECONDS LOOK_AT: NAME ends by itself within SECONDS, with CODE.
ended() {
    lab_wait_exit "$1" "$3" ||
        lab_fail "$1 to end by itself within $(lab_seconds "$3" "$(lab_scale_of "$1")") s" \
            "$(lab_describe "$1")" "$4" "$(lab_show_output "$1")" || return
    lab_assert_exit "$1" "$2" "$4 and §7 (exit status)"
}

# waiting NAME: waits (5 s at most, never fails) until NAME's main thread
# sleeps in a system call: a side alone has then done what it does before
# it waits for its peer (§5).
waiting() {
    local pid
    pid=$(lab_pid "$1") || return 0
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$pid" S || true
}

# semaphore NUM COLUMN: a column (value, ncount, zcount) of semaphore NUM
# (§3: 0 EMPTY_AB, 1 FULL_AB, 2 EMPTY_BA, 3 FULL_BA) of the test's set, as
# ipcs -s -i shows it; as root, read under the programs' uid (the set is
# theirs, mode 0600).  Fails when there is no such set.
semaphore() {
    local semid out
    semid=$(awk -v key="$((KEY))" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $(col["key"]) == key { print $(col["semid"]) }' /proc/sysvipc/sem)
    [[ -n $semid ]] || return 1
    if [[ -n ${LAB_PROGRAM_UID:-} && $EUID -eq 0 ]]; then
        # shellcheck disable=SC2016 # expanded by that bash
        out=$(lab_as_program 'ipcs -s -i "$1"' "$semid")
    else
        out=$(ipcs -s -i "$semid" 2>/dev/null)
    fi
    awk -v num="$1" -v want="$2" '
        $1 == "semnum" { for (i = 1; i <= NF; i++) col[$i] = i; table = 1; next }
        table && $1 == num { print $(col[want]); found = 1 }
        END { exit !found }' <<<"$out"
}

# semaphore_is NUM COLUMN VALUE: for lab_wait_until (2 once the set is gone).
semaphore_is() {
    local got
    got=$(semaphore "$1" "$2") || return 2
    [[ $got == "$3" ]]
}

# finished_or NAME COMMAND...: NAME has ended, or COMMAND succeeds.
finished_or() {
    local name=$1
    shift
    lab_finished "$name" || "$@"
}

# sysv_field KIND KEY COLUMN: a column of /proc/sysvipc/KIND (shm, sem) for
# the object with KEY (perms, size, nsems...).
sysv_field() {
    awk -v key="$(($2))" -v want="$3" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $(col["key"]) == key { print $(col[want]); exit }' "/proc/sysvipc/$1"
}

# stopped PID: the process is stopped (T), or stopped under strace (t).
stopped() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 2
    [[ ${stat##*) } == [Tt]* ]]
}

# sysv_has KIND KEY [NATTCH]: /proc/sysvipc/KIND (shm, sem) lists KEY (and,
# for shm, with NATTCH processes attached).
sysv_has() {
    awk -v key="$(($2))" -v nattch="${3:-}" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $(col["key"]) == key && (nattch == "" || $(col["nattch"]) == nattch) { found = 1 }
        END { exit !found }' "/proc/sysvipc/$1"
}

# peer_says NAME N LINE WHAT: line N of the grader's stand-in peer NAME
# (harness/tools/chat_peer.c: "connected", then one line per command) is
# LINE. The stand-in reads and writes the slots as §3 lays them out, so a
# mistake that chat makes the same way on both sides shows here.
peer_says() {
    local name=$1 n=$2 want=$3 got
    lab_wait_lines "$name" "$n" 5 || true
    got=$(sed -n "${n}p" "$LAB_RUN/$name.out")
    [[ $got == "$want" ]] ||
        lab_fail "the grader's peer (role ${name#peer}) to report \"$want\": $4" \
            "it reported \"${got:-nothing}\"" \
            "§3: role a writes the segment KEY and reads KEY + 1, role b the other way round; struct channel is kind, len, text (two uint32_t, then the bytes); kind 1 text, 2 end of input, 3 quit" \
            "$(lab_show_output "$name")"
}

# points: 5
@test "a line typed on one side comes out on the other as peer: TEXT (b started first, its key in decimal)" {
    # b first (§1: either order), and its key in decimal (§2: strtol base 0).
    lab_spawn b --in-pipe -- "$CHAT" -k "$((KEY))" -r b
    lab_wait_while_running b 5 sysv_has sem "$KEY" || true
    side a a --in-pipe
    connected a || return
    connected b || return
    lab_input a "hello from a"
    lab_wait_output b '^peer: hello from a$' 5 ||
        lab_fail "b to print \"peer: hello from a\" soon after a read that line" \
            "$(lab_describe b)" "§4 (the writer thread sends each line as soon as it is read)" \
            "$(lab_show_output b out)" || return
    lab_input b "hello from b" $'  blanks  and\ta tab' ""
    lab_wait_lines a 3 5 || true
    printf 'peer: hello from b\npeer:   blanks  and\ta tab\npeer: \n' >"$BATS_TEST_TMPDIR/a.expected"
    lab_assert_same_output a "$BATS_TEST_TMPDIR/a.expected" \
        "each line of b as \"peer: TEXT\", blanks and TABs kept, an empty line as \"peer: \"" "§4" || return
    lab_input a quit
    ended a 0 5 "§6: a \"quit\" line ends this side" || return
    ended b 0 5 "§6: the peer's \"quit\" ends this side too" || return
    printf 'peer: hello from a\n' >"$BATS_TEST_TMPDIR/b.expected"
    lab_assert_same_output b "$BATS_TEST_TMPDIR/b.expected" "the one line a sent (\"quit\" is not printed)" "§4 and §6"
}

# points: 5
@test "both sides send 1000 lines at the same time: each gets all of the other's, in order, none torn" {
    side a a --in "$BATS_FILE_TMPDIR/a.1000"
    side b b --in "$BATS_FILE_TMPDIR/b.1000"
    ended a 0 15 "§6: when both inputs have ended, both sides end" || return
    ended b 0 15 "§6" || return
    lab_assert_same_output a "$BATS_FILE_TMPDIR/b.1000.expected" \
        "all 1000 lines of b, in order, each whole" \
        "§4 and §3: the writer waits until the slot is empty before it writes, the reader until it is full before it reads (hint 2)" ||
        return
    lab_assert_same_output b "$BATS_FILE_TMPDIR/a.1000.expected" \
        "all 1000 lines of a, in order, each whole" "§4 and §3 (hint 2)"
}

# points: 10
@test "quit on one side ends both, after every line sent before it" {
    side a a --in-pipe
    side b b --in-pipe
    connected a || return
    connected b || return
    lab_input b one two three
    lab_wait_lines a 3 5 || true
    # a stopped: "four" is still in the slot, unread, when b reads "quit".
    # It is delivered all the same (§6), before either side ends.
    lab_signal a STOP || return
    lab_input b four quit "never sent" || return
    # b has ended, or its writer waits for the slot (EMPTY_BA has a waiter).
    lab_wait_until "$(lab_seconds 5)" finished_or b semaphore_is 2 ncount 1 || true
    lab_signal a CONT || return
    ended b 0 5 "§6: after a \"quit\" line, this side ends" || return
    # a's input is still open (lab_wait_exit would close it): it ends all the same.
    lab_wait_until "$(lab_seconds 5)" lab_finished a ||
        lab_fail "a to end by itself within $(lab_seconds 5) s of b's quit, its own input still open" \
            "$(lab_describe a)" "§6: no thread may block for good; each looks every 100 ms whether the conversation is over (hint 4)" ||
        return
    ended a 0 5 "§6: the peer's \"quit\" ends this side too, even with its input still open (hint 4)" || return
    lab_assert_same_output a <(printf 'peer: %s\n' one two three four) \
        "the four lines b sent before \"quit\", and nothing after it" \
        "§6: every line before quit is delivered, even one the peer has not read yet when quit is typed: send the quit through the slot too" ||
        return

    # Again with the grader's own side a (harness/tools/chat_peer.c), which
    # reads nothing until b has taken "quit": "five" is still unread in the
    # slot, and b must wait for the slot and send its quit after it, not
    # leave at once and remove the line with the objects.
    lab_spawn peera --in-pipe -- "$LAB_TOOLS/chat_peer" -k "$KEY" -r a -t "$(lab_seconds 5)"
    side b2 b --in-pipe
    peer_says peera 1 connected "both ALIVE semaphores up" || return
    connected b2 || return
    lab_input b2 five quit || return
    # b2 has ended, or its writer waits for the slot (EMPTY_BA has a waiter).
    lab_wait_until "$(lab_seconds 5)" finished_or b2 semaphore_is 2 ncount 1 || true
    lab_input peera recv || return
    peer_says peera 2 "kind 1 len 4: five" \
        "the line b sent just before quit, still in the slot when b read quit (a left first means the objects were removed with the line)" ||
        return
    ended b2 0 5 "§6: after a \"quit\" line, this side ends" || return
    lab_close_input peera
    lab_wait_exit peera 5 || true
}

# points: 5
@test "end of input on one side: the other can still talk, and both ends finish the chat" {
    side a a --in "$BATS_FILE_TMPDIR/eof.txt"
    side b b --in-pipe
    connected b || return
    lab_wait_lines b 4 5 || true
    lab_assert_same_output b "$BATS_FILE_TMPDIR/eof.expected" \
        "a's four lines (the last one had no newline)" "§4" || return
    # A side that takes its end of input for the end of the chat ends within
    # moments of its last line (a tick of its wait). Watched for a second:
    # a measuring window, not a synchronisation (a correct side never ends
    # here, whatever the load).
    if lab_wait_until "$(lab_seconds 1 "$(lab_scale_of a)")" lab_finished a; then
        lab_fail "a to keep running after the end of its input, while b may still talk" \
            "$(lab_describe a)" "§6: end of input is not quit" "$(lab_show_output a)"
        return
    fi
    lab_input b "still here"
    lab_wait_output a '^peer: still here$' 5 ||
        lab_fail "a to print \"peer: still here\" after its own input ended" "$(lab_describe a)" \
            "§6: after end of input the reader thread goes on" "$(lab_show_output a out)" || return
    lab_close_input b
    ended b 0 5 "§6: when both inputs have ended, both sides end" || return
    ended a 0 5 "§6: when both inputs have ended, both sides end"
}

# points: 5
@test "any byte but the newline passes, each peer: line in one write(), and only a line that is exactly quit is a quit" {
    side a a --in "$BATS_FILE_TMPDIR/bytes.txt"
    side b b --in-pipe --strace write
    ended a 0 5 "§6: the last line, quit, ends this side" || return
    ended b 0 5 "§6: the peer's quit" || return
    lab_assert_same_output b "$BATS_FILE_TMPDIR/bytes.expected" \
        "quitx, \" quit\" and \"quit \" as text, a NUL and bytes above 127 kept" \
        "§4: any byte except the newline may occur in a line; only a line that is exactly quit is a quit" || return
    local writes
    writes=$(lab_strace_grep b '^[0-9]+ +write\(1, ')
    if [[ $(grep -c . <<<"$writes") -ne 5 ]] || grep -qvE '^[0-9]+ +write\(1, "peer: .*\\n"(\.\.\.)?, [0-9]+\) += [0-9]+$' <<<"$writes"; then
        lab_fail "5 write() calls on standard output, each a whole line \"peer: TEXT\\n\"" \
            "these write() calls" "§4: one line, one write() (no stdio, no line in pieces)" "$writes"
        return
    fi

    # The last line of a2's input is quit without a newline: a line all the
    # same, and exactly quit, so a quit, not a text. b2's input is empty:
    # had a2 sent the quit as text and then its end, both would end too, and
    # b2 would print "peer: quit".
    side a2 a --in "$BATS_FILE_TMPDIR/quit-eof.txt"
    side b2 b --in /dev/null
    ended a2 0 5 "§6: the last line, quit without a newline, ends this side" || return
    ended b2 0 5 "§6: the peer's quit" || return
    lab_assert_same_output b2 <(printf 'peer: before the end\n') \
        "the line before the last, then nothing: the last line (quit, no newline) is a quit, not printed" \
        "§4: at the end of input, a last line without a newline is sent as a line, and a line that is exactly quit is a quit"
}

# points: 5
@test "the reader copies a message out of the slot before it gives the slot back (its semop calls held up by strace)" {
    # Every semop() or semtimedop() of b (the give of EMPTY among them;
    # glibc's semop() is the semtimedop system call) returns 0.4 s after it
    # is done: a, woken at once, fills the slot again in that time.
    side a a --in "$BATS_FILE_TMPDIR/short.a"
    side b b --in /dev/null --inject 'semtimedop:delay_exit=400000'
    ended a 0 10 "§6: when both inputs have ended, both sides end" || return
    ended b 0 10 "§6" || return
    lab_assert_same_output b <(sed 's/^/peer: /' "$BATS_FILE_TMPDIR/short.a") \
        "a's two lines, each once" \
        "§3: receiving is take FULL, copy the message out, and only then give EMPTY: once EMPTY is given, the writer may fill the slot again"
}

# points: 5
@test "a conversation of 32800 lines: every line arrives (EMPTY and FULL without SEM_UNDO, whose count stops at 32767)" {
    side a a --in "$BATS_FILE_TMPDIR/32800"
    side b b --in /dev/null
    ended a 0 20 "§3: EMPTY and FULL are taken and given without SEM_UNDO (a process's adjustment of one semaphore cannot pass 32767: semop fails with ERANGE)" ||
        return
    ended b 0 20 "§6" || return
    lab_assert_same_output b "$BATS_FILE_TMPDIR/32800.expected" "the 32800 lines of a, in order" "§3 and §4"
}

# points: 5
@test "the side that joins waits until the creator has set the values (the creator stopped between semget and SETALL)" {
    # strace stops a (SIGSTOP) right after its semget() has made the set:
    # its values are not set yet when b joins.
    side a a --in-pipe --inject 'semget:signal=SIGSTOP'
    lab_wait_while_running a 5 sysv_has sem "$KEY" ||
        lab_fail "a semaphore set with key $KEY soon after chat started" "none" "§3" \
            "$(lab_show_output a)" || return
    local pid
    pid=$(lab_pid a) || return
    lab_wait_until "$(lab_seconds 5)" stopped "$pid" || true
    side b b --in-pipe
    waiting b
    lab_signal a CONT || return
    connected a || return
    connected b || return
    lab_input a "after the race"
    lab_wait_output b '^peer: after the race$' 5 ||
        lab_fail "b to print \"peer: after the race\"" "$(lab_describe b)" \
            "§3: the side that gets EEXIST waits until sem_otime is not 0 before it uses the set (hint 1)" \
            "$(lab_show_output b)" || return
    lab_input a quit
    ended a 0 5 "§6" || return
    ended b 0 5 "§6"
}

# points: 5
@test "a failed system call: chat: CALL: its error on stderr, exit status 1, nothing left; keys 0x1a00cafe (no -k) and 0x7ffffffe" {
    # Without -k, and with the largest key: shmget fails (strace injects ENOSPC).
    lab_run dflt --inject 'shmget:error=ENOSPC' -- "$CHAT" -r a
    lab_assert_exit dflt 1 "§7: a system call failed" || return
    lab_assert_stderr_line dflt "chat: shmget: No space left on device" "§7: chat: CALL: strerror text" || return
    lab_strace_grep dflt '^[0-9]+ +shmget\(0x1a00cafe, ' >/dev/null ||
        lab_fail "shmget() with the default key 0x1a00cafe" "$(lab_strace_grep dflt 'shmget\(' | head -n 2)" "§2: -k KEY, default 0x1a00cafe" ||
        return
    lab_run top --inject 'shmget:error=ENOSPC' -- "$CHAT" -k 0x7ffffffe -r b
    lab_assert_exit top 1 "§2: 0x7ffffffe is a key (the largest): only the injected failure of shmget ends it" || return
    lab_strace_grep top '^[0-9]+ +shmget\(0x7ffffffe, ' >/dev/null ||
        lab_fail "shmget() with the key 0x7ffffffe" "$(lab_strace_grep top 'shmget\(' | head -n 2)" "§2" || return
    # The segments exist when semget fails: they are removed.
    lab_run sem --inject 'semget:error=ENOSPC' -- "$CHAT" -k "$KEY" -r a
    lab_assert_exit sem 1 "§7: a system call failed" || return
    lab_assert_stderr_line sem "chat: semget: No space left on device" "§7: chat: CALL: strerror text" || return
    lab_assert_no_new_ipc "no segment left after semget failed" "§9: a side that leaves, for any reason, removes the objects" ||
        return

    # Once they talk (§7, §9): a call of a thread fails. The side says so,
    # removes the objects and exits 1; its peer finds them removed (EIDRM)
    # and ends with 0, not with "peer vanished". Three calls, each failed
    # by strace: a's first read() of its standard input (aimed at that file
    # alone), b's first write() on its standard output (aimed at that
    # file), a's fifth semtimedop() (glibc's semop() is that system call
    # too). strace counts each thread's calls apart: b sends a three lines,
    # so the thread that takes FULL and gives EMPTY makes at least 6 such
    # calls, whether it waits in ticks (the reference's 100 ms) or blocks;
    # a thread that connects makes fewer than 5 (b is there already).
    local case fails peer call want
    for case in read:ra:pb write:rb:pa semtimedop:sa:sb; do
        IFS=: read -r call fails peer <<<"$case"
        case $call in
        read)
            want='^chat: read: Input/output error$'
            lab_spawn "$peer" --in-pipe -- "$CHAT" -k "$KEY" -r b
            lab_spawn "$fails" --in "$BATS_FILE_TMPDIR/short.a" --inject 'read:error=EIO' \
                --trace-path "$BATS_FILE_TMPDIR/short.a" -- "$CHAT" -k "$KEY" -r a
            ;;
        write)
            want='^chat: write: No space left on device$'
            lab_spawn "$fails" --in-pipe --inject 'write:error=ENOSPC' --trace-path "$LAB_RUN/$fails.out" \
                -- "$CHAT" -k "$KEY" -r b
            lab_spawn "$peer" --in-pipe -- "$CHAT" -k "$KEY" -r a
            connected "$peer" || return
            lab_input "$peer" "hello from a" || return
            ;;
        semtimedop)
            want='^chat: sem(timed)?op: Cannot allocate memory$'
            # b first, its ALIVE up: a joins, raises its ALIVE and finds
            # b's at once (2 calls of its main thread).
            lab_spawn "$peer" --in-pipe -- "$CHAT" -k "$KEY" -r b
            lab_wait_while_running "$peer" 5 semaphore_is 5 value 1 || true
            lab_spawn "$fails" --in-pipe --inject 'semtimedop:error=ENOMEM:when=5' -- "$CHAT" -k "$KEY" -r a
            ;;
        esac
        connected "$fails" || return
        if [[ $call == semtimedop ]]; then
            connected "$peer" || return
            lab_input --may-end "$peer" "one" "two" "three" || return
        fi
        # Both inputs still open: each side ends by itself, or not at all.
        lab_wait_until "$(lab_seconds 5)" lab_finished "$fails" ||
            lab_fail "$fails to end by itself within $(lab_seconds 5) s once its $call() failed" \
                "$(lab_describe "$fails")" "§7: a system call that fails while they talk ends this side" \
                "$(lab_show_output "$fails")" || return
        ended "$fails" 1 5 "§7: a system call that fails while they talk ($call) ends this side, exit status 1" || return
        grep -qE "$want" "$LAB_RUN/$fails.err" ||
            lab_fail "a line \"chat: $call: ...\" (its strerror text) on stderr of $fails, whose $call() failed once it talked" \
                "no such line ($(lab_describe "$fails"))" "§7: chat: CALL: strerror text" \
                "$(lab_show_output "$fails")" || return
        lab_wait_until "$(lab_seconds 5)" lab_finished "$peer" ||
            lab_fail "$peer to end by itself within $(lab_seconds 5) s of $fails, whose $call() failed" \
                "$(lab_describe "$peer")" "§7 and §9: the side that fails removes the objects; the peer finds them removed (EIDRM) and ends" \
                "$(lab_show_output "$peer")" || return
        ended "$peer" 0 5 "§7 and §9: the side whose $call() failed removes the objects; its peer finds them removed (EIDRM), not a vanished peer, and ends with 0" ||
            return
        lab_assert_no_new_ipc "no segment and no semaphore set left after $call() failed in $fails" \
            "§9: the first side to leave, for a failed system call too, removes the objects" || return
    done
}

# points: 5
@test "lines at MSG_MAX: 4096 bytes arrive as one line, 4097 as two, and a long line ending in quit is text" {
    # b's input is empty: its end goes first, and a's quit (or, for a side
    # that takes it for text, a's end) ends both.
    side a a --in "$BATS_FILE_TMPDIR/limits.txt"
    side b b --in /dev/null
    ended a 0 10 "§6: a line quit ends this side (or, were it taken for text, both inputs ended)" || return
    ended b 0 10 "§6: the peer's quit ends this side" || return
    lab_assert_same_output b "$BATS_FILE_TMPDIR/limits.expected" \
        "a line of 4096 x as one peer: line; 4097 z as 4096 z, then z; 8193 w as 4096 w, 4096 w, then w; 4096 y then quit as two pieces of text; then last; then the line quit ends it (not printed, nor the line after it)" \
        "§4: only a line longer than MSG_MAX goes in pieces, each piece of at most MSG_MAX bytes however many there are; only a line that is exactly quit is a quit, and a line after a long one starts afresh"
}

# points: 5
@test "a side killed with SIGKILL: the survivor prints its last line, says so, exits 1 and removes the objects" {
    side a a --in-pipe
    side b b --in-pipe
    connected a || return
    connected b || return
    # b stopped while a sends its last line: a is killed with the line in
    # the slot (FULL_AB is 1), not read yet.
    lab_signal b STOP || return
    lab_input a "before the end" || return
    lab_wait_until "$(lab_seconds 5)" semaphore_is 1 value 1 || true
    lab_signal a KILL
    lab_wait_exit a 5 || true
    lab_signal b CONT || return
    ended b 1 5 "§8: a peer killed by SIGKILL cannot say goodbye; its ALIVE semaphore, taken with SEM_UNDO, falls to 0 (hint 5)" ||
        return
    lab_assert_stderr_line b "chat: peer vanished" "§8" || return
    lab_assert_same_output b <(echo "peer: before the end") "the line a sent before it was killed" \
        "§8: a message the peer sent before it died is still read and printed first" || return
    lab_assert_no_new_ipc "no segment and no semaphore set left once the survivor has exited" \
        "§8 and §9: the survivor removes everything (IPC_RMID), since the dead peer never will"
}

# points: 5
@test "a message given just before the peer was killed is still printed (the survivor held by strace on its way to read ALIVE)" {
    # Each semctl() of b is held by strace for 3 s before it is made.  The
    # grader waits until b's reader, its wait timed out, is held on its way
    # to read a's ALIVE (§8: semctl GETVAL); then a sends its last line and
    # is killed.  When the GETVAL is made, a is dead (0) and its line is in
    # the slot (FULL_AB is 1), not taken yet: only the last try that §8 asks
    # for prints it.
    local hold pid
    hold=$(lab_seconds 3)
    side a a --in-pipe
    side b b --in-pipe --inject "semctl:delay_enter=$(awk -v s="$hold" 'BEGIN { printf "%d", s * 1000000 }')"
    connected a || return
    connected b || return
    pid=$(lab_pid b) || return
    lab_wait_until "$(lab_seconds 10)" lab_held_in_syscall "$pid" 66 ||
        lab_fail "b's reader, its 100 ms wait timed out, on its way into semctl() to read a's ALIVE (held there by strace)" \
            "$(lab_describe b)" \
            "§8: every wait on a semaphore uses semtimedop() with a timeout of 100 ms; when it times out, the thread reads the peer's ALIVE (semctl GETVAL)" \
            "$(lab_show_output b)" || return
    lab_input a "given before the end" || return
    lab_wait_until "$(lab_seconds 5)" semaphore_is 1 value 1 || true
    lab_signal a KILL
    lab_wait_exit a 5 || true
    # 5 s, and two held semctl() calls: the GETVAL and the IPC_RMID.
    ended b 1 11 "§8: a peer killed by SIGKILL cannot say goodbye; its ALIVE semaphore, taken with SEM_UNDO, falls to 0 (hint 5)" ||
        return
    lab_assert_same_output b <(echo "peer: given before the end") \
        "the line a gave (FULL_AB raised) just before it was killed, though b saw a's ALIVE at 0 before it took it" \
        "§8: a message the peer sent before it died is still read and printed first: when ALIVE reads 0, take FULL once more with IPC_NOWAIT before you say \"peer vanished\""
}

# points: 5
@test "a second process with the same role is refused (exit 1) and leaves the talking pair alone" {
    side a a --in-pipe
    side b b --in-pipe
    connected a || return
    connected b || return
    lab_run intruder -- "$CHAT" -k "$KEY" -r a
    lab_assert_finished intruder "a second chat -r a to be refused at once, the role being taken" \
        "§8: {ALIVE, 0, IPC_NOWAIT}, {ALIVE, +1, SEM_UNDO} in one semop(): EAGAIN means the role is taken" || return
    lab_assert_exit intruder 1 "§7 and §8: refused, exit status 1" || return
    grep -q '^chat: role a is taken already' "$LAB_RUN/intruder.err" ||
        lab_fail "a line \"chat: role a is taken already...\" on stderr of the second -r a" "no such line" "§8" \
            "$(lab_show_output intruder)" || return
    sysv_has sem "$KEY" && sysv_has shm "$KEY" 2 ||
        lab_fail "the pair's semaphore set and segments still there after the refusal" \
            "they are gone or no longer attached by both" \
            "§8: the process refused removes nothing: the objects are the talking pair's" || return
    # The other role too: the refusal names the role that was asked for.
    lab_run intruderb -- "$CHAT" -k "$KEY" -r b
    lab_assert_finished intruderb "a second chat -r b to be refused at once, the role being taken" \
        "§8: {ALIVE, 0, IPC_NOWAIT}, {ALIVE, +1, SEM_UNDO} in one semop() on the process's own ALIVE (ALIVE_B for role b)" || return
    lab_assert_exit intruderb 1 "§7 and §8: refused, exit status 1" || return
    grep -q '^chat: role b is taken already' "$LAB_RUN/intruderb.err" ||
        lab_fail "a line \"chat: role b is taken already...\" on stderr of the second -r b" \
            "no such line: $(lab_excerpt "$LAB_RUN/intruderb.err")" "§8: \"role a\" or \"role b\": the role that is taken" \
            "$(lab_show_output intruderb)" || return
    sysv_has sem "$KEY" && sysv_has shm "$KEY" 2 ||
        lab_fail "the pair's semaphore set and segments still there after the refusal of a second -r b" \
            "they are gone or no longer attached by both" \
            "§8: the process refused removes nothing: the objects are the talking pair's" || return
    lab_input a "still talking"
    lab_wait_output b '^peer: still talking$' 5 ||
        lab_fail "b to print \"peer: still talking\", a line a sent after the refusal" \
            "$(lab_describe b)" "§8: the refusal does not disturb the conversation" "$(lab_show_output b)" || return
    lab_input a quit
    ended a 0 5 "§6: quit" || return
    ended b 0 5 "§6: the peer's quit"
}

# points: 10
@test "SIGTERM, SIGINT or SIGHUP ends a side, removes the objects, and the peer ends too; alone, no connected line" {
    # Alone, before any peer came: no "chat: connected" while it waits; SIGTERM.
    side alone a --in-pipe
    lab_wait_while_running alone 5 sysv_has sem "$KEY" ||
        lab_fail "a semaphore set with key $KEY soon after chat started" "none" "§3" \
            "$(lab_show_output alone)" || return
    waiting alone
    if grep -q 'connected' "$LAB_RUN/alone.err"; then
        lab_fail "no \"chat: connected\" from a side whose peer never came" \
            "it said so while waiting ($(lab_describe alone))" \
            "§5: raise your ALIVE, wait until the peer's is 1, only then say connected" \
            "$(lab_show_output alone err)"
        return
    fi
    lab_signal alone TERM
    ended alone 0 5 "§7: SIGTERM while waiting for the peer" || return
    lab_assert_no_new_ipc "no segment and no semaphore set left after SIGTERM" \
        "§9: remove what you created (IPC_RMID), on SIGTERM too (hint 6)" || return

    # A side that joins waits for the creator's values (§3); SIGTERM ends it
    # there too. The creator is stopped by strace (SIGSTOP) right after its
    # semget() made the set, so the joiner waits for sem_otime for as long
    # as the test likes; then it gets SIGTERM, and the creator is killed.
    local pid
    side creator a --in-pipe --inject 'semget:signal=SIGSTOP'
    lab_wait_while_running creator 5 sysv_has sem "$KEY" ||
        lab_fail "a semaphore set with key $KEY soon after chat started" "none" "§3" \
            "$(lab_show_output creator)" || return
    pid=$(lab_pid creator) || return
    lab_wait_until "$(lab_seconds 5)" stopped "$pid" || true
    side joiner b --in-pipe
    waiting joiner
    lab_signal joiner TERM
    ended joiner 0 5 "§7: SIGTERM ends this side at once, also while it joins and waits until the creator has set the values (§3, hint 1): look for signals in that wait too" ||
        return
    lab_signal creator KILL
    lab_wait_exit creator 5 || true
    lab_assert_no_new_ipc "no segment and no semaphore set left after SIGTERM to the joiner and SIGKILL to the stopped creator" \
        "§9: the side that leaves removes the objects, those it joined too (hint 6)" || return

    # A conversation: SIGINT to a ends a and b; another: SIGHUP to d ends d and c.
    local sig a b this peer
    for sig in INT:a:b:a HUP:c:d:d; do
        IFS=: read -r sig a b this <<<"$sig"
        peer=$a
        [[ $this == "$a" ]] && peer=$b
        side "$a" a --in-pipe
        side "$b" b --in-pipe
        connected "$this" || return
        connected "$peer" || return
        lab_signal "$this" "$sig"
        ended "$this" 0 5 "§7: SIG$sig ends this side, exit status 0" || return
        ended "$peer" 0 5 "§7: when the peer leaves (its objects gone: EIDRM), this side ends too" || return
        lab_assert_no_new_ipc "no segment and no semaphore set left after SIG$sig" "§9 (hint 6)" || return
    done
}

# points: 5
@test "while they talk: two segments (KEY and KEY+1) of 4104 bytes attached by both, one set of 6 semaphores (KEY) at 1 0 1 0 1 1, all mode 0600" {
    side a a --in-pipe
    side b b --in-pipe
    connected a || return
    connected b || return
    local shm2
    shm2=$(printf '0x%08x' $((KEY + 1)))
    sysv_has shm "$KEY" 2 ||
        lab_fail "a shared memory segment with key $KEY, attached by 2 processes" \
            "none in /proc/sysvipc/shm" "§3" "$(cat /proc/sysvipc/shm)" || return
    sysv_has shm "$shm2" 2 ||
        lab_fail "a shared memory segment with key $shm2, attached by 2 processes" \
            "none in /proc/sysvipc/shm" "§3" "$(cat /proc/sysvipc/shm)" || return
    sysv_has sem "$KEY" ||
        lab_fail "a semaphore set with key $KEY" "none in /proc/sysvipc/sem" "§3" \
            "$(cat /proc/sysvipc/sem)" || return
    local key
    for key in "$KEY" "$shm2"; do
        [[ $(sysv_field shm "$key" perms) == 600 && $(sysv_field shm "$key" size) == 4104 ]] ||
            lab_fail "the segment with key $key of sizeof(struct channel) (4104) bytes, mode 0600" \
                "mode $(sysv_field shm "$key" perms), $(sysv_field shm "$key" size) bytes" \
                "§3: shmget(KEY + i, sizeof(struct channel), IPC_CREAT | 0600)" || return
    done
    [[ $(sysv_field sem "$KEY" perms) == 600 && $(sysv_field sem "$KEY" nsems) == 6 ]] ||
        lab_fail "the semaphore set with key $KEY: 6 semaphores, mode 0600" \
            "mode $(sysv_field sem "$KEY" perms), $(sysv_field sem "$KEY" nsems) semaphores" \
            "§3: semget(KEY, 6, IPC_CREAT | IPC_EXCL | 0600)" || return
    # Both connected, nothing sent: both slots empty, both sides alive.
    local values="" i
    for i in 0 1 2 3 4 5; do values+=" $(semaphore "$i" value)"; done
    [[ $values == " 1 0 1 0 1 1" ]] ||
        lab_fail "the values 1 0 1 0 1 1 (EMPTY_AB FULL_AB EMPTY_BA FULL_BA ALIVE_A ALIVE_B) while both sides wait" \
            "the values${values}" "§3: the 6 semaphores in this order, with these first values; §8: each side raises its own ALIVE" ||
            return
    lab_input b quit
    ended b 0 5 "§6" || return
    ended a 0 5 "§6" || return
    lab_assert_no_new_ipc "no segment and no semaphore set left once both have exited" "§9" || return

    # Each role against the grader's stand-in for the other one
    # (harness/tools/chat_peer.c), which writes and reads the slots as §3
    # lays them out and prints what it finds in them: kind, len, text.
    local mine peer
    for mine in a b; do
        peer=b
        [[ $mine == b ]] && peer=a
        side "my$mine" "$mine" --in-pipe
        lab_spawn "peer$peer" --in-pipe -- "$LAB_TOOLS/chat_peer" -k "$KEY" -r "$peer" -t "$(lab_seconds 5)"
        connected "my$mine" || return
        peer_says "peer$peer" 1 connected "both ALIVE semaphores up" || return
        lab_input "my$mine" "from role $mine"
        lab_input "peer$peer" recv
        peer_says "peer$peer" 2 "kind 1 len 11: from role $mine" \
            "the line \"from role $mine\" that $mine read, in the segment role $mine writes" || return
        lab_input "peer$peer" "text from the grader's $peer"
        peer_says "peer$peer" 3 "sent kind 1 len 19" "a text message for $mine" || return
        lab_wait_output "my$mine" "^peer: from the grader's $peer\$" 5 ||
            lab_fail "$mine to print \"peer: from the grader's $peer\", a message of kind 1 that the grader's $peer wrote in the segment $mine reads" \
                "$(lab_describe "my$mine")" \
                "§3: role a reads the segment KEY + 1, role b the segment KEY; struct channel is kind, len, text" \
                "$(lab_show_output "my$mine" out)" || return
        if [[ $mine == a ]]; then
            # The peer waits for FULL_AB first: a, which removes the set as
            # soon as its quit is in the slot (§6), has then given it to it.
            lab_input peerb recv
            lab_wait_until "$(lab_seconds 5)" semaphore_is 1 ncount 1 || true
            lab_input mya quit
            peer_says peerb 4 "kind 3 len 0: " "the quit message of a" || return
        else
            # The grader's end (kind 2), then b's: b ends, and no earlier.
            lab_input peera end recv
            peer_says peera 4 "sent kind 2 len 0" "the end of input of the grader's a" || return
            lab_wait_until "$(lab_seconds 5)" semaphore_is 3 ncount 1 || true
            lab_close_input myb
            peer_says peera 5 "kind 2 len 0: " "the end message of b, at the end of its input" || return
        fi
        ended "my$mine" 0 5 "§6: the conversation is over" || return
        lab_close_input "peer$peer"
        ended "peer$peer" 0 5 "the grader's peer leaves once its input ends" || return
    done
    lab_assert_no_new_ipc "no segment and no semaphore set left once both have exited" "§9"
}

# points: 5
@test "valgrind finds no memory error, no leak and no open descriptor on either side" {
    side a a --in "$BATS_FILE_TMPDIR/short.a" --valgrind
    side b b --in "$BATS_FILE_TMPDIR/short.b" --valgrind
    ended a 0 5 "§6" || return
    ended b 0 5 "§6" || return
    lab_assert_valgrind_clean a "§9: free what you allocate, join your threads" || return
    lab_assert_valgrind_clean b "§9" || return
    lab_assert_valgrind_fds a "§9" || return
    lab_assert_valgrind_fds b "§9" || return
    lab_assert_threads_joined a "§9: join every thread" || return
    lab_assert_threads_joined b "§9: join every thread"
}

# points: 5
@test "helgrind finds no data race between the reader and writer threads" {
    side a a --helgrind --in "$BATS_FILE_TMPDIR/short.a"
    side b b --helgrind --in "$BATS_FILE_TMPDIR/short.b"
    ended a 0 5 "§6" || return
    ended b 0 5 "§6" || return
    lab_assert_helgrind_clean a "§5: every variable two threads share is read and written with the mutex held (hint 3)" || return
    lab_assert_helgrind_clean b "§5 (hint 3)"
}

# points: 5
@test "bad arguments: what is wrong, then the usage line, on stderr, exit status 2, no IPC object" {
    # -k 0x7fffffff: KEY + 1 would not be a key; -k -5: negative.
    local -a bad=("" "-r c" "-r" "-k abc -r a" "-k 0 -r a" "-k 12x -r a" "-k 0x7fffffff -r a"
        "-k -5 -r a" "-k" "-x -r a" "-r a extra")
    local i args
    printf 'usage: chat [-k KEY] -r a|b\n' >"$BATS_TEST_TMPDIR/usage"
    for i in "${!bad[@]}"; do
        read -ra args <<<"${bad[$i]}"
        lab_run "bad$i" -- "$CHAT" "${args[@]}"
        lab_assert_exit "bad$i" 2 "§2: chat ${bad[$i]:-(with no argument)} is a usage error" || return
        [[ $(wc -l <"$LAB_RUN/bad$i.err") -eq 2 && -n $(head -n 1 "$LAB_RUN/bad$i.err") ]] ||
            lab_fail "on stderr for: chat ${bad[$i]}, two lines: what is wrong, then the usage line" \
                "$(wc -l <"$LAB_RUN/bad$i.err") line(s)" "§2" "$(lab_show_output "bad$i")" || return
        tail -n 1 "$LAB_RUN/bad$i.err" >"$BATS_TEST_TMPDIR/bad$i.usage"
        lab_assert_same_file "$BATS_TEST_TMPDIR/usage" "$BATS_TEST_TMPDIR/bad$i.usage" \
            "exactly the line \"usage: chat [-k KEY] -r a|b\", last on stderr for: chat ${bad[$i]}" "§2" "bad$i" || return
        lab_assert_no_new_ipc "no IPC object created for: chat ${bad[$i]}" "§2: check the arguments before anything else" ||
            return
    done
}
