/// Progress of a running stylization, reported after every objective evaluation.
public struct StyleTransferProgress: Sendable {
    /// 0-based scale index and the number of scales.
    public var scale: Int
    public var scales: Int
    /// Pixel size (width, height) of the current scale.
    public var width: Int
    public var height: Int
    /// Evaluations done at this scale, and the budget per scale.
    public var evaluation: Int
    public var budget: Int
    public var losses: StyleObjective.Breakdown
}

/// The result of a stylization.
public struct StyleTransferResult: Sendable {
    public var image: Image
    /// Losses of the first and the last evaluation at the finest scale.
    public var initialLosses: StyleObjective.Breakdown
    public var finalLosses: StyleObjective.Breakdown
    /// Evaluations spent over all scales.
    public var evaluations: Int
}

/// Gatys-style neural style transfer (Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional
/// Neural Networks", CVPR 2016): optimizes the image so that its VGG features keep the content image's
/// structure (content loss) and its Gram matrices match the style image(s) (style loss), coarse to fine.
public final class StyleTransfer {
    public let vgg: VGG
    /// Content features kept between runs on the same content (a worker's multipass sweeps); nil: none.
    public let contentCache: ContentFeatureCache?

    public init(vgg: VGG, contentCache: ContentFeatureCache? = nil) {
        self.vgg = vgg
        self.contentCache = contentCache
    }

    /// Gram targets of `styles` for every scale of `parameters`, coarse to fine: each style image is scaled so
    /// its longer side is `styleScale ×` the scale's size, and the styles are blended by their weights.
    /// The farm computes these once per job and hands the same targets to every task.
    public func styleTargets(styles: [Image], parameters: StyleTransferParameters) throws -> [StyleTargets] {
        try parameters.validate(styleCount: styles.count)
        return try styleTargets(styles: styles, blendWeights: parameters.normalizedBlendWeights(styleCount: styles.count),
                                parameters: parameters)
    }

    /// As `styleTargets(styles:parameters:)` with explicit blend weights (normalized, one per style): the
    /// targets of a region's own style set.
    public func styleTargets(styles: [Image], blendWeights blend: [Float], parameters: StyleTransferParameters) throws -> [StyleTargets] {
        guard !styles.isEmpty, blend.count == styles.count else {
            throw StyleTransferError.invalidParameter("\(blend.count) blend weights for \(styles.count) style images")
        }
        return try styleTargets(styles: styles, masks: styles.map { _ in nil }, blendWeights: blend, parameters: parameters,
                                propagation: .inside)
    }

    /// The targets of one style image restricted to a region of it: `mask` has one value per pixel of
    /// `style` (e.g. the style image's own `person` probability) and is scaled with the image at every scale.
    public func styleTargets(style: Image, mask: [Float], parameters: StyleTransferParameters,
                             propagation: GuidePropagation = .inside) throws -> [StyleTargets] {
        guard mask.count == style.pixelCount else {
            throw ImagingError.invalidLayout("the style mask has \(mask.count) values for \(style.width)x\(style.height) pixels")
        }
        return try styleTargets(styles: [style], masks: [mask], blendWeights: [1], parameters: parameters, propagation: propagation)
    }

    /// The size a `width` × `height` style image is scaled to for a scale whose longer side is `scaleSide`:
    /// its longer side becomes `styleScale × scaleSide` (at least 16 px).
    public static func styleSize(width: Int, height: Int, scaleSide: Int, styleScale: Float) throws -> (width: Int, height: Int) {
        let styleLong = max(16, Int((Float(scaleSide) * styleScale).rounded()))
        return try Image.size(scaling: width, height, toLongerSide: styleLong)
    }

