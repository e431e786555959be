import XCTest
@testable import Engine

final class Conv3x3LayerTests: XCTestCase {
    /// Winograd F(4×4,3×3) in float32 vs the double-accumulated reference, max error relative to
    /// the largest output magnitude (He-scaled random weights, uniform inputs), measured:
    /// 3→64: 3e-6 fwd / 7e-6 bwd; 64→64: 8e-6 / 6e-6; 256→256: 1.0e-5 / 1.2e-5; 512→512: 1.1e-5 / 1.0e-5.
    /// Direct float32 im2col+sgemm gives 2e-7…5e-7, so Winograd costs about 1.5 decimal digits
    /// (transform constants up to 8 in Aᵀ, 5 in Bᵀ, 1/24 in G). 2e-4 leaves headroom but fails on
    /// any indexing or transform error (those give O(1) relative errors).
    let tolerance = 2e-4

    private func check(cin: Int, cout: Int, h: Int, w: Int, seed: UInt64) {
        var rng = TestRandom(seed: seed)
        let weights = rng.array(cout * cin * 9, scale: 0.5)
        let bias = rng.array(cout, scale: 0.5)
        let layer = Conv3x3Layer(weights: weights, bias: bias, inChannels: cin, outChannels: cout)
        let x = rng.tensor(cin, h, w)

        for relu in [false, true] {
            let expected = ReferenceConvolution.forward(x, weights: weights, bias: bias, inChannels: cin,
                                                        outChannels: cout, relu: relu)
            var y = Tensor(channels: 1, height: 1, width: 1)
            layer.forward(x, relu: relu, into: &y)
            XCTAssertEqual([y.channels, y.height, y.width], [cout, h, w])
            XCTAssertLessThan(relativeMaxError(y.data, expected.data), tolerance, "forward \(cin)→\(cout) \(h)×\(w) relu \(relu)")
        }

        let dy = rng.tensor(cout, h, w)
        let expectedDx = ReferenceConvolution.backwardInput(dy, weights: weights, inChannels: cin, outChannels: cout)
        var dx = Tensor(channels: 0, height: 0, width: 0)
        layer.backwardInput(dy, into: &dx)
        XCTAssertEqual([dx.channels, dx.height, dx.width], [cin, h, w])
        XCTAssertLessThan(relativeMaxError(dx.data, expectedDx.data), tolerance, "backward \(cin)→\(cout) \(h)×\(w)")
    }

    func testOddAndTinySpatialSizes() {
        for (h, w) in [(1, 1), (3, 5), (7, 9), (4, 4), (5, 4), (13, 6), (17, 33), (2, 40)] {
            check(cin: 5, cout: 7, h: h, w: w, seed: UInt64(h * 100 + w))
        }
    }

    func testVGGLikeChannelCounts() {
        check(cin: 3, cout: 64, h: 19, w: 23, seed: 1)
        check(cin: 64, cout: 64, h: 12, w: 9, seed: 2)
        check(cin: 64, cout: 64, h: 36, w: 36, seed: 3)
        check(cin: 128, cout: 32, h: 8, w: 8, seed: 4)
    }

    func testMultipleBlocksAndThreadCounts() {
        let saved = EngineThreads.count
        defer { EngineThreads.set(saved) }
        for threads in [1, 2, 3] {
            EngineThreads.set(threads)
            check(cin: 8, cout: 6, h: 70, w: 133, seed: UInt64(threads))   // many tile-row blocks, ragged edges
        }
    }

    func testForwardReusesOutputOfDifferentShape() {
        var rng = TestRandom(seed: 9)
        let w = rng.array(4 * 2 * 9), b = rng.array(4)
        let layer = Conv3x3Layer(weights: w, bias: b, inChannels: 2, outChannels: 4)
        var y = rng.tensor(4, 6, 6, scale: 100)                      // stale contents, same count as 4×6×6
        let x = rng.tensor(2, 6, 6)
        layer.forward(x, relu: false, into: &y)
        let expected = ReferenceConvolution.forward(x, weights: w, bias: b, inChannels: 2, outChannels: 4)
        XCTAssertLessThan(relativeMaxError(y.data, expected.data), tolerance)
    }

    /// backwardInput is the adjoint of the (bias-free) forward map: d/dx ⟨r, conv(x)⟩ = convᵀ(r),
    /// checked by central differences of the linear functional (exact up to rounding, so a large eps).
    func testBackwardInputMatchesFiniteDifferences() {
        var rng = TestRandom(seed: 21)
        let cin = 4, cout = 6, h = 9, w = 7
        let weights = rng.array(cout * cin * 9, scale: 0.5)
        let bias = rng.array(cout)
        let layer = Conv3x3Layer(weights: weights, bias: bias, inChannels: cin, outChannels: cout)
        let x = rng.tensor(cin, h, w)
        let r = rng.array(cout * h * w)
        let dx = layer.backwardInput(Tensor(channels: cout, height: h, width: w, data: r))
        let probes = Array(stride(from: 0, to: x.count, by: 5)) + [0, w - 1, h * w - 1, x.count - 1]
        checkGradient(at: x.data, analytic: dx.data, probes: probes, eps: 0.5, tolerance: 1e-3) { xs in
            dot(r, layer.forward(Tensor(channels: cin, height: h, width: w, data: xs), relu: false).data)
        }
    }

