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
    printf 'one\ntwo\nthree\nquit\nnever sent\n' >"$dir/quitter.txt"
    printf 'peer: one\npeer: two\npeer: three\n' >"$dir/quitter.expected"
    printf 'a1\n\na3 with  blanks\tand a tab\nlast line, no newline' >"$dir/eof.txt"
    printf 'peer: a1\npeer: \npeer: a3 with  blanks\tand a tab\npeer: last line, no newline\n' \
        >"$dir/eof.expected"
    # Lines at MSG_MAX (4096): one of exactly 4096 bytes is one message;
    # 4097 bytes are two (4096 and 1); a long line whose last piece reads
    # "quit" is text, not a quit (§4: only a line that is exactly quit).
    {
        head -c 4096 /dev/zero | tr '\0' x
        echo
        head -c 4097 /dev/zero | tr '\0' z
        echo
        head -c 4096 /dev/zero | tr '\0' y
        echo quit
        echo last
    } >"$dir/limits.txt"
    {
        printf 'peer: %s\n' "$(head -c 4096 /dev/zero | tr '\0' x)" "$(head -c 4096 /dev/zero | tr '\0' z)" z
        printf 'peer: %s\n' "$(head -c 4096 /dev/zero | tr '\0' y)" quit last
    } >"$dir/limits.expected"
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

# sysv_has KIND KEY [NATTCH]: /proc/sysvipc/KIND (shm, sem) lists KEY (and,
# for shm, with NATTCH processes attached).
sysv_has() {
    awk -v key="$(($2))" -v nattch="${3:-}" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $(col["key"]) == key && (nattch == "" || $(col["nattch"]) == nattch) { found = 1 }
        END { exit !found }' "/proc/sysvipc/$1"
}

# points: 10
@test "a line typed on one side comes out on the other as peer: TEXT" {
    side a a --in-pipe
    side b b --in-pipe
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

# points: 10
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
    side b b --in "$BATS_FILE_TMPDIR/quitter.txt"
    ended b 0 5 "§6: after a \"quit\" line, this side ends at once" || return
    ended a 0 5 "§6: the peer's \"quit\" ends this side too, even with its input still open (hint 4)" || return
    lab_assert_same_output a "$BATS_FILE_TMPDIR/quitter.expected" \
        "the three lines b sent before \"quit\", and nothing after it" "§6: the lines before quit are all delivered"
}

