"""Independent OpenEXR plates and checks for StyleFarm's tests (issue 20), with PyPI's `OpenEXR` (the
Academy Software Foundation's own bindings), not StyleFarm's reader.

    exr_plates.py make DIR FRAMES WIDTH HEIGHT   writes DIR/plate.0001.exr ...: scene-linear RGBA (half,
        premultiplied, alpha 0 in a corner), a float depth layer, Cryptomatte-style float channels, a manifest
        and a custom string attribute, a data window with overscan; PIZ compression.
    exr_plates.py check PLATE OUTPUT [LAYER]     compares an output with its plate (LAYER: the stylized
        layer, e.g. ViewLayer.Combined; default the unnamed R, G, B, A): prints JSON with what passed through
        and how the stylized layer differs.
    exr_plates.py make-multipart PATH WIDTH HEIGHT   a multi-part plate as Nuke writes one: part "diffuse"
        (diffuse.R/G/B half), part "beauty" (R, G, B, A half, ZIP, opaque), part "depth" (Z float, PIZ, tiled),
        part "crypto" (CryptoObject00.R/G/B/A float, a manifest in its header).
    exr_plates.py check-multipart PLATE OUTPUT   prints JSON: the parts' names in order, each passed-through
        part's channels bit for bit and its attributes, and how the beauty part's colour changed.
"""
import json
import sys

import numpy as np
import OpenEXR

MANIFEST = json.dumps({"Suzanne": "3f800000", "Ground": "40000000"})


