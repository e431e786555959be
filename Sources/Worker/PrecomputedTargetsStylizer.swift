import Engine

/// Single-scale stylization with precomputed style targets: the finest-scale body of
/// `StyleTransfer.stylize`, step for step (same resizing, start point, optimizer loop, loss reporting and
/// original-colors pass), with the Gram targets given instead of computed from style images. It gives
/// the same bytes as `StyleTransfer.stylize` when the targets are the ones it would compute (see
/// `StyleTargetsProvider`).
///
/// Temporary: it goes away once `StyleTransfer.stylize` accepts precomputed targets per scale.
struct PrecomputedTargetsStylizer {
    let vgg: VGG
    let parameters: StyleTransferParameters

    /// The stylized image, the losses of its last evaluation and the evaluations spent.
    struct Output {
        var image: Image
        var finalLosses: StyleObjective.Breakdown
        var evaluations: Int
    }

    init(vgg: VGG, parameters: StyleTransferParameters) throws {
        guard parameters.scales == 1 else {
            throw TaskExecutionError.invalidParameters("precomputed style targets need a single scale (got \(parameters.scales))")
        }
        self.vgg = vgg
        self.parameters = parameters
    }

    /// `progress(evaluation, budget, losses)` is called after every evaluation; returning false stops early.
    func stylize(content: Image, targets: StyleTargets,
                 progress: (_ evaluation: Int, _ budget: Int, _ losses: StyleObjective.Breakdown) -> Bool) throws -> Output {
        guard content.width > 0 && content.height > 0 else { throw StyleTransferError.emptyImage("content") }
        let contentRGB = content.toRGB()
        let longSide = parameters.scaleSizes[0]
        let (w, h) = try Image.size(scaling: contentRGB.width, contentRGB.height, toLongerSide: longSide)
        let contentTensor = VGGPreprocessing.tensor(from: try contentRGB.resized(width: w, height: h))
        let objective = try StyleObjective(vgg: vgg, parameters: parameters, content: contentTensor, styleTargets: targets)

        var x: Tensor
        if parameters.initialization == .noise {
            x = Tensor(channels: 3, height: h, width: w)
            var random = SeededRandom(seed: parameters.seed)
            for i in 0..<x.count { x.data[i] = 64 * random.nextGaussian() }
        } else {
            x = contentTensor
        }

        var minimizer = parameters.optimizer.makeMinimizer()
        var gradient = Tensor(channels: 3, height: h, width: w)
        var lastLosses = StyleObjective.Breakdown()
        var evaluations = 0
        var flat = x.data
        minimizer.minimize(&flat, evaluations: parameters.iterations, objective: { values, grad in
            let losses = objective.evaluate(Tensor(channels: 3, height: h, width: w, data: values), gradient: &gradient)
            swap(&grad, &gradient.data)
            lastLosses = losses
            return losses.total
        }, observer: { step in
            evaluations += 1
            return progress(step.evaluation, step.budget, lastLosses)
        })
        x.data = flat
        lastLosses = objective.evaluate(x, gradient: &gradient)
        var output = try VGGPreprocessing.image(from: x)
        if parameters.originalColors {
            let contentAtOutput = try contentRGB.resized(width: output.width, height: output.height)
            output = try OriginalColors.transfer(stylized: output, content: contentAtOutput)
        }
        return Output(image: output, finalLosses: lastLosses, evaluations: evaluations)
    }
}