# points: 10
@test "end of input on one side: the other can still talk, and both ends finish the chat" {
    side a a --in "$BATS_FILE_TMPDIR/eof.txt"
    side b b --in-pipe
    connected b || return
    lab_wait_lines b 4 5 || true
    lab_assert_same_output b "$BATS_FILE_TMPDIR/eof.expected" \
        "a's four lines (the last one had no newline)" "§4" || return
    if lab_finished a; then
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
@test "lines at MSG_MAX: 4096 bytes arrive as one line, 4097 as two, and a long line ending in quit is text" {
    side a a --in "$BATS_FILE_TMPDIR/limits.txt"
    side b b --in /dev/null
    ended a 0 10 "§6: when both inputs have ended, both sides end" || return
    ended b 0 10 "§6: when both inputs have ended, both sides end" || return
    lab_assert_same_output b "$BATS_FILE_TMPDIR/limits.expected" \
        "a line of 4096 x as one peer: line; 4097 z as 4096 z, then z; 4096 y then quit as two pieces of text; then last" \
        "§4: only a line longer than MSG_MAX goes in pieces, and only a line that is exactly quit is a quit"
}

# points: 15
@test "a side killed with SIGKILL: the survivor notices, says so, exits 1 and removes the objects" {
    side a a --in-pipe
    side b b --in-pipe
    connected a || return
    connected b || return
    lab_input a "before the end"
    lab_wait_output b '^peer: before the end$' 5 ||
        lab_fail "b to print \"peer: before the end\"" "$(lab_describe b)" "§4" \
            "$(lab_show_output b out)" || return
    lab_signal a KILL
    lab_wait_exit a 5 || true
    ended b 1 5 "§8: a peer killed by SIGKILL cannot say goodbye; its ALIVE semaphore, taken with SEM_UNDO, falls to 0 (hint 5)" ||
        return
    lab_assert_stderr_line b "chat: peer vanished" "§8" || return
    lab_assert_no_new_ipc "no segment and no semaphore set left once the survivor has exited" \
        "§8 and §9: the survivor removes everything (IPC_RMID), since the dead peer never will"
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
    lab_input a "still talking"
    lab_wait_output b '^peer: still talking$' 5 ||
        lab_fail "b to print \"peer: still talking\", a line a sent after the refusal" \
            "$(lab_describe b)" "§8: the refusal does not disturb the conversation" "$(lab_show_output b)" || return
    lab_input a quit
    ended a 0 5 "§6: quit" || return
    ended b 0 5 "§6: the peer's quit"
}

# points: 10
@test "SIGINT or SIGTERM ends a side, removes the objects, and the peer ends too" {
    # Alone, before any peer came: SIGTERM.
    side alone a --in-pipe
    lab_wait_while_running alone 5 sysv_has sem "$KEY" ||
        lab_fail "a semaphore set with key $KEY soon after chat started" "none" "§3" \
            "$(lab_show_output alone)" || return
    lab_signal alone TERM
    ended alone 0 5 "§7: SIGTERM while waiting for the peer" || return
    lab_assert_no_new_ipc "no segment and no semaphore set left after SIGTERM" \
        "§9: remove what you created (IPC_RMID), on SIGTERM too (hint 6)" || return

    # A conversation: SIGINT to a ends a and b.
    side a a --in-pipe
    side b b --in-pipe
    connected a || return
    connected b || return
    lab_signal a INT
    ended a 0 5 "§7: SIGINT ends this side, exit status 0" || return
    ended b 0 5 "§7: when the peer leaves (its objects gone: EIDRM), this side ends too" || return
    lab_assert_no_new_ipc "no segment and no semaphore set left after SIGINT" "§9 (hint 6)"
}

# points: 5
@test "while they talk: two segments (KEY and KEY+1) attached by both, one semaphore set (KEY)" {
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
    lab_input b quit
    ended b 0 5 "§6" || return
    ended a 0 5 "§6" || return
    lab_assert_no_new_ipc "no segment and no semaphore set left once both have exited" "§9"
}

# points: 10
@test "valgrind finds no memory error, no leak and no open descriptor on either side" {
    side a a --in "$BATS_FILE_TMPDIR/short.a" --valgrind
    side b b --in "$BATS_FILE_TMPDIR/short.b" --valgrind
    ended a 0 5 "§6" || return
    ended b 0 5 "§6" || return
    lab_assert_valgrind_clean a "§9: free what you allocate, join your threads" || return
    lab_assert_valgrind_clean b "§9" || return
    lab_assert_valgrind_fds a "§9" || return
    lab_assert_valgrind_fds b "§9"
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
@test "bad arguments: a usage message on stderr, exit status 2, no IPC object" {
    local -a bad=("" "-r c" "-r" "-k abc -r a" "-k 0 -r a" "-k 12x -r a" "-x -r a" "-r a extra")
    local i args
    for i in "${!bad[@]}"; do
        read -ra args <<<"${bad[$i]}"
        lab_run "bad$i" -- "$CHAT" "${args[@]}"
        lab_assert_exit "bad$i" 2 "§2: chat ${bad[$i]:-(with no argument)} is a usage error" || return
        grep -q '^usage: chat' "$LAB_RUN/bad$i.err" ||
            lab_fail "the line \"usage: chat [-k KEY] -r a|b\" on stderr for: chat ${bad[$i]}" \
                "no usage line" "§2" "$(lab_show_output "bad$i")" || return
    done
    lab_assert_no_new_ipc "no IPC object created for bad arguments" "§2: check the arguments first"
}
