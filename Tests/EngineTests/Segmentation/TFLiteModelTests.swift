import Foundation
import XCTest
@testable import Engine
import TestSupport

/// The TFLite flatbuffer reader: the real DeepLab files parse into the expected graph, and damaged data
/// throws a `TFLiteError` instead of crashing.
final class SegmentationTFLiteModelTests: XCTestCase {
    func testReaderParsesFullDeepLabModel() throws {
        let model = try SegmentationTestSupport.model(SegmentationTestSupport.fullModel)
        try checkDeepLabStructure(model)
    }

    func testReaderParsesHalfWidthDeepLabModel() throws {
        let model = try SegmentationTestSupport.model(SegmentationTestSupport.halfModel)
        try checkDeepLabStructure(model)
    }

    private func checkDeepLabStructure(_ model: TFLiteModel) throws {
        XCTAssertEqual(model.version, 3)
        XCTAssertEqual(model.subgraphs.count, 1)
        let graph = model.subgraphs[0]
        XCTAssertEqual(graph.tensors.count, 186)
        XCTAssertEqual(graph.operators.count, 72)
        XCTAssertEqual(graph.inputs.count, 1)
        XCTAssertEqual(graph.outputs.count, 1)
        let input = graph.tensors[graph.inputs[0]]
        XCTAssertEqual(input.shape, [1, 513, 513, 3])
        XCTAssertEqual(input.type, .uint8)
        let q = try XCTUnwrap(input.quantization)
        XCTAssertEqual(q.scale[0], 1.0 / 128, accuracy: 1e-6)
        XCTAssertEqual(q.zeroPoint[0], 128)

        let names = model.operatorNames
        var counts = [String: Int]()
        for n in names { counts[n, default: 0] += 1 }
        XCTAssertEqual(counts, ["CONV_2D": 38, "DEPTHWISE_CONV_2D": 17, "ADD": 10, "RESIZE_BILINEAR": 3,
                                "AVERAGE_POOL_2D": 1, "QUANTIZE": 1, "CONCATENATION": 1, "ARG_MAX": 1])
        XCTAssertEqual(names.last, "ARG_MAX")

        // Every weight tensor of a convolution has constant data of the declared size.
        for op in graph.operators where [.conv2D, .depthwiseConv2D].contains(model.code(of: op).builtin) {
            let filter = graph.tensors[op.inputs[1]]
            XCTAssertEqual(model.data(of: filter).count, filter.elementCount, filter.name)
            XCTAssertNotNil(filter.quantization, filter.name)
            let bias = graph.tensors[op.inputs[2]]
            XCTAssertEqual(bias.type, .int32)
            XCTAssertEqual(model.data(of: bias).count, 4 * bias.elementCount, bias.name)
            XCTAssertNotNil(op.builtinOptions)
        }
        // The first convolution: 3×3, stride 2, 32 filters over RGB.
        let first = graph.operators[0]
        XCTAssertEqual(model.code(of: first).builtin, .conv2D)
        XCTAssertEqual(Array(graph.tensors[first.inputs[1]].shape.dropFirst()), [3, 3, 3])
        XCTAssertEqual(try first.builtinOptions?.int32(1), 2)
        XCTAssertEqual(try first.builtinOptions?.int32(2), 2)
    }

    func testTruncatedModelThrowsTypedError() throws {
        let url = try SharedTestData.url(SegmentationTestSupport.halfModel)
        let bytes = [UInt8](try Data(contentsOf: url))
        var threw = 0
        for length in [0, 3, 7, 8, 12, 64, 1000, 20_000, bytes.count / 2, bytes.count - 4096, bytes.count - 1] {
            do {
                let model = try TFLiteModel(bytes: Array(bytes.prefix(length)), name: "truncated-\(length)")
                // Parsing may succeed when only constant data is cut; preparing must then notice.
                _ = try DeepLabSegmenter(model: model)
                XCTFail("a model truncated to \(length) of \(bytes.count) bytes was accepted")
            } catch let error as TFLiteError {
                threw += 1
                XCTAssertTrue(error.description.contains("truncated-\(length)"), error.description)
            }
        }
        XCTAssertEqual(threw, 11)
    }

    func testCorruptedModelNeverCrashes() throws {
        let url = try SharedTestData.url(SegmentationTestSupport.halfModel)
        let original = [UInt8](try Data(contentsOf: url))
        // The flatbuffer's tables and vtables (not the weights) sit in the first and last few KB.
        var rng = SeededRandom(seed: 4)
        var outcomes = (parsed: 0, rejected: 0)
        for trial in 0..<300 {
            var bytes = original
            for _ in 0..<8 {
                let region = Int.random(in: 0..<2, using: &rng) == 0 ? 0..<4096 : (bytes.count - 16_384)..<bytes.count
                let i = region.lowerBound + Int.random(in: 0..<region.count, using: &rng)
                bytes[i] = UInt8(truncatingIfNeeded: Int.random(in: 0..<256, using: &rng))
            }
            do {
                let model = try TFLiteModel(bytes: bytes, name: "corrupt-\(trial)")
                _ = try? TFLiteInterpreter(model: model, outputs: [model.subgraphs[0].inputs.first ?? 0])
                outcomes.parsed += 1
            } catch is TFLiteError {
                outcomes.rejected += 1
            }
        }
        XCTAssertEqual(outcomes.parsed + outcomes.rejected, 300)
        XCTAssertGreaterThan(outcomes.rejected, 0, "no corruption was detected at all")
    }

    func testNonTFLiteDataIsRejected() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]
        XCTAssertThrowsError(try TFLiteModel(bytes: png, name: "x.png")) { error in
            guard case TFLiteError.notTFLite(let model, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(model, "x.png")
        }
        XCTAssertThrowsError(try TFLiteModel(contentsOf: "/nonexistent/model.tflite")) { error in
            guard case TFLiteError.unreadable = error else { return XCTFail("\(error)") }
        }
    }

    func testUnsupportedOperatorIsNamed() throws {
        let model = try SegmentationTestSupport.model(SegmentationTestSupport.halfModel)
        // Asking for the graph's own output needs ARG_MAX, which the float interpreter does not run.
        XCTAssertThrowsError(try TFLiteInterpreter(model: model)) { error in
            guard case TFLiteError.unsupportedOperators(_, let names) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(names, ["ARG_MAX"])
            XCTAssertTrue("\(error)".contains("ARG_MAX"))
        }
    }
}
