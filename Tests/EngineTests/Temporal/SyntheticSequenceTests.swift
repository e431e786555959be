import Foundation
import XCTest
@testable import Engine
import TestSupport

/// `SyntheticSequence`: its ground-truth flow and occlusions against the frames it renders.
final class SyntheticSequenceTests: XCTestCase {
    /// A smooth random RGB texture (bilinear upsampling of a coarse random grid), values in [0.1, 0.9].
    private func texture(width: Int, height: Int, cell: Int, seed: UInt64) -> Image {
        var rng = TestRandom(seed: seed)
        let gw = width / cell + 2, gh = height / cell + 2
        let grid = (0..<(gw * gh * 3)).map { _ in 0.5 + rng.next(0.4) }
        var px = [Float](repeating: 0, count: width * height * 3)
        for y in 0..<height { for x in 0..<width {
            let gx = Float(x) / Float(cell), gy = Float(y) / Float(cell)
            let x0 = Int(gx), y0 = Int(gy), ax = gx - Float(x0), ay = gy - Float(y0)
            for c in 0..<3 {
                func g(_ i: Int, _ j: Int) -> Float { grid[((y0 + j) * gw + x0 + i) * 3 + c] }
                let top = g(0, 0) + (g(1, 0) - g(0, 0)) * ax, bottom = g(0, 1) + (g(1, 1) - g(0, 1)) * ax
                px[(y * width + x) * 3 + c] = top + (bottom - top) * ay
            }
        } }
        return Image(width: width, height: height, channels: 3, pixels: px)
    }

    /// Photographs from the shared data when present (more realistic detail), else textures.
    private func photo(_ name: String, fallbackSeed: UInt64) -> Image {
        if let url = try? SharedTestData.url("images/" + name), let image = try? ImageReader.read(path: url.path) {
            return image
        }
        return texture(width: 400, height: 300, cell: 6, seed: fallbackSeed)
    }

    private func photoSequence(frames: Int = 4, zoom: Double = 1.02) throws -> SyntheticSequence {
        let fg = try photo("cat.png", fallbackSeed: 2).toRGB().resized(width: 48, height: 48)
        let matte = SyntheticSequence.roundedRectangleMatte(width: 48, height: 48, cornerRadius: 24, edgeWidth: 1)
        let motion = SyntheticSequence.Motion(
            backgroundPan: .init(1.3, 0.7), backgroundZoom: zoom, foregroundStart: .init(50, 60),
            foregroundVelocity: .init(2.6, -1.2), foregroundWobble: .init(0, 3), wobblePeriod: 4)
        return try SyntheticSequence(background: photo("owl.jpg", fallbackSeed: 1), foreground: fg, foregroundMatte: matte,
                                     width: 160, height: 120, frames: frames, motion: motion)
    }

    /// Mean over non-occluded pixels and channels of (frame_a − ω(frame_b))², ω with `flow` (a → b).
    private func warpMSE(_ a: Image, _ b: Image, _ flow: FlowField, _ occluded: [Bool]) throws -> (Double, Int) {
        let (warped, inside) = try Warp.backward(b, flow: flow)
        var sum = 0.0, n = 0
        for p in 0..<a.pixelCount where !occluded[p] && inside[p] {
            for c in 0..<3 { let d = Double(a.pixels[p * 3 + c] - warped.pixels[p * 3 + c]); sum += d * d }
            n += 1
        }
        return (sum / Double(3 * max(n, 1)), n)
    }

    func testGroundTruthFlowReproducesTheFrameOnNonOccludedPixels() throws {
        let seq = try photoSequence()
        let frames = try (0..<seq.frameCount).map { try seq.frame($0).image }
        for t in 0..<(seq.frameCount - 1) {
            for (a, b) in [(t, t + 1), (t + 1, t)] {
                let (flow, occluded) = try seq.flow(from: a, to: b)
                let (mse, n) = try warpMSE(frames[a], frames[b], flow, occluded)
                let zero = FlowField(width: flow.width, height: flow.height, constant: 0, 0)
                let (zeroMSE, _) = try warpMSE(frames[a], frames[b], zero, occluded)
                let fraction = Double(n) / Double(flow.pixelCount)
                print(String(format: "synthetic %d→%d: GT-flow warp MSE %.2e, zero flow %.2e, %.1f%% of pixels compared",
                             a, b, mse, zeroMSE, 100 * fraction))
                XCTAssertLessThan(mse, 5e-4, "\(a)→\(b)")
                XCTAssertLessThan(mse, zeroMSE / 20, "\(a)→\(b)")
                XCTAssertGreaterThan(fraction, 0.8, "\(a)→\(b): too much marked occluded")
            }
        }
    }

