#!/usr/bin/env bash
# A chaos soak you can run (issue 18): a 24-frame stylize job (small frames, few evaluations, temporal
# `sequential`, so every frame waits for the one before it) on a coordinator and three workers, each in a Linux
# network namespace this script creates, joined by veth pairs to a bridge in a namespace of its own. The
# addresses (10.213.0.0/24) exist only inside those namespaces: nothing is sent anywhere else. During the job it
#   - SIGKILLs a worker and starts it again,
#   - SIGKILLs the coordinator and starts it again on the same state folder,
#   - SIGSTOPs a worker for 5 s (it is declared dead, then comes back with a stale result),
#   - cuts a worker's link for 10 s (a partition) and restores it,
#   - fills the output disk (a small tmpfs) for 10 s: the job pauses with the reason, and the script resumes it
#     when the space is back, as a wrangler would;
# then checks every frame against the same job rendered without faults (byte for byte but the PNG text that names the job), that no task finished
# twice and that every attempt has an outcome, and prints
#   frames_ok=24/24 identical=24 duplicates=0
#
#   scripts/chaos.sh --short          one fault of each kind (about 3 minutes on 2 cores); what CI runs
#   scripts/chaos.sh [--minutes N]    faults at random (the coordinator killed twice) for a longer job, stopping
#                                     itself after N minutes (default 20); prints the seed and each fault
#   --seed S                          the random schedule's seed (default: from the clock)
#   --keep                            keep the work folder (logs, database, frames) for a look afterwards
#
# Needs root (ip netns, mount) and `ip`; without them it says so and exits 0 (skipped). Uses the release build
# (`swift build -c release` / scripts/test.sh build it) and the VGG-16 weights and demo images
# (`stylefarm models install --demo`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-netns.sh"
cd "$REPO_ROOT"

SHORT=0 MINUTES=20 SEED=$(( $(date +%s) % 100000 )) KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --short) SHORT=1 ;;
        --minutes) MINUTES="$2"; shift ;;
        --seed) SEED="$2"; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "chaos: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

netns_require chaos
BIN="$(stylefarm_bin)"
[ -x "$BIN" ] || { echo "chaos: no release build at $BIN (swift build -c release)" >&2; exit 1; }
DEMO="$("$BIN" models list 2>/dev/null | awk '$1 == "demo" && /ok/ { print $NF }')"
[ -n "$DEMO" ] && [ -f "$DEMO/brick.png" ] || { echo "chaos: needs the demo images: $BIN models install --demo" >&2; exit 1; }

RANDOM=$SEED
P="sfc$$"                         # names of this run's namespaces and links
WORK="$(mktemp -d /tmp/stylefarm-chaos.XXXXXX)"
STATE="$WORK/state" OUT="$WORK/out" REF="$WORK/reference"
COORD_NS="$P-c"
WORKERS=(w1 w2 w3)
declare -A PID=() ADDRESS=([c]=10.213.0.1 [w1]=10.213.0.11 [w2]=10.213.0.12 [w3]=10.213.0.13)
declare -A FAULTS=([worker_kill]=0 [coordinator_kill]=0 [worker_stop]=0 [partition]=0 [disk_full]=0)
START=$(date +%s)
DEADLINE=$(( START + (SHORT == 1 ? 8 : MINUTES) * 60 ))

say() { printf 'chaos %4ds: %s\n' "$(( $(date +%s) - START ))" "$*"; }

