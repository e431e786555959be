import Engine
import Foundation
import Protocol

/// The last frame's region masks a worker made for tiles, so the other tiles of that frame that land on
/// this worker crop the same masks instead of segmenting the frame again.
final class TileMaskCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entry: (key: String, masks: RegionMasks)?

    func masks(key: String, make: () throws -> RegionMasks) throws -> RegionMasks {
        if let hit = lock.withLock({ entry?.key == key ? entry?.masks : nil }) { return hit }
        let made = try make()
        lock.withLock { entry = (key, made) }
        return made
    }
}

/// What a tile task renders, ready for the engine: the crop of the content (and of the start image) at
/// the task's scale, and parameters for a one-scale run at the crop's own size.
struct TileWork {
    var rect: PixelRect
    var scaleWidth: Int
    var scaleHeight: Int
    /// The content frame scaled to the scale's frame size, cropped to `rect`.
    var content: Image
    var parameters: StyleTransferParameters
    /// The previous step's assembled frame (previous scale or round), scaled and cropped the same way
    /// (nil at the first step).
    var initial: Image?
    /// Exact tiles after the first round: the Gram sums of the frame `initial` was cropped from.
    var frameGrams: GramSums?
}

extension TaskExecutor {
    /// The tile of a STYLIZE task with `tile` set (issue 7), else nil. The content is scaled to the frame
    /// size of the task's scale (`tile.scale_width × scale_height`), exactly as an untiled run scales it, and
    /// cropped to `region`; the run is one scale at the crop's size with the scale's style targets, so the
    /// tile's pixels line up with the whole frame's.
    func tileWork(_ task: Stylefarm_V1_TaskAssignment, content: Image, parameters: StyleTransferParameters,
                  frame: String) throws -> TileWork? {
        guard task.hasTile else { return nil }
        let sw = Int(task.tile.scaleWidth), sh = Int(task.tile.scaleHeight)
        let rect = PixelRect(x: Int(task.region.x), y: Int(task.region.y), width: Int(task.region.width), height: Int(task.region.height))
        guard sw > 0, sh > 0, rect.width > 0, rect.height > 0, rect.maxX <= sw, rect.maxY <= sh else {
            throw TaskExecutionError.invalidParameters("\(frame): tile \(rect) does not lie inside the \(sw)x\(sh) frame of its scale")
        }
        let setCounts = task.styleTargetHashes.isEmpty ? task.regionStyleTargets.map(\.hashes.count) : [task.styleTargetHashes.count]
        guard !setCounts.isEmpty, setCounts.allSatisfy({ $0 == 1 }) else {
            throw TaskExecutionError.invalidParameters("\(frame): a tile task needs exactly one style-target blob per style set (its scale's)")
        }
        var p = parameters
        p.scales = 1
        p.size = max(rect.width, rect.height)
        do {
            let crop = try content.toRGB().resized(width: sw, height: sh)
                .cropped(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
            var initial: Image? = nil
            if !task.tile.initial.sha256.isEmpty {
                let previous = try decodeResult(try fetch(task.tile.initial.sha256, role: "previous scale's frame"),
                                                name: "\(frame) previous scale", task: task)
                initial = try previous.toRGB().resized(width: sw, height: sh)
                    .cropped(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
            }
            var frameGrams: GramSums? = nil
            if !task.tile.frameGrams.sha256.isEmpty {
                guard initial != nil else {
                    throw TaskExecutionError.invalidParameters("\(frame): a tile with frame statistics needs the frame they were taken from (initial)")
                }
                let bytes = try fetch(task.tile.frameGrams.sha256, role: "frame statistics")
                do {
                    frameGrams = try GramSums(serialized: bytes)
                } catch {
                    throw TaskExecutionError.badInput(input: "\(frame) frame statistics", reason: "\(error)")
                }
            }
            return TileWork(rect: rect, scaleWidth: sw, scaleHeight: sh, content: crop, parameters: p, initial: initial,
                            frameGrams: frameGrams)
        } catch let error as TaskExecutionError {
            throw error
        } catch let error as BlobStoreError {
            throw error
        } catch {
            throw TaskExecutionError.engine("\(frame): cropping tile \(rect): \(error)")
        }
    }

    /// A tile's temporal terms (issue 6 × 7): the whole frame's (`temporal`) cropped to the tile at its scale's
    /// frame size, and the start point: the previous step's assembled frame after a group's first step (then
    /// no warped initialization), else what the whole frame would start from, cropped (the warped neighbour,
    /// or a multipass sweep's blended start).
    func tileTemporal(_ temporal: TemporalTargets?, tile: TileWork, frame: String) throws -> TemporalTargets? {
        var cropped: TemporalTargets? = nil
        if let temporal {
            do {
                cropped = try temporal.cropped(frameWidth: tile.scaleWidth, frameHeight: tile.scaleHeight, to: tile.rect)
            } catch {
                throw TaskExecutionError.engine("\(frame): cropping the temporal terms to tile \(tile.rect): \(error)")
            }
        }
        guard let initial = tile.initial else { return cropped }
        var started = cropped ?? TemporalTargets(targets: [], weight: 0)
        started.initialImage = initial
        started.initializeFromWarped = false
        return started
    }

    /// Exact tiles: `targets` shared with the frame (`SharedGramTargets`): moved by this tile's Gram matrices at
    /// its start image minus the frame's. The tile's sums come from the crop alone, as the optimization sees it.
    func sharedTargets(_ targets: StyleTargets, tile: TileWork, vgg: VGG) throws -> StyleTargets {
        guard let frameGrams = tile.frameGrams, let initial = tile.initial else { return targets }
        let start = VGGPreprocessing.tensor(from: initial.toRGB())
        let own = try GramSums.compute(vgg: vgg, style: start, layerNames: targets.layers.map(\.name),
                                       core: GramSums.wholeImageCore(width: start.width, height: start.height), cores: 0..<1)
        return try SharedGramTargets.tileTargets(targets, frame: frameGrams, tile: own)
    }

    /// Longest side at which a tiled frame is segmented: the network sees at most 513 px anyway, and the
    /// CRF at this size stays within a tile's memory budget; the masks are then scaled to the frame.
    static let tileSegmentationSide = 1024

    /// A tile's region masks: the whole frame's masks (made once per frame and set of temporal neighbours on
    /// this worker, at most `tileSegmentationSide` long; `make` also stabilizes them), scaled to the scale's
    /// frame size and cropped to the tile, so a region is the same region in every tile. Only the masks the assignments name are scaled (`RegionPlan` reads
    /// no others): DeepLab gives 22, which at 4096×2160 would be 780 MB per tile.
    func tileMasks(_ task: Stylefarm_V1_TaskAssignment, tile: TileWork, fullContent: Image,
                   make: (_ content: Image, _ width: Int, _ height: Int) throws -> RegionMasks) throws -> RegionMasks {
        let (w, h) = try Image.size(scaling: tile.scaleWidth, tile.scaleHeight,
                                    toLongerSide: min(Self.tileSegmentationSide, max(tile.scaleWidth, tile.scaleHeight)))
        // Stabilized masks depend on the temporal neighbours too (their masks and flows).
        let neighbours = task.temporal.neighbours.map {
            [$0.flow.sha256, $0.content.sha256, $0.contentPath, $0.regionMask.sha256, $0.regionMaskPath].joined(separator: ",")
        }
        let key = ([task.jobID, String(task.frameIndex), task.content.sha256, task.regionMask.sha256, task.regionMaskPath,
                    "\(w)x\(h)"] + neighbours).joined(separator: "|")
        let frameMasks = try tileMaskCache.masks(key: key) { try make(fullContent, w, h) }
        do {
            return try Self.assignedMasks(frameMasks, names: task.regions.regions.map(\.name))
                .resized(width: tile.scaleWidth, height: tile.scaleHeight).cropped(to: tile.rect)
        } catch {
            throw TaskExecutionError.engine("job \(task.jobID) frame \(task.frameIndex): cropping the region masks to tile \(tile.rect): \(error)")
        }
    }

    /// The masks `names` (region assignments) take, as `RegionPlan.resolve` looks them up; `background` /
    /// `rest` take none. All of `masks` when some name has no mask, so the plan reports it as it would.
    static func assignedMasks(_ masks: RegionMasks, names: [String]) -> RegionMasks {
        var named: [(String, [Float])] = []
        for name in names {
            let key = masks.canonicalName(name) ?? name.lowercased()
            if key == "background" || key == "rest" || named.contains(where: { $0.0 == key }) { continue }
            guard let mask = masks.mask(named: key) else { return masks }
            named.append((key, mask))
        }
        return RegionMasks(width: masks.width, height: masks.height, named: named)
    }
}
