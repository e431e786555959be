import Engine
import Foundation
import JobModel
import Protocol

/// A tile's accepted result on its way into its frame (docs/ARCHITECTURE.md "Tiles"): everything the
/// reassembly thread needs, gathered on the loop so that thread never touches the store or the plan.
struct TileArrival: Sendable {
    /// A tile result already kept under `<state>/intermediate/`.
    struct Landed: Sendable, Equatable {
        var tileIndex: Int
        var path: String
    }

    /// Where the assembled frame goes when this assembly is a frame's final render.
    struct Output: Sendable, Equatable {
        var path: String
        var bitDepth: Int
        /// The frame as logs name it (its number in the sequence).
        var frameName: Int
        /// An OpenEXR output: how it is written, and the content plate (its path and how it is read) whose colour
        /// space, alpha and other layers it takes. Nil: a PNG of the working space at `bitDepth`.
        var exr: EXROutput? = nil
        /// The frame's provenance (``Provenance/attributes``): OpenEXR header strings or PNG text.
        var attributes: [String: String] = [:]
    }

    struct EXROutput: Sendable, Equatable {
        var encoding: FrameEncoding
        var platePath: String
        var plate: PlateSettings
    }

    /// `CoordinatorServer.assemblyKey`: one frame at one scale, round and render step.
    var key: String
    var taskID: String
    var jobID: String
    var attempt: Int
    var frameIndex: Int
    var tileIndex: Int
    /// The tile result's hash: the task's completion names it.
    var sha: String
    /// The encoded tile when the loop still holds it; else it is read from `path`.
    var bytes: Data?
    var path: String
    var layout: TileLayout
    /// The tiles of this assembly the store already has as completed (other than this one), sent when the loop
    /// does not know the assembly to be open (its first tile here, or after a restart); nil otherwise.
    var landed: [Landed]?
    /// Keep the assembled frame as a 16-bit intermediate: an earlier step, or a render that other tasks start
    /// from, are pulled toward or blend.
    var keep: Bool
    var output: Output?
}

/// What became of a `TileArrival`, handed back to the loop.
struct TileLanding: Sendable, Equatable {
    var key: String
    var taskID: String
    var jobID: String
    var attempt: Int
    var frameIndex: Int
    var sha: String
    /// Why the tile could not be used (it is retried); nil when it was added.
    var failure: String?
    /// The assembly is no longer open on the reassembly thread (finished, or dropped after a failure): the
    /// loop sends the store's landed tiles with the next tile of this key.
    var closed: Bool = false
    /// The hash of the assembled frame kept as an intermediate (`TileArrival.keep`).
    var keptSHA: String?
    /// The hash of the frame written to its output path.
    var frameSHA: String?
    /// How many tiles the finished frame was made of.
    var tiles: Int = 0
}

/// The open tile assemblies and what to do with a tile that lands: decode it, blend it into its frame, and
/// when it is the last, encode the frame and write it (its output, or a kept intermediate). It reads and
/// writes files but holds no socket and no store, so the coordinator runs it on a thread of its own
/// (a 4096×2160 frame is about a second of PNG encoding the loop must not wait for) and tests drive it
/// directly.
struct TileReassembly: Sendable {
    /// Where kept assemblies go: `<directory>/<sha256>` (the coordinator's `<state>/intermediate`).
    let intermediateDirectory: URL
    private var open: [String: TileAssembler] = [:]

    init(intermediateDirectory: URL) { self.intermediateDirectory = intermediateDirectory }

    /// The keys of the assemblies waiting for more tiles.
    var openKeys: Set<String> { Set(open.keys) }

    /// Bytes of tile pixels the open assemblies hold.
    var retainedBytes: Int { open.values.reduce(0) { $0 + $1.retainedBytes } }

