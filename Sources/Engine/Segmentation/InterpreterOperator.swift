/// One operator of a prepared `TFLiteInterpreter` plan: constant operands (weights, sizes, axes) are
/// resolved and converted to float when the plan is built, so `execute` only sees run-time tensors.
protocol InterpreterOperator: Sendable {
    /// Tensor indices of the run-time inputs, in the order `execute` receives them.
    var inputs: [Int] { get }
    /// Tensor index of the output.
    var output: Int { get }
    /// The output's shape (checked against the model's declared shape when the plan is built).
    var outputShape: [Int] { get }
    /// Computes the output; `output` arrives allocated with `outputShape` and must be fully written.
    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor)
}
