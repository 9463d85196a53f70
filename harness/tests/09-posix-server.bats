#!/usr/bin/env bats
# 09-posix-server: a server with one forked handler per client, built on POSIX
# shared memory, named semaphores, message queues and a pipe.
# Statement: exercises/09-posix-server/README.md (the § numbers below are its sections).
#
# programs: posix_server posix_client
# ldlibs: -lrt -pthread
# valgrind-factor: 4.7   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

SERVER=$LAB_BIN/posix_server
CLIENT=$LAB_BIN/posix_client

# Inputs shared by the tests of this file, made once: 5 clients, 100 add
# requests each, with answers that differ from one client to the next.
setup_file() {
    local dir=$BATS_FILE_TMPDIR k
    for k in 1 2 3 4 5; do
        awk -v k="$k" 'BEGIN { for (i = 1; i <= 100; i++) printf "add %d %d\n", k * 1000, i * 7 - 350 }' \
            >"$dir/client$k.txt"
        awk -v k="$k" 'BEGIN { for (i = 1; i <= 100; i++) printf "ok %d\n", k * 1000 + i * 7 - 350 }' \
            >"$dir/client$k.expected"
    done
}

# Every test gets its own PREFIX, so its objects are its own.
setup() {
    lab_setup
    PREFIX=$(lab_name srv)
}

# start_server NAME [lab_spawn options]: starts posix_server -n PREFIX and
# waits for its readiness line.
start_server() {
    local name=$1
    shift
    lab_start_server "$name" '^posix_server: ready' \
        "the line \"posix_server: ready: shared memory $PREFIX, ...\" on stderr once its objects exist" \
        "§3 and §6 (readiness)" "$@" -- "$SERVER" -n "$PREFIX"
}

# stop_server NAME: SIGTERM, then the server must exit 0 soon.
stop_server() {
    lab_stop_gracefully "$1" TERM 0 posix_server \
        "§7: no SA_RESTART, so sem_wait() fails with EINTR and the loop sees the flag (hint 5)" \
        "§7: after SIGTERM the server exits 0"
}

# spawn_connected NAME: a client fed by the test (lab_input), connected:
# sets HANDLER (its handler's pid, from its stderr) and CPID.
spawn_connected() {
    local name=$1
    lab_spawn "$name" --in-pipe -- "$CLIENT" -n "$PREFIX" || return
    lab_wait_output "$name" '^posix_client: connected \(handler [0-9]+\)$' 5 err ||
        lab_fail "the line \"posix_client: connected (handler HPID)\" on the client's stderr" \
            "$(lab_describe "$name")" "§4 (connecting: the area, the semaphores, the greeting)" \
            "$(lab_show_output "$name")" || return
    HANDLER=$(sed -nE 's/^posix_client: connected \(handler ([0-9]+)\)$/\1/p' "$LAB_RUN/$name.err" | head -n 1)
    CPID=$(lab_pid "$name")
}

# gone PID: the process no longer exists at all (a zombie still exists).
gone() {
    [[ ! -e /proc/$1 ]]
}

# prefix_maps PID: the lines of /proc/PID/maps that map PREFIX's area or a
# semaphore (sem_open() maps a file of /dev/shm, sem_close() unmaps it; the
# creator's shows as the temporary sem.XXXXXX that glibc made and then
# linked under the name, so any sem.* counts: neither program has another).
# Read while strace holds PID in its exit_group().
prefix_maps() {
    # shellcheck disable=SC2016 # expanded by that bash
    lab_read_proc 'cat "/proc/$1/maps"' "$1" |
        grep -E "/dev/shm/(${PREFIX#/}|sem\.[^/ ]+)( \(deleted\))?\$" || true
}

# assert_unmapped_at_exit NAME PID WHO LOOK_AT: PID (program NAME's, or one
# of its processes) reaches its exit_group(), where strace holds it, with
# nothing of PREFIX mapped.
assert_unmapped_at_exit() {
    local name=$1 pid=$2 who=$3 look=$4 left
    lab_wait_until "$(lab_seconds 10)" lab_held_in_syscall "$pid" 231 ||
        lab_fail "$who (pid $pid) to reach its exit_group(), where the grader holds it" "$(lab_describe "$name")" \
            "$look" "$(lab_show_output "$name")" || return
    left=$(prefix_maps "$pid")
    [[ -z $left ]] ||
        lab_fail "nothing of $PREFIX mapped in $who (pid $pid) as it exits" "/proc/$pid/maps still shows:" \
            "$look" "$left"
}

# assert_handler_gone PID SECONDS LOOK_AT: the handler has ended and was reaped.
assert_handler_gone() {
    local pid=$1
    lab_wait_until "$(lab_seconds "$2")" gone "$pid" && return 0
    if lab_proc_state "$pid" Z; then
        lab_fail "the handler (pid $pid) ended and reaped by the main process" \
            "it is a zombie: it ended, and the main process never waited for it" "$3"
    else
        lab_fail "the handler (pid $pid) to end within $(lab_seconds "$2") s" "it still runs" "$3"
    fi
}

# queue_exists NAME: /dev/mqueue shows it (true when mqueue is not mounted:
# then nothing can be checked, and the leak check is off too).
queue_exists() {
    [[ -z $LAB_MQUEUE_DIR ]] || [[ -e $LAB_MQUEUE_DIR$1 ]]
}

queues_gone() {
    [[ -z $LAB_MQUEUE_DIR ]] && return 0
    [[ ! -e $LAB_MQUEUE_DIR$PREFIX-$1-req && ! -e $LAB_MQUEUE_DIR$PREFIX-$1-resp ]]
}

# client_run NAME LINE...: runs a client with these request lines, waits.
client_run() {
    local name=$1
    shift
    printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/$name.in"
    lab_run "$name" --in "$BATS_TEST_TMPDIR/$name.in" -- "$CLIENT" -n "$PREFIX"
}

# assert_replies NAME WHAT LOOK_AT LINE...: NAME printed exactly these lines.
assert_replies() {
    local name=$1 what=$2 look=$3
    shift 3
    printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/$name.expected"
    lab_assert_same_output "$name" "$BATS_TEST_TMPDIR/$name.expected" "$what" "$look"
}

# assert_no_stdout NAME LOOK_AT: the server wrote nothing on its standard
# output (stdio buffered before a fork() is written again by every child).
assert_no_stdout() {
    [[ ! -s $LAB_RUN/$1.out ]] && return 0
    lab_fail "nothing on the server's standard output" \
        "it wrote $(wc -c <"$LAB_RUN/$1.out") bytes there:" "$2" "$(lab_excerpt "$LAB_RUN/$1.out" 6 4)"
}

# waiting_for_child PID: blocked in waitpid() (wait4) or waitid().
waiting_for_child() {
    lab_blocked_in "$1" '*do_wait*' 61 247
}

# handler_of NAME: the handler's pid in client NAME's "connected" line.
handler_of() {
    sed -nE 's/^posix_client: connected \(handler ([0-9]+)\)$/\1/p' "$LAB_RUN/$1.err" | head -n 1
}

# The grader's stand-in client, for a connection area no posix_client
# writes: area_writer PREFIX PID takes PREFIX-ready as a client does, makes
# two queues (PREFIX-area-req, PREFIX-area-resp), writes PID and their names
# into the area, posts PREFIX-conn, then waits (5 s) for PREFIX-ready again:
# it prints "area free again" (and posts PREFIX-ready back for the next
# client) or "area not free again" (exit 3).  Then it waits for the end of
# its standard input, removes its queues and exits.
# area_writer PREFIX self N: the same with its own pid, then it receives the
# greeting (prints "handler HPID", or "greeting of N bytes: TEXT" for a
# greeting that is not "hello " and text alone) and sends N requests "add 1 1" without
# reading a response (prints "sent N").
# area_writer PREFIX none: the same, but it writes nothing into the area
# (what the server finds there is what the last client left, or nothing).
# area_writer PREFIX noslash (or noterm): the same with its own pid, but
# the request queue's name in the area does not start with '/' (or is '/'
# and 255 bytes with no '\0').
# area_writer PREFIX big: the same with its own pid, but its queues have
# an mq_msgsize of 1024, not 256; once greeted it sends "add 40 2" and
# prints "response TEXT" (or "no response") as it gets the answer.
# area_writer --attr QUEUE: prints "mq_maxmsg M, mq_msgsize S" of QUEUE.
build_area_writer() {
    AREA_WRITER=$BATS_TEST_TMPDIR/area_writer
    "${CC:-cc}" -Wall -Wextra -Werror -o "$AREA_WRITER" -x c - -lrt -pthread <<'EOF' || return
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct conn_area {              /* as in posix_lab.h */
    pid_t client_pid;
    char req_name[256];
    char resp_name[256];
};

static int timed_wait(sem_t *sem)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    return sem_timedwait(sem, &until);
}

