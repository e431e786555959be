import Engine
@testable import JobModel
import XCTest
@testable import Coordinator

/// Tile planning (issue 7): every alignment rule on many frame sizes and budgets, balanced axes,
/// single-tile frames, 1 px last tiles, the pixel-budget search and every refusal.
final class TilePlanTests: XCTestCase {
    private func size(_ w: Int, _ h: Int) -> PixelSize { PixelSize(width: w, height: h) }

    /// Every rule a plan must keep, checked tile by tile.
    private func checkRules(_ plan: TilePlan, maxCore: PixelSize? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let a = plan.alignment, f = plan.frameSize, label = "\(plan)"
        XCTAssertEqual(plan.tiles.count, plan.columns * plan.rows, label, file: file, line: line)
        XCTAssertEqual(plan.columnEdges.first, 0, file: file, line: line)
        XCTAssertEqual(plan.columnEdges.last, f.width, file: file, line: line)
        XCTAssertEqual(plan.rowEdges.first, 0, file: file, line: line)
        XCTAssertEqual(plan.rowEdges.last, f.height, file: file, line: line)
        var area = 0
        for tile in plan.tiles {
            let c = tile.core, p = tile.padded, l = "\(label): \(tile)"
            XCTAssertEqual(tile.index, tile.row * plan.columns + tile.column, l, file: file, line: line)
            XCTAssertEqual(plan.tiles[tile.index], tile, file: file, line: line)
            XCTAssertGreaterThan(c.width, 0, l, file: file, line: line)
            XCTAssertGreaterThan(c.height, 0, l, file: file, line: line)
            // Core origins on the grid; cores a whole number of units except the frame-clipped last ones.
            XCTAssertEqual(c.x % a, 0, l, file: file, line: line)
            XCTAssertEqual(c.y % a, 0, l, file: file, line: line)
            if tile.column < plan.columns - 1 { XCTAssertEqual(c.width % a, 0, l, file: file, line: line) } else {
                XCTAssertEqual(c.x + c.width, f.width, l, file: file, line: line)
            }
            if tile.row < plan.rows - 1 { XCTAssertEqual(c.height % a, 0, l, file: file, line: line) } else {
                XCTAssertEqual(c.y + c.height, f.height, l, file: file, line: line)
            }
            if let maxCore {
                XCTAssertLessThanOrEqual(c.width, maxCore.width, l, file: file, line: line)
                XCTAssertLessThanOrEqual(c.height, maxCore.height, l, file: file, line: line)
            }
            // Padded = core ± halo, clipped to the frame; so its origin is on the grid as well.
            XCTAssertEqual(p.x, max(0, c.x - plan.halo), l, file: file, line: line)
            XCTAssertEqual(p.y, max(0, c.y - plan.halo), l, file: file, line: line)
            XCTAssertEqual(p.x + p.width, min(f.width, c.x + c.width + plan.halo), l, file: file, line: line)
            XCTAssertEqual(p.y + p.height, min(f.height, c.y + c.height + plan.halo), l, file: file, line: line)
            XCTAssertEqual(p.x % a, 0, l, file: file, line: line)
            XCTAssertEqual(p.y % a, 0, l, file: file, line: line)
            area += c.width * c.height
        }
        XCTAssertEqual(area, f.width * f.height, label, file: file, line: line)
        // Balanced: along an axis, the full-unit cores differ by at most one unit.
        for edges in [plan.columnEdges, plan.rowEdges] where edges.count > 2 {
            let widths = (1 ..< edges.count - 1).map { edges[$0] - edges[$0 - 1] }
            XCTAssertLessThanOrEqual(widths.max()! - widths.min()!, a, label, file: file, line: line)
        }
        // No gap, no overlap: the engine's layout check accepts it.
        XCTAssertNoThrow(try plan.layout(), label, file: file, line: line)
    }

