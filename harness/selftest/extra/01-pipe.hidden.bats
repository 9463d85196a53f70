#!/usr/bin/env bats
# An instructor's hidden test for 01-pipe, as `make grade EXTRA_TESTS=DIR`
# adds it: the self-test proves its points count and its visibility reaches
# results.json.
#
# visibility: hidden

load "$LAB_HARNESS/lib/lab"

# points: 10
@test "hidden: two-byte reads give the same numbered output" {
    printf 'one\ntwo\nthree\n' >"$BATS_TEST_TMPDIR/in.txt"
    cat -n "$BATS_TEST_TMPDIR/in.txt" >"$BATS_TEST_TMPDIR/expected.txt"
    lab_run relay --in "$BATS_TEST_TMPDIR/in.txt" -- "$LAB_BIN/pipe_relay" -b 2
    lab_assert_same_output relay "$BATS_TEST_TMPDIR/expected.txt" "the numbered input, read 2 bytes at a time" "§2"
}
