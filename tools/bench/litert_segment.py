#!/usr/bin/env python3
"""Reference timings for `stylefarm bench segment`: LiteRT on the DeepLab model, pydensecrf on the CRF.

Times, on this machine and with the same thread count as the Swift bench:

* the DeepLabv3 MobileNetV2 PASCAL VOC model (full or half width, uint8) at its 513x513 input with
  `ai-edge-litert`, once with its built-in optimized integer kernels
  (`OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES`) and once with the default XNNPACK delegate
  (`OpResolverType.AUTO`); `Interpreter.invoke()` only (the input is set once; the graph's own ArgMax
  and upsampling are included, as they are part of the model);
* optionally (`--crf`, needs `pydensecrf2`), 10 mean-field iterations of pydensecrf's `DenseCRF2D` on
  a SIZE x SIZE image with 2 and with 21 labels and the same kernels as the Swift `DenseCRFParameters`
  defaults (Gaussian sxy=3 compat=3, bilateral sxy=80 srgb=13 compat=10). The time covers building the
  two kernels' lattices and the inference, as `DenseCRF.infer` does. pydensecrf runs on one thread.

The image is the Swift bench's deterministic test card (gradients and a bright disc, `SegmentBench`),
quantized to the model's uint8 input as `DeepLabSegmenter.inputValues` does. The CRF unaries are the
softmax of smooth deterministic logits (timing does not depend on their values).

Each timing is the best of --repeats runs after one warm-up. Output lines use the bench's key=value
format, e.g.

    litert version=2.3.0 resolver=builtin model=deeplab size=513 threads=2 network_s=0.0520
    litert version=2.3.0 resolver=xnnpack model=deeplab size=513 threads=2 network_s=0.0170
    pydensecrf labels=2 size=512 iterations=10 threads=1 crf_s=0.1590

Setup (a throwaway venv outside the repository; see tools/bench/README.md):

    python3 -m venv /tmp/seg-venv
    /tmp/seg-venv/bin/pip install ai-edge-litert numpy
    /tmp/seg-venv/bin/pip install pydensecrf2        # optional, builds from source (Cython, C++)
    /tmp/seg-venv/bin/python tools/bench/litert_segment.py --data ../shared/data --threads 2 --crf
"""
import argparse
import os
import sys
import time

import numpy as np

MODELS = {
    "deeplab": "deeplabv3_mnv2_pascal_quant.tflite",
    "deeplab-small": "deeplabv3_mnv2_dm05_pascal_quant.tflite",
}


def test_card(size):
    """The Swift bench's test card: RGB floats in [0, 1], shape (size, size, 3)."""
    y, x = np.mgrid[0:size, 0:size]
    dx, dy = (x - size // 2).astype(np.float64), (y - size // 2).astype(np.float64)
    inside = dx * dx + dy * dy < size * size / 10
    img = np.empty((size, size, 3), dtype=np.float32)
    img[..., 0] = np.where(inside, 0.9, x / size)
    img[..., 1] = np.where(inside, 0.7, y / size)
    img[..., 2] = np.where(inside, 0.6, 0.3)
    return img


def best_of(fn, repeats):
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def time_litert(model_path, model_name, threads, repeats):
    try:
        import ai_edge_litert
        from ai_edge_litert import interpreter as litert
    except ImportError:
        print("litert skipped=ai_edge_litert_not_installed", flush=True)
        return
    version = getattr(ai_edge_litert, "__version__", "unknown")
    resolvers = [("builtin", litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES),
                 ("xnnpack", litert.OpResolverType.AUTO)]
    for name, resolver in resolvers:
        interp = litert.Interpreter(model_path=model_path, num_threads=threads,
                                    experimental_op_resolver_type=resolver)
        interp.allocate_tensors()
        detail = interp.get_input_details()[0]
        _, h, w, _ = detail["shape"]
        card = test_card(int(h))[:, :int(w)]
        # DeepLabSegmenter.inputValues: q = round(v * 255) fed to the uint8 input (scale 1/128, zp 128).
        q = np.clip(np.floor(card * 255 + 0.5), 0, 255).astype(np.uint8)[None]
        if detail["dtype"] != np.uint8:
            q = ((q.astype(np.float32) - 128) / 128).astype(detail["dtype"])
        interp.set_tensor(detail["index"], q)
        seconds = best_of(interp.invoke, repeats)
        print(f"litert version={version} resolver={name} model={model_name} size={h} threads={threads} "
              f"network_s={seconds:.4f}", flush=True)


def time_pydensecrf(size, iterations, repeats):
    try:
        import pydensecrf.densecrf as dcrf
    except ImportError:
        print("pydensecrf skipped=pydensecrf2_not_installed", flush=True)
        return
    rgb = np.ascontiguousarray((test_card(size) * 255 + 0.5).astype(np.uint8))
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    for labels in (2, 21):
        logits = np.stack([np.sin(x / (17 + 3 * l) + l) * np.cos(y / (23 + 2 * l) - l) * 3 for l in range(labels)])
        p = np.exp(logits - logits.max(axis=0))
        p /= p.sum(axis=0)
        unary = np.ascontiguousarray(-np.log(np.maximum(p, 1e-8)).reshape(labels, -1).astype(np.float32))

        def run():
            crf = dcrf.DenseCRF2D(size, size, labels)
            crf.setUnaryEnergy(unary)
            crf.addPairwiseGaussian(sxy=3, compat=3)
            crf.addPairwiseBilateral(sxy=80, srgb=13, rgbim=rgb, compat=10)
            crf.inference(iterations)

        seconds = best_of(run, repeats)
        print(f"pydensecrf labels={labels} size={size} iterations={iterations} threads=1 crf_s={seconds:.4f}",
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("STYLEFARM_TEST_DATA", "../shared/data"),
                        help="shared data directory (models/ inside); default $STYLEFARM_TEST_DATA or ../shared/data")
    parser.add_argument("--model", choices=sorted(MODELS), default="deeplab")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per measurement (best is printed)")
    parser.add_argument("--crf", action="store_true", help="also time pydensecrf (skipped if not installed)")
    parser.add_argument("--crf-size", type=int, default=512)
    parser.add_argument("--crf-iterations", type=int, default=10)
    parser.add_argument("--crf-repeats", type=int, default=3)
    args = parser.parse_args()
    model_path = os.path.join(args.data, "models", MODELS[args.model])
    if not os.path.exists(model_path):
        sys.exit(f"model not found: {model_path}")
    load = os.getloadavg()[0]
    print(f"machine cpus={os.cpu_count()} loadavg={load:.2f}", flush=True)
    time_litert(model_path, args.model, args.threads, args.repeats)
    if args.crf:
        time_pydensecrf(args.crf_size, args.crf_iterations, args.crf_repeats)
    print(f"machine loadavg_end={os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
