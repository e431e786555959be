/// The VGG architectures the engine can run (Simonyan & Zisserman 2015, configurations D and E),
/// restricted to their convolutional part: every convolution is 3×3, stride 1, pad 1, followed by
/// ReLU; every block ends with 2×2 stride-2 pooling.
public enum VGGNetwork: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case vgg16
    case vgg19

    /// Convolutions per block, blocks 1…5.
    public var convolutionsPerBlock: [Int] {
        switch self {
        case .vgg16: return [2, 2, 3, 3, 3]
        case .vgg19: return [2, 2, 4, 4, 4]
        }
    }

    /// Output channels of every convolution in block b (1-based).
    public static func channels(ofBlock block: Int) -> Int { [64, 128, 256, 512, 512][block - 1] }

    /// "VGG-16" or "VGG-19".
    public var displayName: String { self == .vgg16 ? "VGG-16" : "VGG-19" }

    /// The weight file name in the model directory (`vgg16.sfw`).
    public var weightFileName: String { "\(rawValue).sfw" }

    /// The convolutions in forward order.
    public var convolutions: [VGGLayer.Convolution] {
        layers.compactMap { if case .convolution(let c) = $0 { return c } else { return nil } }
    }

    /// Names of the convolutions in order: conv1_1, conv1_2, conv2_1, …
    public var convolutionNames: [String] { convolutions.map(\.name) }

    /// Every weight tensor name with its shape: `conv{b}_{c}.weight` [out, in, 3, 3] (OIHW), `conv{b}_{c}.bias` [out].
    public var expectedWeightShapes: [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for c in convolutions {
            shapes[c.weightName] = c.weightShape
            shapes[c.biasName] = [c.outChannels]
        }
        return shapes
    }

    /// The layer sequence the engine executes. ReLU is fused into its convolution, so the op that
    /// computes `conv3_1` produces the activation named `relu3_1`.
    public var layers: [VGGLayer] {
        var layers: [VGGLayer] = []
        var inChannels = 3
        var convIndex = 0
        for (b, count) in convolutionsPerBlock.enumerated() {
            let block = b + 1
            let out = Self.channels(ofBlock: block)
            for c in 1...count {
                layers.append(.convolution(VGGLayer.Convolution(index: convIndex, block: block, position: c,
                                                                inChannels: inChannels, outChannels: out)))
                inChannels = out
                convIndex += 1
            }
            layers.append(.pool(block: block))
        }
        return layers
    }

    public var description: String { rawValue }
}

/// One executed step of a VGG network.
public enum VGGLayer: Sendable, Equatable {
    public struct Convolution: Sendable, Equatable {
        /// Position among the network's convolutions (0-based), which indexes its weights.
        public let index: Int
        public let block: Int
        public let position: Int
        public let inChannels: Int
        public let outChannels: Int
        /// `conv{block}_{position}`.
        public var name: String { "conv\(block)_\(position)" }
        /// The weight tensor's name in a `WeightFile`, e.g. `conv1_1.weight`.
        public var weightName: String { "\(name).weight" }
        /// The bias tensor's name in a `WeightFile`, e.g. `conv1_1.bias`.
        public var biasName: String { "\(name).bias" }
        /// `[outChannels, inChannels, 3, 3]` (OIHW).
        public var weightShape: [Int] { [outChannels, inChannels, 3, 3] }
    }

    /// conv{block}_{position} followed by ReLU; its output is the activation relu{block}_{position}.
    case convolution(Convolution)
    /// 2×2 stride-2 pooling at the end of a block; its output is pool{block}.
    case pool(block: Int)

    /// The name of this layer's output activation (`relu2_1`, `pool3`, …).
    public var outputName: String {
        switch self {
        case .convolution(let c): return "relu\(c.block)_\(c.position)"
        case .pool(let b): return "pool\(b)"
        }
    }
}
