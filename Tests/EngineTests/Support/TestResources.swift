import Foundation
import XCTest
import Engine
import ModelStore

/// Locations of test inputs: the shared test data (`STYLEFARM_TEST_DATA`, default `<repo>/../shared/data`)
/// and the installed VGG weights (`STYLEFARM_MODEL_DIR` or the user cache, filled by `stylefarm models install`).
enum TestResources {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var sharedData: URL {
        if let env = ProcessInfo.processInfo.environment["STYLEFARM_TEST_DATA"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// A file of the shared test data, or a skip that says how to get it.
    static func sharedFile(_ relative: String) throws -> URL {
        let url = sharedData.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("shared test data not found at \(url.path); set STYLEFARM_TEST_DATA to the shared/data folder")
        }
        return url
    }

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
            throw XCTSkip("VGG-16 weights unavailable (\(error)); run `stylefarm models install`")
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