int main(int argc, char *argv[])
{
    char ready[256], conn[256], req[256], resp[256], buf[64];
    struct mq_attr attr = { .mq_maxmsg = 10, .mq_msgsize = 256 };
    struct conn_area *area;
    sem_t *ready_sem, *conn_sem;
    mqd_t q1, q2;
    int fd, status = 0;

    if (argc == 3 && strcmp(argv[1], "--attr") == 0) {
        struct mq_attr got;
        mqd_t q = mq_open(argv[2], O_RDONLY);

        if (q == (mqd_t)-1 || mq_getattr(q, &got) == -1) {
            perror("area_writer: mq_open/mq_getattr");
            return 1;
        }
        printf("mq_maxmsg %ld, mq_msgsize %ld\n", (long)got.mq_maxmsg, (long)got.mq_msgsize);
        mq_close(q);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--create") == 0) {     /* a queue in a client's way */
        mqd_t q = mq_open(argv[2], O_CREAT | O_EXCL | O_WRONLY, 0600, &attr);

        if (q == (mqd_t)-1) {
            perror("area_writer: mq_open");
            return 1;
        }
        mq_close(q);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--unlink") == 0)
        return mq_unlink(argv[2]) == 0 ? 0 : 1;
    if (argc != 3 && argc != 4)
        return 2;
    snprintf(ready, sizeof ready, "%.200s-ready", argv[1]);
    snprintf(conn, sizeof conn, "%.200s-conn", argv[1]);
    snprintf(req, sizeof req, "%.200s-area-req", argv[1]);
    snprintf(resp, sizeof resp, "%.200s-area-resp", argv[1]);
    if (strcmp(argv[2], "big") == 0)
        attr.mq_msgsize = 1024;
    ready_sem = sem_open(ready, 0);
    conn_sem = sem_open(conn, 0);
    fd = shm_open(argv[1], O_RDWR, 0);
    if (ready_sem == SEM_FAILED || conn_sem == SEM_FAILED || fd == -1) {
        perror("area_writer: open");
        return 1;
    }
    area = mmap(NULL, sizeof *area, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    q1 = mq_open(req, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    q2 = mq_open(resp, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (area == MAP_FAILED || q1 == (mqd_t)-1 || q2 == (mqd_t)-1) {
        perror("area_writer: mmap/mq_open");
        status = 1;
    } else if (timed_wait(ready_sem) == -1) {
        printf("area never free\n");
        status = 3;
    } else {
        if (strcmp(argv[2], "none") != 0) {
            area->client_pid = strcmp(argv[2], "self") == 0 || strcmp(argv[2], "noslash") == 0 ||
                    strcmp(argv[2], "noterm") == 0 || strcmp(argv[2], "big") == 0 ? getpid() : (pid_t)atol(argv[2]);
            memcpy(area->req_name, req, sizeof req);
            memcpy(area->resp_name, resp, sizeof resp);
            if (strcmp(argv[2], "noslash") == 0)        /* "NAME-area-req", no '/' */
                memmove(area->req_name, req + 1, strlen(req));
            if (strcmp(argv[2], "noterm") == 0)         /* '/', then 255 bytes, no '\0' */
                memset(area->req_name + 1, 'x', sizeof area->req_name - 1);
        }
        sem_post(conn_sem);
        if (timed_wait(ready_sem) == -1) {
            printf("area not free again\n");
            status = 3;
        } else {
            printf("area free again\n");
            sem_post(ready_sem);
            if (strcmp(argv[2], "big") == 0) {
                char text[1024 + 1];
                struct timespec until;
                ssize_t n;

                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += 5;
                n = mq_timedreceive(q2, text, 1024, NULL, &until);
                if (n > 0 && mq_timedsend(q1, "add 40 2", 8, 0, &until) == 0)
                    n = mq_timedreceive(q2, text, 1024, NULL, &until);
                else
                    n = -1;
                if (n >= 0) {
                    text[n] = '\0';
                    printf("response %s\n", text);
                } else {
                    printf("no response\n");
                }
            }
            if (argc == 4) {
                char text[256 + 1];
                struct timespec until;
                ssize_t n;
                int sent = 0;

                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += 5;
                n = mq_timedreceive(q2, text, 256, NULL, &until);
                if (n > 0) {
                    text[n] = '\0';
                    if (strncmp(text, "hello ", 6) == 0 && strlen(text) == (size_t)n)
                        printf("handler %s\n", text + 6);
                    else
                        printf("greeting of %ld bytes: %s\n", (long)n, text);
                    fflush(stdout);
                }
                while (n > 0 && sent < atoi(argv[3]) && mq_timedsend(q1, "add 1 1", 7, 0, &until) == 0)
                    sent++;
                printf("sent %d\n", sent);
            }
        }
    }
    fflush(stdout);
    while (read(STDIN_FILENO, buf, sizeof buf) > 0)
        continue;
    mq_unlink(req);
    mq_unlink(resp);
    return status;
}
EOF
    lab_let_program_read "$AREA_WRITER" && chmod o+x "$AREA_WRITER"
}

# points: 10
@test "one client: add requests get the right answers, in order, and disconnect says ok bye" {
    start_server server || return
    lab_assert_stderr_line server \
        "posix_server: ready: shared memory $PREFIX, semaphores $PREFIX-ready and $PREFIX-conn" "§6 (readiness)" ||
        return
    client_run client "add 2 3" "add -1000000000 -1000000000" "add 1000000000 1000000000" "add 0 -7" \
        "disconnect" "add 1 1"
    lab_assert_finished client "posix_client to finish after its disconnect" \
        "§4 and §5: connect, then one request, one response at a time" || return
    assert_replies client "one response per request, in order; nothing after disconnect" \
        "§5 (the requests) and §4 (the client stops reading after disconnect)" \
        "ok 5" "ok -2000000000" "ok 2000000000" "ok -7" "ok bye" || return
    lab_assert_exit client 0 "§4" || return
    # The handler may unlink the client's queues first: this client is
    # stopped once it has printed "ok bye" (its first write to stdout), and
    # let go once its handler has ended; its mq_unlink() then finds nothing.
    printf '%s\n' disconnect >"$BATS_TEST_TMPDIR/late.in"
    lab_spawn late --in "$BATS_TEST_TMPDIR/late.in" --inject 'write:signal=SIGSTOP:when=1' \
        --trace-path "$LAB_RUN/late.out" -- "$CLIENT" -n "$PREFIX" || return
    lab_wait_output late '^ok bye$' 5 ||
        lab_fail "the response \"ok bye\" to disconnect" "$(lab_describe late)" "§5" "$(lab_show_output late)" ||
        return
    local late_handler
    late_handler=$(handler_of late) || return
    lab_wait_until "$(lab_seconds 3)" ended "$late_handler" ||
        lab_fail "the handler (pid $late_handler) to end soon after its ok bye" "it still runs" \
            "§6: after ok bye the handler unlinks its client's queues and ends" || return
    lab_signal late CONT || return
    lab_wait_exit late 5 || true
    lab_assert_exit late 0 \
        "§4 step 6: ENOENT from mq_unlink() is normal (its handler unlinked the queues first): exit 0 all the same" ||
        return
    # The area is written before PREFIX-conn is posted: strace holds this
    # client 1 s as it returns from its first futex() call, its post of
    # PREFIX-conn (the server waits on it), so the server, woken up by the
    # post, reads the area while the client is held.
    printf '%s\n' "add 3 4" >"$BATS_TEST_TMPDIR/posted.in"
    lab_run posted --wait 8 --in "$BATS_TEST_TMPDIR/posted.in" \
        --inject "futex:delay_exit=$(awk -v s="$(lab_seconds 1)" 'BEGIN { printf "%d", s * 1000000 }'):when=1" \
        -- "$CLIENT" -n "$PREFIX" -t 3
    assert_replies posted "the response to add 3 4 from a client held 1 s as it returned from its post of $PREFIX-conn" \
        "§4 step 3: write the area (pid, queue names), then sem_post($PREFIX-conn): the server reads the area as soon as the post wakes it up" \
        "ok 7" || return
    lab_assert_exit posted 0 "§4" || return
    stop_server server || return
    assert_no_stdout server \
        "§6: every line of the server goes to stderr, with one write(); nothing to stdout (stdio output buffered before a fork() is written again by each handler)"
}

# points: 5
@test "5 clients x 100 add requests at once, then 32 clients connected at once: every answer is correct" {
    # 32 handlers at once at the end: more processes than the usual budget,
    # and 34 clients at most beside the server (lab_spawn --beside: as a user
    # other than root they count in its budget).
    start_server server --max-procs 48 --beside 34 --limit 120 || return
    local k
    for k in 1 2 3 4 5; do
        lab_spawn "client$k" --in "$BATS_FILE_TMPDIR/client$k.txt" -- "$CLIENT" -n "$PREFIX"
    done
    for k in 1 2 3 4 5; do
        lab_wait_exit "client$k" 20 || true
        lab_assert_finished "client$k" "client $k to get its 100 answers, disconnect and finish" \
            "§3 and §4: one client at a time in the area (PREFIX-ready), then a handler per client (hint 2)" ||
            return
    done
    for k in 1 2 3 4 5; do
        lab_assert_same_output "client$k" "$BATS_FILE_TMPDIR/client$k.expected" \
            "client $k's 100 answers, in order" "§5 and §4: its own queues, one response per request" ||
            return
        lab_assert_exit "client$k" 0 "§4: at the end of its input the client disconnects and exits 0" || return
    done
    lab_wait_no_zombies server 3 "§6: reap every handler that ends (SIGCHLD, waitpid, hint 4)" || return

    # One client at a time in the area: the server stopped (SIGSTOP), a
    # first client takes the area, writes it, posts PREFIX-conn and waits
    # for its greeting; a second one waits for the area. Let go, the server
    # reads the first one's area, then the second one's: both are served.
    local spid name
    spid=$(lab_pid server) || return
    lab_signal server STOP || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$spid" T || true
    lab_spawn first --in-pipe -- "$CLIENT" -n "$PREFIX" || return
    lab_wait_while_running first 5 waits_for_greeting "$(lab_pid first)" ||
        lab_fail "a first client, the server stopped, to write the area and wait for its greeting (mq_timedreceive)" \
            "$(lab_describe first)" "§4 steps 3 and 4" "$(lab_show_output first)" || return
    lab_spawn second --in-pipe -- "$CLIENT" -n "$PREFIX" || return
    lab_wait_while_running second 5 lab_blocked_in_sem_wait "$(lab_pid second)" ||
        lab_fail "a second client to wait for the area (sem_timedwait on $PREFIX-ready): the first one holds it" \
            "$(lab_describe second)" "§4 step 3" "$(lab_show_output second)" || return
    lab_signal server CONT || return
    for name in first second; do
        lab_wait_output "$name" '^posix_client: connected \(handler [0-9]+\)$' 5 err ||
            lab_fail "both clients served once the server runs again: the $name one greeted by its handler" \
                "$(lab_describe "$name")" \
                "§3: a client writes the area only while it holds PREFIX-ready (sem_timedwait() first): the second one must not overwrite the pid and queue names the first one wrote" \
                "$(lab_show_output "$name")" || return
    done
    # Two handlers end while the main process is stopped: their two
    # SIGCHLDs are one pending signal when it runs again, and its handler
    # must reap both (waitpid() in a loop).
    local -a handlers=()
    for name in first second; do
        handlers+=("$(handler_of "$name")")
    done
    lab_signal server STOP || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$spid" T || true
    for name in first second; do
        lab_close_input "$name"
        lab_wait_exit "$name" 5 || true
        lab_assert_exit "$name" 0 "§4: at the end of its input the client disconnects and exits 0" || return
    done
    lab_wait_until "$(lab_seconds 5)" both_ended "${handlers[@]}" ||
        lab_fail "the handlers ${handlers[*]} to end once their clients disconnected" \
            "$(ps -o pid=,stat=,args= -p "${handlers[0]},${handlers[1]}" | tr '\n' ';')" \
            "§6: after ok bye the handler ends" || return
    lab_signal server CONT || return
    lab_wait_no_zombies server 3 \
        "§6: two handlers ended while the main process was stopped: one SIGCHLD stands for both, so its handler calls waitpid(-1, &status, WNOHANG) until it returns 0 or -1 (hint 4)" ||
        return
    many_clients server || return
    stop_server server
}

# many_clients SERVER: 32 clients (no -t: 10 s) connected at once, each
# greeted by a handler of its own (a child of the server); a 33rd client
# (-t 1) is either served too or, over the server's cap, gets no greeting
# and says that no server answered; then, once one of the 32 has gone, the
# next client is served. Every client disconnects at the end of its input,
# exit 0.
many_clients() {
    local server=$1 spid k name hpid children
    local -A owner=()
    spid=$(lab_pid "$server") || return
    for k in {1..32}; do
        lab_spawn "many$k" --in-pipe -- "$CLIENT" -n "$PREFIX" || return
    done
    if ! lab_wait_until "$(lab_seconds 20)" all_connected; then
        for k in {1..32}; do
            name=many$k
            grep -qE '^posix_client: connected \(handler [0-9]+\)$' "$LAB_RUN/$name.err" && continue
            lab_fail "32 clients connected at once: each greeted by its handler within $(lab_seconds 20) s" \
                "$(connected_count) of them were; client $k was not: $(lab_describe "$name")" \
                "§1: at least 32 clients may be connected at once (a cap, if any, is 32 or more); §6: a handler per client" \
                "$(lab_show_output "$name")"
            return
        done
    fi
    children=" $(ps -o pid= --ppid "$spid" | tr -s ' \n' '  ') "
    for k in {1..32}; do
        hpid=$(handler_of "many$k")
        [[ -z ${owner[$hpid]:-} && $children == *" $hpid "* ]] ||
            lab_fail "each of the 32 clients with a handler of its own, a child of the server (pid $spid)" \
                "client $k's handler $hpid is $(if [[ -n ${owner[$hpid]:-} ]]; then echo "client ${owner[$hpid]}'s too"; else ps -o pid=,ppid=,args= -p "$hpid" || echo "no process"; fi)" \
                "§1 and §6: one handler forked per client" || return
        owner[$hpid]=$k
    done
    lab_run over --wait 6 -- "$CLIENT" -n "$PREFIX" -t 1
    if ! grep -qE '^posix_client: connected \(handler [0-9]+\)$' "$LAB_RUN/over.err"; then
        lab_assert_exit over 1 "§1 and §4: a client over the server's cap gets no greeting and exits 1" || return
        lab_assert_stderr_line over "posix_client: no server answered within 1 s" \
            "§1 and §4: a client over the server's cap gets no handler and no greeting, and says no server answered" ||
            return
        # One of the 32 goes: the next client is served.
        hpid=$(handler_of many1)
        lab_close_input many1
        lab_wait_exit many1 5 || true
        assert_handler_gone "$hpid" 3 "§6: after ok bye the handler ends and is reaped" || return
        client_run next "add 6 4"
        assert_replies next "the response to a client that came once one of the 32 had gone" \
            "§1: over the cap a client is refused; the next one, once a client has gone, is served (the handler's place is free again)" \
            "ok 10" || return
    fi
    for k in {1..32}; do
        lab_close_input "many$k"
    done
    for k in {1..32}; do
        lab_wait_exit "many$k" 5 || true
        lab_assert_exit "many$k" 0 "§4: at the end of its input the client disconnects and exits 0" || return
    done
}

# connected_count: how many of the clients many1 ... many32 said they are
# connected; all_connected: all 32 of them (status 2, "never", once one of
# them has ended without: it gave up waiting).
connected_count() {
    grep -lE '^posix_client: connected \(handler [0-9]+\)$' "$LAB_RUN"/many*.err 2>/dev/null | wc -l
}

all_connected() {
    local status
    (($(connected_count) >= 32)) && return 0
    for status in "$LAB_RUN"/many*.status; do
        [[ -s $status ]] && return 2
    done
    return 1
}

# both_ended PID PID: neither process runs any more (zombies, or reaped).
both_ended() {
    ended "$1" && ended "$2"
}

# waits_for_greeting PID: blocked in mq_timedreceive() (or mq_receive()).
waits_for_greeting() {
    lab_blocked_in "$1" '*wq_sleep*' 243
}

# points: 10
@test "malformed requests get an error response and the connection goes on" {
    start_server server || return
    local usage="error usage: add A B (integers from -1000000000 to 1000000000)"
    local word
    word=$(printf 'w%.0s' {1..100})
    client_run client "add 1" "add 1 2 3" "add x 2" "add 99999999999 1" "add  1 2" "mul 2 3" "" \
        "disconnect now" "kill_server please" "add 1000000001 1" "add 1 -1000000001" "add +1 2" "add - 1" \
        "add" "add 1 2 " "$word 1" "add 0000000007 1" "add 1 2"
    lab_assert_finished client "posix_client to finish: every request, even a wrong one, gets a response" \
        "§5: a request the handler cannot serve gets an error response, never silence" || return
    assert_replies client "an error response for each malformed request, then the answer to add 1 2" \
        "§5 (the table of responses)" \
        "$usage" "$usage" "$usage" "$usage" "$usage" "error unknown request 'mul'" "error unknown request ''" \
        "error usage: disconnect" "error usage: kill_server" "$usage" "$usage" "$usage" "$usage" \
        "$usage" "$usage" "error unknown request '${word:0:64}'" "ok 8" "ok 3" || return
    lab_assert_exit client 0 "§4: error responses are responses: the client exits 0" || return
    # A NUL byte in a request, a line too long to be one, and a line of 256
    # bytes (the most a message holds), which is sent.
    local word256
    word256=$(printf 'v%.0s' {1..256})
    { printf 'ad\0d 1 2\n'; printf 'add 1 %0252d\n' 1; printf '%s\n' "$word256"; printf 'add 2 2\n'; } \
        >"$BATS_TEST_TMPDIR/bytes.in"
    lab_run bytes --in "$BATS_TEST_TMPDIR/bytes.in" -- "$CLIENT" -n "$PREFIX"
    assert_replies bytes "the response to the request with a NUL byte; no response to the line of 258 bytes, not sent; the response to the line of 256 bytes, sent; then ok 4" \
        "§5 (a message with a '\\0' byte) and §4 (a line longer than 256 bytes is not sent; one of 256 bytes is)" \
        "error malformed request (a NUL byte)" "error unknown request '${word256:0:64}'" "ok 4" || return
    lab_assert_stderr_line bytes "posix_client: line 2 is too long (at most 256 bytes): not sent" "§4 step 5" || return
    lab_assert_exit bytes 1 "§4 step 5: a line too long: the client goes on, and exits 1 at the end" || return
    ! lab_finished server ||
        lab_fail "the server still running" "$(lab_describe server)" \
            "§5: a malformed request is answered, it stops nothing" "$(lab_show_output server)" || return
    stop_server server
}

# server_line LINE WHEN [NAME]: the server (NAME, default server) writes
# exactly LINE on its stderr, WHEN (words for the message), within 5 s.
server_line() {
    local name=${3:-server}
    lab_wait_while_running "$name" 5 grep -qxF -- "$1" "$LAB_RUN/$name.err" && return 0
    lab_fail "the line \"$1\" on the server's stderr, $2" "$(lab_describe "$name")" \
        "§6 (the handler's other lines: PID is the client's pid, HPID the handler's own)" \
        "$(lab_show_output "$name" err)"
}

# points: 10
@test "disconnect: the handler ends and is reaped (no zombie), the client's queues are removed" {
    start_server server || return
    spawn_connected client || return
    local cpid=$CPID handler=$HANDLER
    queue_exists "$PREFIX-$cpid-req" && queue_exists "$PREFIX-$cpid-resp" ||
        lab_fail "the client's queues $PREFIX-$cpid-req and $PREFIX-$cpid-resp in /dev/mqueue while it is connected" \
            "they are not there" "§3 (the names)" || return
    local q
    build_area_writer ||
        lab_fail "the grader's stand-in client built (cc)" "the build failed" "(a fault of the grader)" || return
    local q attr
    for q in req resp; do
        [[ -z $LAB_MQUEUE_DIR || $(stat -c %a "$LAB_MQUEUE_DIR$PREFIX-$cpid-$q") == 600 ]] ||
            lab_fail "the queue $PREFIX-$cpid-$q of mode 0600" "mode $(stat -c %a "$LAB_MQUEUE_DIR$PREFIX-$cpid-$q")" \
                "§3: the client creates its queues with O_CREAT | O_EXCL, mode 0600" || return
        attr=$("$AREA_WRITER" --attr "$PREFIX-$cpid-$q" 2>&1)
        [[ $attr == "mq_maxmsg 10, mq_msgsize 256" ]] ||
            lab_fail "the queue $PREFIX-$cpid-$q with mq_maxmsg 10 and mq_msgsize 256" "$attr" \
                "§3: the client creates its queues with mq_maxmsg = QUEUE_MAXMSG (10) and mq_msgsize = MESSAGE_MAX (256): pass a struct mq_attr to mq_open()" ||
            return
    done
    local spid
    spid=$(lab_pid server) || return
    [[ $(ps -o ppid= -p "$handler" | tr -d ' ') == "$spid" ]] ||
        lab_fail "HPID in the greeting (hello $handler) the pid of the client's handler, a child of the server (pid $spid)" \
            "pid $handler is $(ps -o pid=,ppid=,args= -p "$handler" || echo "no process")" \
            "§4 step 4 and §6: the handler sends hello with its own pid, getpid() after fork()" || return
    # The handler has closed what it does not need: the area and
    # PREFIX-ready are no longer mapped in it.
    local maps
    maps=$(grep -E "/dev/shm/(${PREFIX#/}|sem\.${PREFIX#/}-ready)( \(deleted\))?$" "/proc/$handler/maps" 2>/dev/null || true)
    [[ -z $maps ]] ||
        lab_fail "neither the area nor $PREFIX-ready mapped in the handler (pid $handler)" \
            "/proc/$handler/maps still shows them:" \
            "§6: a handler closes what it does not need: munmap() the area, sem_close() PREFIX-ready" "$maps" || return
    server_line "posix_server: client $cpid connected (handler $handler)" "once the handler has sent its greeting" ||
        return
    lab_input client "add 20 22"
    lab_wait_output client '^ok 42$' 5 ||
        lab_fail "the response \"ok 42\"" "$(lab_describe client)" "§5" "$(lab_show_output client out)" || return
    lab_input client "disconnect"
    lab_wait_exit client 5 || true
    lab_assert_exit client 0 "§4: after \"ok bye\" the client exits 0" || return
    server_line "posix_server: client $cpid disconnected" "once the handler has answered disconnect" || return
    assert_handler_gone "$handler" 3 \
        "§6: the main process reaps every handler soon after it ends: waitpid() from the SIGCHLD handler (hint 4)" ||
        return
    queues_gone "$cpid" ||
        lab_fail "no queue $PREFIX-$cpid-req or $PREFIX-$cpid-resp after the disconnect" \
            "$(find "$LAB_MQUEUE_DIR" -maxdepth 1 -name "${PREFIX#/}-$cpid*" -printf '%f\n')" "§6: mq_unlink() both queues when the session ends" ||
        return
    # A client whose queues hold longer messages (the grader's stand-in:
    # mq_msgsize 1024): its handler asks the queue (mq_getattr) and
    # receives into a buffer that large.
    lab_spawn big --in-pipe -- "$AREA_WRITER" "$PREFIX" big || return
    lab_wait_output big '^(response .*|no response|area (not free again|never free))$' 12 ||
        lab_fail "the grader's stand-in client (queues of mq_msgsize 1024) to send add 40 2 and get a response" \
            "$(lab_describe big)" "§6: a handler greets its client, then answers each request" "$(lab_show_output big)" ||
        return
    grep -qx 'response ok 42' "$LAB_RUN/big.out" ||
        lab_fail "the response \"ok 42\" to \"add 40 2\" from a client whose queues have an mq_msgsize of 1024" \
            "$(grep -m1 -E '^(response|no response)' "$LAB_RUN/big.out" || echo "no response"); the server said:" \
            "§6: a handler reads mq_msgsize with mq_getattr() and receives into a buffer that large (mq_receive() fails with EMSGSIZE on a smaller one)" \
            "$(grep -v 'posix_server: ready' "$LAB_RUN/server.err" | tail -n 4)" || return
    lab_close_input big
    lab_wait_exit big 5 || true
    client_run after "add 1 1"
    assert_replies after "a new client served after the disconnect" \
        "§6: the area is free again (PREFIX-ready posted after each connection)" "ok 2" || return
    # Its input ended without a disconnect line: the client says it itself.
    local after_pid after_handler
    after_pid=$(lab_pid after) && after_handler=$(handler_of after) || return
    assert_handler_gone "$after_handler" 3 "§4 step 5: at the end of its input the client sends disconnect" ||
        return
    ! grep -qF "posix_server: client $after_pid is gone" "$LAB_RUN/server.err" ||
        lab_fail "the handler of a client whose input ended to end by the client's disconnect" \
            "it found its client dead (\"client $after_pid is gone\"): the client ended without a word" \
            "§4 step 5: at the end of its input the client sends disconnect itself and waits for ok bye" || return
    stop_server server || return

    # The client removes its queues itself on a normal end too: strace
    # makes every mq_unlink() of this second server's handlers fail with
    # ENOENT, as if the client had been first.
    PREFIX=$(lab_name srv2)
    start_server server2 --inject mq_unlink:error=ENOENT || return
    client_run own "add 1 1"
    assert_replies own "the response to add 1 1" "§5" "ok 2" || return
    lab_assert_exit own 0 "§4" || return
    local own_pid
    own_pid=$(lab_pid own) || return
    queues_gone "$own_pid" ||
        lab_fail "no queue $PREFIX-$own_pid-req or $PREFIX-$own_pid-resp once the client has ended (the grader made its handler's mq_unlink() fail)" \
            "they are still in /dev/mqueue" \
            "§4 step 6: on every way out, a normal end too, the client unlinks its queues (ENOENT is normal: its handler may have been first)" ||
        return

    # A queue of the client's name that exists already is not its own
    # (O_EXCL): strace holds the client on its way into its first mq_open()
    # (its request queue: sem_open() and shm_open() are openat()), and the
    # grader's stand-in makes a queue of that name meanwhile, as the
    # programs' uid.  The client must fail with EEXIST, exit 1, and leave
    # that queue alone.
    local hold epid inway
    hold=$(awk -v s="$(lab_seconds 5)" 'BEGIN { printf "%d", s * 1000000 }')
    lab_spawn excl --in-pipe --inject "mq_open:delay_enter=$hold:when=1" --inject "exit_group:delay_enter=$hold" \
        -- "$CLIENT" -n "$PREFIX" || return
    epid=$(lab_pid excl) || return
    lab_wait_until "$(lab_seconds 5)" lab_held_in_syscall "$epid" 240 ||
        lab_fail "the client on its way into the mq_open() of its request queue, where the grader holds it" \
            "$(lab_describe excl)" "§4 steps 1 and 2" "$(lab_show_output excl)" || return
    inway=$PREFIX-$epid-req
    lab_run inway -- "$AREA_WRITER" --create "$inway"
    lab_assert_exit inway 0 "(the grader's stand-in made the queue $inway while the client was held: a fault of the grader, or a machine too slow for the hold)" ||
        return
    lab_close_input excl
    # On that way out too, strace holds its exit: the area unmapped, both
    # semaphores closed.
    local excl_status=0
    assert_unmapped_at_exit excl "$epid" "the client" \
        "§4 step 6: on every way out, an error too, the client unmaps the area and closes both semaphores (sem_close())" ||
        excl_status=1
    lab_wait_exit excl 10 || true
    ((excl_status)) || grep -qE "^posix_client: mq_open( [^:]*)?: File exists\$" "$LAB_RUN/excl.err" ||
        lab_fail "the line \"posix_client: mq_open $inway: File exists\" on stderr: a queue $inway existed before the client made its own" \
            "$(lab_describe excl)" \
            "§3: the client creates its queues with O_CREAT | O_EXCL: a queue of that name is not its own; §8: posix_client: CALL: strerror text" \
            "$(lab_show_output excl)" || excl_status=1
    ((excl_status)) || lab_assert_exit excl 1 "§3 and §8: a queue in the way is an error: exit 1" || excl_status=1
    if ((excl_status == 0)) && ! "$AREA_WRITER" --attr "$inway" >/dev/null 2>&1; then
        lab_fail "the queue $inway, which the grader made, still there after the client has exited" \
            "the client removed it" "§3 and §4 step 6: the client unlinks its own queues, the ones it created, not one that was in its way" ||
            excl_status=1
    fi
    "$AREA_WRITER" --unlink "$inway" || :
    ((excl_status == 0)) || return
    stop_server server2
}

# points: 10
@test "a client killed with SIGKILL: the server survives, its handler removes the queues and ends within 3 s" {
    start_server server || return
    spawn_connected client || return
    local cpid=$CPID handler=$HANDLER
    lab_input client "add 5 5"
    lab_wait_output client '^ok 10$' 5 ||
        lab_fail "the response \"ok 10\"" "$(lab_describe client)" "§5" "$(lab_show_output client out)" || return
    lab_signal client KILL
    lab_wait_exit client 5 || true
    lab_wait_until "$(lab_seconds 3)" queues_gone "$cpid" ||
        lab_fail "the dead client's queues removed by its handler within 3 s" \
            "$PREFIX-$cpid-req and -resp are still in /dev/mqueue" \
            "§6: mq_timedreceive() with a timeout, then kill(clientpid, 0) fails with ESRCH: mq_unlink() both (hint 3)" \
            "$(lab_show_output server)" || return
    assert_handler_gone "$handler" 3 \
        "§6: a handler whose client is dead ends, and the main process reaps it (hint 3, hint 4)" || return
    lab_assert_stderr_line server "posix_server: client $cpid is gone: its queues removed" "§6" || return
    ! lab_finished server ||
        lab_fail "the server still running after its client was killed" "$(lab_describe server)" \
            "§6: a dead client ends its handler only" "$(lab_show_output server)" || return

    # A client that stops reading, then dies: the grader's stand-in sends 11
    # requests and reads no response, so that its handler waits to send the
    # 11th (the response queue holds 10); then it is killed.
    build_area_writer ||
        lab_fail "the grader's stand-in client built (cc)" "the build failed" "(a fault of the grader)" || return
    lab_spawn deaf --in-pipe -- "$AREA_WRITER" "$PREFIX" self 11 || return
    lab_wait_output deaf '^sent 11$' 8 ||
        lab_fail "the grader's stand-in client greeted (hello HPID) and its 11 requests taken" "$(lab_describe deaf)" \
            "§6: a handler greets its client, then receives and answers each request" "$(lab_show_output deaf)" || return
    local deaf_handler
    deaf_handler=$(sed -nE 's/^handler ([0-9]+)$/\1/p' "$LAB_RUN/deaf.out")
    [[ -n $deaf_handler ]] ||
        lab_fail "the greeting \"hello HPID\", its text alone (no '\\0', no newline), to the grader's stand-in client" \
            "$(grep -m1 '^greeting' "$LAB_RUN/deaf.out" || echo "no greeting")" \
            "§4 step 4 and §5: a message is the text alone, its length the message's length" || return
    lab_wait_until "$(lab_seconds 5)" lab_blocked_in "$deaf_handler" '*wq_sleep*' 242 || true
    lab_signal deaf KILL || return
    lab_wait_exit deaf 5 || true
    assert_handler_gone "$deaf_handler" 3 \
        "§6: the handler sends with mq_timedsend() and a deadline 1 second ahead, and on each ETIMEDOUT asks kill(clientpid, 0): a client that stopped reading, then died, does not hold it for ever" ||
        return
    client_run after "add 2 2"
    assert_replies after "a new client served after the killed one" "§6" "ok 4" || return
    stop_server server
}

# points: 5
@test "a client whose handler is killed says \"the server has gone away\", one sent SIGTERM removes its queues: both exit 1" {
    start_server server || return
    spawn_connected client || return
    local handler=$HANDLER
    lab_input client "add 1 1"
    lab_wait_output client '^ok 2$' 5 ||
        lab_fail "the response \"ok 2\"" "$(lab_describe client)" "§5" "$(lab_show_output client out)" || return
    lab_signal_pid "$handler" KILL "the client's handler" "§4" || return
    # The request goes into the queue; no response ever comes.
    lab_input client "add 2 2"
    lab_wait_exit client 5 ||
        lab_fail "posix_client to notice within a few seconds that its handler is gone, and end" \
            "$(lab_describe client)" "§4: while it waits, kill(HPID, 0) once a second (LIVENESS_SECONDS)" \
            "$(lab_show_output client)" || return
    lab_assert_stderr_line client "posix_client: the server has gone away" \
        "§4: the wait timed out (ETIMEDOUT) and kill(HPID, 0) failed with ESRCH; kill() sets errno too, so test the wait's errno before calling it, or keep it" ||
        return
    lab_assert_exit client 1 "§4: exit 1 once the server has gone away" || return

    # A client sent SIGTERM, then another SIGINT (Ctrl-C), while its handler
    # is stopped (it cannot remove the queues first): the client has a
    # handler for both, removes the queues itself, and exits 1.
    local sig name stopped_handler client_pid
    for sig in TERM INT; do
        name=${sig,,}
        spawn_connected "$name" || return
        stopped_handler=$HANDLER client_pid=$CPID
        lab_signal_pid "$stopped_handler" STOP "the client's handler" "§4" || return
        lab_wait_until "$(lab_seconds 5)" lab_proc_state "$stopped_handler" T || true
        lab_signal "$name" "$sig" || return
        lab_wait_exit "$name" 5 ||
            lab_fail "posix_client to end soon after SIG$sig" "$(lab_describe "$name")" \
                "§4 step 6: SIGINT and SIGTERM handlers installed with sigaction(), no SA_RESTART: the read of stdin returns EINTR" \
                "$(lab_show_output "$name")" || return
        lab_assert_exit "$name" 1 \
            "§4 step 6: SIGINT and SIGTERM are both caught (a handler that sets a flag): the client removes its queues, then exits 1" ||
            return
        queues_gone "$client_pid" ||
            lab_fail "the client's queues removed by the client itself after SIG$sig (its handler was stopped)" \
                "$PREFIX-$client_pid-req and -resp are still in /dev/mqueue" \
                "§4 step 6: on every way out, SIGINT and SIGTERM included, the client closes and unlinks its queues" || return
        lab_signal_pid "$stopped_handler" CONT "the stopped handler" "§4" || return
    done

    # The same while the client waits to send: its handler stopped, the
    # grader fills the request queue (10 messages), the client's next
    # request cannot go in; then the handler is killed.
    spawn_connected full || return
    local full_handler=$HANDLER full_pid=$CPID
    lab_signal_pid "$full_handler" STOP "the client's handler" "§4" || return
    lab_run fill -- "$LAB_TOOLS/mq_sender" "$PREFIX-$full_pid-req" x x x x x x x x x x
    lab_assert_exit fill 0 "the grader's mq_sender filling the request queue (a grader fault if it fails)" || return
    lab_input full "add 3 3"
    lab_signal_pid "$full_handler" KILL "the client's handler" "§4" || return
    lab_wait_exit full 5 ||
        lab_fail "posix_client, waiting to send to a full request queue, to notice within a few seconds that its handler is gone, and end" \
            "$(lab_describe full)" \
            "§4 step 5: while it waits to send too: mq_timedsend() with a deadline LIVENESS_SECONDS ahead, then kill(HPID, 0)" \
            "$(lab_show_output full)" || return
    lab_assert_stderr_line full "posix_client: the server has gone away" "§4 step 5" || return
    lab_assert_exit full 1 "§4: exit 1 once the server has gone away" || return
    stop_server server
}

# points: 15
@test "kill_server: the main process and every handler stop; nothing is left in /dev/shm or /dev/mqueue" {
    start_server server || return
    local spid
    spid=$(lab_pid server) || return
    spawn_connected idle || return
    local idle_handler=$HANDLER
    spawn_connected held || return
    local held_handler=$HANDLER
    # This handler cannot end before it is continued: the main process must
    # then be found waiting for it, not gone.
    lab_signal_pid "$held_handler" STOP "the second idle client's handler" "§7" || return
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$held_handler" T || true
    client_run killer "add 1 2" "kill_server"
    assert_replies killer "the two responses" "§5" "ok 3" "ok server stopping" || return
    lab_assert_exit killer 0 "§4: kill_server answered \"ok ...\" ends the connection: exit 0" || return
    server_line "posix_server: kill_server from client $(lab_pid killer)" \
        "once the killer's handler has answered kill_server" || return
    local killer_handler
    killer_handler=$(handler_of killer)
    if ! lab_wait_until "$(lab_seconds 5)" waiting_for_child "$spid"; then
        if lab_finished server; then
            lab_fail "the main process waiting for each handler before it exits (one of them, pid $held_handler, stopped with SIGSTOP, had not ended)" \
                "it exited without waiting for it: $(lab_describe server)" \
                "§7 step 2: SIGTERM to every handler still running, then waitpid() for each one" \
                "$(lab_show_output server)"
        else
            lab_fail "posix_server to stop after kill_server, and to wait (waitpid) for its handlers" \
                "$(lab_describe server)" \
                "§5 and §7: the handler writes a byte into the pipe and posts PREFIX-conn; the main process reads the pipe after each wake-up (hint 5), then stops every handler and waits for each" \
                "$(lab_show_output server)"
        fi
        return
    fi
    # Step 1 comes before step 2: while the main process waits for the
    # stopped handler, the names are gone already.
    local f left=()
    for f in "/dev/shm/${PREFIX#/}" "/dev/shm/sem.${PREFIX#/}-ready" "/dev/shm/sem.${PREFIX#/}-conn"; do
        [[ -e $f ]] && left+=("$f")
    done
    ((${#left[@]} == 0)) ||
        lab_fail "the server's three names unlinked before it stops its handlers (it waits for one of them)" \
            "still there: ${left[*]}" \
            "§7 step 1: unlink PREFIX, PREFIX-ready and PREFIX-conn first (new clients then fail at once), then step 2: SIGTERM to every handler and wait" ||
        return
    lab_signal_pid "$held_handler" CONT "the stopped handler" "§7" || return
    lab_wait_exit server 5 ||
        lab_fail "posix_server to exit soon once its last handler could end" "$(lab_describe server)" \
            "§7 step 2: the SIGTERM it sent ends the handler once it runs again" "$(lab_show_output server)" || return
    lab_assert_exit server 0 "§7: after kill_server the server exits 0" || return
    lab_assert_stderr_line server "posix_server: kill_server received: stopping" "§7" || return
    lab_assert_no_strays server "§7 step 2: SIGTERM to every handler still running, then waitpid() for each one" ||
        return
    local h
    for h in "$idle_handler" "$held_handler" "$killer_handler"; do
        gone "$h" ||
            lab_fail "every handler stopped and reaped before the main process exits" \
                "the handler $h (handlers: $idle_handler and $held_handler of the idle clients, $killer_handler of the killer) is still there" \
                "§7: SIGTERM to every handler still running, then waitpid() for each" || return
    done
    assert_no_stdout server "§6: nothing goes to the server's stdout" || return
    lab_assert_no_new_ipc \
        "no shared memory, no semaphore, no queue once the server has exited (clients still run: their queues were removed by their handlers)" \
        "§3 and §7: shm_unlink(), sem_unlink() both, and each handler mq_unlink()s its client's queues (hint 6)" ||
        return

    # The post of PREFIX-conn wakes the main process up, not the end of the
    # handler (its SIGCHLD comes later): strace holds each process of this
    # second server HOLD s as it exits, so the killer's handler has not
    # ended yet when the main process, woken up by the post, says it stops.
    # And the byte comes before the post: strace also holds each write()
    # PAUSE s as it starts, the byte's too, so that a handler that posted
    # first would wake the main process up to an empty pipe (EAGAIN), and
    # only its end would wake it up again.
    PREFIX=$(lab_name srv2)
    local hold pause
    hold=$(lab_seconds 3)
    pause=$(lab_seconds 0.5)
    lab_start_server server2 '^posix_server: ready' \
        "the line \"posix_server: ready: shared memory $PREFIX, ...\" on stderr once its objects exist" \
        "§3 and §6 (readiness)" --strace exit_group,write,mq_open \
        --inject "exit_group:delay_enter=$(awk -v s="$hold" 'BEGIN { printf "%d", s * 1000000 }')" \
        --inject "write:delay_enter=$(awk -v s="$pause" 'BEGIN { printf "%d", s * 1000000 }')" \
        -- "$SERVER" -n "$PREFIX" || return
    client_run killer2 "kill_server"
    assert_replies killer2 "the response to kill_server" "§5" "ok server stopping" || return
    killer_handler=$(handler_of killer2)
    lab_wait_output server2 '^posix_server: kill_server received: stopping$' 5 err ||
        lab_fail "the line \"posix_server: kill_server received: stopping\" soon after kill_server was answered" \
            "$(lab_describe server2)" "§7" "$(lab_show_output server2)" || return
    not_ended "$killer_handler" ||
        lab_fail "the main process to stop as soon as the killer's handler has written its byte and posted $PREFIX-conn (that handler was held $hold s as it exited)" \
            "it said it stops only once that handler had ended: the handler's end (SIGCHLD), not a post, woke it up" \
            "§7: the handler writes one byte into the pipe, then posts PREFIX-conn, so that the main process wakes up from sem_wait() and finds the byte (posted before the byte is written, the post finds the pipe empty)" ||
        return
    # strace holds the main process's exit too: by then it has unmapped the
    # area and closed both semaphores.
    local spid2
    spid2=$(lab_pid server2) || return
    assert_unmapped_at_exit server2 "$spid2" "the main process" \
        "§7 step 3: the main process unmaps the area and closes both semaphores (sem_close()) before it exits" || return
    lab_wait_exit server2 10 || true
    lab_assert_exit server2 0 "§7: after kill_server the server exits 0" || return
    check_server2_trace || return

    # A handler whose main process is gone: the main process of a third
    # server is killed with SIGKILL (and waited for) while a client is
    # connected, then that client sends kill_server. Nobody reads the pipe
    # any more: the handler's write() of its byte fails with EPIPE, or
    # SIGPIPE kills the handler. strace (-f) records how each process of
    # that server ends.
    PREFIX=$(lab_name srv3)
    start_server server3 --strace write,exit_group || return
    local main3 orphan_handler
    main3=$(lab_pid server3) || return
    spawn_connected orphan || return
    orphan_handler=$HANDLER
    lab_signal server3 KILL || return
    lab_wait_until "$(lab_seconds 5)" ended "$main3" ||
        lab_fail "the third server's main process (pid $main3) to end after SIGKILL" "it still runs" \
            "(a fault of the grader: SIGKILL cannot be caught)" || return
    # Only SIGKILL leaves the objects behind: the grader removes them.
    rm -f -- "/dev/shm/${PREFIX#/}" "/dev/shm/sem.${PREFIX#/}-ready" "/dev/shm/sem.${PREFIX#/}-conn"
    lab_input orphan "kill_server"
    lab_wait_output orphan '^ok server stopping$' 5 ||
        lab_fail "the response \"ok server stopping\" from the handler (pid $orphan_handler), its main process killed" \
            "$(lab_describe orphan)" "§5 and §6: the handler answers on its own" "$(lab_show_output orphan)" || return
    lab_wait_exit orphan 5 || true
    lab_wait_until "$(lab_seconds 5)" ended "$orphan_handler" ||
        lab_fail "the handler (pid $orphan_handler) to end after kill_server, its main process gone" "it still runs" \
            "§7: the handler's write() into the pipe fails with EPIPE (nobody reads it); the handler reports it and ends" ||
        return
    lab_wait_exit server3 5 || true
    local died
    died=$(grep -E "^$orphan_handler +\+\+\+ killed by SIG" "$LAB_LOGS/server3.strace" | head -n 1)
    [[ -z $died ]] ||
        lab_fail "the handler (pid $orphan_handler), writing its kill_server byte into a pipe nobody reads (its main process killed with SIGKILL), to get EPIPE and end by itself" \
            "strace saw: ${died#"$orphan_handler" }" \
            "§7: the server ignores SIGPIPE (sigaction() with SIG_IGN before the first fork): the write() then fails with EPIPE instead of killing the handler before it cleans up" \
            "$(grep -E "^$orphan_handler +(write\(|--- SIG)" "$LAB_LOGS/server3.strace" | tail -n 3)" || return
    grep -qE '^posix_server: write[^:]*: Broken pipe$' "$LAB_RUN/server3.err" ||
        lab_fail "the line \"posix_server: write: Broken pipe\" from the handler whose write() into the pipe failed" \
            "none" "§7 and §8: a failed call is reported as posix_server: CALL: strerror text" \
            "$(lab_show_output server3)"
}

# check_server2_trace: what strace saw of server2 (the main process and the
# killer's handler): no more write() calls than lines on stderr (a line is
# never written in pieces), each one starting with
# "posix_server: "; the handler's queues opened request O_RDONLY, response
# O_WRONLY; every exit with status 0.
check_server2_trace() {
    local log=$LAB_LOGS/server2.strace writes lines bad
    writes=$(grep -cE '^[0-9]+ +write\(2, ' "$log")
    lines=$(wc -l <"$LAB_RUN/server2.err")
    ((writes <= lines)) ||
        lab_fail "each line of the server on stderr written with one write() ($lines lines)" \
            "$writes write() calls on descriptor 2:" \
            "§6: every line is written with one write(): the main process and the handlers share stderr, and lines written in pieces mix" \
            "$(grep -E '^[0-9]+ +write\(2, ' "$log" | head -n 8)" || return
    bad=$(grep -E '^[0-9]+ +write\(2, ' "$log" | grep -vE '^[0-9]+ +write\(2, "posix_server: ' | head -n 4)
    [[ -z $bad ]] ||
        lab_fail "every write() of the server on stderr to start with \"posix_server: \"" "$bad" "§6" || return
    grep -qE '^[0-9]+ +mq_open\("[^"]*-req", O_RDONLY[|,)]' "$log" &&
        grep -qE '^[0-9]+ +mq_open\("[^"]*-resp", O_WRONLY[|,)]' "$log" ||
        lab_fail "the killer's handler to open its request queue O_RDONLY and its response queue O_WRONLY" \
            "$(grep -E '^[0-9]+ +mq_open\(' "$log" | head -n 4)" \
            "§6: a handler opens the client's queues, request: O_RDONLY, response: O_WRONLY" || return
    bad=$(grep -E '^[0-9]+ +exit_group\(' "$log" | grep -vE '^[0-9]+ +exit_group\(0[) ]' | head -n 4)
    [[ -z $bad ]] ||
        lab_fail "every process of the server (the main process, the killer's handler) to exit with status 0" "$bad" \
            "§6: a handler exits with status 0 (1 only after an error); §7: after kill_server the server exits 0"
}

# not_ended PID: the process still exists and has not ended (no zombie).
not_ended() {
    [[ -e /proc/$1 ]] && ! lab_proc_state "$1" Z
}

# ended PID: the process has ended (a zombie, or reaped already).
ended() {
    ! not_ended "$1"
}

# points: 5
@test "SIGTERM: the server stops its handlers, removes its objects and exits 0" {
    # Traced (every call of the main process and of its handlers): what the
    # SIGTERM handlers do is looked at once the server has stopped.
    start_server server --strace all || return
    local spid
    spid=$(lab_pid server) || return
    spawn_connected idle || return
    local handler=$HANDLER
    stop_server server || return
    lab_assert_stderr_line server "posix_server: SIGTERM received: stopping" "§7" || return
    local pid
    for pid in "$spid" "$handler"; do
        lab_assert_handlers_only server "$pid" 'INT|TERM' '^$' \
            "the SIGTERM handler of the $([[ $pid == "$spid" ]] && echo "main process" || echo "client's handler") (pid $pid) to make no system call: it only sets a flag" \
            "§7: the SIGINT and SIGTERM handlers only set a volatile sig_atomic_t flag; the main loop sees it after sem_wait() fails with EINTR, then writes the line, unlinks, stops the handlers and exits" ||
            return
    done
    lab_assert_no_strays server "§7 step 2: SIGTERM to every handler still running, then waitpid() for each one" ||
        return
    gone "$handler" ||
        lab_fail "the handler (pid $handler) stopped and reaped before the server exits" "it still runs" \
            "§7: SIGTERM to every handler, then waitpid() for each" || return
    lab_assert_no_new_ipc "no shared memory, semaphore or queue after SIGTERM" "§7 (hint 6)" || return
    # The idle client finds its handler gone at its next request.
    lab_input idle "add 1 1"
    lab_wait_exit idle 5 ||
        lab_fail "the idle client, its server stopped, to find its handler gone at its next request, and end" \
            "$(lab_describe idle)" \
            "§4 step 5 and §7: a client still connected when the server stopped finds its handler gone (kill(HPID, 0) once a second)" \
            "$(lab_show_output idle)" || return
    lab_assert_stderr_line idle "posix_client: the server has gone away" "§4 step 5" || return
    lab_assert_exit idle 1 "§4: exit 1 once the server has gone away"
}

# points: 10
@test "a client with no server fails with a clear message within its bound, exit 1" {
    lab_run none --wait 3 --strace mq_open,mq_unlink -- "$CLIENT" -n "$PREFIX"
    lab_assert_finished none "posix_client to give up at once when there is no server" \
        "§4: sem_open() and shm_open() without O_CREAT fail with ENOENT (hint 1)" || return
    lab_assert_exit none 1 "§4: no server: exit 1" || return
    lab_assert_stderr_line none "posix_client: no server for $PREFIX: $PREFIX-ready does not exist" \
        "§4 step 1: NAME is the first object missing, PREFIX-ready opened first" || return
    local made
    made=$(grep -E '^[0-9]+ +mq_open\(' "$LAB_LOGS/none.strace" | head -n 2)
    [[ -z $made ]] ||
        lab_fail "no queue created by a client that found no server (strace records its mq_open() calls)" \
            "it created queues before it found that the server's objects do not exist: $made" \
            "§4, in this order: step 1 opens the server's objects, and without them the client exits 1 having created nothing; step 2 creates the queues" ||
        return
    # The default PREFIX, without touching the objects of that name (every
    # user's): strace makes the client's open of /dev/shm/sem.ipclab-srv-ready
    # fail with ENOENT, as if no server ran.
    lab_run default --wait 3 --inject openat:error=ENOENT --trace-path /dev/shm/sem.ipclab-srv-ready -- "$CLIENT"
    lab_assert_exit default 1 "§2 and §4: without -n the PREFIX is /ipclab-srv; no server: exit 1" || return
    lab_assert_stderr_line default "posix_client: no server for /ipclab-srv: /ipclab-srv-ready does not exist" \
        "§2: without -n the PREFIX is /ipclab-srv (DEFAULT_PREFIX in posix_lab.h)" || return
    lab_assert_no_new_ipc "no object created by a client that found no server" \
        "§4: open the server's objects before creating your queues, never with O_CREAT" || return

    # A server that does not answer (stopped): the client gives up after -t.
    start_server server || return
    local spid
    spid=$(lab_pid server) || return
    lab_signal server STOP
    lab_wait_until "$(lab_seconds 5)" lab_proc_state "$spid" T || true
    # The first client takes the free area and waits for a greeting; the
    # second one waits for the area, which nobody gives back.
    lab_run stuck --wait 6 --in /dev/null -- "$CLIENT" -n "$PREFIX" -t 1
    lab_run stuck2 --wait 6 --in /dev/null -- "$CLIENT" -n "$PREFIX" -t 1
    # Without -t the bound is 10 s: a third client waits for the area,
    # which nobody gives back, with a deadline that strace shows.
    local start deadline
    start=$(date +%s)
    lab_spawn bound --strace futex,mq_timedreceive -- "$CLIENT" -n "$PREFIX" || return
    lab_wait_until "$(lab_seconds 5)" timed_wait_seen "$LAB_LOGS/bound.strace" || true
    deadline=$(grep -soE 'tv_sec=[0-9]+' "$LAB_LOGS/bound.strace" | head -n 1 | cut -d= -f2)
    lab_signal bound TERM || return
    lab_wait_exit bound 5 || true
    local seen="no wait with a deadline seen by strace"
    if [[ -n $deadline ]]; then
        seen="a deadline $((deadline - start)) s after its start"
    fi
    [[ -n $deadline ]] && ((deadline - start >= 10 && deadline - start <= 10 + $(lab_seconds 3 | cut -d. -f1))) ||
        lab_fail "posix_client without -t to wait for the area with a deadline 10 s ahead (the default SECONDS)" "$seen" \
            "§2: the default SECONDS is 10; §4 step 3: sem_timedwait() with a deadline SECONDS from now" || return
    lab_signal server CONT
    local name
    for name in stuck stuck2; do
        lab_assert_finished "$name" "posix_client -t 1 to give up about 1 s after the server stopped answering" \
            "§4: sem_timedwait() and mq_timedreceive() with a deadline of -t seconds, never an unbounded wait (hint 1)" ||
            return
        lab_assert_exit "$name" 1 "§4" || return
        lab_assert_stderr_line "$name" "posix_client: no server answered within 1 s" "§4" || return
    done
    stop_server server || return

    # SECONDS for each wait, the second one counted from the post: a second
    # server, stopped, holds a first client (the area taken, its greeting
    # awaited); a client with -t SECS waits for the area. Once the server
    # runs again, strace holds that client 0.9 x SECS as it returns from
    # that wait (its first futex() call), and its handler 0.2 x SECS on its
    # way into the greeting's mq_timedsend(): the greeting comes 1.1 x SECS
    # or more after the client started (strace's delays are lower bounds, so
    # a deadline taken at the start has passed, however fast the machine),
    # and 0.2 x SECS after it posted (0.8 x SECS to spare for a loaded one).
    PREFIX=$(lab_name srv2)
    local secs
    secs=$(awk -v s="$(lab_seconds 3)" 'BEGIN { printf "%d", s + 0.999 }')
    lab_start_server server2 '^posix_server: ready' \
        "the line \"posix_server: ready: shared memory $PREFIX, ...\" on stderr once its objects exist" \
        "§3 and §6 (readiness)" \
        --inject "mq_timedsend:delay_enter=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 200000 }'):when=1" \
        -- "$SERVER" -n "$PREFIX" || return
    lab_signal server2 STOP || return
    lab_spawn holder --in-pipe -- "$CLIENT" -n "$PREFIX" || return
    lab_wait_while_running holder 5 waits_for_greeting "$(lab_pid holder)" ||
        lab_fail "a first client, the server stopped, to write the area and wait for its greeting (mq_timedreceive)" \
            "$(lab_describe holder)" "§4 steps 3 and 4" "$(lab_show_output holder)" || return
    printf '%s\n' "add 2 2" >"$BATS_TEST_TMPDIR/late.in"
    lab_spawn late --in "$BATS_TEST_TMPDIR/late.in" \
        --inject "futex:delay_exit=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 900000 }'):when=1" \
        -- "$CLIENT" -n "$PREFIX" -t "$secs" || return
    lab_wait_while_running late 5 lab_blocked_in_sem_wait "$(lab_pid late)" ||
        lab_fail "a second client (-t $secs) to wait for the area (sem_timedwait on $PREFIX-ready): the first one holds it" \
            "$(lab_describe late)" "§4 step 3" "$(lab_show_output late)" || return
    lab_signal server2 CONT || return
    lab_wait_exit late $((3 * secs)) || true
    assert_replies late \
        "the response to add 2 2 from a client (-t $secs) greeted $(awk -v s="$secs" 'BEGIN { printf "%.1f", s * 0.2 }') s after it posted $PREFIX-conn, $(awk -v s="$secs" 'BEGIN { printf "%.1f", s * 1.1 }') s or more after it began to wait for the area" \
        "§4 step 4: the client waits for the greeting at most SECONDS again, a deadline taken once it has posted, not what is left of the wait for the area" \
        "ok 4" || return
    lab_assert_exit late 0 "§4" || return
    lab_close_input holder
    lab_wait_exit holder 5 || true
    lab_assert_exit holder 0 "§4: at the end of its input the client disconnects and exits 0" || return
    stop_server server2
}

# timed_wait_seen LOG: strace's LOG shows a call with a deadline (tv_sec=).
timed_wait_seen() {
    [[ -s $1 ]] && grep -qE 'tv_sec=[0-9]+' "$1"
}

# points: 5
@test "objects that exist already (another server, a killed server's semaphore): the server refuses to start, exit 1" {
    # strace holds the server's open of /dev/shm/PREFIX 1 s: a readiness
    # line written before the objects exist comes before the files.
    start_server server --inject "openat:delay_enter=$(awk -v s="$(lab_seconds 1)" 'BEGIN { printf "%d", s * 1000000 }')" \
        --trace-path "/dev/shm/${PREFIX#/}" || return
    local f
    for f in "/dev/shm/${PREFIX#/}" "/dev/shm/sem.${PREFIX#/}-ready" "/dev/shm/sem.${PREFIX#/}-conn"; do
        [[ -e $f ]] ||
            lab_fail "$f once the server has written its readiness line" "no such file" \
                "§3 (the names; in /dev/shm a semaphore /NAME is sem.NAME) and §6 (the readiness line only once the objects exist)" ||
            return
        [[ $(stat -c %a "$f") == 600 ]] ||
            lab_fail "$f of mode 0600" "mode $(stat -c %a "$f")" "§3: O_CREAT | O_EXCL, mode 0600" || return
    done
    # sizeof(struct conn_area): a pid_t and two names of NAME_SIZE bytes.
    [[ $(stat -c %s "/dev/shm/${PREFIX#/}") == 516 ]] ||
        lab_fail "the connection area of sizeof(struct conn_area) = 516 bytes" \
            "$(stat -c %s "/dev/shm/${PREFIX#/}") bytes" "§3: ftruncate() to sizeof(struct conn_area)" || return
    lab_run second --wait 3 -- "$SERVER" -n "$PREFIX"
    lab_assert_finished second "a second posix_server with the same PREFIX to give up at once" \
        "§3: create the objects with O_CREAT | O_EXCL: EEXIST means another server has them" || return
    lab_assert_exit second 1 "§3 and §8: objects that exist already: exit 1" || return
    grep -qF -- "/dev/shm/${PREFIX#/}" "$LAB_RUN/second.err" ||
        lab_fail "a line on stderr that names the files to remove (/dev/shm/${PREFIX#/} ...)" "none" "§3" \
            "$(lab_show_output second)" || return
    client_run client "add 1 2"
    assert_replies client "the first server still serving a client: the second one removed nothing of it" \
        "§3: a server that finds the objects there removes nothing that is not its own" "ok 3" || return
    lab_stop_gracefully server INT 0 posix_server \
        "§7: no SA_RESTART, so sem_wait() fails with EINTR and the loop sees the flag (hint 5)" \
        "§7: after SIGINT the server exits 0" || return
    lab_assert_stderr_line server "posix_server: SIGINT received: stopping" "§7" || return

    # A server killed with SIGKILL left one of its semaphores: PREFIX-ready,
    # then PREFIX-conn (each one alone).
    local sem stale refused
    for sem in ready conn; do
        stale=/dev/shm/sem.${PREFIX#/}-$sem
        head -c 32 /dev/zero >"$stale" && lab_give_to_program "$stale" && chmod 0600 "$stale" || return
        lab_run "restart_$sem" --wait 3 -- "$SERVER" -n "$PREFIX"
        check_refused_restart "restart_$sem" "$stale"
        refused=$?
        rm -f -- "$stale"
        ((refused == 0)) || return
        lab_assert_no_new_ipc "nothing of the refused server left: it removes what it made itself" \
            "§3 and §8: the objects it created before it found $stale are its own: unlink them before exit 1" || return
    done

    # The default PREFIX, without touching the objects of that name (every
    # user's): strace makes the server's open of /dev/shm/ipclab-srv fail
    # with EEXIST, as if another server had it.
    lab_run default --wait 3 --inject openat:error=EEXIST --trace-path /dev/shm/ipclab-srv -- "$SERVER"
    lab_assert_finished default "posix_server without -n to give up at once over /dev/shm/ipclab-srv (the grader made its creation fail with EEXIST)" \
        "§2: without -n the PREFIX is /ipclab-srv (DEFAULT_PREFIX in posix_lab.h); §3: an object that exists already: exit 1" || return
    lab_assert_exit default 1 \
        "§2: without -n the PREFIX is /ipclab-srv (DEFAULT_PREFIX), -n is optional; §3: the object /dev/shm/ipclab-srv exists: exit 1" || return
    grep -qF -- /dev/shm/ipclab-srv "$LAB_RUN/default.err" ||
        lab_fail "a line on stderr that names the file in the way: /dev/shm/ipclab-srv (posix_server without -n)" "none" \
            "§2: without -n the PREFIX is /ipclab-srv (DEFAULT_PREFIX in posix_lab.h); §3: the line names the files to remove" \
            "$(lab_show_output default)" || return

    # A failed call once the area exists: strace makes the mmap() of
    # /dev/shm/PREFIX fail with ENOMEM.
    lab_run nomem --wait 3 --inject mmap:error=ENOMEM --trace-path "/dev/shm/${PREFIX#/}" -- "$SERVER" -n "$PREFIX"
    lab_assert_finished nomem "posix_server to give up at once when the mmap() of its area fails (the grader made it fail with ENOMEM)" \
        "§8: every call is checked" || return
    lab_assert_exit nomem 1 "§8: a failed call: exit 1" || return
    grep -qE '^posix_server: mmap[^:]*: Cannot allocate memory$' "$LAB_RUN/nomem.err" ||
        lab_fail "the line \"posix_server: mmap: Cannot allocate memory\" on stderr" "none" \
            "§8: a failure is reported as posix_server: CALL: strerror text" "$(lab_show_output nomem)" || return
    lab_assert_no_new_ipc "nothing left of a server whose mmap() failed: it removes the shared memory it created" \
        "§8: once its objects exist, a server that fails removes them all the same (only SIGKILL leaves them)"
}

# check_refused_restart NAME STALE: the server NAME found the file STALE of
# a killed server, refused to start, and left the file alone.
check_refused_restart() {
    lab_assert_finished "$1" "posix_server to give up at once over the semaphore a killed server left ($2)" \
        "§3: O_CREAT | O_EXCL for every object, both semaphores too: a stale one is not yours to take over" ||
        return
    lab_assert_exit "$1" 1 "§3 and §8: an object that exists already ($2, left by a killed server): exit 1" || return
    grep -qF -- "$2" "$LAB_RUN/$1.err" ||
        lab_fail "a line on stderr that names the file to remove: $2" "none" \
            "§3: it writes a line that says so and names the files to remove, the one in the way first" \
            "$(lab_show_output "$1")" ||
        return
    [[ -e $2 ]] ||
        lab_fail "$2 still there (a server removes nothing that is not its own)" "it was removed" "§3"
}

# describe_pids PIDS: "PID STATE COMMAND;" for each of PIDS (one per line).
describe_pids() {
    ps -o pid=,stat=,args= -p "${1//$'\n'/,}" | tr '\n' ';'
}

# points: 5
@test "a malformed connection area is ignored: no handler for it, and the next client is served" {
    build_area_writer ||
        lab_fail "the grader's stand-in client built (cc)" "the build failed" "(a fault of the grader)" || return
    # strace records the server's forks: a handler forked for an area whose
    # names are wrong ends at once (its mq_open() fails), and only its
    # clone() is left to see.
    start_server server --strace clone,clone3,fork,vfork || return
    local spid children kind forks
    spid=$(lab_pid server) || return
    # A request queue's name without '/', then one with no '\0': the
    # stand-in's own pid, its queues there.
    for kind in noslash noterm; do
        lab_spawn "$kind" --in-pipe -- "$AREA_WRITER" "$PREFIX" "$kind" || return
        lab_wait_output "$kind" '^area (free again|not free again|never free)$' 8 ||
            lab_fail "the grader's stand-in to write the area and post $PREFIX-conn" "$(lab_describe "$kind")" \
                "§6: the server posts $PREFIX-ready once its objects exist, and again after each connection" \
                "$(lab_show_output "$kind")" || return
        forks=$(grep -E '^[0-9]+ +(clone3?|v?fork)\(' "$LAB_LOGS/server.strace" | head -n 2)
        [[ -z $forks ]] ||
            lab_fail "no handler forked for a connection area whose request queue name $([[ $kind == noslash ]] && echo "does not start with /" || echo "is not '\\0'-terminated (a '/' and 255 other bytes)")" \
                "strace saw the server fork: $forks" \
                "§3: the server checks what it reads (a pid above 0, both names '\\0'-terminated and starting with /) and ignores an area that fails the check: no handler for it" ||
            return
        grep -qx 'area free again' "$LAB_RUN/$kind.out" ||
            lab_fail "$PREFIX-ready posted again after the server read an area whose request queue name is wrong ($kind)" \
                "$(cat "$LAB_RUN/$kind.out") within 5 s ($(lab_describe server))" \
                "§3 and §6: an area that fails the check is ignored: the area is free again for the next client" \
                "$(lab_show_output server)" || return
        lab_close_input "$kind"
        lab_wait_exit "$kind" 5 || true
    done
    # The pid -SPID is no client (§3: a pid above 0); the queues exist.
    lab_spawn writer --in-pipe -- "$AREA_WRITER" "$PREFIX" "-$spid" || return
    lab_wait_output writer '^area (free again|not free again|never free)$' 8 ||
        lab_fail "the grader's stand-in to write the area and post $PREFIX-conn" "$(lab_describe writer)" \
            "§6: the server posts $PREFIX-ready once its objects exist" "$(lab_show_output writer)" || return
    grep -qx 'area free again' "$LAB_RUN/writer.out" ||
        lab_fail "$PREFIX-ready posted again after the server read an area whose pid is -$spid" \
            "$(cat "$LAB_RUN/writer.out") within 5 s ($(lab_describe server))" \
            "§3 and §6: an area that fails the check is ignored: the area is free again for the next client" \
            "$(lab_show_output server)" || return
    children=$(lab_descendants server)
    [[ -z $children ]] ||
        lab_fail "no handler for a connection area whose pid is -$spid" \
            "the server forked for it: $(describe_pids "$children")" \
            "§3: the server checks what it reads (a pid above 0, both names '\\0'-terminated and starting with /) and ignores an area that fails the check" ||
        return
    lab_close_input writer
    lab_wait_exit writer 5 || true
    client_run client "add 1 2"
    assert_replies client "the next client served" "§3: an ignored area stops nothing" "ok 3" || return

    # The area is cleared after the copy: a client is connected, then the
    # grader's stand-in posts PREFIX-conn without writing the area. The
    # server then finds an empty area (a pid of 0): no second handler for
    # the connected client.
    spawn_connected kept || return
    local kept_handler=$HANDLER
    lab_spawn blank --in-pipe -- "$AREA_WRITER" "$PREFIX" none || return
    lab_wait_output blank '^area (free again|not free again|never free)$' 8 ||
        lab_fail "the grader's stand-in to post $PREFIX-conn" "$(lab_describe blank)" \
            "§6: the server posts $PREFIX-ready after each connection" "$(lab_show_output blank)" || return
    children=$(lab_descendants server)
    [[ $children == "$kept_handler" ]] ||
        lab_fail "only the handler $kept_handler of the connected client below the server, after a post of $PREFIX-conn with nothing written into the area" \
            "the server has: $(describe_pids "$children")" \
            "§6: the main process copies the area, then clears it (memset to 0): what a client wrote must not be read twice, nor give its client a second handler" ||
        return
    lab_close_input blank
    lab_wait_exit blank 5 || true
    lab_close_input kept
    lab_wait_exit kept 5 || true
    lab_assert_exit kept 0 "§4: at the end of its input the client disconnects and exits 0" || return
    stop_server server
}

# points: 5
@test "valgrind (handlers traced too): no memory error, no leak, no descriptor left open" {
    start_server server --valgrind || return
    # A request of 256 bytes, the most a message holds: the handler's
    # buffer must hold it (mq_msgsize bytes) and whatever the handler adds.
    local word256
    word256=$(printf 'u%.0s' {1..256})
    printf '%s\n' "add 1 2" "add x" "what" "$word256" >"$BATS_TEST_TMPDIR/in"
    lab_run client --valgrind --wait 5 --in "$BATS_TEST_TMPDIR/in" -- "$CLIENT" -n "$PREFIX"
    assert_replies client "the 4 responses, under valgrind too" "§5" \
        "ok 3" "error usage: add A B (integers from -1000000000 to 1000000000)" "error unknown request 'what'" \
        "error unknown request '${word256:0:64}'" ||
        return
    # This client stops after kill_server answered: getline's buffer is freed
    # on that way out too.
    printf '%s\n' "kill_server" >"$BATS_TEST_TMPDIR/killer.in"
    lab_run killer --valgrind --wait 5 --in "$BATS_TEST_TMPDIR/killer.in" -- "$CLIENT" -n "$PREFIX"
    assert_replies killer "the response to kill_server, under valgrind too" "§5" "ok server stopping" || return
    lab_wait_exit server 5 || true
    lab_assert_exit server 0 "§7: kill_server stops the server, exit 0" || return
    # Every finding of both programs, not only the first one.
    local failed=0
    lab_assert_valgrind_clean server "§8: free what you allocate, in the main process and in each handler" ||
        failed=1
    lab_assert_valgrind_clean client "§8: free getline's buffer" || failed=1
    lab_assert_valgrind_clean killer "§8: free getline's buffer, after kill_server answered too" || failed=1
    lab_assert_valgrind_fds server \
        "§8: close the pipe ends, the shm descriptor after mmap, and mq_close() the queues, in the handlers too" ||
        failed=1
    lab_assert_valgrind_fds client "§8: mq_close() both queues, close the shm descriptor after mmap" || failed=1
    lab_assert_valgrind_fds killer "§8: mq_close() both queues, close the shm descriptor after mmap" || failed=1
    return "$failed"
}

# assert_usage NAME USAGE COMMAND: NAME's stderr is one line that says what
# is wrong, then exactly USAGE.
assert_usage() {
    local lines
    lines=$(wc -l <"$LAB_RUN/$1.err")
    [[ $lines == 2 && $(sed -n 2p "$LAB_RUN/$1.err") == "$2" && $(sed -n 1p "$LAB_RUN/$1.err") != "$2" ]] && return 0
    lab_fail "for: $3, on stderr one line that says what is wrong, then exactly \"$2\"" \
        "$lines line(s)" "§2" "$(lab_show_output "$1")"
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2" {
    local long
    long=/$(printf 'a%.0s' {1..200})
    # The operand comes after a PREFIX of this test's own: a server that
    # ignored it would otherwise start on the default names, every user's.
    local -a bad=("-x" "-n $PREFIX extra" "-n" "-n noslash" "-n /two/slashes" "-n /" "-n $long")
    local i name
    local -a args
    for i in "${!bad[@]}"; do
        read -ra args <<<"${bad[$i]}"
        name=server$i
        lab_run "$name" -- "$SERVER" "${args[@]}"
        lab_assert_exit "$name" 2 "§2: posix_server ${bad[$i]} is a usage error" || return
        assert_usage "$name" "usage: posix_server [-n PREFIX]" "posix_server ${bad[$i]}" || return
    done
    local -a cbad=("-x" "-t 0" "-t abc" "-t" "-n bad" "extra" "-t 3601" "-n /two/slashes" "-n $long")
    for i in "${!cbad[@]}"; do
        read -ra args <<<"${cbad[$i]}"
        name=client$i
        lab_run "$name" -- "$CLIENT" "${args[@]}"
        lab_assert_exit "$name" 2 "§2: posix_client ${cbad[$i]} is a usage error" || return
        assert_usage "$name" "usage: posix_client [-n PREFIX] [-t SECONDS]" "posix_client ${cbad[$i]}" || return
    done
    # SECONDS is decimal digits alone: a sign, a blank (which read -a
    # would split off), a suffix or a hexadecimal prefix makes it invalid.
    local t
    i=0
    for t in +5 -5 " 5" "5 " 5s 0x10; do
        name=ctime$((i++))
        lab_run "$name" -- "$CLIENT" -n "$PREFIX" -t "$t"
        lab_assert_exit "$name" 2 \
            "§2: posix_client -t '$t' is a usage error: SECONDS is written in decimal digits alone (no sign, no blank, nothing after them)" ||
            return
        assert_usage "$name" "usage: posix_client [-n PREFIX] [-t SECONDS]" "posix_client -t '$t'" || return
    done
    # An empty PREFIX, which read -a cannot make an operand of.
    lab_run server_empty -- "$SERVER" -n ''
    lab_assert_exit server_empty 2 "§2: posix_server -n '' (an empty PREFIX) is a usage error" || return
    assert_usage server_empty "usage: posix_server [-n PREFIX]" "posix_server -n ''" || return
    lab_run client_empty -- "$CLIENT" -n ''
    lab_assert_exit client_empty 2 "§2: posix_client -n '' (an empty PREFIX) is a usage error" || return
    assert_usage client_empty "usage: posix_client [-n PREFIX] [-t SECONDS]" "posix_client -n ''" || return
    # The largest values are arguments, not errors: with no server the
    # client says so (exit 1), not usage (exit 2).
    local p200=$PREFIX
    while ((${#p200} < 200)); do p200+=a; done
    local -a good=("-n $p200" "-n $PREFIX -t 3600" "-n $PREFIX -t 09" "-n $PREFIX -t 010")
    local -a why=("a PREFIX of 200 bytes, the longest allowed" "SECONDS 3600, the largest allowed"
        "SECONDS 09: leading zeros are allowed, and the digits are decimal" "SECONDS 010, that is 10")
    for i in "${!good[@]}"; do
        read -ra args <<<"${good[$i]}"
        name=cgood$i
        lab_run "$name" -- "$CLIENT" "${args[@]}"
        lab_assert_exit "$name" 1 \
            "§2: posix_client ${good[$i]} is no usage error (${why[$i]}): with no server, exit 1" ||
            return
        grep -q '^posix_client: no server for ' "$LAB_RUN/$name.err" ||
            lab_fail "for: posix_client ${good[$i]}, the line \"posix_client: no server for ...\" (no server runs)" \
                "none" "§2 (the bounds are included) and §4" "$(lab_show_output "$name")" || return
    done
    lab_assert_no_new_ipc "no object created for bad arguments" "§2: check the arguments first" || return
    # The server takes a PREFIX of 200 bytes too.
    PREFIX=$p200
    lab_start_server long '^posix_server: ready' \
        "posix_server -n PREFIX, a PREFIX of 200 bytes (the longest allowed), to start: its line \"posix_server: ready: ...\"" \
        "§2: a PREFIX is a / followed by 1 to 199 bytes (PREFIX_MAX, 200, in posix_lab.h): the bound is included" \
        -- "$SERVER" -n "$PREFIX" || return
    stop_server long
}
