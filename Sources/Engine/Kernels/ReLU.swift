/// Rectified linear unit, in place.
public enum ReLU {
    /// x ← max(x, 0).
    public static func forward(_ x: inout Tensor) {
        x.data.withUnsafeMutableBufferPointer { b in
            let p = b.baseAddress
            ParallelLoop.forEachChunk(count: b.count, minimumChunk: 1 << 16) { range in
                for j in range { p![j] = p![j] > 0 ? p![j] : 0 }
            }
        }
    }

    /// Zeroes `gradient` where `output` (the post-ReLU activation) is ≤ 0.
    public static func backward(output: Tensor, gradient: inout Tensor) {
        precondition(output.hasSameShape(as: gradient), "ReLU.backward: shape mismatch")
        output.data.withUnsafeBufferPointer { ob in
            gradient.data.withUnsafeMutableBufferPointer { gb in
                let o = ob.baseAddress, g = gb.baseAddress
                ParallelLoop.forEachChunk(count: gb.count, minimumChunk: 1 << 16) { range in
                    for j in range { g![j] = o![j] > 0 ? g![j] : 0 }   // branch-free: vectorizes to a select
                }
            }
        }
    }
}
