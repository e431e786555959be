import XCTest
@testable import Engine

/// Multi-pass initialization (Ruder et al. 2016, §3.4): `TemporalTargets.initialImage` is the start
/// point, and `blendedInitialization` pulls a frame toward its certain warped neighbours.
final class MultipassInitializationTests: XCTestCase {
    private func rgb(_ w: Int, _ h: Int, _ values: [Float]) -> Image {
        Image(width: w, height: h, channels: 3, pixels: values.flatMap { [$0, $0, $0] })
    }

    func testBlendWithTwoNeighbours() {
        // Pixel 0: both neighbours certain → own + 0.5·((1 − 0) + (0.5 − 0))/2 = 0.375.
        // Pixel 1: only B, c = 0.5 → own + 0.5·0.5·(0.5 − 0)/max(1, 0.5) = 0.125.
        // Pixel 2: no certainty → own.
        let own = rgb(3, 1, [0, 0, 0.2])
        let a = TemporalTargets.Target(warped: rgb(3, 1, [1, 1, 1]), certainty: [1, 0, 0])
        let b = TemporalTargets.Target(warped: rgb(3, 1, [0.5, 0.5, 0.9]), certainty: [1, 0.5, 0])
        let out = TemporalTargets.blendedInitialization(own: own, neighbours: [a, b])
        for c in 0..<3 {
            XCTAssertEqual(out[x: 0, y: 0, c: c], 0.375, accuracy: 1e-6)
            XCTAssertEqual(out[x: 1, y: 0, c: c], 0.125, accuracy: 1e-6)
            XCTAssertEqual(out[x: 2, y: 0, c: c], 0.2, accuracy: 1e-6)
        }
        // Strength 1 with both certain: the neighbours' average.
        let full = TemporalTargets.blendedInitialization(own: own, neighbours: [a, b], strength: 1)
        XCTAssertEqual(full[x: 0, y: 0, c: 0], 0.75, accuracy: 1e-6)
    }

    func testOneNeighbourIsRudersBlend() {
        // x' = (1 − δc)·own + δc·w, per channel.
        let own = Image(width: 2, height: 1, channels: 3, pixels: [0.1, 0.2, 0.3, 0.9, 0.8, 0.7])
        let warped = Image(width: 2, height: 1, channels: 3, pixels: [0.5, 0.6, 0.0, 0.1, 0.4, 1.0])
        let certainty: [Float] = [0.8, 0.3]
        let out = TemporalTargets.blendedInitialization(own: own, neighbours: [.init(warped: warped, certainty: certainty)],
                                                        strength: 0.5)
        for p in 0..<2 {
            for c in 0..<3 {
                let d = 0.5 * certainty[p]
                let expected = (1 - d) * own.pixels[p * 3 + c] + d * warped.pixels[p * 3 + c]
                XCTAssertEqual(out.pixels[p * 3 + c], expected, accuracy: 1e-6, "pixel \(p) channel \(c)")
            }
        }
        XCTAssertEqual(TemporalTargets.blendedInitialization(own: own, neighbours: []), own)
    }

    func testInitialImageIsTheStartPoint() throws {
        let vgg = try TestResources.vgg16(pooling: .average)
        let w = 40, h = 32
        var rng = TestRandom(seed: 17)
        let content = Image(width: w, height: h, channels: 3, pixels: (0..<(w * h * 3)).map { _ in 0.5 + rng.next(0.4) })
        let style = Image(width: w, height: h, channels: 3, pixels: (0..<(w * h * 3)).map { _ in 0.5 + rng.next(0.4) })
        let initial = Image(width: w, height: h, channels: 3, pixels: (0..<(w * h * 3)).map { _ in 0.5 + rng.next(0.3) })
        // A fully certain warped target that the warped initialization would start from: initialImage wins.
        let warped = Image(width: w, height: h, channels: 3, pixels: [Float](repeating: 0.9, count: w * h * 3))
        var p = StyleTransferParameters()
        p.size = w
        p.iterations = 0
        let transfer = StyleTransfer(vgg: vgg)
        let temporal = TemporalTargets(targets: [.init(warped: warped, certainty: [Float](repeating: 1, count: w * h))],
                                       weight: 1, initializeFromWarped: true, initialImage: initial)
        let result = try transfer.stylize(content: content, styles: [style], parameters: p, temporal: temporal).image
        XCTAssertEqual(result.width, w); XCTAssertEqual(result.height, h)
        var maxError: Float = 0
        for i in 0..<initial.pixels.count { maxError = max(maxError, abs(result.pixels[i] - initial.pixels[i])) }
        XCTAssertLessThan(maxError, 1e-4, "the result of 0 iterations is the initial image (float round trip)")

        // Without it, the same call starts from the warped target.
        var noInitial = temporal
        noInitial.initialImage = nil
        let fromWarped = try transfer.stylize(content: content, styles: [style], parameters: p, temporal: noInitial).image
        XCTAssertEqual(fromWarped[x: 5, y: 5, c: 0], 0.9, accuracy: 1e-4)

        // A different size is resized to the scale; an empty one is an error, not a crash.
        var big = temporal
        big.initialImage = try initial.resized(width: 2 * w, height: 2 * h)
        let resized = try transfer.stylize(content: content, styles: [style], parameters: p, temporal: big).image
        XCTAssertEqual(resized.width, w)
        var empty = temporal
        empty.initialImage = Image(width: 0, height: 0, channels: 3, pixels: [])
        XCTAssertThrowsError(try transfer.stylize(content: content, styles: [style], parameters: p, temporal: empty))
    }
}
