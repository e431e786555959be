import XCTest
@testable import Engine

final class WarpTests: XCTestCase {
    /// A gray test image with values from `f(x, y)`.
    private func image(_ w: Int, _ h: Int, channels: Int = 1, _ f: (Int, Int, Int) -> Float) -> Image {
        var pixels = [Float](repeating: 0, count: w * h * channels)
        for y in 0..<h { for x in 0..<w { for c in 0..<channels { pixels[(y * w + x) * channels + c] = f(x, y, c) } } }
        return Image(width: w, height: h, channels: channels, pixels: pixels)
    }

    func testIntegerTranslationIsExactInside() throws {
        // x_t(p) = x_{t−1}(p + (3, −2)): the backward flow is the constant (3, −2).
        var rng = TestRandom(seed: 3)
        let w = 20, h = 15
        let previous = image(w, h, channels: 3) { _, _, _ in rng.next(0.5) + 0.5 }
        let flow = FlowField(width: w, height: h, constant: 3, -2)
        let (warped, inside) = try Warp.backward(previous, flow: flow)
        var checked = 0
        for y in 0..<h {
            for x in 0..<w {
                let expectedInside = x + 3 < w && y - 2 >= 0
                XCTAssertEqual(inside[y * w + x], expectedInside, "(\(x), \(y))")
                guard expectedInside else { continue }
                for c in 0..<3 { XCTAssertEqual(warped[x: x, y: y, c: c], previous[x: x + 3, y: y - 2, c: c]) }
                checked += 1
            }
        }
        XCTAssertEqual(checked, (w - 3) * (h - 2))
    }

    func testSubpixelTranslationIsExactForBilinearContent() throws {
        // Bilinear interpolation reproduces a + bx + cy + dxy exactly, and a translation keeps that form.
        func f(_ x: Float, _ y: Float) -> Float { 0.1 + 0.01 * x + 0.02 * y + 0.0005 * x * y }
        let w = 24, h = 18
        let previous = image(w, h) { x, y, _ in f(Float(x), Float(y)) }
        let flow = FlowField(width: w, height: h, constant: 0.25, 0.6)
        let (warped, inside) = try Warp.backward(previous, flow: flow)
        for y in 0..<h - 1 {
            for x in 0..<w - 1 {
                XCTAssertTrue(inside[y * w + x])
                XCTAssertEqual(warped[x: x, y: y, c: 0], f(Float(x) + 0.25, Float(y) + 0.6), accuracy: 1e-6)
            }
        }
        // The last column samples at x = 23.25 > 23: outside, flagged.
        XCTAssertFalse(inside[5 * w + (w - 1)])
        XCTAssertFalse(inside[(h - 1) * w + 3])
    }

    func testTensorWarpMatchesImageWarp() throws {
        var rng = TestRandom(seed: 9)
        let w = 9, h = 7
        let img = image(w, h, channels: 3) { _, _, _ in rng.next(0.5) + 0.5 }
        var u = [Float](), v = [Float]()
        for _ in 0..<(w * h) { u.append(rng.next(2)); v.append(rng.next(2)) }
        let flow = FlowField(width: w, height: h, u: u, v: v)
        let tensor = Tensor(channels: 3, height: h, width: w,
                            data: (0..<3).flatMap { c in (0..<(w * h)).map { img.pixels[$0 * 3 + c] } })
        let (wi, ii) = try Warp.backward(img, flow: flow)
        let (wt, it) = try Warp.backward(tensor, flow: flow)
        XCTAssertEqual(ii, it)
        for c in 0..<3 { for p in 0..<(w * h) { XCTAssertEqual(wt.data[c * w * h + p], wi.pixels[p * 3 + c]) } }
    }

    func testUnknownFlowIsFlaggedAndSizeMismatchThrows() throws {
        let img = image(4, 4) { x, _, _ in Float(x) }
        var flow = FlowField(width: 4, height: 4, constant: 0, 0)
        flow.u[5] = 1e10
        let (_, inside) = try Warp.backward(img, flow: flow)
        XCTAssertFalse(inside[5])
        XCTAssertTrue(inside[6])
        XCTAssertThrowsError(try Warp.backward(img, flow: FlowField(width: 3, height: 4, constant: 0, 0))) { error in
            XCTAssertEqual(error as? TemporalError, .sizeMismatch(what: "the image and the flow", 4, 4, 3, 4))
        }
    }

    func testWarpErrorIsZeroForExactMotionAndCountsCertainPixelsOnly() throws {
        var rng = TestRandom(seed: 5)
        let w = 16, h = 12
        let previous = image(w, h, channels: 3) { _, _, _ in rng.next(0.5) + 0.5 }
        let current = image(w, h, channels: 3) { x, y, c in x >= 2 ? previous[x: x - 2, y: y, c: c] : 0.5 }
        let flow = FlowField(width: w, height: h, constant: -2, 0)
        let m = try TemporalConsistency.warpError(current: current, previous: previous, flow: flow,
                                                  certainty: [Float](repeating: 1, count: w * h))
        XCTAssertEqual(m.warpError, 0, accuracy: 1e-12)
        XCTAssertEqual(m.certainWeight, Double((w - 2) * h))
        // A constant offset of 0.1 everywhere gives 0.01.
        let brighter = Image(width: w, height: h, channels: 3, pixels: current.pixels.map { $0 + 0.1 })
        let m2 = try TemporalConsistency.warpError(current: brighter, previous: previous, flow: flow,
                                                   certainty: [Float](repeating: 1, count: w * h))
        XCTAssertEqual(m2.warpError, 0.01, accuracy: 1e-6)
    }
}
