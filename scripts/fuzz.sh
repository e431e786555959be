#!/usr/bin/env bash
# Fuzz one of StyleFarm's decoders with libFuzzer (docs/SECURITY.md "Fuzzing").
#   scripts/fuzz.sh TARGET SECONDS      TARGET: framing | jobspec | images | blobs
# Builds stylefarm-fuzz with AddressSanitizer and libFuzzer's coverage into .build-fuzz (its own build folder: the normal build
# is untouched), runs TARGET for SECONDS from a copy of the committed seeds (Fuzz/corpus/TARGET), and keeps
# what it finds in .build-fuzz/findings/TARGET: new inputs in corpus/, crashes as crash-*. A crash becomes a
# regression test by committing the input to Fuzz/corpus/TARGET (the test suite replays every file there).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh framing|jobspec|images|blobs SECONDS}"
seconds="${2:?usage: scripts/fuzz.sh TARGET SECONDS}"
case "$target" in framing|jobspec|images|blobs) ;; *) echo "fuzz: unknown target $target" >&2; exit 2 ;; esac
source scripts/lib.sh
# Coverage instrumentation for libFuzzer, and its driver without its main (SwiftPM gives an executable its own
# main; `Entry.swift` calls LLVMFuzzerRunDriver from it).
toolchain="$(dirname "$(readlink -f "$(command -v swift)")")/.."
driver="$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)"
[[ -n "$driver" ]] || { echo "fuzz: this Swift toolchain has no libclang_rt.fuzzer_no_main" >&2; exit 1; }
swift build -c release --build-path .build-fuzz --product stylefarm-fuzz \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xswiftc -DFUZZING -Xlinker "$driver" -Xlinker -lstdc++ 2>&1 | grep -E "error|Compiling stylefarm_fuzz|Build complete" || true
binary=".build-fuzz/release/stylefarm-fuzz"
[[ -x "$binary" ]] || { echo "fuzz: the build failed" >&2; exit 1; }
findings=".build-fuzz/findings/$target"
mkdir -p "$findings/corpus"
cp -n "Fuzz/corpus/$target"/* "$findings/corpus/" 2>/dev/null || true
STYLEFARM_FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
    -artifact_prefix="$findings/" -print_final_stats=1 "$findings/corpus" 2>&1 | tail -25
