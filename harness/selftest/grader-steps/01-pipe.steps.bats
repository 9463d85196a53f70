#!/usr/bin/env bats
# Tests that fail at a step of the grader's own rather than at an assertion,
# as `make grade EXTRA_TESTS=DIR` adds them: the self-test proves the report
# still says what failed and where, never nothing.

load "$LAB_HARNESS/lib/lab"

# points: 1
@test "steps: a grader step that fails without a message is shown with where it stopped" {
    [[ -d $LAB_RUN/no-such-folder ]]
}

# points: 1
@test "steps: a signal for a program that has ended says so" {
    lab_run relay --in /dev/null -- "$LAB_BIN/pipe_relay"
    lab_signal relay TERM
}

# points: 1
@test "steps: a signal for a child found below a program, once ended, says so" {
    local child
    bash -c 'exit 0' &
    child=$!
    wait "$child" || :
    lab_signal_pid "$child" TERM "the child of pipe_relay" "§3"
}

# points: 1
@test "steps: input for a program that has ended says so" {
    lab_spawn relay --in-pipe -- "$LAB_BIN/pipe_relay" -x # a usage error: it ends at once
    lab_wait_until 5 lab_finished relay # (lab_wait_exit would close the input)
    lab_input relay "a line nobody reads"
}
