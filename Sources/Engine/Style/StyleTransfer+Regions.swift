extension StyleTransfer {
    /// Segmentation-aware stylization: each region of `regions.plan` matches the Gram statistics of its own
    /// style set (`styleTargets[set]`, one `StyleTargets` per scale, from `styleTargets(styles:blendWeights:
    /// parameters:)`), photoreal regions keep only their content term, and all regions are optimized
    /// together from the content image (joint mode) — or stylized apart and blended (composite mode).
    public func stylize(content: Image, regions: RegionStylization, styleTargets: [[StyleTargets]],
                        parameters: StyleTransferParameters, temporal: TemporalTargets? = nil,
                        progress: ((StyleTransferProgress) -> Bool)? = nil) throws -> StyleTransferResult {
        try parameters.validate(styleCount: max(1, parameters.styleBlendWeights.count))
        guard content.width > 0 && content.height > 0 else { throw StyleTransferError.emptyImage("content") }
        guard regions.plan.width == content.width, regions.plan.height == content.height else {
            throw RegionError.maskSizeMismatch(source: "the region plan", width: regions.plan.width, height: regions.plan.height,
                                               expectedWidth: content.width, expectedHeight: content.height)
        }
        for set in regions.usedStyleSets {
            guard set < styleTargets.count, styleTargets[set].count == parameters.scales else {
                throw StyleTransferError.invalidParameter("style set \(set) has no targets for \(parameters.scales) scales")
            }
        }
        let contentRGB = content.toRGB()
        switch regions.mode {
        case .joint:
            var result = try optimize(contentRGB: contentRGB, parameters: parameters, temporal: temporal, progress: progress) { scale, tensor in
                let plan = try regions.plan.resized(width: tensor.width, height: tensor.height)
                return try StyleObjective(vgg: vgg, parameters: parameters, content: tensor, regions: plan,
                                          styleTargets: styleTargets.map { $0[scale] }, propagation: regions.propagation,
                                          contentCache: contentCache)
            }
            result.image = try finish(result.image, contentRGB: contentRGB, parameters: parameters)
            return result
        case .composite:
            return try composite(contentRGB: contentRGB, regions: regions, styleTargets: styleTargets,
                                 parameters: parameters, temporal: temporal, progress: progress)
        }
    }

    /// Composite mode: one plain stylization per style set, blended with feathered region masks.
    private func composite(contentRGB: Image, regions: RegionStylization, styleTargets: [[StyleTargets]],
                           parameters: StyleTransferParameters, temporal: TemporalTargets?,
                           progress: ((StyleTransferProgress) -> Bool)?) throws -> StyleTransferResult {
        var layers: [Int: Image] = [:]
        var last: StyleTransferResult? = nil
        var evaluations = 0
        for set in regions.usedStyleSets {
            var result = try stylize(content: contentRGB, styles: [], parameters: parameters,
                                     styleTargets: styleTargets[set], temporal: temporal, progress: progress)
            evaluations += result.evaluations
            result.evaluations = evaluations
            layers[set] = result.image
            last = result
        }
        let size = try Image.size(scaling: contentRGB.width, contentRGB.height, toLongerSide: parameters.scaleSizes.last!)
        let (w, h) = size
        let contentOut = try contentRGB.resized(width: w, height: h)
        let plan = try regions.plan.resized(width: w, height: h)
        let sigma = regions.feather * Float(max(w, h))
        var accumulated = [Float](repeating: 0, count: w * h * 3)
        var weightSum = [Float](repeating: 0, count: w * h)
        for region in plan.regions {
            let mask = MaskFeathering.blur(region.mask, width: w, height: h, sigma: sigma)
            let source = region.styleSet.flatMap { layers[$0] } ?? contentOut
            for p in 0..<(w * h) {
                weightSum[p] += mask[p]
                for c in 0..<3 { accumulated[p * 3 + c] += mask[p] * source.pixels[p * 3 + c] }
            }
        }
        for p in 0..<(w * h) {
            let wsum = weightSum[p]
            for c in 0..<3 {
                accumulated[p * 3 + c] = wsum > 1e-6 ? accumulated[p * 3 + c] / wsum : contentOut.pixels[p * 3 + c]
            }
        }
        let image = Image(width: w, height: h, channels: 3, pixels: accumulated)
        let initial = last?.initialLosses ?? StyleObjective.Breakdown()
        let final = last?.finalLosses ?? StyleObjective.Breakdown()
        return StyleTransferResult(image: image, initialLosses: initial, finalLosses: final, evaluations: evaluations)
    }
}
