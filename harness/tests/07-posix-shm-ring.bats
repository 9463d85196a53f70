#!/usr/bin/env bats
# 07-posix-shm-ring: a producer and a consumer move a byte stream through a
# ring buffer in a POSIX shared memory object, with POSIX semaphores.
# Statement: exercises/07-posix-shm-ring/README.md (the § numbers below are its sections).
#
# programs: ring_producer ring_consumer
# common: ring_common.c
# ldlibs: -pthread
# valgrind-factor: 4.5   (how much slower valgrind makes its valgrind tests: make valgrind-factor)

load "$LAB_HARNESS/lib/lab"

PROD=$LAB_BIN/ring_producer
CONS=$LAB_BIN/ring_consumer

# Inputs shared by the tests of this file, made once.
setup_file() {
    local dir=$BATS_FILE_TMPDIR
    printf 'alpha\nbeta\000gamma\r\n\377\376 bytes\nlast line, no newline' >"$dir/small"
    : >"$dir/empty"
    # Random bytes: any byte value, and a wrong slot is never equal by chance.
    head -c 100000000 /dev/urandom >"$dir/big"
    head -c 5000000 "$dir/big" >"$dir/mid"
    head -c 1000000 "$dir/big" >"$dir/strace"
    head -c 300000 "$dir/big" >"$dir/vg"
    head -c 10000 "$dir/big" >"$dir/short"
}

# Every test gets its own name for the ring (§2).
setup() {
    lab_setup
    RING=$(lab_name)
}

