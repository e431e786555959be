/// Builds `InterpreterOperator`s from a model's operators: reads the options tables (fields in the
/// schema's order), converts constant operands to float, computes output shapes and checks them
/// against the shapes the model declares.
struct OperatorFactory {
    let model: TFLiteModel
    let options: TFLiteInterpreter.Options
    /// Tensors computed by a folded DEQUANTIZE of constant data → that constant tensor.
    let folded: [Int: Int]
    private var graph: TFLiteSubgraph { model.subgraphs[0] }

    init(model: TFLiteModel, options: TFLiteInterpreter.Options, folded: [Int: Int] = [:]) {
        self.model = model
        self.options = options
        self.folded = folded
    }

    /// The tensor holding `index`'s constant data (itself, or the source of a folded DEQUANTIZE), or nil.
    func constantSource(_ index: Int) -> TFLiteTensor? {
        let source = graph.tensors[folded[index] ?? index]
        return model.data(of: source).isEmpty ? nil : source
    }

    /// Whether `make` knows the operator code.
    static func isSupported(_ code: TFLiteOperatorCode) -> Bool {
        switch code.builtin {
        case .conv2D, .depthwiseConv2D, .add, .mul, .averagePool2D, .resizeBilinear, .concatenation, .reshape,
             .quantize, .dequantize, .relu, .relu6, .logistic, .hardSwish:
            return true
        case .custom:
            return code.customCode == TransposeConvolutionBiasOperator.customCode
        default:
            return false
        }
    }

