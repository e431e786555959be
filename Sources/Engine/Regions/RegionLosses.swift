/// Per-region measurements of a stylized image, for evaluating segmentation-aware stylization (how well a
/// region kept its content, how closely it matches a style), independent of the weights a run used.
public enum RegionLosses {
    /// The content loss inside a region: Σ_l c_l · Σ_c,p w_p·(F_l(x) − F_l(p))² / (C_l · Σ_p w_p), w the
    /// region's mask carried to layer l by 3×3 averaging — the mean squared feature difference per
    /// region pixel. `image`, `content` and `mask` share one size.
    public static func content(vgg: VGG, image: Image, content: Image, mask: [Float],
                               layers: [StyleTransferParameters.WeightedLayer]) throws -> Float {
        try checkSizes(image, content, mask)
        let indices = try layers.map { try vgg.layerIndex($0.name) }
        guard let deepest = indices.max() else { return 0 }
        var a = VGGTape(), b = VGGTape()
        vgg.forward(VGGPreprocessing.tensor(from: image.toRGB()), through: deepest, tape: &a)
        vgg.forward(VGGPreprocessing.tensor(from: content.toRGB()), through: deepest, tape: &b)
        let guides = GuidePropagation.average.guides(mask: mask, width: image.width, height: image.height,
                                                     layers: vgg.layers, through: deepest)
        var total = 0.0
        for (layer, index) in zip(layers, indices) {
            let f = a.outputs[index], p = b.outputs[index], w = guides[index]
            let plane = f.planeSize
            var sum = 0.0, mass = 0.0
            for q in 0..<plane { mass += Double(w[q]) }
            guard mass > 0 else { continue }
            for c in 0..<f.channels {
                for q in 0..<plane {
                    let d = Double(f.data[c * plane + q] - p.data[c * plane + q])
                    sum += Double(w[q]) * d * d
                }
            }
            total += Double(layer.weight) * sum / (Double(f.channels) * mass)
        }
        return Float(total)
    }

    /// The guided style loss of a region against `targets`: Σ_l s_l·(1/C²)‖G_t(x) − A_l‖² with the guides
    /// of `propagation` (layers where the region has no mass are left out).
    public static func style(vgg: VGG, image: Image, mask: [Float], targets: StyleTargets,
                             layers: [StyleTransferParameters.WeightedLayer], propagation: GuidePropagation) throws -> Float {
        try checkSizes(image, image, mask)
        let indices = try layers.map { try vgg.layerIndex($0.name) }
        guard let deepest = indices.max() else { return 0 }
        var tape = VGGTape()
        vgg.forward(VGGPreprocessing.tensor(from: image.toRGB()), through: deepest, tape: &tape)
        let guides = propagation.guides(mask: mask, width: image.width, height: image.height, layers: vgg.layers, through: deepest)
        var total: Float = 0
        for (layer, index) in zip(layers, indices) {
            guard let target = targets.layers.first(where: { $0.name == layer.name }) else {
                throw StyleTransferError.invalidParameter("no style target for layer \(layer.name)")
            }
            guard GuidedGram.mass(guides[index]) >= 1 else { continue }
            total += GuidedGram.styleLoss(features: tape.outputs[index], guide: guides[index], target: target.gram,
                                          weight: layer.weight)
        }
        return total
    }

    private static func checkSizes(_ image: Image, _ content: Image, _ mask: [Float]) throws {
        guard image.width == content.width, image.height == content.height else {
            throw ImagingError.sizeMismatch(expected: "\(content.width)x\(content.height)", actual: "\(image.width)x\(image.height)")
        }
        guard mask.count == image.pixelCount else {
            throw ImagingError.invalidLayout("the mask has \(mask.count) values for \(image.width)x\(image.height) pixels")
        }
    }
}
