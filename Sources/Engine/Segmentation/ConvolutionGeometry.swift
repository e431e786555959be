/// The spatial arithmetic of a TFLite 2-D window operator (convolution, depthwise convolution, pooling):
/// output size and leading padding for SAME/VALID padding with stride and dilation, as TFLite computes it.
///
/// With effective kernel `e = (k − 1) · dilation + 1`: SAME gives `out = ⌈in / stride⌉` and pads
/// `max(0, (out − 1) · stride + e − in)` in total, the smaller half before (top/left); VALID gives
/// `out = ⌈(in − e + 1) / stride⌉` without padding.
struct ConvolutionGeometry: Sendable, Equatable {
    let inHeight: Int, inWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let strideY: Int, strideX: Int
    let dilationY: Int, dilationX: Int
    let padTop: Int, padLeft: Int
    let outHeight: Int, outWidth: Int

    /// nil when a parameter is out of range (non-positive stride/dilation/kernel, kernel larger than a
    /// VALID input) or the padding code is unknown.
    init?(inHeight: Int, inWidth: Int, kernelHeight: Int, kernelWidth: Int, strideY: Int, strideX: Int,
          dilationY: Int = 1, dilationX: Int = 1, paddingCode: Int) {
        guard inHeight > 0, inWidth > 0, kernelHeight > 0, kernelWidth > 0, strideY > 0, strideX > 0,
              dilationY > 0, dilationX > 0 else { return nil }
        let ey = (kernelHeight - 1) * dilationY + 1, ex = (kernelWidth - 1) * dilationX + 1
        switch paddingCode {
        case 0: // SAME
            outHeight = (inHeight + strideY - 1) / strideY
            outWidth = (inWidth + strideX - 1) / strideX
            padTop = max(0, (outHeight - 1) * strideY + ey - inHeight) / 2
            padLeft = max(0, (outWidth - 1) * strideX + ex - inWidth) / 2
        case 1: // VALID
            guard inHeight >= ey, inWidth >= ex else { return nil }
            outHeight = (inHeight - ey + strideY) / strideY
            outWidth = (inWidth - ex + strideX) / strideX
            padTop = 0
            padLeft = 0
        default:
            return nil
        }
        self.inHeight = inHeight; self.inWidth = inWidth
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideY = strideY; self.strideX = strideX
        self.dilationY = dilationY; self.dilationX = dilationX
    }

    /// Whether the window is a single pixel with no stride or padding: the operator is then per-pixel.
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideY == 1 && strideX == 1 && padTop == 0 && padLeft == 0
    }
}
