import Engine

/// The pretrained networks StyleFarm can use, and the exact tensors their weight files hold.
///
/// Tensor names are `conv{block}_{index}.weight` (OIHW float32, 3×3 kernels) and `conv{block}_{index}.bias`.
/// All weights follow the Caffe convention: BGR input in 0…255 minus the mean ``imageNetMeanBGR``.
public enum VGGVariant: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// VGG-16 (configuration D): 13 convolutions in blocks of 2, 2, 3, 3, 3.
    case vgg16
    /// VGG-19 (configuration E): 16 convolutions in blocks of 2, 2, 4, 4, 4.
    case vgg19

    /// The per-channel mean (B, G, R) subtracted from 0…255 pixel values before `conv1_1`.
    public static let imageNetMeanBGR: [Float] = [103.939, 116.779, 123.68]

    public var description: String { rawValue }

    /// "VGG-16" or "VGG-19".
    public var displayName: String { self == .vgg16 ? "VGG-16" : "VGG-19" }

    /// The weight file name inside the model directory.
    public var fileName: String { "\(rawValue).sfw" }

    /// Convolutions per block (blocks 1–5).
    public var convolutionsPerBlock: [Int] { self == .vgg16 ? [2, 2, 3, 3, 3] : [2, 2, 4, 4, 4] }

    /// Output channels of each block.
    public static let blockChannels = [64, 128, 256, 512, 512]

    /// One convolution layer: its name (`conv3_2`), input and output channels.
    public struct ConvLayer: Equatable, Sendable {
        public let block: Int
        public let index: Int
        public let inChannels: Int
        public let outChannels: Int
        /// `conv{block}_{index}`.
        public var name: String { "conv\(block)_\(index)" }
        /// The weight tensor name, e.g. `conv1_1.weight`.
        public var weightName: String { "\(name).weight" }
        /// The bias tensor name, e.g. `conv1_1.bias`.
        public var biasName: String { "\(name).bias" }
        /// `[outChannels, inChannels, 3, 3]` (OIHW).
        public var weightShape: [Int] { [outChannels, inChannels, 3, 3] }
    }

    /// The convolution layers in forward order.
    public var convLayers: [ConvLayer] {
        var layers: [ConvLayer] = []
        var inChannels = 3
        for (b, count) in convolutionsPerBlock.enumerated() {
            let out = VGGVariant.blockChannels[b]
            for c in 1...count {
                layers.append(ConvLayer(block: b + 1, index: c, inChannels: inChannels, outChannels: out))
                inChannels = out
            }
        }
        return layers
    }

    /// Every tensor name with its shape.
    public var expectedShapes: [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for layer in convLayers {
            shapes[layer.weightName] = layer.weightShape
            shapes[layer.biasName] = [layer.outChannels]
        }
        return shapes
    }

    /// Checks that `weights` holds exactly this network's tensors with the right shapes.
    public func validate(_ weights: WeightFile) throws {
        guard weights.network == rawValue else { throw ModelStoreError.networkMismatch(expected: self, found: weights.network) }
        let expected = expectedShapes
        for layer in convLayers {
            for name in [layer.weightName, layer.biasName] where weights.tensors[name]?.shape != expected[name] {
                throw ModelStoreError.unexpectedShape(network: self, tensor: name, expected: expected[name] ?? [],
                                                      actual: weights.tensors[name]?.shape)
            }
        }
        let extra = weights.tensors.keys.filter { expected[$0] == nil }.sorted()
        guard extra.isEmpty else { throw ModelStoreError.unexpectedTensors(network: self, names: extra) }
    }

    /// How to install this network's weights (a sentence fragment with the exact command).
    var installAdvice: String {
        self == .vgg16 ? "run `stylefarm models install`"
            : "convert them with tools/convert/ (see docs/MODELS.md) and run "
              + "`stylefarm models import --network vgg19 --file vgg19.sfw`"
    }

    /// How to replace damaged weights.
    var reinstallAdvice: String {
        self == .vgg16 ? "run `stylefarm models install --force`"
            : "convert them again (see docs/MODELS.md) and run "
              + "`stylefarm models import --network vgg19 --file vgg19.sfw`"
    }
}
