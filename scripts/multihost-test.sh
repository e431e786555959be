#!/usr/bin/env bash
# The farm across hosts (issue 21): a coordinator and three workers, each a host of its own — a Linux network
# namespace on a bridge (scripts/lib-netns.sh; addresses 10.214.0.0/24 that exist only inside them) and a mount
# namespace in which the coordinator's disk is not there (a tmpfs hides it): nothing is shared but the network.
# Every worker has its own credential file (CurveZMQ, mode 0600), its own blob cache, and fetches the plates and
# hands back its frames as blobs (`--no-shared-filesystem`). It renders a 6-frame `--temporal sequential` job
# (every frame waits for the one before, which another host may have rendered), pulls one worker's cable for 8 s
# while it holds a frame and plugs it back, then checks every frame against `stylefarm stylize` chained by hand
# on one machine — byte for byte, but the PNG text that names the job — and prints as its last line
#   identical=6/6
#
#   scripts/multihost-test.sh [--keep]     --keep: keep the work folder (logs, state, frames)
#
# Needs root (ip netns, unshare, mount); without it says so and exits 0 (skipped). Uses the release build and
# the VGG-16 weights and demo images (`stylefarm models install --demo`). About a minute on 2 cores.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-netns.sh"
cd "$REPO_ROOT"

KEEP=0
case "${1:-}" in
    --keep) KEEP=1 ;;
    "") ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "multihost: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

netns_require multihost
command -v unshare >/dev/null || { echo "multihost: skipped: needs unshare (util-linux)"; exit 0; }
BIN="$(stylefarm_bin)"
[ -x "$BIN" ] || { echo "multihost: no release build at $BIN (swift build -c release)" >&2; exit 1; }
DEMO="$("$BIN" models list 2>/dev/null | awk '$1 == "demo" && /ok/ { print $NF }')"
[ -n "$DEMO" ] && [ -f "$DEMO/brick.png" ] || { echo "multihost: needs the demo images: $BIN models install --demo" >&2; exit 1; }

FRAMES=6
ENGINE=(--size 64 --iterations 24 --seed 7)
WORK="$(mktemp -d /tmp/stylefarm-multihost.XXXXXX)"
HEAD="$WORK/farm-head"                 # the coordinator host's disk: state, plates, frames
WORKERS=(w1 w2 w3)
declare -A ADDRESS=([head]=10.214.0.1 [w1]=10.214.0.11 [w2]=10.214.0.12 [w3]=10.214.0.13)
declare -A PID=()
START=$(date +%s)
say() { printf 'multihost %4ds: %s\n' "$(( $(date +%s) - START ))" "$*"; }

cleanup() {
    set +e
    netns_cleanup
    if [ "$KEEP" = 1 ]; then echo "multihost: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the hosts --------------------------------------------------------------------------------------------
netns_network "sfm$$"
for host in head "${WORKERS[@]}"; do netns_host "$host" "${ADDRESS[$host]}/24"; done
say "hosts: head ${ADDRESS[head]}, $(for w in "${WORKERS[@]}"; do printf '%s %s ' "$w" "${ADDRESS[$w]}"; done)"

# --- the head: plates, keys, one credential file per worker (handed over as a file, mode 0600) ----------------
mkdir -p "$HEAD/state" "$HEAD/out"
"$BIN" make-sequence --out "$HEAD/plates" --frames "$FRAMES" --size 96x64 >/dev/null
"$BIN" keys create --state-dir "$HEAD/state" --name wrangler --role admin --out "$HEAD/wrangler.credential" >/dev/null
for w in "${WORKERS[@]}"; do
    mkdir -p "$WORK/$w"
    "$BIN" keys create --state-dir "$HEAD/state" --name "$w" --role worker --out "$HEAD/$w.credential" >/dev/null
    install -m 600 "$HEAD/$w.credential" "$WORK/$w/worker.credential"
done

netns_spawn head "$BIN" coordinator --state-dir "$HEAD/state" --bind-workers "tcp://${ADDRESS[head]}:5555" \
    --bind-clients "tcp://${ADDRESS[head]}:5556" --threads 1 >"$WORK/head.log" 2>&1
PID[head]=$NETNS_SPAWNED

# A worker host: its own mount namespace, where the head's disk is hidden under an empty tmpfs.
start_worker() {
    local w="$1"
    netns_spawn "$w" unshare --mount --propagation private /bin/bash -c '
        mount -t tmpfs -o size=1m,mode=0755 not-this-host "$1" || exit 1
        [ ! -e "$1/plates" ] || { echo "the head'"'"'s disk is visible" >&2; exit 1; }
        exec "$2" worker --connect "tcp://$3:5555" --credential "$4/worker.credential" --worker-id "$5" \
            --threads 1 --slots 1 --cache-dir "$4/cache"' \
        worker-host "$HEAD" "$BIN" "${ADDRESS[head]}" "$WORK/$w" "$w" >>"$WORK/$w/worker.log" 2>&1
    PID[$w]=$NETNS_SPAWNED
}
for w in "${WORKERS[@]}"; do start_worker "$w"; done

client() { netns_exec head "$BIN" "$@" --coordinator "tcp://${ADDRESS[head]}:5556" --credential "$HEAD/wrangler.credential"; }
job_json() { client status "$1" --json 2>/dev/null || true; }
job_field() { job_json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin).get('job', {}).get('$2', ''))" 2>/dev/null || true; }

# --- the job ----------------------------------------------------------------------------------------------
JOB=""
for _ in $(seq 1 30); do
    JOB="$(client submit --name shot --content "$HEAD/plates/frame_####.png" --frames "1-$FRAMES" --style "$DEMO/brick.png" \
           --output-dir "$HEAD/out" --temporal sequential --no-shared-filesystem "${ENGINE[@]}" 2>>"$WORK/client.log")" && break
    sleep 1
