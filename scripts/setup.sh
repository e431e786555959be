#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: installs what is missing (Debian packages, VGG-16 weights,
# demo images), builds StyleFarm and stylizes the embedded demo (out/demo.png).
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
install_system_packages
require_swift
log "building (release)"
swift build "${SWIFT_FLAGS[@]}"
log "installing models and demo images"
"$(stylefarm_bin)" models install
"$(stylefarm_bin)" models install --demo
log "stylizing the demo"
"$(stylefarm_bin)" demo --out out/demo.png "$@"
