#!/usr/bin/env bash
#
# Copyright (C) nginx-rtc authors
#
# Runs libFuzzer targets built by "make fuzz" (DIR/fuzz_NAME), JOBS at a
# time, each for SECONDS (with the dictionary t/fuzz/NAME.dict if there is
# one), and prints one line per target: executions,
# coverage (edges), features, corpus size.  New interesting inputs go to
# DIR/corpus/NAME (scratch, kept between runs, not in git); the seeds and
# crash inputs of t/fuzz/corpus/NAME are read, never written, except that
# an input which crashed a target is copied there as crash-<sha1>, to be
# kept forever (and replayed by "make fuzz-replay") once the bug is fixed.
#
#   t/fuzz/run.sh DIR SECONDS JOBS NAME...
#
# Exits 1 if any target crashed, leaked, hung or ran out of memory.

set -uo pipefail

dir=$1 secs=$2 jobs=$3
shift 3

cd "$(dirname "$0")/../.."

run_one() {
    local name=$1 log=$dir/$1.log art=$dir/crash/$1- dict=()

    mkdir -p "$dir/corpus/$name" "$dir/crash" "t/fuzz/corpus/$name"
    rm -f "$art"*

    [ -f "t/fuzz/$name.dict" ] && dict=(-dict="t/fuzz/$name.dict")

    "$dir/fuzz_$name" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art" \
        "${dict[@]}" "$dir/corpus/$name" "t/fuzz/corpus/$name" >"$log" 2>&1
    echo $? >"$dir/$name.rc"
}

summary() {
    local name=$1 log=$dir/$1.log rc execs cov f sha

    rc=$(cat "$dir/$name.rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1 \
          | sed -E 's/.*(cov: [0-9]+) (ft: [0-9]+) (corp: [^ ]+).*/\1 \2 \3/')

    printf '%-12s %10s execs  %s\n' "$name" "${execs:-?}" "${cov:-no coverage line}"

    if [ "$rc" != 0 ]; then
        echo "FAIL $name (exit $rc), log $log:"
        grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit written' \
            "$log" | head -20 | sed 's/^/    /'

        for f in "$dir/crash/$name-"*; do
            [ -f "$f" ] || continue
            sha=$(sha1sum "$f" | cut -c1-40)
            cp "$f" "t/fuzz/corpus/$name/crash-$sha"
            echo "    kept as t/fuzz/corpus/$name/crash-$sha" \
                 "(fix the bug, keep the file)"
        done

        return 1
    fi
}

running=0

for name in "$@"; do
    run_one "$name" &
    running=$((running + 1))

    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done

wait

rc=0

for name in "$@"; do
    summary "$name" || rc=1
done

exit $rc
