import Foundation
import XCTest
@testable import Engine

/// The reader and interpreter on small synthetic models written by `FlatBufferTestBuilder`: no shared
/// data needed, every byte of the file known.
final class SegmentationSyntheticModelTests: XCTestCase {
    private let input: [Float] = (0..<24).map { Float($0) - 8 }

    func testDeprecatedBuiltinCodeRunsRelu6() throws {
        let model = try TFLiteModel(bytes: SyntheticTFLiteModel.singleOperator(deprecated: 21, extended: nil), name: "relu6")
        XCTAssertEqual(model.version, 3)
        XCTAssertEqual(model.description, "synthetic test model")
        XCTAssertEqual(model.operatorNames, ["RELU6"])
        XCTAssertEqual(model.subgraphs[0].tensors.map(\.name), ["input", "output"])
        XCTAssertEqual(model.subgraphs[0].tensors[0].shape, [1, 2, 3, 4])
        let output = try TFLiteInterpreter(model: model).run(input: input)[0]
        XCTAssertEqual(output.shape, [1, 2, 3, 4])
        XCTAssertEqual(output.data, input.map { min(max($0, 0), 6) })
    }

    func testExtendedBuiltinCodeRunsHardSwish() throws {
        // Codes above 127 need the int32 field; converters then write 127 into the int8 one. HARD_SWISH
        // (117) fits both; here only the int32 field carries it.
        let model = try TFLiteModel(bytes: SyntheticTFLiteModel.singleOperator(deprecated: 0, extended: 117), name: "hswish")
        XCTAssertEqual(model.operatorNames, ["HARD_SWISH"])
        let output = try TFLiteInterpreter(model: model).run(input: input)[0]
        for (y, x) in zip(output.data, input) { XCTAssertEqual(y, x * min(max(x + 3, 0), 6) / 6, accuracy: 1e-6) }
    }

    func testUnsupportedBuiltinAndCustomOperatorsAreNamed() throws {
        let large = try TFLiteModel(bytes: SyntheticTFLiteModel.singleOperator(deprecated: 127, extended: 150), name: "gelu")
        XCTAssertEqual(large.operatorNames, ["BUILTIN_150"])
        let custom = try TFLiteModel(bytes: SyntheticTFLiteModel.singleOperator(deprecated: 32, extended: 32,
                                                                               customCode: "MaxPoolingWithArgmax2D"),
                                     name: "custom")
        XCTAssertEqual(custom.operatorNames, ["CUSTOM(MaxPoolingWithArgmax2D)"])
        let tanh = try TFLiteModel(bytes: SyntheticTFLiteModel.singleOperator(deprecated: 28, extended: nil), name: "tanh")
        for (model, name) in [(large, "BUILTIN_150"), (custom, "CUSTOM(MaxPoolingWithArgmax2D)"), (tanh, "TANH")] {
            XCTAssertThrowsError(try TFLiteInterpreter(model: model)) { error in
                guard case TFLiteError.unsupportedOperators(let label, let names) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(label, model.name)
                XCTAssertEqual(names, [name])
                XCTAssertTrue("\(error)".contains(name))
            }
        }
    }

    func testEveryTruncationThrowsATypedError() throws {
        let bytes = SyntheticTFLiteModel.singleOperator(deprecated: 21, extended: nil)
        // The file ends with the string "input" (placed last): its NUL terminator and 2 padding bytes are
        // not needed by the reader, so only cuts into real content must fail.
        XCTAssertEqual(Array(bytes.suffix(8)), Array("input".utf8) + [0, 0, 0])
        for length in (bytes.count - 3)...bytes.count {
            XCTAssertNoThrow(try TFLiteInterpreter(model: TFLiteModel(bytes: Array(bytes.prefix(length)))).run(input: input))
        }
        for length in 0..<(bytes.count - 3) {
            do {
                let model = try TFLiteModel(bytes: Array(bytes.prefix(length)), name: "cut")
                _ = try TFLiteInterpreter(model: model).run(input: input)
                XCTFail("a model cut to \(length) of \(bytes.count) bytes ran")
            } catch is TFLiteError {
                // expected
            }
        }
    }

    func testEverySingleByteCorruptionIsHandled() throws {
        let original = SyntheticTFLiteModel.singleOperator(deprecated: 21, extended: nil)
        var rejected = 0
        for i in 0..<original.count {
            for value: UInt8 in [0x00, 0x7F, 0xFF] where original[i] != value {
                var bytes = original
                bytes[i] = value
                do {
                    let model = try TFLiteModel(bytes: bytes, name: "flip")
                    // Parsed: preparing must either work or throw; shapes stay small enough to run.
                    if let interpreter = try? TFLiteInterpreter(model: model),
                       interpreter.inputShape.reduce(1, *) <= 1 << 20 {
                        _ = try? interpreter.run(input: [Float](repeating: 1, count: interpreter.inputShape.reduce(1, *)))
                    }
                } catch is TFLiteError {
                    rejected += 1
                }
            }
        }
        XCTAssertGreaterThan(rejected, 0)
    }
}
