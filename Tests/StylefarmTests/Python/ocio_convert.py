"""Converts a grid of RGB values with OpenColorIO's built-in ACES config (PyPI opencolorio), for StyleFarm's
colour-space checks.

Usage:
  ocio_convert.py < values.json             the built-in conversions' references (one JSON object)
  ocio_convert.py config PATH < values.json the same, and the config serialized to PATH (Debian's OpenColorIO 2.1
                                            reads it), with each space of SPACES to linear Rec.709 and back

Input: {"values": [[r, g, b], ...]}. Output: for each conversion, the converted values in order.
"""
import json
import math
import sys

import PyOpenColorIO as ocio

config = ocio.Config.CreateFromBuiltinConfig("cg-config-v1.0.0_aces-v1.3_ocio-v2.1")
values = json.load(sys.stdin)["values"]
LINEAR = "Linear Rec.709 (sRGB)"
pairs = {
    "srgb_to_linear": ("sRGB - Texture", LINEAR),
    "linear_to_srgb": (LINEAR, "sRGB - Texture"),
    "rec709_to_acescg": (LINEAR, "ACEScg"),
    "acescg_to_rec709": ("ACEScg", LINEAR),
}
# Spaces whose baked conversions StyleFarm checks, each way: "to:NAME" (NAME -> linear Rec.709), "from:NAME".
SPACES = ["ACEScg", "ACES2065-1", "ACEScct", "sRGB - Texture", "compositing_log"]
out = {"version": ocio.__version__}
if len(sys.argv) > 2 and sys.argv[1] == "config":
    config.serialize(sys.argv[2])
    for space in SPACES:
        pairs["to:" + space] = (space, LINEAR)
        pairs["from:" + space] = (LINEAR, space)
for name, (source, target) in pairs.items():
    processor = config.getProcessor(source, target).getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS)
    # Infinite or undefined results (a log value far above its range) are null: JSON has no such numbers.
    out[name] = [[v if math.isfinite(v) else None for v in processor.applyRGB([float(v) for v in rgb])] for rgb in values]
print(json.dumps(out))
