/// Static assignment of the interpreter's activations to reusable buffers: walking the plan in order,
/// each step's output takes a free buffer and a tensor's buffer becomes free after its last reader.
/// A free buffer whose previous tensor had exactly this size comes first. Tensors of `dedicatedSize`
/// elements or more otherwise get a new buffer, so that large buffers always hold one size: a buffer
/// that shrinks for a smaller tensor has to be refilled (zeroed) to grow again on the next run, which
/// for MobileNetV2-DeepLab at 513² with three shared buffers meant ~110 MB of zeros copied per run.
/// Smaller tensors take the smallest free small buffer that is large enough, else the largest one
/// (which then grows), else a new one. Outputs of
/// the graph are never freed. MobileNetV2-DeepLab at 513² needs a handful of buffers instead of one
/// allocation per operator.
struct BufferPlan {
    /// Tensors of at least this many elements only share buffers with tensors of the same size.
    static let dedicatedSize = 1 << 19

    /// The buffer each step writes its output into.
    let stepBuffers: [Int]
    /// The largest element count each buffer holds over the plan.
    let capacities: [Int]
    var bufferCount: Int { capacities.count }

    /// `steps`: output element count and input tensor indices per step; `releases`: tensors whose last
    /// use is each step; `outputs`: the output tensor index of each step.
    init(steps: [(count: Int, inputs: [Int])], releases: [[Int]], outputs: [Int]) {
        var capacity = [Int]()
        var last = [Int]()          // element count of the tensor each buffer held last
        var free = [Int]()
        var holder = [Int: Int]()   // tensor → buffer
        var assignment = [Int]()
        for (step, s) in steps.enumerated() {
            let reused: Int?
            if let b = free.first(where: { last[$0] == s.count }) {
                reused = b
            } else if s.count >= BufferPlan.dedicatedSize {
                reused = nil
            } else {
                let small = free.filter { last[$0] < BufferPlan.dedicatedSize }
                reused = small.filter { capacity[$0] >= s.count }.min { capacity[$0] < capacity[$1] }
                    ?? small.max { capacity[$0] < capacity[$1] }
            }
            let chosen: Int
            if let b = reused {
                chosen = b
                free.removeAll { $0 == b }
                capacity[b] = max(capacity[b], s.count)
            } else {
                chosen = capacity.count
                capacity.append(s.count)
                last.append(0)
            }
            last[chosen] = s.count
            assignment.append(chosen)
            holder[outputs[step]] = chosen
            for t in releases[step] {
                if let b = holder.removeValue(forKey: t) { free.append(b) }
            }
        }
        stepBuffers = assignment
        capacities = capacity
    }
}
