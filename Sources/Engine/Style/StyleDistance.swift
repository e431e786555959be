/// How far an image is from a style, measured with the engine's own Gram statistics, so that a temporal
/// strategy is never judged by its warp error alone (a frame that stays close to the photograph holds
/// still too).
///
/// The relative Gram error of an image x against the style targets A_l (Gatys et al. 2016, eq. 3–5) is
///
///   E(x) = Σ_l s_l·(‖G_l(x) − A_l‖² / ‖A_l‖²) / Σ_l s_l
///
/// over the style layers l with their weights s_l, G = F·Fᵀ/(H·W) as `Gram.compute`: each layer's error
/// relative to its target's magnitude, so no layer dominates by the scale of its activations. The style distance
/// of a stylized frame is E(output) / E(content frame at the output's size): 1 is no more stylized than
/// the photograph, 0 matches the style's statistics exactly. Dividing by the content's error makes the
/// number comparable across frames and shots whose photographs differ in how far they start from the style.
public struct StyleDistance {
    private let vgg: VGG
    private let layers: [(index: Int, weight: Float, target: [Float])]
    private let deepest: Int

    /// Style distances against `targets` (one scale's `StyleTargets`, e.g. the finest scale of a job)
    /// over `parameters`' style layers and weights.
    public init(vgg: VGG, parameters: StyleTransferParameters, targets: StyleTargets) throws {
        var layers: [(index: Int, weight: Float, target: [Float])] = []
        for layer in parameters.styleLayers where layer.weight > 0 {
            guard let target = targets.layers.first(where: { $0.name == layer.name }) else {
                throw StyleTransferError.invalidParameter("the style targets have no layer \(layer.name)")
            }
            layers.append((try vgg.layerIndex(layer.name), layer.weight, target.gram))
        }
        guard let deepest = layers.map(\.index).max() else {
            throw StyleTransferError.invalidParameter("a style distance needs at least one weighted style layer")
        }
        self.vgg = vgg
        self.layers = layers
        self.deepest = deepest
    }

    /// E(image): the weighted relative Gram error of `image` (any size; RGB or gray) against the targets.
    public func relativeGramError(_ image: Image) throws -> Double {
        var tape = VGGTape()
        vgg.forward(VGGPreprocessing.tensor(from: image.toRGB()), through: deepest, tape: &tape)
        var error = 0.0, weights = 0.0
        for layer in layers {
            let gram = Gram.compute(tape.outputs[layer.index])
            guard gram.count == layer.target.count else {
                throw StyleTransferError.invalidParameter("style target of layer \(layer.index) has \(layer.target.count) entries, the image's Gram \(gram.count)")
            }
            var difference = 0.0, magnitude = 0.0
            gram.withUnsafeBufferPointer { g in
                layer.target.withUnsafeBufferPointer { a in
                    for i in 0..<g.count {
                        let d = Double(g[i]) - Double(a[i])
                        difference += d * d
                        magnitude += Double(a[i]) * Double(a[i])
                    }
                }
            }
            guard magnitude > 0 else { continue }
            error += Double(layer.weight) * difference / magnitude
            weights += Double(layer.weight)
        }
        return weights > 0 ? error / weights : 0
    }

    /// E(stylized) / E(content resized to the stylized frame's size).
    public func distance(stylized: Image, content: Image) throws -> Double {
        let photo = content.width == stylized.width && content.height == stylized.height
            ? content : try content.toRGB().resized(width: stylized.width, height: stylized.height)
        let reference = try relativeGramError(photo)
        guard reference > 0 else { return 0 }
        return try relativeGramError(stylized) / reference
    }
}
