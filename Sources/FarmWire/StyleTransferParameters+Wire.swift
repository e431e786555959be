import Engine
import Protocol

/// A wire value that cannot be used: an unknown enum value or an impossible number, named in `message`.
public struct InvalidWireValue: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension StyleTransferParameters {
    /// The engine parameters of a wire message. UNSPECIFIED enums and a missing optimizer mean the engine
    /// defaults; numeric fields are taken as they are. When `styleCount` is given the result is also
    /// checked with `validate(styleCount:)`. Unknown enum values and impossible values throw
    /// `InvalidWireValue` with a message that says which field (the worker reports it as invalid parameters).
    /// The inverse of `Stylefarm_V1_EngineParameters.init(_:outputBitDepth:)` (EngineParameters+Wire.swift).
    public init(_ message: Stylefarm_V1_EngineParameters, styleCount: Int? = nil) throws {
        self.init()
        let defaults = StyleTransferParameters()
        func invalid(_ m: String) -> InvalidWireValue { InvalidWireValue(m) }
        switch message.network {
        case .unspecified: network = defaults.network
        case .vgg16: network = .vgg16
        case .vgg19: network = .vgg19
        case .UNRECOGNIZED(let v): throw invalid("unknown network \(v)")
        }
        switch message.pooling {
        case .unspecified: pooling = defaults.pooling
        case .max: pooling = .max
        case .average: pooling = .average
        case .UNRECOGNIZED(let v): throw invalid("unknown pooling \(v)")
        }
        size = Int(message.size)
        iterations = Int(message.iterations)
        if message.hasOptimizer {
            switch message.optimizer.kind {
            case .lbfgs(let l)?: optimizer = .lbfgs(history: Int(l.history))
            case .adam(let a)?: optimizer = .adam(learningRate: a.learningRate)
            case nil: optimizer = defaults.optimizer
            }
        } else {
            optimizer = defaults.optimizer
        }
        contentWeight = message.contentWeight
        styleWeight = message.styleWeight
        tvWeight = message.tvWeight
        contentLayers = message.contentLayers.map { WeightedLayer($0.name, weight: $0.weight) }
        styleLayers = message.styleLayers.map { WeightedLayer($0.name, weight: $0.weight) }
        for layer in contentLayers + styleLayers where layer.name.isEmpty || !(layer.weight >= 0 && layer.weight.isFinite) {
            throw invalid("layer \"\(layer.name)\" needs a name and a finite non-negative weight (got \(layer.weight))")
        }
        styleBlendWeights = message.styleBlendWeights
        styleScale = message.styleScale
        switch message.initialization {
        case .unspecified: initialization = defaults.initialization
        case .content: initialization = .content
        case .noise: initialization = .noise
        case .UNRECOGNIZED(let v): throw invalid("unknown initialization \(v)")
        }
        scales = Int(message.scales)
        originalColors = message.originalColors
        seed = message.seed
        guard size <= Self.maxSize else {
            throw invalid("size must be at most \(Self.maxSize) pixels (got \(size))")
        }
        guard !(styleScale * Float(size) > Float(Self.maxSize)) else {
            throw invalid("style scale \(styleScale) makes the style images larger than \(Self.maxSize) pixels")
        }
        guard [0, 8, 16].contains(message.outputBitDepth) else {
            throw invalid("output bit depth must be 8, 16 or 0 (got \(message.outputBitDepth))")
        }
        if let styleCount {
            do {
                try validate(styleCount: styleCount)
            } catch StyleTransferError.invalidParameter(let m) {
                throw invalid(m)
            }
        }
    }
}
