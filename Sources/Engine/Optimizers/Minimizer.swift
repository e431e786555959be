/// A differentiable objective: returns f(x) and writes ∇f(x) into `gradient` (same length as `x`).
public typealias Objective = (_ x: [Float], _ gradient: inout [Float]) -> Float

/// What a minimizer reports after every objective evaluation.
public struct MinimizerProgress: Sendable, Equatable {
    /// Objective evaluations so far (1-based). One evaluation = one forward and backward pass.
    public var evaluation: Int
    /// The evaluation budget.
    public var budget: Int
    /// The objective value of this evaluation.
    public var value: Float
}

/// A first-order minimizer that spends a fixed budget of objective evaluations.
///
/// The budget counts evaluations rather than iterations, so that a line search that needs a second
/// evaluation costs the same as an iteration: the wall time of a run is `budget × s_per_iter`.
public protocol Minimizer {
    /// Minimizes `objective` starting from `x`, leaving the best point found in `x`; with a `box`, over
    /// the points inside it (`x` is projected onto it first). `observer` is called after each evaluation;
    /// returning `false` stops early.
    mutating func minimize(_ x: inout [Float], evaluations budget: Int, box: Box?, objective: Objective,
                           observer: (MinimizerProgress) -> Bool)
}

extension Minimizer {
    /// Unconstrained.
    public mutating func minimize(_ x: inout [Float], evaluations budget: Int, objective: Objective,
                                  observer: (MinimizerProgress) -> Bool) {
        minimize(&x, evaluations: budget, box: nil, objective: objective, observer: observer)
    }
}

/// Which optimizer to use, with its settings.
public enum OptimizerKind: Sendable, Equatable, CustomStringConvertible {
    /// L-BFGS with `history` correction pairs (Nocedal 1980) and a backtracking Armijo line search.
    case lbfgs(history: Int)
    /// Adam (Kingma & Ba 2015) with the given step size, in the optimization variable's units (0–255 pixel scale).
    case adam(learningRate: Float)

    public var description: String {
        switch self {
        case .lbfgs(let m): return "lbfgs(history: \(m))"
        case .adam(let lr): return "adam(lr: \(lr))"
        }
    }

    /// A fresh minimizer of this kind.
    public func makeMinimizer() -> any Minimizer {
        switch self {
        case .lbfgs(let m): return LBFGS(history: m)
        case .adam(let lr): return Adam(learningRate: lr)
        }
    }
}

/// Small vector helpers shared by the optimizers. Dots accumulate in Double, in a fixed order,
/// so results are deterministic and accurate for vectors of millions of elements.
enum VectorMath {
    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                let n = pa.count
                var i = 0
                while i + 4 <= n {
                    s0 += Double(pa[i] * pb[i]); s1 += Double(pa[i + 1] * pb[i + 1])
                    s2 += Double(pa[i + 2] * pb[i + 2]); s3 += Double(pa[i + 3] * pb[i + 3])
                    i += 4
                }
                while i < n { s0 += Double(pa[i] * pb[i]); i += 1 }
                return (s0 + s1) + (s2 + s3)
            }
        }
    }

    /// y += a·x
    static func axpy(_ a: Float, _ x: [Float], _ y: inout [Float]) {
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                for i in 0..<py.count { py[i] += a * px[i] }
            }
        }
    }

    /// out = a - b
    static func difference(_ a: [Float], _ b: [Float], into out: inout [Float]) {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    for i in 0..<po.count { po[i] = pa[i] - pb[i] }
                }
            }
        }
    }

    /// Σ a_i in Double, in index order (the same array gives the same bits).
    static func sum(_ a: [Float]) -> Double {
        a.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) }
            return s
        }
    }

    static func sumOfAbsolute(_ a: [Float]) -> Double {
        a.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(abs(v)) }
            return s
        }
    }

    /// max_i |a_i| (‖a‖∞).
    static func maxAbsolute(_ a: [Float]) -> Double {
        a.withUnsafeBufferPointer { p in
            var m: Float = 0
            for v in p { m = max(m, abs(v)) }
            return Double(m)
        }
    }
}
