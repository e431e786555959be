import Crypto
import Engine
import Foundation

/// The identity of a job's style targets (the blended Gram matrices): a SHA-256 over everything
/// that determines them, so the coordinator computes targets once per job and every task refers to
/// them by this key (and a cache can share them between jobs with equal keys).
///
/// Included, in this order, after a version tag (`stylefarm.style-targets.v1`):
/// - each style image's bytes (its SHA-256), in order — different images give different Grams;
/// - the blend weights, normalized to sum 1 (so `[1, 1]` and `[0.5, 0.5]` agree, as in the engine);
/// - `network` and `pooling` — the features the Grams are taken of;
/// - `size`, `scales` and `style_scale` — the style image is resized per scale to
///   `style_scale × (size / 2^k)`, and Grams depend on that resolution;
/// - the style layer *names*, in order — which activations have targets.
///
/// Excluded, because they do not change the targets: style layer weights (they scale the loss, not
/// the Gram), content/style/TV weights, content layers, iterations, optimizer, initialization,
/// seed, original colors (applied to the result, not the styles) and everything about the content.
/// `weightsIdentity` lets the caller mix in the installed VGG weights' identity (e.g. the weight
/// file's checksum) so that re-installed weights do not reuse stale targets.
public struct StyleTargetKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 64 lowercase hex digits.
    public let hex: String

    /// The key of `styleImages` (encoded file bytes, in job order) under `parameters`.
    public init<Bytes: Collection>(styleImages: [Bytes], parameters: StyleTransferParameters,
                                   weightsIdentity: String = "") where Bytes.Element == UInt8 {
        var hasher = SHA256()
        func field(_ tag: String, _ bytes: [UInt8]) {
            // Tag and length prefix make the encoding unambiguous.
            hasher.update(data: Array(tag.utf8)); hasher.update(data: [UInt8(0)])
            hasher.update(data: Self.bytes(of: UInt64(bytes.count))); hasher.update(data: bytes)
        }
        field("version", Array("stylefarm.style-targets.v1".utf8))
        field("styles", Self.bytes(of: UInt64(styleImages.count)))
        for image in styleImages {
            field("style", Array(SHA256.hash(data: Array(image))))
        }
        let blend = parameters.normalizedBlendWeights(styleCount: styleImages.count)
        field("blend", blend.flatMap { Self.bytes(of: UInt64($0.bitPattern)) })
        field("network", Array(parameters.network.rawValue.utf8))
        field("pooling", Array(parameters.pooling.rawValue.utf8))
        field("size", Self.bytes(of: UInt64(bitPattern: Int64(parameters.size))))
        field("scales", Self.bytes(of: UInt64(bitPattern: Int64(parameters.scales))))
        field("style_scale", Self.bytes(of: UInt64(parameters.styleScale.bitPattern)))
        field("style_layers", Array(parameters.styleLayers.map(\.name).joined(separator: ",").utf8))
        field("weights", Array(weightsIdentity.utf8))
        hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Reads the style images at `paths` and computes their key. Throws if a file cannot be read.
    public static func load(stylePaths paths: [String], parameters: StyleTransferParameters,
                            weightsIdentity: String = "", fileManager: FileManager = .default) throws -> StyleTargetKey {
        let images = try paths.map { path -> Data in
            guard let data = fileManager.contents(atPath: path) else { throw StyleTargetKeyError.unreadableStyle(path: path) }
            return data
        }
        return StyleTargetKey(styleImages: images, parameters: parameters, weightsIdentity: weightsIdentity)
    }

    public var description: String { hex }

    /// A key read back from the store (the coordinator re-plans stored jobs).
    init(hex: String) { self.hex = hex }

    private static func bytes(of value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}

/// Why a style-target key could not be computed.
public enum StyleTargetKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadableStyle(path: String)
    public var description: String {
        switch self {
        case .unreadableStyle(let path): return "cannot read style image \(path); check the styles paths in the job spec"
        }
    }
}
