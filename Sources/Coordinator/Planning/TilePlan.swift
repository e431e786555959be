import Engine
import JobModel

/// A frame split into overlapping tiles (issue 7). Pure: a frame size, a budget, a halo and an
/// alignment give the same plan every time.
///
/// **Cores** are the pixels a tile is responsible for. They tile the frame exactly — no gap, no overlap
/// — in a grid of `columns × rows`. Along each axis of length L the frame is cut into U = ⌈L/a⌉
/// alignment units (a = `alignment`, 16 for VGG: 2⁴ for its four 2×2 pools) and the n tiles of that
/// axis get ⌊U/n⌋ or ⌈U/n⌉ units each, the larger ones first. So every core starts on a multiple of a,
/// every core but the last of its row/column is a multiple of a wide, the last one is clipped by the
/// frame (it ends at L), and the tiles are balanced: with a core budget c the axis gets n = ⌈L/c⌉
/// tiles of at most c pixels, not n − 1 full tiles and a sliver.
///
/// **Padded** rectangles are the cores grown by `halo` on every side, clipped to the frame: what a
/// worker renders. Since the halo is a multiple of a, every padded rectangle starts on a multiple of a
/// too, so the pooling grids of every tile coincide with the whole frame's; with a halo of at least
/// the deepest layer's `ReceptiveField.margin`, the activations over a tile's core equal the whole
/// frame's (`TilePlan.halo(network:layers:)`).
public struct TilePlan: Sendable, Hashable, CustomStringConvertible {
    /// One tile of the plan.
    public struct Tile: Sendable, Hashable, CustomStringConvertible {
        /// Position in `tiles` (row-major).
        public let index: Int
        public let column: Int
        public let row: Int
        /// The pixels this tile is responsible for.
        public let core: TaskRegion
        /// The pixels it renders: core plus halo, clipped to the frame.
        public let padded: TaskRegion
        public var description: String { "tile \(index) (\(column), \(row)): core \(core), padded \(padded)" }
    }

    public let frameSize: PixelSize
    public let halo: Int
    public let alignment: Int
    /// Core column boundaries: column i spans `columnEdges[i] ..< columnEdges[i + 1]`; first 0, last the width.
    public let columnEdges: [Int]
    /// Core row boundaries: row j spans `rowEdges[j] ..< rowEdges[j + 1]`; first 0, last the height.
    public let rowEdges: [Int]
    /// Row-major: tile `row * columns + column`.
    public let tiles: [Tile]

    public var columns: Int { columnEdges.count - 1 }
    public var rows: Int { rowEdges.count - 1 }
    /// Whether the frame is one tile (then its padded rectangle is the frame: no halo).
    public var isSingleTile: Bool { tiles.count == 1 }
    /// The largest padded rectangle's pixel count (what one worker renders at most).
    public var maxPaddedPixels: Int { tiles.map { $0.padded.width * $0.padded.height }.max() ?? 0 }
    /// Pixels rendered over all tiles (≥ the frame's pixels; the excess is the halos' overhead).
    public var totalPaddedPixels: Int { tiles.reduce(0) { $0 + $1.padded.width * $1.padded.height } }

    /// Plans `frame` under `budget` with halos of `halo` pixels (a multiple of `alignment`).
    public init(frame: PixelSize, budget: TileBudget, halo: Int, alignment: Int = 16) throws {
        guard frame.width >= 1, frame.height >= 1 else { throw TilePlanError.invalidFrameSize(frame) }
        guard alignment >= 1 else { throw TilePlanError.invalidAlignment(alignment) }
        guard halo >= 0 else { throw TilePlanError.negativeHalo(halo) }
        guard halo % alignment == 0 else { throw TilePlanError.haloNotAligned(halo: halo, alignment: alignment) }
        let counts: (columns: Int, rows: Int)
        switch budget {
        case .core(let core):
            guard core.width >= alignment, core.height >= alignment,
                  core.width % alignment == 0, core.height % alignment == 0 else {
                throw TilePlanError.coreNotAligned(core, alignment: alignment)
            }
            counts = (Self.ceilDiv(frame.width, core.width), Self.ceilDiv(frame.height, core.height))
        case .tileSide(let side):
            let core = (side - 2 * halo) / alignment * alignment
            func count(_ length: Int) throws -> Int {
                if length <= side { return 1 }
                guard core >= alignment else {
                    throw TilePlanError.tileTooSmall(side: side, halo: halo, minimum: 2 * halo + alignment)
                }
                return Self.ceilDiv(length, core)
            }
            counts = (try count(frame.width), try count(frame.height))
        case .maxTilePixels(let pixels):
            counts = try Self.fewestTiles(frame: frame, maxTilePixels: pixels, halo: halo, alignment: alignment)
        }
        self.init(frame: frame, columns: counts.columns, rows: counts.rows, halo: halo, alignment: alignment)
    }

