#!/bin/bash
# Fuzzes one target with AddressSanitizer, then minimizes its corpus in place.
#   Fuzz/fuzz.sh TARGET [SECONDS]     TARGET: one of FuzzTargets.names (Sources/FuzzTargets/FuzzTarget.swift)
# Inputs that crash, hang (10 s) or allocate past 2 GB land in Fuzz/.build/fuzz/TARGET-artifacts/;
# replay one with: Fuzz/.build/release/FuzzHarness --target=TARGET FILE
set -euo pipefail
cd "$(dirname "$0")"
name=$1
seconds=${2:-600}
# lld: gold fails to link an executable whose main is libFuzzer's driver.
nice -n 10 swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --product FuzzHarness
work=.build/fuzz/$name
artifacts=.build/fuzz/$name-artifacts/
mkdir -p "$work" "$artifacts" "Corpus/$name"
export SWIFT_BACKTRACE=enable=no  # the Swift backtracer would stall libFuzzer's crash handling
export ASAN_OPTIONS=detect_leaks=0
# LeakSanitizer is off: Swift keeps an enum's case in the spare high bits of a reference it
# holds, so LSan's scan for exact pointers misses those references and reports live objects.
# Inputs grow up to the largest input of the corpus (libFuzzer's default -max_len).
limits=(-rss_limit_mb=2048 -timeout=10)
status=0
nice -n 10 .build/release/FuzzHarness --target="$name" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$work" "Corpus/$name" || status=$?
# The committed corpus becomes the smallest set of inputs that reaches every edge that the old
# corpus and this run's reach (edges, not hit counts: a small corpus for the replay tests).
merged=.build/fuzz/$name-merged
rm -rf "$merged" && mkdir -p "$merged"
nice -n 10 .build/release/FuzzHarness --target="$name" "${limits[@]}" -merge=1 -use_counters=0 "$merged" "Corpus/$name" "$work"
rm -rf "Corpus/$name" && mv "$merged" "Corpus/$name"
echo "Corpus/$name: $(ls "Corpus/$name" | wc -l) inputs, $(du -sb "Corpus/$name" | cut -f1) bytes"
exit $status
