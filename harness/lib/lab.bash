# IPC Lab grader library: the one file a graded test file loads.
#
#   load "$LAB_HARNESS/lib/lab"
#
# It loads the lab's own helpers, one file per concern:
#   i18n.bash      the learner's language (LAB_LANG=zh: Chinese labels)
#   time.bash      the time scale every bound goes through
#   report.bash    failure messages (expected / happened / look at), excerpts
#   proc.bash      spawning under lab-supervise, waits, signals, zombies, strays
#   ipc.bash       unique names and keys, IPC snapshots, leak reports and removal
#   valgrind.bash  runs under valgrind and reading its logs (errors, leaks, fds)
#   trace.bash     strace: which system calls a program really made
#   net.bash       free ports, listening sockets, TCP connections and sends
#
# and defines setup/teardown.  A test file that needs its own setup or
# teardown calls lab_setup first / lab_teardown last in it.
# The grader CLI (harness/bin/lab-grade) exports:
#   LAB_HARNESS  this harness folder       LAB_BIN      the built programs
#   LAB_TOOLS    lab-supervise & co.       LAB_EXERCISE e.g. 01-pipe
#   LAB_SRC      the graded sources        LAB_RUN_ID   unique per grading run
#   LAB_PROGRAM_UID  as root only: the uid the programs run under
#   LAB_PROGRAM_UMASK  the umask the programs start with

# shellcheck shell=bash

: "${LAB_HARNESS:?LAB_HARNESS is not set: run the tests through make grade (harness/bin/lab-grade)}"
: "${LAB_BIN:?LAB_BIN is not set: run the tests through make grade}"
: "${LAB_TOOLS:?LAB_TOOLS is not set: run the tests through make grade}"
: "${LAB_RUN_ID:=$$}"

# bats-support, bats-assert and bats-file are installed (an instructor's
# hidden tests may load them: bats_load_library bats-assert) but not loaded
# here: no lab test uses them, and loading them costs 0.15 s in every test's
# process (measured: bats on three empty tests, with and without them).

for _lab_part in i18n time report proc hangmap ipc valgrind trace net; do
    # shellcheck source=/dev/null
    source "$LAB_HARNESS/lib/$_lab_part.bash"
done
unset _lab_part