cleanup() {
    set +e
    netns_cleanup
    mountpoint -q "$OUT" 2>/dev/null && umount -l "$OUT"
    if [ "$KEEP" = 1 ]; then echo "chaos: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the network: a bridge in its own namespace, one veth pair per node (scripts/lib-netns.sh) -----------
netns_network "$P"
for node in c "${WORKERS[@]}"; do netns_host "$node" "${ADDRESS[$node]}/24"; done

# --- the shot, the keys, a small output disk --------------------------------------------------------------
mkdir -p "$STATE" "$OUT" "$REF"
"$BIN" make-sequence --out "$WORK/plates" --frames 24 --size 96x64 >/dev/null
mount -t tmpfs -o size=24m stylefarm-chaos "$OUT"
"$BIN" keys create --state-dir "$STATE" --name admin-chaos --role admin --out "$WORK/admin.credential" >/dev/null
for w in "${WORKERS[@]}"; do
    "$BIN" keys create --state-dir "$STATE" --name "$w" --role worker --out "$WORK/$w.credential" >/dev/null
done
ITERATIONS=$([ "$SHORT" = 1 ] && echo 30 || echo 120)

start_coordinator() {
    ip netns exec "$COORD_NS" "$BIN" coordinator --state-dir "$STATE" --bind-workers "tcp://${ADDRESS[c]}:5555" \
        --bind-clients tcp://127.0.0.1:5556 --threads 1 --gc-interval 0 >>"$WORK/coordinator.log" 2>&1 &
    PID[c]=$!
}
start_worker() {
    ip netns exec "$P-$1" "$BIN" worker --connect "tcp://${ADDRESS[c]}:5555" --worker-id "$1" --threads 1 --slots 1 \
        --credential "$WORK/$1.credential" --cache-dir "$WORK/cache-$1" >>"$WORK/worker-$1.log" 2>&1 &
    PID[$1]=$!
}
client() { ip netns exec "$COORD_NS" "$BIN" "$@" --coordinator tcp://127.0.0.1:5556 --credential "$WORK/admin.credential"; }
job_field() {  # job_field JOB FIELD: a field of the job's summary (state, framesDone, pausedReason)
    client status "$1" --json 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin).get('job', {}).get('$2', ''))" 2>/dev/null || true
}
submit() {  # submit NAME OUTPUT_DIR → job id
    local id="" tries=0
    until id="$(client submit --name "$1" --content "$WORK/plates/frame_####.png" --frames 1-24 --style "$DEMO/brick.png" \
                  --output-dir "$2" --size 64 --iterations "$ITERATIONS" --temporal sequential --no-shared-filesystem \
                  --max-lost 20 2>>"$WORK/client.log")"; do
        tries=$((tries + 1)); [ $tries -lt 30 ] || { echo "chaos: cannot submit (see $WORK/client.log)" >&2; exit 1; }
        sleep 1
    done
    echo "$id"
}
wait_done() {  # wait_done JOB: until completed or failed, or the deadline
    local state
    while [ "$(date +%s)" -lt "$DEADLINE" ]; do
        if ! kill -0 "${PID[c]}" 2>/dev/null; then echo "COORDINATOR_EXITED"; return; fi
        state="$(job_field "$1" state)"
        case "$state" in JOB_STATE_COMPLETED|JOB_STATE_FAILED|JOB_STATE_CANCELLED) echo "$state"; return ;; esac
        sleep 1
    done
    echo "TIMED_OUT"
}

start_coordinator
for w in "${WORKERS[@]}"; do start_worker "$w"; done

# --- the reference: the same job, no faults ---------------------------------------------------------------
say "reference render (no faults), seed $SEED"
REF_JOB="$(submit chaos-reference "$REF")"
REF_STATE="$(wait_done "$REF_JOB")"
[ "$REF_STATE" = JOB_STATE_COMPLETED ] || { echo "chaos: the reference render did not complete ($REF_STATE)" >&2; tail -n 20 "$WORK/coordinator.log" >&2; exit 1; }
say "reference done: $(ls "$REF" | grep -c '\.png$') frames"

# --- the faults -----------------------------------------------------------------------------------------------
kill_worker() {
    local w="$1"; FAULTS[worker_kill]=$((FAULTS[worker_kill] + 1)); say "SIGKILL worker $w"
    kill -9 "${PID[$w]}" 2>/dev/null || true; wait "${PID[$w]}" 2>/dev/null || true
    sleep 1; start_worker "$w"
}
kill_coordinator() {
    FAULTS[coordinator_kill]=$((FAULTS[coordinator_kill] + 1)); say "SIGKILL the coordinator"
    kill -9 "${PID[c]}" 2>/dev/null || true; wait "${PID[c]}" 2>/dev/null || true
    sleep 1; start_coordinator
}
stop_worker() {
    local w="$1"; FAULTS[worker_stop]=$((FAULTS[worker_stop] + 1)); say "SIGSTOP worker $w for 5 s"
    kill -STOP "${PID[$w]}"; sleep 5; kill -CONT "${PID[$w]}"
}
partition() {
    local w="$1"; FAULTS[partition]=$((FAULTS[partition] + 1)); say "cut worker $w's link for 10 s"
    netns_link "$w" down; sleep 10; netns_link "$w" up
}
fill_disk() {
    FAULTS[disk_full]=$((FAULTS[disk_full] + 1)); say "fill the output disk for 10 s"
    dd if=/dev/zero of="$OUT/.filler" bs=1M 2>/dev/null || true
    sleep 10
    rm -f "$OUT/.filler"
    # A frame that could not be written paused the job, with the reason; a wrangler frees the space and resumes.
    local reason; reason="$(job_field "$JOB" pausedReason)"
    if [ -n "$reason" ]; then say "the job paused: $reason"; fi
    client resume "$JOB" >/dev/null 2>&1 || true
}
random_worker() { echo "${WORKERS[$((RANDOM % 3))]}"; }

