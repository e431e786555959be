#!/usr/bin/env bash
# Builds the runtime stage of deploy/container/Containerfile with podman from an already built stylefarm
# binary, offline, and checks the image: `stylefarm --help`, `keys create` into a state volume, a coordinator
# answering `stylefarm status`, a worker joining it and draining on `kill -USR1 1` (the Kubernetes preStop),
# and the coordinator stopping on SIGTERM as PID 1.
#
#   scripts/container-test.sh [BINARY]      (as root; BINARY or $STYLEFARM_BINARY, default .build/release/stylefarm)
#
# Needs: podman and mmdebstrap (apt-get install podman mmdebstrap; also runc where crun cannot start
# containers, e.g. on hybrid cgroup v1/v2 hosts) and the Debian mirror the host's apt uses. Skips (exit 0,
# one "container-test: SKIP: …" line) when not root, without podman or mmdebstrap, or when podman cannot run
# a container here; any failure after that exits 1.
#
# No Swift image is needed: the Containerfile's `dist` stage (the files the image gets) is replaced with a
# folder, `--build-context dist=DIR`, that holds the binary (debug info stripped, as the build stage does)
# and, for a binary linked against a toolchain's shared Swift runtime, those libraries at the path of its
# RUNPATH (the Containerfile's build stage links the Swift runtime statically instead).
#
# The base: docker.io/library/debian:bookworm-slim, the runtime stage's FROM. When podman has no image of
# that name, the script makes one with mmdebstrap (minbase, merged /usr, no docs/man/locales, the host's
# deb.debian.org sources) and imports it under that name. Kept afterwards (the warm cache), as is the test
# image with its layers; STYLEFARM_CONTAINER_CLEAN=1 removes both at the end, STYLEFARM_CONTAINER_NEW_BASE=1
# makes the base again first. Containers, volumes folders and temporary files are always removed.
#
# Environment: STYLEFARM_BINARY, STYLEFARM_CONTAINER_IMAGE (default localhost/stylefarm:container-test),
# STYLEFARM_DEBIAN_MIRROR (a URL instead of the host's Debian sources), STYLEFARM_CONTAINER_CLEAN,
# STYLEFARM_CONTAINER_NEW_BASE.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

BINARY="${1:-${STYLEFARM_BINARY:-$(stylefarm_bin)}}"
IMAGE="${STYLEFARM_CONTAINER_IMAGE:-localhost/stylefarm:container-test}"
CONTAINERFILE="$REPO_ROOT/deploy/container/Containerfile"
BASE_IMAGE="docker.io/library/debian:bookworm-slim"
BASE_LABEL="org.stylefarm.base=mmdebstrap"

skip() { echo "container-test: SKIP: $*"; exit 0; }
fail() { echo "container-test: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" -eq 0 ] || skip "needs root (podman with root storage, mmdebstrap --mode=root)"
command -v podman >/dev/null || skip "podman is not installed (apt-get install podman mmdebstrap)"
[ -x "$BINARY" ] || fail "no stylefarm binary at $BINARY (build it, or pass its path / set STYLEFARM_BINARY)"
if ! grep -q "FROM \${RUNTIME_IMAGE} AS runtime" "$CONTAINERFILE" || ! grep -q "$BASE_IMAGE" "$CONTAINERFILE"; then
    fail "$CONTAINERFILE no longer builds its runtime stage FROM $BASE_IMAGE; update this script"
fi

