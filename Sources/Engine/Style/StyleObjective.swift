/// The loss of one scale of a stylization, and its gradient with respect to the image:
///
///   L(x) = α·Σ_l c_l·E_content,l(x) + β·Σ_l s_l·E_style,l(x) + τ·TV(x)
///
/// with E_content,l = (1/(C·H·W))·‖F_l(x) − F_l(p)‖² (Gatys et al. 2016, eq. 1, mean instead of ½·sum so
/// the weights do not depend on the image size), E_style,l = (1/C²)·‖G_l(x) − A_l‖² with
/// G = F·Fᵀ/(H·W) (eq. 3–4, the same normalization up to a constant factor ¼), and the total
/// variation TV(x) = (1/(C·H·W))·Σ(∂ₓx)² + (∂ᵧx)² as a smoothness prior (Mahendran & Vedaldi 2015).
/// α, β, τ are the content, style and TV weights of `StyleTransferParameters`. A video frame may add the
/// temporal term of Ruder et al. (2016) toward warped earlier results (`setTemporalTerms`).
public final class StyleObjective {
    /// Loss values of one evaluation, already multiplied by their weights.
    public struct Breakdown: Sendable, Equatable {
        public var content: Float = 0
        public var style: Float = 0
        public var totalVariation: Float = 0
        /// The temporal term (Ruder et al. 2016), when the run has temporal targets.
        public var temporal: Float = 0
        public var total: Float { content + style + totalVariation + temporal }
        public init() {}
    }

    private struct ContentTerm {
        let layer: Int
        let weight: Float
        var target = Tensor(channels: 0, height: 0, width: 0)
        /// Per-pixel weights of a region stylization (nil: uniform).
        var pixelWeights: [Float]? = nil
    }

    private struct StyleTerm {
        let layer: Int
        let weight: Float
        let target: [Float]
        /// The region's guide at this layer (nil: the whole image, plain Gram).
        var guide: [Float]? = nil
    }

    private let vgg: VGG
    private let contentTerms: [ContentTerm]
    private let styleTerms: [StyleTerm]
    private let tvWeight: Float
    private let deepest: Int
    private var tape = VGGTape()
    /// Warped earlier results (VGG tensors of this scale's size) with their certainties, and γ.
    private var temporalTerms: [(target: Tensor, certainty: [Float])] = []
    private var temporalWeight: Float = 0

    /// Adds the temporal loss γ·(1/D)·Σ c·(x − ω(x_prev))² for each target (`TemporalLoss`); targets are VGG
    /// tensors of the objective's size, certainties one weight per pixel.
    public func setTemporalTerms(_ terms: [(target: Tensor, certainty: [Float])], weight: Float) {
        temporalTerms = terms
        temporalWeight = weight
    }

    /// Prepares the objective: content targets come from a forward pass of `content` (a VGG tensor).
    public init(vgg: VGG, parameters: StyleTransferParameters, content: Tensor, styleTargets: StyleTargets,
                contentCache: ContentFeatureCache? = nil) throws {
        self.vgg = vgg
        var styleTerms: [StyleTerm] = []
        for layer in parameters.styleLayers where parameters.styleWeight * layer.weight > 0 {
            styleTerms.append(StyleTerm(layer: try vgg.layerIndex(layer.name), weight: parameters.styleWeight * layer.weight,
                                        target: try Self.target(layer.name, in: styleTargets)))
        }
        var contentTerms = try Self.contentTerms(vgg: vgg, parameters: parameters)
        Self.fillTargets(&contentTerms, vgg: vgg, content: content, cache: contentCache)
        self.contentTerms = contentTerms
        self.styleTerms = styleTerms
        self.tvWeight = parameters.tvWeight
        self.deepest = (contentTerms.map(\.layer) + styleTerms.map(\.layer)).max() ?? 0
    }

