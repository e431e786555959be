import Foundation

/// Semantic segmentation of frames with a DeepLabv3 TFLite model (e.g. the MobileNetV2 PASCAL VOC models
/// of google-coral/test_data), executed by `TFLiteInterpreter`.
///
/// A frame of any size is resized to the model's input (513 × 513, aspect ratio not kept, as the model was
/// trained), its 8-bit RGB values q become the input `(q − 128) / 128` (or the input tensor's own
/// quantization), and the graph runs up to the class scores that feed its final ARG_MAX. The scores are
/// interpolated bilinearly back to the frame's size (pixel centres at half-integers), turned into
/// probabilities with a softmax per pixel, and the label of each pixel is the most probable class.
public final class DeepLabSegmenter: @unchecked Sendable {
    public let interpreter: TFLiteInterpreter
    /// Model input size.
    public let inputWidth: Int
    public let inputHeight: Int
    /// Classes the model scores.
    public let classCount: Int
    private let scoresWidth: Int
    private let scoresHeight: Int
    /// The graph's own upsampling of the scores (RESIZE_BILINEAR steps between the low-resolution class
    /// scores and the ARG_MAX), first to last. The segmenter stops before them and folds their coordinate
    /// mappings into its single interpolation to the frame size.
    private let upsampling: [(rows: ResizeMapping, columns: ResizeMapping)]

    /// The default execution: float, with quantized activations clamped and rounded to their uint8 grid,
    /// which agrees best with the reference interpreter (see docs/ARCHITECTURE.md, Segmentation).
    public static let defaultOptions = TFLiteInterpreter.Options(emulatesActivationQuantization: true)

    /// Loads the model file at `modelPath`.
    public convenience init(modelPath: String, options: TFLiteInterpreter.Options = DeepLabSegmenter.defaultOptions) throws {
        try self.init(model: TFLiteModel(contentsOf: modelPath), options: options)
    }

    public init(model: TFLiteModel, options: TFLiteInterpreter.Options = DeepLabSegmenter.defaultOptions) throws {
        let graph = model.subgraphs[0]
        guard graph.inputs.count == 1, graph.outputs.count >= 1 else {
            throw TFLiteError.invalidGraph(model: model.name, detail: "expected one input and an output")
        }
        // The class scores: the graph output, or the input of the ARG_MAX that produces it.
        var scores = graph.outputs[0]
        if let argMax = graph.operators.first(where: { $0.outputs.contains(scores) }),
           model.code(of: argMax).builtin == .argMax, let first = argMax.inputs.first, first >= 0 {
            scores = first
        }
        // Walk back over the bilinear upsampling that feeds the ARG_MAX (DeepLab: 33² → 33² → 513²).
        var upsampling = [(rows: ResizeMapping, columns: ResizeMapping)]()
        while let resize = graph.operators.first(where: { $0.outputs.contains(scores) }),
              model.code(of: resize).builtin == .resizeBilinear, let source = resize.inputs.first, source >= 0,
              graph.tensors[source].shape.count == 4, graph.tensors[scores].shape.count == 4 {
            let from = graph.tensors[source].shape, to = graph.tensors[scores].shape
            let align = try resize.builtinOptions?.bool(2) ?? false, half = try resize.builtinOptions?.bool(3) ?? false
            upsampling.insert((ResizeMapping(inSize: from[1], outSize: to[1], alignCorners: align, halfPixelCenters: half),
                               ResizeMapping(inSize: from[2], outSize: to[2], alignCorners: align, halfPixelCenters: half)),
                              at: 0)
            scores = source
        }
        self.upsampling = upsampling
        let input = graph.tensors[graph.inputs[0]].shape, output = graph.tensors[scores].shape
        guard input.count == 4, input[0] == 1, input[3] == 3, input[1] > 0, input[2] > 0 else {
            throw TFLiteError.invalidGraph(model: model.name, detail: "input shape \(input), expected [1, H, W, 3]")
        }
        guard output.count == 4, output[0] == 1, output[1] > 0, output[2] > 0, (2...255).contains(output[3]) else {
            throw TFLiteError.invalidGraph(model: model.name, detail: "class score shape \(output), expected [1, H, W, classes]")
        }
        interpreter = try TFLiteInterpreter(model: model, outputs: [scores], options: options)
        inputHeight = input[1]; inputWidth = input[2]
        scoresHeight = output[1]; scoresWidth = output[2]
        classCount = output[3]
    }