    func testEveryAlignmentRuleOnManyFramesAndBudgets() throws {
        let frames = [(1, 1), (15, 16), (16, 16), (17, 17), (33, 1), (513, 257), (640, 480), (1023, 767),
                      (1024, 1024), (1921, 1081), (4096, 2160), (16 * 37 + 1, 16 * 11 + 1)]
        for (w, h) in frames {
            for (core, halo) in [(16, 0), (16, 16), (32, 64), (64, 16), (512, 64), (160, 80), (2048, 128)] {
                let plan = try TilePlan(frame: size(w, h), budget: .core(size(core, core)), halo: halo)
                try checkRules(plan, maxCore: size(core, core))
                XCTAssertEqual(plan.columns, (w + core - 1) / core, "\(plan)")
                XCTAssertEqual(plan.rows, (h + core - 1) / core, "\(plan)")
            }
            for side in [160, 640, 1000] {
                try checkRules(try TilePlan(frame: size(w, h), budget: .tileSide(side), halo: 64))
            }
            for pixels in [160 * 160, 409_600, 1_000_000] {
                let plan = try TilePlan(frame: size(w, h), budget: .maxTilePixels(pixels), halo: 64)
                try checkRules(plan)
                XCTAssertLessThanOrEqual(plan.maxPaddedPixels, pixels, "\(plan)")
            }
        }
        // Other alignments (a network with fewer pools, or none).
        for a in [1, 8, 32] {
            try checkRules(try TilePlan(frame: size(333, 95), budget: .core(size(4 * a, 2 * a)), halo: a, alignment: a))
        }
        // Non-square cores.
        try checkRules(try TilePlan(frame: size(1000, 600), budget: .core(size(256, 96)), halo: 32), maxCore: size(256, 96))
    }

    func testAxesAreBalancedAndTheLastTileIsClippedByTheFrame() throws {
        // 513 = 32 units + 1 px: two tiles of 17 and 16 units, the last clipped to 241 px — not 512 + 1.
        let plan = try TilePlan(frame: size(513, 100), budget: .core(size(512, 512)), halo: 64)
        XCTAssertEqual(plan.columnEdges, [0, 272, 513])
        XCTAssertEqual(plan.rowEdges, [0, 100])
        XCTAssertEqual(plan.tiles.map(\.padded), [TaskRegion(x: 0, y: 0, width: 336, height: 100),
                                                  TaskRegion(x: 208, y: 0, width: 305, height: 100)])
        // W = 16k + 1 with 16 px cores: the last tile is 1 px wide (its padded rectangle is not).
        let tiny = try TilePlan(frame: size(33, 17), budget: .core(size(16, 16)), halo: 16)
        XCTAssertEqual(tiny.columnEdges, [0, 16, 32, 33])
        XCTAssertEqual(tiny.rowEdges, [0, 16, 17])
        XCTAssertEqual(tiny.tiles.last?.core, TaskRegion(x: 32, y: 16, width: 1, height: 1))
        XCTAssertEqual(tiny.tiles.last?.padded, TaskRegion(x: 16, y: 0, width: 17, height: 17))
        // The 4K frame with 512 px cores: 8 × 5, rows balanced to 432 px.
        let k4 = try TilePlan(frame: size(4096, 2160), budget: .core(size(512, 512)), halo: 64)
        XCTAssertEqual([k4.columns, k4.rows], [8, 5])
        XCTAssertEqual(k4.rowEdges, [0, 432, 864, 1296, 1728, 2160])
        XCTAssertEqual(k4.maxPaddedPixels, 640 * 560)
        // The same with --tile-size 640: core 640 − 2·64 = 512.
        XCTAssertEqual(try TilePlan(frame: size(4096, 2160), budget: .tileSide(640), halo: 64), k4)
    }

    func testSingleTileFrames() throws {
        for plan in [try TilePlan(frame: size(500, 300), budget: .core(size(512, 512)), halo: 64),
                     try TilePlan(frame: size(500, 300), budget: .tileSide(512), halo: 64),
                     try TilePlan(frame: size(100, 90), budget: .tileSide(100), halo: 64), // smaller than 2·halo + 16: fine, one tile
                     try TilePlan(frame: size(500, 300), budget: .maxTilePixels(150_000), halo: 64),
                     try TilePlan(frame: size(1, 1), budget: .core(size(16, 16)), halo: 16)] {
            XCTAssertTrue(plan.isSingleTile, "\(plan)")
            let full = TaskRegion.full(plan.frameSize)
            XCTAssertEqual(plan.tiles.map(\.core), [full])
            XCTAssertEqual(plan.tiles.map(\.padded), [full], "no halo at the frame border")
        }
    }

