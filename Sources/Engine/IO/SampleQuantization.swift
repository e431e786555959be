/// Conversions between float samples in [0, 1] and 8/16-bit integer samples.
///
/// Encoding clamps to [0, 1] (NaN → 0), scales by 255 or 65535 and rounds to nearest, ties away from zero.
/// It is a pure function of the input, so identical images always encode to identical bytes. Decoding maps
/// `k` to `Float(k) / 255` (or `/ 65535`), and encoding maps that value back to exactly `k`.
public enum SampleQuantization {
    /// `value` as an 8-bit sample.
    @inlinable public static func toUInt8(_ value: Float) -> UInt8 {
        guard value > 0 else { return 0 } // also NaN
        guard value < 1 else { return 255 }
        return UInt8((value * 255).rounded(.toNearestOrAwayFromZero))
    }

    /// `value` as a 16-bit sample.
    @inlinable public static func toUInt16(_ value: Float) -> UInt16 {
        guard value > 0 else { return 0 } // also NaN
        guard value < 1 else { return 65535 }
        return UInt16((value * 65535).rounded(.toNearestOrAwayFromZero))
    }

    /// The float value of each 8-bit sample, `Float(k) / 255`.
    public static let floatsFromUInt8: [Float] = (0..<256).map { Float($0) / 255 }

    /// The float value of each 16-bit sample, `Float(k) / 65535`.
    public static let floatsFromUInt16: [Float] = (0..<65536).map { Float($0) / 65535 }
}