    /// The model's input for `image`: resized to the input size, RGB, 8-bit, mapped to the input's real
    /// values. Gray images are expanded to RGB and alpha is dropped.
    public func inputValues(for image: Image) throws -> [Float] {
        let rgb = image.colorChannels == 3 && !image.hasAlpha ? image : image.toRGB()
        let resized = try rgb.resized(width: inputWidth, height: inputHeight)
        let tensor = interpreter.model.subgraphs[0].tensors[interpreter.inputTensor]
        var scale: Float = 1.0 / 128, zeroPoint: Float = 128
        if let q = tensor.quantization, q.scale.count == 1, tensor.type == .uint8 {
            scale = q.scale[0]; zeroPoint = Float(q.zeroPoint[0])
        }
        return resized.pixels.map { v in scale * ((min(max(v, 0), 1) * 255).rounded() - zeroPoint) }
    }

    /// The raw class scores (logits) of `image` at the model's resolution, `[1, H, W, classes]`.
    public func classScores(for image: Image) throws -> NHWCTensor {
        try interpreter.run(input: inputValues(for: image))[0]
    }

    /// Segments `image`: labels and probabilities at the image's own size.
    public func segment(_ image: Image) throws -> SegmentationResult {
        try segment(image, width: image.width, height: image.height)
    }

    /// Segments `image` with labels and probabilities at `width × height` (e.g. the model's input size,
    /// where the labels are exactly the argmax the graph itself would compute).
    public func segment(_ image: Image, width: Int, height: Int) throws -> SegmentationResult {
        guard image.width > 0, image.height > 0 else {
            throw ImagingError.invalidSize(width: image.width, height: image.height)
        }
        guard width > 0, height > 0 else { throw ImagingError.invalidSize(width: width, height: height) }
        let scores = try classScores(for: image)
        // Frame pixel → position on the model's output grid (half-pixel centres, as the frame was resized
        // to the input), then back through the graph's own upsampling to the score grid.
        let outputHeight = upsampling.last?.rows.outSize ?? scoresHeight
        let outputWidth = upsampling.last?.columns.outSize ?? scoresWidth
        func positions(_ count: Int, _ grid: Int, _ mappings: [ResizeMapping]) -> [Double] {
            (0..<count).map { d in
                var u = min(max((Double(d) + 0.5) * Double(grid) / Double(count) - 0.5, 0), Double(grid - 1))
                for m in mappings.reversed() { u = m.source(of: u) }
                return u
            }
        }
        let ys = SamplingAxis(positions: positions(height, outputHeight, upsampling.map(\.rows)), size: scoresHeight)
        let xs = SamplingAxis(positions: positions(width, outputWidth, upsampling.map(\.columns)), size: scoresWidth)
        return DeepLabSegmenter.scale(scores: scores, width: scoresWidth, classes: classCount, rows: ys, columns: xs)
    }

