import Engine
import Foundation
import SwiftProtobuf

/// Reads float32 initializers (constant tensors such as weights) from a serialized ONNX model, using the
/// subset of `onnx.proto` in `protos/onnx/onnx_subset.proto`.
enum ONNXInitializers {
    /// The initializers named `names`, decoded from `raw_data` (little-endian) or `float_data`.
    static func floatTensors(named names: Set<String>, inModel modelBytes: Data) throws -> [String: WeightTensor] {
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 100
            model = try Onnx_ModelProto(serializedBytes: modelBytes, options: options)
        } catch {
            throw ModelStoreError.onnxInvalid(reason: String(describing: error))
        }
        var result: [String: WeightTensor] = [:]
        for initializer in model.graph.initializer where names.contains(initializer.name) {
            result[initializer.name] = try decode(initializer)
        }
        if let missing = names.subtracting(result.keys).sorted().first {
            throw ModelStoreError.onnxTensorMissing(name: missing)
        }
        return result
    }

    /// Decodes one float32 tensor.
    static func decode(_ tensor: Onnx_TensorProto) throws -> WeightTensor {
        let name = tensor.name
        guard tensor.dataLocation != .external, tensor.externalData.isEmpty else {
            throw ModelStoreError.onnxTensorInvalid(name: name, reason: "data is stored outside the .onnx file (external data)")
        }
        guard tensor.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw ModelStoreError.onnxTensorInvalid(name: name, reason: "data type \(tensor.dataType) is not float32 (1)")
        }
        guard tensor.dims.allSatisfy({ $0 >= 1 && $0 <= Int64(Int32.max) }) else {
            throw ModelStoreError.onnxTensorInvalid(name: name, reason: "invalid dimensions \(tensor.dims)")
        }
        let shape = tensor.dims.map { Int($0) }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= Int.max / 4 else {
                throw ModelStoreError.onnxTensorInvalid(name: name, reason: "dimensions \(shape) are too large")
            }
            count = product
        }
        let values: [Float]
        if !tensor.rawData.isEmpty {
            guard tensor.rawData.count == count * 4 else {
                throw ModelStoreError.onnxTensorInvalid(
                    name: name, reason: "raw_data has \(tensor.rawData.count) bytes, shape \(shape) needs \(count * 4)")
            }
            values = littleEndianFloats(tensor.rawData, count: count)
        } else {
            guard tensor.floatData.count == count else {
                throw ModelStoreError.onnxTensorInvalid(
                    name: name, reason: "float_data has \(tensor.floatData.count) values, shape \(shape) needs \(count)")
            }
            values = tensor.floatData
        }
        do { return try WeightTensor(shape: shape, values: values) } catch {
            throw ModelStoreError.onnxTensorInvalid(name: name, reason: String(describing: error))
        }
    }

    private static func littleEndianFloats(_ data: Data, count: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { dst in data.withUnsafeBytes { dst.copyMemory(from: $0) } }
        if UInt32(littleEndian: 1) != 1 {
            for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        }
        return values
    }
}
