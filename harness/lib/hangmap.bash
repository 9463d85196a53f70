# The hang map: when a program outlives its bound, a picture of its
# plumbing at that moment, drawn with graphviz: its processes (boxes: name,
# pid, what each is blocked in), the pipes and FIFOs they hold (ellipses),
# an arrow from each process holding a write end to the pipe and from the
# pipe to each process holding a read end, the shared memory each maps
# (POSIX objects and named semaphores of /dev/shm, System V segments), and,
# in red, the wait that never ends: a read() on a pipe, a write() to a full
# one, a sem_wait() (its semaphore and value), a semop() (the set and its
# values), a msgrcv()/msgsnd() or mq_timedreceive()/mq_timedsend() (the
# queue and its depth).  Processes outside the program's tree that hold an
# end of one of its pipes (a forgotten holder, the grader's own end of the
# program's input) are drawn dashed.
#
# lab_wait_exit (through lab_note_stuck) calls _lab_hang_map when a bound
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
#   M PID INODE PATH                       a shared mapping of /dev/shm or of
#                                         a System V segment (INODE: shmid)
#   W PID TID WAIT                         the IPC object its thread TID
#                                         sleeps on, as _LAB_IPC_WAIT_FN's
#                                         ipc_wait says
#   H PID FD FLAGS TARGET                  a process outside the tree holding
#                                         one of those pipes or FIFOs
#   O PID 0 PATH                           a process outside the tree mapping
#                                         the file of a semaphore waited on
#   N PID STATE SYSCALL COMM               that process: its state, the call
#                                         it sleeps in, its name
# Run directly, or under the programs' uid where root cannot read their
# /proc (a container: lab_as_program).
# shellcheck disable=SC2016 # expanded by that bash
_LAB_HANG_SCRIPT=$_LAB_IPC_WAIT_FN'
    declare -A tree=() targets=() waited=()
    # outsider PID: "N PID STATE SYSCALL COMM" for a process outside the tree.
    outsider() {
        local rest st=? nr=- c=?
        read -r rest <"/proc/$1/stat" 2>/dev/null && rest=${rest##*) } && st=${rest%% *}
        read -r nr _ <"/proc/$1/syscall" 2>/dev/null
        read -r c <"/proc/$1/comm" 2>/dev/null
        echo "N $1 $st ${nr:--} $c"
    }
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
        while read -r t w; do
            echo "W $p $t $w"
            [[ $w == futex* ]] && read -r _ _ _ _ path <<<"$w" && waited[$path]=1
        done < <(ipc_waits "$p")
        declare -A mapped=()
        while read -r _ perms _ _ ino path; do
            [[ $perms == *s && ( $path == /dev/shm/* || $path == /SYSV* ) ]] || continue
            path=${path% (deleted)}
            [[ -n ${mapped[$path]:-} ]] || echo "M $p $ino $path"
            mapped[$path]=1
        done <"/proc/$p/maps"
        unset mapped
        kids=""
        read -r kids <"/proc/$p/task/$p/children" 2>/dev/null
        for k in $kids; do todo+=("$k"); done
    done
    # Who else maps the file of a semaphore waited on: its poster, if any.
    for path in "${!waited[@]}"; do
        timeout 3 grep -lF -- " $path" /proc/[0-9]*/maps 2>/dev/null | while read -r m; do
            p=${m#/proc/}; p=${p%/maps}
            [[ -z ${tree[$p]:-} ]] || continue
            outsider "$p"
            echo "O $p 0 $path"
        done
    done
    ((${#targets[@]})) || exit 0
    timeout 3 find /proc/[0-9]*/fd -maxdepth 1 -type l -printf "%h %f %l\n" 2>/dev/null |
        while read -r d f t; do
            [[ -n ${targets[$t]:-} ]] || continue
            p=${d#/proc/}; p=${p%/fd}
            [[ -z ${tree[$p]:-} ]] || continue
            fl=0
            while read -r k v; do [[ $k == flags: ]] && fl=$v; done <"/proc/$p/fdinfo/$f" 2>/dev/null
            outsider "$p"
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
# shellcheck disable=SC2154 # _lab_ipc_*: set by _lab_ipc_words (proc.bash)
_lab_hang_dot() {
    local line pid ppid state nr fd comm flags target label mode id waits n=0
    local rest ino path key tid
    local -A in_tree=() drawn=() pipe_id=() blocked_on=() ipc_wait=()
    local -A object_id=() object_label=() object_shape=() object_red=()
    local -a procs=() ends=() outside=() mapped=() mapped_outside=() objects=() object_edges=()
    local -A outside_name=() outside_doing=()
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
        N\ *) read -r pid state nr comm <<<"${line#N }"
            [[ $pid =~ ^[0-9]+$ && $state =~ ^[A-Za-z?]$ && $nr =~ ^([0-9]+|-|running)$ ]] || continue
            outside_name[$pid]=$comm
            _lab_state_words "$state" "$nr"
            outside_doing[$pid]=$_lab_doing ;;
        W\ *) read -r pid tid rest <<<"${line#W }"
            [[ $pid =~ ^[0-9]+$ && $tid =~ ^[0-9]+$ ]] && _lab_ipc_words "$rest" && ipc_wait["$pid $tid"]=$rest ;;
        M\ *|O\ *) read -r pid ino path <<<"${line#? }"
            [[ $pid =~ ^[0-9]+$ && $ino =~ ^[0-9]+$ && ( $path == /dev/shm/* || $path == /SYSV* ) ]] || continue
            if [[ $line == M* ]]; then mapped+=("$pid $ino $path"); else mapped_outside+=("$pid $ino $path"); fi ;;
        esac
    done <<<"$1"
    echo 'digraph hang {'
    echo '    rankdir=LR; node [fontname="monospace", fontsize=10]; edge [fontname="monospace", fontsize=9];'
    for line in "${procs[@]}"; do
        read -r pid ppid state nr fd comm <<<"$line"
        [[ $state == [SD] && $nr =~ ^(0|1)$ ]] && blocked_on[$pid]="$nr $fd"
        _lab_state_words "$state" "$nr"
        label=$_lab_doing
        # A wait on IPC, in the process or in one of its threads.
        for key in "${!ipc_wait[@]}"; do
            [[ ${key% *} == "$pid" ]] || continue
            _lab_ipc_words "${ipc_wait[$key]}" || continue
            blocked_on[$pid]=ipc
            label="blocked in $_lab_ipc_call"
            [[ ${key#* } == "$pid" ]] || label="its thread ${key#* } blocked in $_lab_ipc_call"
            [[ ${key#* } == "$pid" ]] && break
        done
        printf '    p%s [shape=box, label="%s (pid %s)\\n%s"%s];\n' "$pid" "$(_lab_dot_text "$comm")" "$pid" "$label" \
            "${blocked_on[$pid]:+, color=red, penwidth=2}"
        # Parent to child, light: the tree the pipes were inherited along.
        [[ -n ${in_tree[$ppid]:-} ]] &&
            printf '    p%s -> p%s [style=dotted, arrowhead=none, color=gray];\n' "$ppid" "$pid"
    done
    for line in "${outside[@]}" "${mapped_outside[@]}"; do
        read -r pid _ <<<"$line"
        [[ -n ${drawn[$pid]:-} || -n ${in_tree[$pid]:-} ]] && continue
        drawn[$pid]=1
        printf '    p%s [shape=box, style=dashed, label="%s (pid %s)\\noutside the program\\n%s"];\n' \
            "$pid" "$(_lab_dot_text "${outside_name[$pid]:-?}")" "$pid" "${outside_doing[$pid]:-}"
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
    _lab_hang_objects
    echo '}'
}

# _lab_hang_object KEY LABEL SHAPE: the node of an IPC object (LABEL
# escaped for DOT), made once; sets id to its name.  A helper of
# _lab_hang_dot, whose variables it shares.
_lab_hang_object() {
    if [[ -z ${object_id[$1]:-} ]]; then
        object_id[$1]=o${#objects[@]}
        objects+=("$1")
        object_label[$1]=$2 object_shape[$1]=$3
    fi
    id=${object_id[$1]}
}

# _lab_hang_mapping PATH INODE: the node of a shared mapping (a POSIX shared
# memory object, a named semaphore, a System V segment); sets id.
_lab_hang_mapping() {
    local path=$1 ino=$2
    case $path in
    /dev/shm/sem.*) _lab_hang_object "$path" "named semaphore $(_lab_dot_text "/${path#/dev/shm/sem.}")" octagon ;;
    /dev/shm/*) _lab_hang_object "$path" "shared memory $(_lab_dot_text "/${path#/dev/shm/}")" box3d ;;
    *) _lab_hang_object "$path" "System V segment (shmid $ino)\\nkey 0x$(_lab_dot_text "${path#/SYSV}")" box3d ;;
    esac
}

# _lab_hang_objects: the IPC objects of _lab_hang_dot's snapshot, and their
# edges: each process to what it maps (dashed), and in red each wait on a
# semaphore or a queue, to a node that says its value or depth.
# shellcheck disable=SC2154 # _lab_ipc_*: set by _lab_ipc_words (proc.bash)
_lab_hang_objects() {
    local v o label wait
    for line in "${mapped[@]}"; do
        read -r pid ino path <<<"$line"
        [[ -n ${in_tree[$pid]:-} ]] || continue
        _lab_hang_mapping "$path" "$ino"
        object_edges+=("p$pid -> $id [dir=none, style=dashed, color=gray40, label=\"maps\"]")
    done
    for line in "${mapped_outside[@]}"; do
        read -r pid ino path <<<"$line"
        [[ -n ${in_tree[$pid]:-} ]] && continue
        _lab_hang_mapping "$path" "$ino"
        object_edges+=("p$pid -> $id [dir=none, style=dashed, color=gray40, label=\"maps\"]")
    done
    for wait in "${!ipc_wait[@]}"; do
        pid=${wait% *}
        [[ -n ${in_tree[$pid]:-} ]] || continue
        _lab_ipc_words "${ipc_wait[$wait]}" || continue
        label=$(_lab_dot_text "${_lab_ipc_object#the }")
        case ${ipc_wait[$wait]} in
        futex*)
            read -r _ v o _ path <<<"${ipc_wait[$wait]}"
            if [[ $path == /dev/shm/sem.* ]]; then
                _lab_hang_mapping "$path" 0
            else
                # A semaphore inside a shared object: its own node, held by
                # the object's.
                _lab_hang_mapping "$path" 0
                key=$id
                _lab_hang_object "$path@$o" "semaphore at byte $o" octagon
                object_edges+=("$key -> $id [dir=none, style=dotted, label=\"holds\"]")
            fi
            object_label[${objects[${id#o}]}]+="\\n$(_lab_dot_text "$_lab_ipc_state")"
            ;;
        semop*) _lab_hang_object "${ipc_wait[$wait]}" "${label/: /\\n}" octagon ;;
        msg* | mq*)
            # One node per queue, whoever sends or receives: "msg ID NR",
            # "mq NR NAME".
            read -r key v o <<<"${ipc_wait[$wait]}"
            [[ $key == msg ]] && key+=" $v" || key+=" $o"
            _lab_hang_object "$key" "$label${_lab_ipc_state:+\\n$(_lab_dot_text "$_lab_ipc_state")}" cds ;;
        esac
        object_red[$id]=1
        label="waits in $(_lab_dot_text "$_lab_ipc_call")"
        [[ ${wait#* } == "$pid" ]] || label="thread ${wait#* } $label"
        object_edges+=("p$pid -> $id [label=\"$label\", color=red, penwidth=2, fontcolor=red]")
    done
    for key in "${objects[@]}"; do
        id=${object_id[$key]}
        printf '    %s [shape=%s, label="%s"%s];\n' "$id" "${object_shape[$key]}" "${object_label[$key]}" \
            "${object_red[$id]:+, color=red, penwidth=2}"
    done
    for line in "${object_edges[@]}"; do
        printf '    %s;\n' "$line"
    done
}

# _lab_hang_map NAME PID: draws the hang map of PID's tree (NAME's program)
# into the folder of the test's kept logs; prints the SVG's path, or nothing
# when there is nothing to draw (no pipe, no FIFO, no wait on an IPC
# object) or no graphviz.
_lab_hang_map() {
    local name=$1 pid=$2 snapshot dir base
    command -v dot >/dev/null || return 0
    snapshot=$(lab_read_proc "$_LAB_HANG_SCRIPT" "$pid")
    # Drawn when something is there to see: a pipe, or a wait on IPC.
    [[ $snapshot =~ (^|$'\n')[FW]\  ]] || return 0
    dir=${LAB_KEEP_LOGS:+$LAB_KEEP_LOGS/${BATS_TEST_NUMBER:-0}-$name}
    [[ -n $dir ]] && mkdir -p -- "$dir" 2>/dev/null || dir=$LAB_RUN
    base=$dir/$name.hang
    _lab_hang_dot "$snapshot" >"$base.dot" || return 0
    # Bounded: the machine may be loaded by what is being killed.
    timeout 5 dot -Tsvg -o "$base.svg" "$base.dot" 2>/dev/null || return 0
    timeout 5 dot -Tpng -o "$base.png" "$base.dot" 2>/dev/null || rm -f -- "$base.png"
    echo "$base.svg"
}
