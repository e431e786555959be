/// CONCATENATION along `axis`: for each index over the dimensions before the axis, the inputs' blocks
/// (their extent along the axis times everything after it) are copied one after another.
struct ConcatenationOperator: InterpreterOperator {
    let inputs: [Int]
    let output: Int
    let outputShape: [Int]
    /// Product of the dimensions before the axis.
    let outerCount: Int
    /// For each input, the product of its dimensions from the axis on.
    let blockSizes: [Int]
    let transform: OutputTransform

    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor) {
        let total = blockSizes.reduce(0, +)
        output.data.withUnsafeMutableBufferPointer { yb in
            var offset = 0
            for (i, input) in inputs.enumerated() {
                let block = blockSizes[i]
                input.data.withUnsafeBufferPointer { xb in
                    for o in 0..<outerCount {
                        (yb.baseAddress! + o * total + offset).update(from: xb.baseAddress! + o * block, count: block)
                    }
                }
                offset += block
            }
            transform.apply(yb.baseAddress!, count: yb.count)
        }
    }
}
