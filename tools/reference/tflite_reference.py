#!/usr/bin/env python3
"""Reference label maps for the Swift DeepLab segmenter, from Google's LiteRT interpreter.

Runs the DeepLabv3 MobileNetV2 PASCAL VOC models (full and half width) through `ai-edge-litert` with its
reference kernels (`OpResolverType.BUILTIN_REF`: the plain integer reference implementations, no XNNPACK
delegate, no optimized kernels) on the shared test images and writes, per model and image, the 513x513
label map the graph's ArgMax produces as an 8-bit grayscale PNG (pixel value = class index), plus
`manifest.json` with the versions, model checksums and per-image class histograms. For calibration the
manifest also records how often LiteRT's own optimized integer kernels (`BUILTIN_WITHOUT_DEFAULT_DELEGATES`)
give the same label as its reference kernels: integer implementations differ among themselves at class
boundaries too, by about as much as float execution differs from them.

The input is prepared exactly as `DeepLabSegmenter.inputValues(for:)` does: the image is resized to
513x513 with the engine's `Resampler` (area average along a shrinking axis, linear interpolation with
half-pixel centres along a growing one, replicated below in float32), 8-bit values are re-quantized with
round(v * 255), and fed to the uint8 input (scale 1/128, zero point 128).

Use a throwaway virtual environment (nothing is installed into the repository):

    python3 -m venv /tmp/litert-venv
    /tmp/litert-venv/bin/pip install ai-edge-litert numpy pillow
    /tmp/litert-venv/bin/python tools/reference/tflite_reference.py \
        --data ../shared/data --out Tests/EngineTests/Fixtures/segmentation
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
from PIL import Image

MODELS = {
    "deeplab": "deeplabv3_mnv2_pascal_quant.tflite",
    "deeplab-small": "deeplabv3_mnv2_dm05_pascal_quant.tflite",
}
IMAGES = ["bird_segmentation", "grace_hopper", "squat", "cat", "dog_segmentation"]


def axis_terms(in_size, out_size):
    """The engine's Resampler (`AxisWeights`) for one axis: per output index, (source, float32 weight) terms
    in the engine's order."""
    terms = []
    if out_size == in_size:
        terms = [[(i, 1.0)] for i in range(out_size)]
    elif out_size < in_size:
        scale = in_size / out_size
        for i in range(out_size):
            lo, hi = i * scale, min((i + 1) * scale, in_size)
            row, j = [], int(np.floor(lo))
            while j < hi and j < in_size:
                overlap = min(hi, j + 1) - max(lo, j)
                if overlap > 1e-12:
                    row.append((j, overlap))
                j += 1
            total = sum(w for _, w in row)
            terms.append([(j, w / total) for j, w in row])
    else:
        scale = in_size / out_size
        for i in range(out_size):
            p = min(max((i + 0.5) * scale - 0.5, 0), in_size - 1)
            j0 = int(np.floor(p))
            j1 = min(j0 + 1, in_size - 1)
            t = p - j0
            terms.append([(j0, 1.0)] if t == 0 or j0 == j1 else [(j0, 1 - t), (j1, t)])
    return [[(j, np.float32(w)) for j, w in row] for row in terms]


def model_input(path, height, width):
    """The uint8 model input the Swift segmenter computes: the same float32 operations in the same order
    (horizontal pass, then vertical pass, each a running sum of source x weight), then q = round(v * 255)
    with halves rounded away from zero as Swift's `rounded()` does. Exact .5 cases are common when
    upscaling 8-bit images, so the order and the rounding rule both matter."""
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / np.float32(255)
    h, w, _ = rgb.shape
    if (h, w) != (height, width):
        horizontal = np.zeros((h, width, 3), dtype=np.float32)
        for x, row in enumerate(axis_terms(w, width)):
            acc = np.zeros((h, 3), dtype=np.float32)
            for j, wt in row:
                acc = acc + rgb[:, j, :] * wt
            horizontal[:, x, :] = acc
        rgb = np.zeros((height, width, 3), dtype=np.float32)
        for y, row in enumerate(axis_terms(h, height)):
            for j, wt in row:
                rgb[y] = rgb[y] + horizontal[j] * wt
    v = np.clip(rgb, 0, 1) * np.float32(255)
    return np.floor(v + np.float32(0.5)).astype(np.uint8)[None]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data"))
    parser.add_argument("--out", default="Tests/EngineTests/Fixtures/segmentation")
    args = parser.parse_args()

    from ai_edge_litert import interpreter as litert
    import importlib.metadata as md

    os.makedirs(args.out, exist_ok=True)
    manifest = {"generator": "tools/reference/tflite_reference.py",
                "ai_edge_litert": md.version("ai-edge-litert"),
                "kernels": "BUILTIN_REF (reference integer kernels, no XNNPACK)",
                "input": "engine Resampler to 513x513, q = round(v * 255)",
                "fixtures": []}
    for key, file in MODELS.items():
        model_path = os.path.join(args.data, "models", file)
        interp = litert.Interpreter(model_path=model_path, num_threads=2,
                                    experimental_op_resolver_type=litert.OpResolverType.BUILTIN_REF)
        interp.allocate_tensors()
        optimized = litert.Interpreter(
            model_path=model_path, num_threads=2,
            experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        optimized.allocate_tensors()
        inp = interp.get_input_details()[0]
        out = interp.get_output_details()[0]
        _, height, width, _ = inp["shape"]
        for name in IMAGES:
            image_path = os.path.join(args.data, "images", name + ".png")
            x = model_input(image_path, height, width)
            interp.set_tensor(inp["index"], x)
            interp.invoke()
            labels = interp.get_tensor(out["index"])[0].astype(np.uint8)
            optimized.set_tensor(inp["index"], x)
            optimized.invoke()
            other = optimized.get_tensor(out["index"])[0].astype(np.uint8)
            optimized_agreement = float((other == labels).mean())
            flat = x.reshape(-1).astype(np.int64)
            # Lets the Swift test check it feeds the very same uint8 input: sum of q and of q * (i mod 7 + 1).
            input_checksum = [int(flat.sum()), int((flat * (np.arange(flat.size) % 7 + 1)).sum())]
            fixture = f"{key}_{name}.png"
            Image.fromarray(labels, mode="L").save(os.path.join(args.out, fixture), optimize=True)
            histogram = {int(c): int(n) for c, n in zip(*np.unique(labels, return_counts=True))}
            manifest["fixtures"].append({"model": key, "model_file": file, "model_sha256": sha256(model_path),
                                         "image": f"images/{name}.png", "labels": fixture,
                                         "histogram": histogram,
                                         "input_checksum": input_checksum,
                                         "optimized_kernels_agreement": round(optimized_agreement, 5)})
            print(f"{key} {name}: {histogram}, optimized kernels agree on {optimized_agreement:.4f}", file=sys.stderr)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