    /// Every scale's targets: each style image (and its mask, if any) scaled so its longer side is
    /// `styleScale ×` the scale's size, then `StyleTargets.compute`.
    private func styleTargets(styles: [Image], masks: [[Float]?], blendWeights blend: [Float], parameters: StyleTransferParameters,
                              propagation: GuidePropagation) throws -> [StyleTargets] {
        for style in styles where style.width == 0 || style.height == 0 { throw StyleTransferError.emptyImage("style") }
        let stylesRGB = styles.map { $0.toRGB() }
        return try parameters.scaleSizes.map { longSide in
            var tensors: [Tensor] = [], scaledMasks: [[Float]?] = []
            for (style, mask) in zip(stylesRGB, masks) {
                let (sw, sh) = try Self.styleSize(width: style.width, height: style.height, scaleSide: longSide,
                                                  styleScale: parameters.styleScale)
                tensors.append(VGGPreprocessing.tensor(from: try style.resized(width: sw, height: sh)))
                scaledMasks.append(try mask.map {
                    try RegionMasks.resample($0, width: style.width, height: style.height, toWidth: sw, height: sh)
                })
            }
            return try StyleTargets.compute(vgg: vgg, styles: tensors, masks: scaledMasks, blendWeights: blend,
                                            layerNames: parameters.styleLayers.map(\.name), propagation: propagation)
        }
    }

    /// Stylizes `content` with `styles` (RGB or gray, any size; alpha is ignored), or with precomputed
    /// `styleTargets` (one per scale, from `styleTargets(styles:parameters:)`; `styles` is then unused).
    /// `progress` is called after every evaluation; returning `false` stops the whole run, which returns
    /// the image as far as it got.
    public func stylize(content: Image, styles: [Image], parameters: StyleTransferParameters,
                        styleTargets precomputed: [StyleTargets]? = nil, temporal: TemporalTargets? = nil,
                        progress: ((StyleTransferProgress) -> Bool)? = nil) throws -> StyleTransferResult {
        let targetsPerScale: [StyleTargets]
        if let precomputed {
            // The blend is baked into the targets; validate against the number of blended styles.
            try parameters.validate(styleCount: max(1, parameters.styleBlendWeights.count))
            guard precomputed.count == parameters.scales else {
                throw StyleTransferError.invalidParameter(
                    "\(precomputed.count) sets of style targets for \(parameters.scales) scales")
            }
            targetsPerScale = precomputed
        } else {
            targetsPerScale = try styleTargets(styles: styles, parameters: parameters)
        }
        guard content.width > 0 && content.height > 0 else { throw StyleTransferError.emptyImage("content") }
        let contentRGB = content.toRGB()
        var result = try optimize(contentRGB: contentRGB, parameters: parameters, temporal: temporal, progress: progress) { scale, contentTensor in
            try StyleObjective(vgg: vgg, parameters: parameters, content: contentTensor, styleTargets: targetsPerScale[scale],
                               contentCache: contentCache)
        }
        result.image = try finish(result.image, contentRGB: contentRGB, parameters: parameters)
        return result
    }