    func testAWrongFlowIsCaught() throws {
        // The same check with the flow off by half a pixel must fail the bound above: the test can fail.
        let seq = try photoSequence()
        let (flow, occluded) = try seq.flow(from: 1, to: 2)
        var shifted = flow
        for i in 0..<shifted.pixelCount { shifted.u[i] += 0.5 }
        let (good, _) = try warpMSE(try seq.frame(1).image, try seq.frame(2).image, flow, occluded)
        let (bad, _) = try warpMSE(try seq.frame(1).image, try seq.frame(2).image, shifted, occluded)
        print(String(format: "synthetic 1→2: exact flow MSE %.2e, flow +0.5 px MSE %.2e", good, bad))
        XCTAssertGreaterThan(bad, 3 * good)  // measured 4.8×
    }

    func testFlowValuesAreTheLayerMotions() throws {
        // No zoom: the background moves by exactly −pan, the foreground by the difference of its centres.
        let seq = try photoSequence(zoom: 1)
        let (flow, _) = try seq.flow(from: 1, to: 2)
        let matte = try seq.matte(1)
        let c1 = seq.motion.foregroundCenter(1), c2 = seq.motion.foregroundCenter(2)
        var fg = 0, bg = 0
        for i in 0..<flow.pixelCount {
            if matte.pixels[i] >= 0.5 {
                XCTAssertEqual(Double(flow.u[i]), c2.x - c1.x, accuracy: 1e-4); XCTAssertEqual(Double(flow.v[i]), c2.y - c1.y, accuracy: 1e-4)
                fg += 1
            } else {
                XCTAssertEqual(flow.u[i], -1.3, accuracy: 1e-4); XCTAssertEqual(flow.v[i], -0.7, accuracy: 1e-4)
                bg += 1
            }
        }
        XCTAssertGreaterThan(fg, 1500)  // a 48-px disc: π·24² ≈ 1810
        XCTAssertGreaterThan(bg, 15000)
    }

    /// A 10×10 hard-edged square at (20…29, 20…29) moving 3 px right per frame over a static or panning
    /// background: the occlusions are countable by hand.
    private func squareSequence(pan: Double) throws -> SyntheticSequence {
        let fg = Image(width: 10, height: 10, channels: 3, repeating: 0.9)
        let matte = SyntheticSequence.roundedRectangleMatte(width: 10, height: 10, cornerRadius: 0, edgeWidth: 0)
        XCTAssertEqual(matte.pixels, [Float](repeating: 1, count: 100))
        let motion = SyntheticSequence.Motion(backgroundPan: .init(pan, 0), backgroundZoom: 1,
                                              foregroundStart: .init(24.5, 24.5), foregroundVelocity: .init(3, 0))
        return try SyntheticSequence(background: texture(width: 120, height: 90, cell: 5, seed: 3), foreground: fg,
                                     foregroundMatte: matte, width: 64, height: 48, frames: 3, motion: motion)
    }

    private func set(_ mask: [Bool], width: Int) -> Set<[Int]> {
        Set(mask.indices.filter { mask[$0] }.map { [$0 % width, $0 / width] })
    }

    private func rect(_ xs: ClosedRange<Int>, _ ys: ClosedRange<Int>) -> Set<[Int]> {
        Set(xs.flatMap { x in ys.map { [x, $0] } })
    }

    func testOcclusionsOfATranslatingSquareOverAStaticBackground() throws {
        let seq = try squareSequence(pan: 0)
        let m0 = try seq.matte(0), m1 = try seq.matte(1)
        XCTAssertEqual(set(m0.pixels.map { $0 > 0 }, width: 64), rect(20...29, 20...29))
        XCTAssertEqual(set(m1.pixels.map { $0 > 0 }, width: 64), rect(23...32, 20...29))
        // Forward 0 → 1: the background about to be covered (x 30…32) is occluded, nothing else.
        let forward = try seq.flow(from: 0, to: 1)
        XCTAssertEqual(set(forward.occluded, width: 64), rect(30...32, 20...29))
        // Backward 1 → 0: the background the square uncovered (x 20…22) has no correspondence in frame 0.
        let backward = try seq.flow(from: 1, to: 0)
        XCTAssertEqual(set(backward.occluded, width: 64), rect(20...22, 20...29))
        XCTAssertEqual(backward.flow.u[25 * 64 + 25], -3)  // the square
        XCTAssertEqual(backward.flow.u[25 * 64 + 21], 0, accuracy: 1e-6)   // background
    }

