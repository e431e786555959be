/// A frame split into tiles, checked: every tile has a **core** (the pixels it is responsible for)
/// inside a **padded** rectangle (core plus halo, clipped to the frame: what the tile renders), the
/// cores tile the frame exactly (no gap, no overlap), and no halo is wider than the blend `ramp`.
///
/// The layout also cuts the frame into **cells**: the grid formed by every tile's core and padded
/// edges. Inside a cell the set of tiles whose padded rectangles cover it is constant, which is what
/// lets `TileAssembler` finish a cell as soon as its last covering tile arrives and drop a tile once
/// all its cells are finished.
public struct TileLayout: Sendable, Equatable {
    /// One tile's rectangles, in frame pixels.
    public struct Tile: Sendable, Hashable, CustomStringConvertible {
        public var core: PixelRect
        public var padded: PixelRect
        public init(core: PixelRect, padded: PixelRect) { self.core = core; self.padded = padded }
        public var description: String { "core \(core) padded \(padded)" }
    }

    public let width: Int
    public let height: Int
    public let tiles: [Tile]
    /// Halo width over which a tile's weight falls from 1 to 0 (`TileBlending.rampWeight`).
    public let ramp: Int

    /// Cell column boundaries, ascending, from 0 to `width` (cell column i is `columnEdges[i] ..< columnEdges[i + 1]`).
    let columnEdges: [Int]
    /// Cell row boundaries, ascending, from 0 to `height`.
    let rowEdges: [Int]
    /// For every cell (row-major), the tiles whose padded rectangle covers it, ascending.
    let cellCovers: [[Int]]
    /// For every tile, the cells its padded rectangle covers.
    let tileCells: [[Int]]

    /// Checks the tiles and builds the cell grid. Throws `TileBlendingError` naming the first problem.
    public init(width: Int, height: Int, tiles: [Tile], ramp: Int) throws {
        guard width >= 1, height >= 1 else { throw TileBlendingError.invalidFrame(width: width, height: height, channels: 1) }
        guard ramp >= 0 else { throw TileBlendingError.negativeRamp(ramp) }
        guard !tiles.isEmpty else { throw TileBlendingError.noTiles }
        let frame = PixelRect(x: 0, y: 0, width: width, height: height)
        for (i, t) in tiles.enumerated() {
            guard !t.core.isEmpty, t.padded.contains(t.core), frame.contains(t.padded) else {
                throw TileBlendingError.badTileGeometry(index: i, core: t.core, padded: t.padded,
                                                        frameWidth: width, frameHeight: height)
            }
            for (side, halo) in [("left", t.core.x - t.padded.x), ("top", t.core.y - t.padded.y),
                                 ("right", t.padded.maxX - t.core.maxX), ("bottom", t.padded.maxY - t.core.maxY)]
            where halo > ramp {
                throw TileBlendingError.haloBeyondRamp(index: i, side: side, halo: halo, ramp: ramp)
            }
        }
        var xs = Set([0, width]), ys = Set([0, height])
        for t in tiles {
            xs.formUnion([t.core.x, t.core.maxX, t.padded.x, t.padded.maxX])
            ys.formUnion([t.core.y, t.core.maxY, t.padded.y, t.padded.maxY])
        }
        let columnEdges = xs.sorted(), rowEdges = ys.sorted()
        let columnIndex = Dictionary(uniqueKeysWithValues: columnEdges.enumerated().map { ($1, $0) })
        let rowIndex = Dictionary(uniqueKeysWithValues: rowEdges.enumerated().map { ($1, $0) })
        let cellColumns = columnEdges.count - 1, cellRows = rowEdges.count - 1
        var covers = [[Int]](repeating: [], count: cellColumns * cellRows)
        var owner = [Int](repeating: -1, count: cellColumns * cellRows)
        var tileCells: [[Int]] = []
        tileCells.reserveCapacity(tiles.count)
        for (i, t) in tiles.enumerated() {
            var cells: [Int] = []
            for r in rowIndex[t.padded.y]! ..< rowIndex[t.padded.maxY]! {
                for c in columnIndex[t.padded.x]! ..< columnIndex[t.padded.maxX]! {
                    let cell = r * cellColumns + c
                    covers[cell].append(i)
                    cells.append(cell)
                }
            }
            tileCells.append(cells)
            for r in rowIndex[t.core.y]! ..< rowIndex[t.core.maxY]! {
                for c in columnIndex[t.core.x]! ..< columnIndex[t.core.maxX]! {
                    let cell = r * cellColumns + c
                    guard owner[cell] < 0 else {
                        throw TileBlendingError.coresOverlap(first: owner[cell], second: i, x: columnEdges[c], y: rowEdges[r])
                    }
                    owner[cell] = i
                }
            }
        }
        if let gap = owner.firstIndex(of: -1) {
            throw TileBlendingError.frameNotCovered(x: columnEdges[gap % cellColumns], y: rowEdges[gap / cellColumns])
        }
        self.width = width
        self.height = height
        self.tiles = tiles
        self.ramp = ramp
        self.columnEdges = columnEdges
        self.rowEdges = rowEdges
        self.cellCovers = covers
        self.tileCells = tileCells
    }

    /// Number of cells in the grid.
    var cellCount: Int { cellCovers.count }

    /// The pixels of cell `cell`.
    func rect(ofCell cell: Int) -> PixelRect {
        let columns = columnEdges.count - 1
        let c = cell % columns, r = cell / columns
        return PixelRect(x: columnEdges[c], y: rowEdges[r],
                         width: columnEdges[c + 1] - columnEdges[c], height: rowEdges[r + 1] - rowEdges[r])
    }

    /// The most tiles whose padded rectangles cover one pixel (1 for a single tile; 4 at the corners
    /// of a grid whose halos are narrower than its cores).
    public var maxCoverage: Int { cellCovers.map(\.count).max() ?? 0 }

    /// Tile indices whose padded rectangle overlaps tile `index`'s (itself excluded), ascending: the
    /// tiles that must have arrived before all of tile `index`'s pixels can be blended.
    public func neighbours(of index: Int) -> [Int] {
        guard tiles.indices.contains(index) else { return [] }
        var set = Set<Int>()
        for cell in tileCells[index] { set.formUnion(cellCovers[cell]) }
        set.remove(index)
        return set.sorted()
    }
}