    func testPixelBudgetGivesTheFewestTilesThatFit() throws {
        let cases: [(Int, Int, Int, Int)] = [(4096, 2160, 409_600, 64), (1024, 1024, 300_000, 64), (1921, 1081, 250_000, 80),
                                             (777, 333, 40_000, 32), (2048, 64, 20_000, 16)]
        for (w, h, pixels, halo) in cases {
            let plan = try TilePlan(frame: size(w, h), budget: .maxTilePixels(pixels), halo: halo)
            XCTAssertLessThanOrEqual(plan.maxPaddedPixels, pixels, "\(plan)")
            // Brute force over every grid: none with fewer tiles fits.
            let ux = (w + 15) / 16, uy = (h + 15) / 16
            for nx in 1 ... ux {
                for ny in 1 ... uy where nx * ny < plan.tiles.count {
                    let px = TilePlan.paddedLengths(length: w, count: nx, halo: halo, alignment: 16).max
                    let py = TilePlan.paddedLengths(length: h, count: ny, halo: halo, alignment: 16).max
                    XCTAssertGreaterThan(px * py, pixels, "\(nx)x\(ny) tiles would fit \(w)x\(h) in \(pixels) px")
                }
            }
        }
        // 4096×2160 under 640² = 409,600 px: 7 × 5 tiles (cores 592 or 576 × 432, padded ≤ 720 × 560) —
        // fewer than the 8 × 5 square 640 px tiles of --tile-size 640.
        let k4 = try TilePlan(frame: size(4096, 2160), budget: .maxTilePixels(409_600), halo: 64)
        XCTAssertEqual([k4.columns, k4.rows], [7, 5])
        XCTAssertEqual(k4.columnEdges, [0, 592, 1184, 1776, 2368, 2944, 3520, 4096])
        XCTAssertEqual(k4.maxPaddedPixels, 720 * 560)
        XCTAssertGreaterThan(k4.totalPaddedPixels, 4096 * 2160)
        XCTAssertLessThan(Double(k4.totalPaddedPixels) / Double(4096 * 2160), 1.5, "halo overhead")
    }

    func testHaloFromTheNetworksReceptiveField() throws {
        XCTAssertEqual(TilePlan.halo(forMargin: 58), 64)
        XCTAssertEqual(TilePlan.halo(forMargin: 64), 64)
        XCTAssertEqual(TilePlan.halo(forMargin: 0), 0)
        XCTAssertEqual(TilePlan.halo(forMargin: 58, alignment: 8), 64)
        XCTAssertEqual(TilePlan.halo(forMargin: 34, alignment: 8), 40)
        let defaults = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1", "relu4_2"]
        XCTAssertEqual(try TilePlan.halo(network: .vgg16, layers: defaults), 64)
        XCTAssertEqual(try TilePlan.halo(network: .vgg19, layers: defaults), 80)
        XCTAssertEqual(try TilePlan.halo(network: .vgg19, layers: ["relu5_4"]), 128)
        XCTAssertEqual(try TilePlan.halo(network: .vgg16, layers: ["relu4_2"]), 48)
        XCTAssertThrowsError(try TilePlan.halo(network: .vgg16, layers: ["relu5_4"]))
    }

