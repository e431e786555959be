/// ADD and MUL with TFLite broadcasting (shapes aligned at the right, size-1 dimensions repeated), up to
/// four dimensions, followed by the fused activation. Constant operands are held in the operator.
struct BinaryElementwiseOperator: InterpreterOperator {
    enum Kind: Sendable { case add, multiply }

    /// A binary operand: a run-time tensor (index into `execute`'s inputs) or a constant.
    enum Operand: Sendable {
        case input(Int)
        case constant([Float])
    }

    let inputs: [Int]
    let output: Int
    let outputShape: [Int]
    let kind: Kind
    let lhs: Operand, rhs: Operand
    /// Both operand shapes padded to four dimensions.
    let lhsShape: [Int], rhsShape: [Int]
    let transform: OutputTransform

    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor) {
        let a: [Float], b: [Float]
        switch lhs { case .input(let i): a = inputs[i].data; case .constant(let v): a = v }
        switch rhs { case .input(let i): b = inputs[i].data; case .constant(let v): b = v }
        let out4 = NHWCTensor.nhwc(outputShape)!
        let kind = self.kind, t = transform
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                output.data.withUnsafeMutableBufferPointer { yb in
                    let ap = ab.baseAddress!, bp = bb.baseAddress!, yp = yb.baseAddress!
                    if lhsShape == rhsShape {
                        ParallelLoop.forEachChunk(count: yb.count, minimumChunk: 4096) { r in
                            let y = yp + r.lowerBound, x = ap + r.lowerBound, z = bp + r.lowerBound
                            switch kind {
                            case .add: for i in 0..<r.count { y[i] = x[i] + z[i] }
                            case .multiply: for i in 0..<r.count { y[i] = x[i] * z[i] }
                            }
                            t.apply(y, count: r.count)
                        }
                        return
                    }
                    // Broadcast: strides are 0 along size-1 dimensions.
                    func strides(_ s: [Int]) -> [Int] {
                        [s[0] == 1 ? 0 : s[1] * s[2] * s[3], s[1] == 1 ? 0 : s[2] * s[3], s[2] == 1 ? 0 : s[3], s[3] == 1 ? 0 : 1]
                    }
                    let sa = strides(lhsShape), sb = strides(rhsShape)
                    var i = 0
                    for n in 0..<out4.n { for h in 0..<out4.h { for w in 0..<out4.w {
                        let baseA = n * sa[0] + h * sa[1] + w * sa[2], baseB = n * sb[0] + h * sb[1] + w * sb[2]
                        for c in 0..<out4.c {
                            let x = ap[baseA + c * sa[3]], z = bp[baseB + c * sb[3]]
                            yp[i + c] = kind == .add ? x + z : x * z
                        }
                        t.apply(yp + i, count: out4.c)
                        i += out4.c
                    }}}
                }
            }
        }
    }
}
