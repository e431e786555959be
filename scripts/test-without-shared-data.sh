#!/usr/bin/env bash
# Runs every test class that reads the shared test data once more with STYLEFARM_TEST_DATA pointing at an
# empty folder, reusing the build of scripts/test.sh: each must skip (or pass), never fail. This keeps the
# README's test command green on a clone without ../shared (CI runs it after the full suite).
#
# The classes are found in the sources: every test file that names SharedTestData, or a helper of its
# target that does (SegmentationTestSupport).
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
require_swift
mapfile -t files < <(grep -rlE 'SharedTestData\.|SegmentationTestSupport\.' Tests --include='*.swift' | grep -v '^Tests/TestSupport/' | sort)
mapfile -t classes < <(sed -nE 's/^(final )?class ([A-Za-z0-9_]+): XCTestCase.*/\2/p' "${files[@]}" | sort -u)
if [ ${#classes[@]} -eq 0 ]; then echo "error: found no test class that reads the shared test data" >&2; exit 1; fi
empty="$(mktemp -d)"
trap 'rm -rf "$empty"' EXIT
log "running ${#classes[@]} test classes that read the shared test data with STYLEFARM_TEST_DATA=$empty (empty)"
filter="\\.($(IFS='|'; echo "${classes[*]}"))/"
STYLEFARM_TEST_DATA="$empty" run_tests_logged "$REPO_ROOT/.build/test-without-shared-data.log" --filter "$filter"