say "the job under faults"
JOB="$(submit chaos "$OUT")"
if [ "$SHORT" = 1 ]; then
    # One fault of each kind, a few seconds apart, while the sequential chain renders.
    sleep 4;  kill_worker w1
    sleep 3;  stop_worker w2
    sleep 2;  partition w3
    sleep 2;  kill_coordinator
    sleep 4;  fill_disk
else
    # At random until the job ends: a fault every 5–20 s; the coordinator is killed twice.
    coordinator_kills=0
    while [ "$(date +%s)" -lt "$DEADLINE" ]; do
        sleep $(( 5 + RANDOM % 16 ))
        case "$(job_field "$JOB" state)" in JOB_STATE_COMPLETED|JOB_STATE_FAILED|JOB_STATE_CANCELLED) break ;; esac
        case $(( RANDOM % 5 )) in
            0) kill_worker "$(random_worker)" ;;
            1) if [ $coordinator_kills -lt 2 ]; then kill_coordinator; coordinator_kills=$((coordinator_kills + 1)); else kill_worker "$(random_worker)"; fi ;;
            2) stop_worker "$(random_worker)" ;;
            3) partition "$(random_worker)" ;;
            4) fill_disk ;;
        esac
    done
    while [ "${FAULTS[coordinator_kill]}" -lt 2 ] && [ "$(job_field "$JOB" state)" = JOB_STATE_RUNNING ]; do kill_coordinator; sleep 5; done
fi
# A pause that came after the last resume (the disk was full when a later frame landed) is resumed too.
for _ in 1 2 3; do [ -n "$(job_field "$JOB" pausedReason)" ] && client resume "$JOB" >/dev/null 2>&1; sleep 1; done
STATE_AT_END="$(wait_done "$JOB")"
say "the job ended: $STATE_AT_END"
if [ "$STATE_AT_END" != JOB_STATE_COMPLETED ]; then
    for log in coordinator worker-w1 worker-w2 worker-w3; do echo "--- $log.log (last lines)"; tail -n 15 "$WORK/$log.log"; done
fi
say "faults: worker kills ${FAULTS[worker_kill]}, coordinator kills ${FAULTS[coordinator_kill]}, worker stops ${FAULTS[worker_stop]}, partitions ${FAULTS[partition]}, disk full ${FAULTS[disk_full]}"

# --- the checks ----------------------------------------------------------------------------------------------
kill -INT "${PID[c]}" 2>/dev/null || true; wait "${PID[c]}" 2>/dev/null || true
read -r DUPLICATES PENDING ATTEMPTS < <(python3 - "$STATE/jobs.sqlite" "$JOB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
job = sys.argv[2]
dup = db.execute("""SELECT COUNT(*) FROM (SELECT a.task_id FROM attempts a JOIN tasks t ON t.id = a.task_id
                    WHERE t.job_id = ? AND a.outcome = 'succeeded' GROUP BY a.task_id HAVING COUNT(*) > 1)""", (job,)).fetchone()[0]
pending = db.execute("""SELECT COUNT(*) FROM attempts a JOIN tasks t ON t.id = a.task_id
                        WHERE t.job_id = ? AND a.outcome = 'pending'""", (job,)).fetchone()[0]
total = db.execute("SELECT COUNT(*) FROM attempts a JOIN tasks t ON t.id = a.task_id WHERE t.job_id = ?", (job,)).fetchone()[0]
print(dup, pending, total)
PY
)
FRAMES_OK=0 IDENTICAL=0
for n in $(seq 1 24); do
    name="$(printf 'chaos.%04d.png' "$n")" ref="$(printf 'chaos-reference.%04d.png' "$n")"
    [ -s "$OUT/$name" ] || continue
    FRAMES_OK=$((FRAMES_OK + 1))
    same_png_image "$OUT/$name" "$REF/$ref" && IDENTICAL=$((IDENTICAL + 1))
done
say "attempts: $ATTEMPTS in all, $PENDING without an outcome; tasks that finished twice: $DUPLICATES"
echo "frames_ok=$FRAMES_OK/24 identical=$IDENTICAL duplicates=$DUPLICATES"
[ "$STATE_AT_END" = JOB_STATE_COMPLETED ] && [ "$FRAMES_OK" = 24 ] && [ "$IDENTICAL" = 24 ] && [ "$DUPLICATES" = 0 ] && [ "$PENDING" = 0 ]
