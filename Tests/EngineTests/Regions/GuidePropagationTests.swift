import XCTest
@testable import Engine

final class GuidePropagationTests: XCTestCase {
    /// A left-half mask, 16 wide and 8 high.
    private let w = 16, h = 8
    private var leftHalf: [Float] { (0..<(16 * 8)).map { ($0 % 16) < 8 ? 1 : 0 } }

    func testInsideErodesAverageBlursAllDilates() {
        let layers: [VGGLayer] = [.convolution(.init(index: 0, block: 1, position: 1, inChannels: 3, outChannels: 64))]
        let inside = GuidePropagation.inside.guides(mask: leftHalf, width: w, height: h, layers: layers, through: 0)[0]
        let average = GuidePropagation.average.guides(mask: leftHalf, width: w, height: h, layers: layers, through: 0)[0]
        let all = GuidePropagation.all.guides(mask: leftHalf, width: w, height: h, layers: layers, through: 0)[0]
        for row in 0..<h {
            // The boundary is between columns 7 and 8.
            XCTAssertEqual(inside[row * w + 6], 1)
            XCTAssertEqual(inside[row * w + 7], 0, "the column next to the boundary sees outside pixels")
            XCTAssertEqual(all[row * w + 8], 1, "the column next to the boundary sees inside pixels")
            XCTAssertEqual(all[row * w + 9], 0)
            XCTAssertEqual(average[row * w + 7], 2.0 / 3, accuracy: 1e-6)
            XCTAssertEqual(average[row * w + 8], 1.0 / 3, accuracy: 1e-6)
            // The image border is not a boundary.
            XCTAssertEqual(inside[row * w + 0], 1)
        }
    }

    func testGuidesFollowTheNetworksResolutionAndStayOnesForTheWholeFrame() {
        let layers = VGGNetwork.vgg16.layers
        let last = layers.count - 1
        let ones = [Float](repeating: 1, count: 40 * 36)
        for mode in GuidePropagation.allCases {
            let guides = mode.guides(mask: ones, width: 40, height: 36, layers: layers, through: last)
            XCTAssertEqual(guides.count, layers.count)
            var w = 40, h = 36
            for (i, layer) in layers.enumerated() {
                if case .pool = layer { w /= 2; h /= 2 }
                XCTAssertEqual(guides[i].count, w * h, "\(mode) \(layer.outputName)")
                XCTAssertTrue(guides[i].allSatisfy { abs($0 - 1) < 1e-6 }, "\(mode) \(layer.outputName)")
            }
        }
    }

    func testInsideGuideOfASmallRegionVanishesAtDepth() {
        // A 6×6 square in a 64×64 frame: present at relu1_1, gone by relu3_1 (its receptive field is wider).
        var mask = [Float](repeating: 0, count: 64 * 64)
        for y in 20..<26 { for x in 20..<26 { mask[y * 64 + x] = 1 } }
        let vgg = VGGNetwork.vgg16.layers
        let relu31 = vgg.firstIndex { $0.outputName == "relu3_1" }!
        let guides = GuidePropagation.inside.guides(mask: mask, width: 64, height: 64, layers: vgg, through: relu31)
        XCTAssertGreaterThan(GuidedGram.mass(guides[0]), 1)
        XCTAssertEqual(GuidedGram.mass(guides[relu31]), 0)
    }

    func testFeatheringKeepsMassAndSoftensEdges() {
        var mask = [Float](repeating: 0, count: 32 * 32)
        for y in 0..<32 { for x in 0..<16 { mask[y * 32 + x] = 1 } }
        let soft = MaskFeathering.blur(mask, width: 32, height: 32, sigma: 3)
        XCTAssertEqual(soft[5 * 32 + 2], 1, accuracy: 1e-5)
        XCTAssertEqual(soft[5 * 32 + 30], 0, accuracy: 1e-5)
        XCTAssertGreaterThan(soft[5 * 32 + 16], 0.2)
        XCTAssertLessThan(soft[5 * 32 + 16], 0.5)
        XCTAssertGreaterThan(soft[5 * 32 + 15], 0.5)
        XCTAssertEqual(soft.reduce(0, +), mask.reduce(0, +), accuracy: 1)
    }
}
