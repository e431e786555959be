/// Everything that determines a stylization besides the images: two runs with equal parameters,
/// equal inputs and equal thread counts produce identical bytes.
public struct StyleTransferParameters: Sendable, Equatable {
    /// How the optimization starts.
    public enum Initialization: String, Sendable, CaseIterable {
        /// From the content image (the seed paper's choice: it keeps the foreground's shape).
        case content
        /// From seeded Gaussian noise (Gatys et al. 2016).
        case noise
    }

    /// A named VGG activation with its weight in the loss.
    public struct WeightedLayer: Sendable, Equatable {
        public var name: String
        public var weight: Float
        public init(_ name: String, weight: Float = 1) { self.name = name; self.weight = weight }
    }

    public var network: VGGNetwork = .vgg16
    public var pooling: PoolingKind = .average
    /// Longer side of the output in pixels (the finest scale).
    public var size: Int = 512
    /// Objective evaluations (forward + backward passes) per scale.
    public var iterations: Int = 500
    public var optimizer: OptimizerKind = .lbfgs(history: 10)
    public var contentWeight: Float = 1
    public var styleWeight: Float = 1e-3
    public var tvWeight: Float = 1e-3
    /// Content layers (Gatys: relu4_2).
    public var contentLayers: [WeightedLayer] = [WeightedLayer("relu4_2")]
    /// Style layers (Gatys: relu1_1 … relu5_1, equal weights).
    public var styleLayers: [WeightedLayer] = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].map { WeightedLayer($0) }
    /// Blend weights of the style images (normalized to sum 1); empty means equal weights.
    public var styleBlendWeights: [Float] = []
    /// Style images are scaled so their longer side is `styleScale × size`.
    public var styleScale: Float = 1
    public var initialization: Initialization = .content
    /// Coarse-to-fine scales; scale k of n works at size / 2^(n−1−k).
    public var scales: Int = 1
    /// Luminance-only transfer: keep the content image's chroma.
    public var originalColors = false
    /// Seed for everything random (noise initialization).
    public var seed: UInt64 = 0

    /// The largest output side the engine accepts (far beyond what fits in memory untiled; it bounds
    /// allocations and integer conversions for sizes that come from files or the network).
    public static let maxSize = 32768

    public init() {}

    /// Checks values a user can get wrong, with messages that say what to fix.
    public func validate(styleCount: Int) throws {
        func fail(_ message: String) throws -> Never { throw StyleTransferError.invalidParameter(message) }
        if size < 16 { try fail("--size must be at least 16 pixels (got \(size))") }
        if size > Self.maxSize { try fail("--size must be at most \(Self.maxSize) pixels (got \(size))") }
        if iterations < 0 { try fail("--iterations must not be negative (got \(iterations))") }
        if scales < 1 { try fail("--scales must be at least 1 (got \(scales))") }
        if size >> (scales - 1) < 16 { try fail("--scales \(scales) makes the coarsest scale smaller than 16 pixels at --size \(size)") }
        for (name, w) in [("content", contentWeight), ("style", styleWeight), ("tv", tvWeight)] where !(w >= 0 && w.isFinite) {
            try fail("--\(name)-weight must be a finite non-negative number (got \(w))")
        }
        if styleCount < 1 { try fail("at least one --style image is required") }
        if !styleBlendWeights.isEmpty {
            if styleBlendWeights.count != styleCount {
                try fail("--style-weights has \(styleBlendWeights.count) values for \(styleCount) style images")
            }
            if styleBlendWeights.contains(where: { !($0 >= 0 && $0.isFinite) }) || styleBlendWeights.reduce(0, +) <= 0 {
                try fail("--style-weights must be non-negative with a positive sum (got \(styleBlendWeights))")
            }
        }
        if !(styleScale > 0 && styleScale.isFinite) { try fail("--style-scale must be positive (got \(styleScale))") }
        if Float(size) * styleScale > Float(Self.maxSize) {
            try fail("--style-scale \(styleScale) makes the style images larger than \(Self.maxSize) pixels at --size \(size)")
        }
        switch optimizer {
        case .lbfgs(let m) where m < 1: try fail("L-BFGS history must be at least 1 (got \(m))")
        case .adam(let lr) where !(lr > 0 && lr.isFinite): try fail("Adam learning rate must be positive (got \(lr))")
        default: break
        }
        if styleLayers.isEmpty && contentLayers.isEmpty { try fail("no style or content layers selected") }
    }

    /// Normalized blend weights, one per style image.
    public func normalizedBlendWeights(styleCount: Int) -> [Float] {
        let raw = styleBlendWeights.isEmpty ? [Float](repeating: 1, count: styleCount) : styleBlendWeights
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }

    /// Long-side pixel sizes of the scales, coarse to fine.
    public var scaleSizes: [Int] {
        (0..<scales).map { k in max(16, Int((Double(size) / Double(1 << (scales - 1 - k))).rounded())) }
    }
}

/// Errors from a stylization request.
public enum StyleTransferError: Error, Equatable, CustomStringConvertible {
    case invalidParameter(String)
    case emptyImage(String)

    public var description: String {
        switch self {
        case .invalidParameter(let m): return "invalid parameter: \(m)"
        case .emptyImage(let which): return "the \(which) image is empty"
        }
    }
}