def make(directory, frames, width, height):
    # Overscan: two pixels outside the display window on the left and at the top.
    x0, y0, x1, y1 = -2, -2, width - 1, height - 1
    w, h = x1 - x0 + 1, y1 - y0 + 1
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for frame in range(1, frames + 1):
        phase = frame * 3.0
        r = 0.05 + 1.6 * (xs + phase) / w          # some values above 1
        g = 0.02 + 0.9 * ys / h
        b = 0.3 + 0.25 * np.sin((xs + ys + phase) / 5.0)
        alpha = np.ones((h, w), np.float32)
        alpha[: h // 4, : w // 4] = 0.0           # a transparent corner
        alpha[h // 4, : w // 4] = 0.5             # a soft edge
        rgba = np.stack([r * alpha, g * alpha, b * alpha, alpha], axis=-1).astype(np.float16)
        depth = (10.0 + xs * 0.01 + frame).astype(np.float32)
        crypto = np.zeros((h, w, 4), np.float32)
        crypto[..., 0] = np.float32(1.0)          # id of "Suzanne" (0x3f800000)
        crypto[..., 1] = (xs / w).astype(np.float32)
        crypto[..., 2] = np.float32(2.0)          # id of "Ground"
        crypto[..., 3] = (1 - xs / w).astype(np.float32)
        header = {
            "compression": OpenEXR.PIZ_COMPRESSION,
            "type": OpenEXR.scanlineimage,
            "dataWindow": (np.array([x0, y0], np.int32), np.array([x1, y1], np.int32)),
            "displayWindow": (np.array([0, 0], np.int32), np.array([width - 1, height - 1], np.int32)),
            "cryptomatte/abc1234/name": "CryptoObject",
            "cryptomatte/abc1234/manifest": MANIFEST,
            "studio/shot": "sf_010 frame %d" % frame,
        }
        channels = {
            "R": rgba[..., 0].copy(), "G": rgba[..., 1].copy(), "B": rgba[..., 2].copy(), "A": rgba[..., 3].copy(),
            "depth.Z": depth,
            "CryptoObject00.R": crypto[..., 0].copy(), "CryptoObject00.G": crypto[..., 1].copy(),
            "CryptoObject00.B": crypto[..., 2].copy(), "CryptoObject00.A": crypto[..., 3].copy(),
        }
        with OpenEXR.File(header, channels) as f:
            f.write("%s/plate.%04d.exr" % (directory, frame))


def check(plate_path, output_path, layer=""):
    prefix = layer + "." if layer else ""
    R, G, B, A = (prefix + c for c in "RGBA")
    with OpenEXR.File(plate_path, separate_channels=True) as p, OpenEXR.File(output_path, separate_channels=True) as o:
        ph, oh = p.header(), o.header()
        pc, oc = p.channels(), o.channels()
        passed = sorted(n for n in pc if n not in (R, G, B, A))
        identical = {n: bool(n in oc and oc[n].pixels.dtype == pc[n].pixels.dtype
                             and np.array_equal(oc[n].pixels.view(np.uint8), pc[n].pixels.view(np.uint8))) for n in passed}
        attributes = {k: (k in oh and str(oh[k]) == str(ph[k])) for k in ph
                      if k.startswith("cryptomatte/") or k.startswith("studio/")}
        alpha_same = bool(np.array_equal(oc[A].pixels.astype(np.float32), pc[A].pixels.astype(np.float32)))
        rgb_change = float(np.mean(np.abs(oc[R].pixels.astype(np.float32) - pc[R].pixels.astype(np.float32))))
        a = oc[A].pixels.astype(np.float32)
        transparent = a == 0
        # Premultiplied: where alpha is 0 the colour is 0 (the plate has no light there).
        transparent_rgb = float(max(np.abs(oc[c].pixels.astype(np.float32))[transparent].max(initial=0.0) for c in (R, G, B)))
        print(json.dumps({
            "channels": sorted(oc.keys()),
            "plate_channels": sorted(pc.keys()),
            "identical": identical,
            "attributes": attributes,
            "provenance": {k: str(v) for k, v in oh.items() if k.startswith("stylefarm/")},
            "data_window": [oh["dataWindow"][0].tolist(), oh["dataWindow"][1].tolist()],
            "plate_data_window": [ph["dataWindow"][0].tolist(), ph["dataWindow"][1].tolist()],
            "display_window": [oh["displayWindow"][0].tolist(), oh["displayWindow"][1].tolist()],
            "compression": str(oh["compression"]),
            "rgb_dtype": str(oc[R].pixels.dtype),
            "alpha_same": alpha_same,
            "rgb_mean_change": rgb_change,
            "transparent_rgb_max": transparent_rgb,
        }))


def make_multipart(path, width, height):
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(11)
    tiles = OpenEXR.TileDescription()
    tiles.xSize, tiles.ySize, tiles.mode, tiles.roundingMode = 16, 16, OpenEXR.ONE_LEVEL, OpenEXR.ROUND_DOWN
    beauty = {"R": (0.1 + x / width).astype(np.float16), "G": (0.05 + 0.5 * y / height).astype(np.float16),
              "B": (0.3 + 0.2 * np.sin(x / 5)).astype(np.float16), "A": np.ones((height, width), np.float16)}
    parts = [
        OpenEXR.Part({"compression": OpenEXR.ZIPS_COMPRESSION, "type": OpenEXR.scanlineimage, "studio/pass": "diffuse"},
                     {"diffuse." + c: rng.random((height, width)).astype(np.float16) for c in "RGB"}, "diffuse"),
        OpenEXR.Part({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage, "studio/shot": "mp010"},
                     beauty, "beauty"),
        OpenEXR.Part({"compression": OpenEXR.PIZ_COMPRESSION, "type": OpenEXR.tiledimage, "tiles": tiles},
                     {"Z": (rng.random((height, width)) * 100).astype(np.float32)}, "depth"),
        OpenEXR.Part({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage,
                      "cryptomatte/0a1b2c3/name": "CryptoObject", "cryptomatte/0a1b2c3/manifest": MANIFEST},
                     {"CryptoObject00." + c: rng.random((height, width)).astype(np.float32) for c in "RGBA"}, "crypto"),
    ]
    OpenEXR.File(parts).write(path)


def check_multipart(plate_path, output_path):
    with OpenEXR.File(plate_path, separate_channels=True) as p, OpenEXR.File(output_path, separate_channels=True) as o:
        report = {"parts": [part.name() for part in o.parts], "plate_parts": [part.name() for part in p.parts],
                  "identical": {}, "attributes": {}}
        for pp, op in zip(p.parts, o.parts):
            if pp.name() == "beauty":
                report["beauty_change"] = float(np.mean(np.abs(op.channels["R"].pixels.astype(np.float32)
                                                               - pp.channels["R"].pixels.astype(np.float32))))
                report["beauty_alpha_same"] = bool(np.array_equal(op.channels["A"].pixels, pp.channels["A"].pixels))
                report["beauty_studio_shot"] = str(op.header.get("studio/shot"))
                report["provenance_frame"] = str(op.header.get("stylefarm/content-path", ""))
                continue
            for name, channel in pp.channels.items():
                other = op.channels.get(name)
                report["identical"][pp.name() + ":" + name] = bool(
                    other is not None and other.pixels.dtype == channel.pixels.dtype
                    and np.array_equal(other.pixels.view(np.uint8), channel.pixels.view(np.uint8)))
            for key, value in pp.header.items():
                if key.startswith("studio/") or key.startswith("cryptomatte/") or key in ("compression", "type", "tiles"):
                    report["attributes"][pp.name() + ":" + key] = str(op.header.get(key)) == str(value)
        print(json.dumps(report))


if __name__ == "__main__":
    if sys.argv[1] == "make-multipart":
        make_multipart(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        sys.exit(0)
    if sys.argv[1] == "check-multipart":
        check_multipart(sys.argv[2], sys.argv[3])
        sys.exit(0)
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
    else:
        sys.exit("usage: exr_plates.py make DIR FRAMES WIDTH HEIGHT | check PLATE OUTPUT [LAYER]")
