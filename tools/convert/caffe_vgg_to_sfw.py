#!/usr/bin/env python3
"""Convert the original Caffe VGG-16/VGG-19 model (VGG_ILSVRC_16_layers.caffemodel /
VGG_ILSVRC_19_layers.caffemodel, Simonyan & Zisserman, CC BY 4.0) to a StyleFarm weight file (.sfw).

    python3 tools/convert/caffe_vgg_to_sfw.py VGG_ILSVRC_19_layers.caffemodel vgg19.sfw
    stylefarm models import --network vgg19 --file vgg19.sfw

Needs only numpy: the .caffemodel (a serialized caffe.NetParameter protobuf) is read with a tiny protobuf
wire-format reader below, using these caffe.proto (BSD-2-Clause, BVLC) field numbers:

    NetParameter      layer = 100 (LayerParameter), layers = 2 (V1LayerParameter, used by the VGG files)
    LayerParameter    name = 1, type = 2 (string, "Convolution"), blobs = 7
    V1LayerParameter  name = 4, type = 5 (enum, CONVOLUTION = 4), blobs = 6
    BlobProto         num = 1, channels = 2, height = 3, width = 4 (legacy 4-D shape), data = 5 (float),
                      shape = 7 (BlobShape: dim = 1, int64)

Caffe's VGG already uses StyleFarm's convention (BGR, 0..255, minus the mean (103.939, 116.779, 123.68)),
and its convolution blobs are OIHW, so the conv1_1..conv5_x weights and biases are copied unchanged.
See tools/convert/caffe_vgg_to_sfw.md. `--self-test` round-trips a synthetic caffemodel.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfw  # noqa: E402
from torchvision_vgg_to_sfw import BLOCKS, expected_shapes, layer_names  # noqa: E402

# ---- protobuf wire format --------------------------------------------------------------------------


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf: memoryview):
    """Yields (field number, wire type, value); value is an int (varint/fixed) or a memoryview (bytes)."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise ValueError("truncated length-delimited field")
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def parse_blob(buf: memoryview) -> np.ndarray:
    legacy = {1: 0, 2: 0, 3: 0, 4: 0}
    dims, chunks = None, []
    for number, wire, value in fields(buf):
        if number in legacy and wire == 0:
            legacy[number] = value
        elif number == 5 and wire == 2:       # packed floats
            chunks.append(np.frombuffer(value, dtype="<f4"))
        elif number == 5 and wire == 5:       # unpacked float
            chunks.append(np.frombuffer(value, dtype="<f4"))
        elif number == 7 and wire == 2:       # BlobShape
            dims = []
            for n, w, v in fields(value):
                if n == 1 and w == 2:
                    p = 0
                    while p < len(v):
                        d, p = _varint(v, p)
                        dims.append(d)
                elif n == 1 and w == 0:
                    dims.append(v)
    data = np.concatenate(chunks) if chunks else np.zeros(0, dtype="<f4")
    if dims is None:
        dims = [legacy[1], legacy[2], legacy[3], legacy[4]]
        while len(dims) > 1 and dims[0] == 1:
            dims = dims[1:]   # legacy biases are stored as 1x1x1xN
    if int(np.prod(dims)) != data.size:
        raise ValueError(f"blob shape {dims} does not match {data.size} values")
    return data.reshape(dims)


def conv_layers(model: bytes) -> dict[str, list[np.ndarray]]:
    """{layer name: [blobs]} for every convolution layer (new-style and V1)."""
    out = {}
    for number, wire, value in fields(memoryview(model)):
        if wire != 2 or number not in (2, 100):
            continue
        name, is_conv, blobs = "", False, []
        name_field, type_field, blob_field = (4, 5, 6) if number == 2 else (1, 2, 7)
        for n, w, v in fields(value):
            if n == name_field and w == 2:
                name = bytes(v).decode("utf-8")
            elif n == type_field:
                is_conv = (v == 4) if w == 0 else bytes(v) == b"Convolution"
            elif n == blob_field and w == 2:
                blobs.append(parse_blob(v))
        if is_conv:
            out[name] = blobs
    return out


