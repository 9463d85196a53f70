# strace: which system calls a program really made, to check the mechanism
# a statement asks for (shared memory through mmap of /dev/shm, not a
# temporary file or a pipe in disguise).
#
# lab_spawn NAME --strace 'openat,mmap,pipe2' ... records NAME.strace for
# the whole tree (-f); these read it.

# shellcheck shell=bash

# lab_strace_command NAME CALLS [INJECT]: the strace command line, one word
# per line; INJECT is an -e inject= expression (lab_spawn --inject), such as
# read:delay_exit=1000000 (every read() returns a second after it is done).
lab_strace_command() {
    printf '%s\n' strace -f -qq -s 96 -o "$LAB_LOGS/$1.strace" -e "trace=$2"
    [[ -z ${3:-} ]] || printf '%s\n' -e "inject=$3"
}

# lab_syscalls NAME: the names of the calls that were made (sorted, once).
lab_syscalls() {
    sed -nE 's/^([0-9]+ +)?([a-z_0-9]+)\(.*/\2/p' "$LAB_LOGS/$1.strace" 2>/dev/null | sort -u
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
