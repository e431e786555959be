#!/usr/bin/env python3
"""Convert a torchvision VGG-16/VGG-19 state dict to a StyleFarm weight file (.sfw).

    python3 tools/convert/torchvision_vgg_to_sfw.py vgg19-dcbb9e9d.pth vgg19.sfw
    stylefarm models import --network vgg19 --file vgg19.sfw

Input: a torchvision `vgg16-397923af.pth` / `vgg19-dcbb9e9d.pth` (needs `torch`), or the same state dict
saved as a numpy `.npz` (keys `features.N.weight` / `features.N.bias`; needs only numpy). Only the
convolutions (`features.*`) are kept; the classifier is dropped.

torchvision's VGGs take RGB in [0, 1] normalised per channel with the ImageNet mean m = (0.485, 0.456, 0.406)
and std s = (0.229, 0.224, 0.225). StyleFarm feeds every VGG the Caffe convention instead: BGR pixel values
p in 0..255 minus M = (103.939, 116.779, 123.68) (B, G, R). The conversion folds the difference into conv1_1
so the network computes the same function on StyleFarm's input. For colour c (R, G or B):

    torchvision input  t_c = (p_c / 255 - m_c) / s_c
    StyleFarm input    e_c = p_c - M_c        =>  p_c = e_c + M_c
    so                 t_c = e_c / (255 s_c) + (M_c - 255 m_c) / (255 s_c)

and conv1_1's output  y_o = b_o + sum_{c,i,j} W[o,c,i,j] t_c(..)  becomes

    W'[o, c', i, j] = W[o, c, i, j] / (255 s_c)                  with c' = the BGR index of colour c
    b'_o            = b_o + sum_c (M_c - 255 m_c) / (255 s_c) * sum_{i,j} W[o, c, i, j]

(the channel axis of W is reversed, RGB -> BGR). This is exact wherever the 3x3 window lies inside the
image. At the one-pixel border, zero padding means "pixel = the mean" in both conventions, but the two means
differ by M_c - 255 m_c = (0.005, 0.499, 0.409) grey levels (R, G, B), i.e. by at most 0.009 in
torchvision's normalised units: negligible. All other layers are copied unchanged.

Use `--self-test` to check the folding numerically on random data (numpy only).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfw  # noqa: E402

TORCH_MEAN_RGB = np.array([0.485, 0.456, 0.406], dtype=np.float64)
TORCH_STD_RGB = np.array([0.229, 0.224, 0.225], dtype=np.float64)
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float64)
BLOCKS = {"vgg16": [2, 2, 3, 3, 3], "vgg19": [2, 2, 4, 4, 4]}
CHANNELS = [64, 128, 256, 512, 512]


def layer_names(network: str) -> list[str]:
    return [f"conv{b + 1}_{c + 1}" for b, n in enumerate(BLOCKS[network]) for c in range(n)]


def expected_shapes(network: str) -> dict[str, tuple]:
    shapes, cin = {}, 3
    for b, n in enumerate(BLOCKS[network]):
        for c in range(n):
            shapes[f"conv{b + 1}_{c + 1}"] = (CHANNELS[b], cin, 3, 3)
            cin = CHANNELS[b]
    return shapes


def load_state_dict(path: str) -> dict[str, np.ndarray]:
    if path.endswith(".npz"):
        with np.load(path) as z:
            return {k: np.asarray(z[k]) for k in z.files}
    try:
        import torch
    except ImportError:
        sys.exit("loading a .pth needs PyTorch (pip install torch --index-url https://download.pytorch.org/whl/cpu); "
                 "or save the state dict as .npz: np.savez(out, **{k: v.numpy() for k, v in sd.items()})")
    sd = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.detach().cpu().numpy() for k, v in sd.items()}


def fold_torchvision_preprocessing(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """conv1_1 for RGB/[0,1]/mean-std input -> conv1_1 for BGR/0..255/mean-subtracted input (see above)."""
    w = w.astype(np.float64)
    b = b.astype(np.float64)
    scale = 1.0 / (255.0 * TORCH_STD_RGB)                        # per RGB input channel
    shift = (CAFFE_MEAN_BGR[::-1] - 255.0 * TORCH_MEAN_RGB) * scale  # (M_c - 255 m_c) / (255 s_c), RGB order
    b_new = b + np.einsum("ochw,c->o", w, shift)
    w_new = (w * scale[None, :, None, None])[:, ::-1, :, :]       # RGB -> BGR input channels
    return np.ascontiguousarray(w_new, dtype=np.float32), b_new.astype(np.float32)


def convert(state: dict[str, np.ndarray], network: str | None) -> tuple[str, dict[str, np.ndarray]]:
    convs = sorted(
        (int(m.group(1)), k) for k in state for m in [re.fullmatch(r"features\.(\d+)\.weight", k)] if m
        and state[k].ndim == 4)
    detected = {13: "vgg16", 16: "vgg19"}.get(len(convs))
    if detected is None:
        sys.exit(f"found {len(convs)} convolutions under features.*; expected 13 (VGG-16) or 16 (VGG-19)")
    if network and network != detected:
        sys.exit(f"--network {network} but the state dict has {len(convs)} convolutions ({detected})")
    network = detected
    shapes = expected_shapes(network)
    tensors = {}
    for name, (idx, key) in zip(layer_names(network), convs):
        w = np.asarray(state[key], dtype=np.float32)
        b = np.asarray(state[f"features.{idx}.bias"], dtype=np.float32)
        if tuple(w.shape) != shapes[name] or b.shape != (shapes[name][0],):
            sys.exit(f"{key}: shape {w.shape}/{b.shape}, expected {shapes[name]} for {name}")
        if name == "conv1_1":
            w, b = fold_torchvision_preprocessing(w, b)
        tensors[f"{name}.weight"] = w
        tensors[f"{name}.bias"] = b
    return network, tensors


def conv2d_valid(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plain 'valid' 3x3 convolution, CHW input, OIHW kernel (float64)."""
    c, h, wd = x.shape
    out = np.zeros((w.shape[0], h - 2, wd - 2))
    for i in range(3):
        for j in range(3):
            out += np.einsum("oc,chw->ohw", w[:, :, i, j], x[:, i:i + h - 2, j:j + wd - 2])
    return out + b[:, None, None]


