# Failure messages a learner can act on: what was expected, what happened,
# where to look.  Output of a program is shown as an excerpt (head and tail,
# long lines cut), never as a flood.

# shellcheck shell=bash

# lab_fail EXPECTED HAPPENED [LOOK_AT] [DETAIL...]: prints the message and
# returns 1, so `check || lab_fail ...` fails the test at that line.
lab_fail() {
    local expected=$1 happened=$2 look=${3:-} line
    {
        printf '%s: %s\n' "$(lab_text expected)" "$expected"
        printf '%s: %s\n' "$(lab_text happened)" "$happened"
        [[ -n $look ]] && printf '%s:  %s\n' "$(lab_text look)" "$look"
        shift 3 2>/dev/null || shift $#
        for line in "$@"; do
            printf '%s\n' "$line"
        done
    } >&2
    return 1
}

# lab_excerpt FILE [HEAD_LINES] [TAIL_LINES]: the file as a learner should
# see it: at most HEAD+TAIL lines, each cut at 160 characters, control
# characters made visible, with a note of what was left out.
lab_excerpt() {
    local file=$1 head=${2:-12} tail=${3:-6}
    if [[ ! -s $file ]]; then
        printf '    (empty)\n'
        return 0
    fi
    # A flood is read from its two ends only: awk over 64 MB takes seconds.
    local size
    size=$(stat -c %s "$file")
    {
        if ((size > 262144)); then
            head -c 131072 "$file"
            printf '\n... (the middle of %s bytes left out) ...\n' "$size"
            tail -c 65536 "$file"
        else
            cat "$file"
        fi
    } | LC_ALL=C awk -v head="$head" -v tail="$tail" '
        function show(s) {
            gsub(/\t/, "\\t", s); gsub(/\r/, "\\r", s)
            gsub(/[\001-\010\013-\037\177]/, "?", s)
            if (length(s) > 160) s = substr(s, 1, 160) " ...(" length(s) - 160 " more characters)"
            printf "    | %s\n", s
        }
        { n = NR; if (NR <= head) show($0); else ring[NR % tail] = $0 }
        END {
            if (n > head + tail) printf "    ... %d lines left out ...\n", n - head - tail
            start = n - tail + 1; if (start <= head) start = head + 1
            for (i = start; i <= n; i++) show(ring[i % tail])
        }' | tr '\000' '?'
    if ((size > 1048576)); then
        printf '    (%s bytes in all)\n' "$size"
    fi
}

# lab_describe_signal SIGNAME: a few words for the signals learners meet.
lab_describe_signal() {
    case $1 in
    SIGSEGV) echo "segmentation fault: an invalid memory access" ;;
    SIGABRT) echo "abort: assert() failed or the C library found heap corruption" ;;
    SIGBUS) echo "bus error: access beyond the end of a mapped file or object" ;;
    SIGFPE) echo "arithmetic error, such as a division by zero" ;;
    SIGPIPE) echo "broken pipe: it wrote to a pipe or socket nobody reads any more" ;;
    SIGXFSZ) echo "output limit: it wrote more than the grader allows" ;;
    SIGKILL) echo "killed" ;;
    SIGTERM) echo "terminated" ;;
    SIGINT) echo "interrupted" ;;
    SIGILL) echo "illegal instruction" ;;
    *) echo "signal $1" ;;
    esac
}

# lab_show_output NAME [err|out]: an excerpt of what NAME printed, headed by
# the first sanitizer error in it (kind and file:line), if any.
lab_show_output() {
    local name=$1 which=${2:-err}
    local file="$LAB_RUN/$name.$which"
    local label=stderr
    [[ $which == out ]] && label=stdout
    [[ $which == err ]] && lab_sanitizer_error "$file"
    printf '%s of %s:\n' "$label" "$name"
    lab_excerpt "$file"
}