    func make(_ op: TFLiteOperator, index: Int) throws -> InterpreterOperator {
        let code = model.code(of: op)
        let name = "operator \(index) (\(code.name))"
        func fail(_ detail: String) -> TFLiteError { .invalidGraph(model: model.name, detail: "\(name): \(detail)") }
        guard op.outputs.count >= 1 else { throw fail("has no output") }
        let outIndex = op.outputs[0]
        let outTensor = graph.tensors[outIndex]

        func tensor(_ k: Int) throws -> TFLiteTensor {
            guard op.inputs.indices.contains(k), op.inputs[k] >= 0 else { throw fail("input \(k) is missing") }
            return graph.tensors[op.inputs[k]]
        }
        func constant(_ k: Int) throws -> [Float] {
            let t = try tensor(k)
            guard let source = constantSource(op.inputs[k]) else { throw fail("input \(k) (\"\(t.name)\") must be constant data") }
            return try ConstantTensor.floats(source, in: model)
        }
        func runtimeInput(_ k: Int) throws -> Int {
            let t = try tensor(k)
            guard constantSource(op.inputs[k]) == nil else { throw fail("input \(k) (\"\(t.name)\") is constant, expected a computed tensor") }
            return op.inputs[k]
        }
        func transform(fused code: Int) throws -> OutputTransform {
            guard let t = OutputTransform.fusedActivation(code) else { throw fail("unsupported fused activation \(code)") }
            return options.emulatesActivationQuantization ? t.quantized(by: outTensor) : t
        }
        func checkShape(_ computed: [Int]) throws -> [Int] {
            guard outTensor.shape.isEmpty || outTensor.shape == computed else {
                throw fail("computes shape \(computed) but the model declares \(outTensor.shape)")
            }
            return computed
        }
        func image(_ t: TFLiteTensor) throws -> (n: Int, h: Int, w: Int, c: Int) {
            guard t.shape.count == 4, t.shape.allSatisfy({ $0 > 0 }) else {
                throw fail("tensor \"\(t.name)\" has shape \(t.shape), expected NHWC")
            }
            return (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        }
        let opts = op.builtinOptions

        switch code.builtin {
        case .conv2D:
            let x = try image(try tensor(0)), f = try tensor(1)
            guard f.shape.count == 4, f.shape[3] == x.c, f.shape[0] > 0 else {
                throw fail("filter shape \(f.shape) does not fit input channels \(x.c)")
            }
            guard let g = ConvolutionGeometry(
                inHeight: x.h, inWidth: x.w, kernelHeight: f.shape[1], kernelWidth: f.shape[2],
                strideY: try opts?.int32(2) ?? 0, strideX: try opts?.int32(1) ?? 0,
                dilationY: try opts?.int32(5, default: 1) ?? 1, dilationX: try opts?.int32(4, default: 1) ?? 1,
                paddingCode: try opts?.int8(0) ?? 0) else { throw fail("invalid stride, dilation, padding or kernel size") }
            let cout = f.shape[0]
            let bias = op.inputs.count > 2 && op.inputs[2] >= 0 ? try constant(2) : [Float](repeating: 0, count: cout)
            guard bias.count == cout else { throw fail("bias has \(bias.count) values for \(cout) output channels") }
            return Conv2DOperator(inputs: [try runtimeInput(0)], output: outIndex,
                                  outputShape: try checkShape([x.n, g.outHeight, g.outWidth, cout]), batch: x.n,
                                  geometry: g, inChannels: x.c, outChannels: cout, weights: try constant(1), bias: bias,
                                  transform: try transform(fused: try opts?.int8(3) ?? 0))

        case .depthwiseConv2D:
            let x = try image(try tensor(0)), f = try tensor(1)
            guard f.shape.count == 4, f.shape[0] == 1, f.shape[3] > 0, f.shape[3] % x.c == 0 else {
                throw fail("filter shape \(f.shape) does not fit input channels \(x.c)")
            }
            guard let g = ConvolutionGeometry(
                inHeight: x.h, inWidth: x.w, kernelHeight: f.shape[1], kernelWidth: f.shape[2],
                strideY: try opts?.int32(2) ?? 0, strideX: try opts?.int32(1) ?? 0,
                dilationY: try opts?.int32(6, default: 1) ?? 1, dilationX: try opts?.int32(5, default: 1) ?? 1,
                paddingCode: try opts?.int8(0) ?? 0) else { throw fail("invalid stride, dilation, padding or kernel size") }
            let cout = f.shape[3]
            let bias = op.inputs.count > 2 && op.inputs[2] >= 0 ? try constant(2) : [Float](repeating: 0, count: cout)
            guard bias.count == cout else { throw fail("bias has \(bias.count) values for \(cout) output channels") }
            return DepthwiseConv2DOperator(inputs: [try runtimeInput(0)], output: outIndex,
                                           outputShape: try checkShape([x.n, g.outHeight, g.outWidth, cout]), batch: x.n,
                                           geometry: g, inChannels: x.c, multiplier: cout / x.c, weights: try constant(1),
                                           bias: bias, transform: try transform(fused: try opts?.int8(4) ?? 0))

        case .averagePool2D:
            let x = try image(try tensor(0))
            guard let g = ConvolutionGeometry(
                inHeight: x.h, inWidth: x.w, kernelHeight: try opts?.int32(4) ?? 0, kernelWidth: try opts?.int32(3) ?? 0,
                strideY: try opts?.int32(2) ?? 0, strideX: try opts?.int32(1) ?? 0,
                paddingCode: try opts?.int8(0) ?? 0) else { throw fail("invalid stride, padding or window size") }
            return AveragePool2DOperator(inputs: [try runtimeInput(0)], output: outIndex,
                                         outputShape: try checkShape([x.n, g.outHeight, g.outWidth, x.c]), batch: x.n,
                                         geometry: g, channels: x.c, transform: try transform(fused: try opts?.int8(5) ?? 0))

        case .resizeBilinear:
            let x = try image(try tensor(0))
            let size = try ConstantTensor.integers(try tensor(1), in: model)
            guard size.count == 2, size[0] > 0, size[1] > 0, size[0] <= 1 << 15, size[1] <= 1 << 15 else {
                throw fail("invalid output size \(size)")
            }
            let align = try opts?.bool(2) ?? false, half = try opts?.bool(3) ?? false
            return ResizeBilinearOperator(
                inputs: [try runtimeInput(0)], output: outIndex, outputShape: try checkShape([x.n, size[0], size[1], x.c]),
                batch: x.n, inHeight: x.h, inWidth: x.w, channels: x.c,
                rows: BilinearAxis(inSize: x.h, outSize: size[0], alignCorners: align, halfPixelCenters: half),
                columns: BilinearAxis(inSize: x.w, outSize: size[1], alignCorners: align, halfPixelCenters: half),
                transform: try transform(fused: 0))

        case .concatenation:
            let tensors = try (0..<op.inputs.count).map { try tensor($0) }
            guard let first = tensors.first, !first.shape.isEmpty else { throw fail("no inputs") }
            let rank = first.shape.count
            var axis = try opts?.int32(0) ?? 0
            if axis < 0 { axis += rank }
            guard (0..<rank).contains(axis),
                  tensors.allSatisfy({ $0.shape.count == rank && Array($0.shape[..<axis]) == Array(first.shape[..<axis])
                                       && Array($0.shape[(axis + 1)...]) == Array(first.shape[(axis + 1)...]) }) else {
                throw fail("inputs \(tensors.map(\.shape)) cannot be joined along axis \(axis)")
            }
            var shape = first.shape
            shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
            return ConcatenationOperator(
                inputs: try (0..<op.inputs.count).map { try runtimeInput($0) }, output: outIndex,
                outputShape: try checkShape(shape), outerCount: first.shape[..<axis].reduce(1, *),
                blockSizes: tensors.map { $0.shape[axis...].reduce(1, *) },
                transform: try transform(fused: try opts?.int8(1) ?? 0))

        case .add, .mul:
            let a = try tensor(0), b = try tensor(1)
            guard a.shape.count <= 4, b.shape.count <= 4, let a4 = NHWCTensor.nhwc(a.shape), let b4 = NHWCTensor.nhwc(b.shape)
            else { throw fail("operands of more than four dimensions") }
            let pairs = [(a4.n, b4.n), (a4.h, b4.h), (a4.w, b4.w), (a4.c, b4.c)]
            guard pairs.allSatisfy({ $0.0 == $0.1 || $0.0 == 1 || $0.1 == 1 }) else {
                throw fail("shapes \(a.shape) and \(b.shape) do not broadcast")
            }
            let out4 = pairs.map { max($0.0, $0.1) }
            let rank = max(a.shape.count, b.shape.count)
            var runtime = [Int]()
            func operand(_ k: Int, _ t: TFLiteTensor) throws -> BinaryElementwiseOperator.Operand {
                if constantSource(op.inputs[k]) != nil { return .constant(try constant(k)) }
                runtime.append(op.inputs[k])
                return .input(runtime.count - 1)
            }
            let lhs = try operand(0, a), rhs = try operand(1, b)
            return BinaryElementwiseOperator(
                inputs: runtime, output: outIndex, outputShape: try checkShape(Array(out4.suffix(rank))),
                kind: code.builtin == .add ? .add : .multiply, lhs: lhs, rhs: rhs,
                lhsShape: [a4.n, a4.h, a4.w, a4.c], rhsShape: [b4.n, b4.h, b4.w, b4.c],
                transform: try transform(fused: try opts?.int8(0) ?? 0))

        case .reshape, .quantize, .dequantize, .relu, .relu6, .logistic, .hardSwish:
            let x = try tensor(0)
            let shape: [Int]
            if code.builtin == .reshape {
                guard outTensor.elementCount == x.elementCount, !outTensor.shape.isEmpty || x.elementCount == 1 else {
                    throw fail("cannot reshape \(x.shape) to \(outTensor.shape)")
                }
                shape = outTensor.shape
            } else {
                shape = try checkShape(x.shape)
            }
            var t = try transform(fused: 0)
            if code.builtin == .relu { t.lower = max(t.lower, 0) }
            if code.builtin == .relu6 { t.lower = max(t.lower, 0); t.upper = min(t.upper, 6) }
            let function: UnaryOperator.Function = code.builtin == .logistic ? .logistic
                : code.builtin == .hardSwish ? .hardSwish : .identity
            return UnaryOperator(inputs: [try runtimeInput(0)], output: outIndex, outputShape: shape,
                                 function: function, transform: t)

        case .custom where code.customCode == TransposeConvolutionBiasOperator.customCode:
            // MediaPipe's transposed convolution: inputs (data, weights OHWI, bias); options are the raw
            // C struct TfLiteTransposeConvParams {int32 padding (1 SAME, 2 VALID), stride_w, stride_h}.
            let x = try image(try tensor(0)), f = try tensor(1)
            guard f.shape.count == 4, f.shape[3] == x.c, f.shape.allSatisfy({ $0 > 0 }) else {
                throw fail("filter shape \(f.shape) does not fit input channels \(x.c)")
            }
            let raw = op.customOptions
            guard raw.count >= 12 else { throw fail("custom options have \(raw.count) bytes, expected 12") }
            func int32(_ at: Int) -> Int { Int(Int32(bitPattern: UInt32(raw[at]) | UInt32(raw[at + 1]) << 8 | UInt32(raw[at + 2]) << 16 | UInt32(raw[at + 3]) << 24)) }
            let padding = int32(0), strideX = int32(4), strideY = int32(8)
            guard (1...2).contains(padding), (1...64).contains(strideX), (1...64).contains(strideY) else {
                throw fail("invalid padding \(padding) or strides \(strideX)x\(strideY)")
            }
            let kh = f.shape[1], kw = f.shape[2], cout = f.shape[0]
            let padH = padding == 1 ? max(0, kh - (x.h - 1) % strideY - 1) : 0
            let padW = padding == 1 ? max(0, kw - (x.w - 1) % strideX - 1) : 0
            let outH = strideY * (x.h - 1) + kh - padH, outW = strideX * (x.w - 1) + kw - padW
            let bias = try constant(2)
            guard bias.count == cout else { throw fail("bias has \(bias.count) values for \(cout) output channels") }
            return TransposeConvolutionBiasOperator(
                inputs: [try runtimeInput(0)], output: outIndex, outputShape: try checkShape([x.n, outH, outW, cout]),
                batch: x.n, inHeight: x.h, inWidth: x.w, inChannels: x.c, outHeight: outH, outWidth: outW,
                outChannels: cout, kernelHeight: kh, kernelWidth: kw, strideY: strideY, strideX: strideX,
                padTop: padH / 2, padLeft: padW / 2, weights: try constant(1), bias: bias, transform: try transform(fused: 0))

        default:
            throw TFLiteError.unsupportedOperators(model: model.name, names: [code.name])
        }
    }
}