done
[ -n "$JOB" ] || { echo "multihost: cannot submit (see $WORK/client.log)" >&2; tail -n 20 "$WORK/head.log" >&2; exit 1; }
say "submitted $JOB: $FRAMES frames, temporal sequential, blobs only"

# Pull the cable of the worker that renders frame 2 or later (so the chain has to wait for the link or go round it).
DEADLINE=$(( START + 240 )) CUT=""
while [ -z "$CUT" ] && [ "$(date +%s)" -lt "$DEADLINE" ]; do
    CUT="$(job_json "$JOB" | tee -a "$WORK/poll.log" | python3 -c '
import json, sys
status = json.load(sys.stdin)
for frame in status.get("frames", []):
    if int(frame.get("frameNumber", 0)) >= 2 and frame.get("workerId") and frame.get("state") == "FRAME_STATE_RUNNING":
        print(frame["workerId"]); break
' 2>/dev/null || true)"
    [ -n "$CUT" ] || sleep 0.3
done
[ -n "$CUT" ] || { echo "multihost: no worker ever held frame 2 or later" >&2; job_json "$JOB" >&2; exit 1; }
say "pull $CUT's cable for 8 s (it holds a frame)"
netns_link "$CUT" down; sleep 8; netns_link "$CUT" up
say "$CUT's cable is back"

STATE=""
while [ "$(date +%s)" -lt "$DEADLINE" ]; do
    STATE="$(job_field "$JOB" state)"
    case "$STATE" in JOB_STATE_COMPLETED|JOB_STATE_FAILED|JOB_STATE_CANCELLED) break ;; esac
    sleep 1
done
say "the job ended: ${STATE:-unknown}"
if [ "$STATE" != JOB_STATE_COMPLETED ]; then
    for log in "$WORK/head.log" "$WORK"/w*/worker.log; do echo "--- $log (last lines)"; tail -n 15 "$log"; done
fi
WHO="$(job_json "$JOB" | python3 -c '
import json, sys
frames = json.load(sys.stdin).get("frames", [])
print(" ".join("%s:%s" % (f.get("frameNumber"), f.get("workerId", "?")) for f in frames))' 2>/dev/null || true)"
say "frames by host: $WHO"
# Workers first (each says goodbye), then the head closes its database.
for w in "${WORKERS[@]}"; do kill -TERM "${PID[$w]}" 2>/dev/null || true; done
for w in "${WORKERS[@]}"; do wait "${PID[$w]}" 2>/dev/null || true; done
kill -INT "${PID[head]}" 2>/dev/null || true; wait "${PID[head]}" 2>/dev/null || true
read -r LOST FAILED < <(python3 - "$HEAD/state/jobs.sqlite" "$JOB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
count = lambda outcome: db.execute("""SELECT COUNT(*) FROM attempts a JOIN tasks t ON t.id = a.task_id
                                      WHERE t.job_id = ? AND a.outcome = ?""", (sys.argv[2], outcome)).fetchone()[0]
print(count("lost"), count("failed"))
PY
)
say "attempts lost with a host: $LOST, failed: $FAILED"

# --- the reference: stylize chained by hand on one machine ------------------------------------------------------
previous=()
IDENTICAL=0
for n in $(seq 1 "$FRAMES"); do
    plate="$(printf '%s/plates/frame_%04d.png' "$HEAD" "$n")" ref="$(printf '%s/reference.%04d.png' "$WORK" "$n")"
    "$BIN" stylize --content "$plate" --style "$DEMO/brick.png" --out "$ref" --threads 1 "${ENGINE[@]}" "${previous[@]}" >/dev/null 2>>"$WORK/stylize.log"
    previous=(--previous-output "$ref" --previous-content "$plate")
    frame="$(printf '%s/out/shot.%04d.png' "$HEAD" "$n")"
    if [ -s "$frame" ] && same_png_image "$frame" "$ref"; then IDENTICAL=$((IDENTICAL + 1)); else say "frame $n differs from stylize (or is missing)"; fi
done
echo "identical=$IDENTICAL/$FRAMES"
[ "$STATE" = JOB_STATE_COMPLETED ] && [ "$IDENTICAL" = "$FRAMES" ]
