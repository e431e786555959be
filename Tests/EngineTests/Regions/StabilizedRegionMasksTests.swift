import XCTest
@testable import Engine

/// `RegionMasks.stabilized(neighbours:weight:)`: the shared recipe of the farm worker and
/// `stylize --previous-*` — each neighbour's raw masks warped into this frame along its flow pair (the
/// direction chosen by `neighbourIsFirst`), weighted by the pair's certainty, averaged with this frame's.
final class StabilizedRegionMasksTests: XCTestCase {
    private func square(_ w: Int, _ h: Int, _ x0: Int, _ y0: Int) -> [Float] {
        (0..<(w * h)).map { i in (x0..<(x0 + 4)).contains(i % w) && (y0..<(y0 + 4)).contains(i / w) ? 1 : 0 }
    }

    private func assertClose(_ a: [Float]?, _ b: [Float], accuracy: Float = 1e-4, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let a, a.count == b.count else { return XCTFail("\(message): sizes differ", file: file, line: line) }
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, accuracy, message, file: file, line: line)
    }

    func testTranslationPairMovesTheNeighbourSquareInEitherDirection() throws {
        // The scene moves by (+3, +2) from the pair's first frame to its second: a 4×4 square at (5, 6) in
        // the first frame is at (8, 8) in the second.
        let w = 20, h = 16, n = w * h
        let pair = FlowPair(forward: FlowField(width: w, height: h, constant: 3, 2),
                            backward: FlowField(width: w, height: h, constant: -3, -2))
        let empty = RegionMasks(width: w, height: h, named: [("car", [Float](repeating: 0, count: n))])

        // The neighbour precedes this frame (this frame is the pair's second): its square lands at (8, 8),
        // averaged half-and-half with this frame's empty mask where the flow is certain.
        let first = RegionMasks(width: w, height: h, named: [("car", square(w, h, 5, 6))])
        let intoSecond = try empty.stabilized(neighbours: [(masks: first, pair: pair, neighbourIsFirst: true)])
        XCTAssertEqual(intoSecond.names, ["car"])
        assertClose(intoSecond.mask(named: "car"), square(w, h, 8, 8).map { $0 / 2 }, "previous neighbour")

        // The neighbour follows this frame (this frame is the pair's first): its square at (8, 8) lands at (5, 6).
        let second = RegionMasks(width: w, height: h, named: [("car", square(w, h, 8, 8))])
        let intoFirst = try empty.stabilized(neighbours: [(masks: second, pair: pair, neighbourIsFirst: false)])
        assertClose(intoFirst.mask(named: "car"), square(w, h, 5, 6).map { $0 / 2 }, "next neighbour")

        // It is exactly warp + certainty + temporallySmoothed.
        let manual = try empty.temporallySmoothed(neighbours: [(masks: try first.warped(by: pair.backward),
                                                                certainty: try pair.certaintyOfSecond().weights)])
        XCTAssertEqual(intoSecond.mask(named: "car"), manual.mask(named: "car"))
    }

    func testZeroFlowOnAFlickeringSequenceReducesTheFlicker() throws {
        // A static scene whose soft segmentation alternates 0.3 / 0.7 per frame; each inner frame is
        // stabilized with both neighbours (the previous as the pair's first frame, the next as its second).
        let w = 10, h = 8, count = 6
        let raw = (0..<count).map { t -> RegionMasks in
            let v: Float = t % 2 == 0 ? 0.3 : 0.7
            return RegionMasks(width: w, height: h, named: [("person", [Float](repeating: v, count: w * h)),
                                                            ("background", [Float](repeating: 1 - v, count: w * h))])
        }
        let still = FlowPair(forward: FlowField(width: w, height: h, constant: 0, 0),
                             backward: FlowField(width: w, height: h, constant: 0, 0))
        var rawSwing: Float = 0, stableSwing: Float = 0
        var previous: (raw: Float, stable: Float)? = nil
        for t in 1..<(count - 1) {
            let stable = try raw[t].stabilized(neighbours: [(masks: raw[t - 1], pair: still, neighbourIsFirst: true),
                                                            (masks: raw[t + 1], pair: still, neighbourIsFirst: false)])
            let r = raw[t].mask(named: "person")![w * 4 + 5], s = stable.mask(named: "person")![w * 4 + 5]
            XCTAssertEqual(s, (r + 2 * (1 - r)) / 3, accuracy: 1e-4, "frame \(t)")
            if let previous {
                rawSwing = max(rawSwing, abs(r - previous.raw))
                stableSwing = max(stableSwing, abs(s - previous.stable))
            }
            previous = (r, s)
        }
        XCTAssertLessThan(stableSwing, rawSwing / 2, "flicker \(rawSwing) → \(stableSwing)")
    }

    func testNoNeighboursOrZeroWeightChangeNothing() throws {
        let w = 6, h = 5
        let own = RegionMasks(width: w, height: h, named: [("car", square(w, h, 1, 1))])
        let other = RegionMasks(width: w, height: h, named: [("car", [Float](repeating: 1, count: w * h))])
        let still = FlowPair(forward: FlowField(width: w, height: h, constant: 0, 0),
                             backward: FlowField(width: w, height: h, constant: 0, 0))
        XCTAssertEqual(try own.stabilized(neighbours: []).mask(named: "car"), own.mask(named: "car"))
        XCTAssertEqual(try own.stabilized(neighbours: [(masks: other, pair: still, neighbourIsFirst: true)], weight: 0)
                        .mask(named: "car"), own.mask(named: "car"))
    }

    func testSizeMismatchesAreTypedErrors() {
        let own = RegionMasks(width: 4, height: 3, named: [("car", [Float](repeating: 0, count: 12))])
        let small = FlowPair(forward: FlowField(width: 4, height: 3, constant: 0, 0),
                             backward: FlowField(width: 4, height: 3, constant: 0, 0))
        let large = FlowPair(forward: FlowField(width: 5, height: 3, constant: 0, 0),
                             backward: FlowField(width: 5, height: 3, constant: 0, 0))
        let wideMasks = RegionMasks(width: 5, height: 3, named: [("car", [Float](repeating: 0, count: 15))])
        XCTAssertThrowsError(try own.stabilized(neighbours: [(masks: own, pair: large, neighbourIsFirst: true)])) { error in
            guard case .sizeMismatch(let what, _, _, _, _)? = error as? TemporalError else { return XCTFail("\(error)") }
            XCTAssertTrue(what.contains("flow pair"), what)
        }
        XCTAssertThrowsError(try own.stabilized(neighbours: [(masks: wideMasks, pair: small, neighbourIsFirst: false)])) { error in
            guard case .sizeMismatch(let what, _, _, _, _)? = error as? TemporalError else { return XCTFail("\(error)") }
            XCTAssertTrue(what.contains("masks"), what)
        }
        XCTAssertThrowsError(try own.stabilized(neighbours: [(masks: own, pair: small, neighbourIsFirst: true)], weight: -1))
    }
}