    /// Bilinear interpolation of NHWC class scores at the sampling positions `rows` × `columns`, then a
    /// softmax and an argmax per pixel. The probabilities are written straight into their per-class
    /// arrays; the exponentials use `denseCRFExp` (relative error ≲ 4e-6, in a loop the compiler
    /// vectorizes) instead of one `expf` call per class and pixel. The labels come from the interpolated
    /// scores, so they do not depend on the exponential.
    static func scale(scores: NHWCTensor, width: Int, classes: Int, rows ys: SamplingAxis,
                      columns xs: SamplingAxis) -> SegmentationResult {
        let toWidth = xs.lower.count, toHeight = ys.lower.count
        let pixels = toWidth * toHeight
        var labels = [UInt8](repeating: 0, count: pixels)
        // Every element is written below.
        var probabilities = (0..<classes).map { _ in [Float](unsafeUninitializedCapacity: pixels) { _, c in c = pixels } }
        probabilities.withUnsafeMutableBufferPointer { arrays in
            var pointers = [UnsafeMutablePointer<Float>]()
            withPlanes(arrays, &pointers) { planes in
                scores.data.withUnsafeBufferPointer { sb in
                    labels.withUnsafeMutableBufferPointer { lb in
                        let s = sb.baseAddress!, l = lb.baseAddress!
                        ParallelLoop.forEachChunk(count: toHeight) { rows in
                            let v = UnsafeMutablePointer<Float>.allocate(capacity: classes)
                            defer { v.deallocate() }
                            for y in rows {
                                let r0 = s + ys.lower[y] * width * classes, r1 = s + ys.upper[y] * width * classes
                                let fy = ys.weight[y]
                                for x in 0..<toWidth {
                                    let c0 = xs.lower[x] * classes, c1 = xs.upper[x] * classes, fx = xs.weight[x]
                                    var best = 0
                                    var top = -Float.infinity
                                    for k in 0..<classes {
                                        let a = r0[c0 + k] + (r0[c1 + k] - r0[c0 + k]) * fx
                                        let b = r1[c0 + k] + (r1[c1 + k] - r1[c0 + k]) * fx
                                        let value = a + (b - a) * fy
                                        v[k] = value
                                        if value > top { top = value; best = k }
                                    }
                                    for k in 0..<classes { v[k] = denseCRFExp(v[k] - top) }
                                    var sum: Float = 0
                                    for k in 0..<classes { sum += v[k] }
                                    let inv = 1 / sum
                                    let i = y * toWidth + x
                                    for k in 0..<classes { planes[k][i] = v[k] * inv }
                                    l[i] = UInt8(best)
                                }
                            }
                        }
                    }
                }
            }
        }
        return SegmentationResult(width: toWidth, height: toHeight, classCount: classes, labels: labels,
                                  probabilities: probabilities)
    }
}

/// Calls `body` with the base addresses of all of `arrays` (from `index` on, appended to `pointers`), each
/// held by its own `withUnsafeMutableBufferPointer` for the duration of the call.
private func withPlanes(_ arrays: UnsafeMutableBufferPointer<[Float]>, _ pointers: inout [UnsafeMutablePointer<Float>],
                        from index: Int = 0, _ body: ([UnsafeMutablePointer<Float>]) -> Void) {
    if index == arrays.count { return body(pointers) }
    arrays[index].withUnsafeMutableBufferPointer { b in
        pointers.append(b.baseAddress!)
        withPlanes(arrays, &pointers, from: index + 1, body)
    }
}

/// Linear sampling of a grid of `size` samples at given (clamped) positions: for each position the two
/// neighbouring indices and the weight of the second.
struct SamplingAxis {
    let lower: [Int]
    let upper: [Int]
    let weight: [Float]

    init(positions: [Double], size: Int) {
        var lower = [Int](), upper = [Int](), weight = [Float]()
        for p in positions {
            let u = min(max(p, 0), Double(size - 1))
            let l = Int(u.rounded(.down))
            lower.append(l)
            upper.append(min(l + 1, size - 1))
            weight.append(Float(u - Double(l)))
        }
        self.lower = lower
        self.upper = upper
        self.weight = weight
    }
}

/// The coordinate mapping of one RESIZE_BILINEAR axis (TFLite conventions, see `BilinearAxis`): which
/// input position an output position samples.
struct ResizeMapping {
    let inSize: Int
    let outSize: Int
    let alignCorners: Bool
    let halfPixelCenters: Bool

    func source(of u: Double) -> Double {
        let scale = alignCorners && outSize > 1 ? Double(inSize - 1) / Double(outSize - 1) : Double(inSize) / Double(outSize)
        let v = halfPixelCenters ? (u + 0.5) * scale - 0.5 : u * scale
        return min(max(v, 0), Double(inSize - 1))
    }
}