    /// Adds the arriving tile to its assembly (opening it from `arrival.landed` when it is not open), and
    /// finishes the frame when it was the last.
    mutating func land(_ arrival: TileArrival) -> TileLanding {
        var landing = TileLanding(key: arrival.key, taskID: arrival.taskID, jobID: arrival.jobID, attempt: arrival.attempt,
                                  frameIndex: arrival.frameIndex, sha: arrival.sha)
        let image: Image
        do {
            if let bytes = arrival.bytes {
                image = try ImageReader.decode(bytes: [UInt8](bytes), name: "tile \(arrival.taskID)").toRGB()
            } else {
                image = try ImageReader.read(path: arrival.path).toRGB()
            }
        } catch {
            landing.failure = "\(error)"
            landing.closed = open[arrival.key] == nil
            return landing
        }
        var assembler: TileAssembler
        if let existing = open[arrival.key] {
            assembler = existing
        } else {
            guard let landed = arrival.landed else {
                // Not open here and no list of what landed before: starting empty would wait forever for tiles
                // that already completed. The tile is retried, and its next arrival brings the list.
                landing.failure = "the assembly of \(arrival.key) is not open on the reassembly thread"
                landing.closed = true
                return landing
            }
            do {
                assembler = try Self.open(layout: arrival.layout, landed: landed.filter { $0.tileIndex != arrival.tileIndex })
            } catch {
                landing.failure = "reopening \(arrival.key) from the tiles that landed before: \(error)"
                landing.closed = true
                return landing
            }
        }
        do {
            if !assembler.hasTile(arrival.tileIndex) { try assembler.add(tile: arrival.tileIndex, image: image) }
        } catch {
            open[arrival.key] = assembler
            landing.failure = "\(error)"
            return landing
        }
        guard assembler.isComplete else {
            open[arrival.key] = assembler
            return landing
        }
        open[arrival.key] = nil
        landing.closed = true
        landing.tiles = arrival.layout.tiles.count
        do {
            let frame = try assembler.image()
            if arrival.keep { landing.keptSHA = try Self.keep(frame, key: arrival.key, in: intermediateDirectory) }
            if let output = arrival.output {
                let bytes: [UInt8]
                if let exr = output.exr {
                    let plate = try Plate.read(path: exr.platePath, colorSpace: exr.plate.colorSpace, layer: exr.plate.layer)
                    bytes = try plate.encode(frame, as: exr.encoding, attributes: output.attributes, name: "frame \(output.path)")
                } else {
                    bytes = try PNGText.inserting(output.attributes, into: [UInt8](try ImageWriter.encodePNG(frame, bitDepth: output.bitDepth, name: "frame \(output.path)")),
                                                  name: "frame \(output.path)")
                }
                try CoordinatorServer.writeFile(bytes, to: output.path)
                landing.frameSHA = BlobName.of(bytes)
            }
        } catch {
            landing.failure = "\(error)"
            landing.keptSHA = nil
            landing.frameSHA = nil
        }
        return landing
    }

    /// An assembly holding the tiles that landed before, read back from their intermediates (a frame reopened
    /// here, or rebuilt on the loop after a restart: `CoordinatorServer.assembledRef`).
    static func open(layout: TileLayout, landed: [TileArrival.Landed]) throws -> TileAssembler {
        var assembler = try TileAssembler(layout: layout, channels: 3)
        for tile in landed where !assembler.hasTile(tile.tileIndex) {
            try assembler.add(tile: tile.tileIndex, image: try ImageReader.read(path: tile.path).toRGB())
        }
        return assembler
    }

    /// Keeps an assembled frame as an intermediate in `directory`, 16-bit so the next step starts from what was
    /// rendered, not from a rounded copy; returns its hash.
    static func keep(_ frame: Image, key: String, in directory: URL) throws -> String {
        let png = [UInt8](try ImageWriter.encodePNG(frame, bitDepth: 16, name: "assembled \(key)"))
        let sha = BlobName.of(png)
        try CoordinatorServer.writeFile(png, to: directory.appendingPathComponent(sha).path)
        return sha
    }

    /// Drops the open assemblies of job `jobID` (finished or cancelled), and the tile pixels they hold.
    mutating func forget(jobID: String) {
        let prefix = jobID + "|"
        for key in open.keys where key.hasPrefix(prefix) { open[key] = nil }
    }
}
