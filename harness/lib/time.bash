# One time scale for every bound in the grader.
#
# LAB_TIMEOUT_SCALE (default 1) multiplies every bound: a learner on a slow
# machine runs `make grade LAB_TIMEOUT_SCALE=3`.  Runs under valgrind are
# scaled again by LAB_VALGRIND_SCALE (default 8, measured: see
# docs/ARCHITECTURE.md).  Messages always print the scaled bound.

# shellcheck shell=bash

: "${LAB_TIMEOUT_SCALE:=1}"
: "${LAB_VALGRIND_SCALE:=8}"

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

# lab_tick: the pause between two looks at a condition being polled.  It is
# a polling interval, never a synchronisation: every wait re-checks its
# condition and has a bound.
lab_tick() {
    sleep 0.01
}

# lab_wait_until SECONDS COMMAND [ARG...]: polls COMMAND until it succeeds
# (returns 0) or SECONDS (already scaled) have passed (returns 1).  COMMAND
# returning 2 means "it will never succeed": the wait ends at once (1).
lab_wait_until() {
    local seconds=$1 deadline
    shift
    deadline=$(lab_deadline "$seconds")
    until "$@"; do
        (($? == 2)) && return 1
        lab_before "$deadline" || return 1
        lab_tick
    done
}