# Per test: a private folder for the supervisor's files ($LAB_RUN), a working
# folder for the programs ($LAB_WORK, their current directory), a folder for
# the logs that valgrind and strace write from inside the programs'
# processes ($LAB_LOGS), a unique prefix for IPC names and keys, and a
# snapshot of the IPC objects there are.
lab_setup() {
    # bats runs its DEBUG trap (bats_debug_trap: a stack trace, for the
    # failing line it reports) before every command of every function,
    # this library's included: a third of a grading's CPU (measured: a
    # grading of solutions/04 took 15.2 s of user time with it, 9.6 s with
    # this).  The trap still runs for the test file's own commands, and the
    # line bats reports for a failing step stays the test file's (the call
    # into this library), which is the line a learner can read.
    trap '[[ $BASH_SOURCE == "$LAB_HARNESS"/lib/* ]] || bats_debug_trap "$BASH_SOURCE"' DEBUG
    LAB_RUN="$BATS_TEST_TMPDIR/lab"
    # The programs' folders are apart from the test's own, which holds the
    # expected outputs: see lab_open_to_program.
    local programs=$BATS_RUN_TMPDIR/programs/${BATS_TEST_TMPDIR##*/}
    LAB_WORK="$programs/work"
    LAB_LOGS="$programs/logs"
    mkdir -p "$LAB_RUN" "$LAB_WORK" "$LAB_LOGS"
    [[ -z ${LAB_PROGRAM_UID:-} ]] || lab_open_to_program "$programs" || return 1
    # What the test itself makes for the programs (an input file, a stale
    # FIFO, a broken library in $LAB_WORK) gets the programs' umask.
    umask "${LAB_PROGRAM_UMASK:-0022}"
    LAB_PREFIX="lab-$LAB_RUN_ID-$BATS_TEST_NUMBER"
    LAB_TEST_START=$(date +%s)
    # The test's own shell: every program the test spawns runs below it.
    LAB_TEST_PID=$BASHPID
    export LAB_RUN LAB_WORK LAB_LOGS LAB_PREFIX LAB_TEST_START LAB_TEST_PID
    cd "$LAB_WORK" || return 1
    lab_ipc_snapshot
}

# lab_open_to_program FOLDER: as root, the programs run under a uid of their
# own (LAB_PROGRAM_UID, see lab-grade) and may reach only two folders of the
# grader's: $LAB_WORK and $LAB_LOGS, theirs, in FOLDER (bats' run folder,
# programs/N).  bats runs under umask 077, so everything it makes is the
# grader's alone (the test's folder with its expected outputs, the
# exercise's input files, $LAB_RUN); the folders on the way to FOLDER are
# opened for search only (o+x: a known path can be followed, nothing can be
# listed).
lab_open_to_program() {
    _lab_searchable_to_program "$1" || return 1
    chown "$LAB_PROGRAM_UID:$LAB_PROGRAM_UID" "$LAB_WORK" "$LAB_LOGS" &&
        chmod 0700 "$LAB_WORK" "$LAB_LOGS"
}

# _lab_searchable_to_program DIR: DIR and each folder above it, up to bats'
# run folder, searchable by others (o+x): a path can be followed, no folder
# listed, and no file of the grader's read (they are all 0600 or 0700).
_lab_searchable_to_program() {
    local dir=$1
    while [[ $dir == "$BATS_RUN_TMPDIR"* ]]; do
        chmod o+x "$dir" || return 1
        dir=${dir%/*}
    done
}

# lab_let_program_read FILE...: an input the test made (in $BATS_FILE_TMPDIR
# or $BATS_TEST_TMPDIR) that a program opens by its path, rather than
# through its standard input, is made readable by the programs' uid: FILE
# itself (o+r), and the folders on the way for search only.  The other files
# of those folders (the expected outputs) stay the grader's alone.
lab_let_program_read() {
    [[ -n ${LAB_PROGRAM_UID:-} ]] || return 0
    local file
    for file; do
        chmod o+r -- "$file" && _lab_searchable_to_program "${file%/*}" || return 1
    done
}

# lab_give_to_program PATH...: makes a file the test made (a FIFO a program
# opens by its path) the programs' own, when they run under a uid of their
# own.  Such files go in $LAB_LOGS, which the programs can reach.
lab_give_to_program() {
    [[ -z ${LAB_PROGRAM_UID:-} ]] || chown "$LAB_PROGRAM_UID:$LAB_PROGRAM_UID" "$@"
}

# Stops whatever the test left running (the whole tree of every spawned
# program), then fails the test if a program the test asked to end with a
# signal was still running (lab_check_ended_after_signal), if a program
# that ended left processes behind (lab_check_strays), or if the programs
# left IPC objects behind, after removing them.  When the test failed
# already (in its body or in the two checks before) and the grader had to
# kill a program it left running, what that program leaves is the kill's
# doing (a killed server cannot remove its objects): those objects are
# removed without a report, which would point the learner at a leak that
# is not theirs.
lab_teardown() {
    local failed=0
    lab_stop_all
    # Only where the test passed so far (a failed test's own message is the
    # cause to show first): a program that did not end after the test's
    # signal, then processes left behind.
    if [[ -n ${BATS_TEST_COMPLETED:-} ]]; then
        lab_check_ended_after_signal || failed=1
        lab_check_strays || failed=1
    fi
    if [[ -z ${BATS_TEST_COMPLETED:-} || $failed -eq 1 ]] && ((${#LAB_STOPPED_AT_END[@]})); then
        lab_ipc_report_and_remove >/dev/null || :
        return "$failed"
    fi
    lab_check_ipc_leaks || failed=1
    return "$failed"
}

setup() { lab_setup; }
teardown() { lab_teardown; }
