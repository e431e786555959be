/// Static assignment of the interpreter's activations to reusable buffers: walking the plan in order,
/// each step's output takes a free buffer (the smallest that is large enough, else the largest free one,
/// which then grows, else a new one) and a tensor's buffer becomes free after its last reader. Outputs of
/// the graph are never freed. MobileNetV2-DeepLab at 513² needs a handful of buffers instead of one
/// allocation per operator.
struct BufferPlan {
    /// The buffer each step writes its output into.
    let stepBuffers: [Int]
    /// The largest element count each buffer holds over the plan.
    let capacities: [Int]
    var bufferCount: Int { capacities.count }

    /// `steps`: output element count and input tensor indices per step; `releases`: tensors whose last
    /// use is each step; `outputs`: the output tensor index of each step.
    init(steps: [(count: Int, inputs: [Int])], releases: [[Int]], outputs: [Int]) {
        var capacity = [Int]()
        var free = [Int]()
        var holder = [Int: Int]()   // tensor → buffer
        var assignment = [Int]()
        for (step, s) in steps.enumerated() {
            let fitting = free.filter { capacity[$0] >= s.count }.min { capacity[$0] < capacity[$1] }
            let chosen: Int
            if let b = fitting ?? free.max(by: { capacity[$0] < capacity[$1] }) {
                chosen = b
                free.removeAll { $0 == b }
                capacity[b] = max(capacity[b], s.count)
            } else {
                chosen = capacity.count
                capacity.append(s.count)
            }
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
