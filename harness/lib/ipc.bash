# IPC objects: unique names for each test, snapshots, leak reports.
#
# Machines are shared (/dev/shm and /dev/mqueue may hold other programs'
# objects, and natively so may System V), so a leak is an object that is
# ours (created by our uid) and was not there when the test started.
# lab_teardown calls lab_check_ipc_leaks: every leak fails the test with the
# object named and the command that removes it, and the grader removes it.
#
# One line per object, "KIND ID":
#   sysv-shm SHMID:KEY CREATOR-PID   sysv-sem SEMID:KEY   sysv-msg MSQID:KEY
#   posix-shm NAME       posix-sem NAME       posix-mq NAME      fifo PATH

# shellcheck shell=bash

# Where POSIX message queues are visible; empty when /dev/mqueue is not a
# mounted mqueue file system (then message-queue leak checks are off, and
# the grader CLI says so).
: "${LAB_MQUEUE_DIR=$(awk '$3 == "mqueue" { print $2; exit }' /proc/mounts 2>/dev/null)}"

# Folders searched for FIFOs left behind (besides the test's own folders).
: "${LAB_FIFO_DIRS:=/tmp /var/tmp /dev/shm}"

# lab_name [SUFFIX]: a POSIX IPC name no other test uses: /lab-RUN-TEST[-SUFFIX]
lab_name() {
    echo "/$LAB_PREFIX${1:+-$1}"
}

# lab_path [SUFFIX]: a file path no other test uses, in the test's folder.
lab_path() {
    echo "$LAB_WORK/$LAB_PREFIX${1:+-$1}"
}

# lab_sysv_key [N]: a System V key no other test uses, in the lab's range
# 0x1a000000-0x1affffff (make clean-ipc recognises it).
lab_sysv_key() {
    printf '0x%08x\n' $((0x1a000000 + (LAB_RUN_ID * 977 + BATS_TEST_NUMBER * 31 + ${1:-0}) % 0x1000000))
}