    /// Runs the coarse-to-fine optimization with the objective `makeObjective(scale, contentTensor)` builds
    /// for each scale; returns the image before any colour transfer.
    func optimize(contentRGB: Image, parameters: StyleTransferParameters, temporal: TemporalTargets? = nil,
                  progress: ((StyleTransferProgress) -> Bool)?,
                  makeObjective: (Int, Tensor) throws -> StyleObjective) throws -> StyleTransferResult {

        var current: Image? = nil
        var initialLosses = StyleObjective.Breakdown(), finalLosses = StyleObjective.Breakdown()
        var evaluations = 0
        var stopped = false
        let sizes = parameters.scaleSizes
        for (scaleIndex, longSide) in sizes.enumerated() where !stopped {
            let (w, h) = try Image.size(scaling: contentRGB.width, contentRGB.height, toLongerSide: longSide)
            let contentAtScale = try contentRGB.resized(width: w, height: h)
            let contentTensor = VGGPreprocessing.tensor(from: contentAtScale)
            let objective = try makeObjective(scaleIndex, contentTensor)
            let temporalTerms = try temporal.map { try Self.temporalTerms($0, width: w, height: h) } ?? []
            if let temporal, !temporalTerms.isEmpty { objective.setTemporalTerms(temporalTerms, weight: temporal.weight) }

            // Start point: the previous scale's result upsampled, else content or seeded noise.
            var x: Tensor
            if let previous = current {
                x = VGGPreprocessing.tensor(from: try previous.resized(width: w, height: h))
            } else if parameters.initialization == .noise {
                x = Tensor(channels: 3, height: h, width: w)
                var random = SeededRandom(seed: parameters.seed)
                // Gaussian noise with the spread of natural images around the ImageNet mean.
                for i in 0..<x.count { x.data[i] = 64 * random.nextGaussian() }
            } else {
                x = contentTensor
            }
            if current == nil, let initial = temporal?.initialImage {
                // A given start point (the previous sweep's result of a multi-pass run) overrides the
                // warped initialization.
                guard initial.width > 0 && initial.height > 0 else {
                    throw StyleTransferError.emptyImage("initial (TemporalTargets.initialImage)")
                }
                x = VGGPreprocessing.tensor(from: try initial.toRGB().resized(width: w, height: h))
            } else if current == nil, let temporal, temporal.initializeFromWarped, let closest = temporalTerms.first {
                // Ruder et al.'s warped initialization: the previous result where the warp is certain, the
                // chosen start point where it is not (disocclusions, outside the frame).
                let plane = w * h
                for k in 0..<3 {
                    for p in 0..<plane {
                        let c = closest.certainty[p]
                        x.data[k * plane + p] = c * closest.target.data[k * plane + p] + (1 - c) * x.data[k * plane + p]
                    }
                }
            }

            var minimizer = parameters.optimizer.makeMinimizer()
            var gradient = Tensor(channels: 3, height: h, width: w)
            var lastLosses = StyleObjective.Breakdown()
            var firstLosses: StyleObjective.Breakdown? = nil
            var evaluated = EvaluationMemo<StyleObjective.Breakdown>()
            var flat = x.data
            // Over images that exist (`Box`): what is optimized is what is written, with no clamp to undo it.
            minimizer.minimize(&flat, evaluations: parameters.iterations, box: VGGPreprocessing.pixelBox(width: w, height: h),
                               objective: { values, grad in
                let losses = objective.evaluate(Tensor(channels: 3, height: h, width: w, data: values), gradient: &gradient)
                swap(&grad, &gradient.data)
                if firstLosses == nil { firstLosses = losses }
                lastLosses = losses
                evaluated.record(values, losses)
                return losses.total
            }, observer: { step in
                evaluations += 1
                let keepGoing = progress?(StyleTransferProgress(scale: scaleIndex, scales: sizes.count, width: w, height: h,
                                                                evaluation: step.evaluation, budget: step.budget,
                                                                losses: lastLosses)) ?? true
                if !keepGoing { stopped = true }
                return keepGoing
            })
            if parameters.iterations == 0 {
                // Nothing to optimize: still report the losses of the start point.
                lastLosses = objective.evaluate(x, gradient: &gradient)
            }
            x.data = flat
            // Report the losses of the point actually returned (the optimizer may end on a rejected trial).
            if parameters.iterations > 0 {
                lastLosses = evaluated.value(at: flat) ?? objective.evaluate(x, gradient: &gradient)
            }
            initialLosses = firstLosses ?? lastLosses
            finalLosses = lastLosses
            current = try VGGPreprocessing.image(from: x)
        }

        return StyleTransferResult(image: current!, initialLosses: initialLosses, finalLosses: finalLosses,
                                   evaluations: evaluations)
    }

    /// The temporal targets at one scale's size: VGG tensors and certainties.
    static func temporalTerms(_ temporal: TemporalTargets, width w: Int, height h: Int) throws -> [(target: Tensor, certainty: [Float])] {
        try temporal.targets.map { target in
            let warped = VGGPreprocessing.tensor(from: try target.warped.toRGB().resized(width: w, height: h))
            let certainty = try RegionMasks.resample(target.certainty, width: target.warped.width, height: target.warped.height,
                                                     toWidth: w, height: h)
            return (warped, certainty)
        }
    }

    /// The original-colours step, if asked for.
    func finish(_ image: Image, contentRGB: Image, parameters: StyleTransferParameters) throws -> Image {
        guard parameters.originalColors else { return image }
        let contentAtOutput = try contentRGB.resized(width: image.width, height: image.height)
        return try OriginalColors.transfer(stylized: image, content: contentAtOutput)
    }
}
