/// Soft edges for masks: a Gaussian blur approximated by three box blurs (Wells 1986: the variance of n
/// box passes of width w is n·(w² − 1)/12), each a running sum along rows then columns — O(pixels)
/// whatever the radius. Used by the composite mode of region stylization.
public enum MaskFeathering {
    /// `mask` (width × height) blurred with a Gaussian of standard deviation ≈ `sigma` pixels.
    public static func blur(_ mask: [Float], width: Int, height: Int, sigma: Float) -> [Float] {
        precondition(mask.count == width * height, "MaskFeathering: mask size mismatch")
        guard sigma > 0.5, width > 0, height > 0 else { return mask }
        // Three passes of radius r: σ² = 3·((2r+1)² − 1)/12 ⇒ r = (√(4σ² + 1) − 1)/2.
        let radius = max(1, Int((((4 * sigma * sigma + 1).squareRoot()) - 1) / 2 + 0.5))
        var a = mask, b = [Float](repeating: 0, count: mask.count)
        for _ in 0..<3 {
            boxRows(a, into: &b, width: width, height: height, radius: radius)
            boxColumns(b, into: &a, width: width, height: height, radius: radius)
        }
        return a
    }

    /// Mean over the window clipped to the row (edges are not darkened).
    private static func boxRows(_ x: [Float], into y: inout [Float], width: Int, height: Int, radius: Int) {
        for r in 0..<height {
            let base = r * width
            var sum: Float = 0
            var lo = 0, hi = -1
            for c in 0..<width {
                let newLo = max(0, c - radius), newHi = min(width - 1, c + radius)
                while hi < newHi { hi += 1; sum += x[base + hi] }
                while lo < newLo { sum -= x[base + lo]; lo += 1 }
                y[base + c] = sum / Float(hi - lo + 1)
            }
        }
    }

    private static func boxColumns(_ x: [Float], into y: inout [Float], width: Int, height: Int, radius: Int) {
        for c in 0..<width {
            var sum: Float = 0
            var lo = 0, hi = -1
            for r in 0..<height {
                let newLo = max(0, r - radius), newHi = min(height - 1, r + radius)
                while hi < newHi { hi += 1; sum += x[hi * width + c] }
                while lo < newLo { sum -= x[lo * width + c]; lo += 1 }
                y[r * width + c] = sum / Float(hi - lo + 1)
            }
        }
    }
}
