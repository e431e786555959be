#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds optimized, installs the
# VGG-16 weights (tests that need them would otherwise skip), runs every test.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
install_system_packages
require_swift
log "building (release, with tests)"
swift build "${SWIFT_FLAGS[@]}" --build-tests
log "installing models"
"$(stylefarm_bin)" models install
if command -v protoc >/dev/null 2>&1; then
    log "checking that generated protobuf code is current"
    scripts/generate-protos.sh --check
fi
log "running tests"
swift test "${SWIFT_FLAGS[@]}" "$@"
