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

# lab_spool FILE: prints the name of a regular file with FILE's bytes, and
# on failure why (status 1).  A regular file is its own answer.  A pipe
# (/dev/stdin) or a process substitution (<(...)) can be read only once, and
# neither -s nor stat knows how many bytes it holds: it is read once into a
# temporary file, which the caller removes with lab_unspool.
lab_spool() {
    local file=$1 copy err
    if [[ -f $file ]]; then
        printf '%s\n' "$file"
        return 0
    fi
    if ! copy=$(mktemp "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/lab-spool.XXXXXX" 2>&1); then
        printf '%s\n' "$copy"
        return 1
    fi
    if ! err=$(cat -- "$file" 2>&1 >"$copy"); then
        rm -f -- "$copy"
        printf '%s\n' "${err:-cat $file failed}"
        return 1
    fi
    printf '%s\n' "$copy"
}

# lab_unspool FILE COPY: removes COPY if lab_spool made it for FILE.
lab_unspool() {
    [[ $2 == "$1" ]] || rm -f -- "$2"
}

# lab_excerpt FILE [HEAD_LINES] [TAIL_LINES]: the file as a learner should
# see it: at most HEAD+TAIL lines, each cut at 160 characters, control
# characters made visible, with a note of what was left out.  FILE may be a
# pipe (... | lab_excerpt /dev/stdin).
lab_excerpt() {
    local file=$1 head=${2:-12} tail=${3:-6} copy
    # A program that never wrote has no file: that is no output.
    if [[ ! -e $file ]]; then
        printf '    (empty)\n'
        return 0
    fi
    if ! copy=$(lab_spool "$file"); then
        printf '    (the grader could not read it: %s)\n' "$copy"
        return 0
    fi
    lab_excerpt_file "$copy" "$head" "$tail"
    lab_unspool "$file" "$copy"
}

