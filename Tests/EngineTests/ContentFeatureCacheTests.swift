import XCTest
@testable import Engine

/// `ContentFeatureCache`: an objective built on cached content features is the objective built without.
final class ContentFeatureCacheTests: XCTestCase {
    private func image(_ w: Int, _ h: Int, seed: Int) -> Image {
        Image(width: w, height: h, channels: 3, pixels: (0..<(w * h * 3)).map { Float(($0 * 31 + seed * 17) % 97) / 96 })
    }

    func testAHitGivesTheSameObjectiveAndOtherContentMisses() throws {
        let vgg = try VGG.seededRandomWeights(.vgg16, pooling: .average)
        var p = StyleTransferParameters()
        p.size = 48
        let targets = try StyleTransfer(vgg: vgg).styleTargets(styles: [image(40, 40, seed: 1)], parameters: p)[0]
        let content = VGGPreprocessing.tensor(from: image(48, 32, seed: 2))
        let x = VGGPreprocessing.tensor(from: image(48, 32, seed: 3))
        let cache = ContentFeatureCache()
        func losses(_ content: Tensor, cache: ContentFeatureCache?) throws -> (StyleObjective.Breakdown, [Float]) {
            let objective = try StyleObjective(vgg: vgg, parameters: p, content: content, styleTargets: targets, contentCache: cache)
            var gradient = Tensor(channels: 3, height: 32, width: 48)
            return (objective.evaluate(x, gradient: &gradient), gradient.data)
        }
        let plain = try losses(content, cache: nil)
        let first = try losses(content, cache: cache)
        let second = try losses(content, cache: cache)
        XCTAssertEqual([cache.misses, cache.hits], [1, 1])
        for run in [first, second] {
            XCTAssertEqual(run.0.content, plain.0.content)
            XCTAssertEqual(run.0.total, plain.0.total)
            XCTAssertEqual(run.1, plain.1)
        }
        // Another content (one sample changed) is computed, not taken from the cache.
        var other = content
        other.data[5] += 1
        let changed = try losses(other, cache: cache)
        XCTAssertEqual([cache.misses, cache.hits], [2, 1])
        XCTAssertNotEqual(changed.0.content, plain.0.content)

        // A bound below one entry keeps nothing.
        let tiny = ContentFeatureCache(maxBytes: 1024)
        _ = try losses(content, cache: tiny)
        _ = try losses(content, cache: tiny)
        XCTAssertEqual([tiny.misses, tiny.hits], [2, 0])
    }
}
