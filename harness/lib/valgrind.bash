# valgrind: memory errors, definite leaks and open file descriptors.
#
# lab_spawn NAME --valgrind ... runs the command under memcheck with one log
# per process (forked children included: NAME.vg.PID).  valgrind's exit
# status never reports open fds, so everything is read from the logs.
# Suppressions: harness/valgrind/*.supp (each entry explained in its file).

# shellcheck shell=bash

# lab_valgrind_command NAME [memcheck|helgrind]: the valgrind command line,
# one word per line.  helgrind logs go to NAME.hg.PID.
lab_valgrind_command() {
    local supp
    if [[ ${2:-memcheck} == helgrind ]]; then
        printf '%s\n' valgrind --tool=helgrind --log-file="$LAB_LOGS/$1.hg.%p" \
            --trace-children=yes --child-silent-after-fork=no --num-callers=12 --vgdb=no
        return
    fi
    printf '%s\n' valgrind --tool=memcheck --log-file="$LAB_LOGS/$1.vg.%p" \
        --track-fds=yes --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite --trace-children=yes \
        --child-silent-after-fork=no --num-callers=12 --vgdb=no
    for supp in "$LAB_HARNESS"/valgrind/*.supp; do
        [[ -e $supp ]] && printf '%s\n' "--suppressions=$supp"
    done
}

# _lab_valgrind_scan NAME: one line per finding, from every log of NAME:
#   fd PID FD DESCRIPTION WHERE    a descriptor open at exit, not inherited
#   error PID COUNT FIRST_ERROR WHERE
#   broken PID                     a log without an ERROR SUMMARY (valgrind
#                                  itself failed, or the process was killed)
_lab_valgrind_scan() {
    local log
    for log in "$LAB_LOGS/$1".vg.*; do
        [[ -e $log ]] || continue
        awk '
            function where_of(line) {
                if (match(line, /\([^()]*\.[ch]:[0-9]+\)/)) return substr(line, RSTART + 1, RLENGTH - 2)
                return ""
            }
            { sub(/^==[0-9]+== ?/, "") }
            FNR == 1 { pid = FILENAME; sub(/.*\.vg\./, "", pid) }
            /^Open (file descriptor|AF_UNIX socket|AF_INET socket|AF_INET6 socket)/ {
                infd = 1; fd = $0; sub(/:.*/, "", fd); sub(/.* /, "", fd)
                desc = $0; sub(/^[^:]*: ?/, "", desc); inherited = 0; fdwhere = ""; next
            }
            infd && /<inherited from parent>/ { inherited = 1; next }
            infd && /^ +(at|by) / { if (fdwhere == "") fdwhere = where_of($0); next }
            infd && /^$/ {
                if (!inherited) printf "fd %s %s %s %s\n", pid, fd, (desc == "" ? "(a pipe or socket)" : desc), fdwhere
                infd = 0; next
            }
            # Memory errors are counted by their headers: since valgrind 3.23
            # the ERROR SUMMARY also counts the descriptors open at exit.
            /^(Invalid|Conditional|Use of uninitialised|Syscall param|Mismatched|Source and destination|Argument|Jump to|Process terminating)/ ||
            /are definitely lost in loss record/ {
                errors++
                if (first == "") { first = $0; errwhere = ""; inerr = 1 }
                next
            }
            inerr && /^ +(at|by) / { if (errwhere == "") errwhere = where_of($0); next }
            inerr && /^$/ { inerr = 0 }
            /^ERROR SUMMARY:/ { summary = $3 }
            END {
                if (summary == "") print "broken " pid
                else if (errors > 0) printf "error %s %s %s%s\n", pid, errors, first, (errwhere == "" ? "" : " at " errwhere)
            }' "$log"
    done
}

# lab_valgrind_ran NAME: true if at least one log was written.
lab_valgrind_ran() {
    compgen -G "$LAB_LOGS/$1.vg.*" >/dev/null
}

