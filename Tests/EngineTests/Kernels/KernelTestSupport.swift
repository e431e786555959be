import XCTest
@testable import Engine

/// Deterministic pseudo-random numbers for kernel tests (64-bit LCG, top 24 bits).
struct TestRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    /// Uniform in [-scale, scale).
    mutating func next(_ scale: Float = 1) -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
    }

    mutating func array(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in next(scale) }
    }

    mutating func tensor(_ c: Int, _ h: Int, _ w: Int, scale: Float = 1) -> Tensor {
        Tensor(channels: c, height: h, width: w, data: array(c * h * w, scale: scale))
    }
}

/// ⟨a, b⟩ in double precision.
func dot(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var s = 0.0
    for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
    return s
}

/// max |a − b| / max |b| (b the reference).
func relativeMaxError(_ a: [Float], _ reference: [Float]) -> Double {
    precondition(a.count == reference.count)
    var err = 0.0, mag = 0.0
    for i in 0..<a.count {
        err = max(err, Double(abs(a[i] - reference[i])))
        mag = max(mag, Double(abs(reference[i])))
    }
    return mag == 0 ? err : err / mag
}

/// Checks an analytic gradient against central finite differences of a scalar function of x, at
/// `probes` coordinates. f is evaluated in float32; eps is chosen so that the truncation and
/// rounding errors are both far below `tolerance` (relative to max(|analytic|, |numeric|, floor)).
func checkGradient(at x: [Float], analytic: [Float], probes: [Int], eps: Float, tolerance: Double,
                   floor: Double = 1e-3, file: StaticString = #filePath, line: UInt = #line,
                   _ f: ([Float]) -> Double) {
    for i in probes {
        var xp = x, xm = x
        xp[i] += eps
        xm[i] -= eps
        let numeric = (f(xp) - f(xm)) / (Double(xp[i]) - Double(xm[i]))
        let a = Double(analytic[i])
        let scale = max(abs(a), abs(numeric), floor)
        XCTAssertLessThan(abs(a - numeric) / scale, tolerance,
                          "gradient mismatch at \(i): analytic \(a), numeric \(numeric)", file: file, line: line)
    }
}