    func testImpossibleSettingsAreRefusedWithTheFix() {
        func expect(_ error: TilePlanError, _ mentions: String, _ body: () throws -> TilePlan, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) {
                XCTAssertEqual($0 as? TilePlanError, error, line: line)
                XCTAssertTrue("\($0)".contains(mentions), "\($0)", line: line)
            }
        }
        let frame = size(1000, 800)
        expect(.invalidFrameSize(size(0, 800)), "0x800") { try TilePlan(frame: self.size(0, 800), budget: .tileSide(640), halo: 64) }
        expect(.invalidFrameSize(size(10, -1)), "10x-1") { try TilePlan(frame: self.size(10, -1), budget: .tileSide(640), halo: 64) }
        expect(.invalidAlignment(0), "at least 1") { try TilePlan(frame: frame, budget: .tileSide(640), halo: 64, alignment: 0) }
        expect(.negativeHalo(-16), "negative") { try TilePlan(frame: frame, budget: .tileSide(640), halo: -16) }
        expect(.haloNotAligned(halo: 58, alignment: 16), "use 64") { try TilePlan(frame: frame, budget: .tileSide(640), halo: 58) }
        expect(.coreNotAligned(size(500, 512), alignment: 16), "use 496x512") {
            try TilePlan(frame: frame, budget: .core(self.size(500, 512)), halo: 64)
        }
        expect(.coreNotAligned(size(0, 0), alignment: 16), "use 16x16") { try TilePlan(frame: frame, budget: .core(self.size(0, 0)), halo: 64) }
        expect(.tileTooSmall(side: 143, halo: 64, minimum: 144), "at least 144") {
            try TilePlan(frame: frame, budget: .tileSide(143), halo: 64)
        }
        XCTAssertNoThrow(try TilePlan(frame: frame, budget: .tileSide(144), halo: 64))
        expect(.tileTooSmall(side: 0, halo: 0, minimum: 16), "at least 16") { try TilePlan(frame: frame, budget: .tileSide(0), halo: 0) }
        var named: TilePlanError?
        XCTAssertThrowsError(try TilePlan(frame: frame, budget: .maxTilePixels(10_000), halo: 64)) { named = $0 as? TilePlanError }
        guard case .tilePixelsTooSmall(let pixels, let halo, let minimum)? = named else { return XCTFail("\(String(describing: named))") }
        XCTAssertEqual([pixels, halo], [10_000, 64])
        XCTAssertTrue("\(named!)".contains("at least \(minimum)"), "\(named!)")
        XCTAssertNoThrow(try TilePlan(frame: frame, budget: .maxTilePixels(minimum), halo: 64), "the minimum named fits")
        XCTAssertThrowsError(try TilePlan(frame: frame, budget: .maxTilePixels(minimum - 1), halo: 64))
        XCTAssertThrowsError(try TilePlan(frame: frame, budget: .maxTilePixels(0), halo: 0))
    }

    /// Zero iterations: a tiled render of a frame is its crops, and reassembling them gives the frame
    /// back bit for bit — odd sizes, 1 px last tiles, every alignment, 1–4 channels, 8/16-bit samples.
    func testCropsReassembleBitExactlyThroughThePlan() throws {
        var seed: UInt64 = 100
        let cases: [(Int, Int, TileBudget, Int, Int)] = [
            (97, 33, .core(size(16, 16)), 16, 16), (513, 129, .core(size(128, 64)), 64, 16), (200, 150, .tileSide(96), 32, 16),
            (161, 97, .maxTilePixels(4_000), 16, 8), (45, 31, .core(size(10, 5)), 5, 5), (50, 50, .core(size(1, 1)), 1, 1)]
        for (w, h, budget, halo, alignment) in cases {
            let plan = try TilePlan(frame: size(w, h), budget: budget, halo: halo, alignment: alignment)
            let layout = try plan.layout()
            for channels in 1 ... 4 {
                for levels in [255, 65535] {
                    seed += 1
                    var random = SeededRandom(seed: seed)
                    let frame = Image(width: w, height: h, channels: channels,
                                      pixels: (0 ..< w * h * channels).map { _ in Float(Int(random.nextUnitFloat() * Float(levels + 1)) % (levels + 1)) / Float(levels) },
                                      bitDepth: levels == 255 ? 8 : 16)
                    let tiles = try plan.tiles.map {
                        try frame.cropped(x: $0.padded.x, y: $0.padded.y, width: $0.padded.width, height: $0.padded.height)
                    }
                    // Last tile first, to exercise out-of-order arrival.
                    var assembler = try TileAssembler(layout: layout, channels: channels)
                    for k in tiles.indices.reversed() { try assembler.add(tile: k, image: tiles[k]) }
                    let out = try assembler.image()
                    XCTAssertEqual(out.pixels.map(\.bitPattern), frame.pixels.map(\.bitPattern), "\(plan) channels \(channels)")
                    if levels == 255 {
                        XCTAssertEqual(out.pixels.map(SampleQuantization.toUInt8), frame.pixels.map(SampleQuantization.toUInt8))
                    } else {
                        XCTAssertEqual(out.pixels.map(SampleQuantization.toUInt16), frame.pixels.map(SampleQuantization.toUInt16))
                    }
                }
            }
        }
    }
}
