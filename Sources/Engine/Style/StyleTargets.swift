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
            if masks[k] == nil && style.planeSize > tiledGramPixels {
                // A style image scaled for a 4K output does not fit one forward pass: Gram matrices in tiles.
                let grams = try tiledGrams(vgg: vgg, style: style, layerNames: layerNames, core: tiledGramCore)
                for (n, gram) in grams.enumerated() {
                    blend(gram, weight: weight, into: &layers, at: n, name: layerNames[n], channels: Int(Double(gram.count).squareRoot()))
                }
                continue
            }
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
                blend(gram, weight: weight, into: &layers, at: n, name: layerNames[n], channels: features.channels)
            }
        }
        return StyleTargets(layers: layers)
    }

    /// Adds `weight · gram` to layer `n` of a blend being built (the first style creates the layer): the one
    /// sequence of float operations every way of computing targets uses, so they agree bit for bit.
    static func blend(_ gram: [Float], weight: Float, into layers: inout [Layer], at n: Int, name: String, channels: Int) {
        if layers.count <= n {
            layers.append(Layer(name: name, channels: channels, gram: gram.map { $0 * weight }))
        } else {
            for i in 0..<gram.count { layers[n].gram[i] += weight * gram[i] }
        }
    }

    /// Style images with more pixels than this get their Gram matrices tile by tile (`tiledGrams`).
    public static var tiledGramPixels = 1 << 20
    /// The core side of those tiles (a multiple of 16).
    public static var tiledGramCore = 768

    /// The Gram matrices G_l = F_l·F_lᵀ / (H_l·W_l) of `style` at `layerNames`, computed over tiles of
    /// `core` × `core` pixels, each run through the network with a halo of the deepest layer's receptive-field
    /// margin (rounded up to 16, so every tile pools on the image's grid): the activations over a core then
    /// equal the whole image's, and since a Gram matrix is a sum over positions, summing F·Fᵀ over the cores
    /// of every layer and dividing by the layer's H·W gives the whole image's Gram matrix (up to float
    /// rounding) with the memory of one tile.
    public static func tiledGrams(vgg: VGG, style: Tensor, layerNames: [String], core: Int) throws -> [[Float]] {
        let grid = GramSums.coreGrid(width: style.width, height: style.height, core: core)
        return try GramSums.compute(vgg: vgg, style: style, layerNames: layerNames, core: core,
                                    cores: 0..<(grid.columns * grid.rows)).grams()
    }
}