# lab_assert_valgrind_fds NAME LOOK_AT: every process of NAME had only 0, 1
# and 2 open at exit.
lab_assert_valgrind_fds() {
    local name=$1 main kind pid fd rest
    lab_valgrind_ran "$name" || lab_fail "valgrind logs for $name" "none were written" "$2" || return
    main=$(lab_field "$name" pid)
    local -a lines=()
    while read -r kind pid fd rest; do
        [[ $kind == fd ]] || continue
        local who="the child (pid $pid)"
        [[ $pid == "$main" ]] && who="$name itself (pid $pid)"
        lines+=("    fd $fd in $who: $rest")
    done < <(_lab_valgrind_scan "$name")
    ((${#lines[@]} == 0)) && return 0
    lab_fail "only stdin, stdout and stderr open when each process exits" \
        "valgrind --track-fds=yes found descriptors still open at exit (where each was opened):" \
        "$2" "${lines[@]}"
}

# lab_assert_valgrind_clean NAME LOOK_AT: no memory error and no definite
# leak in any process of NAME, and valgrind itself ran to the end.
lab_assert_valgrind_clean() {
    local name=$1 kind pid count rest
    lab_valgrind_ran "$name" || lab_fail "valgrind logs for $name" "none were written" "$2" || return
    local -a lines=()
    while read -r kind pid count rest; do
        case $kind in
        error) lines+=("    pid $pid: $count error(s); the first: $rest") ;;
        broken) lines+=("    pid $pid: its log has no summary (killed before it could exit?)") ;;
        esac
    done < <(_lab_valgrind_scan "$name")
    ((${#lines[@]} == 0)) && return 0
    lab_fail "valgrind to find no memory error and no leak" "it found:" \
        "$2; the whole logs are $(lab_keep_logs "$name" vg)/$name.vg.* (run valgrind yourself: see the statement)" "${lines[@]}"
}

# lab_assert_threads_joined NAME LOOK_AT: valgrind's leak summary of every
# process of NAME shows no block "possibly lost".  A thread never joined
# (pthread_join) leaves the block pthread_create() allocated for it (its
# stack and thread descriptor, 272 bytes on x86-64) reachable only through
# an inner pointer at exit: memcheck counts it as possibly lost, and
# lab_assert_valgrind_clean, which counts definite leaks, does not see it.
lab_assert_threads_joined() {
    local name=$1 log summary=""
    for log in "$LAB_LOGS/$name".vg.*; do
        [[ -e $log ]] || continue
        summary+=$(sed -nE 's/^==[0-9]+== +(possibly lost: ([0-9,]+) bytes in ([0-9,]+) blocks)$/\1/p' "$log" |
            grep -v 'in 0 blocks$' || true)
    done
    [[ -z $summary ]] && return 0
    lab_fail "no block \"possibly lost\" at the exit of $name: each thread joined (pthread_join) before the process exits" \
        "valgrind's leak summary says: $summary" \
        "$2; a thread never joined leaves the block pthread_create() allocated for it (272 bytes) possibly lost"
}

# lab_assert_helgrind_clean NAME LOOK_AT: every helgrind log of NAME ends with
# "ERROR SUMMARY: 0 errors"; otherwise the first error of each log is shown
# (its headline and the first line of the program's own code).
lab_assert_helgrind_clean() {
    local name=$1 log found=0
    local -a lines=()
    for log in "$LAB_LOGS/$name".hg.*; do
        [[ -e $log ]] || continue
        found=1
        local pid=${log##*.hg.} report
        report=$(awk '
            { sub(/^==[0-9]+== ?/, "") }
            /^ERROR SUMMARY:/ { summary = $3 }
            first == "" && /^(Possible data race|Lock at|Thread #[0-9]+: |Thread #[0-9]+ unlocked|Thread #[0-9]+.s call to)/ {
                first = $0; inerr = 1; next
            }
            inerr && /^ +(at|by) .*\([^()]*\.c:[0-9]+\)/ {
                match($0, /\([^()]*\.c:[0-9]+\)/); where = substr($0, RSTART + 1, RLENGTH - 2); inerr = 0
            }
            END {
                if (summary == "") print "its log has no ERROR SUMMARY (killed before it could exit?)"
                else if (summary != 0) printf "%s error(s); the first: %s%s\n", summary, first, (where == "" ? "" : " at " where)
            }' "$log")
        [[ -n $report ]] && lines+=("    pid $pid: $report")
    done
    ((found)) || lab_fail "helgrind logs for $name" "none were written" "$2" || return
    ((${#lines[@]} == 0)) && return 0
    lab_fail "helgrind to find no data race and no misuse of a lock" "it found:" \
        "$2; the whole logs are $(lab_keep_logs "$name" hg)/$name.hg.*" "${lines[@]}"
}
