/// How a region's mask becomes a guide at each VGG layer (Gatys et al. 2017, section 4.1: guides must
/// follow the features' resolution and receptive fields).
///
/// Pooling layers always average 2×2 windows (floor mode, like `Pool2x2`), so guides shrink with the
/// feature maps. What a 3×3 convolution does to a guide is the choice:
/// - `inside` (default): 3×3 minimum — grayscale erosion. A feature counts for a region only as far as
///   its whole receptive field lies inside the region, so a region's style statistics never see the
///   neighbouring region and its style gradient never reaches pixels outside it. This is the erosion
///   "near boundaries so styles don't bleed"; it grows with depth (≈ 58 px at relu5_1 of VGG-16 at the
///   input's scale), and a region too small for a deep layer simply drops out of that layer's loss.
/// - `average`: 3×3 mean, the soft propagation of Deep Photo Style Transfer (Luan et al. 2017): guides
///   blur with depth, and styles mix over about half a receptive field at boundaries.
/// - `all`: 3×3 maximum — dilation; every feature whose receptive field touches the region counts.
///
/// Image borders are not region boundaries: the window is clipped to the feature map.
public enum GuidePropagation: String, Sendable, CaseIterable, Codable {
    case inside, average, all

    /// Guides for the outputs of `layers[0...last]`, starting from `mask` (one value per input pixel,
    /// `width`×`height`, values in [0, 1]). `guides[i]` has one value per pixel of layer i's output.
    public func guides(mask: [Float], width: Int, height: Int, layers: [VGGLayer], through last: Int) -> [[Float]] {
        precondition(mask.count == width * height, "GuidePropagation: mask size mismatch")
        var guides: [[Float]] = []
        guides.reserveCapacity(last + 1)
        var current = mask, w = width, h = height
        for i in 0...last {
            switch layers[i] {
            case .convolution:
                current = window3x3(current, width: w, height: h)
            case .pool:
                current = Self.averagePool2x2(current, width: w, height: h)
                w /= 2
                h /= 2
            }
            guides.append(current)
        }
        return guides
    }

    /// One 3×3 step (stride 1, window clipped at the borders).
    func window3x3(_ x: [Float], width w: Int, height h: Int) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        if x.isEmpty { return y }
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                for r in 0..<h {
                    let r0 = max(0, r - 1), r1 = min(h - 1, r + 1)
                    for c in 0..<w {
                        let c0 = max(0, c - 1), c1 = min(w - 1, c + 1)
                        var lo = Float.infinity, hi = -Float.infinity, sum: Float = 0
                        for rr in r0...r1 {
                            for cc in c0...c1 {
                                let v = xb[rr * w + cc]
                                lo = min(lo, v)
                                hi = max(hi, v)
                                sum += v
                            }
                        }
                        switch self {
                        case .inside: yb[r * w + c] = lo
                        case .all: yb[r * w + c] = hi
                        case .average: yb[r * w + c] = sum / Float((r1 - r0 + 1) * (c1 - c0 + 1))
                        }
                    }
                }
            }
        }
        return y
    }

    /// 2×2 stride-2 average in floor mode (⌊h/2⌋ × ⌊w/2⌋): the network's own `Pool2x2` on a one-channel map.
    static func averagePool2x2(_ x: [Float], width w: Int, height h: Int) -> [Float] {
        var pooled = Tensor(channels: 0, height: 0, width: 0)
        Pool2x2.forward(Tensor(channels: 1, height: h, width: w, data: x), kind: .average, into: &pooled)
        return pooled.data
    }
}
