import Dispatch
import Foundation

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
    /// Operator name and output shape of each plan step (for profiles and messages).
    let stepNames: [String]
    /// For each plan step, the tensors whose last use it is (released afterwards).
    private let releases: [[Int]]
    /// For each plan step, the pool buffer its output is written into.
    private let stepBuffers: [Int]
    /// The largest element count of each pool buffer (its storage is reserved at that size once).
    private let bufferCapacities: [Int]
    /// Zeros to grow buffers from (`calloc`: untouched pages all map the kernel's shared zero page, so
    /// copying from it costs about a memset, and it takes no memory of its own).
    private let zeros: UnsafeMutablePointer<Float>
    /// Activation storage kept between runs (see `BufferPlan`), so that large outputs are neither
    /// reallocated nor zero-filled (and page-faulted) on every run. Guarded by `lock`.
    private var pool: [[Float]]
    private let lock = NSLock()

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
        // DEQUANTIZE of constant data (e.g. FLOAT16 weights) is folded: its output is a constant too.
        var folded = [Int: Int]()
        for op in graph.operators where model.code(of: op).builtin == .dequantize && op.inputs.count == 1 && op.outputs.count == 1 {
            if op.inputs[0] >= 0, !model.data(of: graph.tensors[op.inputs[0]]).isEmpty { folded[op.outputs[0]] = op.inputs[0] }
        }
        var needed = Set<Int>()
        var stack = wanted
        var visited = Set<Int>()
        while let t = stack.popLast() {
            guard visited.insert(t).inserted, folded[t] == nil, let p = producer[t] else { continue }
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

        let factory = OperatorFactory(model: model, options: options, folded: folded)
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
        stepNames = order.map { i in
            let op = graph.operators[i]
            return "\(model.code(of: op).name) \(op.outputs.first.map { graph.tensors[$0].shape } ?? [])"
        }

        var lastUse = [Int: Int]()
        for (step, op) in plan.enumerated() { for t in op.inputs { lastUse[t] = step } }
        var releases = [[Int]](repeating: [], count: plan.count)
        let keep = Set(wanted)
        for (t, step) in lastUse where !keep.contains(t) { releases[step].append(t) }
        self.releases = releases
        let buffers = BufferPlan(steps: plan.map { ($0.outputShape.reduce(1, *), $0.inputs) }, releases: releases,
                                 outputs: plan.map(\.output))
        stepBuffers = buffers.stepBuffers
        bufferCapacities = buffers.capacities
        guard let zeroBytes = calloc(max(1, buffers.capacities.max() ?? 1), MemoryLayout<Float>.stride) else {
            throw TFLiteError.invalidGraph(model: model.name, detail: "cannot allocate \(buffers.capacities.max() ?? 0) activation values")
        }
        zeros = zeroBytes.bindMemory(to: Float.self, capacity: max(1, buffers.capacities.max() ?? 1))
        pool = [[Float]](repeating: [], count: buffers.bufferCount)
    }

    deinit { free(zeros) }

    /// Runs the graph on `input` (real values, row-major over `inputShape`) and returns the requested
    /// outputs as float tensors.
    public func run(input: [Float]) throws -> [NHWCTensor] {
        try run(input: input, stepSeconds: nil)
    }

    /// `run`, recording each plan step's wall time into `stepSeconds` (one entry per `stepNames` entry).
    func run(input: [Float], stepSeconds: UnsafeMutablePointer<[Double]>?) throws -> [NHWCTensor] {
        let shape = inputShape
        guard input.count == shape.reduce(1, *) else {
            throw TFLiteError.inputMismatch(model: model.name, expected: shape, got: input.count)
        }
        lock.lock()
        defer { lock.unlock() }
        var values = [Int: NHWCTensor]()
        /// Which pool buffer holds each computed tensor.
        var home = [Int: Int]()
        values[inputTensor] = NHWCTensor(shape: shape, data: input)
        stepSeconds?.pointee = [Double](repeating: 0, count: plan.count)
        for (step, op) in plan.enumerated() {
            let start = stepSeconds == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            do {
                let args = op.inputs.map { values[$0]! }
                // Take the buffer out of the pool (a move, so it stays uniquely referenced) and size it
                // without touching more memory than necessary: operators overwrite their whole output.
                let b = stepBuffers[step]
                var storage = pool[b]
                pool[b] = []
                let count = op.outputShape.reduce(1, *)
                if storage.count > count {
                    storage.removeLast(storage.count - count)   // keeps the capacity
                } else if storage.count < count {
                    // The buffer's storage is reserved once at the largest size it holds in the plan, so
                    // growing within it neither reallocates nor page-faults fresh memory: only the new tail
                    // is zeroed (a bulk fill). Tensors of different sizes share a buffer, so without the
                    // reservation every step that follows a smaller tensor would allocate anew.
                    if storage.capacity < count {
                        storage = []
                        storage.reserveCapacity(max(count, bufferCapacities[b]))
                    }
                    storage.append(contentsOf: UnsafeBufferPointer(start: zeros, count: count - storage.count))
                }
                var out = NHWCTensor(shape: op.outputShape, data: storage)
                // Drop the second reference, or writing `out` would copy the whole buffer (copy-on-write).
                storage = []
                op.execute(args, into: &out)
                values[op.output] = out
                home[op.output] = b
            }
            if let stepSeconds { stepSeconds.pointee[step] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            for t in releases[step] {
                if let v = values.removeValue(forKey: t), let b = home[t] { pool[b] = v.data }
            }
        }
        // The outputs leave as copies (DeepLab's class scores are 33 × 33 × 21 values) so that their pool
        // buffers, which host large tensors earlier in the plan, stay allocated for the next run.
        let results = outputTensors.map { t -> NHWCTensor in
            let v = values[t]!
            return NHWCTensor(shape: v.shape, data: [Float](unsafeUninitializedCapacity: v.data.count) { buffer, count in
                _ = buffer.initialize(from: v.data)
                count = v.data.count
            })
        }
        for t in outputTensors {
            if let v = values.removeValue(forKey: t), let b = home[t] { pool[b] = v.data }
        }
        return results
    }
}
