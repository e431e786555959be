"""Reader and writer for StyleFarm weight files (.sfw), the format described in docs/MODELS.md.

Only numpy is needed. The writer produces byte-identical output to the Swift `WeightFile.serialized()`
for the same contents (tensors sorted by name, JSON header with sorted keys and no spaces... see
`header_json`), so checksums agree.

    import sfw
    sfw.write("vgg19.sfw", "vgg19", "source text", {"conv1_1.weight": array, ...})
    network, source, tensors = sfw.read("vgg19.sfw")
"""
from __future__ import annotations

import json
import struct

import numpy as np

MAGIC = b"SFWEIGHT"
VERSION = 1
ALIGN = 64


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def header_json(network: str, source: str, tensors: dict) -> tuple[bytes, list]:
    entries, offset = [], 0
    for name in sorted(tensors):
        arr = tensors[name]
        entries.append({"byteLength": int(arr.size) * 4, "dtype": "float32", "name": name,
                        "offset": offset, "shape": [int(d) for d in arr.shape]})
        offset = _align(offset + int(arr.size) * 4)
    data_length = entries[-1]["offset"] + entries[-1]["byteLength"] if entries else 0
    header = {"dataLength": data_length, "network": network, "source": source, "tensors": entries}
    # Matches Foundation's JSONEncoder with .sortedKeys and .withoutEscapingSlashes: no whitespace.
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8"), entries


def write(path: str, network: str, source: str, tensors: dict) -> None:
    """Writes float32 tensors (numpy arrays, any float dtype) to `path`."""
    tensors = {k: np.ascontiguousarray(v, dtype="<f4") for k, v in tensors.items()}
    header, entries = header_json(network, source, tensors)
    data_start = _align(16 + len(header))
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<II", VERSION, len(header)) + header)
        f.write(b"\0" * (data_start - 16 - len(header)))
        pos = 0
        for e in entries:
            f.write(b"\0" * (e["offset"] - pos))
            f.write(tensors[e["name"]].tobytes())
            pos = e["offset"] + e["byteLength"]


def read(path: str):
    """Returns (network, source, {name: float32 array}) after checking every offset."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != MAGIC:
        raise ValueError("not a StyleFarm weight file (bad magic)")
    version, hlen = struct.unpack_from("<II", blob, 8)
    if version != VERSION:
        raise ValueError(f"unsupported version {version}")
    header = json.loads(blob[16:16 + hlen].decode("utf-8"))
    data_start = _align(16 + hlen)
    if len(blob) != data_start + header["dataLength"]:
        raise ValueError("file size does not match the header's dataLength")
    tensors = {}
    for e in header["tensors"]:
        count = int(np.prod(e["shape"]))
        if e["dtype"] != "float32" or count * 4 != e["byteLength"]:
            raise ValueError(f"bad entry {e['name']}")
        if e["offset"] < 0 or e["offset"] + e["byteLength"] > header["dataLength"]:
            raise ValueError(f"tensor {e['name']} out of bounds")
        start = data_start + e["offset"]
        tensors[e["name"]] = np.frombuffer(blob, dtype="<f4", count=count, offset=start).reshape(e["shape"])
    return header["network"], header["source"], tensors
