import XCTest
@testable import Engine

/// `RegionMasks.warped(by:)` and `temporallySmoothed(neighbours:weight:)`: flow-warped neighbour masks
/// damp a per-frame flicker and land where the motion puts them.
final class TemporalRegionMasksTests: XCTestCase {
    private func masks(_ w: Int, _ h: Int, _ value: Float, extra: [(String, Float)] = []) -> RegionMasks {
        let n = w * h
        var named: [(String, [Float])] = [("person", [Float](repeating: value, count: n)),
                                          ("background", [Float](repeating: 1 - value, count: n))]
        for (name, v) in extra { named.append((name, [Float](repeating: v, count: n))) }
        return RegionMasks(width: w, height: h, named: named)
    }

    func testAlternatingFlickerMovesTowardTheMean() throws {
        // A static scene (zero flow, full certainty) whose segmentation alternates 0.3 / 0.7 per frame.
        let w = 8, h = 6, n = w * h
        let frames = (0..<6).map { masks(w, h, $0 % 2 == 0 ? 0.3 : 0.7) }
        let zero = FlowField(width: w, height: h, constant: 0, 0)
        let certain = [Float](repeating: 1, count: n)
        var rawSwing: Float = 0, smoothSwing: Float = 0
        var previous: (raw: Float, smooth: Float)? = nil
        for t in 1..<(frames.count - 1) {
            let neighbours = try [frames[t - 1], frames[t + 1]].map { (masks: try $0.warped(by: zero), certainty: certain) }
            let smoothed = try frames[t].temporallySmoothed(neighbours: neighbours)
            XCTAssertEqual(smoothed.names, ["person", "background"])
            let raw = frames[t].mask(named: "person")![0], value = smoothed.mask(named: "person")![0]
            // (m + 2·m') / 3 with m' the other phase: 0.3 → 0.5667, 0.7 → 0.4333.
            XCTAssertEqual(value, (raw + 2 * (1 - raw)) / 3, accuracy: 1e-6)
            XCTAssertLessThan(abs(value - 0.5), abs(raw - 0.5))
            XCTAssertEqual(smoothed.mask(named: "background")![7], 1 - value, accuracy: 1e-6)
            if let previous {
                rawSwing = max(rawSwing, abs(raw - previous.raw))
                smoothSwing = max(smoothSwing, abs(value - previous.smooth))
            }
            previous = (raw, value)
        }
        XCTAssertLessThan(smoothSwing, rawSwing / 2, "flicker \(rawSwing) → \(smoothSwing)")
    }

    func testZeroCertaintyOrWeightChangesNothing() throws {
        let w = 5, h = 4
        let own = masks(w, h, 0.3), other = masks(w, h, 0.7)
        let none = try own.temporallySmoothed(neighbours: [(other, [Float](repeating: 0, count: w * h))])
        XCTAssertEqual(none.mask(named: "person"), own.mask(named: "person"))
        XCTAssertEqual(none.mask(named: "background"), own.mask(named: "background"))
        let weightless = try own.temporallySmoothed(neighbours: [(other, [Float](repeating: 1, count: w * h))], weight: 0)
        XCTAssertEqual(weightless.mask(named: "person"), own.mask(named: "person"))
        // Weight 3 with one certain neighbour: (0.3 + 3·0.7)/4.
        let heavy = try own.temporallySmoothed(neighbours: [(other, [Float](repeating: 1, count: w * h))], weight: 3)
        XCTAssertEqual(heavy.mask(named: "person")![0], (0.3 + 3 * 0.7) / 4, accuracy: 1e-6)
    }

    func testMissingNamesAreSkippedAndOrderKept() throws {
        let w = 4, h = 3, n = w * h
        let own = masks(w, h, 0.2, extra: [("sky", 0.1)])
        let neighbour = RegionMasks(width: w, height: h, named: [("background", [Float](repeating: 0, count: n)),
                                                                 ("person", [Float](repeating: 1, count: n))])
        let out = try own.temporallySmoothed(neighbours: [(neighbour, [Float](repeating: 1, count: n))])
        XCTAssertEqual(out.names, ["person", "background", "sky"])
        XCTAssertEqual(out.mask(named: "person")![0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(out.mask(named: "background")![0], 0.4, accuracy: 1e-6)
        XCTAssertEqual(out.mask(named: "sky")![0], 0.1, accuracy: 1e-6)
    }

    func testTranslatedNeighbourMaskLandsInPlace() throws {
        // Frame t−1 has a 4×4 square at (5, 6); the scene moves by (+3, +2), so in frame t it is at (8, 8).
        let w = 20, h = 16, n = w * h
        func square(_ x0: Int, _ y0: Int) -> [Float] {
            (0..<n).map { i in (x0..<(x0 + 4)).contains(i % w) && (y0..<(y0 + 4)).contains(i / w) ? 1 : 0 }
        }
        let previous = RegionMasks(width: w, height: h, named: [("car", square(5, 6))])
        let backward = FlowField(width: w, height: h, constant: -3, -2)  // frame t → t−1
        let warped = try previous.warped(by: backward)
        XCTAssertEqual(warped.mask(named: "car"), square(8, 8))
        XCTAssertEqual(warped.names, ["car"])

        // Smoothing a frame whose own mask flickered off keeps half the car where it belongs.
        let current = RegionMasks(width: w, height: h, named: [("car", [Float](repeating: 0, count: n))])
        let out = try current.temporallySmoothed(neighbours: [(warped, [Float](repeating: 1, count: n))])
        let expected = square(8, 8).map { $0 / 2 }
        XCTAssertEqual(out.mask(named: "car"), expected)
    }

    func testSizeMismatchesThrow() {
        let own = masks(4, 3, 0.5)
        XCTAssertThrowsError(try own.warped(by: FlowField(width: 5, height: 3, constant: 0, 0))) { error in
            guard case .sizeMismatch? = error as? TemporalError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try own.temporallySmoothed(neighbours: [(masks(5, 3, 0.5), [Float](repeating: 1, count: 15))]))
        XCTAssertThrowsError(try own.temporallySmoothed(neighbours: [(masks(4, 3, 0.5), [Float](repeating: 1, count: 11))]))
        XCTAssertThrowsError(try own.temporallySmoothed(neighbours: [], weight: -1))
    }
}
