/// The loss of one scale of a stylization, and its gradient with respect to the image:
///
///   L(x) = α·Σ_l c_l·E_content,l(x) + β·Σ_l s_l·E_style,l(x) + τ·TV(x)
///
/// with E_content,l = (1/(C·H·W))·‖F_l(x) − F_l(p)‖² (Gatys et al. 2016, eq. 1, mean instead of ½·sum so
/// the weights do not depend on the image size), E_style,l = (1/C²)·‖G_l(x) − A_l‖² with
/// G = F·Fᵀ/(H·W) (eq. 3–4, the same normalization up to a constant factor ¼), and the total
/// variation TV(x) = (1/(C·H·W))·Σ(∂ₓx)² + (∂ᵧx)² as a smoothness prior (Mahendran & Vedaldi 2015).
/// α, β, τ are the content, style and TV weights of `StyleTransferParameters`.
public final class StyleObjective {
    /// Loss values of one evaluation, already multiplied by their weights.
    public struct Breakdown: Sendable, Equatable {
        public var content: Float = 0
        public var style: Float = 0
        public var totalVariation: Float = 0
        public var total: Float { content + style + totalVariation }
        public init() {}
    }

    private struct Term {
        let layer: Int
        let weight: Float
    }

    private let vgg: VGG
    private let contentTerms: [Term]
    private let contentTargets: [Tensor]
    private let styleTerms: [Term]
    private let styleTargets: [[Float]]
    private let tvWeight: Float
    private let deepest: Int
    private var tape = VGGTape()

    /// Prepares the objective: content targets come from a forward pass of `content` (a VGG tensor).
    public init(vgg: VGG, parameters: StyleTransferParameters, content: Tensor, styleTargets: StyleTargets) throws {
        self.vgg = vgg
        let contentTerms = try parameters.contentLayers.filter { parameters.contentWeight * $0.weight > 0 }.map {
            Term(layer: try vgg.layerIndex($0.name), weight: parameters.contentWeight * $0.weight)
        }
        var styleTerms: [Term] = []
        var styleGrams: [[Float]] = []
        for layer in parameters.styleLayers where parameters.styleWeight * layer.weight > 0 {
            guard let target = styleTargets.layers.first(where: { $0.name == layer.name }) else {
                throw StyleTransferError.invalidParameter("no style target for layer \(layer.name)")
            }
            styleTerms.append(Term(layer: try vgg.layerIndex(layer.name), weight: parameters.styleWeight * layer.weight))
            styleGrams.append(target.gram)
        }
        self.contentTerms = contentTerms
        self.styleTerms = styleTerms
        self.styleTargets = styleGrams
        self.tvWeight = parameters.tvWeight
        self.deepest = (contentTerms + styleTerms).map(\.layer).max() ?? 0
        if contentTerms.isEmpty {
            contentTargets = []
        } else {
            var contentTape = VGGTape()
            vgg.forward(content, through: contentTerms.map(\.layer).max()!, tape: &contentTape)
            contentTargets = contentTerms.map { contentTape.outputs[$0.layer] }
        }
    }

    /// Evaluates L(x) and writes ∂L/∂x into `gradient`.
    public func evaluate(_ x: Tensor, gradient: inout Tensor) -> Breakdown {
        var losses = Breakdown()
        vgg.forward(x, through: deepest, tape: &tape)
        for (term, target) in zip(contentTerms, contentTargets) where term.weight > 0 {
            losses.content += tape.accumulateGradient(at: term.layer) { features, grad in
                ContentLoss.loss(features: features, target: target, weight: term.weight, accumulatingGradientInto: &grad)
            }
        }
        for (term, target) in zip(styleTerms, styleTargets) where term.weight > 0 {
            losses.style += tape.accumulateGradient(at: term.layer) { features, grad in
                Gram.styleLoss(features: features, target: target, weight: term.weight, accumulatingGradientInto: &grad)
            }
        }
        vgg.backward(tape: &tape, into: &gradient)
        if tvWeight > 0 {
            losses.totalVariation = TotalVariation.loss(x, weight: tvWeight, accumulatingGradientInto: &gradient)
        }
        return losses
    }
}
