/// The losses of the last few points an optimizer evaluated, so the point it returns (its last accepted
/// one, evaluated earlier) does not need another forward and backward pass to report its losses. With
/// multipass sweeps of 5 evaluations that extra pass was a sixth of a task's work.
///
/// Points are recognised by a fingerprint — the element count, the sum in Double (fixed order) and four
/// samples — not stored: a 4K frame is 100 MB. The returned point is bit-for-bit one of the evaluated
/// ones, so its fingerprint matches exactly; an unknown point returns nil and the caller evaluates it.
struct EvaluationMemo<Value> {
    private struct Fingerprint: Equatable {
        var count: Int
        var sum: Double
        var samples: [Float]

        init(_ x: [Float]) {
            count = x.count
            sum = VectorMath.sum(x)
            samples = x.isEmpty ? [] : [x[0], x[x.count / 3], x[2 * x.count / 3], x[x.count - 1]]
        }
    }

    private var entries: [(Fingerprint, Value)] = []
    /// How many points to remember (the line search's backtracks plus the accepted point).
    let capacity: Int

    init(capacity: Int = 16) { self.capacity = capacity }

    /// Remembers `value` for the point `x`.
    mutating func record(_ x: [Float], _ value: Value) {
        entries.append((Fingerprint(x), value))
        if entries.count > capacity { entries.removeFirst() }
    }

    /// The value recorded for `x` (the most recent one), or nil.
    func value(at x: [Float]) -> Value? {
        let key = Fingerprint(x)
        return entries.last(where: { $0.0 == key })?.1
    }
}
