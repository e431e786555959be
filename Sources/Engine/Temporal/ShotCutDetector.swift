/// Shot cuts in a sequence, so that no temporal term links two frames of different shots (issue 6).
///
/// Colour-histogram distance between consecutive frames (the classic cut detector: Zhang, Kankanhalli &
/// Smoliar, "Automatic partitioning of full-motion video", Multimedia Systems 1993): each frame becomes a
/// joint RGB histogram of 8×8×8 bins (normalized), and the pair (t−1, t) is a cut when the χ² distance
/// ½·Σ (h_a − h_b)² / (h_a + h_b), which lies in [0, 1], exceeds `threshold` and is also `contrast` times
/// the median distance of the sequence's pairs (so a shot with fast motion everywhere does not fire on
/// every frame). Flow-based checks can refine this later; the histogram needs no flow and costs O(pixels).
public struct ShotCutDetector: Sendable {
    /// Absolute χ² threshold (0 = identical histograms, 1 = disjoint).
    public var threshold: Float = 0.35
    /// How many times the median pair distance a cut must be.
    public var contrast: Float = 3

    public init(threshold: Float = 0.35, contrast: Float = 3) {
        self.threshold = threshold
        self.contrast = contrast
    }

    /// The 512-bin joint RGB histogram of an image (alpha ignored), summing to 1.
    public static func histogram(_ image: Image) -> [Float] {
        let rgb = image.toRGB()
        var bins = [Float](repeating: 0, count: 512)
        guard rgb.pixelCount > 0 else { return bins }
        rgb.pixels.withUnsafeBufferPointer { p in
            for i in 0..<rgb.pixelCount {
                let r = min(7, Int(p[3 * i] * 8)), g = min(7, Int(p[3 * i + 1] * 8)), b = min(7, Int(p[3 * i + 2] * 8))
                bins[(max(0, r) << 6) | (max(0, g) << 3) | max(0, b)] += 1
            }
        }
        let n = Float(rgb.pixelCount)
        return bins.map { $0 / n }
    }

    /// ½·Σ (a − b)² / (a + b) over bins where a + b > 0: 0 for equal histograms, 1 for disjoint ones.
    public static func distance(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "ShotCutDetector: histogram sizes differ")
        var d: Float = 0
        for i in 0..<a.count where a[i] + b[i] > 0 {
            let diff = a[i] - b[i]
            d += diff * diff / (a[i] + b[i])
        }
        return d / 2
    }

    /// The distances of consecutive pairs: `distances[i]` is between histograms i and i+1.
    public static func pairDistances(_ histograms: [[Float]]) -> [Float] {
        guard histograms.count > 1 else { return [] }
        return (1..<histograms.count).map { distance(histograms[$0 - 1], histograms[$0]) }
    }

    /// Indices i (into the frames) where a new shot starts: the pair (i−1, i) is a cut.
    public func cuts(histograms: [[Float]]) -> [Int] {
        let d = Self.pairDistances(histograms)
        guard !d.isEmpty else { return [] }
        let sorted = d.sorted()
        let median = sorted[sorted.count / 2]
        return d.enumerated().compactMap { k, value in
            value > threshold && value > contrast * median ? k + 1 : nil
        }
    }
}
