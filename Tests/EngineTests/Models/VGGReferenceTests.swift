import Foundation
import XCTest
@testable import Engine

/// VGG-16 activations, Gram matrices, losses and the input gradient against an independent float64
/// numpy implementation (tools/reference/make_vgg_fixture.py → Fixtures/vgg16_reference.json).
final class VGGReferenceTests: XCTestCase {
    private var fixture: [String: Any] = [:]

    override func setUpWithError() throws {
        fixture = try TestResources.fixture("vgg16_reference")
    }

    /// The crop stored in the fixture as an RGB image.
    private func image(_ which: String) throws -> Image {
        let images = try XCTUnwrap(fixture["images"] as? [String: Any])
        let entry = try XCTUnwrap(images[which] as? [String: Any])
        let width = try XCTUnwrap(entry["width"] as? Int), height = try XCTUnwrap(entry["height"] as? Int)
        let bytes = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(entry["rgb_base64"] as? String)))
        XCTAssertEqual(bytes.count, width * height * 3)
        return Image(width: width, height: height, channels: 3, pixels: bytes.map { Float($0) / 255 }, bitDepth: 8)
    }

    /// BGR, 0–255, minus the ImageNet mean, computed here directly from the bytes (independently of
    /// `VGGPreprocessing`, which is checked against it).
    private func vggTensor(_ image: Image) -> Tensor {
        let mean: [Float] = [103.939, 116.779, 123.68]
        var t = Tensor(channels: 3, height: image.height, width: image.width)
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<3 {
                    let rgb = (image.pixels[(y * image.width + x) * 3 + (2 - c)] * 255).rounded()
                    t[c, y, x] = rgb - mean[c]
                }
            }
        }
        return t
    }

    /// |a − b| ≤ tolerance·max(|b|, rms): relative to the value, with a floor at the tensor's RMS.
    private func assertStats(_ t: Tensor, _ stats: [String: Any], _ label: String,
                             tolerance: Double = 1e-4, file: StaticString = #filePath, line: UInt = #line) throws {
        let shape = try XCTUnwrap(stats["shape"] as? [Int])
        XCTAssertEqual([t.channels, t.height, t.width], shape, "\(label) shape", file: file, line: line)
        guard [t.channels, t.height, t.width] == shape else { return }
        let sumSq = t.data.reduce(0.0) { $0 + Double($1) * Double($1) }
        let expectedSumSq = try XCTUnwrap(stats["sum_sq"] as? Double)
        XCTAssertEqual(sumSq, expectedSumSq, accuracy: tolerance * expectedSumSq, "\(label) sum of squares", file: file, line: line)
        let rms = (expectedSumSq / Double(t.count)).squareRoot()
        let indices = try XCTUnwrap(stats["sample_indices"] as? [[Int]])
        let values = try XCTUnwrap(stats["sample_values"] as? [Double])
        for (index, expected) in zip(indices, values) {
            let actual = Double(t[index[0], index[1], index[2]])
            XCTAssertEqual(actual, expected, accuracy: tolerance * max(abs(expected), rms),
                           "\(label) at \(index)", file: file, line: line)
        }
    }

    func testPreprocessingMatchesReference() throws {
        let content = try image("content")
        let input = try XCTUnwrap(fixture["input"] as? [String: Any])
        let stats = try XCTUnwrap(input["content"] as? [String: Any])
        try assertStats(vggTensor(content), stats, "content tensor", tolerance: 1e-6)
        XCTAssertEqual(VGGPreprocessing.tensor(from: content), vggTensor(content))
    }

    func testActivationsGramsAndLossesMatchReference() throws {
        for pooling in [PoolingKind.max, .average] {
            let vgg = try TestResources.vgg16(pooling: pooling)
            let results = try XCTUnwrap((fixture["results"] as? [String: Any])?[pooling == .max ? "max" : "average"] as? [String: Any])
            let content = vggTensor(try image("content")), style = vggTensor(try image("style"))
            var tape = VGGTape()
            let deepest = try vgg.layerIndex("relu5_1")
            vgg.forward(content, through: deepest, tape: &tape)
            let contentOutputs = tape.outputs

            let activations = try XCTUnwrap(results["activations"] as? [String: [String: Any]])
            for (name, stats) in activations {
                try assertStats(contentOutputs[try vgg.layerIndex(name)], stats, "\(pooling) \(name)")
            }
            let grams = try XCTUnwrap(results["gram"] as? [String: [String: Any]])
            for (name, expected) in grams {
                let features = contentOutputs[try vgg.layerIndex(name)]
                let gram = Gram.compute(features)
                let c = features.channels
                XCTAssertEqual(c, expected["C"] as? Int)
                let row0 = try XCTUnwrap(expected["row0_first16"] as? [Double])
                let diag = try XCTUnwrap(expected["diag_first32"] as? [Double])
                let scale = diag.map(abs).max() ?? 1
                for (j, v) in row0.enumerated() { XCTAssertEqual(Double(gram[j]), v, accuracy: 1e-4 * scale, "\(name) G[0,\(j)]") }
                for (j, v) in diag.enumerated() { XCTAssertEqual(Double(gram[j * c + j]), v, accuracy: 1e-4 * scale, "\(name) G[\(j),\(j)]") }
                let total = gram.reduce(0.0) { $0 + Double($1) }
                let expectedTotal = try XCTUnwrap(expected["sum"] as? Double)
                XCTAssertEqual(total, expectedTotal, accuracy: 1e-4 * abs(expectedTotal), "\(name) ΣG")
            }

            // Style losses: content features against the style crop's Gram targets.
            let styleLayers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
            let targets = try StyleTargets.compute(vgg: vgg, styles: [style], blendWeights: [1], layerNames: styleLayers)
            let expectedStyle = try XCTUnwrap(results["style_loss"] as? [String: Double])
            for layer in targets.layers {
                var scratch = contentOutputs[try vgg.layerIndex(layer.name)]
                let e = Gram.styleLoss(features: contentOutputs[try vgg.layerIndex(layer.name)], target: layer.gram,
                                       weight: 1, accumulatingGradientInto: &scratch)
                let expected = try XCTUnwrap(expectedStyle[layer.name])
                XCTAssertEqual(Double(e), expected, accuracy: 2e-4 * expected, "\(pooling) style loss \(layer.name)")
            }

            // The whole objective and its input gradient: L = Σ E_l + content(relu4_2 of content vs style), no TV.
            var parameters = StyleTransferParameters()
            parameters.contentWeight = 1
            parameters.styleWeight = 1
            parameters.tvWeight = 0
            let objective = try StyleObjective(vgg: vgg, parameters: parameters, content: style, styleTargets: targets)
            var gradient = Tensor(channels: 0, height: 0, width: 0)
            let losses = objective.evaluate(content, gradient: &gradient)
            let expectedObjective = try XCTUnwrap(results["objective"] as? [String: Any])
            let value = try XCTUnwrap(expectedObjective["value"] as? Double)
            XCTAssertEqual(Double(losses.total), value, accuracy: 2e-4 * value, "\(pooling) objective")
            let contentLoss = try XCTUnwrap((results["content_loss"] as? [String: Any])?["value"] as? Double)
            XCTAssertEqual(Double(losses.content), contentLoss, accuracy: 2e-4 * contentLoss, "\(pooling) content loss")
            try assertStats(gradient, try XCTUnwrap(expectedObjective["grad_input"] as? [String: Any]),
                            "\(pooling) input gradient", tolerance: 2e-3)
        }
    }

    func testTotalVariationMatchesReference() throws {
        let content = vggTensor(try image("content"))
        var gradient = Tensor(channels: 3, height: content.height, width: content.width)
        let tv = TotalVariation.loss(content, weight: 1, accumulatingGradientInto: &gradient)
        let expected = try XCTUnwrap(fixture["tv_loss_content"] as? Double)
        XCTAssertEqual(Double(tv), expected, accuracy: 1e-5 * expected)
    }
}
