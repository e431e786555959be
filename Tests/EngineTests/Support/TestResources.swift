import Foundation
import XCTest
import Engine
import ModelStore
import TestSupport

/// The installed VGG weights (`STYLEFARM_MODEL_DIR` or the user cache, filled by `stylefarm models install`).
enum TestResources {
    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var cachedWeights: WeightFile?

    /// The installed VGG-16 weights (loaded once per test run), or a skip naming the install command.
    static func vgg16Weights() throws -> WeightFile {
        cacheLock.lock(); defer { cacheLock.unlock() }
        if let cachedWeights { return cachedWeights }
        let store = ModelStore(directory: ModelDirectory.resolve())
        do {
            let weights = try store.loadVGGWeights(network: .vgg16)
            cachedWeights = weights
            return weights
        } catch let error as ModelStoreError {
            throw XCTSkip("\(InstalledModels.vggAbsentReason) — \(error)")
        }
    }

    static func vgg16(pooling: PoolingKind) throws -> VGG {
        try VGG(network: .vgg16, pooling: pooling, weightFile: try vgg16Weights())
    }

    /// Reads a JSON fixture bundled with the tests.
    static func fixture(_ name: String) throws -> [String: Any] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw XCTSkip("fixture \(name).json missing from the test bundle")
        }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let dict = object as? [String: Any] else { throw XCTSkip("fixture \(name).json is not an object") }
        return dict
    }
}
