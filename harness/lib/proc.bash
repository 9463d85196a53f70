# Processes: every tested program runs under lab-supervise, in its own
# process group, with its output captured and a hard time limit.
#
#   lab_spawn NAME [options] -- COMMAND [ARG...]   start it, don't wait
#   lab_run   NAME [options] -- COMMAND [ARG...]   start it and wait (bounded)
#   lab_wait_exit NAME SECONDS                     wait for an earlier spawn
#   lab_assert_exit / lab_assert_finished / lab_assert_no_strays ...
#
# The files of a spawn named NAME are in $LAB_RUN: NAME.out, NAME.err
# (captured stdout and stderr), NAME.pid (the program's pid), NAME.status
# (what lab-supervise saw: see harness/tools/lab-supervise.c).
# Bounds are given in seconds before scaling (time.bash scales them).

# shellcheck shell=bash

: "${LAB_MAX_OUTPUT:=67108864}"   # bytes a program may write to one file
: "${LAB_MAX_PROCS:=64}"          # processes a spawned tree may add
: "${LAB_HARD_LIMIT:=60}"         # seconds any spawn may live at most
: "${LAB_RUN_BOUND:=5}"           # seconds lab_run waits by default

declare -gA LAB_INPUT_FD=()
declare -ga LAB_STOPPED_AT_END=()     # what lab_stop_all had to stop

