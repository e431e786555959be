/// Limited-memory BFGS (Nocedal 1980; Liu & Nocedal 1989) with a backtracking Armijo line search.
///
/// The search direction is d = −H·g from the two-loop recursion over the last `history` pairs
/// s_k = x_{k+1} − x_k, y_k = g_{k+1} − g_k, with the initial Hessian scaled by γ = sᵀy / yᵀy.
/// Pairs with sᵀy ≤ ε·yᵀy (no positive curvature) are skipped, which keeps H positive definite.
/// The first step is t = min(1, 1/‖g‖₁) as in torch.optim.LBFGS (the scale is unknown before any curvature
/// pair); later steps try t = 1 and halve until f(x + t·d) ≤ f(x) + c₁·t·gᵀd (c₁ = 1e-4).
/// On large images 1/‖g‖₁ shrinks with the pixel count until the decrease it buys is below the float32
/// resolution of f, and every backtrack fails; a first step that fails is then tried once more from
/// t = 1/‖g‖∞ (the largest element moves by 1, whatever the image size) before giving up.
/// While there is no curvature pair (the start of a run, or a region of negative curvature, where every
/// pair has sᵀy ≤ 0 — Gatys' objective starting from a large content image is such a region), steepest
/// descent steps grow: t doubles after a step accepted at once and restarts from the accepted t after a
/// backtrack, instead of crawling at t = 1.
/// With a `Box`, trial points are projected onto it and elements held at a bound are left out of the
/// direction (two-metric projection); the Armijo test uses the projected step, gᵀ(P(x + t·d) − x).
/// Gatys et al. (2016) optimize with L-BFGS; it usually converges in far fewer evaluations than Adam.
public struct LBFGS: Minimizer {
    public let history: Int
    /// Sufficient-decrease constant of the Armijo condition.
    public var armijo: Double = 1e-4
    /// Line-search trials before the direction is abandoned and the history reset.
    public var maxBacktracks = 10

    public init(history: Int = 10) {
        self.history = max(1, history)
    }

    public mutating func minimize(_ x: inout [Float], evaluations budget: Int, box: Box?, objective: Objective,
                                  observer: (MinimizerProgress) -> Bool) {
        guard budget > 0 else { return }
        let n = x.count
        box?.project(&x)
        var g = [Float](repeating: 0, count: n)
        var evaluations = 0
        func evaluate(_ point: [Float], _ gradient: inout [Float]) -> (Float, Bool) {
            let f = objective(point, &gradient)
            evaluations += 1
            let keepGoing = observer(MinimizerProgress(evaluation: evaluations, budget: budget, value: f))
            return (f, keepGoing)
        }

        var (f, running) = evaluate(x, &g)
        var sHistory: [[Float]] = [], yHistory: [[Float]] = [], rhoHistory: [Double] = []
        var direction = [Float](repeating: 0, count: n)
        var trial = [Float](repeating: 0, count: n)
        var trialGradient = [Float](repeating: 0, count: n)
        var alpha = [Double](repeating: 0, count: history)
        var s = [Float](repeating: 0, count: box == nil ? 0 : n)  // a projected trial's step
        var firstStep = true
        var wideFirstStep = false
        var descentStep: Float = 1

        while running && evaluations < budget && f.isFinite {
            // Two-loop recursion: direction = −H·g (with a box, over the elements not held at a bound).
            for i in 0..<n { direction[i] = -g[i] }
            box?.zeroHeld(&direction, at: x, gradient: g)
            let k = sHistory.count
            if k > 0 {
                for j in stride(from: k - 1, through: 0, by: -1) {
                    alpha[j] = rhoHistory[j] * VectorMath.dot(sHistory[j], direction)
                    VectorMath.axpy(Float(-alpha[j]), yHistory[j], &direction)
                }
                let yy = VectorMath.dot(yHistory[k - 1], yHistory[k - 1])
                let gamma = Float((1 / rhoHistory[k - 1]) / yy)
                for i in 0..<n { direction[i] *= gamma }
                for j in 0..<k {
                    let beta = rhoHistory[j] * VectorMath.dot(yHistory[j], direction)
                    VectorMath.axpy(Float(alpha[j] - beta), sHistory[j], &direction)
                }
                box?.zeroHeld(&direction, at: x, gradient: g)
            }
            var slope = VectorMath.dot(g, direction)
            if !(slope < 0) {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
                for i in 0..<n { direction[i] = -g[i] }
                box?.zeroHeld(&direction, at: x, gradient: g)
                slope = VectorMath.dot(g, direction)
                firstStep = true
                if !(slope < 0) { return }  // zero gradient: stationary point
            }

            var t: Float = sHistory.isEmpty ? descentStep : 1
            if firstStep {
                let norm = wideFirstStep ? VectorMath.maxAbsolute(g) : VectorMath.sumOfAbsolute(g)
                t = Float(min(1, 1 / max(norm, 1e-30)))
            }
            let steepest = sHistory.isEmpty && !firstStep
            var accepted = false
            var backtracked = false
            var newF: Float = f
            for trialIndex in 0...maxBacktracks {
                backtracked = trialIndex > 0
                for i in 0..<n { trial[i] = x[i] + t * direction[i] }
                // Projected: the decrease is asked of the step actually taken, gᵀ(P(x + t·d) − x).
                var decrease = Double(t) * slope
                if let box {
                    box.project(&trial)
                    VectorMath.difference(trial, x, into: &s)
                    decrease = VectorMath.dot(g, s)
                }
                (newF, running) = evaluate(trial, &trialGradient)
                if newF.isFinite && Double(newF) <= Double(f) + armijo * decrease {
                    accepted = true
                    break
                }
                if !running || evaluations >= budget { break }
                t *= 0.5
            }
            guard accepted else {
                // The line search failed: keep x, forget the curvature history and try steepest descent
                // once more; if that fails too, x is as good as we can make it.
                if !running || evaluations >= budget { return }
                if firstStep {
                    // A steepest-descent step failed: once more from the wider step, else x is as good as it gets.
                    if wideFirstStep { return }
                    wideFirstStep = true
                    continue
                }
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
                firstStep = true
                continue
            }
            if steepest { descentStep = backtracked ? t : 2 * t }
            firstStep = false

            // Curvature pair from the accepted step.
            var step = [Float](repeating: 0, count: n), y = [Float](repeating: 0, count: n)
            VectorMath.difference(trial, x, into: &step)
            VectorMath.difference(trialGradient, g, into: &y)
            let sy = VectorMath.dot(step, y), yy = VectorMath.dot(y, y)
            if sy > 1e-10 * yy && sy > 0 {
                if sHistory.count == history {
                    sHistory.removeFirst(); yHistory.removeFirst(); rhoHistory.removeFirst()
                }
                sHistory.append(step); yHistory.append(y); rhoHistory.append(1 / sy)
            }
            swap(&x, &trial)
            swap(&g, &trialGradient)
            f = newF
        }
    }
}
