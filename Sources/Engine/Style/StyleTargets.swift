/// Gram-matrix targets of the style image(s): the "A_l" of Gatys et al. (2016, eq. 4–5).
///
/// With several style images the targets are the blend A_l = Σ_k w_k·G_l(style_k). The farm computes
/// them once per job and every task of the job uses exactly these values, so that a whole sequence
/// gets one consistent style.
public struct StyleTargets: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        /// Activation name, e.g. `relu3_1`.
        public var name: String
        /// Channel count C; `gram` is C×C row-major.
        public var channels: Int
        public var gram: [Float]
    }

    public var layers: [Layer]

    public init(layers: [Layer]) { self.layers = layers }

    /// Computes blended Gram targets of `styles` (VGG tensors) at the given layers.
    public static func compute(vgg: VGG, styles: [Tensor], blendWeights: [Float], layerNames: [String]) throws -> StyleTargets {
        try compute(vgg: vgg, styles: styles, masks: styles.map { _ in nil }, blendWeights: blendWeights,
                    layerNames: layerNames, propagation: .inside)
    }

    /// As `compute(vgg:styles:blendWeights:layerNames:)`, with an optional region mask per style image (one
    /// value per pixel of its tensor): a masked style contributes the guided Gram matrix of that region
    /// (`GuidedGram`, guides carried by `propagation`) — a region's style taken from the matching region of
    /// the style image. A layer where the region has no mass left falls back to the whole image's Gram.
    public static func compute(vgg: VGG, styles: [Tensor], masks: [[Float]?], blendWeights: [Float], layerNames: [String],
                               propagation: GuidePropagation) throws -> StyleTargets {
        precondition(styles.count == blendWeights.count && masks.count == styles.count, "one blend weight and mask slot per style")
        let indices = try layerNames.map { try vgg.layerIndex($0) }
        guard let deepest = indices.max() else { return StyleTargets(layers: []) }
        var layers: [Layer] = []
        var tape = VGGTape()
        for (k, (style, weight)) in zip(styles, blendWeights).enumerated() {
            vgg.forward(style, through: deepest, tape: &tape)
            let guides = masks[k].map {
                propagation.guides(mask: $0, width: style.width, height: style.height, layers: vgg.layers, through: deepest)
            }
            for (n, index) in indices.enumerated() {
                let features = tape.outputs[index]
                let gram: [Float]
                if let guide = guides?[index], GuidedGram.mass(guide) >= 1 {
                    gram = GuidedGram.compute(features, guide: guide)
                } else {
                    gram = Gram.compute(features)
                }
                if layers.count <= n {
                    layers.append(Layer(name: layerNames[n], channels: features.channels, gram: gram.map { $0 * weight }))
                } else {
                    for i in 0..<gram.count { layers[n].gram[i] += weight * gram[i] }
                }
            }
        }
        return StyleTargets(layers: layers)
    }
}
