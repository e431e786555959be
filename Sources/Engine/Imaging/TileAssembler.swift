/// Builds a frame from its tiles as they arrive, in any order (issue 7: the coordinator writes the
/// frame when its last tile lands).
///
/// Each cell of the `TileLayout` (a rectangle covered by a fixed set of padded tiles) is blended as
/// soon as its last covering tile arrives — a cell inside one tile's core only is copied at once, a
/// cell in an overlap waits for its neighbours — with `TileBlending`'s weights and its fixed
/// ascending-index running mean, so the result does not depend on the arrival order. A tile's pixels
/// are kept only until every cell it covers is finished; `retainedBytes` / `peakRetainedBytes` count
/// them (the frame buffer itself, width·height·channels floats, comes on top).
///
/// Not thread-safe; one owner (the coordinator's server loop) adds tiles.
public struct TileAssembler: Sendable {
    public let layout: TileLayout
    public let channels: Int
    private var output: [Float]
    /// Per cell: covering tiles that have not arrived yet.
    private var pendingTiles: [Int]
    /// Per tile: cells it covers that are not finished yet.
    private var unfinishedCells: [Int]
    private var arrived: [Bool]
    private var buffers: [TileBuffer?]
    private var finishedCells = 0
    private var bitDepth = 1
    /// Bytes of tile pixels held now, waiting for neighbours.
    public private(set) var retainedBytes = 0
    /// The most `retainedBytes` ever held.
    public private(set) var peakRetainedBytes = 0

    /// An empty frame of `layout`'s size with `channels` (1…4) samples per pixel.
    public init(layout: TileLayout, channels: Int) throws {
        guard (1...4).contains(channels) else {
            throw TileBlendingError.invalidFrame(width: layout.width, height: layout.height, channels: channels)
        }
        self.layout = layout
        self.channels = channels
        output = [Float](repeating: 0, count: layout.width * layout.height * channels)
        pendingTiles = layout.cellCovers.map(\.count)
        unfinishedCells = layout.tileCells.map(\.count)
        arrived = [Bool](repeating: false, count: layout.tiles.count)
        buffers = [TileBuffer?](repeating: nil, count: layout.tiles.count)
    }

    /// Whether every tile has arrived (and so every pixel is blended).
    public var isComplete: Bool { finishedCells == layout.cellCount }

    /// Indices of the tiles that have not arrived, ascending.
    public var missingTiles: [Int] { arrived.indices.filter { !arrived[$0] } }

    /// Whether tile `index` has arrived.
    public func hasTile(_ index: Int) -> Bool { arrived.indices.contains(index) && arrived[index] }

    /// Adds tile `index`'s rendering of its padded rectangle (same size, same channel count as the
    /// frame) and blends every cell it completes. Returns `isComplete`.
    @discardableResult
    public mutating func add(tile index: Int, image: Image) throws -> Bool {
        guard layout.tiles.indices.contains(index) else {
            throw TileBlendingError.unknownTile(index: index, count: layout.tiles.count)
        }
        guard !arrived[index] else { throw TileBlendingError.duplicateTile(index: index) }
        let padded = layout.tiles[index].padded
        guard image.width == padded.width, image.height == padded.height else {
            throw TileBlendingError.tileSizeMismatch(index: index, expected: padded, width: image.width, height: image.height)
        }
        guard image.channels == channels else {
            throw TileBlendingError.channelMismatch(index: index, expected: channels, found: image.channels)
        }
        arrived[index] = true
        bitDepth = max(bitDepth, image.bitDepth)
        buffers[index] = TileBuffer(image.pixels)
        retainedBytes += image.pixels.count * MemoryLayout<Float>.stride
        peakRetainedBytes = max(peakRetainedBytes, retainedBytes)
        for cell in layout.tileCells[index] {
            pendingTiles[cell] -= 1
            guard pendingTiles[cell] == 0 else { continue }
            blend(cell: cell)
            finishedCells += 1
            for t in layout.cellCovers[cell] {
                unfinishedCells[t] -= 1
                if unfinishedCells[t] == 0, let buffer = buffers[t] {
                    retainedBytes -= buffer.count * MemoryLayout<Float>.stride
                    buffers[t] = nil
                }
            }
        }
        return isComplete
    }