# lab_sanitizer_error FILE: "sanitizer: KIND at FILE:LINE" for the first
# AddressSanitizer or UndefinedBehaviorSanitizer report in FILE (make grade
# SANITIZE=1), nothing otherwise.
lab_sanitizer_error() {
    [[ -s $1 ]] || return 0
    LC_ALL=C awk '
        /ERROR: AddressSanitizer: / && kind == "" {
            kind = $0; sub(/.*ERROR: AddressSanitizer: /, "AddressSanitizer: ", kind); sub(/ on address.*/, "", kind)
            asan = 1; next
        }
        asan && where == "" && / #[0-9]+ 0x[0-9a-f]+ in / && $0 !~ /(libasan|sanitizer_common|asan_)/ {
            where = $NF
        }
        /: runtime error: / && kind == "" {
            where = $0; sub(/: runtime error: .*/, "", where)
            kind = $0; sub(/.*: runtime error: /, "UndefinedBehaviorSanitizer: ", kind)
        }
        END {
            sub(/.*\//, "", where)     # the file name is enough: the path is the grader'"'"'s
            if (kind != "") printf "sanitizer: %s%s\n", kind, (where == "" ? "" : " at " where)
        }' "$1"
}

# lab_first_difference EXPECTED_FILE ACTUAL_FILE: where two files first
# differ, as lines a learner can read (line number, both versions).
lab_first_difference() {
    local expected=$1 actual=$2 where line
    where=$(LC_ALL=C cmp -- "$expected" "$actual" 2>&1 | head -n 1)
    case $where in
    *"EOF on"*)
        local want got
        want=$(stat -c %s "$expected") got=$(stat -c %s "$actual")
        if ((got == 0)); then
            printf '    no output at all (expected %s bytes)\n' "$want"
        elif ((got < want)); then
            printf '    the output stops early: %s of the %s bytes expected, all of them right\n' "$got" "$want"
        else
            printf '    the expected %s bytes, then %s bytes too many\n' "$want" "$((got - want))"
        fi
        return
        ;;
    esac
    line=$(sed -nE 's/.* line ([0-9]+).*/\1/p' <<<"$where")
    [[ -n $line ]] || { printf '    %s\n' "$where"; return; }
    printf '    first difference at line %s (expected %s bytes in all, got %s):\n' \
        "$line" "$(stat -c %s "$expected")" "$(stat -c %s "$actual")"
    printf '    expected:\n'
    sed -n "${line}p" "$expected" | lab_excerpt /dev/stdin 1 0
    printf '    got:\n'
    sed -n "${line}p" "$actual" | lab_excerpt /dev/stdin 1 0
}

# lab_assert_same_file EXPECTED_FILE ACTUAL_FILE WHAT LOOK_AT NAME: the
# file (NAME's output, or something made from it) is byte for byte
# EXPECTED_FILE; the message shows the first difference and NAME's output.
lab_assert_same_file() {
    local expected=$1 actual=$2 name=$5
    cmp -s -- "$expected" "$actual" && return 0
    lab_fail "$3" "the output of $name differs ($(lab_describe "$name"))" "$4" \
        "$(lab_first_difference "$expected" "$actual")" "$(lab_show_output "$name")"
}

# lab_assert_same_output NAME EXPECTED_FILE WHAT LOOK_AT: NAME's stdout is
# byte for byte EXPECTED_FILE.
lab_assert_same_output() {
    lab_assert_same_file "$2" "$LAB_RUN/$1.out" "$3" "$4" "$1"
}

# lab_assert_stderr_line NAME LINE LOOK_AT: NAME's stderr has LINE, exactly,
# as one whole line.
lab_assert_stderr_line() {
    local name=$1 line=$2
    grep -qxF -- "$line" "$LAB_RUN/$name.err" 2>/dev/null && return 0
    lab_fail "the line \"$line\" on stderr" "no such line ($(lab_describe "$name"))" "$3" \
        "$(lab_show_output "$name")"
}
