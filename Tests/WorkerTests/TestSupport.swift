import Engine
import Foundation
import XCTest
@testable import Worker

/// Shared fixtures: a seeded random-weight VGG (no installed weights needed), synthetic images, temp folders.
enum TestSupport {
    /// VGG-16 with seeded He-initialized weights, built once (`VGG.seededRandomWeights`).
    static let randomVGG16Average: VGG = try! randomNetwork(.vgg16, pooling: .average)

    static func randomNetwork(_ network: VGGNetwork, pooling: PoolingKind) throws -> VGG {
        try VGG.seededRandomWeights(network, pooling: pooling)
    }

    /// A host whose loader hands out the shared random VGG-16 (average pooling) and counts loads.
    static func host() -> VGGCache {
        VGGCache { network, pooling in
            if network == .vgg16 && pooling == .average { return randomVGG16Average }
            return try randomNetwork(network, pooling: pooling)
        }
    }

    /// A smooth, seeded RGB test pattern.
    static func image(width: Int, height: Int, seed: UInt64) -> Image {
        var random = SeededRandom(seed: seed)
        let phase = (0..<3).map { _ in random.nextUnitFloat() * 6 }
        var pixels = [Float](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    let v = 0.5 + 0.4 * sin(Float(x) * 0.3 * Float(c + 1) + Float(y) * 0.2 + phase[c])
                    pixels[(y * width + x) * 3 + c] = v
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }

    static func png(width: Int, height: Int, seed: UInt64) -> [UInt8] {
        [UInt8](try! ImageWriter.encodePNG(image(width: width, height: height, seed: seed), bitDepth: 8))
    }

    /// A fresh empty folder under the system temp folder.
    static func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "stylefarm-worker-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
