import XCTest
@testable import Engine

/// Gram targets of a style image too large for one forward pass, computed tile by tile with halos of the
/// receptive-field margin: the same matrices as one pass over the whole image.
final class TiledGramTests: XCTestCase {
    func testTiledGramsEqualTheWholeImagesForEveryLayerAndBothPoolings() throws {
        EngineThreads.set(1)
        let layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
        for pooling in [PoolingKind.average, .max] {
            let vgg = try VGG.seededRandomWeights(.vgg16, pooling: pooling)
            // 211×150: odd sizes, a last tile column and row narrower than the core.
            var random = SeededRandom(seed: 4)
            var style = Tensor(channels: 3, height: 150, width: 211)
            for i in 0..<style.count { style.data[i] = 60 * random.nextGaussian() }
            let indices = try layers.map { try vgg.layerIndex($0) }
            var tape = VGGTape()
            vgg.forward(style, through: indices.max()!, tape: &tape)
            let tiled = try StyleTargets.tiledGrams(vgg: vgg, style: style, layerNames: layers, core: 48)
            for (n, index) in indices.enumerated() {
                let whole = Gram.compute(tape.outputs[index])
                let scale = whole.map { abs($0) }.max() ?? 1
                let worst = zip(whole, tiled[n]).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThan(worst, 1e-4 * scale, "\(pooling) \(layers[n]): tiled Gram differs by \(worst) of \(scale)")
            }
        }
    }

    func testLargeStyleImagesGoThroughTheTiledPath() throws {
        EngineThreads.set(1)
        let vgg = try VGG.seededRandomWeights(.vgg16, pooling: .average)
        var random = SeededRandom(seed: 5)
        var style = Tensor(channels: 3, height: 120, width: 160)
        for i in 0..<style.count { style.data[i] = 60 * random.nextGaussian() }
        let layers = ["relu1_1", "relu3_1", "relu5_1"]
        let whole = try StyleTargets.compute(vgg: vgg, styles: [style], blendWeights: [1], layerNames: layers)
        let saved = (StyleTargets.tiledGramPixels, StyleTargets.tiledGramCore)
        defer { (StyleTargets.tiledGramPixels, StyleTargets.tiledGramCore) = saved }
        (StyleTargets.tiledGramPixels, StyleTargets.tiledGramCore) = (64 * 64, 64)
        let tiled = try StyleTargets.compute(vgg: vgg, styles: [style], blendWeights: [1], layerNames: layers)
        XCTAssertEqual(tiled.layers.map(\.name), layers)
        XCTAssertEqual(tiled.layers.map(\.channels), whole.layers.map(\.channels))
        for (a, b) in zip(tiled.layers, whole.layers) {
            let scale = b.gram.map { abs($0) }.max() ?? 1
            XCTAssertLessThan(zip(a.gram, b.gram).map { abs($0 - $1) }.max() ?? .infinity, 1e-4 * scale, a.name)
            XCTAssertNotEqual(a.gram, b.gram, "\(a.name): the tiled path was not taken (bit-equal)")
        }
    }
}
