import Engine
import Protocol
import Foundation

/// Computes a job's style targets once, on the coordinator, and keeps them as content-addressed blobs
/// in `<state>/blobs/<sha256>`: one serialized `StyleTargets` (blended Gram matrices) per scale, coarse
/// to fine. Every task of the job names these blobs (`TaskAssignment.style_target_hashes`), so every
/// frame is matched against exactly the same targets, whichever worker renders it.
///
/// Targets are memoized by `StyleTargetKey` (style bytes + the parameters that shape them), so jobs
/// sharing a look share the blobs. Computing needs the VGG weights: the coordinator is given an
/// `VGGCache` (its own model store); without one, stylize jobs are refused with an actionable error.
/// The computation runs at submit time on the submission thread (`JobSubmission`), not on the loop: a few
/// hundred milliseconds per scale at 512 px, seconds at 2K. A job (without regions) whose style images,
/// scaled to its output, exceed one pass is not computed here: the workers sum its parts (`StyleGramPart`) and
/// the coordinator only combines them (CoordinatorServer+StyleGrams.swift) and `store`s the result.
///
/// Used from the loop (serving blobs, combining workers' parts) and from the submission thread (computing a
/// new job's targets): the memo is locked, and blobs are content-addressed files written atomically, so two
/// threads computing the same targets write the same file.
final class StyleTargetsStore: @unchecked Sendable {
    enum StoreError: Error, CustomStringConvertible {
        case noEngine
        case unreadableStyle(path: String, reason: String)
        case write(path: String, reason: String)

        var description: String {
            switch self {
            case .noEngine:
                return "this coordinator has no VGG weights to compute style targets with; run `stylefarm models install` on the coordinator's machine (or start it with --model-dir)"
            case .unreadableStyle(let path, let reason):
                return "cannot read style image \(path): \(reason)"
            case .write(let path, let reason):
                return "cannot store style targets in \(path): \(reason)"
            }
        }
    }

    let directory: URL
    let host: VGGCache?
    private var memo: [StyleTargetKey: [String]] = [:]
    private let memoLock = NSLock()

    init(directory: URL, host: VGGCache?) {
        self.directory = directory
        self.host = host
    }

    /// The path of blob `sha256` in this store.
    func path(of sha256: String) -> String { directory.appendingPathComponent(sha256).path }

    /// Whether every blob in `hashes` is on disk.
    func contains(_ hashes: [String]) -> Bool {
        hashes.allSatisfy { FileManager.default.fileExists(atPath: path(of: $0)) }
    }

    /// The targets' blob hashes for `stylePaths` under `parameters`, one per scale (computed and
    /// written on first use of a key).
    func targets(stylePaths: [String], parameters: StyleTransferParameters, key: StyleTargetKey) throws -> [String] {
        if let known = known(key) { return known }
        guard let host else { throw StoreError.noEngine }
        let styles = try stylePaths.map { path -> Image in
            do { return try Plate.read(path: path).working } catch {
                throw StoreError.unreadableStyle(path: path, reason: "\(error)")
            }
        }
        let vgg = try host.vgg(parameters.network, pooling: parameters.pooling)
        let perScale = try StyleTransfer(vgg: vgg).styleTargets(styles: styles, parameters: parameters)
        let hashes = try perScale.map { try write(try $0.serialized()) }
        remember(hashes, for: key)
        return hashes
    }

    /// The targets of every style set of a region job, in `RegionStyleLayout` order, one blob list per set:
    /// set 0 is the job's own `stylePaths` blended (when there are any, as `targets(stylePaths:…)`), then one
    /// set per region style image, alone (blend weight 1, as `stylefarm stylize --region` computes them).
    /// Each set is memoized by its own key, so jobs sharing a region style share its blobs.
    func regionTargets(stylePaths: [String], layout: RegionStyleLayout,
                       parameters: StyleTransferParameters) throws -> [[String]] {
        var sets: [[String]] = []
        if !stylePaths.isEmpty {
            let key = try StyleTargetKey.load(stylePaths: stylePaths, parameters: parameters)
            sets.append(try targets(stylePaths: stylePaths, parameters: parameters, key: key))
        }
        // A single image with equal blend: the job's own blend weights belong to set 0 only.
        var single = parameters
        single.styleBlendWeights = []
        for path in layout.regionStylePaths {
            let key = try StyleTargetKey.load(stylePaths: [path], parameters: single)
            sets.append(try targets(stylePaths: [path], parameters: single, key: key))
        }
        return sets
    }

    /// The blobs of `key` when this store has them all (computed here or combined from a farm's parts).
    func known(_ key: StyleTargetKey) -> [String]? {
        guard let hashes = memoLock.withLock({ memo[key] }), contains(hashes) else { return nil }
        return hashes
    }

    /// Remembers `hashes` (one per scale) as the targets of `key`, so later jobs with that look reuse them.
    func remember(_ hashes: [String], for key: StyleTargetKey) { memoLock.withLock { memo[key] = hashes } }

    /// Stores targets combined elsewhere (from the workers' `GramSums`) as a blob; returns its hash.
    func store(_ targets: StyleTargets) throws -> String { try write(try targets.serialized()) }

    /// Stores the text of a job's baked OpenColorIO conversion as a blob (workers fetch it like style targets); returns
    /// its hash.
    func store(conversion ctf: String) throws -> String { try write(Array(ctf.utf8)) }

    /// Writes `bytes` as a blob (atomically, `FileBytes.writeAtomically`) and returns its SHA-256.
    private func write(_ bytes: [UInt8]) throws -> String {
        let sha = BlobName.of(bytes)
        let target = path(of: sha)
        if FileManager.default.fileExists(atPath: target) { return sha }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileBytes.writeAtomically(bytes, to: target)
        } catch {
            throw StoreError.write(path: target, reason: "\(error)")
        }
        return sha
    }
}
