#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: installs what is missing (Debian packages, VGG-16 weights,
# demo images), builds StyleFarm and renders the embedded demo sequence on a local farm (a coordinator
# and one worker process per core): 12 frames of a slow pan, stylized → out/demo-render/ with
# contact_sheet.png.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
install_system_packages
require_swift
log "building (release)"
swift build "${SWIFT_FLAGS[@]}"
log "installing models and demo images"
"$(stylefarm_bin)" models install
"$(stylefarm_bin)" models install --demo
log "rendering the demo sequence on a local farm"
"$(stylefarm_bin)" render --demo --output-dir out/demo-render "$@"
