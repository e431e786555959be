import XCTest
@testable import Engine

/// Gram sums of parts of a style image (the farm's STYLE_GRAMS tasks): the parts of a grid add up to the
/// whole image's Gram matrices, one whole-image core is bit for bit the one-pass value, and the blob
/// round-trips.
final class GramSumsTests: XCTestCase {
    private let layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]

    private func style(width: Int, height: Int, seed: UInt64) -> Tensor {
        var random = SeededRandom(seed: seed)
        var style = Tensor(channels: 3, height: height, width: width)
        for i in 0..<style.count { style.data[i] = 60 * random.nextGaussian() }
        return style
    }

    func testPartsOfTheGridAddUpToTheWholeImagesGrams() throws {
        EngineThreads.set(1)
        let vgg = try VGG.seededRandomWeights(.vgg16, pooling: .average)
        let image = style(width: 211, height: 150, seed: 11)
        let grid = GramSums.coreGrid(width: 211, height: 150, core: 48)
        XCTAssertEqual([grid.columns, grid.rows], [5, 4])
        // Uneven parts, added out of order.
        let bounds = [0, 3, 4, 11, 20]
        var total: GramSums?
        for k in [2, 0, 3, 1] {
            let part = try GramSums.compute(vgg: vgg, style: image, layerNames: layers, core: 48, cores: bounds[k]..<bounds[k + 1])
            if total == nil { total = part } else { try total!.add(part) }
        }
        let summed = try XCTUnwrap(total).grams()
        var tape = VGGTape()
        let indices = try layers.map { try vgg.layerIndex($0) }
        vgg.forward(image, through: indices.max()!, tape: &tape)
        for (n, index) in indices.enumerated() {
            let whole = Gram.compute(tape.outputs[index])
            XCTAssertEqual(total!.layers[n].positions, tape.outputs[index].planeSize, layers[n])
            let scale = whole.map { abs($0) }.max() ?? 1
            let worst = zip(whole, summed[n]).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-4 * scale, "\(layers[n]): parts differ by \(worst) of \(scale)")
        }
        // A missing part is an error, not a silently smaller image.
        let partial = try GramSums.compute(vgg: vgg, style: image, layerNames: layers, core: 48, cores: 0..<3)
        XCTAssertLessThan(partial.layers[0].positions, total!.layers[0].positions)
        var empty = GramSums(layers: layers.map { GramSums.Layer(name: $0, channels: 0, positions: 0, sums: []) })
        XCTAssertThrowsError(try empty.grams())
        try empty.add(partial)
        XCTAssertEqual(empty, partial)
        var wrong = GramSums(layers: [GramSums.Layer(name: "relu1_1", channels: 0, positions: 0, sums: [])])
        XCTAssertThrowsError(try wrong.add(partial))
    }

    func testOneWholeImageCoreAndTheBlendAreTheOnePassTargetsBitForBit() throws {
        EngineThreads.set(1)
        let vgg = try VGG.seededRandomWeights(.vgg16, pooling: .max)
        let styles = [style(width: 90, height: 61, seed: 3), style(width: 64, height: 80, seed: 4)]
        let weights: [Float] = [0.3, 0.7]
        let expected = try StyleTargets.compute(vgg: vgg, styles: styles, blendWeights: weights, layerNames: layers)
        let sums = try styles.map { s in
            try GramSums.compute(vgg: vgg, style: s, layerNames: layers, core: GramSums.wholeImageCore(width: s.width, height: s.height),
                                 cores: 0..<1)
        }
        XCTAssertEqual(GramSums.wholeImageCore(width: 90, height: 61), 96)
        XCTAssertEqual(try StyleTargets(blending: sums, weights: weights), expected)
    }

    func testSerializationRoundTripsAndRejectsDamage() throws {
        EngineThreads.set(1)
        let vgg = try VGG.seededRandomWeights(.vgg16, pooling: .average)
        let sums = try GramSums.compute(vgg: vgg, style: style(width: 70, height: 50, seed: 9), layerNames: ["relu1_1", "relu3_1"],
                                        core: 32, cores: 1..<4)
        let bytes = try sums.serialized()
        XCTAssertEqual(Array(bytes.prefix(4)), Array("SFGS".utf8))
        XCTAssertEqual(try GramSums(serialized: bytes), sums)
        XCTAssertThrowsError(try GramSums(serialized: Array(bytes.dropLast(3)))) {
            guard case StyleTargetsSerializationError.truncated = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try GramSums(serialized: bytes + [0])) {
            XCTAssertEqual($0 as? StyleTargetsSerializationError, .trailingBytes(count: 1))
        }
        var bad = bytes
        bad[0] = 0
        XCTAssertThrowsError(try GramSums(serialized: bad)) { XCTAssertEqual($0 as? StyleTargetsSerializationError, .badMagic) }
        // The style-target format is not mistaken for sums.
        let targets = try StyleTargets(layers: [.init(name: "relu1_1", channels: 1, gram: [2])]).serialized()
        XCTAssertThrowsError(try GramSums(serialized: targets))
    }
}
