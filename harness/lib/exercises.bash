# The exercise registry, for the grader's command-line tools (not for tests).
#
# An exercise is registered by its test file, harness/tests/NN-name.bats,
# whose header says what to build:
#   # programs: pipe_relay          programs, each from NAME.c
#   # libraries: libplugin.so       shared libraries, libX.so from X.c
#   # common: util.c                extra sources linked into every program
#   # ldlibs: -pthread -lrt         libraries to link with
# and each graded test is preceded by "# points: N" (100 in all).
# Its statement is exercises/NN-name/README.md (the first "# " line is the
# title); the reference solution is solutions/NN-name/.

# shellcheck shell=bash

LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LAB_HARNESS=$LAB_ROOT/harness
# shellcheck source=i18n.bash
source "$LAB_HARNESS/lib/i18n.bash"

# lab_exercises: every registered exercise, in order.
lab_exercises() {
    local file
    for file in "$LAB_HARNESS"/tests/[0-9][0-9]-*.bats; do
        [[ -e $file ]] && basename "$file" .bats
    done
}

# lab_resolve_exercise WORD: the exercise a learner means ("01", "01-pipe",
# "pipe"); prints nothing and returns 1 if none or several match.
lab_resolve_exercise() {
    local word=$1 ex matches=()
    for ex in $(lab_exercises); do
        if [[ $ex == "$word" ]]; then
            echo "$ex"
            return 0
        fi
        [[ $ex == "$word"-* || $ex == *-"$word" || $ex == "$word"* ]] && matches+=("$ex")
    done
    ((${#matches[@]} == 1)) || return 1
    echo "${matches[0]}"
}

lab_test_file() {
    echo "$LAB_HARNESS/tests/$1.bats"
}

# lab_tests_regex NAME...: a regex (for lab-grade -t) matching exactly the
# tests named, and no other.
lab_tests_regex() {
    local name regex=""
    for name; do
        regex+="${regex:+|}^$(lab_regex_escape "$name")\$"
    done
    printf '%s\n' "$regex"
}

# lab_regex_escape TEXT: TEXT as an extended regex that matches it literally.
lab_regex_escape() {
    # shellcheck disable=SC2016 # the $ in the bracket is a literal dollar
    printf '%s' "$1" | sed 's/[][\.|$(){}?+*^]/\\&/g'
}

# lab_spec EXERCISE KEY: a header value from the exercise's test file.
lab_spec() {
    sed -n "s/^# $2: *//p" "$(lab_test_file "$1")" | head -n 1
}

# lab_title EXERCISE: the statement's title (in the learner's language).
lab_title() {
    local readme
    readme=$(lab_localized "$LAB_ROOT/exercises/$1/README.md")
    if [[ -r $readme ]]; then
        sed -n 's/^# *//p' "$readme" | head -n 1
    else
        echo "$1"
    fi
}

# lab_test_files EXERCISE: its test file, then the instructor's extra test
# files for it (LAB_EXTRA_TESTS=DIR: DIR/EXERCISE*.bats, hidden tests).
lab_test_files() {
    local file
    lab_test_file "$1"
    [[ -n ${LAB_EXTRA_TESTS:-} ]] || return 0
    for file in "$LAB_EXTRA_TESTS/$1"*.bats; do
        [[ -e $file ]] && echo "$file"
    done
    return 0
}

# lab_test_visibility FILE: the results' visibility of FILE's tests, from its
# "# visibility:" header (Gradescope's words: visible, hidden, after_due_date,
# after_published); visible by default.
lab_test_visibility() {
    local v
    v=$(sed -n 's/^# visibility: *//p' "$1" | head -n 1)
    echo "${v:-visible}"
}

# lab_test_points EXERCISE [FILE]: "POINTS<TAB>NAME" per graded test, in
# file order (FILE: one test file instead of the exercise's own).
lab_test_points() {
    awk '
        /^# points: *[0-9]+/ { points = $3; next }
        /^@test / {
            name = $0
            sub(/^@test +"/, "", name); sub(/" *\{ *$/, "", name)
            # As bats reports it: the backslash escapes of the string undone.
            gsub(/\\"/, "\"", name); gsub(/\\\$/, "$", name); gsub(/\\\\/, "\\", name)
            print (points == "" ? 0 : points) "\t" name
            points = ""
        }' "${2:-$(lab_test_file "$1")}"
}

# lab_sources_needed EXERCISE: the source files a submission must contain.
lab_sources_needed() {
    local ex=$1 word
    for word in $(lab_spec "$ex" programs); do echo "$word.c"; done
    for word in $(lab_spec "$ex" libraries); do
        word=${word#lib}
        echo "${word%.so}.c"
    done
    for word in $(lab_spec "$ex" common); do echo "$word"; done
}

# Progress of the learner's own work (SRC=exercises), kept in their folder
# so that it survives containers: exercises/.lab/progress.tsv, one line per
# grading: exercise, score, max, unix time.
lab_progress_file() {
    echo "$LAB_ROOT/exercises/.lab/progress.tsv"
}

# lab_last_score EXERCISE: "SCORE/MAX" of the learner's last grading, or "-".
lab_last_score() {
    local file
    file=$(lab_progress_file)
    [[ -r $file ]] || { echo "-"; return; }
    awk -F'\t' -v ex="$1" '$1 == ex { last = $2 "/" $3 } END { print (last == "" ? "-" : last) }' "$file"
}

# lab_best_score EXERCISE: the best "SCORE/MAX" so far, or "-".
lab_best_score() {
    local file
    file=$(lab_progress_file)
    [[ -r $file ]] || { echo "-"; return; }
    awk -F'\t' -v ex="$1" '$1 == ex && (best == "" || $2 > best) { best = $2; max = $3 }
        END { print (best == "" ? "-" : best "/" max) }' "$file"
}
