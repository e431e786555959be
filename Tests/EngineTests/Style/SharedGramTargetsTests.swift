import XCTest
@testable import Engine

/// Exact tiles' shared targets: a tile keeps its departure from the frame's statistics and takes the frame's
/// error as its correction, so tiles that all reach their targets put the frame on the style's statistics.
final class SharedGramTargetsTests: XCTestCase {
    private func sums(_ random: inout SeededRandom, channels: Int, positions: Int) -> GramSums {
        GramSums(layers: [GramSums.Layer(name: "relu1_1", channels: channels, positions: positions,
                                         sums: (0..<channels * channels).map { _ in Double(positions) * Double(1 + random.nextGaussian()) })])
    }

    func testTilesReachingTheirTargetsPutTheFrameOnTheStyle() throws {
        var random = SeededRandom(seed: 21)
        let c = 4
        let style = StyleTargets(layers: [.init(name: "relu1_1", channels: c, gram: (0..<c * c).map { _ in Float(random.nextGaussian()) })])
        // Three tiles of a frame (their cores: the frame's sums are theirs added).
        let tiles = [sums(&random, channels: c, positions: 300), sums(&random, channels: c, positions: 500),
                     sums(&random, channels: c, positions: 200)]
        var frame = tiles[0]
        try frame.add(tiles[1]); try frame.add(tiles[2])
        let frameGram = try frame.grams()[0]
        var reached = [Double](repeating: 0, count: c * c)
        for tile in tiles {
            let shared = try SharedGramTargets.tileTargets(style, frame: frame, tile: tile)
            let own = try tile.grams()[0]
            for i in 0..<c * c {
                // The tile's style error is the frame's: the gradient of the whole frame's style term.
                XCTAssertEqual(own[i] - shared.layers[0].gram[i], frameGram[i] - style.layers[0].gram[i], accuracy: 1e-5)
                reached[i] += Double(tile.layers[0].positions) * Double(shared.layers[0].gram[i])
            }
        }
        for i in 0..<c * c {
            XCTAssertEqual(reached[i] / Double(frame.layers[0].positions), Double(style.layers[0].gram[i]), accuracy: 1e-5)
        }
    }

    func testATileThatIsTheWholeFrameKeepsTheTargetsBitForBit() throws {
        var random = SeededRandom(seed: 5)
        let whole = sums(&random, channels: 3, positions: 77)
        let style = StyleTargets(layers: [.init(name: "relu1_1", channels: 3, gram: (0..<9).map { Float($0) - 2.5 })])
        XCTAssertEqual(try SharedGramTargets.tileTargets(style, frame: whole, tile: whole), style)
        let other = GramSums(layers: [GramSums.Layer(name: "relu2_1", channels: 3, positions: 1, sums: Array(repeating: 1, count: 9))])
        XCTAssertThrowsError(try SharedGramTargets.tileTargets(style, frame: other, tile: whole))
    }
}
