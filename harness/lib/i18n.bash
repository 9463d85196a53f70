# The learner's language: English or Chinese (简体中文), for the statements,
# the hints and the lines the commands print.  LAB_LANG=zh or LAB_LANG=en
# chooses; without it, a Chinese locale (LC_ALL, LC_MESSAGES, LANG) does.

# shellcheck shell=bash

# lab_lang: "zh" or "en".
lab_lang() {
    case ${LAB_LANG:-} in
    zh* | cn | chinese) echo zh; return ;;
    en*) echo en; return ;;
    esac
    case ${LC_ALL:-${LC_MESSAGES:-${LANG:-}}} in
    zh*) echo zh ;;
    *) echo en ;;
    esac
}

# lab_localized FILE: FILE's Chinese version (NAME.zh.md beside NAME.md)
# when the language is Chinese and it exists, else FILE.
lab_localized() {
    local zh=${1%.md}.zh.md
    if [[ $(lab_lang) == zh && -r $zh ]]; then
        echo "$zh"
    else
        echo "$1"
    fi
}

# lab_text KEY: a line the commands print, in the learner's language.
lab_text() {
    if [[ $(lab_lang) == zh ]]; then
        case $1 in
        expected) echo "预期" ;;
        happened) echo "实际" ;;
        look) echo "参考" ;;
        warnings) echo "编译警告（请修正：它们常常指向错误所在）：" ;;
        all-passed) echo "全部通过" ;;
        n-failed) echo "个测试未通过" ;;
        total) echo "总分" ;;
        results) echo "结果文件" ;;
        skipped) echo "已跳过（跳过的测试不得分）" ;;
        broke-off) echo "评分器没能运行这个测试（测试运行中断）：" ;;
        no-message) echo "测试停在下面这一步：它失败了，却没有自己的说明。这多半是评分器的缺陷（请连同这段信息报告）：" ;;
        left-alone) echo "测试期间出现、但不是被评测程序创建的对象（不计为泄漏，评分器没有动它们）：" ;;
        tampered) echo "测试结果流被篡改（评分器收到了并非 bats 写出的行）：本练习的每个测试都记 0 分。" ;;
        in-seconds) echo "用时" ;;
        cut-short) echo "其余未通过的测试只各显示一行：先修正上面第一个。make grade ALL=1 显示全部说明（results.json 中也都有）。" ;;
        unlisted) echo "个未通过的测试没有列出（make grade ALL=1 全部列出）" ;;
        no-progress) echo "无法记录你的进度（make list、make status 会看不到这次评分），因为不能写入" ;;
        *) echo "$1" ;;
        esac
    else
        case $1 in
        expected) echo "expected" ;;
        happened) echo "happened" ;;
        look) echo "look at" ;;
        warnings) echo "build warnings (fix them: they often point at the bug):" ;;
        all-passed) echo "all passed" ;;
        n-failed) echo "test(s) failed" ;;
        total) echo "TOTAL" ;;
        results) echo "results" ;;
        skipped) echo "skipped (a skipped test earns no points)" ;;
        broke-off) echo "the grader did not get to run this test (the test run broke off):" ;;
        no-message) echo "the test stopped at this step, which failed without a message of its own: most likely a grader bug (please report it with this message):" ;;
        left-alone) echo "not ours, left alone: these appeared during a test, but the graded programs did not make them (not blamed, not removed):" ;;
        tampered) echo "the results stream was tampered with (the grader received lines that bats did not write): every test of this exercise scores 0." ;;
        in-seconds) echo "in" ;;
        cut-short) echo "the other failures are one line each: fix the first one above first. make grade ALL=1 shows every message (results.json has them all)." ;;
        unlisted) echo "more failing test(s) not listed (make grade ALL=1 lists them all)" ;;
        no-progress) echo "cannot record your progress (make list and make status will not see this grading): cannot write" ;;
        *) echo "$1" ;;
        esac
    fi
}