# lab_spawn NAME [options] -- COMMAND [ARG...]
#   --in FILE        standard input from FILE (default /dev/null)
#   --in-pipe        standard input from a FIFO the test writes with
#                    lab_input NAME TEXT... and closes with lab_close_input
#   --out FILE       standard output to FILE instead of $LAB_RUN/NAME.out
#   --limit SECONDS  hard time limit of this spawn (default $LAB_HARD_LIMIT)
#   --max-output N   largest file it may write, in bytes
#   --max-procs N    how many processes its tree may add (as root a pids
#                    cgroup of its own; otherwise RLIMIT_NPROC, which counts
#                    every process of the uid: see --beside)
#   --beside N       the test runs up to N other programs at the same time
#                    as this one: where the budget is RLIMIT_NPROC, they
#                    (and, unless the grader is root, their supervisors)
#                    would use it up, so lab-supervise makes room for them
#                    (-b); a pids cgroup counts this tree alone
#   --grace SECONDS  after it ends, how long what it left running may take
#                    to end by itself before it is killed
#   --valgrind       run it under valgrind (see valgrind.bash); bounds scale
#   --helgrind       run it under valgrind's helgrind (thread errors); bounds scale
#   --strace CALLS   run it under strace -f for those calls (see trace.bash)
#   --inject SPEC    run it under strace -f -e inject=SPEC (a delay or a fault
#                    at a chosen call: a race provoked, every time; the call
#                    is traced too).  Name the system call, not the library
#                    function: glibc's semop() is semtimedop, fork() is clone.
#                    :signal=SIG alone is delivered as the call is entered: a
#                    blocking call is interrupted (EINTR), a call that does
#                    not block completes first, except fork(): the kernel
#                    restarts a clone that a signal interrupts, so
#                    clone:signal=SIGSTOP stops the process at its fork(),
#                    before the child exists (04's checks of what is done
#                    before fork()).  :when=N counts per thread
#                    (each thread of a threaded program has its own count:
#                    05 makes a reader thread's fifth semop() fail), and the
#                    dynamic loader's own calls (read() of libc) count too.
#                    strace's delays show as "= N (DELAYED)" in the log.
#                    Given more than once, every rule applies (one -e
#                    inject= each), and without --strace each one's call is
#                    traced.
#   --trace-path P   with --inject or --strace: only the calls that use the
#                    file P (a path, or a descriptor open on it, such as the
#                    program's stderr $LAB_RUN/NAME.err) are traced and
#                    injected (strace -P): "stop it at its first write to
#                    stderr" without counting its other writes.
#   --strace-raw CALLS  with --strace: those calls are logged with their
#                    arguments as numbers (buffer addresses, not contents)
lab_spawn() {
    local name=$1 in=/dev/null out="" limit=$LAB_HARD_LIMIT
    local max_output=$LAB_MAX_OUTPUT max_procs=$LAB_MAX_PROCS grace=0 beside=0
    local in_pipe=0 valgrind="" strace_calls="" trace_path="" strace_raw=""
    local -a injects=()
    shift
    while (($#)); do
        case $1 in
        --in) in=$2; shift 2 ;;
        --in-pipe) in_pipe=1; shift ;;
        --out) out=$2; shift 2 ;;
        --limit) limit=$2; shift 2 ;;
        --max-output) max_output=$2; shift 2 ;;
        --max-procs) max_procs=$2; shift 2 ;;
        --beside) beside=$2; shift 2 ;;
        --grace) grace=$2; shift 2 ;;
        --valgrind) valgrind=memcheck; shift ;;
        --helgrind) valgrind=helgrind; shift ;;
        --strace) strace_calls=$2; shift 2 ;;
        --inject) injects+=("$2"); shift 2 ;;
        --trace-path) trace_path=$2; shift 2 ;;
        --strace-raw) strace_raw=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "lab_spawn: unknown option $1" >&2; return 2 ;;
        esac
    done
    (($#)) || { echo "lab_spawn: no command given" >&2; return 2; }
    [[ -e $LAB_RUN/$name.spid ]] && { echo "lab_spawn: $name was already spawned in this test" >&2; return 2; }

    local -a cmd=() wrapper=()
    local scale_kind=""
    if [[ -n $strace_calls || ${#injects[@]} -gt 0 ]]; then
        local rule injected=""
        for rule in "${injects[@]}"; do injected+=${injected:+,}${rule%%:*}; done
        mapfile -t wrapper < <(lab_strace_command "$name" "${strace_calls:-$injected}" "${injects[0]:-}" "$trace_path" "$strace_raw")
        cmd+=("${wrapper[@]}")
        for rule in "${injects[@]:1}"; do cmd+=(-e "inject=$rule"); done
        : >"$LAB_RUN/$name.traced"      # lab_pid: the program is strace's child
    fi
    # LAB_VALGRIND=off (make valgrind-factor) runs the same scenario without
    # valgrind, to measure how much slower valgrind makes it.  No log is then
    # written, so every valgrind assertion fails: it is a measurement, never
    # a way to earn the points.
    [[ ${LAB_VALGRIND:-on} == off ]] && valgrind=""
    if [[ -n $valgrind ]]; then
        mapfile -t wrapper < <(lab_valgrind_command "$name" "$valgrind")
        cmd+=("${wrapper[@]}")
        scale_kind=valgrind
        : >"$LAB_RUN/$name.valgrind"
    fi
    if [[ -n $valgrind && -n ${LAB_BIN_PLAIN:-} ]]; then
        # valgrind cannot run a sanitizer build: the plain one instead.
        local arg
        for arg in "$@"; do
            [[ $arg == "$LAB_BIN"/* ]] && arg=$LAB_BIN_PLAIN/${arg#"$LAB_BIN"/}
            cmd+=("$arg")
        done
    else
        cmd+=("$@")
    fi
    [[ -n $out ]] || out=$LAB_RUN/$name.out
    if ((in_pipe)); then
        in=$LAB_RUN/$name.in
        mkfifo "$in"
    fi

    # As root the program runs under its own uid (-u), which makes it a
    # stranger to the grader; the files the supervisor opens for it are
    # opened before it drops to that uid.  The umask is
    # LAB_PROGRAM_UMASK (lab-grade: 022, whatever the learner's), not the
    # grader's private 077.
    (
        umask "${LAB_PROGRAM_UMASK:-0022}"
        exec "$LAB_TOOLS/lab-supervise" -t "$(lab_seconds "$limit" $scale_kind)" -g "$grace" \
            -f "$max_output" -n "$max_procs" -b "$beside" ${LAB_PROGRAM_UID:+-u "$LAB_PROGRAM_UID"} \
            -p "$LAB_RUN/$name.pid" -s "$LAB_RUN/$name.status" -- "${cmd[@]}" \
            <"$in" >"$out" 2>"$LAB_RUN/$name.err" 3>&-
    ) &
    echo $! >"$LAB_RUN/$name.spid"

    if ((in_pipe)); then
        # Opening the write end waits for the reader: the spawn just made.
        local fd
        exec {fd}>"$in"
        LAB_INPUT_FD[$name]=$fd
    fi
}

# lab_input [--may-end] NAME TEXT...: writes each TEXT as a line to NAME's
# stdin pipe.  Fails, saying so, when nobody reads that pipe any more; with
# --may-end a program that ended before reading it all is no failure here
# (the test then grades what it did with what it read: a client that stops
# at a line it refuses, when the statement says it goes on).  The write is
# made in a subshell that ignores SIGPIPE, so that it fails with EPIPE
# instead of killing the test; the test's own shell keeps SIGPIPE as it is,
# since ignored signals pass on to every program it starts.
lab_input() {
    local may_end=0
    [[ $1 == --may-end ]] && { may_end=1; shift; }
    local name=$1 fd=${LAB_INPUT_FD[$1]:-}
    shift
    [[ -n $fd ]] || { echo "lab_input: $name was not spawned with --in-pipe" >&2; return 2; }
    (
        trap '' PIPE
        printf '%s\n' "$@" >&"$fd"
    ) 2>/dev/null && return 0
    ((may_end)) && return 0
    lab_fail "$name to read its standard input (the grader writes lines to it)" \
        "nobody reads it any more: $(lab_describe "$name")"
}

# lab_close_input NAME: closes the test's end of NAME's stdin pipe (EOF).
lab_close_input() {
    local fd=${LAB_INPUT_FD[$1]:-}
    [[ -n $fd ]] || return 0
    exec {fd}>&-
    unset "LAB_INPUT_FD[$1]"
}

# lab_scale_of NAME: "valgrind" when NAME runs under valgrind.
lab_scale_of() {
    [[ -e $LAB_RUN/$1.valgrind ]] && echo valgrind
    return 0
}

# lab_pid NAME: the program's pid (it waits until the program has started).
# Under --strace it is strace's child, not strace itself.
lab_pid() {
    local name=$1 pid
    [[ -e $LAB_RUN/$name.spid ]] || { echo "lab_pid: $name was never spawned" >&2; return 2; }
    lab_wait_until "$(lab_seconds 5)" test -s "$LAB_RUN/$name.pid" ||
        lab_wait_until 1 test -s "$LAB_RUN/$name.status" || return 1
    if [[ -s $LAB_RUN/$name.pid ]]; then
        pid=$(cat "$LAB_RUN/$name.pid")
    else
        pid=$(lab_field "$name" pid)
    fi
    if [[ -e $LAB_RUN/$name.traced ]]; then
        # The program is strace's child: pgrep finds it while strace runs.
        # Once strace has ended, its log tells: each line starts with the
        # pid that made the call, and the first is the program's own
        # execve() (lab_strace_command always traces it).
        local child=""
        _lab_traced_child() {
            pgrep -P "$pid" | head -n 1 | grep . && return 0
            lab_finished "$name" && return 2
            return 1
        }
        if lab_wait_until "$(lab_seconds 5)" _lab_traced_child >/dev/null; then
            child=$(_lab_traced_child)
        fi
        [[ -n $child ]] ||
            child=$(awk 'NR == 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$LAB_LOGS/$name.strace" 2>/dev/null)
        [[ -n $child ]] && pid=$child
    fi
    echo "$pid"
}

# lab_finished NAME: true once NAME (and its supervisor) has ended.
lab_finished() {
    [[ -s $LAB_RUN/$1.status ]]
}

# lab_wait_exit NAME SECONDS: waits for NAME to end, at most SECONDS
# (scaled).  If it is still running then, its whole tree is killed, the
# bound is remembered for the message, and it returns 1.
lab_wait_exit() {
    local name=$1 bound
    bound=$(lab_seconds "${2:-$LAB_RUN_BOUND}" "$(lab_scale_of "$name")")
    lab_close_input "$name"
    if ! lab_wait_until "$bound" lab_finished "$name"; then
        echo "$bound" >"$LAB_RUN/$name.bound"
        lab_note_stuck "$name"
        lab_stop "$name"
        return 1
    fi
    wait "$(cat "$LAB_RUN/$name.spid")" 2>/dev/null || : # reaps the supervisor; its status is in the file
    return 0
}

# lab_run NAME [lab_spawn options] [--wait SECONDS] -- COMMAND [ARG...]:
# spawns and waits (default bound $LAB_RUN_BOUND s).  Always returns 0 once
# it has ended or been killed: the assertions below look at what happened.
lab_run() {
    local name=$1 wait=$LAB_RUN_BOUND
    local -a opts=()
    shift
    while (($#)) && [[ $1 != -- ]]; do
        if [[ $1 == --wait ]]; then
            wait=$2
            shift 2
        else
            opts+=("$1")
            shift
        fi
    done
    lab_spawn "$name" "${opts[@]}" "$@" || return
    lab_wait_exit "$name" "$wait" || true
}

# A pid read from a file may name a process that has ended and been
# reaped, and pids come round (pid_max may be 32768, and a grading forks
# thousands of processes): the number may then be another grading's
# process, or anybody's.  The grader signals a pid only when it can see that
# it is still its own: its supervisor, or a process below one of this
# test's supervisors.

# _lab_ppid_of PID VAR: sets VAR to PID's parent pid (field 4 of
# /proc/PID/stat, counted after the ")" that ends the command name, which
# may hold spaces and parentheses); fails when PID is gone.  No subshell:
# the teardown calls it for every process it may signal.
_lab_ppid_of() {
    local stat
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }
    read -r _ "$2" _ <<<"$stat"
}

# _lab_is_supervisor NAME PID: PID is NAME's supervisor: lab-supervise
# writing NAME's status file, or (before its exec) this shell's own child.
_lab_is_supervisor() {
    local arg ppid
    local -a args=()
    mapfile -d '' -t args 2>/dev/null <"/proc/$2/cmdline" || return 1
    for arg in "${args[@]}"; do
        [[ $arg == "$LAB_RUN/$1.status" ]] && return 0
    done
    _lab_ppid_of "$2" ppid || return 1
    [[ $ppid == "$BASHPID" ]]
}

# _lab_below_supervisor PID: PID is, or descends from, a supervisor of this
# test (a program, its strace, a child or worker it made).
_lab_below_supervisor() {
    local pid=$1 steps=0 spid_file
    local -A supervisors=()
    for spid_file in "$LAB_RUN"/*.spid; do
        [[ -s $spid_file ]] && supervisors[$(<"$spid_file")]=1
    done
    while [[ $pid =~ ^[0-9]+$ ]] && ((pid > 1 && steps++ < 64)); do
        [[ -n ${supervisors[$pid]:-} ]] && return 0
        _lab_ppid_of "$pid" pid || return 1
    done
    return 1
}

# lab_stop NAME: ends NAME's whole tree now and waits for its supervisor.
lab_stop() {
    local name=$1 spid
    spid=$(cat "$LAB_RUN/$name.spid" 2>/dev/null) || return 0
    lab_close_input "$name"
    # The supervisor may end by itself between the check and the kill: a
    # kill that finds nobody is no failure (bats fails a test on any).
    if ! lab_finished "$name"; then
        if _lab_is_supervisor "$name" "$spid"; then kill -TERM "$spid" 2>/dev/null || :; fi
        lab_wait_until 10 lab_finished "$name" ||
            if _lab_is_supervisor "$name" "$spid"; then kill -KILL "$spid" 2>/dev/null || :; fi
    fi
    wait "$spid" 2>/dev/null || : # 137 if it had to be killed: no failure of the test
    return 0
}

# lab_stop_all: lab_stop for every spawn of this test (used by teardown);
# LAB_STOPPED_AT_END names those that were still running.
lab_stop_all() {
    local spid_file name
    LAB_STOPPED_AT_END=()
    for spid_file in "$LAB_RUN"/*.spid; do
        [[ -e $spid_file ]] || continue
        name=$(basename "$spid_file" .spid)
        # A program the test asked to end (SIGTERM, SIGINT, SIGHUP, SIGQUIT)
        # gets the usual bound to do so before it counts as stopped.
        if ! lab_finished "$name" && grep -qsE '^SIG(TERM|INT|HUP|QUIT) ' "$LAB_RUN/$name.signals"; then
            lab_wait_until "$(lab_seconds "$LAB_RUN_BOUND" "$(lab_scale_of "$name")")" lab_finished "$name" || :
        fi
        if ! lab_finished "$name"; then
            LAB_STOPPED_AT_END+=("$name")
            # What it was doing, for lab_check_ended_after_signal's message.
            [[ -s $LAB_RUN/$name.signals ]] && lab_note_stuck "$name"
        fi
        lab_stop "$name"
    done
}

# lab_field NAME KEY: one value from NAME's status file.
lab_field() {
    [[ -s $LAB_RUN/$1.status ]] || return 1
    sed -n "s/^$2=//p" "$LAB_RUN/$1.status"
}

# lab_status NAME: the exit status as a shell reports it: the code, or
# 128+N for a signal N; empty while it runs or if it never ended by itself.
lab_status() {
    local signal
    case $(lab_field "$1" result) in
    exited) lab_field "$1" code ;;
    signaled)
        signal=$(lab_field "$1" signal)
        echo $((128 + $(kill -l "${signal#SIG}")))
        ;;
    esac
}

# _lab_wait_for NAME SECONDS CHECK [ARG...]: polls CHECK for at most SECONDS, scaled
# as NAME's bounds are.  When it gives up, the bound is kept for
# lab_describe, so that the message says how long the grader waited.
_lab_wait_for() {
    local name=$1 bound
    bound=$(lab_seconds "$2" "$(lab_scale_of "$name")")
    rm -f -- "$LAB_RUN/$name.waited"
    lab_wait_until "$bound" "${@:3}" && return 0
    echo "$bound" >"$LAB_RUN/$name.waited"
    lab_finished "$name" || lab_note_stuck "$name"
    return 1
}

# _lab_syscall_name NR: sets _lab_call to the name of an x86-64 system call
# a process can sleep in ("system call NR" for the rest, and on other
# machines).  A variable, not output: no subshell (see lab_note_stuck).
_lab_syscall_name() {
    local -A names=([0]=read [1]=write [2]=open [7]=poll [23]=select [34]=pause
        [35]=nanosleep [43]=accept [45]=recvfrom [47]=recvmsg [61]=wait4 [65]=semop
        [69]=msgsnd [70]=msgrcv [72]=fcntl [128]=rt_sigtimedwait [130]=rt_sigsuspend [202]=futex
        [220]=semtimedop [230]=clock_nanosleep [232]=epoll_wait [242]=mq_timedsend
        [243]=mq_timedreceive [247]=waitid [257]=openat [270]=pselect6 [271]=ppoll
        [281]=epoll_pwait [288]=accept4 [441]=epoll_pwait2)
    if [[ $_LAB_MACHINE == x86_64 && -n ${names[$1]:-} ]]; then
        _lab_call="${names[$1]}()"
    else
        _lab_call="system call $1"
    fi
}

# _lab_read_as_program PID: "WCHAN SYSCALL_NR" of PID, read under the
# programs' uid.  That process is the programs' uid's, so they could reach
# it: it holds no descriptor of the grader's but the pipe it answers on
# (every other one is closed first, stdin is /dev/null), and what it says
# only words a message.
_lab_read_as_program() {
    # shellcheck disable=SC2016 # expanded by that bash
    lab_as_program 'read -r w <"/proc/$1/wchan"; read -r s _ <"/proc/$1/syscall"; echo "${w:-0} $s"' "$1"
}

# lab_read_proc SCRIPT PID: the output of bash -c SCRIPT PID, a reader of
# PID's /proc: run here when this shell may read PID's /proc/PID/syscall,
# else under the programs' uid (lab_as_program: root in a container); no
# output when neither can.  What it prints comes from the programs' side in
# the second case: callers take it as words, and check every number.
lab_read_proc() {
    if [[ -r /proc/$2/syscall ]] && read -r _ <"/proc/$2/syscall" 2>/dev/null; then
        bash -c "$1" _ "$2" 2>/dev/null
    elif [[ -n ${LAB_PROGRAM_UID:-} && $EUID -eq 0 ]]; then
        lab_as_program "$1" "$2"
    fi
    return 0
}

# lab_as_program SCRIPT ARG...: bash -c SCRIPT ARG... under the programs'
# uid, in place of the calling (sub)shell, with every descriptor above 2
# closed first and stdin /dev/null: what /proc shows only to a process's
# own uid or to CAP_SYS_PTRACE, which root lacks in a container.
lab_as_program() {
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
        fd=${fd##*/}
        ((fd > 2)) && eval "exec $fd>&-"
    done
    exec setpriv --reuid="$LAB_PROGRAM_UID" --regid="$LAB_PROGRAM_UID" --clear-groups \
        bash -c "$1" _ "${@:2}" </dev/null 2>/dev/null
}

# The clock ticks of /proc/PID/stat's times (sysconf(_SC_CLK_TCK)), and the
# machine, whose system call numbers _lab_syscall_name knows.
_LAB_HZ=$(getconf CLK_TCK 2>/dev/null) || _LAB_HZ=100
_LAB_MACHINE=$(uname -m)

# _lab_state_words STATE SYSCALL_NR: what a process in STATE (the third
# field of /proc/PID/stat) sleeping in system call SYSCALL_NR ("-" if not
# known) does, in a few words, into _lab_doing.  The one wording of a
# process's state: lab_stuck_state's sentences start with it, and the hang
# picture labels its processes with it.
_lab_state_words() {
    _lab_doing="state $1"
    case $1 in
    S | D)
        _lab_doing="blocked in the kernel"
        if [[ $2 =~ ^[0-9]+$ ]]; then
            _lab_syscall_name "$2"
            _lab_doing="blocked in $_lab_call"
        fi
        ;;
    R) _lab_doing="running" ;;
    T | t) _lab_doing="stopped (SIGSTOP, or a debugger)" ;;
    Z) _lab_doing="a zombie: it has exited, and its parent has not waited for it" ;;
    esac
}

# lab_stuck_state PID: why a process that outlived a bound is still there,
# read from /proc: its CPU time over its life tells a loop from a wait, and
# for a wait, the system call it sleeps in and its wait channel.  One line.
# Bash alone, no command: it is read while the bound has just run out, on a
# machine that a fork bomb or a flood may be loading.
lab_stuck_state() {
    local pid=$1 stat state utime stime start up cpu life nr rest wchan="" call=""
    read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
    stat=${stat##*) }
    read -r state _ _ _ _ _ _ _ _ _ _ utime stime _ _ _ _ _ _ start _ <<<"$stat"
    # /proc/uptime has two decimals: hundredths of a second, as integers.
    read -r up _ </proc/uptime
    up=${up/./}
    up=$((10#$up))
    cpu=$(((utime + stime) * 100 / _LAB_HZ))
    life=$((up - start * 100 / _LAB_HZ))
    local times="$((cpu / 100)).$((cpu % 100 / 10)) s of CPU in $((life / 100)).$((life % 100 / 10)) s"
    case $state in
    T | t) _lab_state_words "$state"; echo "$_lab_doing: $times"; return 0 ;;
    Z) _lab_state_words "$state"; echo "$_lab_doing"; return 0 ;;
    S | D)
        # wchan ends without a newline: read says 1, and has read it.
        read -r wchan 2>/dev/null <"/proc/$pid/wchan" || :
        [[ $wchan == 0 ]] && wchan=""
        nr=""
        read -r nr rest 2>/dev/null <"/proc/$pid/syscall" || :
        # Root in a container lacks CAP_SYS_PTRACE, which another uid's
        # /proc/PID/syscall and wchan ask for (wchan then reads "0"); the
        # programs' own uid may read them.  One command, only then.
        if [[ ! $nr =~ ^[0-9]+$ && -n ${LAB_PROGRAM_UID:-} && $EUID -eq 0 ]]; then
            read -r wchan nr < <(_lab_read_as_program "$pid")
            [[ $wchan == 0 ]] && wchan=""
        fi
        if [[ $nr =~ ^[0-9]+$ ]]; then
            _lab_syscall_name "$nr"
            call=$_lab_call
        fi
        ;;
    esac
    if ((cpu * 2 > life)); then
        if [[ -n $call ]]; then
            echo "busy ($times), asleep in $call at that moment: a loop that polls, or never ends$(_lab_scale_advice)"
        else
            echo "busy: $times, a loop that never ends$(_lab_scale_advice)"
        fi
    elif [[ $state == [SD] ]]; then
        _lab_state_words "$state" "$nr"
        echo "$_lab_doing${wchan:+ (wait channel $wchan)}, $times:" \
            "it waits for something that never came (a wake-up, a message, a reader or writer, a lock)"
    else
        echo "ready to run, but it got only $times: the machine is overloaded (by its own processes?)$(_lab_scale_advice)"
    fi
}

# _lab_scale_advice: the suggestion to raise the time scale, made only
# where it can help (a busy process) and not raised already (a scale of 1
# or less).
_lab_scale_advice() {
    local scale=${LAB_TIMEOUT_SCALE:-1}
    [[ $scale =~ ^0*(\.[0-9]*)?$ || $scale =~ ^0*1(\.0*)?$ ]] &&
        echo " (or a slow machine? raise every bound with LAB_TIMEOUT_SCALE=2)"
    return 0
}

# _lab_children PID: sets _lab_kids to the children of PID, read from /proc
# without a command (pgrep as a fallback, where the kernel lacks the file).
_lab_children() {
    _lab_kids=()
    if [[ -e /proc/$1/task/$1/children ]]; then
        read -r -a _lab_kids 2>/dev/null <"/proc/$1/task/$1/children"
    else
        mapfile -t _lab_kids < <(pgrep -P "$1")
    fi
    return 0
}

# lab_note_stuck NAME: keeps lab_stuck_state of NAME's program (and of up to
# three processes below it) in NAME.stuck, before the grader kills it.  It
# forks as little as it can: a fork bomb may have every CPU (each command
# run here once took a second).
lab_note_stuck() {
    local name=$1 pid="" comm i=0 top map
    local -a children=()
    read -r pid 2>/dev/null <"$LAB_RUN/$name.pid" || return 0
    if [[ -e $LAB_RUN/$name.traced ]]; then
        _lab_children "$pid"
        pid=${_lab_kids[0]:-}
    fi
    [[ -n $pid ]] || return 0
    top=$pid
    {
        lab_stuck_state "$pid"
        _lab_pipe_wait "$pid" "    "
        _lab_ipc_wait "$pid" "    "
        _lab_children "$pid"
        children=("${_lab_kids[@]}")
        for pid in "${children[@]}"; do
            ((i++ < 3)) || break
            comm=""
            read -r comm 2>/dev/null <"/proc/$pid/comm"
            printf '    its child %s (%s): ' "$pid" "$comm"
            lab_stuck_state "$pid" || echo "it has ended since"
            _lab_pipe_wait "$pid" "      "
            _lab_ipc_wait "$pid" "      "
        done
        # The picture of its processes, pipes and IPC objects (hangmap.bash): read from
        # the top of the tree, the program itself.
        map=$(_lab_hang_map "$name" "$top")
        [[ -z $map ]] || echo "    a picture of its processes, pipes and IPC objects, the wait in red: $map"
    } >"$LAB_RUN/$name.stuck" 2>/dev/null || :   # a test's set -e stops nothing here: a process may end at any step
    return 0
}

# _lab_pipe_wait PID INDENT: when PID sleeps in read() or write() on a pipe
# or a FIFO, a line saying who holds the other end: the plumbing of a wait
# that never ends (a write end still open somewhere, its own included, so
# that no EOF can come; a full pipe whose readers do not read).  Nothing
# otherwise.  The holders are found by the pipe's inode among every process
# the reader may see: as root, all of them; when root lacks CAP_SYS_PTRACE
# (a container), the programs' uid's own, read under that uid.
_lab_pipe_wait() {
    local pid=$1 indent=$2 out nr fd target peer p f flags comm mode ppid pp who
    local script
    # shellcheck disable=SC2016 # expanded by that bash
    script="$(declare -f _lab_ppid_of)"'
        read -r nr fd _ <"/proc/$1/syscall" 2>/dev/null || exit 0
        [[ $nr == 0 || $nr == 1 ]] || exit 0
        fd=$((fd))
        t=$(readlink "/proc/$1/fd/$fd") || exit 0
        [[ $t == pipe:\[* || -p $t ]] || exit 0
        pp=; _lab_ppid_of "$1" pp
        echo "$nr $fd $pp $t"
        g=${t//\\/\\\\}; g=${g//\[/\\[}; g=${g//\]/\\]}; g=${g//\*/\\*}; g=${g//\?/\\?}
        find /proc/[0-9]*/fd -maxdepth 1 -lname "$g" -printf "%h %f\n" 2>/dev/null |
            while read -r d f; do
                p=${d#/proc/}; p=${p%/fd}; fl=0; c=
                while read -r k v; do [[ $k == flags: ]] && fl=$v; done <"/proc/$p/fdinfo/$f"
                read -r c <"/proc/$p/comm"
                pp=; _lab_ppid_of "$p" pp
                echo "$p $f $fl $pp $c"
            done'
    out=$(lab_read_proc "$script" "$pid")
    [[ -n ${out:-} ]] || return 0
    local -a lines=() holders=()
    mapfile -t lines <<<"$out"
    read -r nr fd ppid target <<<"${lines[0]}"
    for peer in "${lines[@]:1}"; do
        read -r p f flags pp comm <<<"$peer"
        [[ $p =~ ^[0-9]+$ && $f =~ ^[0-9]+$ && $flags =~ ^[0-7]+$ ]] || continue
        mode=$((8#$flags & 3))     # O_RDONLY 0, O_WRONLY 1, O_RDWR 2
        if [[ $nr == 0 && $mode != 0 ]] || [[ $nr == 1 && $mode != 1 ]]; then
            # Who it is to the waiter: where the end was inherited along.
            who=""
            if [[ $p == "$pid" ]]; then
                who="this process itself, "
            elif [[ $p == "$ppid" ]]; then
                who="its parent, "
            elif [[ $pp == "$pid" ]]; then
                who="its child, "
            elif [[ $pp == "$ppid" ]]; then
                who="a sibling, "
            fi
            holders+=("pid $p ($comm, ${who}fd $f)")
        fi
    done
    local list
    list=$(printf '%s, ' "${holders[@]}")
    list=${list%, }
    if [[ $nr == 0 ]]; then
        ((${#holders[@]})) || return 0
        echo "${indent}its read() on fd $fd ($target) waits for data, and no EOF can come: the write end is still open in $list. read() returns 0 only once every copy of the write end is closed: close the ones nobody writes with."
    else
        if ((${#holders[@]})); then
            echo "${indent}its write() on fd $fd ($target) waits for room: the pipe is full, and its read end is open in $list, which does not read it."
        else
            echo "${indent}its write() on fd $fd ($target) waits for room: the pipe is full."
        fi
    fi
}

# _LAB_IPC_WAIT_FN: the text of two bash functions, ipc_wait PID and
# ipc_waits PID (below), run by a reader of PID's /proc (lab_read_proc: here, or under the programs' uid in
# a container) where PID sleeps on an IPC object.  One line, nothing when
# PID sleeps on none:
#   futex VALUE OFFSET DELETED PATH  sem_wait(): the futex word at byte
#                                    OFFSET of PATH, a file of /dev/shm (a
#                                    named semaphore, or one inside a shared
#                                    object), its VALUE (- unreadable);
#                                    DELETED yes when the name is removed
#   semop ID                         semop() or semtimedop() on the set ID
#   msg ID NR                        msgsnd() (69) or msgrcv() (70), queue ID
#   mq NR NAME                       mq_timedsend() (242) or receive (243)
# Used by _lab_ipc_wait (the words) and the hang map (the picture): one
# place that knows where each call keeps its object.
# shellcheck disable=SC2016 # expanded by that bash
_LAB_IPC_WAIT_FN='ipc_wait() {
    local nr a0 addr range off path s e o v d
    read -r nr a0 _ <"/proc/$1/syscall" 2>/dev/null || return 0
    case $nr in
    202) addr=$((a0))
        while read -r range _ off _ _ path; do
            s=$((16#${range%-*})); e=$((16#${range#*-}))
            ((addr >= s && addr < e)) || continue
            [[ $path == /dev/shm/* ]] || return 0
            o=$((addr - s + 16#$off))
            if [[ $path != *" (deleted)" ]]; then
                v=$(od -An -tu4 -j "$o" -N4 "$path" 2>/dev/null)
            else
                # A removed name: the mapping itself (as root), under the
                # process (a thread, PID/task/TID, has no map_files), or the
                # word in the process memory (its own uid, where ptrace is
                # allowed); else no value.
                v=$(od -An -tu4 -j "$o" -N4 "/proc/${1%%/*}/map_files/$range" 2>/dev/null)
                [[ -n ${v// /} ]] || v=$(dd if="/proc/${1%%/*}/mem" bs=4 count=1 skip="$addr" \
                    iflag=skip_bytes status=none 2>/dev/null | od -An -tu4)
            fi
            v=${v// /}
            d=no; [[ $path == *" (deleted)" ]] && d=yes
            echo "futex ${v:--} $o $d ${path% (deleted)}"
            return 0
        done <"/proc/$1/maps" ;;
    65 | 220) echo "semop $((a0))" ;;
    69 | 70) echo "msg $((a0)) $nr" ;;
    242 | 243) echo "mq $nr $(readlink "/proc/$1/fd/$((a0))")" ;;
    esac
}
# ipc_waits PID: "TID WAIT" for each thread of PID that sleeps on an IPC
# object (at most 16 looked at): a program may wait in a thread.  A thread
# that waits in ticks (semtimedop() of 100 ms, then a look around) is
# awake for an instant between two of them, longer on a loaded machine:
# one found running is looked at again, 20 ms later, ten times at most
# for the whole process (a thread that really runs costs 0.2 s, once).
ipc_waits() {
    local t w nr n=0 again=10
    for t in /proc/"$1"/task/[0-9]*; do
        ((n++ < 16)) || break
        w=$(ipc_wait "$1/task/${t##*/}")
        while [[ -z $w ]] && ((again-- > 0)) &&
            read -r nr _ <"$t/syscall" 2>/dev/null && [[ $nr == running ]]; do
            sleep 0.02
            w=$(ipc_wait "$1/task/${t##*/}")
        done
        [[ -n $w ]] && echo "${t##*/} $w"
    done
}
'

# _lab_ipc_wait PID INDENT: when PID, or one of its threads, sleeps on an
# IPC object, a line naming the object and what it holds: the semaphore of
# a sem_wait() with its value and the other processes that have it open
# (none: nobody can post it, a holder that died included); the System V set
# of a semop() with each semaphore's value and sleepers; the System V queue
# of a msgrcv() or msgsnd() with its depth; the POSIX queue of an
# mq_timedreceive() or mq_timedsend() with its size.  Nothing otherwise.
# Read like _lab_pipe_wait: directly, or under the programs' uid in a
# container.
_lab_ipc_wait() {
    local pid=$1 indent=$2 out line p comm tid="" wait=""
    local -a others=()
    # "TID WAIT" per waiting thread; after a semaphore's, "open PID COMM" for
    # every other process that maps its file (bounded: a loaded machine).
    # shellcheck disable=SC2016 # expanded by that bash
    local script=$_LAB_IPC_WAIT_FN'
        ipc_waits "$1" | while read -r t w; do
            echo "$t $w"
            [[ $w == futex* ]] || continue
            read -r _ _ _ _ path <<<"$w"
            timeout 3 grep -lF -- " $path" /proc/[0-9]*/maps 2>/dev/null | while read -r m; do
                p=${m#/proc/}; p=${p%/maps}
                [[ $p == "$1" ]] && continue
                c=; read -r c <"/proc/$p/comm"
                echo "open $p $c"
            done
        done'
    out=$(lab_read_proc "$script" "$pid")
    [[ -n ${out:-} ]] || return 0
    while IFS= read -r line; do
        if [[ $line == open\ * ]]; then
            read -r _ p comm <<<"$line"
            [[ $p =~ ^[0-9]+$ ]] && others+=("pid $p ($comm)")
            continue
        fi
        [[ -n $wait ]] && _lab_ipc_sentence "$pid" "$tid" "$wait" "$indent" "${others[@]}"
        read -r tid wait <<<"$line"
        others=()
    done <<<"$out"
    [[ -n $wait ]] && _lab_ipc_sentence "$pid" "$tid" "$wait" "$indent" "${others[@]}"
    return 0
}

# _lab_ipc_sentence PID TID WAIT INDENT OTHER...: the line of _lab_ipc_wait
# for one waiting thread TID of PID (WAIT: an ipc_wait line; OTHER: the
# other processes that have its semaphore open, "pid N (NAME)").
# shellcheck disable=SC2154 # _lab_ipc_*: set by _lab_ipc_words
_lab_ipc_sentence() {
    local pid=$1 tid=$2 wait=$3 indent=$4 who="it"
    local -a others=("${@:5}")
    [[ $tid =~ ^[0-9]+$ ]] && _lab_ipc_words "$wait" || return 0
    [[ $tid == "$pid" ]] || who="its thread $tid"
    case $wait in
    futex*)
        local open_by="no other process has it open: nobody can post it"
        if ((${#others[@]})); then
            open_by=$(printf '%s, ' "${others[@]:0:4}")
            open_by="other processes that have it open: ${open_by%, }$( ((${#others[@]} > 4)) && echo ", ...")"
        fi
        echo "${indent}$who sleeps in $_lab_ipc_call on $_lab_ipc_object; $_lab_ipc_state; $open_by: it waits for a sem_post() that nobody made."
        ;;
    *) echo "${indent}$who sleeps in $_lab_ipc_call on $_lab_ipc_object${_lab_ipc_state:+, $_lab_ipc_state}: $_lab_ipc_why." ;;
    esac
}

# _lab_ipc_words LINE: the words for an ipc_wait line (_LAB_IPC_WAIT_FN),
# in variables (no subshell): _lab_ipc_call (the call it sleeps in),
# _lab_ipc_object (its object, named), _lab_ipc_state (the object's value,
# depth or size, or nothing), _lab_ipc_why (what the sleeper waits for),
# _lab_ipc_kind (semaphore, set or queue: how the hang map draws it).
# Status 1 for a line it cannot read: the line comes from the programs'
# side in a container, and every number is checked.
_lab_ipc_words() {
    local kind a b c path
    read -r kind a b c _ <<<"$1"
    _lab_ipc_call="" _lab_ipc_object="" _lab_ipc_state="" _lab_ipc_why="" _lab_ipc_kind=""
    case $kind in
    futex)
        [[ $a =~ ^([0-9]+|-)$ && $b =~ ^[0-9]+$ ]] || return 1
        read -r _ _ _ _ path <<<"$1"      # futex VALUE OFFSET DELETED PATH
        [[ $path == /dev/shm/* ]] || return 1
        [[ $c == yes ]] && path+=" (its name removed)"
        if [[ $path == /dev/shm/sem.* ]]; then
            _lab_ipc_object="the named semaphore /${path#/dev/shm/sem.} ($path)"
        else
            _lab_ipc_object="a semaphore at byte $b of the shared memory object $path"
        fi
        _lab_ipc_call="sem_wait() (a futex)" _lab_ipc_kind=semaphore
        _lab_ipc_state="its value is $a"
        [[ $a == - ]] && _lab_ipc_state="its value could not be read"
        _lab_ipc_why="it waits for a sem_post() that nobody made"
        ;;
    semop)
        [[ $a =~ ^[0-9]+$ ]] || return 1
        local values
        # ipcs prints one "semnum value ncount zcount pid" row per semaphore.
        values=$(ipcs -s -i "$a" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ && NF >= 5 {
            printf "%ssem %s = %s%s", sep, $1, $2, ($3 > 0 ? " (" $3 " waiting)" : ""); sep = ", " }')
        _lab_ipc_call="semop()" _lab_ipc_kind=set
        _lab_ipc_object="the System V semaphore set $a${values:+: $values}"
        _lab_ipc_why="it waits for an operation that nobody made"
        ;;
    msg)
        [[ $a =~ ^[0-9]+$ && $b =~ ^(69|70)$ ]] || return 1
        local depth
        depth=$(awk -v id="$a" '$2 == id { print $5 }' /proc/sysvipc/msg 2>/dev/null)
        _lab_ipc_object="the System V queue $a" _lab_ipc_kind=queue
        _lab_ipc_state=${depth:+which holds $depth message(s)}
        if [[ $b == 70 ]]; then
            _lab_ipc_call="msgrcv()"
            _lab_ipc_why="it waits for a message (of the type it asks for) that nobody sent"
        else
            _lab_ipc_call="msgsnd()"
            _lab_ipc_why="the queue is full, and nobody receives"
        fi
        ;;
    mq)
        [[ $a =~ ^(242|243)$ && $b == /* ]] || return 1
        local size=""
        # Its QSIZE (bytes queued), where an mqueue file system is mounted.
        [[ -n ${LAB_MQUEUE_DIR:-} ]] && size=$(head -n 1 "$LAB_MQUEUE_DIR/${b#/}" 2>/dev/null)
        _lab_ipc_object="the POSIX queue $b" _lab_ipc_kind=queue
        _lab_ipc_state=$size
        if [[ $a == 243 ]]; then
            _lab_ipc_call="mq_timedreceive()"
            _lab_ipc_why="it waits for a message that nobody sent"
        else
            _lab_ipc_call="mq_timedsend()"
            _lab_ipc_why="the queue is full, and nobody receives"
        fi
        ;;
    *) return 1 ;;
    esac
    return 0
}

# lab_describe NAME: what happened to NAME, in words.
lab_describe() {
    local name=$1 result signal
    if ! lab_finished "$name"; then
        if [[ -s $LAB_RUN/$name.waited ]]; then
            echo "it is still running, and did not do that within $(cat "$LAB_RUN/$name.waited") s:" \
                "$(_lab_stuck_words "$name")"
        else
            echo "it is still running"
        fi
        return
    fi
    result=$(lab_field "$name" result)
    case $result in
    exited) echo "it exited with status $(lab_field "$name" code)" ;;
    signaled)
        signal=$(lab_field "$name" signal)
        echo "it was killed by $signal ($(lab_describe_signal "$signal"))"
        ;;
    timeout)
        echo "it ran into the hard limit of $(($(lab_field "$name" limit_ms) / 1000)) s and the grader killed it" \
            "(a slow machine? raise every bound with LAB_TIMEOUT_SCALE=2)$(_lab_refused "$name")"
        ;;
    killed)
        if [[ -s $LAB_RUN/$name.bound ]]; then
            echo "it did not finish within $(cat "$LAB_RUN/$name.bound") s; the grader killed it." \
                "When the bound ran out it was $(_lab_stuck_words "$name")$(_lab_refused "$name")"
        else
            echo "the grader stopped it"
        fi
        ;;
    exec-failed) lab_field "$name" error ;;
    *) echo "unknown ($result)" ;;
    esac
}

# _lab_stuck_words NAME: what NAME.stuck says, or the scale advice when
# the process could not be read.
_lab_stuck_words() {
    if [[ -s $LAB_RUN/$1.stuck ]]; then
        cat "$LAB_RUN/$1.stuck"
    else
        echo "not readable any more$(_lab_scale_advice)"
    fi
}

# _lab_refused NAME: a note when NAME's tree ran into its process budget
# (forks refused by the pids cgroup, or as many processes as the budget
# allows found when it was killed).
_lab_refused() {
    local refused peak
    refused=$(lab_field "$1" procs_refused)
    peak=$(lab_field "$1" procs_peak)
    if [[ -n $refused && $refused -gt 0 ]] || [[ -n $peak && $((peak * 10)) -ge $((LAB_MAX_PROCS * 9)) ]]; then
        printf '; its processes reached the limit of %s (a fork bomb?)' "$LAB_MAX_PROCS"
    fi
    return 0
}

# lab_assert_finished NAME EXPECTED LOOK_AT: NAME ended by itself.
lab_assert_finished() {
    local name=$1
    case $(lab_field "$name" result) in
    exited | signaled) return 0 ;;
    esac
    lab_fail "$2" "$(lab_describe "$name")" "$3" "$(lab_show_output "$name")"
}

# lab_assert_exit NAME CODE LOOK_AT: NAME ended by itself with status CODE
# (128+N for signal N).
lab_assert_exit() {
    local name=$1 code=$2 status
    status=$(lab_status "$name")
    [[ $status == "$code" ]] && return 0
    local what="exit status $code"
    ((code > 128)) && what="exit status $code (its child was killed by SIG$(kill -l $((code - 128))))"
    lab_fail "$name to end with $what" "$(lab_describe "$name")" "$3" "$(lab_show_output "$name")"
}

# lab_assert_no_strays NAME LOOK_AT: NAME left no process behind: none of
# its children ended up a zombie (never waited for) or an orphan (still
# running after it ended).
lab_assert_no_strays() {
    local name=$1 count list entry pid pname state
    count=$(lab_field "$name" strays) || return 0
    ((count == 0)) && return 0
    list=$(lab_field "$name" stray_list)
    local -a lines=()
    for entry in $list; do
        IFS=: read -r pid pname state <<<"$entry"
        if [[ $state == Z ]]; then
            lines+=("    pid $pid ($pname): a zombie: it had exited, and its parent never waited for it")
        else
            lines+=("    pid $pid ($pname): an orphan: still running when its parent had ended")
        fi
    done
    lab_fail "$name to wait for every child it started (none left behind)" \
        "$count process(es) left behind (the grader reaped or killed them):" "$2" "${lines[@]}"
}

# lab_check_strays: teardown's check, for every test: each program that
# ended by itself (or by a signal the test sent, other than SIGKILL, which
# leaves its children no chance) left no process behind.  A program the
# grader had to stop is left out: what it left is the stop's doing.
lab_check_strays() {
    local spid_file name failed=0 stopped
    for spid_file in "$LAB_RUN"/*.spid; do
        [[ -e $spid_file ]] || continue
        name=$(basename "$spid_file" .spid)
        for stopped in "${LAB_STOPPED_AT_END[@]}"; do
            [[ $stopped == "$name" ]] && continue 2
        done
        case $(lab_field "$name" result) in
        exited) ;;
        signaled) [[ $(lab_field "$name" signal) == SIGKILL ]] && continue ;;
        *) continue ;;
        esac
        lab_assert_no_strays "$name" \
            "the statement's section on ending: a process waits for every child it started, and ends them when it ends" ||
            failed=1
    done
    return "$failed"
}

# lab_descendants NAME: the pids of every process below NAME's program.
lab_descendants() {
    local pid
    pid=$(lab_pid "$1") || return 1
    ps -e -o pid=,ppid= | awk -v root="$pid" '
        { parent[$1] = $2; pids[NR] = $1 }
        END {
            found[root] = 1
            do {
                more = 0
                for (i in pids) { p = pids[i]; if (!(p in found) && (parent[p] in found)) { found[p] = 1; more = 1 } }
            } while (more)
            for (p in found) if (p != root) print p
        }'
}

# lab_wait_descendants NAME COUNT SECONDS: waits until NAME has at least
# COUNT processes below it (readiness after fork).
lab_wait_descendants() {
    local name=$1 count=$2
    _lab_has_descendants() { (($(lab_descendants "$name" | wc -l) >= count)); }
    _lab_wait_for "$name" "${3:-5}" _lab_has_descendants
}

# lab_zombies NAME: "pid:name" of every zombie below NAME, while it runs.
lab_zombies() {
    local pid
    for pid in $(lab_descendants "$1"); do
        ps -o stat=,comm= -p "$pid" 2>/dev/null | awk -v pid="$pid" '$1 ~ /^Z/ { print pid ":" $2 }'
    done
}

# lab_assert_no_zombies NAME LOOK_AT: while it runs, NAME has no zombies.
lab_assert_no_zombies() {
    local zombies
    zombies=$(lab_zombies "$1")
    [[ -z $zombies ]] && return 0
    lab_fail "$1 to reap each child soon after it ends (waitpid)" \
        "zombies below it: $(echo "$zombies" | tr '\n' ' ')" "$2"
}

# lab_signal NAME SIGNAL: sends SIGNAL to NAME's program (not its group).
# Fails, saying so, if the program has already ended.
lab_signal() {
    local pid
    if pid=$(lab_pid "$1") && _lab_below_supervisor "$pid" && kill -s "$2" "$pid" 2>/dev/null; then
        # Kept for teardown: a program asked to end that is still running
        # when the test ends did not end after that signal.
        printf 'SIG%s %s\n' "${2#SIG}" "${EPOCHREALTIME%.*}" >>"$LAB_RUN/$1.signals"
        return 0
    fi
    lab_fail "$1 still running, to be sent SIG${2#SIG}" "$(lab_describe "$1")"
}

# lab_check_ended_after_signal: teardown's check, for a test that passed so
# far: a program the test sent SIGTERM, SIGINT, SIGHUP or SIGQUIT and that
# was still running when the test ended (lab_stop_all had to kill it) did
# not end after that signal.  That is the cause to report, before anything
# the kill left behind.  Returns 1 when it failed the test.
lab_check_ended_after_signal() {
    local name sig when failed=0
    for name in "${LAB_STOPPED_AT_END[@]}"; do
        [[ -s $LAB_RUN/$name.signals ]] || continue
        read -r sig when < <(grep -E '^SIG(TERM|INT|HUP|QUIT) ' "$LAB_RUN/$name.signals" | tail -n 1)
        [[ -n ${sig:-} ]] || continue
        lab_fail "$name to end after $sig" \
            "it was still running $((${EPOCHREALTIME%.*} - when)) s after the test sent $sig; the grader killed it. It was then $(_lab_stuck_words "$name")" \
            "the statement's section on signals: a handler that sets a flag, and a loop that looks at it; or the default action" ||
            failed=1
    done
    return "$failed"
}

# lab_kill SIGNAL PID...: sends SIGNAL to each PID that is still the
# test's own (a supervisor of this test or below one), quietly; a PID that
# has ended, or has come round to somebody else's process, is left alone.
# -PGID names a process group, sent it only while its leader PGID is the
# test's own.  Status 1 when any of them was not sent it.  For the test's
# own steps (SIGSTOP and SIGCONT around a forced interleaving, a kill that
# needs no message); lab_signal and lab_signal_pid say what went wrong.
lab_kill() {
    local sig=${1#-} target status=0
    shift
    for target; do
        if _lab_below_supervisor "${target#-}"; then
            kill -s "$sig" -- "$target" 2>/dev/null || status=1
        else
            status=1
        fi
    done
    return "$status"
}

# lab_signal_pid PID SIGNAL WHAT [LOOK_AT]: sends SIGNAL to a process the
# test found rather than started (a child or worker of the learner's
# program), WHAT naming it for the message.  Fails, saying so, if that
# process has already ended.
lab_signal_pid() {
    _lab_below_supervisor "$1" && kill -s "$2" "$1" 2>/dev/null && return 0
    lab_fail "$3 (pid $1) still running, to be sent SIG${2#SIG}" "it had already ended" "${4:-}"
}

# lab_wait_output NAME REGEX SECONDS [out|err]: waits until a line of NAME's
# stdout (or stderr) matches the extended REGEX (readiness).  Returns 1 if
# the bound passes first, or if NAME ends without having printed it.
lab_wait_output() {
    local name=$1 regex=$2 file="$LAB_RUN/$1.${4:-out}"
    _lab_printed() {
        grep -qE -- "$regex" "$file" 2>/dev/null && return 0
        # Ended without it: no point in waiting (one last look: it may have
        # printed just before it ended).
        if lab_finished "$name"; then
            grep -qE -- "$regex" "$file" 2>/dev/null && return 0
            return 2
        fi
        return 1
    }
    _lab_wait_for "$name" "${3:-5}" _lab_printed
}

# lab_wait_while_running NAME SECONDS CHECK [ARG...]: polls CHECK (an object
# made, a state reached) for at most SECONDS, scaled as NAME's bounds are,
# while NAME runs; once NAME has ended without it (one last look), the wait
# gives up at once: nothing NAME does now can make CHECK true, and a
# program that failed at its start is reported in a moment, not at the bound.
lab_wait_while_running() {
    local name=$1 seconds=$2
    shift 2
    _lab_check_while_running() {
        "$@" && return 0
        if lab_finished "$name"; then
            "$@" && return 0
            return 2
        fi
        return 1
    }
    _lab_wait_for "$name" "$seconds" _lab_check_while_running "$@"
}

# lab_wait_lines NAME COUNT SECONDS [out|err]: waits until NAME has printed
# at least COUNT lines (readiness); gives up at once if NAME ends short.
lab_wait_lines() {
    local name=$1 count=$2 file="$LAB_RUN/$1.${4:-out}"
    _lab_has_lines() {
        (($(wc -l <"$file") >= count)) && return 0
        if lab_finished "$name"; then
            (($(wc -l <"$file") >= count)) && return 0
            return 2
        fi
        return 1
    }
    _lab_wait_for "$name" "${3:-5}" _lab_has_lines
}

# lab_start_server NAME READY EXPECTED LOOK_AT [SPAWN_OPTION...] -- COMMAND...:
# spawns a server and waits (5 s, scaled) for its readiness line, a line of
# its stderr matching the extended regex READY.  Without it, the test fails
# saying EXPECTED was expected, and where to look.
lab_start_server() {
    local name=$1 ready=$2 expected=$3 look_at=$4
    shift 4
    lab_spawn "$name" "$@" || return
    lab_wait_output "$name" "$ready" 5 err ||
        lab_fail "$expected" "$(lab_describe "$name")" "$look_at" "$(lab_show_output "$name")"
}

# lab_stop_gracefully NAME SIGNAL STATUS WHAT LOOK_AT [LOOK_AT_STATUS]: sends
# SIGNAL to a server and expects it to end within 5 s (scaled), with exit
# status STATUS.  WHAT names it in the messages ("fifo_server to exit soon
# after SIGTERM"); LOOK_AT says where to look when it does not end, and
# LOOK_AT_STATUS (default: LOOK_AT) when it ends otherwise.
lab_stop_gracefully() {
    local name=$1 sig=$2 code=$3 what=$4 look_at=$5 look_at_status=${6:-$5}
    lab_signal "$name" "$sig"
    lab_wait_exit "$name" 5 ||
        lab_fail "$what to exit soon after SIG$sig" "$(lab_describe "$name")" "$look_at" \
            "$(lab_show_output "$name")" || return
    lab_assert_exit "$name" "$code" "$look_at_status"
}

# lab_wait_no_zombies NAME SECONDS LOOK_AT: a parent reaps a dead child
# soon, not at once: waits up to SECONDS for NAME to have no zombie below
# it, then fails the test naming them.
lab_wait_no_zombies() {
    local name=$1
    _lab_no_zombie() { [[ -z $(lab_zombies "$name") ]]; }
    lab_wait_until "$(lab_seconds "${2:-2}" "$(lab_scale_of "$name")")" _lab_no_zombie && return 0
    lab_assert_no_zombies "$name" "$3"
}

# lab_proc_state PID LETTER: the process is in that state (S: blocked in a
# system call, T: stopped, Z: zombie); returns 2 ("never") once it is gone,
# so it can be polled with lab_wait_until.
lab_proc_state() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 2
    [[ ${stat##*) } == "$2"* ]]
}

# lab_no_signal_pending PID: no signal waits to be delivered to PID, to
# the process or one of its threads (SigPnd and ShdPnd of /proc/PID/status
# all zeros): the handler of the last one has run.  2 ("never") once PID is
# gone.
lab_no_signal_pending() {
    local line pending=""
    [[ -r /proc/$1/status ]] || return 2
    while read -r line; do
        case $line in SigPnd:* | ShdPnd:*) pending+=${line#*:} ;; esac
    done <"/proc/$1/status" 2>/dev/null || return 2
    [[ -z ${pending//[0[:space:]]/} ]]
}

# lab_sleep_count PID: how many times PID has gone to sleep so far (a
# blocking call, a nanosleep(): voluntary_ctxt_switches of
# /proc/PID/status); 0 once it is gone.  Read twice around a window, it
# counts the sleeps in it: "it looks every 10 ms", not "it spins" (which
# lab_assert_idle measures) nor "it sleeps a second at a time".
lab_sleep_count() {
    local key value n=0
    while read -r key value; do
        [[ $key == voluntary_ctxt_switches: && $value =~ ^[0-9]+$ ]] && n=$value
    done <"/proc/$1/status" 2>/dev/null
    echo "$n"
}

# lab_blocked_in PID WCHAN_GLOB SYSCALL_NR...: the process is blocked in a
# given system call (readiness: "it waits in msgrcv now", "its write() is
# stuck on a full pipe").  The wait channel says so where the kernel shows
# it (WCHAN_GLOB, e.g. '*pipe_write', '*msgrcv*'); where it shows 0, the
# number of the system call in progress does, one of SYSCALL_NR... (POSIX
# message queues wait in wq_sleep, both for sending and receiving; x86-64
# numbers: read 0, write 1, writev 20, pause 34, sendto 44, sendmsg 46,
# wait4 61, semop 65, msgsnd 69, msgrcv 70, rt_sigsuspend 130, futex 202,
# semtimedop 220, epoll_wait 232, mq_timedsend 242, mq_timedreceive 243,
# waitid 247).  An empty WCHAN_GLOB leaves the wait channel out: the call
# alone decides, for waits whose channel is generic (a TCP send sleeps in
# wait_woken, as do many others).  Returns 2 ("never") once the process is
# gone.  As root without CAP_SYS_PTRACE (in a container: lab-grade-batch,
# Gradescope), wchan reads "0" and syscall is refused for a process of
# another uid: they are then read under the programs' uid, which may
# (_lab_read_as_program).
lab_blocked_in() {
    local pid=$1 glob=$2 wchan nr rest
    shift 2
    wchan=$(cat "/proc/$pid/wchan" 2>/dev/null) || return 2
    if [[ -n $glob ]]; then
        # shellcheck disable=SC2053 # the glob is meant to match
        [[ $wchan == $glob ]] && return 0
        [[ $wchan == 0 || -z $wchan ]] || return 1
    fi
    if ! read -r nr rest <"/proc/$pid/syscall" 2>/dev/null; then
        [[ -n ${LAB_PROGRAM_UID:-} && $EUID -eq 0 ]] || return 1
        read -r wchan nr < <(_lab_read_as_program "$pid")
        if [[ -n $glob ]]; then
            # shellcheck disable=SC2053 # the glob is meant to match
            [[ $wchan == $glob ]] && return 0
            [[ $wchan == 0 || -z $wchan ]] || return 1
        fi
    fi
    lab_proc_state "$pid" S || return 1
    local want
    for want; do
        [[ $nr == "$want" ]] && return 0
    done
    return 1
}

# lab_held_in_syscall PID NR: a thread of PID is held by strace on its way
# into system call NR (x86-64 numbers, as for lab_blocked_in: semctl 66):
# a "SYSCALL:delay_enter=US" injection (lab_spawn --inject) keeps it there,
# in a tracing stop, the call not made yet.  The window a test holds open
# to act in before the call is made.  Returns 2 once PID is gone.
lab_held_in_syscall() {
    local pid=$1 want=$2 state nr
    [[ -d /proc/$pid ]] || return 2
    while read -r state nr; do
        [[ $state == t && $nr == "$want" ]] && return 0
    done < <(
        # shellcheck disable=SC2016 # expanded by that bash
        lab_read_proc 'for t in /proc/$1/task/[0-9]*; do
            read -r s <"$t/stat" && s=${s##*) } && read -r n _ <"$t/syscall" && echo "${s%% *} $n"
        done' "$pid")
    return 1
}

# lab_blocked_in_sem_wait PID: waits in sem_wait() (a futex wait), on a
# POSIX semaphore or anything else built on a futex.
lab_blocked_in_sem_wait() {
    lab_blocked_in "$1" '*futex*' 202
}

# lab_blocked_in_pipe_write PID: blocked writing to a full pipe (the wait
# channel is pipe_write, anon_pipe_write since Linux 6.16).
lab_blocked_in_pipe_write() {
    lab_blocked_in "$1" '*pipe_write' 1
}

# lab_fds PID: one line per descriptor above 2 of a running process:
# "FD r|w|rw TARGET" (TARGET as /proc/PID/fd shows it, e.g. pipe:[1234]).
lab_fds() {
    local pid=$1 fd target flags
    for fd in /proc/"$pid"/fd/*; do
        fd=${fd##*/}
        [[ $fd =~ ^[0-9]+$ ]] || continue
        ((fd > 2)) || continue
        if ! target=$(readlink "/proc/$pid/fd/$fd" 2>/dev/null); then
            # Refused to root without CAP_SYS_PTRACE (in a container) for a
            # program of another uid: the whole list, read under that uid.
            if [[ -n ${LAB_PROGRAM_UID:-} && $EUID -eq 0 && -d /proc/$pid ]]; then
                (lab_as_program "$(declare -f lab_fds); lab_fds \"\$1\"" "$pid")
                return
            fi
            continue
        fi
        flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$pid/fdinfo/$fd" 2>/dev/null)
        case $((8#${flags:-0} & 3)) in
        0) echo "$fd r $target" ;;
        1) echo "$fd w $target" ;;
        *) echo "$fd rw $target" ;;
        esac
    done
}

# lab_cpu_ticks PID: user + system CPU time of PID so far, in clock ticks
# (fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the
# name, which may itself hold spaces).
lab_cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    awk '{ print $12 + $13 }' <<<"$stat"
}

# lab_assert_idle NAME SECONDS MAX_PERCENT LOOK_AT: over SECONDS during which
# nothing is asked of it, NAME (still running) uses at most MAX_PERCENT of
# one CPU: it blocks, it does not spin.  The wait here is the measuring
# window itself, not a synchronisation.
lab_assert_idle() {
    local name=$1 seconds=$2 max=$3 pid before after hz used
    pid=$(lab_pid "$name") || return 1
    before=$(lab_cpu_ticks "$pid") ||
        lab_fail "$name to keep running" "$(lab_describe "$name")" "$4" "$(lab_show_output "$name")" ||
        return
    sleep "$seconds"
    after=$(lab_cpu_ticks "$pid") ||
        lab_fail "$name to keep running while idle" "$(lab_describe "$name")" "$4" \
            "$(lab_show_output "$name")" || return
    hz=$(getconf CLK_TCK)
    used=$((after - before))
    # used / hz seconds of CPU in $seconds seconds, as a percentage.
    awk -v u="$used" -v hz="$hz" -v s="$seconds" -v max="$max" 'BEGIN { exit !(100 * u / hz / s <= max) }' &&
        return 0
    lab_fail "at most $max% of a CPU while idle for $seconds s (it should block in read(), poll() ...)" \
        "it used $used ticks of 1/$hz s: it spins" "$4"
}

# lab_wait_file NAME PATH SECONDS: readiness on a file NAME makes (a socket,
# a FIFO, /dev/shm/sem.X): waits until PATH exists; gives up at once when
# NAME has ended without making it.
lab_wait_file() {
    local name=$1 path=$2
    _lab_file_there() {
        [[ -e $path ]] && return 0
        lab_finished "$name" && { [[ -e $path ]] || return 2; }
        return 1
    }
    _lab_wait_for "$name" "${3:-5}" _lab_file_there
}

# lab_wait_reaped PID SECONDS: waits until a process is gone altogether
# (ended and waited for: a zombie still counts as there).  Returns 1 if it
# still runs or is a zombie when the bound passes.
lab_wait_reaped() {
    _lab_gone() { [[ ! -e /proc/$1 ]]; }
    lab_wait_until "$(lab_seconds "${2:-5}")" _lab_gone "$1"
}

# lab_ms MILLISECONDS [valgrind]: a time in ms scaled like every bound, for
# a program's own timeout option (so that LAB_TIMEOUT_SCALE reaches it too).
lab_ms() {
    local extra=1
    [[ ${2:-} == valgrind ]] && extra=$LAB_VALGRIND_SCALE
    awk -v n="$1" -v s="$LAB_TIMEOUT_SCALE" -v v="$extra" 'BEGIN { printf "%d", n * s * v + 0.5 }'
}
