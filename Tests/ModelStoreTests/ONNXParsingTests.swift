import Engine
import Foundation
import XCTest
@testable import ModelStore

final class ONNXParsingTests: XCTestCase {
    static func rawTensor(_ name: String, _ dims: [Int64], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.rawData = values.withUnsafeBytes { Data($0) }  // little-endian host
        return t
    }

    static func floatDataTensor(_ name: String, _ dims: [Int64], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.floatData = values
        return t
    }

    static func model(_ initializers: [Onnx_TensorProto]) throws -> Data {
        var model = Onnx_ModelProto()
        model.irVersion = 7
        model.producerName = "stylefarm-tests"
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 13
        model.opsetImport = [opset]
        model.graph.name = "g"
        model.graph.initializer = initializers
        return try model.serializedData()
    }

    func testRawDataAndFloatData() throws {
        let bytes = try Self.model([
            Self.rawTensor("w", [2, 1, 1, 2], [1, -2, 3.25, 4]),
            Self.floatDataTensor("b", [2], [0.5, -0.5]),
            Self.rawTensor("unused", [3], [9, 9, 9]),
        ])
        let tensors = try ONNXInitializers.floatTensors(named: ["w", "b"], inModel: bytes)
        XCTAssertEqual(tensors.count, 2)
        XCTAssertEqual(tensors["w"], try WeightTensor(shape: [2, 1, 1, 2], values: [1, -2, 3.25, 4]))
        XCTAssertEqual(tensors["b"], try WeightTensor(shape: [2], values: [0.5, -0.5]))
    }

    func testRawDataIsLittleEndian() throws {
        var t = Self.rawTensor("x", [1], [0])
        t.rawData = Data([0x00, 0x00, 0x80, 0x3f])  // 1.0f little-endian
        XCTAssertEqual(try ONNXInitializers.decode(t).values, [1.0])
    }

    func testMissingInitializer() throws {
        let bytes = try Self.model([Self.rawTensor("w", [1], [1])])
        XCTAssertThrowsError(try ONNXInitializers.floatTensors(named: ["w", "nope"], inModel: bytes)) { error in
            XCTAssertEqual(error as? ModelStoreError, .onnxTensorMissing(name: "nope"))
        }
    }

    func testInvalidTensors() throws {
        var wrongType = Self.rawTensor("i", [1], [1])
        wrongType.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        var shortRaw = Self.rawTensor("s", [3], [1, 2, 3])
        shortRaw.rawData = shortRaw.rawData.dropLast(1)
        let shortFloat = Self.floatDataTensor("f", [3], [1, 2])
        let noData = Self.floatDataTensor("n", [2], [])
        var external = Self.rawTensor("e", [1], [1])
        external.dataLocation = .external
        var badDims = Self.rawTensor("d", [1], [1])
        badDims.dims = [-1]
        for t in [wrongType, shortRaw, shortFloat, noData, external, badDims] {
            XCTAssertThrowsError(try ONNXInitializers.decode(t), t.name) { error in
                guard case .onnxTensorInvalid(let name, _) = error as? ModelStoreError else { return XCTFail("\(error)") }
                XCTAssertEqual(name, t.name)
            }
        }
    }

    func testGarbageIsRejected() {
        XCTAssertThrowsError(try ONNXInitializers.floatTensors(named: ["w"], inModel: Data([0xff, 0xff, 0xff, 0xff, 0x0f]))) { error in
            guard case .onnxInvalid = error as? ModelStoreError else { return XCTFail("\(error)") }
        }
    }
}