# lab_excerpt_file FILE HEAD_LINES TAIL_LINES: lab_excerpt of a regular file.
lab_excerpt_file() {
    local file=$1 head=$2 tail=$3 size
    if [[ ! -s $file ]]; then
        printf '    (empty)\n'
        return 0
    fi
    # A flood is read from its two ends only: awk over 64 MB takes seconds.
    size=$(stat -c %s -- "$file") || size=0
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
        { n = NR; if (NR <= head) show($0); else if (tail > 0) ring[NR % tail] = $0 }
        END {
            if (n > head + tail) printf "    ... %d lines left out ...\n", n - head - tail
            start = n - tail + 1; if (start <= head) start = head + 1
            for (i = start; i <= n; i++) show(ring[i % tail])
        }' | tr '\000' '?'
    if ((size > 1048576)); then
        printf '    (%s bytes in all)\n' "$size"
    fi
    return 0
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
# differ, as lines a learner can read: the line, the byte, and both versions
# of that line with their invisible bytes shown.  Either file may be a pipe
# or a process substitution: it is read once, into a temporary copy.
lab_first_difference() {
    local expected actual rc=0
    if ! expected=$(lab_spool "$1"); then
        printf '    (the grader could not read the expected output: %s)\n' "$expected"
        return 1
    fi
    if ! actual=$(lab_spool "$2"); then
        printf '    (the grader could not read the output: %s)\n' "$actual"
        lab_unspool "$1" "$expected"
        return 1
    fi
    lab_difference_shown "$expected" "$actual" || rc=$?
    lab_unspool "$1" "$expected"
    lab_unspool "$2" "$actual"
    return "$rc"
}

# lab_difference_shown EXPECTED_FILE ACTUAL_FILE: lab_first_difference of two
# regular files.  At most 60 bytes are shown on each side of the first
# differing byte, so a long line or a binary flood is never shown whole.
lab_difference_shown() {
    local expected=$1 actual=$2 want got where off line back col start
    if ! want=$(stat -c %s -- "$expected" 2>&1); then
        printf '    (the grader could not compare the outputs: %s)\n' "$want"
        return 1
    fi
    if ! got=$(stat -c %s -- "$actual" 2>&1); then
        printf '    (the grader could not compare the outputs: %s)\n' "$got"
        return 1
    fi
    where=$(LC_ALL=C cmp -- "$expected" "$actual" 2>&1)
    case $? in
    0) printf '    (no difference: the same %s bytes)\n' "$want"; return 0 ;;
    1) ;;
    *) printf '    (the grader could not compare the outputs: %s)\n' "$where"; return 1 ;;
    esac
    if ((got == 0)); then
        printf '    no output at all (expected %s bytes)\n' "$want"
        return 0
    fi
    # "A B differ: byte N, line L" ("char N" before diffutils 3.3).  "EOF on
    # A ..." when one file is the other's beginning: the first difference is
    # then just past the end of the shorter one.
    if [[ $where =~ differ:\ (byte|char)\ ([0-9]+), ]]; then
        off=${BASH_REMATCH[2]}
    else
        off=$(((want < got ? want : got) + 1))
    fi
    # The bytes before OFF are the same in both files, so are the line and
    # the column.  cmp's own line number is not used: its wording changes
    # between versions.
    line=$(head -c "$((off - 1))" -- "$expected" | tr -cd '\n' | wc -c) || line=0
    line=$((line + 1))
    # The column: the bytes after the last newline before OFF, looked for in
    # at most 1 MiB (tail over a 60 MB line takes seconds).  Not found there,
    # it is left unsaid.
    back=$((off - 1 < 1048576 ? off - 1 : 1048576))
    col=$({ lab_bytes "$expected" "$((off - back))" "$back"; printf x; } | tail -n 1 | wc -c) || col=0
    if ((col > back && back < off - 1)); then
        col=0
        printf '    first difference at line %s (byte %s of the output; expected %s bytes, got %s):\n' \
            "$line" "$off" "$want" "$got"
    else
        printf '    first difference at line %s, byte %s of the line (byte %s of the output; expected %s bytes, got %s):\n' \
            "$line" "$col" "$off" "$want" "$got"
    fi
    # The window: from the line's start (or 60 bytes before OFF) to 60 bytes
    # after OFF, read with one seek, then shown from hexadecimal so that NUL
    # bytes survive awk.
    start=$((col == 0 || col > 61 ? off - 60 : off - col + 1))
    {
        lab_bytes "$expected" "$start" "$((off + 60 - start + 1))" | od -An -v -tx1
        echo .
        lab_bytes "$actual" "$start" "$((off + 60 - start + 1))" | od -An -v -tx1
    } | LC_ALL=C awk -v d="$((off - start + 1))" -v line="$line" -v cut="$((col == 0 || col > 61))" \
        -v emore="$((off + 60 < want))" -v gmore="$((off + 60 < got))" '
        BEGIN { for (i = 0; i < 256; i++) v[sprintf("%02x", i)] = i }
        $0 == "." { side = 1; next }
        { for (i = 1; i <= NF; i++) if (side) g[++ng] = $i; else e[++ne] = $i }
        # The length of a whole UTF-8 character (not a C1 control) at t[i], or 0.
        function utf8(t, i, to,   b, n, k, c) {
            b = v[t[i]]
            if (b >= 194 && b <= 223) n = 2
            else if (b >= 224 && b <= 239) n = 3
            else if (b >= 240 && b <= 244) n = 4
            else return 0
            if (i + n - 1 > to) return 0
            for (k = 1; k < n; k++) { c = v[t[i + k]]; if (c < 128 || c > 191) return 0 }
            c = v[t[i + 1]]
            if ((b == 194 && c < 160) || (b == 224 && c < 160) || (b == 237 && c > 159) ||
                (b == 240 && c < 144) || (b == 244 && c > 143)) return 0
            return n
        }
        # Bytes t[from..to] as text: printable ASCII and whole UTF-8
        # characters as they are, every other byte escaped.
        function text(t, from, to,   s, i, b, n, k) {
            s = ""
            for (i = from; i <= to; i++) {
                b = v[t[i]]
                if (b == 9) s = s "\\t"
                else if (b == 10) s = s "\\n"
                else if (b == 13) s = s "\\r"
                else if (b == 0) s = s "\\0"
                else if (b == 92) s = s "\\\\"
                else if (b == 34) s = s "\\\""
                else if (b >= 32 && b < 127) s = s sprintf("%c", b)
                else if ((n = utf8(t, i, to)) > 0) {
                    for (k = 0; k < n; k++) s = s sprintf("%c", v[t[i + k]])
                    i += n - 1
                }
                else s = s "\\x" t[i]
            }
            return s
        }
        # One side: its line from the window, up to its newline, or the
        # line it does not have.
        function show(label, t, n, more, whose, ended,   i, to, tail) {
            if (n == 0 && d == 1) {
                printf "      %s (no line %d: %s)\n", label, line,
                    line == 1 ? whose " is empty" : whose " " ended " " line - 1 (line == 2 ? " line" : " lines")
                return
            }
            to = n; tail = more ? "..." : " (it ends here, with no newline)"
            for (i = 1; i <= n; i++) if (t[i] == "0a") { to = i; tail = ""; break }
            printf "      %s %s\"%s\"%s\n", label, cut ? "..." : "", text(t, 1, to), tail
        }
        END {
            show("expected:", e, ne, emore, "the expected output", "has")
            show("got:     ", g, ng, gmore, "the output", "ended after")
            # A caret under the first differing byte, when the bytes before
            # it are ASCII (one column each, escapes included).
            if (d == 1) exit
            for (i = 1; i < d; i++) if (v[e[i]] >= 128) exit
            printf "%" (16 + (cut ? 3 : 0) + 1 + length(text(e, 1, d - 1))) "s^\n", ""
        }'
}

