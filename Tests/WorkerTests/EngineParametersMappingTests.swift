import Engine
import FarmWire
import Protocol
import XCTest
@testable import Worker

final class EngineParametersMappingTests: XCTestCase {
    private func nonDefault() -> StyleTransferParameters {
        var p = StyleTransferParameters()
        p.network = .vgg19
        p.pooling = .max
        p.size = 640
        p.iterations = 77
        p.optimizer = .adam(learningRate: 2.5)
        p.contentWeight = 3
        p.styleWeight = 0.25
        p.tvWeight = 0.125
        p.contentLayers = [.init("relu3_2", weight: 0.5)]
        p.styleLayers = [.init("relu1_1", weight: 2), .init("relu2_1", weight: 0.5)]
        p.styleBlendWeights = [1, 3]
        p.styleScale = 0.75
        p.initialization = .noise
        p.scales = 3
        p.originalColors = true
        p.seed = 0xDEAD_BEEF_1234
        return p
    }

    func testRoundTripOfNonDefaultValues() throws {
        let p = nonDefault()
        let message = Stylefarm_V1_EngineParameters(p, outputBitDepth: 16)
        XCTAssertEqual(message.outputBitDepth, 16)
        XCTAssertEqual(message.network, .vgg19)
        XCTAssertEqual(message.optimizer.adam.learningRate, 2.5)
        // Through the wire encoding too.
        let decoded = try Stylefarm_V1_EngineParameters(serializedBytes: try message.serializedBytes() as [UInt8])
        XCTAssertEqual(try StyleTransferParameters(decoded, styleCount: 2), p)

        var lbfgs = p
        lbfgs.optimizer = .lbfgs(history: 7)
        lbfgs.styleBlendWeights = []
        XCTAssertEqual(try StyleTransferParameters(Stylefarm_V1_EngineParameters(lbfgs), styleCount: 1), lbfgs)
        XCTAssertEqual(try StyleTransferParameters(Stylefarm_V1_EngineParameters(StyleTransferParameters())), StyleTransferParameters())
    }

    func testUnspecifiedEnumsAndMissingOptimizerMeanDefaults() throws {
        var message = Stylefarm_V1_EngineParameters(nonDefault())
        message.network = .unspecified
        message.pooling = .unspecified
        message.initialization = .unspecified
        message.clearOptimizer()
        let p = try StyleTransferParameters(message)
        let defaults = StyleTransferParameters()
        XCTAssertEqual(p.network, defaults.network)
        XCTAssertEqual(p.pooling, defaults.pooling)
        XCTAssertEqual(p.initialization, defaults.initialization)
        XCTAssertEqual(p.optimizer, defaults.optimizer)
        XCTAssertEqual(p.size, 640)
    }

    func testImpossibleValuesAreInvalidParameters() {
        func expectInvalid(_ change: (inout Stylefarm_V1_EngineParameters) -> Void, styleCount: Int? = 1,
                           containing text: String, line: UInt = #line) {
            var base = StyleTransferParameters()
            base.size = 64
            var message = Stylefarm_V1_EngineParameters(base)
            change(&message)
            XCTAssertThrowsError(try StyleTransferParameters(message, styleCount: styleCount), line: line) { error in
                guard let m = (error as? InvalidWireValue)?.message else { return XCTFail("\(error)", line: line) }
                XCTAssertTrue(m.contains(text), "\(m)", line: line)
            }
        }
        expectInvalid({ $0.size = 0 }, containing: "--size")
        expectInvalid({ $0.scales = 0 }, containing: "--scales")
        expectInvalid({ $0.scales = 4 }, containing: "coarsest")
        expectInvalid({ $0.optimizer.lbfgs.history = 0 }, containing: "history")
        expectInvalid({ $0.optimizer.adam.learningRate = -1 }, containing: "learning rate")
        expectInvalid({ $0.styleWeight = .nan }, containing: "--style-weight")
        expectInvalid({ $0.styleBlendWeights = [1, 1] }, containing: "--style-weights")
        expectInvalid({ $0.styleScale = 0 }, containing: "--style-scale")
        expectInvalid({ $0.network = .UNRECOGNIZED(9) }, containing: "network 9")
        expectInvalid({ $0.pooling = .UNRECOGNIZED(5) }, containing: "pooling 5")
        expectInvalid({ $0.initialization = .UNRECOGNIZED(3) }, containing: "initialization 3")
        expectInvalid({ $0.size = 4_000_000_000 }, styleCount: nil, containing: "at most")
        expectInvalid({ $0.styleScale = 1e30 }, styleCount: nil, containing: "style scale")
        expectInvalid({ $0.outputBitDepth = 12 }, containing: "bit depth")
        expectInvalid({ $0.styleLayers[0].weight = -1 }, styleCount: nil, containing: "relu1_1")
        expectInvalid({ _ in }, styleCount: 0, containing: "--style")
    }
}