    func testDeterministicForSameThreadCount() {
        var rng = TestRandom(seed: 5)
        let cin = 32, cout = 48, h = 61, w = 45
        let layer = Conv3x3Layer(weights: rng.array(cout * cin * 9, scale: 0.2), bias: rng.array(cout),
                                 inChannels: cin, outChannels: cout)
        let x = rng.tensor(cin, h, w)
        let dy = rng.tensor(cout, h, w)
        XCTAssertEqual(layer.forward(x, relu: true).data, layer.forward(x, relu: true).data)
        XCTAssertEqual(layer.backwardInput(dy).data, layer.backwardInput(dy).data)
    }

    func testIm2ColMatchesReference() {
        var rng = TestRandom(seed: 8)
        let cin = 3, cout = 10, h = 11, w = 13
        let weights = rng.array(cout * cin * 9), bias = rng.array(cout)
        var conv = Im2ColConvolution(weights: weights, inChannels: cin, outChannels: cout)
        conv.columnBufferFloats = 27 * 13 * 2                      // force several row bands
        let x = rng.tensor(cin, h, w)
        var y = Tensor(channels: 0, height: 0, width: 0)
        conv.apply(x, bias: bias, relu: true, into: &y)
        let expected = ReferenceConvolution.forward(x, weights: weights, bias: bias, inChannels: cin, outChannels: cout, relu: true)
        XCTAssertLessThan(relativeMaxError(y.data, expected.data), 1e-5)
        let dy = rng.tensor(cout, h, w)
        var dx = Tensor(channels: 0, height: 0, width: 0)
        conv.transposed().apply(dy, bias: [], relu: false, into: &dx)
        let expectedDx = ReferenceConvolution.backwardInput(dy, weights: weights, inChannels: cin, outChannels: cout)
        XCTAssertLessThan(relativeMaxError(dx.data, expectedDx.data), 1e-5)
    }
}

final class Conv3x3LayerFusedReLUTests: XCTestCase {
    func testFusedReLUBackwardEqualsSeparatePasses() {
        var rng = TestRandom(seed: 31)
        for (cin, cout, h, w) in [(5, 7, 3, 5), (6, 4, 37, 70), (3, 8, 1, 1)] {
            let layer = Conv3x3Layer(weights: rng.array(cout * cin * 9), bias: rng.array(cout), inChannels: cin, outChannels: cout)
            let out = layer.forward(rng.tensor(cin, h, w), relu: true)     // has exact zeros
            let dy = rng.tensor(cout, h, w)
            var masked = dy
            ReLU.backward(output: out, gradient: &masked)
            var fused = Tensor(channels: 0, height: 0, width: 0)
            layer.backwardInput(dy, reluOutput: out, into: &fused)
            XCTAssertEqual(fused.data, layer.backwardInput(masked).data, "\(cin)→\(cout) \(h)×\(w)")
        }
    }
}

final class WinogradStrategyTests: XCTestCase {
    /// Every work-splitting strategy gives the reference result (within Winograd tolerance) for
    /// shapes that produce one or several blocks, with 1–3 threads.
    func testAllStrategiesMatchReference() {
        var rng = TestRandom(seed: 50)
        let saved = EngineThreads.count
        defer { EngineThreads.set(saved) }
        for (cin, cout, h, w) in [(9, 5, 23, 37), (4, 12, 70, 66), (16, 3, 5, 5)] {
            let weights = rng.array(cout * cin * 9)
            let x = rng.tensor(cin, h, w)
            let expected = ReferenceConvolution.forward(x, weights: weights, bias: [Float](repeating: 0, count: cout),
                                                        inChannels: cin, outChannels: cout)
            for threads in [1, 2, 3] {
                EngineThreads.set(threads)
                for strategy in [WinogradConvolution.Strategy.perWorkerBlocks, .sharedBlocks, .sharedBlocksThreadedBLAS, .automatic] {
                    var conv = WinogradConvolution(inChannels: cin, outChannels: cout) { o, i, ky, kx in
                        weights[((o * cin + i) * 3 + ky) * 3 + kx]
                    }
                    conv.strategy = strategy
                    conv.tilesPerBlock = 24                                // force several blocks
                    var y = Tensor(channels: 0, height: 0, width: 0)
                    conv.apply(x, bias: [], relu: false, into: &y)
                    XCTAssertLessThan(relativeMaxError(y.data, expected.data), 2e-4, "\(strategy) threads \(threads) \(cin)→\(cout) \(h)×\(w)")
                }
            }
        }
    }
}