# lab_ipc_list: every IPC object of ours there is now, one per line, sorted.
# Ours: as root, the programs' uid (LAB_PROGRAM_UID, unique to this grading:
# nothing else on the machine can be blamed, and FIFOs are looked for at any
# depth of every folder that uid can write in); unprivileged, our own uid.
lab_ipc_list() {
    local uid kind file
    uid=${LAB_PROGRAM_UID:-$(id -u)}
    for kind in shm sem msg; do
        file=/proc/sysvipc/$kind
        [[ -r $file ]] || continue
        awk -v kind="sysv-$kind" -v uid="$uid" '
            NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
            $(col["cuid"]) == uid || $(col["uid"]) == uid {
                id = (kind == "sysv-shm") ? $(col["shmid"]) : (kind == "sysv-sem") ? $(col["semid"]) : $(col["msqid"])
                printf "%s %s:0x%08x%s\n", kind, id, $(col["key"]) % 4294967296,
                    (kind == "sysv-shm") ? " " $(col["cpid"]) : ""
            }' "$file"
    done
    find /dev/shm -mindepth 1 -maxdepth 1 -uid "$uid" ! -type p -printf '%f\n' 2>/dev/null |
        awk '/^sem\./ { print "posix-sem /" substr($0, 5); next } { print "posix-shm /" $0 }'
    if [[ -n $LAB_MQUEUE_DIR ]]; then
        find "$LAB_MQUEUE_DIR" -mindepth 1 -maxdepth 1 -uid "$uid" -printf 'posix-mq /%f\n' 2>/dev/null
    fi
    local -a dirs=()
    # The test's working folder, not $LAB_RUN: the grader's own input FIFOs
    # live there.  At any depth: a FIFO five folders down is still left.
    for file in $LAB_FIFO_DIRS ${LAB_WORK:-} ${LAB_SRC:-}; do
        [[ -d $file ]] && dirs+=("$file")
    done
    # A folder that is neither the uid's nor writable by others cannot have
    # received a FIFO of the uid: it is not walked (the self-test's scratch
    # folders in /tmp hold thousands of files, and this runs twice a test).
    # Nor is $LAB_RUN, the grader's own (its input FIFOs, NAME.in): walked
    # from /tmp as the learner's uid, they were listed under "not ours, left
    # alone" in every grading in the lab image; bats removes the folder.
    if ((${#dirs[@]})); then
        find "${dirs[@]}" \( -path "${LAB_RUN:-/nonexistent}" -prune \) -o \
            \( -type d ! -uid "$uid" ! -perm -0002 -prune \) -o \
            \( -type p -uid "$uid" -printf 'fifo %p\n' \) 2>/dev/null
    fi
}

lab_ipc_snapshot() {
    lab_ipc_list | LC_ALL=C sort -u >"$LAB_RUN/ipc.before"
}

# lab_ipc_new: the objects of ours that were not there at the snapshot,
# less those that are certainly someone else's: another grading's (its
# names carry its own run id: lab-RUNID-...), valgrind's vgdb FIFOs, and
# System V segments whose creator still runs outside this test's process
# tree (System V objects have no names to tell them apart; a segment
# records its creator's pid, semaphore sets and queues record none).
# Those are left alone, never blamed nor removed, and each is noted in
# $LAB_NOTES ("TEST<tab>KIND ID<tab>why", when set): the grading's report
# lists them as "not ours, left alone" (lab-grade).
lab_ipc_new() {
    local ours notes=${LAB_NOTES:-/dev/null} test=${BATS_TEST_DESCRIPTION:-}
    ours=$(ps -e -o pid=,ppid= | awk -v root="${LAB_TEST_PID:-$BASHPID}" '
        { parent[$1] = $2; pids[NR] = $1 }
        END {
            found[root] = 1
            do {
                more = 0
                for (i in pids) { p = pids[i]; if (!(p in found) && (parent[p] in found)) { found[p] = 1; more = 1 } }
            } while (more)
            for (p in found) printf "%s ", p
        }')
    lab_ipc_list | LC_ALL=C sort -u | LC_ALL=C comm -13 "$LAB_RUN/ipc.before" - |
        while read -r kind id creator; do
            if [[ $kind == sysv-shm && -n $creator && $creator != 0 && -d /proc/$creator &&
                " $ours " != *" $creator "* ]]; then
                printf '%s\t%s %s\t%s\n' "$test" "$kind" "$id" \
                    "its creator, pid $creator, runs outside this test" >>"$notes"
                continue
            fi
            echo "$kind $id"
        done |
        awk -v run="$LAB_RUN_ID" -v by_uid="${LAB_PROGRAM_UID:+1}" -v work="${LAB_WORK:-}/" -v src="${LAB_SRC:-}/" \
            -v notes="$notes" -v test="$test" '
            function left_alone(why) { printf "%s\t%s\t%s\n", test, $0, why >>notes }
            $1 == "fifo" && $2 ~ /\/vgdb-pipe-/ { next }
            # Unprivileged, a FIFO of our uid may be the user'"'"'s own, made
            # while the test ran: it counts only where the test'"'"'s programs
            # make theirs (the working folder, the sources) or under the
            # lab'"'"'s names (lab-RUN-..., the statements'"'"' ipclab-...).
            $1 == "fifo" && by_uid == "" {
                base = $2; sub(/.*\//, "", base)
                if (index($2, work) != 1 && index($2, src) != 1 && base !~ /^(lab-[0-9]+-|ipclab-)/) {
                    left_alone("of the grader'"'"'s own uid, outside the test'"'"'s folders, not under the lab'"'"'s names")
                    next
                }
            }
            {
                name = $2; sub(/.*\//, "", name)
                if (match(name, /^lab-[0-9]+-/) && substr(name, 5, RLENGTH - 5) != run) {
                    left_alone("another grading'"'"'s (run " substr(name, 5, RLENGTH - 5) ")")
                    next
                }
                print
            }'
}

# lab_ipc_describe KIND ID: "what it is -- how to remove it by hand".
lab_ipc_describe() {
    local kind=$1 id=$2
    case $kind in
    sysv-shm) echo "System V shared memory segment shmid ${id%%:*}, key ${id#*:} -- remove: ipcrm -m ${id%%:*}" ;;
    sysv-sem) echo "System V semaphore set semid ${id%%:*}, key ${id#*:} -- remove: ipcrm -s ${id%%:*}" ;;
    sysv-msg) echo "System V message queue msqid ${id%%:*}, key ${id#*:} -- remove: ipcrm -q ${id%%:*}" ;;
    posix-shm) echo "POSIX shared memory object $id (/dev/shm$id) -- remove: rm /dev/shm$id (shm_unlink)" ;;
    posix-sem) echo "POSIX named semaphore $id (/dev/shm/sem.${id#/}) -- remove: rm /dev/shm/sem.${id#/} (sem_unlink)" ;;
    posix-mq) echo "POSIX message queue $id ($LAB_MQUEUE_DIR$id) -- remove: rm $LAB_MQUEUE_DIR$id (mq_unlink)" ;;
    fifo) echo "FIFO $id -- remove: rm $id (unlink)" ;;
    *) echo "$kind $id" ;;
    esac
}

