# The hang map: when a program outlives its bound, a picture of its
# plumbing at that moment, drawn with graphviz: its processes (boxes: name,
# pid, what each is blocked in), the pipes and FIFOs they hold (ellipses),
# an arrow from each process holding a write end to the pipe and from the
# pipe to each process holding a read end, and, in red, the wait that never
# ends (a read() on a pipe, a write() to a full one).  Processes outside the
# program's tree that hold an end of one of its pipes (a forgotten holder,
# the grader's own end of the program's input) are drawn dashed.
#
# lab_wait_exit (through _lab_note_stuck) calls _lab_hang_map when a bound
# runs out, before the grader kills the tree; the picture goes next to the
# logs a message points at (results/LABEL/logs/EXERCISE/N-NAME/NAME.hang.svg
# and .png, the graph itself in NAME.hang.dot), and the message names it.
# No tool draws this: lsof and ipcs list what is open, pstree the processes;
# none links a blocked read() to the ends that keep it waiting.

# shellcheck shell=bash

# _lab_hang_snapshot PID: one line per fact, read from /proc for PID and
# its descendants (at most 16 processes):
#   P PID PPID STATE SYSCALL FD COMM       a process; SYSCALL and FD: the call
#                                         it sleeps in and its first argument
#   F PID FD FLAGS TARGET                  a pipe or FIFO it holds open
#   H PID FD FLAGS TARGET                  a process outside the tree holding
#                                         one of those pipes or FIFOs
#   N PID COMM                             that process's name
# Run directly, or under the programs' uid where root cannot read their
# /proc (a container: _lab_as_program).
# shellcheck disable=SC2016 # expanded by that bash
_LAB_HANG_SCRIPT='
    declare -A tree=() targets=()
    todo=("$1") n=0
    while ((${#todo[@]})) && ((n < 16)); do
        p=${todo[0]}; todo=("${todo[@]:1}")
        [[ -r /proc/$p/stat ]] || continue
        tree[$p]=1; n=$((n + 1))
        read -r stat <"/proc/$p/stat"; rest=${stat##*) }
        read -r state ppid _ <<<"$rest"
        nr=-; a=-
        read -r nr a _ <"/proc/$p/syscall" 2>/dev/null
        read -r comm <"/proc/$p/comm"
        echo "P $p $ppid $state ${nr:--} $((${a:-0})) $comm"
        for f in /proc/$p/fd/*; do
            t=$(readlink "$f") || continue
            [[ $t == pipe:\[* || -p $t ]] || continue
            fl=0
            while read -r k v; do [[ $k == flags: ]] && fl=$v; done <"/proc/$p/fdinfo/${f##*/}"
            echo "F $p ${f##*/} $fl $t"
            targets[$t]=1
        done
        kids=""
        read -r kids <"/proc/$p/task/$p/children" 2>/dev/null
        for k in $kids; do todo+=("$k"); done
    done
    ((${#targets[@]})) || exit 0
    timeout 3 find /proc/[0-9]*/fd -maxdepth 1 -type l -printf "%h %f %l\n" 2>/dev/null |
        while read -r d f t; do
            [[ -n ${targets[$t]:-} ]] || continue
            p=${d#/proc/}; p=${p%/fd}
            [[ -z ${tree[$p]:-} ]] || continue
            fl=0; c=?
            while read -r k v; do [[ $k == flags: ]] && fl=$v; done <"/proc/$p/fdinfo/$f" 2>/dev/null
            read -r c <"/proc/$p/comm" 2>/dev/null
            echo "N $p $c"
            echo "H $p $f $fl $t"
        done'

# _lab_dot_text TEXT: TEXT as a DOT string's content (quotes and backslashes
# escaped): a program names its processes and its FIFOs as it likes.
_lab_dot_text() {
    local t=${1//\\/\\\\}
    t=${t//\"/\\\"}
    printf '%s' "${t//[$'\n\r']/ }"
}

# _lab_hang_dot SNAPSHOT: the DOT graph of a snapshot (_LAB_HANG_SCRIPT's lines).
_lab_hang_dot() {
    local line pid ppid state nr fd comm flags target call label mode id waits n=0
    local -A in_tree=() drawn=() pipe_id=() blocked_on=()
    local -a procs=() ends=() outside=()
    local -A outside_name=()
    while IFS= read -r line; do
        # In a container the snapshot is read under the programs' uid: every
        # number is checked before it names a node or meets arithmetic.
        case $line in
        P\ *) read -r pid ppid state nr fd _ <<<"${line#P }"
            [[ $pid$ppid$fd =~ ^[0-9]+$ && $state =~ ^[A-Za-z]$ && $nr =~ ^([0-9]+|-|running)$ ]] || continue
            procs+=("${line#P }"); in_tree[$pid]=1 ;;
        F\ *|H\ *) read -r pid fd flags _ <<<"${line#? }"
            [[ $pid$fd =~ ^[0-9]+$ && $flags =~ ^[0-7]+$ ]] || continue
            if [[ $line == F* ]]; then ends+=("${line#F }"); else outside+=("${line#H }"); fi ;;
        N\ *) read -r pid comm <<<"${line#N }"
            [[ $pid =~ ^[0-9]+$ ]] && outside_name[$pid]=$comm ;;
        esac
    done <<<"$1"
    echo 'digraph hang {'
    echo '    rankdir=LR; node [fontname="monospace", fontsize=10]; edge [fontname="monospace", fontsize=9];'
    for line in "${procs[@]}"; do
        read -r pid ppid state nr fd comm <<<"$line"
        call=""
        if [[ $state == [SD] && $nr =~ ^[0-9]+$ ]]; then
            _lab_syscall_name "$nr"
            # shellcheck disable=SC2154 # set by _lab_syscall_name (proc.bash)
            call=$_lab_call
            [[ $nr == 0 || $nr == 1 ]] && blocked_on[$pid]="$nr $fd"
        fi
        case $state in
        S | D) label="blocked in ${call:-the kernel}" ;;
        R) label="running" ;;
        T | t) label="stopped" ;;
        Z) label="a zombie (exited, not waited for)" ;;
        *) label="state $state" ;;
        esac
        printf '    p%s [shape=box, label="%s (pid %s)\\n%s"%s];\n' "$pid" "$(_lab_dot_text "$comm")" "$pid" "$label" \
            "${blocked_on[$pid]:+, color=red, penwidth=2}"
        # Parent to child, light: the tree the pipes were inherited along.
        [[ -n ${in_tree[$ppid]:-} ]] &&
            printf '    p%s -> p%s [style=dotted, arrowhead=none, color=gray];\n' "$ppid" "$pid"
    done
    for line in "${outside[@]}"; do
        read -r pid _ <<<"$line"
        [[ -n ${drawn[$pid]:-} ]] && continue
        drawn[$pid]=1
        printf '    p%s [shape=box, style=dashed, label="%s (pid %s)\\noutside the program"];\n' \
            "$pid" "$(_lab_dot_text "${outside_name[$pid]:-?}")" "$pid"
    done
    for line in "${ends[@]}" "${outside[@]}"; do
        target=${line#* * * }               # after PID FD FLAGS
        [[ -n ${pipe_id[$target]:-} ]] && continue
        n=$((n + 1))
        pipe_id[$target]=i$n
        printf '    i%s [shape=ellipse, label="%s"];\n' "$n" "$(_lab_dot_text "$target")"
    done
    for line in "${ends[@]}" "${outside[@]}"; do
        read -r pid fd flags _ <<<"$line"
        target=${line#* * * }
        id=${pipe_id[$target]}
        mode=$((8#$flags & 3))              # O_RDONLY 0, O_WRONLY 1, O_RDWR 2
        waits=""
        [[ -n ${blocked_on[$pid]:-} && ${blocked_on[$pid]#* } == "$fd" ]] && waits=${blocked_on[$pid]%% *}
        if ((mode == 0 || mode == 2)); then
            if [[ $waits == 0 ]]; then
                printf '    %s -> p%s [label="fd %s r: waits in read()", color=red, penwidth=2, fontcolor=red];\n' "$id" "$pid" "$fd"
            else
                printf '    %s -> p%s [label="fd %s r"];\n' "$id" "$pid" "$fd"
            fi
        fi
        if ((mode == 1 || mode == 2)); then
            if [[ $waits == 1 ]]; then
                printf '    p%s -> %s [label="fd %s w: waits in write()", color=red, penwidth=2, fontcolor=red];\n' "$pid" "$id" "$fd"
            else
                printf '    p%s -> %s [label="fd %s w"];\n' "$pid" "$id" "$fd"
            fi
        fi
    done
    echo '}'
}

# _lab_hang_map NAME PID: draws the hang map of PID's tree (NAME's program)
# into the folder of the test's kept logs; prints the SVG's path, or nothing
# when there is nothing to draw (no pipe, no FIFO) or no graphviz.
_lab_hang_map() {
    local name=$1 pid=$2 snapshot dir base
    command -v dot >/dev/null || return 0
    snapshot=$(_lab_read_proc "$_LAB_HANG_SCRIPT" "$pid")
    [[ $snapshot == *$'\n'F\ * || $snapshot == F\ * ]] || return 0
    dir=${LAB_KEEP_LOGS:+$LAB_KEEP_LOGS/${BATS_TEST_NUMBER:-0}-$name}
    [[ -n $dir ]] && mkdir -p -- "$dir" 2>/dev/null || dir=$LAB_RUN
    base=$dir/$name.hang
    _lab_hang_dot "$snapshot" >"$base.dot" || return 0
    # Bounded: the machine may be loaded by what is being killed.
    timeout 5 dot -Tsvg -o "$base.svg" "$base.dot" 2>/dev/null || return 0
    timeout 5 dot -Tpng -o "$base.png" "$base.dot" 2>/dev/null || rm -f -- "$base.png"
    echo "$base.svg"
}