# shm_exists NAME / sem_exists NAME: the object / the named semaphore is there.
shm_exists() { [[ -e /dev/shm/${1#/} ]]; }
sem_exists() { [[ -e /dev/shm/sem.${1#/} ]]; }

# SLEEP_CALLS: the calls of a program that sleeps or polls instead of
# waiting in sem_wait() (usleep() is clock_nanosleep in glibc).
SLEEP_CALLS='(^|[0-9] +)(nanosleep|clock_nanosleep|sched_yield|poll|ppoll|select|pselect6)\('

# assert_io_in_ring WHO CALL FD CHUNK EXPECTED LOOK_AT: WHO ran under
# lab_spawn --strace-raw CALL; each CALL on descriptor FD moved its bytes
# straight to or from WHO's MAP_SHARED mapping of /dev/shm/$RING (buffer and
# count inside the range mmap() returned), at least one did, and, CHUNK
# given, each asked for CHUNK bytes.
assert_io_in_ring() {
    local who=$1 call=$2 want_fd=$3 chunk=$4 path=/dev/shm/${RING#/}
    local line fd="" base="" size="" seen=0 bad="" buf count
    local open_re=' = ([0-9]+)$'
    local map_re='^mmap\([^,]+, ([0-9]+), [^,]+, MAP_SHARED[^,]*, ([0-9]+), 0\) += (0x[0-9a-f]+)$'
    local io_re="^$call\\((0x)?$want_fd, (0x[0-9a-f]+), (0x[0-9a-f]+)\\)"
    while IFS= read -r line; do
        line=${line#"${line%%[!0-9 ]*}"}        # the pid strace -f writes first
        if [[ $line == openat\(* && $line =~ $open_re ]]; then
            # glibc's shm_open(NAME) is openat("/dev/shm/NAME"); any other
            # openat may reuse the number of a descriptor closed since.
            if [[ $line == *"\"$path\","* ]]; then fd=${BASH_REMATCH[1]}; else [[ ${BASH_REMATCH[1]} != "$fd" ]] || fd=""; fi
        elif [[ -n $fd && -z $base && $line =~ $map_re && ${BASH_REMATCH[2]} == "$fd" ]]; then
            size=${BASH_REMATCH[1]} base=${BASH_REMATCH[3]}
        elif [[ $line =~ $io_re ]]; then
            seen=$((seen + 1))
            buf=${BASH_REMATCH[2]} count=${BASH_REMATCH[3]}
            if [[ -z $base ]]; then
                bad="$line, before any MAP_SHARED mmap() of $path"
                break
            fi
            if ((buf < base || buf + count > base + size)); then
                bad="$line: the buffer is not inside the mapping of $path ($base to $(printf '0x%x' $((base + size))))"
                break
            fi
            if [[ -n $chunk ]] && ((count != chunk)); then
                bad="$line: it asks for $((count)) bytes, not CHUNK ($chunk)"
                break
            fi
        fi
    done <"$LAB_LOGS/$who.strace"
    ((seen > 0)) || bad="no $call() on descriptor $want_fd at all"
    [[ -z $bad ]] || lab_fail "$5" "strace saw: $bad" "$6"
}

# blocked_in_read PID: waits in read() on an empty pipe.
blocked_in_read() { lab_blocked_in "$1" '*pipe_read*' 0; }

# wait_until_blocked NAME WHAT CHECK LOOK_AT: NAME's program blocks (CHECK PID) soon.
wait_until_blocked() {
    local pid
    pid=$(lab_pid "$1") || return
    lab_wait_until "$(lab_seconds 5 "$(lab_scale_of "$1")")" "$3" "$pid" ||
        lab_fail "$1 to $2" "$(lab_describe "$1"); it is not blocked there" "$4" "$(lab_show_output "$1")"
}

# start_consumer [NAME] [lab_spawn options]: starts ring_consumer on $RING
# and waits until it has created (or opened) the semaphore (§3).
start_consumer() {
    local name=${1:-cons}
    shift || true
    lab_spawn "$name" "$@" -- "$CONS" -n "$RING" || return
    # 2 ("never") once the consumer has ended without it.
    _sem_or_ended() { sem_exists "$RING" && return 0; lab_finished "$name" && return 2; return 1; }
    lab_wait_until "$(lab_seconds 5 "$(lab_scale_of "$name")")" _sem_or_ended ||
        lab_fail "the semaphore $RING (/dev/shm/sem.${RING#/}) once ring_consumer waits for a producer" \
            "$(lab_describe "$name"); there is no such semaphore" \
            "§3: sem_open(NAME, O_CREAT, 0600, 0), then sem_wait() on it" "$(lab_show_output "$name")"
}

# assert_ends NAME SECONDS CODE EXPECTED LOOK_AT: NAME ends within SECONDS with status CODE.
assert_ends() {
    local name=$1
    lab_wait_exit "$name" "$2" || true
    lab_assert_finished "$name" "$4" "$5" || return
    lab_assert_exit "$name" "$3" "$5"
}

# consumer_to_reader SCRIPT [CONSUMER OPTIONS...] [-- PRODUCER ARGS...]: the
# consumer (cons, spawned with the lab_spawn OPTIONS) writes into a FIFO
# that a reader (bash -c SCRIPT, the FIFO open on its fd 9) reads, and the
# producer (prod) copies the 100 MB input.
consumer_to_reader() {
    local fifo=$LAB_LOGS/output.fifo script=$1
    local -a opts=()
    shift
    while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
    (($#)) && shift
    mkfifo "$fifo"     # in $LAB_LOGS: the reader, a program, opens it by its path
    lab_spawn reader -- bash -c "exec 9<\"\$1\" && $script" _ "$fifo" || return
    start_consumer cons "${opts[@]}" --out "$fifo" || return
    lab_spawn prod --in "$BATS_FILE_TMPDIR/big" -- "$PROD" -n "$RING" "$@"
}

# assert_ends_input_open NAME SECONDS CODE EXPECTED LOOK_AT: as assert_ends,
# but NAME (spawned with --in-pipe) must end while its input is still open:
# lab_wait_exit closes it, and the end of the input would end a read() that
# the signal failed to interrupt.
assert_ends_input_open() {
    lab_wait_until "$(lab_seconds "$2" "$(lab_scale_of "$1")")" lab_finished "$1" ||
        lab_fail "$4" "$(lab_describe "$1"), its input still open" "$5" "$(lab_show_output "$1")" || return
    assert_ends "$@"
}

# ring_mapping WHO PATH: the first mmap() line, in WHO's strace log, of the
# descriptor that openat(PATH) returned (glibc's shm_open(NAME) is
# openat("/dev/shm/NAME")); nothing before that.
ring_mapping() {
    awk -v path="\"$2\"" '
        index($0, "openat(") && index($0, path ",") && / = [0-9]+$/ { fd = $NF; next }
        fd != "" && /mmap\(/ && index($0, ", " fd ", ") { sub(/^[0-9]+ +/, ""); print; exit }' "$LAB_LOGS/$1.strace"
}

# ring_mapped WHO PATH: WHO has mapped PATH (ring_mapping).
ring_mapped() {
    [[ -n $(ring_mapping "$1" "$2") ]]
}

# long_name N: the test's own NAME, made N characters long after its slash.
long_name() {
    local name
    name=$(lab_name)
    printf '%s%s\n' "$name" "$(head -c $(($1 + 1 - ${#name})) /dev/zero | tr '\0' x)"
}

# is_stopped PID: stopped (by strace's injected SIGSTOP: a tracing stop).
is_stopped() { lab_proc_state "$1" t || lab_proc_state "$1" T; }

# waits_in_ring PID: the consumer PID has removed both names of $RING (the
# producer had made them) and waits in sem_wait(), for a full slot.
waits_in_ring() { ! shm_exists "$RING" && ! sem_exists "$RING" && lab_blocked_in_sem_wait "$1"; }

# assert_names_stay NAME WHY: the object NAME and its semaphore are both still there.
assert_names_stay() {
    local gone=""
    shm_exists "$1" || gone+=" /dev/shm/${1#/}"
    sem_exists "$1" || gone+=" /dev/shm/sem.${1#/}"
    [[ -z $gone ]] ||
        lab_fail "the first producer's object and semaphore to stay: $2" "gone:$gone" \
            "§3: a producer that met File exists removes nothing (shm_unlink, sem_unlink are not its to call)"
}

# assert_default_header NAME: the object NAME is a ring of the default size,
# its header as ring.h lays it out (magic, slots, chunk, data_offset).
assert_default_header() {
    local obj=/dev/shm/${1#/} size want header
    # ring_size(16, 65536): the header and 16 lengths fit in the first page.
    want=$((4096 + 16 * 65536))
    size=$(stat -c %s "$obj") || return
    [[ $size == "$want" ]] ||
        lab_fail "the object $obj of ring_size(16, 65536) = $want bytes (the default SLOTS and CHUNK)" \
            "it has $size bytes" "§2: default SLOTS 16, CHUNK 65536; §4: ftruncate(fd, ring_size(slots, chunk))" || return
    header=$(od -An -tu4 -N16 "$obj" | xargs)
    [[ $header == "$((0x474e4952)) 16 65536 4096" ]] ||
        lab_fail "the header's first four fields (magic, slots, chunk, data_offset) to be $((0x474e4952)) 16 65536 4096" \
            "they are: $header" "§4: struct ring_header as ring.h has it, kept as it is"
}

# not_a_ring CASE WHAT DAMAGE...: a producer leaves a ring of 2 slots of 4096
# bytes, DAMAGE FILE makes it WHAT, and the consumer refuses it at once.
not_a_ring() {
    local case=$1 what=$2 obj
    shift 2
    RING=$(lab_name "$case")
    obj=/dev/shm/${RING#/}
    lab_run "prod-$case" --in "$BATS_FILE_TMPDIR/small" -- "$PROD" -n "$RING" -s 2 -c 4096
    lab_assert_exit "prod-$case" 0 "§3: a producer whose input fits in the ring exits 0 without waiting" || return
    shm_exists "$RING" ||
        lab_fail "the object $obj to stay for the consumer" "it is gone" "§3" || return
    "$@" "$obj" || return
    # Under valgrind: a refusal is an exit like any other (§5: only 0, 1
    # and 2 open), the object's descriptor closed on that path too.
    lab_run "cons-$case" --valgrind --wait 5 -- "$CONS" -n "$RING"
    lab_assert_exit "cons-$case" 1 "§4: $what is not a ring: a message and exit 1, no crash, no hang" || return
    lab_assert_stderr_line "cons-$case" "ring_consumer: $RING is not a ring set up by ring_producer" \
        "§4: check the object's size first, then the header ($what)" || return
    lab_assert_valgrind_fds "cons-$case" \
        "§5: when either program exits, only 0, 1 and 2 are open: close the object's descriptor before refusing $what" ||
        return
    # The test's own damage: whatever the consumer left is removed here.
    rm -f -- "$obj" "/dev/shm/sem.${RING#/}"
}

# zero_object FILE / zero_data_offset FILE: the ring's bytes all zero / its data_offset 0.
# The object is the programs' and /dev/shm is sticky: no open with O_CREAT
# (truncate -c, dd nocreat), which fs.protected_regular refuses even to root.
zero_object() { head -c "$(stat -c %s "$1")" /dev/zero | dd of="$1" conv=notrunc,nocreat status=none; }
zero_data_offset() { head -c 4 /dev/zero | dd of="$1" bs=1 seek=12 conv=notrunc,nocreat status=none; }

# assert_usage_error NAME PROGRAM ARGS USAGE: PROGRAM with ARGS (separated
# by "|") exits 2, with two lines on stderr, what is wrong and then USAGE,
# and nothing on stdout (§2).
assert_usage_error() {
    local name=$1 prog=$2 shown=${3//|/ } usage=$4 lines
    local -a args
    IFS='|' read -ra args <<<"$3"
    lab_run "$name" --in "$BATS_FILE_TMPDIR/small" -- "$prog" "${args[@]}"
    lab_assert_exit "$name" 2 "§2: ${prog##*/} $shown is a usage error" || return
    lines=$(wc -l <"$LAB_RUN/$name.err")
    [[ $lines == 2 && $(tail -n 1 "$LAB_RUN/$name.err") == "$usage" && ! -s $LAB_RUN/$name.out ]] ||
        lab_fail "for: ${prog##*/} $shown, on stderr one line saying what is wrong, then exactly \"$usage\"; nothing on stdout" \
            "$lines lines on stderr, $(stat -c %s "$LAB_RUN/$name.out") bytes on stdout" "§2" "$(lab_show_output "$name")"
}

# transfer INPUT SECONDS [PRODUCER ARGS...]: consumer first, then the
# producer; both exit 0 and the output is the input, byte for byte. The
# spawns are named cons$TAG and prod$TAG.
transfer() {
    local input=$BATS_FILE_TMPDIR/$1 bound=$2 cons=cons${TAG:-} prod=prod${TAG:-}
    shift 2
    start_consumer "$cons" --max-output 200000000 || return
    lab_spawn "$prod" --in "$input" -- "$PROD" -n "$RING" "$@"
    assert_ends "$prod" "$bound" 0 "ring_producer $* to copy its input into the ring and exit 0" \
        "§4: wait on the free slots; the consumer posts one after writing each slot out (hint 3)" || return
    assert_ends "$cons" "$bound" 0 "ring_consumer to write everything out, see the end of the stream and exit 0" \
        "§4: a chunk of length 0 ends the stream" || return
    lab_assert_same_output "$cons" "$input" "the input, byte for byte ($(stat -c %s "$input") bytes)" \
        "§4: slot i, then slot (i + 1) % SLOTS; both sides wrap around at the same place (hint 4)"
}

# points: 8
@test "consumer first, then producer: a small file arrives byte-exact" {
    transfer small 5 || return
    lab_assert_no_new_ipc "no object and no semaphore left once both have ended" \
        "§5: the consumer removes both names (shm_unlink, sem_unlink) once it has mapped the ring" || return

    # The producer posts the named semaphore only once the ring is set up
    # (§3): strace holds its ftruncate() 1 s, and a consumer woken before
    # that would find an object of 0 bytes (or none at all).
    RING=$(lab_name slow)
    start_consumer slowcons || return
    lab_spawn slowprod --inject 'ftruncate:delay_exit=1000000' --in "$BATS_FILE_TMPDIR/small" -- "$PROD" -n "$RING"
    assert_ends slowcons 10 0 \
        "ring_consumer to wait while the producer sets up the ring (strace holds its ftruncate() 1 s), then get everything and exit 0" \
        "§3: the producer sizes (ftruncate), maps and sets up the ring, and only then posts the named semaphore" || return
    assert_ends slowprod 10 0 "ring_producer, held 1 s in ftruncate(), to exit 0" "§3" || return
    lab_assert_same_output slowcons "$BATS_FILE_TMPDIR/small" "the input, byte for byte" "§3 and §4" || return
    lab_assert_no_new_ipc "no object and no semaphore left once both have ended" "§5"
}

# points: 8
@test "producer first: it may end before the consumer starts, which still gets everything" {
    lab_run prod --in "$BATS_FILE_TMPDIR/small" -- "$PROD" -n "$RING"
    lab_assert_exit prod 0 \
        "§3: a producer whose input fits in the ring puts it all in, with the end of the stream, and exits 0 without waiting" ||
        return
    shm_exists "$RING" ||
        lab_fail "the object $RING (/dev/shm/${RING#/}) to stay for the consumer" "it is gone" \
            "§3 and §5: only the consumer removes the names (once it has mapped the object)" || return
    sem_exists "$RING" ||
        lab_fail "the semaphore $RING (/dev/shm/sem.${RING#/}) to stay, posted, for the consumer" "it is gone" \
            "§3 and §5: only the consumer removes the names (once it has mapped the object)" || return
    assert_default_header "$RING" || return
    # The modes (§3): 0600, whatever the umask (the programs run with 022).
    local file mode
    for file in "/dev/shm/${RING#/}" "/dev/shm/sem.${RING#/}"; do
        mode=$(stat -c %a "$file") || return
        [[ $mode == 600 ]] ||
            lab_fail "$file of mode 0600" "its mode is 0$mode" \
                "§3: shm_open(NAME, O_CREAT | O_EXCL | O_RDWR, 0600), sem_open(NAME, O_CREAT, 0600, 0)" || return
    done
    lab_run cons -- "$CONS" -n "$RING"
    lab_assert_exit cons 0 "§3: the semaphore was posted: sem_wait() returns at once" || return
    lab_assert_same_output cons "$BATS_FILE_TMPDIR/small" "the producer's input, byte for byte" "§3 and §4" || return

    # Leading zeros are decimal digits (§2): -s 010 is 10 slots (not 8, as
    # strtol() with base 0 reads it), -s08 is 8; the second run gives the
    # options in getopt's glued forms (-n/NAME, -s08, -c4093), both programs.
    local slots name size want
    local -a args
    for slots in 10 8; do
        name=$(lab_name "zeros$slots")
        if ((slots == 10)); then args=(-n "$name" -s 010 -c 4093); else args=("-n$name" -s08 -c4093); fi
        lab_run "prod$slots" --in "$BATS_FILE_TMPDIR/small" -- "$PROD" "${args[@]}"
        lab_assert_exit "prod$slots" 0 "§2: ring_producer ${args[*]} to take $slots slots of 4093 bytes and exit 0 (its input fits)" ||
            return
        # ring_size(slots, 4093): the header and the lengths fit in the first page.
        want=$((4096 + slots * 4093))
        size=$(stat -c %s "/dev/shm/${name#/}" 2>/dev/null) || size=none
        [[ $size == "$want" ]] ||
            lab_fail "ring_producer ${args[*]} to make an object of ring_size($slots, 4093) = $want bytes" \
                "/dev/shm/${name#/}: $([[ $size == none ]] && echo "no such object" || echo "$size bytes")" \
                "§2: numbers are decimal, a leading zero too (strtol(s, &end, 10)); getopt takes -s08 as -s 08" || return
        lab_run "cons$slots" -- "$CONS" "-n$name"
        lab_assert_exit "cons$slots" 0 "§2: ring_consumer -n$name (getopt's glued form) to get the ring and exit 0" || return
        lab_assert_same_output "cons$slots" "$BATS_FILE_TMPDIR/small" "the producer's input, byte for byte" "§2 and §4" ||
            return
    done
}

# points: 4
@test "producer first, more input than the ring holds: it waits for a free slot until the consumer comes" {
    lab_spawn prod --in "$BATS_FILE_TMPDIR/mid" -- "$PROD" -n "$RING" -s 3 -c 4093
    wait_until_blocked prod "fill its 3 slots, then wait in sem_wait() for a free slot (no consumer yet)" \
        lab_blocked_in_sem_wait "§3: a producer whose input does not fit waits for a free slot until a consumer comes" ||
        return
    # It posted the named semaphore before its first read(), and closed it:
    # glibc's sem_open() maps the semaphore's file (that creates it under a
    # temporary name, /dev/shm/sem.XXXXXX, then links it as sem.NAME: the
    # mapping shows the temporary name), sem_close() unmaps it.
    local pid maps
    pid=$(lab_pid prod) || return
    maps=$(cat "/proc/$pid/maps") || return
    [[ $maps != *" /dev/shm/sem."* ]] ||
        lab_fail "ring_producer, waiting for a free slot, to have closed the named semaphore it posted" \
            "/proc/$pid/maps: $(grep -F " /dev/shm/sem." <<<"$maps" | head -n 1)" \
            "§5: sem_close() the named semaphore once it is posted" || return
    # The semaphore is posted already: the consumer may be done before a look at /dev/shm.
    lab_spawn cons --max-output 200000000 -- "$CONS" -n "$RING"
    assert_ends prod 10 0 "ring_producer to put the rest of its input in once the consumer came, and exit 0" \
        "§3: post the named semaphore as soon as the ring is set up, before the first read()" || return
    assert_ends cons 10 0 "ring_consumer, started second, to write everything out and exit 0" "§3 and §4" || return
    lab_assert_same_output cons "$BATS_FILE_TMPDIR/mid" "the producer's input, byte for byte (5000000 bytes)" \
        "§3 and §4: the consumer starts at slot 0, where the producer started" || return
    lab_assert_no_new_ipc "no object and no semaphore left once both have ended" "§5"
}

# points: 5
@test "empty input: the consumer sees the end of the stream at once and exits 0" {
    transfer empty 5
}

# points: 7
@test "100 MB arrive byte-exact (and 5 MB through a 3-slot ring of 4093-byte chunks)" {
    # The small ring first: a mutant that fails it fails in a second.
    TAG=2 transfer mid 8 -s 3 -c 4093 || return
    transfer big 20
}

# points: 2
@test "the smallest and largest values are accepted: 1 slot of 1 byte, 1024 slots of 16 KiB, 16 slots of 1 MiB (16 MiB), a name of 200 characters" {
    TAG=1 transfer mid 20 -s 1024 -c 16384 || return
    RING=$(long_name 200) TAG=2 transfer mid 20 -s 16 -c 1048576 || return
    # The smallest (§2: SLOTS and CHUNK from 1): a ring of one slot of one
    # byte, which 10000 bytes go round 10000 times, each side waiting for
    # the other at every byte.
    RING=$(lab_name least) TAG=3 transfer short 20 -s 1 -c 1
}

# points: 8
@test "the data goes through a MAP_SHARED mapping of /dev/shm/NAME, not a pipe or a file (strace)" {
    local calls=openat,mmap,munmap,read,readv,pread64,preadv,preadv2,write,writev,pwrite64,pwritev,pwritev2
    calls+=,pipe,pipe2,mknodat,socketpair
    start_consumer cons --strace "$calls" || return
    lab_spawn prod --strace "$calls" --in "$BATS_FILE_TMPDIR/strace" -- "$PROD" -n "$RING"
    local who path=/dev/shm/${RING#/} mapping
    for who in prod cons; do
        # Looked at as soon as each has mapped the object: with a private
        # mapping the pair never meets, and would only hang.
        lab_wait_until "$(lab_seconds 5)" ring_mapped "$who" "$path" || true
        mapping=$(ring_mapping "$who" "$path")
        [[ $mapping == *MAP_SHARED* ]] ||
            lab_fail "$who to open $path (shm_open) and map it with mmap(..., MAP_SHARED, fd, 0)" \
                "strace saw ${mapping:-no mmap() of the descriptor that openat($path) returned}" \
                "§1 and §4: shm_open, ftruncate (producer), mmap with MAP_SHARED: a MAP_PRIVATE copy is the process's own" ||
            return
    done
    assert_ends prod 20 0 "ring_producer to end normally under strace" "§4" || return
    assert_ends cons 20 0 "ring_consumer to end normally under strace" "§4" || return
    lab_assert_same_output cons "$BATS_FILE_TMPDIR/strace" "the input, byte for byte" "§4" || return
    for who in prod cons; do
        # Before it exits, each unmaps the ring: munmap() of the address that mmap() returned.
        awk -v path="\"$path\"" '
            index($0, "openat(") && index($0, path ",") && / = [0-9]+$/ { fd = $NF; next }
            fd != "" && addr == "" && /mmap\(/ && /MAP_SHARED/ && index($0, ", " fd ", ") { addr = $NF; next }
            addr != "" && index($0, "munmap(" addr ",") { found = 1 }
            END { exit !found }' "$LAB_LOGS/$who.strace" ||
            lab_fail "$who to munmap() the ring it mapped before it exits" \
                "strace saw no munmap() of the address its MAP_SHARED mmap() of $path returned" \
                "§5: when either program exits, it has unmapped the ring (munmap)" || return
        ! lab_strace_grep "$who" '(^|[0-9] +)(pipe2?|socketpair)\(|mknodat\(.*S_IFIFO' >/dev/null ||
            lab_fail "$who never to make a pipe, a FIFO or a socket" \
                "strace saw: $(lab_strace_grep "$who" '(pipe2?|socketpair|mknodat)\(' | head -n 1)" \
                "§1: the data goes through the shared memory only" || return
    done
    # The producer writes nothing but its messages (fd 2): the data goes into
    # the mapping, not through the object's descriptor (pwrite() included).
    # Once it has the ring, the consumer reads nothing at all (pread() included).
    local writes='(^|[0-9] +)(write|writev|pwrite64|pwritev2?)\(([013-9]|[0-9][0-9]+),'
    ! lab_strace_grep prod "$writes" >/dev/null ||
        lab_fail "ring_producer to write() (pwrite(), writev()) nothing but messages on stderr" \
            "strace saw: $(lab_strace_grep prod "$writes" | head -n 1)" \
            "§1 and §4: read() stdin straight into the slot; no pipe, no temporary file" || return
    awk -v path="\"$path\"" 'index($0, "openat(") && index($0, path ",") { seen = 1; next }
        seen && /(^|[0-9] +)(read|readv|pread64|preadv2?)\(/ { print; exit 1 }' "$LAB_LOGS/cons.strace" >"$LAB_RUN/cons.reads" ||
        lab_fail "ring_consumer to read() (pread(), readv()) nothing once it has opened the ring" \
            "strace saw: $(cat "$LAB_RUN/cons.reads")" \
            "§1 and §4: write() straight from the slot; no pipe, no temporary file"
}

# points: 4
@test "a second producer, or a left-over object, on the name: shm_open fails with File exists and nothing is removed" {
    lab_run first --in "$BATS_FILE_TMPDIR/small" -- "$PROD" -n "$RING"
    lab_assert_exit first 0 "§3: a producer whose input fits in the ring exits 0 without waiting" || return
    lab_run second --in "$BATS_FILE_TMPDIR/empty" -- "$PROD" -n "$RING"
    lab_assert_exit second 1 "§3: shm_open(NAME, O_CREAT | O_EXCL | O_RDWR, 0600): the object of the first producer exists" ||
        return
    lab_assert_stderr_line second "ring_producer: shm_open: File exists" "§3 and §8" || return
    assert_names_stay "$RING" "the second producer met File exists" || return
    lab_run cons -- "$CONS" -n "$RING"
    lab_assert_exit cons 0 "§3: the first producer's ring, intact, posted" || return
    lab_assert_same_output cons "$BATS_FILE_TMPDIR/small" "the first producer's input, byte for byte" \
        "§3: the second producer touches nothing of the first's" || return

    # An object left over by a killed run, with no semaphore: the same error.
    local name obj
    name=$(lab_name leftover)
    obj=/dev/shm/${name#/}
    head -c 4096 /dev/zero >"$obj" && lab_give_to_program "$obj" || return
    lab_run third --in "$BATS_FILE_TMPDIR/small" -- "$PROD" -n "$name"
    lab_assert_exit third 1 "§3: O_EXCL: an object left over under the name is an error" || return
    lab_assert_stderr_line third "ring_producer: shm_open: File exists" "§3 and §8" || return
    [[ -e $obj && $(stat -c %s "$obj") == 4096 ]] ||
        lab_fail "the left-over object $obj to stay as it was (4096 bytes)" \
            "$([[ -e $obj ]] && echo "it has $(stat -c %s "$obj") bytes" || echo "it is gone")" \
            "§3: the producer that met File exists removes nothing and changes nothing" || return
    # What was there is the test's own: removed here (the semaphore may be the producer's).
    rm -f -- "$obj" "/dev/shm/sem.${name#/}"
}

# points: 3
@test "an object that is not a ring (foreign, too small, wrong size): the consumer says so and exits 1" {
    not_a_ring empty "an empty object" truncate -c -s 0 || return
    not_a_ring small "an object of 10 bytes, less than the header" truncate -c -s 10 || return
    not_a_ring zeros "an object of zeros (no magic)" zero_object || return
    not_a_ring bigger "a ring with one page more than ring_size(slots, chunk)" truncate -c -s +4096 || return
    not_a_ring offset "a ring whose data_offset is 0" zero_data_offset || return

    # A ring whose first slot claims CHUNK + 1 bytes (§4: do not trust len[i]):
    # len[0], after the header's fields and semaphores, is the first 32-bit
    # word past the first four that holds the input's size; 4097 = 0x1001 is
    # written there (native byte order: little-endian).
    RING=$(lab_name badlen)
    local obj=/dev/shm/${RING#/} off
    lab_run prod-badlen --in "$BATS_FILE_TMPDIR/small" -- "$PROD" -n "$RING" -s 2 -c 4096
    lab_assert_exit prod-badlen 0 "§3: a producer whose input fits in the ring exits 0 without waiting" || return
    off=$(od -An -v -tu4 -w4 -N4096 "$obj" |
        awk -v n="$(stat -c %s "$BATS_FILE_TMPDIR/small")" 'NR > 4 && $1 == n { print (NR - 1) * 4; exit }')
    [[ -n $off ]] ||
        lab_fail "len[0] of the ring $obj to hold the input's size" "no 32-bit word of the first page does" \
            "§4: len[i], the bytes in slot i" || return
    printf '\001\020\000\000' | dd of="$obj" bs=1 seek="$off" conv=notrunc,nocreat status=none || return
    lab_run cons-badlen --wait 5 -- "$CONS" -n "$RING"
    lab_assert_exit cons-badlen 1 "§4: len[0] is 4097, more than chunk (4096): an error, exit 1" || return
    [[ ! -s $LAB_RUN/cons-badlen.out ]] ||
        lab_fail "ring_consumer to write nothing of a slot whose length is more than chunk" \
            "it wrote $(stat -c %s "$LAB_RUN/cons-badlen.out") bytes" "§4: do not trust len[i] either" || return
    rm -f -- "$obj" "/dev/shm/sem.${RING#/}"
}

# points: 2
@test "a call that fails: PROGRAM: CALL: strerror text and exit 1, and a partner that waits is told" {
    # The semaphore is posted, but the object is gone: the consumer's shm_open() fails.
    lab_run first --in "$BATS_FILE_TMPDIR/small" -- "$PROD" -n "$RING"
    lab_assert_exit first 0 "§3: a producer whose input fits in the ring exits 0 without waiting" || return
    rm -f -- "/dev/shm/${RING#/}"
    lab_run lone -- "$CONS" -n "$RING"
    lab_assert_exit lone 1 "§8: a failed call is exit status 1" || return
    lab_assert_stderr_line lone "ring_consumer: shm_open: No such file or directory" "§8: PROGRAM: CALL: strerror text" ||
        return
    rm -f -- "/dev/shm/sem.${RING#/}"    # the test's own doing: whatever is left of it

    # The producer's standard input is a directory: its read() of it fails
    # (EISDIR), and strace stops it right there until the consumer has
    # mapped the ring, removed the names and waits for a full slot.
    start_consumer cons || return
    lab_spawn prod --in / --inject 'read:signal=SIGSTOP' --trace-path / -- "$PROD" -n "$RING"
    local pid
    pid=$(lab_pid prod) || return
    lab_wait_while_running prod 5 is_stopped "$pid" ||
        lab_fail "ring_producer to read() its standard input (the grader stops it there)" "$(lab_describe prod)" \
            "§3: the producer posts the named semaphore, then reads its input" "$(lab_show_output prod)" || return
    wait_until_blocked cons "map the ring, remove both names and wait in sem_wait() for a full slot" \
        waits_in_ring "§5: the consumer removes the names once it has mapped the ring" || return
    lab_signal prod CONT
    assert_ends prod 5 1 "ring_producer to exit 1 once its read() failed" "§8: a failed call is exit status 1" || return
    lab_assert_stderr_line prod "ring_producer: read: Is a directory" "§8: PROGRAM: CALL: strerror text" || return
    assert_ends cons 5 1 "ring_consumer, which waits for a full slot, to exit 1 soon after the producer gave up" \
        "§8: a call failing once there is a ring gives up as in §6: quit set, full_slots posted" || return
    lab_assert_stderr_line cons "ring_consumer: the producer quit before the end of the stream" "§6" || return
    lab_assert_no_new_ipc "no object and no semaphore left" "§8: the producer that gives up removes both names, as in §6" ||
        return

    # The producer's ftruncate() or mmap() of its new object fails: strace
    # injects the error into the calls on /dev/shm/NAME only (-P), so the
    # loader's and sem_open()'s own mmap() calls are not counted.
    local -a fault=("ftruncate ENOSPC No space left on device" "mmap ENOMEM Cannot allocate memory")
    local f call err text
    for f in "${fault[@]}"; do
        read -r call err text <<<"$f"
        RING=$(lab_name "$call")
        lab_run "prod-$call" --inject "$call:error=$err" --trace-path "/dev/shm/${RING#/}" \
            --in "$BATS_FILE_TMPDIR/small" -- "$PROD" -n "$RING"
        lab_assert_exit "prod-$call" 1 "§8: ring_producer whose $call() of its new object fails ($err, injected by strace) exits 1" ||
            return
        lab_assert_stderr_line "prod-$call" "ring_producer: $call: $text" "§8: PROGRAM: CALL: strerror text" || return
        lab_assert_no_new_ipc "no object and no semaphore left by a producer whose $call() failed" \
            "§8: a producer whose ftruncate(), mmap() or sem_init() fails removes both names (shm_unlink, sem_unlink), as on a signal" ||
            return
    done
}

# points: 5
@test "SIGINT to the producer in the middle: both end, and nothing is left in /dev/shm" {
    start_consumer cons || return
    # Every call of the producer is traced: its handler may make none (§6).
    lab_spawn prod --strace all --in-pipe -- "$PROD" -n "$RING"
    lab_input prod "first line"
    lab_wait_output cons '^first line$' 5 ||
        lab_fail "ring_consumer to write \"first line\" as soon as the producer read it" "$(lab_describe cons)" \
            "§4: the producer puts what each read() returns into a slot at once" \
            "$(lab_show_output cons out)" "$(lab_show_output prod)" || return
    wait_until_blocked prod "wait in read() for more input" blocked_in_read "§4" || return
    lab_signal prod INT
    assert_ends_input_open prod 5 130 "ring_producer to exit 130 soon after SIGINT" \
        "§6: no SA_RESTART, so the blocked read() returns EINTR (hint 5)" || return
    lab_assert_stderr_line prod "ring_producer: interrupted by SIGINT" "§6" || return
    [[ $(wc -l <"$LAB_RUN/prod.err") == 1 ]] ||
        lab_fail "the line \"ring_producer: interrupted by SIGINT\" alone on stderr" \
            "$(wc -l <"$LAB_RUN/prod.err") lines" \
            "§5: a name already gone (ENOENT) is not an error: its consumer removed both names" \
            "$(lab_show_output prod)" || return
    # The handler only stores the signal's number: the call strace logs right
    # after the signal's delivery is the handler's return, rt_sigreturn().
    local after
    after=$(awk '$2 == "---" && $3 == "SIGINT" { getline; sub(/^[0-9]+ +/, ""); print; exit }' "$LAB_LOGS/prod.strace")
    [[ $after == rt_sigreturn\(* ]] ||
        lab_fail "ring_producer's SIGINT handler to make no call: rt_sigreturn() right after the signal's delivery" \
            "strace saw after --- SIGINT: ${after:-nothing}" \
            "§6: the handler only stores the signal's number in a volatile sig_atomic_t; the main line cleans up" || return
    assert_ends cons 5 1 "ring_consumer, which waits for a full slot, to exit 1 soon after the producer quit" \
        "§6: the producer sets quit and posts full_slots, so that the consumer wakes up (hint 5)" || return
    lab_assert_stderr_line cons "ring_consumer: the producer quit before the end of the stream" "§6" || return
    lab_assert_no_new_ipc "no object and no semaphore left" "§5 and §6"
}

# points: 5
@test "SIGINT to the producer between two calls (a read() that has its bytes): it still exits 130" {
    # Under strace every read() of the producer returns 3 s after it has its
    # bytes.  The line is in the pipe before the SIGINT is sent (lab_input's
    # write() has returned), so the woken read() returns its count, not
    # EINTR, and strace holds the producer there while the signal comes: no
    # call is blocked when it arrives.  The trace tells whether the signal
    # came right after that read(); if the grader was too slow to send it in
    # those 3 s (it came in the next read() instead), the try proves nothing
    # and is made again with a new ring.
    local try pid
    for try in 1 2 3; do
        RING=$(lab_name "try$try")
        start_consumer "cons$try" || return
        lab_spawn "prod$try" --in-pipe --inject 'read:delay_exit=3000000' -- "$PROD" -n "$RING"
        wait_until_blocked "prod$try" "wait in read() for input" blocked_in_read "§4" || return
        pid=$(lab_pid "prod$try") || return
        lab_input "prod$try" "first line" || return
        lab_signal "prod$try" INT
        assert_ends "prod$try" 10 130 "ring_producer to exit 130 soon after a SIGINT that came while no call was blocked" \
            "§6: a signal may come between two calls: look at the flag after every read(), not only when a call fails with EINTR (hint 5)" ||
            return
        lab_assert_stderr_line "prod$try" "ring_producer: interrupted by SIGINT" "§6" || return
        assert_ends "cons$try" 5 1 "ring_consumer to exit 1 soon after the producer quit" \
            "§6: the producer sets quit and posts full_slots" || return
        # The call traced just before the signal: the read() that had the line.
        awk -v p="$pid" '$1 == p && $2 ~ /^read\(/ { last = $0 }
            $1 == p && $2 == "---" && $3 == "SIGINT" { found = 1; ok = last ~ /= 11( \(DELAYED\))?$/; exit }
            END { exit !(found && ok) }' "$LAB_LOGS/prod$try.strace" && break
    done
    lab_assert_no_new_ipc "no object and no semaphore left" "§5 and §6"
}

# points: 8
@test "SIGINT or SIGTERM to the consumer in the middle: the producer ends too" {
    # The consumer's output goes to a reader that stops itself: the consumer
    # blocks in write(), the ring fills up, the producer waits for a free slot.
    # A slot of 100000 bytes is more than the FIFO holds (64 KiB at most): the
    # consumer's first write() blocks with part of its bytes written, and the
    # SIGINT makes it return that count, not EINTR (§6: look at the flag
    # before every write(); the write() of the rest would block for good).
    # strace holds the consumer 0.5 s after each futex() call, the wake-up
    # of its last sem_post() included: the producer, woken, must find quit
    # already set (§6: set quit, then post).
    consumer_to_reader 'kill -STOP $$ && exec cat <&9 >/dev/null' --inject 'futex:delay_exit=500000' -- -c 100000 ||
        return
    wait_until_blocked prod "wait in sem_wait() for a free slot once the ring is full" lab_blocked_in_sem_wait \
        "§4: sem_wait() on free_slots" || return
    lab_signal cons INT
    assert_ends cons 5 130 "ring_consumer to exit 130 soon after SIGINT, although its write() was blocked" \
        "§6: no SA_RESTART; look at the flag before every write(), a short write is not an error (hint 5)" || return
    lab_assert_stderr_line cons "ring_consumer: interrupted by SIGINT" "§6" || return
    assert_ends prod 5 1 "ring_producer, which waits for a free slot, to exit 1 soon after the consumer quit" \
        "§6: the consumer sets quit and posts free_slots, so that the producer wakes up (hint 5)" || return
    lab_assert_stderr_line prod "ring_producer: the consumer quit before the end of the stream" "§6" || return
    lab_assert_no_new_ipc "no object and no semaphore left" "§5 and §6" || return

    # SIGTERM, at another moment: the consumer waits for a full slot, the
    # producer for input. The producer finds quit with its next line.
    RING=$(lab_name term)
    start_consumer tcons || return
    lab_spawn tprod --in-pipe -- "$PROD" -n "$RING"
    lab_input tprod "first line"
    lab_wait_output tcons '^first line$' 5 ||
        lab_fail "ring_consumer to write \"first line\"" "$(lab_describe tcons)" "§4" "$(lab_show_output tcons out)" ||
        return
    wait_until_blocked tcons "wait in sem_wait() for a full slot" lab_blocked_in_sem_wait "§4: sem_wait() on full_slots" ||
        return
    lab_signal tcons TERM
    assert_ends tcons 5 143 "ring_consumer, waiting for a full slot, to exit 143 soon after SIGTERM" \
        "§6: SIGINT or SIGTERM, at any time: exit 128 + the signal's number" || return
    lab_assert_stderr_line tcons "ring_consumer: interrupted by SIGTERM" "§6: the signal's name" || return
    lab_input tprod "second line"
    assert_ends_input_open tprod 5 1 "ring_producer to exit 1 at its next line, the consumer having quit" \
        "§6: the consumer sets quit and posts free_slots; the producer finds quit after its sem_wait()" || return
    lab_assert_stderr_line tprod "ring_producer: the consumer quit before the end of the stream" "§6" || return
    lab_assert_no_new_ipc "no object and no semaphore left" "§5 and §6"
}

# points: 3
@test "the consumer's reader goes away: write() fails with EPIPE, and both programs end with status 1" {
    # The consumer's output goes to a reader that takes 100000 bytes and
    # exits: the next write() of the consumer finds no reader.
    consumer_to_reader 'exec head -c 100000 <&9 >/dev/null' || return
    assert_ends cons 5 1 "ring_consumer to exit 1 once its reader has gone (write() fails with EPIPE)" \
        "§6: ignore SIGPIPE, so that write() fails with EPIPE instead of killing the consumer; give up as for a signal" ||
        return
    lab_assert_stderr_line cons "ring_consumer: write: Broken pipe" "§6 and §8: PROGRAM: CALL: strerror text" || return
    assert_ends prod 5 1 "ring_producer, which waits for a free slot, to exit 1 soon after the consumer gave up" \
        "§6: the consumer that cannot write sets quit and posts free_slots, as for a signal (hint 5)" || return
    lab_assert_stderr_line prod "ring_producer: the consumer quit before the end of the stream" "§6" || return
    lab_assert_no_new_ipc "no object and no semaphore left" "§5 and §6" || return

    # A write() that writes less (§4): the consumer may make files of 8192
    # bytes at most (RLIMIT_FSIZE, SIGXFSZ ignored), its one slot holds 10000
    # bytes. write() returns 8192; the write() of the rest fails with EFBIG.
    RING=$(lab_name short)
    lab_run sprod --in "$BATS_FILE_TMPDIR/short" -- "$PROD" -n "$RING"
    lab_assert_exit sprod 0 "§3: a producer whose input fits in the ring exits 0 without waiting" || return
    lab_run scons --max-output 8192 -- bash -c 'trap "" XFSZ && exec "$@"' _ "$CONS" -n "$RING"
    lab_assert_exit scons 1 \
        "§4: write() wrote 8192 of the slot's 10000 bytes: the rest is written, and that write() fails (EFBIG), exit 1" ||
        return
    lab_assert_stderr_line scons "ring_consumer: write: File too large" "§4 and §8: the rest of a short write is written" ||
        return
    head -c 8192 "$BATS_FILE_TMPDIR/short" >"$LAB_RUN/short.8192"
    lab_assert_same_output scons "$LAB_RUN/short.8192" "the first 8192 bytes of the input" "§4" || return
    lab_assert_no_new_ipc "no object and no semaphore left" "§5"
}

# points: 8
@test "a side still waiting for its partner removes the names on SIGTERM or SIGINT" {
    start_consumer cons || return
    wait_until_blocked cons "wait in sem_wait() for a producer" lab_blocked_in_sem_wait "§3" || return
    lab_signal cons TERM
    assert_ends cons 5 143 "ring_consumer to exit 143 soon after SIGTERM" "§6" || return
    lab_assert_stderr_line cons "ring_consumer: interrupted by SIGTERM" "§6" || return
    lab_assert_no_new_ipc "no semaphore left once the consumer that waited for a producer is gone" \
        "§6: a consumer still waiting removes the semaphore (sem_unlink): it may have created it" || return
    # SIGINT to a waiting consumer: its own name and status.
    RING=$(lab_name int)
    start_consumer icons || return
    wait_until_blocked icons "wait in sem_wait() for a producer" lab_blocked_in_sem_wait "§3" || return
    lab_signal icons INT
    assert_ends icons 5 130 "ring_consumer, waiting for its producer, to exit 130 soon after SIGINT" \
        "§6: SIGINT or SIGTERM, exit 128 + the signal's number" || return
    lab_assert_stderr_line icons "ring_consumer: interrupted by SIGINT" "§6: the signal's name" || return
    lab_assert_no_new_ipc "no semaphore left once the consumer that waited for a producer is gone" "§6" || return

    producer_interrupted prod INT 130 "§6: no SA_RESTART, so the blocked read() returns EINTR" || return
    # SIGTERM to a producer waiting for input: as SIGINT, with its own name and status.
    RING=$(lab_name term)
    producer_interrupted termprod TERM 143 "§6: SIGINT or SIGTERM, exit 128 + the signal's number" || return

    # A producer whose input does not fit, its consumer never came, waits
    # in sem_wait() for a free slot: SIGTERM ends that wait too.
    RING=$(lab_name full)
    lab_spawn fullprod --in "$BATS_FILE_TMPDIR/mid" -- "$PROD" -n "$RING" -s 3 -c 4093
    wait_until_blocked fullprod "fill its 3 slots, then wait in sem_wait() for a free slot (no consumer yet)" \
        lab_blocked_in_sem_wait "§3: a producer whose input does not fit waits for a free slot" || return
    lab_signal fullprod TERM
    assert_ends fullprod 5 143 "ring_producer, waiting in sem_wait() for a free slot, to exit 143 soon after SIGTERM" \
        "§6: no SA_RESTART: the blocked sem_wait() returns EINTR; look at the flag then, do not just wait again" || return
    lab_assert_stderr_line fullprod "ring_producer: interrupted by SIGTERM" "§6: the signal's name" || return
    lab_assert_no_new_ipc "no object and no semaphore left once the producer whose consumer never came is gone" \
        "§6: the producer removes both names (shm_unlink, sem_unlink)"
}

# producer_interrupted NAME SIG STATUS LOOK_AT: a producer on $RING whose
# consumer never came, waiting in read() for input, gets SIG: it says so,
# exits STATUS and removes both names.
producer_interrupted() {
    local name=$1 sig=$2 status=$3
    lab_spawn "$name" --in-pipe -- "$PROD" -n "$RING"
    lab_wait_while_running "$name" 5 shm_exists "$RING" ||
        lab_fail "the object /dev/shm/${RING#/} once ring_producer runs" "$(lab_describe "$name")" "§3" \
            "$(lab_show_output "$name")" || return
    wait_until_blocked "$name" "wait in read() for input" blocked_in_read "§4" || return
    lab_signal "$name" "$sig"
    assert_ends_input_open "$name" 5 "$status" "ring_producer to exit $status soon after SIG$sig" "$4" || return
    lab_assert_stderr_line "$name" "ring_producer: interrupted by SIG$sig" "§6: the signal's name" || return
    lab_assert_no_new_ipc "no object and no semaphore left once the producer whose consumer never came is gone" \
        "§6: the producer removes both names (shm_unlink, sem_unlink); an ENOENT is fine"
}

# points: 4
@test "both names are gone as soon as the consumer has mapped the ring (even SIGKILL leaves nothing)" {
    start_consumer cons || return
    lab_spawn prod --in-pipe -- "$PROD" -n "$RING"
    lab_input prod "first line"
    lab_wait_output cons '^first line$' 5 ||
        lab_fail "ring_consumer to write \"first line\"" "$(lab_describe cons)" "§4" \
            "$(lab_show_output cons out)" || return
    local left=""
    shm_exists "$RING" && left+=" /dev/shm/${RING#/}"
    sem_exists "$RING" && left+=" /dev/shm/sem.${RING#/}"
    [[ -z $left ]] ||
        lab_fail "no name left while both run: the consumer removes them once it has mapped the ring" \
            "still there:$left" "§5: shm_unlink and sem_unlink right after mmap, in the consumer" || return
    # The consumer has closed the named semaphore too: glibc's sem_open()
    # maps its file (the mapping shows /dev/shm/sem.XXXXXX, the temporary
    # name it was made under, or sem.NAME), sem_close() unmaps it.
    local pid maps
    pid=$(lab_pid cons) || return
    maps=$(cat "/proc/$pid/maps") || return
    [[ $maps != *" /dev/shm/sem."* ]] ||
        lab_fail "ring_consumer, writing slots out, to have closed the named semaphore it waited on" \
            "/proc/$pid/maps: $(grep -F " /dev/shm/sem." <<<"$maps" | head -n 1)" \
            "§5: the consumer removes the names once it has mapped the object, and closed its descriptor and the semaphore (sem_close)" ||
            return
    lab_signal prod KILL
    lab_signal cons KILL
}

# points: 6
@test "no copy of its own, no polling: read() into the slot, write() from it, a side with nothing to do sleeps in sem_wait()" {
    # A ring of 4 slots for 1 MB: each side waits for the other now and
    # then, and every read() and write() is logged with its buffer address.
    local calls=openat,mmap,read,write,nanosleep,clock_nanosleep,sched_yield,poll,ppoll,select,pselect6
    start_consumer cons --strace "$calls" --strace-raw read,write || return
    lab_spawn prod --strace "$calls" --strace-raw read,write --in "$BATS_FILE_TMPDIR/strace" -- \
        "$PROD" -n "$RING" -s 4 -c 32768
    assert_ends prod 20 0 "ring_producer to end normally under strace" "§4" || return
    assert_ends cons 20 0 "ring_consumer to end normally under strace" "§4" || return
    lab_assert_same_output cons "$BATS_FILE_TMPDIR/strace" "the input, byte for byte" "§4" || return
    assert_io_in_ring prod read 0 32768 \
        "ring_producer to read() its input straight into the slots of its mapping, CHUNK (32768) bytes asked each time" \
        "§4: n = read(stdin, slot i, CHUNK), one read() per slot: no buffer of your own, no memcpy(), no stdio" || return
    assert_io_in_ring cons write 1 "" \
        "ring_consumer to write() its output straight from the slots of its mapping" \
        "§4: write(stdout, slot i, len[i]): no buffer of your own, no memcpy(), no stdio" || return
    local who
    local -A program=([prod]=ring_producer [cons]=ring_consumer)
    for who in prod cons; do
        ! lab_strace_grep "$who" "$SLEEP_CALLS" >/dev/null ||
            lab_fail "${program[$who]} never to sleep or poll: a side that must wait sleeps in sem_wait()" \
                "strace saw: $(lab_strace_grep "$who" "$SLEEP_CALLS" | head -n 1)" \
                "§7: never poll; sem_wait() sleeps until the partner's sem_post()" || return
    done

    # The consumer has written out all there is, the producer waits for input:
    # the consumer sleeps in sem_wait() for a full slot (a futex wait).
    RING=$(lab_name idle)
    start_consumer idle-cons || return
    lab_spawn idle-prod --in-pipe -- "$PROD" -n "$RING"
    lab_input idle-prod "first line"
    lab_wait_output idle-cons '^first line$' 5 ||
        lab_fail "ring_consumer to write \"first line\"" "$(lab_describe idle-cons)" "§4" \
            "$(lab_show_output idle-cons out)" || return
    wait_until_blocked idle-cons "wait in sem_wait() for a full slot: the ring is empty, its producer waits for input" \
        lab_blocked_in_sem_wait "§7: never poll: block in sem_wait(full_slots)" || return
    wait_until_blocked idle-prod "wait in read() for input" blocked_in_read "§4" || return
    lab_close_input idle-prod
    assert_ends idle-prod 5 0 "ring_producer to put the end of the stream in and exit 0 once its input is closed" "§4" || return
    assert_ends idle-cons 5 0 "ring_consumer to see the end of the stream and exit 0" "§4"
}

# points: 5
@test "valgrind: no memory error, no leak, no descriptor left open (both programs)" {
    start_consumer cons --valgrind || return
    lab_spawn prod --valgrind --in "$BATS_FILE_TMPDIR/vg" -- "$PROD" -n "$RING" -s 2
    assert_ends prod 10 0 "ring_producer to end normally under valgrind" "§4" || return
    assert_ends cons 10 0 "ring_consumer to end normally under valgrind" "§4" || return
    lab_assert_same_output cons "$BATS_FILE_TMPDIR/vg" "the input, byte for byte, under valgrind too" "§4" || return
    local who
    for who in prod cons; do
        lab_assert_valgrind_clean "$who" "§8" || return
        lab_assert_valgrind_fds "$who" "§5: close the object's descriptor once it is mapped" ||
            return
    done
}

# points: 5
@test "bad arguments: a usage message on stderr and exit status 2, nothing created" {
    # Each case is its arguments, separated by "|" (an argument may hold a
    # blank). The test's own NAME comes first where the case is not about
    # the name: a program that takes the case creates nothing of others'.
    local n="-n|$RING" long
    long=$(long_name 201)
    # -s 1025 and -c 1048577 also with a partner small enough that SLOTS x
    # CHUNK stays under 16 MiB: the bound itself must refuse them.  2^32 + 1
    # is 1 once cut to 32 bits: the number is checked before any cast.
    local -a bad=("$n|-s|0" "$n|-s|1025" "$n|-s|1025|-c|1" "$n|-c|1048577|-s|1" "$n|-s|x" "$n|-s|+5" "$n|-s|-1" "$n|-s| 5" "$n|-c|0" "$n|-c|1048577"
        "$n|-c|12k" "$n|-c|5 " "$n|-s|4294967297" "$n|-c|4294967297" "$n|-s|1024|-c|65536" "$n|-s|17|-c|1048576" "-n|noslash" "-n|/a/b" "-n|/"
        "-n|$long" "$n|-x" "$n|-s" "$n|extra")
    local i
    for i in "${!bad[@]}"; do
        assert_usage_error "bad$i" "$PROD" "${bad[$i]}" "usage: ring_producer [-n NAME] [-s SLOTS] [-c CHUNK]" || return
    done
    bad=("-n|noslash" "-n|/a/b" "-n|$long" "$n|-x" "-n" "$n|extra" "$n|-s|4" "$n|-c|4096")
    for i in "${!bad[@]}"; do
        assert_usage_error "cbad$i" "$CONS" "${bad[$i]}" "usage: ring_consumer [-n NAME]" || return
    done
    lab_assert_no_new_ipc "no object and no semaphore created by a usage error" "§2: check the arguments first"
}
