import Foundation

/// Makes a frame's region masks from a `RegionSource`: runs the segmentation network (and the dense CRF)
/// on the frame, or reads the matte / ID map. One maker serves every frame of a job; the network is
/// loaded once.
public final class RegionMaskMaker: @unchecked Sendable {
    public let source: RegionSource
    /// CRF refinement of network probabilities (nil: the network's softmax as is), with its positional
    /// kernels scaled to the frame's size (`DenseCRFParameters.scaled(forLongerSide:)`).
    public let crf: DenseCRFParameters?
    private let deeplab: DeepLabSegmenter?
    private let selfie: SelfieSegmenter?
    private let limits: ImageLimits
    /// The `--region` names a Cryptomatte source makes masks for (its manifest has one name per object).
    public var regionNames: [String] = []

    /// `modelPath` is the installed model file for network sources (`SegmentationModels.installedURL`),
    /// ignored otherwise.
    public init(source: RegionSource, modelPath: String?, crf: DenseCRFParameters? = DenseCRFParameters(),
                limits: ImageLimits = ImageLimits()) throws {
        self.source = source
        self.crf = crf
        self.limits = limits
        switch source {
        case .deeplab, .deeplabSmall:
            guard let modelPath else { throw RegionError.invalidSpecification("--segment \(source) needs its model file") }
            deeplab = try DeepLabSegmenter(modelPath: modelPath)
            selfie = nil
        case .selfie:
            guard let modelPath else { throw RegionError.invalidSpecification("--segment selfie needs its model file") }
            selfie = try SelfieSegmenter(modelPath: modelPath)
            deeplab = nil
        case .matte, .ids, .cryptomatte:
            deeplab = nil
            selfie = nil
        }
    }

    /// The masks of `original` (the frame as read) at `width`×`height` (the output size). The network
    /// and the CRF run on the frame scaled to that size; a matte or ID map must match the original's size
    /// and is then scaled (ID maps keep hard edges only at the original size). `maskPath` overrides the
    /// source's matte / ID map path (a sequence has one per frame).
    public func masks(for original: Image, width: Int, height: Int, maskPath: String? = nil) throws -> RegionMasks {
        guard width > 0, height > 0 else { throw ImagingError.invalidSize(width: width, height: height) }
        switch source {
        case .deeplab, .deeplabSmall, .selfie:
            let frame = try original.toRGB().resized(width: width, height: height)
            var result = try deeplab?.segment(frame) ?? selfie!.segment(frame)
            if let crf {
                let parameters = crf.scaled(forLongerSide: max(width, height))
                result = try result.refined(image: frame, parameters: parameters)
            }
            let names = deeplab != nil ? PascalVOCClasses.names : ["background", "person"]
            return RegionMasks(segmentation: result, classNames: names)
        case .matte(let path):
            let file = maskPath ?? path
            return try RegionMasks(matte: try ImageReader.read(path: file, limits: limits), source: "matte \(file)",
                                   width: original.width, height: original.height).resized(width: width, height: height)
        case .ids(let path):
            let file = maskPath ?? path
            return try RegionMasks(idMap: try ImageReader.read(path: file, limits: limits), source: "ID map \(file)",
                                   width: original.width, height: original.height).resized(width: width, height: height)
        case .cryptomatte:
            guard let file = maskPath else {
                throw RegionError.invalidSpecification("--segment \(source) reads the Cryptomatte of the OpenEXR content frame; its path is needed")
            }
            let masks = try RegionMasks.cryptomatte(exr: try FileBytes.readFile(path: file, maxBytes: max(0, limits.maxFileBytes)),
                                                    selector: source.description, names: regionNames, source: file, limits: limits)
            guard masks.width == original.width, masks.height == original.height else {
                throw RegionError.maskSizeMismatch(source: "Cryptomatte of \(file)", width: masks.width, height: masks.height,
                                                   expectedWidth: original.width, expectedHeight: original.height)
            }
            return try masks.resized(width: width, height: height)
        }
    }
}
