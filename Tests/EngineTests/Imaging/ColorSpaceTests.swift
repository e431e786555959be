import XCTest
@testable import Engine

/// Issue 20: the conversions between a plate's colour space and the working space the network sees.
final class ColorSpaceTests: XCTestCase {
    func testTheSRGBTransferFunctionIsTheStandardsAndItsOwnInverse() {
        // IEC 61966-2-1: 0.5 encoded is 0.214041 linear; the linear segment below 0.04045.
        XCTAssertEqual(ColorSpace.decode(0.5), 0.21404114, accuracy: 1e-8)
        XCTAssertEqual(ColorSpace.decode(0.04), 0.04 / 12.92, accuracy: 1e-12)
        XCTAssertEqual(ColorSpace.encode(0.18), 0.46135612, accuracy: 1e-7)
        XCTAssertEqual(ColorSpace.encode(1), 1, accuracy: 1e-12)
        for v in stride(from: -2.0, through: 2.0, by: 0.001) {
            XCTAssertEqual(ColorSpace.decode(ColorSpace.encode(v)), v, accuracy: 1e-12)
        }
    }

    func testTheACESMatricesKeepWhiteAndInvertEachOther() {
        for row in 0..<3 {
            XCTAssertEqual(ColorSpace.ap1ToRec709[row * 3 ..< row * 3 + 3].reduce(0, +), 1, accuracy: 1e-6, "white stays white")
            XCTAssertEqual(ColorSpace.rec709ToAP1[row * 3 ..< row * 3 + 3].reduce(0, +), 1, accuracy: 1e-6)
            for column in 0..<3 {
                var product = 0.0
                for k in 0..<3 { product += ColorSpace.ap1ToRec709[row * 3 + k] * ColorSpace.rec709ToAP1[k * 3 + column] }
                XCTAssertEqual(product, row == column ? 1 : 0, accuracy: 1e-14)
            }
        }
        // Pure Rec.709 red in ACEScg: the published matrix's first column (0.6131, 0.0702, 0.0206; the ACES configs'
        // "Utility - Linear - sRGB" to ACEScg).
        let red = ColorSpace.apply(ColorSpace.rec709ToAP1, (1, 0, 0))
        XCTAssertEqual(red.0, 0.6131, accuracy: 1e-4)
        XCTAssertEqual(red.1, 0.0702, accuracy: 1e-4)
        XCTAssertEqual(red.2, 0.0206, accuracy: 1e-4)
    }

    func testHighlightsRollOffSmoothlyAndComeBackExactly() {
        let k = HighlightRolloff.knee
        XCTAssertEqual(HighlightRolloff.compress(k), k)
        // Continuous slope at the knee: the identity's.
        XCTAssertEqual((HighlightRolloff.compress(k + 1e-6) - k) / 1e-6, 1, accuracy: 1e-5)
        XCTAssertEqual(HighlightRolloff.compress(1), 0.90002, accuracy: 1e-5)
        XCTAssertEqual(HighlightRolloff.compress(8), 0.99581, accuracy: 1e-5, "three stops over white: near-white, not clipped")
        XCTAssertEqual(HighlightRolloff.compress(HighlightRolloff.white), 1, accuracy: 1e-12, "the working range's top is 16, finite")
        XCTAssertEqual(HighlightRolloff.expand(1), HighlightRolloff.white, accuracy: 1e-12)
        var last = -1.0
        for x in stride(from: 0.0, through: 10_000, by: 0.37) {
            let y = HighlightRolloff.compress(x)
            XCTAssertEqual(y < 1, x < HighlightRolloff.white)
            XCTAssertGreaterThan(y, last, "strictly increasing")
            last = y
            XCTAssertEqual(HighlightRolloff.expand(y), x, accuracy: max(1e-9, x * 1e-9))
        }
    }

    func testEveryLinearSpaceRoundTripsThroughTheWorkingSpace() {
        for space in [ColorSpace.linearRec709, .acescg] {
            for r in stride(from: -0.05, through: 20, by: 0.7) {
                for g in [0, 0.001, 0.18, 0.9, 4] as [Double] {
                    let working = space.toWorking((r, g, 0.5))
                    let back = space.fromWorking(working)
                    XCTAssertEqual(back.0, r, accuracy: max(1e-9, abs(r) * 1e-9), "\(space) r=\(r) g=\(g)")
                    XCTAssertEqual(back.1, g, accuracy: 1e-9)
                    XCTAssertEqual(back.2, 0.5, accuracy: 1e-9)
                }
            }
        }
        // Mid grey: 0.18 linear is 0.4614 sRGB-encoded (below the knee, untouched by the roll-off).
        XCTAssertEqual(ColorSpace.linearRec709.toWorking((0.18, 0.18, 0.18)).0, 0.46135612, accuracy: 1e-7)
        XCTAssertEqual(ColorSpace.srgb.toWorking((0.3, 0.4, 0.5)).1, 0.4, "sRGB plates are the working space already")
        XCTAssertEqual(ColorSpace(name: "ACEScg"), .acescg)
        XCTAssertEqual(ColorSpace(name: "lin_srgb"), .linearRec709)
        XCTAssertNil(ColorSpace(name: "rec2020"))
    }
}
