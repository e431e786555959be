import XCTest
@testable import Engine

/// `FlowPair`: the blob round trip and its error paths, and the warps and certainties on a known
/// translation (the second frame is the first moved by (+3, +2) px).
final class FlowPairTests: XCTestCase {
    static let shift: (dx: Float, dy: Float) = (3, 2)

    /// A smooth gradient with texture, defined everywhere so the moved frame has content at its borders.
    static func pattern(_ x: Float, _ y: Float, _ c: Int) -> Float {
        let t = Float(c)
        return 0.5 + 0.18 * sin(0.31 * x + 0.13 * y + t) + 0.14 * cos(0.23 * y - 0.19 * x + 0.5 * t)
            + 0.08 * sin(0.71 * x) * cos(0.57 * y) + 0.004 * (x - y)
    }

    /// Frame `k` of the translation: pixel (x, y) shows the pattern at (x − k·dx, y − k·dy).
    static func frame(_ k: Float, width w: Int = 64, height h: Int = 48) -> Image {
        var pixels = [Float](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    pixels[(y * w + x) * 3 + c] = pattern(Float(x) - k * shift.dx, Float(y) - k * shift.dy, c)
                }
            }
        }
        return Image(width: w, height: h, channels: 3, pixels: pixels)
    }

    static func exactPair(width w: Int = 64, height h: Int = 48) -> FlowPair {
        FlowPair(forward: FlowField(width: w, height: h, constant: shift.dx, shift.dy),
                 backward: FlowField(width: w, height: h, constant: -shift.dx, -shift.dy))
    }

    private func randomPair(_ w: Int, _ h: Int, seed: UInt64) -> FlowPair {
        var rng = TestRandom(seed: seed)
        func field() -> FlowField {
            var u = (0..<(w * h)).map { _ in rng.next(20) }, v = (0..<(w * h)).map { _ in rng.next(20) }
            u[1] = 1e10; v[1] = 1e10  // an unknown value survives the trip
            return FlowField(width: w, height: h, u: u, v: v)
        }
        return FlowPair(forward: field(), backward: field())
    }

    // MARK: Serialization

    func testSerializationRoundTrip() throws {
        let pair = randomPair(7, 5, seed: 11)
        let blob = pair.serialized()
        XCTAssertEqual(Array(blob[0..<4]), Array("SFFP".utf8))
        XCTAssertEqual(blob[4], 1)  // version 1, little-endian
        XCTAssertEqual(blob.count, 8 + 2 * (8 + 12 + 8 * 7 * 5))
        let back = try FlowPair(serialized: blob, name: "pair")
        XCTAssertEqual(back, pair)
        XCTAssertEqual(back.serialized(), blob)
    }

    func testEveryTruncationThrows() throws {
        let blob = randomPair(3, 2, seed: 5).serialized()
        for length in 0..<blob.count {
            XCTAssertThrowsError(try FlowPair(serialized: Array(blob[0..<length]), name: "cut"), "length \(length)")
        }
        XCTAssertThrowsError(try FlowPair(serialized: blob + [0], name: "long")) { error in
            XCTAssertEqual(error as? FlowPairError, .trailingData(name: "long", bytes: 1))
        }
    }

    func testGarbageAndCorruptBlobsThrowTypedErrors() throws {
        var rng = TestRandom(seed: 99)
        for count in [0, 3, 8, 40, 500] {
            let garbage = (0..<count).map { _ in UInt8(truncatingIfNeeded: Int((rng.next(1) + 1) * 127)) }
            XCTAssertThrowsError(try FlowPair(serialized: garbage, name: "garbage"))
        }
        let blob = randomPair(4, 3, seed: 1).serialized()
        var badMagic = blob; badMagic[0] = UInt8(ascii: "X")
        XCTAssertThrowsError(try FlowPair(serialized: badMagic, name: "m")) { error in
            guard case .badMagic? = error as? FlowPairError else { return XCTFail("\(error)") }
        }
        var badVersion = blob; badVersion[4] = 2
        XCTAssertThrowsError(try FlowPair(serialized: badVersion, name: "v")) { error in
            XCTAssertEqual(error as? FlowPairError, .unsupportedVersion(name: "v", version: 2, supported: 1))
        }
        // A length field announcing more than the blob holds (even 2^64 − 1) is caught before slicing.
        var hugeLength = blob
        for k in 8..<16 { hugeLength[k] = 0xFF }
        XCTAssertThrowsError(try FlowPair(serialized: hugeLength, name: "h")) { error in
            guard case .truncated? = error as? FlowPairError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("forward flow"), "\(error)")
        }
        // A corrupt embedded .flo names the flow it is in.
        var badFlo = blob; badFlo[16] = 0
        XCTAssertThrowsError(try FlowPair(serialized: badFlo, name: "f")) { error in
            guard case .badMagic(let name, _)? = error as? FlowFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "f (forward flow)")
        }
        // Two flows of different sizes.
        let mixed = FlowFile.encode(FlowField(width: 2, height: 2, constant: 0, 0))
        let other = FlowFile.encode(FlowField(width: 3, height: 2, constant: 0, 0))
        var blob2 = Array("SFFP".utf8) + [1, 0, 0, 0]
        blob2 += withUnsafeBytes(of: UInt64(mixed.count).littleEndian, Array.init) + mixed
        blob2 += withUnsafeBytes(of: UInt64(other.count).littleEndian, Array.init) + other
        XCTAssertThrowsError(try FlowPair(serialized: blob2, name: "s")) { error in
            guard case .sizeMismatch? = error as? TemporalError else { return XCTFail("\(error)") }
        }
    }

    // MARK: Warps and certainty on a known translation

    func testWarpsOnKnownTranslation() throws {
        let w = 64, h = 48
        let first = Self.frame(0), second = Self.frame(1)
        let pair = Self.exactPair()
        let intoSecond = try pair.warpIntoSecond(first)
        let intoFirst = try pair.warpIntoFirst(second)
        var checked = 0
        for y in 2..<h { for x in 3..<w { for c in 0..<3 {
            XCTAssertEqual(intoSecond[x: x, y: y, c: c], second[x: x, y: y, c: c], accuracy: 1e-5)
        } ; checked += 1 } }
        XCTAssertEqual(checked, (w - 3) * (h - 2))
        for y in 0..<(h - 2) { for x in 0..<(w - 3) { for c in 0..<3 {
            XCTAssertEqual(intoFirst[x: x, y: y, c: c], first[x: x, y: y, c: c], accuracy: 1e-5)
        } } }
        // The warps go the right way round: the wrong flow gives a large error.
        let wrong = try Warp.backward(first, flow: pair.forward).image
        XCTAssertGreaterThan(abs(wrong[x: 30, y: 20, c: 0] - second[x: 30, y: 20, c: 0])
                             + abs(wrong[x: 31, y: 25, c: 1] - second[x: 31, y: 25, c: 1]), 0.02)
    }

    func testCertaintiesOnKnownTranslation() throws {
        let w = 64, h = 48
        let pair = Self.exactPair()
        let second = try pair.certaintyOfSecond(), first = try pair.certaintyOfFirst()
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                // Into the second frame, p samples the first at p − (3, 2): outside for x < 3 or y < 2.
                let outsideSecond = x < 3 || y < 2
                XCTAssertEqual(second.states[i] == .outside, outsideSecond, "second (\(x), \(y))")
                if outsideSecond { XCTAssertEqual(second.weights[i], 0) }
                // Into the first frame, p samples the second at p + (3, 2).
                let outsideFirst = x > w - 1 - 3 || y > h - 1 - 2
                XCTAssertEqual(first.states[i] == .outside, outsideFirst, "first (\(x), \(y))")
                if outsideFirst { XCTAssertEqual(first.weights[i], 0) }
                // Away from the border (more than the Gaussian's 3 px reach) the warp is fully certain.
                if x >= 6 && y >= 5 { XCTAssertEqual(second.weights[i], 1, accuracy: 1e-5, "second (\(x), \(y))") }
                if x <= w - 7 && y <= h - 6 { XCTAssertEqual(first.weights[i], 1, accuracy: 1e-5, "first (\(x), \(y))") }
            }
        }
    }

    func testDISOnKnownTranslation() throws {
        let w = 64, h = 48
        let first = Self.frame(0), second = Self.frame(1)
        let pair = try FlowPair.dis(first: first, second: second, preset: .medium)
        XCTAssertEqual(pair.width, w); XCTAssertEqual(pair.height, h)
        // Interior (8 px margin): the flows are the translation and the warp reproduces the second frame.
        var flowError: Float = 0, warpError: Float = 0, count: Float = 0
        let intoSecond = try pair.warpIntoSecond(first)
        for y in 8..<(h - 8) {
            for x in 8..<(w - 8) {
                let i = y * w + x
                flowError += abs(pair.forward.u[i] - 3) + abs(pair.forward.v[i] - 2)
                flowError += abs(pair.backward.u[i] + 3) + abs(pair.backward.v[i] + 2)
                warpError += abs(intoSecond[x: x, y: y, c: 1] - second[x: x, y: y, c: 1])
                count += 1
            }
        }
        print(String(format: "FlowPair.dis on a (3, 2) translation: mean |Δflow| %.3f px, mean |warp − second| %.4f",
                     flowError / (4 * count), warpError / count))
        XCTAssertLessThan(flowError / (4 * count), 0.25)
        XCTAssertLessThan(warpError / count, 0.01)
        let certainty = try pair.certaintyOfSecond()
        let interior = (8..<(h - 8)).flatMap { y in (8..<(w - 8)).map { certainty.weights[y * w + $0] } }
        XCTAssertGreaterThan(interior.reduce(0, +) / Float(interior.count), 0.9)
        // Top-left corner samples the first frame outside it.
        XCTAssertEqual(certainty.weights[0], 0)
    }

    func testDISRejectsFramesOfDifferentSizes() {
        XCTAssertThrowsError(try FlowPair.dis(first: Self.frame(0, width: 20, height: 10),
                                              second: Self.frame(1, width: 21, height: 10), preset: .ultrafast)) { error in
            XCTAssertEqual(error as? TemporalError,
                           .sizeMismatch(what: "the two frames of a flow pair", 20, 10, 21, 10))
        }
    }

    func testResampledScalesVectors() {
        let half = Self.exactPair().resampled(width: 32, height: 24)
        XCTAssertEqual(half.width, 32); XCTAssertEqual(half.height, 24)
        XCTAssertEqual(half.forward.u[100], 1.5, accuracy: 1e-6)
        XCTAssertEqual(half.forward.v[100], 1, accuracy: 1e-6)
        XCTAssertEqual(half.backward.u[100], -1.5, accuracy: 1e-6)
        XCTAssertEqual(half.backward.v[100], -1, accuracy: 1e-6)
    }
}
