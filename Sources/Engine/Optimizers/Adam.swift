/// Adam (Kingma & Ba 2015, Algorithm 1): per-coordinate steps scaled by bias-corrected running
/// estimates of the gradient's first and second moments. One evaluation per step; with a box, each step
/// is projected onto it.
public struct Adam: Minimizer {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8

    public init(learningRate: Float) {
        self.learningRate = learningRate
    }

    public mutating func minimize(_ x: inout [Float], evaluations budget: Int, box: Box?, objective: Objective,
                                  observer: (MinimizerProgress) -> Bool) {
        let n = x.count
        box?.project(&x)
        var g = [Float](repeating: 0, count: n)
        var m = [Float](repeating: 0, count: n)
        var v = [Float](repeating: 0, count: n)
        var best = x
        var bestValue = Float.infinity
        var beta1Power: Float = 1, beta2Power: Float = 1
        for step in 1...max(budget, 1) where budget > 0 {
            let f = objective(x, &g)
            if f < bestValue { bestValue = f; best = x }
            if !observer(MinimizerProgress(evaluation: step, budget: budget, value: f)) || !f.isFinite { break }
            if step == budget { break }  // the last evaluation only scores the final point
            beta1Power *= beta1
            beta2Power *= beta2
            let stepSize = learningRate * (1 - beta2Power).squareRoot() / (1 - beta1Power)
            let b1 = beta1, b2 = beta2, eps = epsilon
            x.withUnsafeMutableBufferPointer { px in
                g.withUnsafeBufferPointer { pg in
                    m.withUnsafeMutableBufferPointer { pm in
                        v.withUnsafeMutableBufferPointer { pv in
                            for i in 0..<n {
                                let gi = pg[i]
                                pm[i] = b1 * pm[i] + (1 - b1) * gi
                                pv[i] = b2 * pv[i] + (1 - b2) * gi * gi
                                px[i] -= stepSize * pm[i] / (pv[i].squareRoot() + eps)
                            }
                        }
                    }
                }
            }
            box?.project(&x)
        }
        if bestValue.isFinite { x = best }
    }
}
