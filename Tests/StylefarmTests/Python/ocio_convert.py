"""Converts a grid of RGB values with OpenColorIO's built-in ACES config (PyPI opencolorio), for StyleFarm's
colour-space check. Usage: ocio_convert.py < values.json; prints one JSON object of results.

Input: {"values": [[r, g, b], ...]}. Output: for each conversion, the converted values in order.
"""
import json
import sys

import PyOpenColorIO as ocio

config = ocio.Config.CreateFromBuiltinConfig("cg-config-v1.0.0_aces-v1.3_ocio-v2.1")
values = json.load(sys.stdin)["values"]
pairs = {
    "srgb_to_linear": ("sRGB - Texture", "Linear Rec.709 (sRGB)"),
    "linear_to_srgb": ("Linear Rec.709 (sRGB)", "sRGB - Texture"),
    "rec709_to_acescg": ("Linear Rec.709 (sRGB)", "ACEScg"),
    "acescg_to_rec709": ("ACEScg", "Linear Rec.709 (sRGB)"),
}
out = {"version": ocio.__version__}
for name, (source, target) in pairs.items():
    processor = config.getProcessor(source, target).getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS)
    out[name] = [list(processor.applyRGB([float(v) for v in rgb])) for rgb in values]
print(json.dumps(out))
