# strace: which system calls a program really made, to check the mechanism
# a statement asks for (shared memory through mmap of /dev/shm, not a
# temporary file or a pipe in disguise).
#
# lab_spawn NAME --strace 'openat,mmap,pipe2' ... records NAME.strace for
# the whole tree (-f); these read it.

# shellcheck shell=bash

# lab_strace_command NAME CALLS [INJECT [PATH [RAW]]]: the strace command
# line, one word per line; INJECT is an -e inject= expression (lab_spawn
# --inject), such as read:delay_exit=1000000 (every read() returns a second
# after it is done); PATH (lab_spawn --trace-path) keeps only the calls that
# use that file: strace neither logs nor injects the calls it filters out;
# RAW (lab_spawn --strace-raw) lists calls whose arguments are logged as
# numbers, in hex (read(0, 0x7f3a2c001000, 0x10000) = 0x10000: where the
# bytes go, not what they are).  execve is always traced: the log's first
# line is then the program's own exec, whose pid is the program's (a log of
# wait4 and exit_group alone may start with a child's exit, when the parent
# is slower to reach its wait).
lab_strace_command() {
    local calls=$2
    [[ $calls == all || ,$calls, == *,execve,* ]] || calls+=,execve
    printf '%s\n' strace -f -qq -s 96 -o "$LAB_LOGS/$1.strace" -e "trace=$calls"
    [[ -z ${3:-} ]] || printf '%s\n' -e "inject=$3"
    [[ -z ${4:-} ]] || printf '%s\n' -P "$4"
    [[ -z ${5:-} ]] || printf '%s\n' -e "raw=$5"
}

# lab_syscalls NAME: the names of the calls that were made (sorted, once),
# but execve, which lab_strace_command traces in every log.
lab_syscalls() {
    sed -nE 's/^([0-9]+ +)?([a-z_0-9]+)\(.*/\2/p' "$LAB_LOGS/$1.strace" 2>/dev/null | grep -vx execve | sort -u
}

# lab_strace_grep NAME REGEX: the recorded calls that match REGEX.
lab_strace_grep() {
    grep -E -- "$2" "$LAB_LOGS/$1.strace" 2>/dev/null
}

# lab_assert_syscalls NAME LOOK_AT CALL...: every CALL was made at least once.
lab_assert_syscalls() {
    local name=$1 look=$2 call missing=""
    shift 2
    for call in "$@"; do
        lab_syscalls "$name" | grep -qx -- "$call" || missing+=" $call"
    done
    [[ -z $missing ]] && return 0
    lab_fail "$name to use:$(printf ' %s' "$@")" "strace never saw:$missing" "$look"
}

# lab_handler_calls NAME PID SIGNALS ALLOWED: the system calls that PID made
# inside its handlers of SIGNALS (an ERE of names without "SIG", such as
# 'CHLD|TERM|INT': only signals that have a handler, since an ignored one
# has no rt_sigreturn to end it), between the signal's delivery and
# rt_sigreturn, except those matching the ERE ALLOWED (matched against the
# call and its first argument, "write(5,"; '^$' allows none).  One line
# each, "in the SIGxxx handler: CALL(ARGS...)"; nothing when the handlers
# made no other call.  NAME was run with --strace covering every call
# (lab_spawn --strace all, or --inject with --strace all).
lab_handler_calls() {
    # ALLOWED through the environment: awk -v would eat its backslashes.
    LAB_HANDLER_OK=$4 awk -v p="$2" -v sigs="^SIG($3)$" '
        $1 != p { next }
        $2 == "---" && $3 ~ sigs { inh = 1; sig = $3; next }
        !inh { next }
        /rt_sigreturn\(/ { inh = 0; next }
        /resumed>/ { next }
        $2 ~ ENVIRON["LAB_HANDLER_OK"] { next }
        $2 ~ /^[a-z_0-9]+\(/ { line = $0; sub(/^[0-9]+ +/, "", line)
            print "    in the " sig " handler: " substr(line, 1, 100) }
        ' "$LAB_LOGS/$1.strace" 2>/dev/null | head -n 6
}

# lab_assert_handlers_only NAME PID SIGNALS ALLOWED EXPECTED LOOK_AT: the
# handlers of SIGNALS in PID made no system call but those ALLOWED
# (lab_handler_calls); otherwise the test fails with EXPECTED, LOOK_AT and
# the calls seen inside the handlers as evidence.
lab_assert_handlers_only() {
    local report
    report=$(lab_handler_calls "$1" "$2" "$3" "$4")
    [[ -z $report ]] && return 0
    lab_fail "$5" "a handler did more:" "$6" "$report"
}