    func testOcclusionsWithAPanAddTheColumnsLeavingTheFrame() throws {
        // Pan 2 px right: the background moves 2 px left, so columns 0–1 leave the frame; background
        // points at x 25…34 land in the square's frame-1 place (x 23…32), the square's own pixels do not count.
        let seq = try squareSequence(pan: 2)
        let forward = try seq.flow(from: 0, to: 1)
        XCTAssertEqual(forward.flow.u[10 * 64 + 10], -2, accuracy: 1e-5)
        XCTAssertEqual(set(forward.occluded, width: 64), rect(0...1, 0...47).union(rect(30...34, 20...29)))
        let frames = try (0...1).map { try seq.frame($0).image }
        let (mse, _) = try warpMSE(frames[0], frames[1], forward.flow, forward.occluded)
        XCTAssertLessThan(mse, 1e-8)  // integer shifts: warping is exact
    }

    func testDISEndpointErrorOnASyntheticPair() throws {
        let seq = try photoSequence()
        var epes: [Double] = [], zeros: [Double] = []
        for t in 0..<(seq.frameCount - 1) {
            let a = try seq.frame(t).image, b = try seq.frame(t + 1).image
            let (truth, occluded) = try seq.flow(from: t, to: t + 1)
            let mask = occluded.map { !$0 }
            let dis = try OpticalFlow.dis(from: a, to: b, preset: .medium)
            let (epe, n) = try dis.averageEndpointError(against: truth, mask: mask)
            let (zero, _) = try FlowField(width: a.width, height: a.height, constant: 0, 0).averageEndpointError(against: truth, mask: mask)
            print(String(format: "DIS medium on synthetic %d→%d (%dx%d): EPE %.3f px over %d non-occluded pixels (zero flow %.3f)",
                         t, t + 1, a.width, a.height, epe, n, zero))
            epes.append(epe); zeros.append(zero)
        }
        let mean = epes.reduce(0, +) / Double(epes.count), zeroMean = zeros.reduce(0, +) / Double(zeros.count)
        print(String(format: "DIS medium on the synthetic sequence: mean EPE %.3f px (zero flow %.3f)", mean, zeroMean))
        XCTAssertLessThan(mean, 0.25)  // measured 0.121 px (2-core VM, OpenCV 4.6.0)
        XCTAssertLessThan(mean, 0.3 * zeroMean)
    }

    func testInvalidInputsThrowTypedErrors() {
        let img = Image(width: 8, height: 8, channels: 3)
        let matte = Image(width: 8, height: 8, channels: 1, repeating: 1)
        let motion = SyntheticSequence.Motion(foregroundStart: .init(4, 4))
        XCTAssertThrowsError(try SyntheticSequence(background: img, foreground: img, foregroundMatte: matte,
                                                   width: 8, height: 8, frames: 1, motion: motion)) {
            XCTAssertEqual($0 as? SyntheticSequenceError, .invalidFrameCount(1))
        }
        XCTAssertThrowsError(try SyntheticSequence(background: img, foreground: img,
                                                   foregroundMatte: Image(width: 4, height: 8, channels: 1),
                                                   width: 8, height: 8, frames: 2, motion: motion)) {
            XCTAssertEqual($0 as? SyntheticSequenceError,
                           .matteSizeMismatch(colorWidth: 8, colorHeight: 8, matteWidth: 4, matteHeight: 8))
        }
        var zoomed = motion
        zoomed.backgroundZoom = 0
        XCTAssertThrowsError(try SyntheticSequence(background: img, foreground: img, foregroundMatte: matte,
                                                   width: 8, height: 8, frames: 2, motion: zoomed))
        var panned = motion
        panned.backgroundPan = .init(500, 0)
        XCTAssertThrowsError(try SyntheticSequence(background: img, foreground: img, foregroundMatte: matte,
                                                   width: 8, height: 8, frames: 3, motion: panned)) {
            guard case .motionTooLarge = $0 as? SyntheticSequenceError else { return XCTFail("\($0)") }
        }
        let seq = try? SyntheticSequence(background: img, foreground: img, foregroundMatte: matte,
                                         width: 8, height: 8, frames: 2, motion: motion)
        XCTAssertThrowsError(try seq?.frame(2)) { XCTAssertEqual($0 as? SyntheticSequenceError, .frameOutOfRange(2, count: 2)) }
    }
}
