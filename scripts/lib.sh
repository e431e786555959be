# Shared helpers for scripts/setup.sh and scripts/test.sh (sourced, not run).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APT_PACKAGES=(libopenblas-dev libpng-dev libjpeg62-turbo-dev libzmq3-dev libopencv-video-dev libopenexr-dev libopencolorio-dev pkg-config python3-pip python3-venv protobuf-compiler)

log() { printf '==> %s\n' "$*" >&2; }

# Debian packages only tests use: real peers of the product (scripts/test.sh installs them).
TEST_PACKAGES=(prometheus chromium chromium-driver openimageio-tools blender ffmpeg slurm-wlm munge podman mmdebstrap runc)

# Installs Debian packages if any is missing (apt-get, as root or through sudo): the build's (APT_PACKAGES)
# without arguments, else the ones named.
install_system_packages() {
    local wanted=("$@")
    [ ${#wanted[@]} -gt 0 ] || wanted=("${APT_PACKAGES[@]}")
    local missing=()
    for p in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then log "system packages present"; return; fi
    log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

require_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"
        else echo "error: Swift 6 is required (https://www.swift.org/install/linux/); 'swift' is not on PATH" >&2; exit 1; fi
    fi
}

# Release build: numeric code in a debug build is 10–100× slower. -enable-testing lets the test
# command reuse the same build products.
SWIFT_FLAGS=(-c release -Xswiftc -enable-testing)
stylefarm_bin() { echo "$REPO_ROOT/.build/release/stylefarm"; }

# Runs the already built tests (`swift test --skip-build ARGS`), keeping the output in LOG, then prints
# how many tests were skipped and why (scripts/skip-summary.sh). Returns `swift test`'s status.
run_tests_logged() {
    local log="$1"; shift
    mkdir -p "$(dirname "$log")"
    set +e
    swift test "${SWIFT_FLAGS[@]}" --skip-build "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    set -e
    "$REPO_ROOT/scripts/skip-summary.sh" "$log" >&2
    return "$status"
}