work="$(mktemp -d /tmp/stylefarm-container-test.XXXXXX)"
containers=()
cleanup() {
    local i
    for ((i = ${#containers[@]} - 1; i >= 0; i--)); do   # the worker first: it uses the coordinator's network
        podman "${PODMAN_GLOBAL[@]}" rm -f -t 0 "${containers[i]}" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
    if [ "${STYLEFARM_CONTAINER_CLEAN:-0}" = 1 ]; then
        podman "${PODMAN_GLOBAL[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true
        if [ "$(podman image inspect --format '{{index .Labels "org.stylefarm.base"}}' "$BASE_IMAGE" 2>/dev/null)" = mmdebstrap ]; then
            podman "${PODMAN_GLOBAL[@]}" rmi -f "$BASE_IMAGE" >/dev/null 2>&1 || true
        fi
    fi
}
trap cleanup EXIT
PODMAN_GLOBAL=()
pm() { podman "${PODMAN_GLOBAL[@]}" "$@"; }

# --- The base image -------------------------------------------------------------------------------------
if [ "${STYLEFARM_CONTAINER_NEW_BASE:-0}" = 1 ]; then podman rmi -f "$BASE_IMAGE" >/dev/null 2>&1 || true; fi
base_seconds="cached"
if ! podman image exists "$BASE_IMAGE"; then
    command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed and podman has no $BASE_IMAGE"
    mirror_args=()
    if [ -n "${STYLEFARM_DEBIAN_MIRROR:-}" ]; then
        mirror_args=("deb $STYLEFARM_DEBIAN_MIRROR bookworm main" "deb $STYLEFARM_DEBIAN_MIRROR bookworm-updates main")
    elif [ -f /etc/apt/sources.list.d/debian.sources ]; then
        mirror_args=(/etc/apt/sources.list.d/debian.sources)   # deb822: the host's Debian sources, as they are
    else
        mirror_args=("deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian bookworm-updates main"
                     "deb http://deb.debian.org/debian-security bookworm-security main")
    fi
    apt_opts=()
    # A host whose mirror serves an archive snapshot turns off Release expiry; the image's apt must too.
    if apt-config dump 2>/dev/null | grep -q '^Acquire::Check-Valid-Until "false";'; then
        apt_opts+=(--aptopt='Acquire::Check-Valid-Until "false"')
    fi
    log "mmdebstrap: bookworm minbase -> $BASE_IMAGE"
    t0="$(now)"
    timeout 600 mmdebstrap --variant=minbase --format=tar \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        "${apt_opts[@]}" bookworm "$work/base.tar" "${mirror_args[@]}" \
        </dev/null >"$work/mmdebstrap.log" 2>&1 \
        || { tail -20 "$work/mmdebstrap.log" >&2; fail "mmdebstrap failed (log above)"; }
    podman import --change 'CMD ["bash"]' --change "LABEL $BASE_LABEL" "$work/base.tar" "$BASE_IMAGE" \
        >"$work/import.log" 2>&1 || { cat "$work/import.log" >&2; fail "podman import of the mmdebstrap tarball failed"; }
    rm -f "$work/base.tar"
    base_seconds="$(since "$t0")"
    log "base made in ${base_seconds}s"
fi

# --- Can podman run a container here? Try the plain setup, then the usual sandbox workarounds -------------
# rlimits: podman asks for nofile 1048576 and its own nproc, which a host with lower hard limits (and no
# CAP_SYS_RESOURCE) refuses; crun refuses hosts with cgroup v2 controllers next to v1 ("hybrid"), runc not.
hard_nofile="$(ulimit -Hn)"; [ "$hard_nofile" = unlimited ] && hard_nofile=1048576
[ "$hard_nofile" -gt 1048576 ] && hard_nofile=1048576
hard_nproc="$(ulimit -Hu)"; { [ "$hard_nproc" = unlimited ] || [ "$hard_nproc" -gt 32768 ]; } && hard_nproc=32768
LIMITS=(--ulimit "nofile=$hard_nofile:$hard_nofile" --ulimit "nproc=$hard_nproc:$hard_nproc")
globals_candidates=("")
command -v runc >/dev/null && globals_candidates+=("--runtime runc")
[ -d /run/systemd/system ] || globals_candidates=("${globals_candidates[@]/%/ --cgroup-manager cgroupfs --events-backend file}")
RUN_OPTS=()
found=""
probe_errors=""
for g in "${globals_candidates[@]}"; do
    for limits in no yes; do
        read -r -a PODMAN_GLOBAL <<<"$g"
        opts=(); [ "$limits" = yes ] && opts=("${LIMITS[@]}")
        if out="$(timeout 60 podman "${PODMAN_GLOBAL[@]}" run --rm --network none "${opts[@]}" "$BASE_IMAGE" true 2>&1)"; then
            found=yes; RUN_OPTS=("${opts[@]}"); break 2
        fi
        probe_errors+=$'\n'"  podman ${g:-(defaults)} run$([ "$limits" = yes ] && echo " ${LIMITS[*]}"): $(echo "$out" | tail -1)"
    done
done
if [ -z "$found" ]; then
    command -v runc >/dev/null || probe_errors+=$'\n'"  (runc is not installed; it starts containers where crun cannot: apt-get install runc)"
    skip "podman cannot run a container on this machine:$probe_errors"
fi
log "podman runs containers with: ${PODMAN_GLOBAL[*]:-(defaults)} ${RUN_OPTS[*]}"

# --- The dist folder: the image's files --------------------------------------------------------------------
dist="$work/dist"
install -d -m 0755 "$dist/usr/local/bin"
install -m 0755 "$BINARY" "$dist/usr/local/bin/stylefarm"
if command -v strip >/dev/null; then strip --strip-debug "$dist/usr/local/bin/stylefarm"; fi
ldd "$dist/usr/local/bin/stylefarm" | grep -q 'not found' && fail "$BINARY has unresolved libraries here (ldd)"
while read -r lib; do
    install -D -m 0644 "$lib" "$dist$lib"
done < <(ldd "$dist/usr/local/bin/stylefarm" | awk '$2 == "=>" && $3 ~ /^\// && $3 !~ /^\/(usr\/)?lib(32|64|x32)?\// { print $3 }')
find "$dist" -type d -exec chmod 0755 {} +

# --- Build the runtime stage ------------------------------------------------------------------------------
mkdir -p "$work/context"   # the runtime stage copies nothing from the main context
log "podman build (runtime stage, dist from $BINARY)"
previous_image="$(pm image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
t0="$(now)"
timeout 900 podman "${PODMAN_GLOBAL[@]}" build --pull=never "${RUN_OPTS[@]}" -f "$CONTAINERFILE" \
    --build-context "dist=$dist" -t "$IMAGE" "$work/context" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; fail "podman build failed (log above)"; }
build_seconds="$(since "$t0")"
# The previous test image (another binary) and its own layers; the shared base and apt layers stay cached.
if [ -n "$previous_image" ] && [ "$previous_image" != "$(pm image inspect --format '{{.Id}}' "$IMAGE")" ]; then
    pm rmi "$previous_image" >/dev/null 2>&1 || true
fi
grep -q 'AS build$' "$work/build.log" && fail "the build ran the Swift stage; --build-context dist did not replace it"
size_mb="$(pm image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%d", $1 / 1000000 }')"
log "built $IMAGE in ${build_seconds}s, ${size_mb} MB"

# --- Checks -----------------------------------------------------------------------------------------------
t0="$(now)"
run() { timeout 60 podman "${PODMAN_GLOBAL[@]}" run --rm --network none "${RUN_OPTS[@]}" "$@"; }
run "$IMAGE" --help | grep -q 'render-farm coordinator' || fail "stylefarm --help in the image"
# shellcheck disable=SC2016  # $STYLEFARM_MODEL_DIR expands in the container
[ "$(run --entrypoint /bin/sh "$IMAGE" -c 'id -u; echo "$STYLEFARM_MODEL_DIR"' | tr '\n' ' ')" \
    = "10001 /var/lib/stylefarm/models " ] || fail "the image's user or STYLEFARM_MODEL_DIR"

state="$work/state"   # the state volume, owned by the image's user as a Kubernetes fsGroup/volume would be
install -d -o 10001 -g 10001 -m 0750 "$state"
vol=(-v "$state:/var/lib/stylefarm/state")
run "${vol[@]}" "$IMAGE" keys create --state-dir /var/lib/stylefarm/state --name w1 --role worker \
    --out /var/lib/stylefarm/state/w1.credential >/dev/null || fail "stylefarm keys create"
if [ ! -f "$state/keys/admin.credential" ] || [ ! -f "$state/w1.credential" ]; then fail "keys create wrote no credentials"; fi

coord="stylefarm-test-coord-$$"
containers+=("$coord")
pm run -d --name "$coord" --network none "${RUN_OPTS[@]}" "${vol[@]}" "$IMAGE" \
    coordinator --state-dir /var/lib/stylefarm/state --bind-workers 'tcp://*:5555' --bind-clients 'tcp://*:5556' \
    >/dev/null || fail "starting the coordinator container"
status=""
for _ in $(seq 30); do
    if status="$(timeout 20 podman "${PODMAN_GLOBAL[@]}" exec "$coord" stylefarm status --timeout 2 \
            --credential /var/lib/stylefarm/state/keys/admin.credential 2>&1)"; then break; fi
    status="FAILED: $status"; sleep 1
done
[[ "$status" != FAILED:* ]] || { pm logs "$coord" >&2; fail "the coordinator did not answer stylefarm status: $status"; }

worker="stylefarm-test-worker-$$"
containers+=("$worker")
pm run -d --name "$worker" --network "container:$coord" "${RUN_OPTS[@]}" -v "$state/w1.credential:/etc/stylefarm/worker.credential:ro" \
    "$IMAGE" worker --connect tcp://127.0.0.1:5555 --worker-id w1 --cache-dir /var/lib/stylefarm/blobs \
    --credential /etc/stylefarm/worker.credential >/dev/null || fail "starting the worker container"
joined=""
for _ in $(seq 30); do
    if timeout 20 podman "${PODMAN_GLOBAL[@]}" exec "$coord" stylefarm workers \
            --credential /var/lib/stylefarm/state/keys/admin.credential 2>/dev/null | grep -q w1; then joined=yes; break; fi
    sleep 1
done
[ -n "$joined" ] || { pm logs "$worker" >&2; fail "the worker did not join the coordinator"; }
# The preStop hook's drain (deploy/kubernetes/worker-deployment.yaml): SIGUSR1 to PID 1, and the worker exits 0.
run "$IMAGE" worker --help | grep -q SIGUSR1 || fail "this binary's worker names no SIGUSR1 drain (the Kubernetes preStop needs it)"
worker_stop="drain"
pm exec "$worker" /bin/sh -c 'kill -USR1 1' || fail "kill -USR1 1 in the worker (the preStop hook)"
worker_exit="$(timeout 30 podman "${PODMAN_GLOBAL[@]}" wait "$worker" || echo timeout)"
[ "$worker_exit" = 0 ] || { pm logs "$worker" >&2; fail "the worker ($worker_stop) exited with $worker_exit, not 0"; }
pm stop -t 20 "$coord" >/dev/null
coord_exit="$(pm inspect --format '{{.State.ExitCode}}' "$coord")"
[ "$coord_exit" = 0 ] || { pm logs "$coord" >&2; fail "the coordinator exited with $coord_exit on SIGTERM, not 0"; }
checks_seconds="$(since "$t0")"

echo "container=ok image=$IMAGE size=${size_mb}MB base=${base_seconds}$([ "$base_seconds" = cached ] || echo s) build=${build_seconds}s checks=${checks_seconds}s worker_stop=$worker_stop"