    /// The assembled frame; its bit depth is the largest of the tiles'. Throws `.incomplete` until
    /// every tile has arrived.
    public func image() throws -> Image {
        guard isComplete else { throw TileBlendingError.incomplete(missing: missingTiles) }
        return Image(width: layout.width, height: layout.height, channels: channels, pixels: output, bitDepth: bitDepth)
    }

    /// Blends one cell from its covering tiles (all present), see `TileBlending`.
    private mutating func blend(cell: Int) {
        let rect = layout.rect(ofCell: cell)
        let covers = layout.cellCovers[cell]
        let n = covers.count
        let channels = self.channels, frameWidth = layout.width, ramp = layout.ramp
        let rowLength = rect.width * channels
        // Per covering tile: its pixels, its padded rectangle, its weights over the cell's columns and rows.
        var sources: [UnsafePointer<Float>] = []
        var paddeds: [PixelRect] = []
        var columnWeights: [Float] = []
        var rowWeights: [Float] = []
        sources.reserveCapacity(n); paddeds.reserveCapacity(n)
        for t in covers {
            let tile = layout.tiles[t]
            sources.append(UnsafePointer(buffers[t]!.pointer))
            paddeds.append(tile.padded)
            if n > 1 {
                columnWeights += TileBlending.axisWeights(first: rect.x, count: rect.width,
                                                          coreStart: tile.core.x, coreEnd: tile.core.maxX, ramp: ramp)
                rowWeights += TileBlending.axisWeights(first: rect.y, count: rect.height,
                                                       coreStart: tile.core.y, coreEnd: tile.core.maxY, ramp: ramp)
            }
        }
        // Start of row y of the cell in tile k's pixels.
        func rowStart(_ k: Int, _ y: Int) -> UnsafePointer<Float> {
            let p = paddeds[k]
            return sources[k] + ((y - p.y) * p.width + (rect.x - p.x)) * channels
        }
        output.withUnsafeMutableBufferPointer { out in
            let frame = out.baseAddress!
            if n == 1 {
                for y in rect.y ..< rect.maxY {
                    (frame + (y * frameWidth + rect.x) * channels).update(from: rowStart(0, y), count: rowLength)
                }
                return
            }
            columnWeights.withUnsafeBufferPointer { cw in
                let rows = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: n)
                let rowWeight = UnsafeMutablePointer<Float>.allocate(capacity: n)
                defer { rows.deallocate(); rowWeight.deallocate() }
                for y in rect.y ..< rect.maxY {
                    for k in 0 ..< n {
                        rows[k] = rowStart(k, y)
                        rowWeight[k] = rowWeights[k * rect.height + (y - rect.y)]
                    }
                    let target = frame + (y * frameWidth + rect.x) * channels
                    for i in 0 ..< rect.width {
                        let o = target + i * channels
                        let s0 = rows[0] + i * channels
                        for c in 0 ..< channels { o[c] = s0[c] }
                        var weightSum = cw[i] * rowWeight[0]
                        for k in 1 ..< n {
                            let w = cw[k * rect.width + i] * rowWeight[k]
                            weightSum += w
                            let t = w / weightSum
                            let s = rows[k] + i * channels
                            for c in 0 ..< channels {
                                let m = o[c]
                                o[c] = m + t * (s[c] - m)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A tile's pixels in memory the assembler owns, so the blend loop can hold raw pointers to several
/// tiles at once. Immutable after creation.
private final class TileBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ pixels: [Float]) {
        count = pixels.count
        pointer = .allocate(capacity: max(1, pixels.count))
        pixels.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: pixels.count) }
    }

    deinit { pointer.deallocate() }
}
