/// Receptive-field arithmetic of a VGG activation: which input pixels one activation value depends on,
/// and how far a tile must reach beyond its core so that the activations over the core do not see the
/// tile's border (issue 7).
///
/// Along each axis, a layer with kernel k, stride s and padding p maps the description of its input
/// (size r, jump j, offset o: activation i covers input pixels j·i + o … j·i + o + r − 1) to
///
///     r_out = r_in + (k − 1)·j_in,   j_out = j_in·s,   o_out = o_in − p·j_in
///
/// (Dumoulin & Visin 2016, §2). VGG has two kinds of layer: 3×3 convolutions, stride 1, pad 1
/// (r += 2j, o −= j) and 2×2 pooling, stride 2, no padding (r += j, j ·= 2). Starting from the input
/// (r = 1, j = 1, o = 0), activation i of a layer depends on input pixels [j·i + o, j·i + o + r − 1]
/// (clipped to the frame: zero padding contributes nothing).
///
/// **Margin.** An activation "owns" the j input pixels [j·i, j·i + j − 1] of its pooling cell. If a
/// tile's core starts and ends on multiples of j, the activations owning its pixels reach −o pixels
/// before the core and r − j + o after it. For VGG these agree: every convolution adds j to r and
/// subtracts j from o, every pooling adds j_in to both r and j, so r − j = 2·Σ_conv j = −2·o and
///
///     margin = (r − j) / 2 = Σ over convolutions of their input jump.
///
/// A tile whose padded rectangle reaches `margin` pixels beyond its core on every side that is not the
/// frame border computes those activations exactly as the whole frame does — provided the padded
/// rectangle's origin is itself aligned to j, so that the pooling grids agree (`TilePlan` rounds the
/// halo up to the alignment for that reason). The margin is smaller than half the receptive field
/// (⌈r/2⌉): the owned cell itself is already inside the core.
///
/// Values (checked by a brute-force propagation in the tests):
///
/// | network | layer | size r | stride j | margin |
/// |---|---|---|---|---|
/// | VGG-16 | relu4_2 | 76 | 8 | 34 |
/// | VGG-16 | relu5_1 | 132 | 16 | 58 |
/// | VGG-16 | relu5_3 | 196 | 16 | 90 |
/// | VGG-19 | relu4_2 | 84 | 8 | 38 |
/// | VGG-19 | relu5_1 | 156 | 16 | 70 |
/// | VGG-19 | relu5_4 | 252 | 16 | 118 |
public struct ReceptiveField: Sendable, Hashable, CustomStringConvertible {
    /// The activation (`relu4_2`, `pool3`, …).
    public let layer: String
    public let network: VGGNetwork
    /// Input pixels one activation depends on along each axis (r).
    public let size: Int
    /// Input pixels between two neighbouring activations, the product of the pooling strides (j).
    public let stride: Int
    /// Input x of the first pixel that activation 0 depends on (o ≤ 0): activation i reads input
    /// pixels `stride·i + offset … stride·i + offset + size − 1`.
    public let offset: Int

    /// Pixels a tile needs beyond an aligned core so that every activation owning a core pixel is
    /// unaffected by the tile border: (size − stride)/2 = −offset for VGG (see the type's notes).
    public var margin: Int { max(-offset, size - stride + offset) }

    /// The input pixels activation `index` depends on (before clipping to the frame).
    public func inputSpan(ofActivation index: Int) -> ClosedRange<Int> {
        let first = stride * index + offset
        return first...(first + size - 1)
    }

    /// The receptive field of the activation `layer` of `network` (any `VGGLayer.outputName`:
    /// `relu1_1` … `relu5_4`, `pool1` … `pool5`). Throws `VGGError.unknownLayer` for a name the
    /// network does not have (e.g. `relu5_4` on VGG-16).
    public static func of(layer: String, network: VGGNetwork) throws -> ReceptiveField {
        var size = 1, stride = 1, offset = 0
        for step in network.layers {
            switch step {
            case .convolution:
                // 3×3, stride 1, pad 1.
                size += 2 * stride
                offset -= stride
            case .pool:
                // 2×2, stride 2, pad 0.
                size += stride
                stride *= 2
            }
            if step.outputName == layer {
                return ReceptiveField(layer: layer, network: network, size: size, stride: stride, offset: offset)
            }
        }
        throw VGGError.unknownLayer(layer, network: network)
    }

    /// The largest margin among `layers` (the deepest one's: margins grow with depth), 0 for none.
    /// Use the union of a job's style and content layers.
    public static func margin(forDeepestOf layers: [String], network: VGGNetwork) throws -> Int {
        try layers.map { try of(layer: $0, network: network).margin }.max() ?? 0
    }

    /// `relu5_1 of vgg16: size 132, stride 16, margin 58`.
    public var description: String {
        "\(layer) of \(network): size \(size), stride \(stride), margin \(margin)"
    }
}
