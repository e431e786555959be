/// MediaPipe's selfie segmentation model (person vs background): the frame is resized to the model's
/// 256×256 input as RGB in [0, 1]; the graph ends in a sigmoid, so its single output channel is the
/// person probability, which is interpolated back to the frame size. The result has two classes,
/// 0 background and 1 person.
public final class SelfieSegmenter: @unchecked Sendable {
    public let interpreter: TFLiteInterpreter
    public let inputWidth: Int
    public let inputHeight: Int

    public convenience init(modelPath: String) throws {
        try self.init(model: try TFLiteModel(contentsOf: modelPath))
    }

    public init(model: TFLiteModel) throws {
        interpreter = try TFLiteInterpreter(model: model)
        let shape = interpreter.inputShape
        guard shape.count == 4, shape[0] == 1, shape[3] == 3, shape[1] > 0, shape[2] > 0 else {
            throw TFLiteError.invalidGraph(model: model.name, detail: "input shape \(shape), expected [1, H, W, 3]")
        }
        let out = interpreter.outputShape(0)
        guard out.count == 4, out[3] == 1 else {
            throw TFLiteError.invalidGraph(model: model.name, detail: "output shape \(out), expected [1, H, W, 1]")
        }
        inputHeight = shape[1]
        inputWidth = shape[2]
    }

    /// Person probability of every pixel of `image`, at the image's size.
    public func segment(_ image: Image) throws -> SegmentationResult {
        guard image.width > 0, image.height > 0 else {
            throw ImagingError.invalidSize(width: image.width, height: image.height)
        }
        let input = try image.toRGB().resized(width: inputWidth, height: inputHeight)
        let scores = try interpreter.run(input: input.pixels)[0]
        let shape = interpreter.outputShape(0)
        let small = Image(width: shape[2], height: shape[1], channels: 1,
                          pixels: scores.data.map { min(max($0, 0), 1) })
        let person = try small.resized(width: image.width, height: image.height).pixels.map { min(max($0, 0), 1) }
        return SegmentationResult(width: image.width, height: image.height, probabilities: [person.map { 1 - $0 }, person])
    }
}