# lab_ipc_remove KIND ID: removes one object.
lab_ipc_remove() {
    local kind=$1 id=$2
    case $kind in
    sysv-shm) ipcrm -m "${id%%:*}" ;;
    sysv-sem) ipcrm -s "${id%%:*}" ;;
    sysv-msg) ipcrm -q "${id%%:*}" ;;
    posix-shm) rm -f "/dev/shm$id" ;;
    posix-sem) rm -f "/dev/shm/sem.${id#/}" ;;
    posix-mq) rm -f "$LAB_MQUEUE_DIR$id" ;;
    fifo) rm -f "$id" ;;
    esac 2>/dev/null
}

# A System V segment marked for removal (shmctl IPC_RMID; ipcs shows "dest")
# goes when its last attacher detaches, and a process detaches only when
# its address space is torn down.  That can come a moment after the process
# has been reaped: whoever reads /proc/PID/stat or /proc/PID/status at that
# instant (ps, the supervisor's scans, another grading's) holds the address
# space, and the segment goes when that reader lets go.  So a marked segment
# still listed is waited for, briefly, before it counts as left behind.

# lab_shm_field SHMID COLUMN: one column of /proc/sysvipc/shm for that
# segment, by its header's name (key, perms (octal), size, nattch, cpid...);
# nothing if there is no such segment.
lab_shm_field() {
    awk -v id="$1" -v col="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $(c["shmid"]) == id { print $(c[col]) }' /proc/sysvipc/shm 2>/dev/null
}

# _lab_shm_settled SHMID: 0 once the segment is gone; 2 (stop waiting) if
# it is there and not marked, since it will not go by itself; 1 meanwhile.
_lab_shm_settled() {
    local perms
    perms=$(lab_shm_field "$1" perms)
    [[ -z $perms ]] && return 0
    (((8#$perms & 8#1000) == 0)) && return 2
    return 1
}

# lab_shm_wait_gone SHMID: 0 if the segment is gone, at once or after its
# marked-for-removal end (at most 2 s, scaled); 1 if it is still there.
lab_shm_wait_gone() {
    lab_wait_until "$(lab_seconds 2)" _lab_shm_settled "$1"
    [[ -z $(lab_shm_field "$1" perms) ]]
}

# lab_ipc_report_and_remove: describes every new object, removes it, and
# prints the descriptions (one per line).  Returns 1 if there were any.
lab_ipc_report_and_remove() {
    local kind id found=0 new
    new=$(lab_ipc_new)
    if [[ $new == *sysv-shm* ]]; then # let marked segments end first (above)
        while read -r kind id; do
            if [[ $kind == sysv-shm ]]; then
                lab_shm_wait_gone "${id%%:*}" || : # still there: reported below
            fi
        done <<<"$new"
        new=$(lab_ipc_new)
    fi
    while read -r kind id; do
        [[ -n $kind ]] || continue
        found=1
        printf '    %s\n' "$(lab_ipc_describe "$kind" "$id")"
        lab_ipc_remove "$kind" "$id"
    done <<<"$new"
    ((found == 0))
}

# lab_assert_no_new_ipc EXPECTED LOOK_AT: right now, no object of ours has
# appeared since the test started (say, after a server's SIGTERM).
lab_assert_no_new_ipc() {
    local leaks
    leaks=$(lab_ipc_report_and_remove) && return 0
    lab_fail "$1" "these IPC objects were still there (the grader removed them):" "$2" "$leaks"
}

# Called by teardown: fails the test on any leak, after removing it.
lab_check_ipc_leaks() {
    local leaks
    leaks=$(lab_ipc_report_and_remove) && return 0
    lab_fail "no IPC object left behind once every program of the test has ended" \
        "leaked IPC objects (the grader removed them):" \
        "the statement's section on cleanup; make clean-ipc removes leftovers of your own runs" "$leaks"
}