    /// The plan with exactly `columns × rows` balanced tiles (each at most the axis's unit count).
    private init(frame: PixelSize, columns: Int, rows: Int, halo: Int, alignment: Int) {
        frameSize = frame
        self.halo = halo
        self.alignment = alignment
        columnEdges = Self.edges(length: frame.width, count: columns, alignment: alignment)
        rowEdges = Self.edges(length: frame.height, count: rows, alignment: alignment)
        var tiles: [Tile] = []
        tiles.reserveCapacity((columnEdges.count - 1) * (rowEdges.count - 1))
        for r in 0 ..< rowEdges.count - 1 {
            for c in 0 ..< columnEdges.count - 1 {
                let x0 = columnEdges[c], x1 = columnEdges[c + 1], y0 = rowEdges[r], y1 = rowEdges[r + 1]
                let px0 = max(0, x0 - halo), px1 = min(frame.width, x1 + halo)
                let py0 = max(0, y0 - halo), py1 = min(frame.height, y1 + halo)
                tiles.append(Tile(index: tiles.count, column: c, row: r,
                                  core: TaskRegion(x: x0, y: y0, width: x1 - x0, height: y1 - y0),
                                  padded: TaskRegion(x: px0, y: py0, width: px1 - px0, height: py1 - py0)))
            }
        }
        self.tiles = tiles
    }

    /// The halo for a receptive-field margin: the margin rounded up to a multiple of the alignment.
    public static func halo(forMargin margin: Int, alignment: Int = 16) -> Int {
        max(0, ceilDiv(margin, alignment) * alignment)
    }

    /// The halo that keeps every activation in `layers` (a job's style and content layers) over a
    /// tile's core equal to the whole frame's: 64 for VGG-16 up to relu5_1 (margin 58), 80 for VGG-19
    /// up to relu5_1 (70), 128 for VGG-19's relu5_4 (118).
    public static func halo(network: VGGNetwork, layers: [String], alignment: Int = 16) throws -> Int {
        halo(forMargin: try ReceptiveField.margin(forDeepestOf: layers, network: network), alignment: alignment)
    }

    /// The engine's view of the plan, for `TileAssembler` (the blend ramp is the halo).
    public func layout() throws -> TileLayout {
        try TileLayout(width: frameSize.width, height: frameSize.height,
                       tiles: tiles.map { TileLayout.Tile(core: $0.core.pixelRect, padded: $0.padded.pixelRect) },
                       ramp: halo)
    }

    public var description: String {
        "\(frameSize) in \(columns)x\(rows) tiles, halo \(halo), alignment \(alignment)"
    }

    // MARK: - Axis arithmetic

    static func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }

    /// Core boundaries of `count` balanced tiles over `length` pixels (count ≤ ⌈length/alignment⌉).
    static func edges(length: Int, count: Int, alignment: Int) -> [Int] {
        let units = ceilDiv(length, alignment)
        let n = min(max(1, count), units)
        let base = units / n, extra = units % n
        var edges = [0]
        var unit = 0
        for i in 0 ..< n {
            unit += base + (i < extra ? 1 : 0)
            edges.append(min(length, unit * alignment))
        }
        return edges
    }

    /// The largest and the summed padded lengths of `count` balanced tiles along one axis.
    static func paddedLengths(length: Int, count: Int, halo: Int, alignment: Int) -> (max: Int, sum: Int) {
        let e = edges(length: length, count: count, alignment: alignment)
        var longest = 0, sum = 0
        for i in 0 ..< e.count - 1 {
            let l = min(length, e[i + 1] + halo) - max(0, e[i] - halo)
            longest = max(longest, l); sum += l
        }
        return (longest, sum)
    }

    /// The tile counts per axis for `.maxTilePixels`: the fewest tiles whose every padded rectangle
    /// holds at most `maxTilePixels`; ties go to the fewest rendered pixels, then the squarest tiles,
    /// then fewer columns.
    static func fewestTiles(frame: PixelSize, maxTilePixels: Int, halo: Int, alignment: Int) throws -> (columns: Int, rows: Int) {
        let ux = ceilDiv(frame.width, alignment), uy = ceilDiv(frame.height, alignment)
        let xs = (1 ... ux).map { paddedLengths(length: frame.width, count: $0, halo: halo, alignment: alignment) }
        let ys = (1 ... uy).map { paddedLengths(length: frame.height, count: $0, halo: halo, alignment: alignment) }
        var best: (columns: Int, rows: Int, key: (Int, Int, Int, Int))?
        var smallest = Int.max
        for nx in 1 ... ux {
            for ny in 1 ... uy {
                let area = xs[nx - 1].max * ys[ny - 1].max
                smallest = min(smallest, area)
                guard area <= maxTilePixels else { continue }
                let key = (nx * ny, xs[nx - 1].sum * ys[ny - 1].sum, abs(xs[nx - 1].max - ys[ny - 1].max), nx)
                if best == nil || key < best!.key { best = (nx, ny, key) }
                break // more rows only add tiles for this column count
            }
        }
        guard let best else {
            throw TilePlanError.tilePixelsTooSmall(maxTilePixels: maxTilePixels, halo: halo, minimum: smallest)
        }
        return (best.columns, best.rows)
    }
}