# lab_bytes FILE START COUNT: COUNT bytes of FILE from byte START (1 for the
# first), reached with a seek: never the whole of a flood.
lab_bytes() {
    dd if="$1" iflag=skip_bytes,count_bytes skip="$(($2 - 1))" count="$3" bs=65536 status=none
}

# lab_assert_same_file EXPECTED_FILE ACTUAL_FILE WHAT LOOK_AT NAME: the
# file (NAME's output, or something made from it) is byte for byte
# EXPECTED_FILE; the message shows the first difference and NAME's output.
# EXPECTED_FILE may be a process substitution: it is read once, into a copy
# that serves both cmp and the message.
lab_assert_same_file() {
    local expected actual=$2 name=$5 rc=0
    if ! expected=$(lab_spool "$1"); then
        lab_fail "$3" "the grader could not read the expected output: $expected" "$4"
        return 1
    fi
    if ! cmp -s -- "$expected" "$actual"; then
        # Not `lab_fail ... ; return`: under bats' set -e the function would
        # end at lab_fail, before the copy is removed.
        lab_fail "$3" "the output of $name differs ($(lab_describe "$name"))" "$4" \
            "$(lab_first_difference "$expected" "$actual")" "$(lab_show_output "$name")" || rc=1
    fi
    lab_unspool "$1" "$expected"
    return "$rc"
}

# lab_assert_same_output NAME EXPECTED_FILE WHAT LOOK_AT: NAME's stdout is
# byte for byte EXPECTED_FILE (a file, or a process substitution).
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

# lab_keep_logs NAME SUFFIX: the logs NAME.SUFFIX* (valgrind's NAME.vg.PID,
# helgrind's NAME.hg.PID) that a message points at, copied from $LAB_LOGS,
# which goes when the grading ends, to $LAB_KEEP_LOGS (lab-grade sets it:
# results/LABEL/logs/EXERCISE), in a folder of the test's; prints that
# folder (or $LAB_LOGS when there is nowhere to keep them).  $LAB_LOGS is
# the programs' to write: only regular files are copied, never through a
# link (dd iflag=nofollow), each cut at 4 MiB, and at most 16 of them (a
# program may make thousands).
lab_keep_logs() {
    local name=$1 suffix=$2 dir file kept=0
    dir=${LAB_KEEP_LOGS:+$LAB_KEEP_LOGS/$BATS_TEST_NUMBER-$name}
    if [[ -z $dir ]] || ! mkdir -p -- "$dir"; then
        echo "$LAB_LOGS"
        return 0
    fi
    for file in "$LAB_LOGS/$name.$suffix"*; do
        [[ -f $file && ! -L $file ]] || continue
        ((kept++ < 16)) || break
        dd if="$file" of="$dir/${file##*/}" iflag=nofollow bs=64K count=64 status=none 2>/dev/null || :
    done
    echo "$dir"
}
