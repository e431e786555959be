/// Runs the main graph of a `TFLiteModel` in float32 on the CPU.
///
/// Quantized models are executed in float: constant weights and biases (uint8/int8/int32 with per-tensor
/// or per-channel scales, FLOAT16) are dequantized once when the interpreter is built, and activations
/// are float NHWC tensors (`NHWCTensor`; TFLite's own layout, so shapes and axes are used as the model
/// declares them). With `Options.emulatesActivationQuantization` every quantized activation is also
/// clamped and rounded to its uint8 grid, which tracks the reference interpreter's integer arithmetic more
/// closely (see `OutputTransform`).
///
/// The plan covers only the operators needed for the requested outputs, so a graph can be cut before an
/// operator this interpreter does not run (DeepLab's final ARG_MAX, when the class scores are wanted).
/// Operators it cannot run make the initializer throw `TFLiteError.unsupportedOperators` naming them all.
public final class TFLiteInterpreter: @unchecked Sendable {
    public struct Options: Sendable {
        /// Clamp and round quantized activations to their uint8 grid (off: plain float execution).
        public var emulatesActivationQuantization: Bool
        public init(emulatesActivationQuantization: Bool = false) {
            self.emulatesActivationQuantization = emulatesActivationQuantization
        }
    }

    public let model: TFLiteModel
    /// The graph input tensor the caller fills.
    public let inputTensor: Int
    /// The tensors `run` returns, in order.
    public let outputTensors: [Int]
    private let plan: [InterpreterOperator]
    /// For each plan step, the tensors whose last use it is (released afterwards).
    private let releases: [[Int]]

    /// The input's shape (NHWC for images).
    public var inputShape: [Int] { model.subgraphs[0].tensors[inputTensor].shape }

    /// The shape of each output.
    public func outputShape(_ i: Int) -> [Int] { model.subgraphs[0].tensors[outputTensors[i]].shape }

    /// Prepares the main graph to compute `outputs` (tensor indices; default: the graph's outputs).
    public init(model: TFLiteModel, outputs: [Int]? = nil, options: Options = Options()) throws {
        let graph = model.subgraphs[0]
        guard graph.inputs.count == 1 else {
            throw TFLiteError.invalidGraph(model: model.name, detail: "\(graph.inputs.count) graph inputs, expected 1")
        }
        self.model = model
        inputTensor = graph.inputs[0]
        let wanted = outputs ?? graph.outputs
        guard !wanted.isEmpty, wanted.allSatisfy({ graph.tensors.indices.contains($0) }) else {
            throw TFLiteError.invalidGraph(model: model.name, detail: "requested outputs \(wanted) are not tensors of the graph")
        }
        outputTensors = wanted

        // Which operator produces each tensor; then walk back from the outputs to the needed operators.
        var producer = [Int: Int]()
        for (i, op) in graph.operators.enumerated() {
            for t in op.outputs where producer[t] == nil { producer[t] = i }
        }
        var needed = Set<Int>()
        var stack = wanted
        var visited = Set<Int>()
        while let t = stack.popLast() {
            guard visited.insert(t).inserted, let p = producer[t] else { continue }
            needed.insert(p)
            stack.append(contentsOf: graph.operators[p].inputs.filter { $0 >= 0 })
        }
        let order = needed.sorted()

        let unsupported = order.compactMap { i -> String? in
            OperatorFactory.isSupported(model.code(of: graph.operators[i])) ? nil : model.code(of: graph.operators[i]).name
        }
        if !unsupported.isEmpty {
            var seen = Set<String>()
            throw TFLiteError.unsupportedOperators(model: model.name, names: unsupported.filter { seen.insert($0).inserted })
        }

        let factory = OperatorFactory(model: model, options: options)
        var plan = [InterpreterOperator]()
        var available = Set([inputTensor])
        for i in order {
            let op = try factory.make(graph.operators[i], index: i)
            for t in op.inputs where !available.contains(t) {
                throw TFLiteError.invalidGraph(model: model.name, detail: "operator \(i) (\(model.code(of: graph.operators[i]).name)) "
                                               + "reads tensor \"\(graph.tensors[t].name)\" before it is computed")
            }
            available.insert(op.output)
            plan.append(op)
        }
        for t in wanted where !available.contains(t) {
            throw TFLiteError.invalidGraph(model: model.name, detail: "output tensor \"\(graph.tensors[t].name)\" is never computed")
        }
        self.plan = plan

        var lastUse = [Int: Int]()
        for (step, op) in plan.enumerated() { for t in op.inputs { lastUse[t] = step } }
        var releases = [[Int]](repeating: [], count: plan.count)
        let keep = Set(wanted)
        for (t, step) in lastUse where !keep.contains(t) { releases[step].append(t) }
        self.releases = releases
    }

    /// Runs the graph on `input` (real values, row-major over `inputShape`) and returns the requested
    /// outputs as float tensors.
    public func run(input: [Float]) throws -> [NHWCTensor] {
        let shape = inputShape
        guard input.count == shape.reduce(1, *) else {
            throw TFLiteError.inputMismatch(model: model.name, expected: shape, got: input.count)
        }
        var values = [Int: NHWCTensor]()
        values[inputTensor] = NHWCTensor(shape: shape, data: input)
        for (step, op) in plan.enumerated() {
            let args = op.inputs.map { values[$0]! }
            var out = NHWCTensor(shape: op.outputShape)
            op.execute(args, into: &out)
            values[op.output] = out
            for t in releases[step] { values[t] = nil }
        }
        return outputTensors.map { values[$0]! }
    }
}
