# IPC Lab grader library: the one file a graded test file loads.
#
#   load "$LAB_HARNESS/lib/lab"
#
# It loads bats-support/bats-assert/bats-file and the lab's own helpers,
# one file per concern:
#   i18n.bash      the learner's language (LAB_LANG=zh: Chinese labels)
#   time.bash      the time scale every bound goes through
#   report.bash    failure messages (expected / happened / look at), excerpts
#   proc.bash      spawning under lab-supervise, waits, signals, zombies, strays
#   ipc.bash       unique names and keys, IPC snapshots, leak reports and removal
#   valgrind.bash  runs under valgrind and reading its logs (errors, leaks, fds)
#   trace.bash     strace: which system calls a program really made
#   net.bash       free ports and readiness of listening sockets
#
# and defines setup/teardown.  A test file that needs its own setup or
# teardown calls lab_setup first / lab_teardown last in it.
# The grader CLI (harness/bin/lab-grade) exports:
#   LAB_HARNESS  this harness folder       LAB_BIN      the built programs
#   LAB_TOOLS    lab-supervise & co.       LAB_EXERCISE e.g. 01-pipe
#   LAB_SRC      the graded sources        LAB_RUN_ID   unique per grading run

# shellcheck shell=bash

: "${LAB_HARNESS:?LAB_HARNESS is not set: run the tests through make grade (harness/bin/lab-grade)}"
: "${LAB_BIN:?LAB_BIN is not set: run the tests through make grade}"
: "${LAB_TOOLS:?LAB_TOOLS is not set: run the tests through make grade}"
: "${LAB_RUN_ID:=$$}"

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

for _lab_part in i18n time report proc ipc valgrind trace net; do
    # shellcheck source=/dev/null
    source "$LAB_HARNESS/lib/$_lab_part.bash"
done
unset _lab_part

# Per test: a private folder for the supervisor's files ($LAB_RUN), a working
# folder for the programs ($LAB_WORK, their current directory), a unique
# prefix for IPC names and keys, and a snapshot of the IPC objects there are.
lab_setup() {
    LAB_RUN="$BATS_TEST_TMPDIR/lab"
    LAB_WORK="$BATS_TEST_TMPDIR/work"
    mkdir -p "$LAB_RUN" "$LAB_WORK"
    LAB_PREFIX="lab-$LAB_RUN_ID-$BATS_TEST_NUMBER"
    LAB_TEST_START=$(date +%s)
    # The test's own shell: every program the test spawns runs below it.
    LAB_TEST_PID=$BASHPID
    export LAB_RUN LAB_WORK LAB_PREFIX LAB_TEST_START LAB_TEST_PID
    cd "$LAB_WORK" || return 1
    lab_ipc_snapshot
}

# Stops whatever the test left running (the whole tree of every spawned
# program), then fails the test if the programs left IPC objects behind,
# after removing them.  When the test failed already and the grader had to
# kill a program it left running, what that program leaves is the kill's
# doing (a killed server cannot remove its objects): those objects are
# removed without a report, which would point the learner at a leak that
# is not theirs.
lab_teardown() {
    lab_stop_all
    if [[ -z ${BATS_TEST_COMPLETED:-} ]] && ((${#LAB_STOPPED_AT_END[@]})); then
        lab_ipc_report_and_remove >/dev/null || :
        return 0
    fi
    lab_check_ipc_leaks
}

setup() { lab_setup; }
teardown() { lab_teardown; }
