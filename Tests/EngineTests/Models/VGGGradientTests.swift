import XCTest
@testable import Engine

/// The whole network and the whole loss, checked against finite differences on tiny inputs.
///
/// No VGG-19 weights can be obtained here, so VGG-19 (and, for speed and independence from the
/// installed model, VGG-16 too) is tested with seeded random He-initialized weights: that checks the
/// layer graph, the shapes and the gradients, not what the features mean.
final class VGGGradientTests: XCTestCase {
    private func randomVGG(_ network: VGGNetwork, pooling: PoolingKind, seed: UInt64 = 3) throws -> VGG {
        var random = SeededRandom(seed: seed)
        let weights = network.convolutions.map { c -> (weights: [Float], bias: [Float]) in
            let scale = (2 / Float(9 * c.inChannels)).squareRoot()
            return ((0..<(c.outChannels * c.inChannels * 9)).map { _ in scale * random.nextGaussian() },
                    (0..<c.outChannels).map { _ in 0.1 * random.nextGaussian() })
        }
        return try VGG(network: network, pooling: pooling, convolutionWeights: weights)
    }

    private func randomTensor(_ c: Int, _ h: Int, _ w: Int, seed: UInt64, scale: Float = 50) -> Tensor {
        var random = SeededRandom(seed: seed)
        return Tensor(channels: c, height: h, width: w, data: (0..<(c * h * w)).map { _ in scale * random.nextGaussian() })
    }

    func testVGG19LayerGraphAndShapes() throws {
        let vgg = try randomVGG(.vgg19, pooling: .max)
        XCTAssertEqual(VGGNetwork.vgg19.convolutionNames.count, 16)
        XCTAssertEqual(vgg.layers.map(\.outputName).filter { $0.hasPrefix("relu") }.last, "relu5_4")
        XCTAssertThrowsError(try (try randomVGG(.vgg16, pooling: .max)).layerIndex("relu5_4")) {
            XCTAssertTrue("\($0)".contains("relu5_4"))
        }
        var tape = VGGTape()
        let input = randomTensor(3, 37, 50, seed: 1)
        vgg.forward(input, through: try vgg.layerIndex("relu5_4"), tape: &tape)
        let shape = { (name: String) throws -> [Int] in
            let t = tape.outputs[try vgg.layerIndex(name)]
            return [t.channels, t.height, t.width]
        }
        // Floor-mode pooling: 37×50 → 18×25 → 9×12 → 4×6 → 2×3.
        XCTAssertEqual(try shape("relu1_2"), [64, 37, 50])
        XCTAssertEqual(try shape("relu2_1"), [128, 18, 25])
        XCTAssertEqual(try shape("relu3_4"), [256, 9, 12])
        XCTAssertEqual(try shape("relu4_4"), [512, 4, 6])
        XCTAssertEqual(try shape("relu5_4"), [512, 2, 3])
        XCTAssertEqual(try shape("pool4"), [512, 2, 3])
    }

    /// Directional derivative of the full objective (content + style + TV) against central differences
    /// along random directions. Per-op gradients are checked tightly in Kernels/; here a step of 1e-2
    /// pixel units crosses a few ReLU/max-pool kinks of 17 layers and the losses are float32, which
    /// costs up to ~2.5% (measured); a wrong factor, sign or missing path costs far more. The tight
    /// whole-network check with real weights is VGGReferenceTests (numpy float64 gradient, 2e-3).
    private func checkObjectiveGradient(network: VGGNetwork, pooling: PoolingKind, styleLayers: [String]) throws {
        let vgg = try randomVGG(network, pooling: pooling)
        var parameters = StyleTransferParameters()
        parameters.network = network
        parameters.pooling = pooling
        parameters.contentWeight = 1
        parameters.styleWeight = 1e-3
        parameters.tvWeight = 1e-2
        parameters.styleLayers = styleLayers.map { .init($0) }
        parameters.contentLayers = [.init("relu4_2")]
        let content = randomTensor(3, 20, 18, seed: 10)
        let style = randomTensor(3, 20, 18, seed: 11)
        let targets = try StyleTargets.compute(vgg: vgg, styles: [style], blendWeights: [1], layerNames: styleLayers)
        let objective = try StyleObjective(vgg: vgg, parameters: parameters, content: content, styleTargets: targets)
        let x = randomTensor(3, 20, 18, seed: 12)
        var gradient = Tensor(channels: 0, height: 0, width: 0)
        let f0 = objective.evaluate(x, gradient: &gradient).total
        XCTAssertTrue(f0.isFinite && f0 > 0)
        var scratch = Tensor(channels: 0, height: 0, width: 0)
        for seed in 20..<23 {
            let direction = randomTensor(3, 20, 18, seed: UInt64(seed), scale: 1)
            var analytic = 0.0
            for i in 0..<x.count { analytic += Double(gradient.data[i]) * Double(direction.data[i]) }
            let eps: Float = 1e-2
            var plus = x, minus = x
            for i in 0..<x.count { plus.data[i] += eps * direction.data[i]; minus.data[i] -= eps * direction.data[i] }
            let fp = Double(objective.evaluate(plus, gradient: &scratch).total)
            let fm = Double(objective.evaluate(minus, gradient: &scratch).total)
            let numeric = (fp - fm) / (2 * Double(eps))
            XCTAssertEqual(analytic, numeric, accuracy: 6e-2 * max(abs(numeric), 1e-3 * Double(f0)),
                           "\(network) \(pooling) direction \(seed): analytic \(analytic) vs numeric \(numeric)")
        }
    }

    func testVGG19ObjectiveGradient() throws {
        try checkObjectiveGradient(network: .vgg19, pooling: .average,
                                   styleLayers: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
        try checkObjectiveGradient(network: .vgg19, pooling: .max, styleLayers: ["relu1_2", "relu3_4", "relu5_4"])
    }

    func testVGG16ObjectiveGradient() throws {
        try checkObjectiveGradient(network: .vgg16, pooling: .average,
                                   styleLayers: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
        try checkObjectiveGradient(network: .vgg16, pooling: .max, styleLayers: ["relu2_2", "relu5_3"])
    }

    func testBackwardWithoutLossesGivesZeroGradient() throws {
        let vgg = try randomVGG(.vgg16, pooling: .average)
        var tape = VGGTape()
        vgg.forward(randomTensor(3, 8, 8, seed: 4), through: 3, tape: &tape)
        var g = Tensor(channels: 1, height: 1, width: 1, data: [7])
        vgg.backward(tape: &tape, into: &g)
        XCTAssertEqual([g.channels, g.height, g.width], [3, 8, 8])
        XCTAssertTrue(g.data.allSatisfy { $0 == 0 })
    }
}