# ---- conversion ------------------------------------------------------------------------------------


def convert(model: bytes, network: str | None) -> tuple[str, dict[str, np.ndarray]]:
    layers = conv_layers(model)
    detected = {13: "vgg16", 16: "vgg19"}.get(len(layers))
    if detected is None:
        sys.exit(f"found {len(layers)} convolution layers; expected 13 (VGG-16) or 16 (VGG-19)")
    if network and network != detected:
        sys.exit(f"--network {network} but the model has {len(layers)} convolutions ({detected})")
    shapes, tensors = expected_shapes(detected), {}
    for name in layer_names(detected):
        if name not in layers or len(layers[name]) != 2:
            sys.exit(f"layer {name} missing or without weight and bias blobs")
        w, b = layers[name]
        b = b.reshape(-1)
        if tuple(w.shape) != shapes[name] or b.shape != (shapes[name][0],):
            sys.exit(f"{name}: shape {w.shape}/{b.shape}, expected {shapes[name]}")
        tensors[f"{name}.weight"], tensors[f"{name}.bias"] = w, b
    return detected, tensors


# ---- self-test: write a synthetic V1 caffemodel and read it back -----------------------------------


def _key(number: int, wire: int) -> bytes:
    return _enc_varint(number << 3 | wire)


def _enc_varint(v: int) -> bytes:
    out = bytearray()
    while True:
        byte = v & 0x7F
        v >>= 7
        out.append(byte | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _ld(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _enc_varint(len(payload)) + payload


def _blob_legacy(arr: np.ndarray) -> bytes:
    dims = ([1] * (4 - arr.ndim)) + list(arr.shape)
    head = b"".join(_key(i + 1, 0) + _enc_varint(d) for i, d in enumerate(dims))
    return head + _ld(5, arr.astype("<f4").tobytes())


def self_test() -> None:
    rng = np.random.default_rng(0)
    shapes, model, ref = expected_shapes("vgg16"), b"", {}
    model += _ld(1, b"VGG_ILSVRC_16_layers")
    for name in layer_names("vgg16"):
        w = rng.normal(size=shapes[name]).astype(np.float32)
        b = rng.normal(size=shapes[name][0]).astype(np.float32)
        ref[name] = (w, b)
        layer = _ld(4, name.encode()) + _key(5, 0) + _enc_varint(4) + _ld(6, _blob_legacy(w)) + _ld(6, _blob_legacy(b))
        model += _ld(2, layer)
        model += _ld(2, _ld(4, f"relu{name[4:]}".encode()) + _key(5, 0) + _enc_varint(18))
    network, tensors = convert(model, "vgg16")
    assert network == "vgg16" and len(tensors) == 26
    for name, (w, b) in ref.items():
        assert np.array_equal(tensors[f"{name}.weight"], w) and np.array_equal(tensors[f"{name}.bias"], b), name
    print("self-test passed")


def main() -> None:
    ap = argparse.ArgumentParser(description="Convert a Caffe VGG-16/19 .caffemodel to a StyleFarm .sfw")
    ap.add_argument("input", nargs="?", help="VGG_ILSVRC_16_layers.caffemodel or VGG_ILSVRC_19_layers.caffemodel")
    ap.add_argument("output", nargs="?", help="the .sfw to write")
    ap.add_argument("--network", choices=sorted(BLOCKS))
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return
    if not args.input or not args.output:
        ap.error("input and output are required")
    with open(args.input, "rb") as f:
        model = f.read()
    network, tensors = convert(model, args.network)
    source = (f"Caffe {network} {os.path.basename(args.input)} (sha256 {hashlib.sha256(model).hexdigest()}); "
              "BGR 0-255 minus mean [103.939, 116.779, 123.68]; VGG: Simonyan & Zisserman 2015, CC BY 4.0")
    sfw.write(args.output, network, source, tensors)
    print(f"wrote {args.output}: {network}, {len(tensors)} tensors")
    print(f"install with: stylefarm models import --network {network} --file {args.output}")


if __name__ == "__main__":
    main()
