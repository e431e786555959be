/// The temporal-consistency metric of Ruder, Dosovitskiy & Brox ("Artistic style transfer for videos",
/// GCPR 2016, section 5; their evaluation on MPI-Sintel): the warp error of a frame pair,
///
///   E = Σ_p c_p·Σ_k (x_t[p,k] − ω(x_{t−1})[p,k])² / (K·Σ_p c_p),
///
/// the mean over certain pixels (and the K colour channels; alpha ignored) of the squared difference
/// between a frame and its predecessor warped into it, with x in [0, 1]. With binary weights (ground-truth
/// occlusions) it is a plain mean over the non-occluded pixels; with Ruder's smoothed certainty it is the
/// certainty-weighted mean.
public enum TemporalConsistency {
    /// One pair's result: the warp error and Σc, the weight it was averaged over (0: no certain pixel,
    /// and the error is reported as 0).
    public struct Measurement: Sendable, Equatable {
        public var warpError: Double
        public var certainWeight: Double
        public var pixels: Int
        /// Σc / pixels: the fraction of the frame that counted.
        public var certainFraction: Double { pixels == 0 ? 0 : certainWeight / Double(pixels) }
    }

    /// The warp error of `current` against `previous` brought into it by `flow` (current → previous, the
    /// backward flow ŵ on current's grid), weighted by `certainty` (one value per pixel; where the warp
    /// leaves the frame the weight is forced to 0).
    public static func warpError(current: Image, previous: Image, flow: FlowField, certainty: [Float]) throws -> Measurement {
        guard current.width == previous.width && current.height == previous.height else {
            throw TemporalError.sizeMismatch(what: "the two frames", current.width, current.height, previous.width, previous.height)
        }
        guard current.channels == previous.channels else {
            throw TemporalError.sizeMismatch(what: "the two frames' channel counts", current.channels, 1, previous.channels, 1)
        }
        guard certainty.count == current.pixelCount else {
            throw TemporalError.sizeMismatch(what: "the frame and its certainty", current.width, current.height, certainty.count, 1)
        }
        let (warped, inside) = try Warp.backward(previous, flow: flow)
        let k = current.colorChannels, stride = current.channels, n = current.pixelCount
        var sum = 0.0, weight = 0.0
        current.pixels.withUnsafeBufferPointer { a in
            warped.pixels.withUnsafeBufferPointer { b in
                certainty.withUnsafeBufferPointer { c in
                    for p in 0..<n where inside[p] && c[p] > 0 {
                        var s = 0.0
                        for ch in 0..<k {
                            let d = Double(a[p * stride + ch]) - Double(b[p * stride + ch])
                            s += d * d
                        }
                        sum += Double(c[p]) * s
                        weight += Double(c[p])
                    }
                }
            }
        }
        return Measurement(warpError: weight > 0 ? sum / (Double(k) * weight) : 0, certainWeight: weight, pixels: n)
    }
}
