# One time scale for every bound in the grader.
#
# LAB_TIMEOUT_SCALE (default 1) multiplies every bound: a learner on a slow
# machine runs `make grade LAB_TIMEOUT_SCALE=3`.  Runs under valgrind are
# scaled again by LAB_VALGRIND_SCALE, which comes from a measured factor (see
# _lab_valgrind_scale).  Messages always print the scaled bound.

# shellcheck shell=bash

# _lab_valgrind_scale: how much more time a run under valgrind gets.  How
# much slower valgrind makes an exercise's tests is measured by
# `make valgrind-factor` and recorded as "# valgrind-factor: F" in the
# exercise's test file; bounds get twice that, and at least 4.  8 for a test
# file without the figure.
_lab_valgrind_scale() {
    local file=${BATS_TEST_FILENAME:-} factor=""
    [[ -n ${LAB_EXERCISE:-} && -n ${LAB_HARNESS:-} ]] && file=$LAB_HARNESS/tests/$LAB_EXERCISE.bats
    [[ -n $file && -r $file ]] &&
        factor=$(sed -n 's/^# valgrind-factor: *\([0-9][0-9.]*\).*/\1/p' "$file" | head -n 1)
    [[ -n $factor ]] || { echo 8; return; }
    awk -v f="$factor" 'BEGIN { s = 2 * f; if (s < 4) s = 4; printf "%d", (s == int(s)) ? s : int(s) + 1 }'
}

: "${LAB_TIMEOUT_SCALE:=1}"
# Set by the caller, it replaces the measured figure (the self-test does).
: "${LAB_VALGRIND_SCALE:=$(_lab_valgrind_scale)}"

# lab_seconds N [valgrind]: N seconds scaled, as a decimal number.
lab_seconds() {
    local extra=1
    [[ ${2:-} == valgrind ]] && extra=$LAB_VALGRIND_SCALE
    awk -v n="$1" -v s="$LAB_TIMEOUT_SCALE" -v v="$extra" \
        'BEGIN { x = n * s * v; printf (x == int(x) ? "%d" : "%.1f"), x }'
}

# lab_deadline SECONDS: the moment, in milliseconds of EPOCHREALTIME, that
# lies SECONDS (a decimal number) from now.  Plain bash arithmetic: mawk's
# printf %d stops at 2^31.
lab_deadline() {
    local whole=${1%.*} frac=000 now_us=${EPOCHREALTIME/[.,]/}
    [[ $1 == *.* ]] && frac=${1#*.}000
    echo $((now_us / 1000 + ${whole:-0} * 1000 + 10#${frac:0:3}))
}

# lab_before DEADLINE: true while the deadline has not passed.
lab_before() {
    local now_us=${EPOCHREALTIME/[.,]/}
    (( now_us / 1000 < $1 ))
}

# lab_tick LOOKS: the pause between two looks at a condition being polled.  It is
# a polling interval, never a synchronisation: every wait re-checks its
# condition and has a bound.
# LOOKS is how many looks came before: the first ten come 0.01 s apart (what
# a correct program does is seen at once), the next twenty 0.02 s apart,
# the rest 0.05 s apart.  A wait that runs to its bound (a broken program's
# usual end) looks about 120 times in 5 s rather than 500, each look a
# fork or more (measured: the grading of 07's lost-wakeup mutant, whose
# waits run to their bounds, took 3.2 s of CPU with a look every 0.01 s,
# 2.2 s with these).
lab_tick() {
    if (($1 < 10)); then
        sleep 0.01
    elif (($1 < 30)); then
        sleep 0.02
    else
        sleep 0.05
    fi
}

# lab_wait_until SECONDS COMMAND [ARG...]: polls COMMAND until it succeeds
# (returns 0) or SECONDS (already scaled) have passed (returns 1).  COMMAND
# returning 2 means "it will never succeed": the wait ends at once (1).
lab_wait_until() {
    local seconds=$1 deadline looks=0
    shift
    deadline=$(lab_deadline "$seconds")
    until "$@"; do
        (($? == 2)) && return 1
        lab_before "$deadline" || return 1
        lab_tick "$looks"
        looks=$((looks + 1))
    done
}
