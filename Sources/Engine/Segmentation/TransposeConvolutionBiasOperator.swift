/// MediaPipe's custom `Convolution2DTransposeBias` (used by the selfie segmentation model): a transposed
/// convolution with bias, NHWC, weights OHWI. Every input pixel scatters `in[y, x, :] · W[o, ky, kx, :]`
/// to output pixel `(y·strideY + ky − padTop, x·strideX + kx − padLeft)`; out-of-range targets are
/// dropped. SAME padding removes `max(0, k − (in − 1) mod stride − 1)` rows/columns, half before
/// (as mediapipe/util/tflite/operations/transpose_conv_bias.cc computes it).
struct TransposeConvolutionBiasOperator: InterpreterOperator {
    static let customCode = "Convolution2DTransposeBias"

    let inputs: [Int]
    let output: Int
    let outputShape: [Int]
    let batch: Int
    let inHeight: Int, inWidth: Int, inChannels: Int
    let outHeight: Int, outWidth: Int, outChannels: Int
    let kernelHeight: Int, kernelWidth: Int
    let strideY: Int, strideX: Int
    let padTop: Int, padLeft: Int
    /// `[outChannels, kernelHeight, kernelWidth, inChannels]`.
    let weights: [Float]
    let bias: [Float]
    let transform: OutputTransform

    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor) {
        let ci = inChannels, co = outChannels, kh = kernelHeight, kw = kernelWidth
        inputs[0].data.withUnsafeBufferPointer { xb in
            output.data.withUnsafeMutableBufferPointer { yb in
                weights.withUnsafeBufferPointer { wb in
                    bias.withUnsafeBufferPointer { bb in
                        for n in 0..<batch {
                            let x = xb.baseAddress! + n * inHeight * inWidth * ci
                            let y = yb.baseAddress! + n * outHeight * outWidth * co
                            for p in 0..<(outHeight * outWidth) {
                                for o in 0..<co { y[p * co + o] = bb[o] }
                            }
                            for iy in 0..<inHeight {
                                for ix in 0..<inWidth {
                                    let src = x + (iy * inWidth + ix) * ci
                                    for ky in 0..<kh {
                                        let oy = iy * strideY + ky - padTop
                                        guard oy >= 0 && oy < outHeight else { continue }
                                        for kx in 0..<kw {
                                            let ox = ix * strideX + kx - padLeft
                                            guard ox >= 0 && ox < outWidth else { continue }
                                            let dst = y + (oy * outWidth + ox) * co
                                            for o in 0..<co {
                                                let w = wb.baseAddress! + ((o * kh + ky) * kw + kx) * ci
                                                var sum: Float = 0
                                                for c in 0..<ci { sum += src[c] * w[c] }
                                                dst[o] += sum
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        transform.apply(yb.baseAddress!, count: yb.count)
                    }
                }
            }
        }
    }
}
