import Engine
import Protocol

/// Serialized style targets of one scale, named by the SHA-256 of their bytes.
public struct SerializedStyleTargets: Sendable, Equatable {
    /// The scale's longer side in pixels.
    public var scaleSize: Int
    public var bytes: [UInt8]
    public var sha256: String
}

/// Computes a job's style targets (blended Gram matrices) exactly as `StyleTransfer.stylize` does at each
/// scale, so the coordinator or the first worker can compute them once and every task can reuse them.
public struct StyleTargetsProvider {
    public let host: VGGCache

    public init(host: VGGCache) {
        self.host = host
    }

    /// Style images decoded from blob bytes; `names` label decoding errors.
    public static func decodeStyles(_ blobs: [[UInt8]], names: [String]) throws -> [Image] {
        try zip(blobs, names).map { bytes, name in
            do {
                return try Plate.decode(bytes: bytes, name: name).working
            } catch let error as ImageIOError {
                throw TaskExecutionError.badInput(input: name, reason: error.description)
            }
        }
    }

    /// The targets of every scale of `parameters.scaleSizes`, coarse to fine.
    public func targets(parameters: StyleTransferParameters, styles: [Image]) throws -> [StyleTargets] {
        do {
            try parameters.validate(styleCount: styles.count)
        } catch StyleTransferError.invalidParameter(let m) {
            throw TaskExecutionError.invalidParameters(m)
        }
        for (i, style) in styles.enumerated() where style.width == 0 || style.height == 0 {
            throw TaskExecutionError.badInput(input: "style \(i)", reason: "the image is empty")
        }
        let vgg = try host.vgg(parameters.network, pooling: parameters.pooling)
        return try StyleTransfer(vgg: vgg).styleTargets(styles: styles, parameters: parameters)
    }

    public func serializedTargets(parameters: StyleTransferParameters, styles: [Image]) throws -> [SerializedStyleTargets] {
        try zip(parameters.scaleSizes, targets(parameters: parameters, styles: styles)).map { size, targets in
            let bytes = try targets.serialized()
            return SerializedStyleTargets(scaleSize: size, bytes: bytes, sha256: BlobName.of(bytes))
        }
    }
}
