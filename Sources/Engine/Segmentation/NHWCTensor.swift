/// A float tensor in TFLite's layout: row-major over `shape`, which for images is NHWC (batch, row,
/// column, channel; channels innermost). The segmentation interpreter keeps activations in this layout
/// throughout, so the model's weights, shapes and axes are used exactly as stored, a 1×1 convolution is
/// one GEMM over `[pixels, channels]`, and per-pixel channel vectors are contiguous for the depthwise and
/// resize loops.
public struct NHWCTensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "NHWCTensor: data does not match the shape")
        self.shape = shape
        self.data = data
    }

    public init(shape: [Int], repeating value: Float = 0) {
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// The shape padded at the front with 1s to four dimensions (N, H, W, C); nil above four.
    var nhwc: (n: Int, h: Int, w: Int, c: Int)? {
        NHWCTensor.nhwc(shape)
    }

    static func nhwc(_ shape: [Int]) -> (n: Int, h: Int, w: Int, c: Int)? {
        guard shape.count <= 4 else { return nil }
        let s = [Int](repeating: 1, count: 4 - shape.count) + shape
        return (s[0], s[1], s[2], s[3])
    }
}
