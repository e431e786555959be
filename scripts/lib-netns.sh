# Hosts as Linux network namespaces, for the scripts that run a farm across "machines" on one box
# (scripts/chaos.sh, scripts/multihost-test.sh). Sourced, not run.
#
# A run's hosts are namespaces named PREFIX-NAME, each with an `eth0` whose peer hangs on a bridge `br0` in a
# namespace of its own (PREFIX-hub): one switched network. Its addresses exist only inside these namespaces;
# nothing is routed anywhere else. `netns_cleanup` kills whatever runs in them and deletes them.

# Exits 0 with "NAME: skipped: …" unless this process may create network namespaces.
netns_require() {
    local name="$1"
    [ "$(id -u)" = 0 ] || { echo "$name: skipped: needs root to create network namespaces (run it as root, e.g. in CI)"; exit 0; }
    command -v ip >/dev/null || { echo "$name: skipped: needs iproute2 (ip)"; exit 0; }
    ip netns list >/dev/null 2>&1 || { echo "$name: skipped: this kernel or container does not allow network namespaces"; exit 0; }
}

NETNS_PREFIX=""
NETNS_HOSTS=()

# netns_network PREFIX: the switch (a bridge in PREFIX-hub).
netns_network() {
    NETNS_PREFIX="$1"
    ip netns add "$NETNS_PREFIX-hub"
    ip -n "$NETNS_PREFIX-hub" link set lo up
    ip -n "$NETNS_PREFIX-hub" link add br0 type bridge
    ip -n "$NETNS_PREFIX-hub" link set br0 up
}

# netns_host NAME ADDRESS/PREFIXLEN: a host PREFIX-NAME on the switch (its port on the bridge: NAME-br).
netns_host() {
    local name="$1" address="$2" ns="$NETNS_PREFIX-$1"
    ip netns add "$ns"
    NETNS_HOSTS+=("$ns")
    ip -n "$ns" link set lo up
    ip -n "$NETNS_PREFIX-hub" link add "$name-br" type veth peer name eth0 netns "$ns"
    ip -n "$NETNS_PREFIX-hub" link set "$name-br" master br0 up
    ip -n "$ns" addr add "$address" dev eth0
    ip -n "$ns" link set eth0 up
}

# netns_link NAME up|down: plug host NAME's cable in or pull it (its switch port goes down).
netns_link() { ip -n "$NETNS_PREFIX-hub" link set "$1-br" "$2"; }

# netns_exec NAME COMMAND…: run a command on host NAME.
netns_exec() { local name="$1"; shift; ip netns exec "$NETNS_PREFIX-$name" "$@"; }

# netns_spawn NAME COMMAND…: start a command on host NAME in the background; NETNS_SPAWNED is its process id
# (the command itself, not a subshell, so a signal sent to it reaches the command).
netns_spawn() { local name="$1"; shift; ip netns exec "$NETNS_PREFIX-$name" "$@" & NETNS_SPAWNED=$!; }

# Kills every process on the hosts (stopped ones too) and deletes the namespaces.
netns_cleanup() {
    local ns pid
    for ns in "${NETNS_HOSTS[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -CONT "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null; done
    done
    sleep 0.2
    for ns in "${NETNS_HOSTS[@]}" "$NETNS_PREFIX-hub"; do ip netns del "$ns" 2>/dev/null; done
    NETNS_HOSTS=()
}

# same_png_image A B: whether two PNGs hold the same image — every chunk but the text ones (a farm frame's
# provenance names its job and attempt).
same_png_image() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
def image(path):
    data, at, chunks = open(path, "rb").read(), 8, []
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind not in (b"tEXt", b"iTXt", b"zTXt"):
            chunks.append(data[at:at + 12 + length])
        at += 12 + length
    return data[:8], chunks
sys.exit(0 if image(sys.argv[1]) == image(sys.argv[2]) else 1)
PY
}