def self_test() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(8, 3, 3, 3)).astype(np.float32)
    b = rng.normal(size=8).astype(np.float32)
    rgb = rng.integers(0, 256, size=(3, 9, 11)).astype(np.float64)        # pixels, RGB, 0..255
    torch_in = (rgb / 255.0 - TORCH_MEAN_RGB[:, None, None]) / TORCH_STD_RGB[:, None, None]
    stylefarm_in = rgb[::-1] - CAFFE_MEAN_BGR[:, None, None]              # BGR minus mean
    w2, b2 = fold_torchvision_preprocessing(w, b)
    ref = conv2d_valid(torch_in, w.astype(np.float64), b.astype(np.float64))
    got = conv2d_valid(stylefarm_in, w2.astype(np.float64), b2.astype(np.float64))
    err = np.abs(ref - got).max() / np.abs(ref).max()
    print(f"self-test: max relative difference {err:.2e}")
    if err > 1e-5:
        sys.exit("self-test FAILED")
    print("self-test passed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", nargs="?", help="torchvision state dict (.pth) or the same as .npz")
    ap.add_argument("output", nargs="?", help="the .sfw to write (e.g. vgg19.sfw)")
    ap.add_argument("--network", choices=sorted(BLOCKS), help="check the state dict holds this network")
    ap.add_argument("--self-test", action="store_true", help="check the conv1_1 folding numerically and exit")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return
    if not args.input or not args.output:
        ap.error("input and output are required")
    with open(args.input, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    network, tensors = convert(load_state_dict(args.input), args.network)
    source = (f"torchvision {network} state dict {os.path.basename(args.input)} (sha256 {digest}); "
              "conv1_1 folded from RGB [0,1] mean/std to BGR 0-255 minus mean [103.939, 116.779, 123.68]; "
              "VGG: Simonyan & Zisserman 2015, CC BY 4.0")
    sfw.write(args.output, network, source, tensors)
    print(f"wrote {args.output}: {network}, {len(tensors)} tensors")
    print(f"install with: stylefarm models import --network {network} --file {args.output}")


if __name__ == "__main__":
    main()