    /// Prepares a segmentation-aware objective (Gatys et al. 2017, section 4): every region with a style
    /// set gets guided style terms against that set's targets (`styleTargets[set]`), weighted by the
    /// region's style weight and its share of the frame; the content term is weighted per pixel by the
    /// regions' content weights. `regions` must have the content tensor's size. Guides follow
    /// `propagation` for style terms and 3×3 averaging for the content weights.
    ///
    ///   L(x) = α·Σ_l c_l·E^w_content,l(x) + β·Σ_r sw_r·share_r·Σ_l s_l·E_style,l(x; t_r,l, A_set(r),l) + τ·TV(x)
    public init(vgg: VGG, parameters: StyleTransferParameters, content: Tensor, regions: RegionPlan,
                styleTargets: [StyleTargets], propagation: GuidePropagation, contentCache: ContentFeatureCache? = nil) throws {
        precondition(regions.width == content.width && regions.height == content.height,
                     "StyleObjective: regions must have the content tensor's size")
        self.vgg = vgg
        let activeStyleLayers = parameters.styleLayers.filter { parameters.styleWeight * $0.weight > 0 }
        let styleIndices = try activeStyleLayers.map { try vgg.layerIndex($0.name) }
        var styleTerms: [StyleTerm] = []
        if let deepestStyle = styleIndices.max() {
            for region in regions.regions {
                guard let set = region.styleSet, region.styleWeight > 0 else { continue }
                guard set >= 0 && set < styleTargets.count else {
                    throw StyleTransferError.invalidParameter("region \(region.name): no style targets for style set \(set)")
                }
                let guides = propagation.guides(mask: region.mask, width: regions.width, height: regions.height,
                                                layers: vgg.layers, through: deepestStyle)
                let share = region.share
                for (layer, index) in zip(activeStyleLayers, styleIndices) {
                    let guide = guides[index]
                    // A region eroded away at this depth has nothing to match here.
                    guard GuidedGram.mass(guide) >= 1 else { continue }
                    styleTerms.append(StyleTerm(layer: index, weight: parameters.styleWeight * layer.weight * region.styleWeight * share,
                                                target: try Self.target(layer.name, in: styleTargets[set]), guide: guide))
                }
            }
        }
        var contentTerms = try Self.contentTerms(vgg: vgg, parameters: parameters)
        if let deepestContent = contentTerms.map(\.layer).max() {
            var weights = [Float](repeating: 0, count: regions.width * regions.height)
            for region in regions.regions {
                for i in weights.indices { weights[i] += region.contentWeight * region.mask[i] }
            }
            let guides = GuidePropagation.average.guides(mask: weights, width: regions.width, height: regions.height,
                                                         layers: vgg.layers, through: deepestContent)
            for k in contentTerms.indices { contentTerms[k].pixelWeights = guides[contentTerms[k].layer] }
        }
        Self.fillTargets(&contentTerms, vgg: vgg, content: content, cache: contentCache)
        self.contentTerms = contentTerms
        self.styleTerms = styleTerms
        self.tvWeight = parameters.tvWeight
        self.deepest = (contentTerms.map(\.layer) + styleTerms.map(\.layer)).max() ?? 0
    }

    private static func target(_ name: String, in targets: StyleTargets) throws -> [Float] {
        guard let target = targets.layers.first(where: { $0.name == name }) else {
            throw StyleTransferError.invalidParameter("no style target for layer \(name)")
        }
        return target.gram
    }

    private static func contentTerms(vgg: VGG, parameters: StyleTransferParameters) throws -> [ContentTerm] {
        try parameters.contentLayers.filter { parameters.contentWeight * $0.weight > 0 }.map {
            ContentTerm(layer: try vgg.layerIndex($0.name), weight: parameters.contentWeight * $0.weight)
        }
    }

    private static func fillTargets(_ terms: inout [ContentTerm], vgg: VGG, content: Tensor, cache: ContentFeatureCache?) {
        guard let deepest = terms.map(\.layer).max() else { return }
        let layers = Array(Set(terms.map(\.layer))).sorted()
        func compute() -> [Int: Tensor] {
            var contentTape = VGGTape()
            vgg.forward(content, through: deepest, tape: &contentTape)
            return Dictionary(uniqueKeysWithValues: layers.map { ($0, contentTape.outputs[$0]) })
        }
        let features = cache?.features(vgg: vgg, layers: layers, content: content, compute: compute) ?? compute()
        for k in terms.indices { terms[k].target = features[terms[k].layer]! }
    }

    /// Evaluates L(x) and writes ∂L/∂x into `gradient`.
    public func evaluate(_ x: Tensor, gradient: inout Tensor) -> Breakdown {
        var losses = Breakdown()
        vgg.forward(x, through: deepest, tape: &tape)
        for term in contentTerms where term.weight > 0 {
            losses.content += tape.accumulateGradient(at: term.layer) { features, grad in
                if let w = term.pixelWeights {
                    return ContentLoss.loss(features: features, target: term.target, pixelWeights: w, weight: term.weight,
                                            accumulatingGradientInto: &grad)
                }
                return ContentLoss.loss(features: features, target: term.target, weight: term.weight, accumulatingGradientInto: &grad)
            }
        }
        for term in styleTerms where term.weight > 0 {
            losses.style += tape.accumulateGradient(at: term.layer) { features, grad in
                if let guide = term.guide {
                    return GuidedGram.styleLoss(features: features, guide: guide, target: term.target, weight: term.weight,
                                                accumulatingGradientInto: &grad)
                }
                return Gram.styleLoss(features: features, target: term.target, weight: term.weight, accumulatingGradientInto: &grad)
            }
        }
        vgg.backward(tape: &tape, into: &gradient)
        if tvWeight > 0 {
            losses.totalVariation = TotalVariation.loss(x, weight: tvWeight, accumulatingGradientInto: &gradient)
        }
        if temporalWeight > 0 {
            for term in temporalTerms {
                losses.temporal += TemporalLoss.loss(x, warped: term.target, certainty: term.certainty, weight: temporalWeight,
                                                     accumulatingGradientInto: &gradient)
            }
        }
        return losses
    }
}
