#!/usr/bin/env bats
# What teardown blames, as `make grade EXTRA_TESTS=DIR` adds these tests:
# the self-test's `teardown:` case checks each one's verdict and message.

load "$LAB_HARNESS/lib/lab"

# points: 1
@test "teardown: a FIFO of the user's own, made in /tmp while a test runs, is neither blamed nor removed" {
    lab_run relay --in /dev/null -- "$LAB_BIN/pipe_relay"
    # The grader's user, not a graded program, makes it: as another
    # program of the same user on the machine would.
    mkfifo "/tmp/bystander-$LAB_RUN_ID"
    lab_assert_exit relay 0 "§5"
}

# points: 1
@test "teardown: a FIFO a program leaves five folders down under /tmp is found" {
    lab_run maker -- bash -c 'mkdir -p "$1/a/b/c/d" && mkfifo "$1/a/b/c/d/ipclab-deep"' _ "/tmp/ipclab-deep-$LAB_RUN_ID"
    lab_assert_exit maker 0 "the self-test"
}

# points: 1
@test "teardown: a program that ignores SIGTERM is reported as such, not for what the kill left" {
    # It ignores SIGTERM (the ignored disposition survives exec), makes a
    # FIFO it would remove on a clean exit, and sleeps.
    lab_spawn deaf -- bash -c 'trap "" TERM && mkfifo ipclab-deaf && echo ready && exec sleep 60'
    lab_wait_output deaf '^ready$' 5 || lab_fail "deaf to start" "$(lab_describe deaf)" "the self-test"
    lab_signal deaf TERM
}

# points: 1
@test "teardown: a program that leaves a process running when it ends fails, naming it" {
    # It ends once its child has become sleep (until then the child is a
    # copy of bash): the stray is named by what it runs.
    lab_run stray -- bash -c 'sleep 30 & until read -r c </proc/$!/comm && [[ $c == sleep ]]; do :; done; echo started'
    lab_assert_exit stray 0 "the self-test"
}
