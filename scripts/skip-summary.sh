#!/usr/bin/env bash
# Sums up the tests a `swift test` log skipped, one line per reason, so a run says what it did not cover:
#
#   scripts/skip-summary.sh LOG
#
# A reason is the skip message up to " — " (the test helpers put the file or model after it), so every
# test that skipped for want of the shared test data counts under one line.
set -euo pipefail
log="${1:?usage: scripts/skip-summary.sh LOG}"
awk '
  / : Test skipped - / {
    reason = $0
    sub(/^.* : Test skipped - /, "", reason)
    sub(/ — .*$/, "", reason)
    count[reason]++; total++
  }
  END {
    if (total == 0) { print "skipped: none"; exit }
    printf "skipped: %d test(s)\n", total
    n = 0
    for (r in count) lines[++n] = sprintf("%6d  %s", count[r], r)
    # Most frequent reason first (a small insertion sort: awk has no portable sort).
    for (i = 2; i <= n; i++) { v = lines[i]; j = i - 1; while (j > 0 && lines[j] + 0 < v + 0) { lines[j + 1] = lines[j]; j-- } lines[j + 1] = v }
    for (i = 1; i <= n; i++) print lines[i]
  }' "$log"
