/// Bounds lo_c ≤ x_i ≤ hi_c on a planar vector (channel c holds elements c·planeSize ..< (c+1)·planeSize):
/// the pixel range of an image being optimized, so the optimum found is an image that exists. Without it
/// Gatys' objective drives pixels far outside [0, 1], and clamping the result for display undoes much of
/// the style the optimizer reached (issue 24: a frame at style loss 17 000 came back at 74 000 once clamped).
///
/// The minimizers use it as projected methods do: every trial point is projected onto the box, and an
/// element at a bound whose gradient points out of the box is held there (L-BFGS leaves it out of its
/// direction: Bertsekas' two-metric projection, as in Kim, Sra & Dhillon, "Tackling box-constrained
/// optimization via a new projected quasi-Newton approach", SIAM J. Sci. Comput. 2010).
public struct Box: Sendable, Equatable {
    public var planeSize: Int
    public var lower: [Float]
    public var upper: [Float]

    /// `lower` and `upper` per channel; `lower[c] ≤ upper[c]`.
    public init(planeSize: Int, lower: [Float], upper: [Float]) {
        precondition(lower.count == upper.count && zip(lower, upper).allSatisfy { $0 <= $1 }, "Box: lower ≤ upper per channel")
        self.planeSize = planeSize; self.lower = lower; self.upper = upper
    }

    /// The number of elements the box covers.
    public var count: Int { planeSize * lower.count }

    /// x ← P(x): every element clamped into its channel's bounds.
    public func project(_ x: inout [Float]) {
        precondition(x.count == count, "Box.project: \(x.count) elements for a box of \(count)")
        let plane = planeSize
        x.withUnsafeMutableBufferPointer { p in
            for c in 0..<lower.count {
                let lo = lower[c], hi = upper[c]
                for i in (c * plane)..<((c + 1) * plane) { p[i] = min(max(p[i], lo), hi) }
            }
        }
    }

    /// v_i ← 0 for every element held at a bound: x_i at its lower bound with g_i > 0 (descent would go
    /// below it), or at its upper bound with g_i < 0.
    public func zeroHeld(_ v: inout [Float], at x: [Float], gradient g: [Float]) {
        precondition(x.count == count && g.count == count && v.count == count, "Box.zeroHeld: sizes")
        let plane = planeSize
        x.withUnsafeBufferPointer { px in
            g.withUnsafeBufferPointer { pg in
                v.withUnsafeMutableBufferPointer { pv in
                    for c in 0..<lower.count {
                        let lo = lower[c], hi = upper[c]
                        for i in (c * plane)..<((c + 1) * plane) where (px[i] <= lo && pg[i] > 0) || (px[i] >= hi && pg[i] < 0) {
                            pv[i] = 0
                        }
                    }
                }
            }
        }
    }
}
