/// A 3×3, stride-1, pad-1 convolution layer (cross-correlation, as in PyTorch/Caffe) with fixed
/// weights, prepared once and reused every iteration.
///
/// Weights are OIHW float32: `weights[((o · inChannels + i) · 3 + ky) · 3 + kx]`.
/// Both passes run as Winograd F(4×4, 3×3) (`WinogradConvolution`), with kernels transformed at
/// init: the forward pass with the weights as given, the input-gradient pass with the weights
/// rotated 180° and input/output channels swapped (the transpose of a stride-1 pad-1 3×3
/// convolution is again one).
public final class Conv3x3Layer: @unchecked Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let weights: [Float]
    public let bias: [Float]
    private let forwardConvolution: WinogradConvolution
    private let backwardConvolution: WinogradConvolution

    public init(weights: [Float], bias: [Float], inChannels: Int, outChannels: Int) {
        precondition(weights.count == outChannels * inChannels * 9, "Conv3x3Layer: weights must be OIHW \(outChannels)×\(inChannels)×3×3")
        precondition(bias.count == outChannels, "Conv3x3Layer: bias must have \(outChannels) entries")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.weights = weights
        self.bias = bias
        forwardConvolution = WinogradConvolution(inChannels: inChannels, outChannels: outChannels) { o, i, ky, kx in
            weights[((o * inChannels + i) * 3 + ky) * 3 + kx]
        }
        // dx[i] = Σ_o dy[o] ⋆ rot180(w[o][i]): output channel i, input channel o.
        backwardConvolution = WinogradConvolution(inChannels: outChannels, outChannels: inChannels) { i, o, ky, kx in
            weights[((o * inChannels + i) * 3 + (2 - ky)) * 3 + (2 - kx)]
        }
    }

    /// y = conv(x) + bias, then ReLU if `relu`. `y` is reshaped as needed and fully overwritten
    /// (its storage is reused when the size matches).
    public func forward(_ x: Tensor, relu: Bool, into y: inout Tensor) {
        forwardConvolution.apply(x, bias: bias, relu: relu, into: &y)
    }

    /// Input gradient only: dx = convᵀ(dy), i.e. a 3×3 pad-1 convolution of dy with the weights
    /// rotated 180° and channels swapped. `dx` is reshaped as needed and fully overwritten.
    public func backwardInput(_ dy: Tensor, into dx: inout Tensor) {
        backwardConvolution.apply(dy, bias: [], relu: false, into: &dx)
    }

    /// Input gradient with the ReLU backward of the layer below fused in:
    /// dx = convᵀ(dy ⊙ 1[reluOutput > 0]), where `reluOutput` (same shape as dy) is this layer's
    /// post-ReLU output. Equivalent to `ReLU.backward(output:gradient:)` then `backwardInput`,
    /// without the extra pass over dy (and without modifying it).
    public func backwardInput(_ dy: Tensor, reluOutput: Tensor, into dx: inout Tensor) {
        backwardConvolution.apply(dy, mask: reluOutput, bias: [], relu: false, into: &dx)
    }

    /// Convenience: allocating forward.
    public func forward(_ x: Tensor, relu: Bool) -> Tensor {
        var y = Tensor(channels: 0, height: 0, width: 0)
        forward(x, relu: relu, into: &y)
        return y
    }

    /// Convenience: allocating input gradient.
    public func backwardInput(_ dy: Tensor) -> Tensor {
        var dx = Tensor(channels: 0, height: 0, width: 0)
        backwardInput(dy, into: &dx)
        return dx
    }
}
