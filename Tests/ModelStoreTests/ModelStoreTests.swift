import Engine
import Foundation
import XCTest
@testable import ModelStore

final class ModelStoreTests: XCTestCase {
    func testMissingModelErrorNamesTheCommand() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let store = ModelStore(directory: ModelDirectory(url: tmp))
        XCTAssertThrowsError(try store.loadVGGWeights(network: .vgg16)) { error in
            XCTAssertEqual(error as? ModelStoreError, .modelNotInstalled(network: .vgg16, directory: tmp.path))
            XCTAssertEqual("\(error)", "VGG-16 weights are not installed in \(tmp.path); run `stylefarm models install`")
            XCTAssertEqual(error.localizedDescription, "\(error)")
        }
        XCTAssertThrowsError(try store.loadVGGWeights(network: .vgg19)) { error in
            XCTAssertTrue("\(error)".contains("stylefarm models import --network vgg19"), "\(error)")
            XCTAssertTrue("\(error)".contains("docs/MODELS.md"), "\(error)")
        }
        XCTAssertEqual(try store.status().map(\.state), [.notInstalled, .notInstalled])
    }

    func testVGGLayerTables() {
        XCTAssertEqual(VGGNetwork.vgg16.convolutions.count, 13)
        XCTAssertEqual(VGGNetwork.vgg19.convolutions.count, 16)
        XCTAssertEqual(VGGNetwork.vgg16.convolutions.map(\.name),
                       ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
                        "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3"])
        XCTAssertEqual(VGGNetwork.vgg19.convolutions.last?.name, "conv5_4")
        let shapes = VGGNetwork.vgg16.expectedWeightShapes
        XCTAssertEqual(shapes["conv1_1.weight"], [64, 3, 3, 3])
        XCTAssertEqual(shapes["conv1_2.weight"], [64, 64, 3, 3])
        XCTAssertEqual(shapes["conv2_1.weight"], [128, 64, 3, 3])
        XCTAssertEqual(shapes["conv3_1.weight"], [256, 128, 3, 3])
        XCTAssertEqual(shapes["conv4_1.weight"], [512, 256, 3, 3])
        XCTAssertEqual(shapes["conv5_3.weight"], [512, 512, 3, 3])
        XCTAssertEqual(shapes["conv5_3.bias"], [512])
        XCTAssertEqual(VGGNetwork.vgg19.expectedWeightShapes["conv3_4.weight"], [256, 256, 3, 3])
        XCTAssertEqual(VGGNetwork.vgg16.convolutions.reduce(0) { $0 + $1.weightShape.reduce(1, *) + $1.outChannels }, 14_714_688)
    }

    func testImportVGG19() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let file = tmp.appendingPathComponent("converted.sfw")
        try Fixtures.syntheticWeights(.vgg19).serialized().write(to: file)
        let store = ModelStore(directory: ModelDirectory(url: tmp.appendingPathComponent("models")))

        let outcome = try store.importWeights(network: .vgg19, from: file)
        guard case .installed(.vgg19, _, let sha, _, let origin, false) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(sha, try Checksum.sha256(fileAt: file))
        XCTAssertTrue(origin.contains(file.path))
        XCTAssertEqual(try store.manifest().entry(named: "vgg19")?.source.kind, "import")
        XCTAssertEqual(try store.importWeights(network: .vgg19, from: file),
                       .alreadyInstalled(network: .vgg19, path: store.weightsURL(for: .vgg19).path, sha256: sha))
        let loaded = try store.loadVGGWeights(network: .vgg19)
        XCTAssertEqual(loaded.tensors.count, 32)
        XCTAssertEqual(try loaded.tensor(named: "conv5_4.weight").shape, [512, 512, 3, 3])
        XCTAssertEqual(try store.status().map(\.state), [.notInstalled, .ok])
    }

    func testImportRejectsWrongFiles() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let store = ModelStore(directory: ModelDirectory(url: tmp.appendingPathComponent("models")))
        // VGG-16 weights offered as VGG-19.
        let vgg16 = tmp.appendingPathComponent("vgg16.sfw")
        try Fixtures.syntheticWeights(.vgg16).serialized().write(to: vgg16)
        XCTAssertThrowsError(try store.importWeights(network: .vgg19, from: vgg16)) { error in
            XCTAssertEqual(error as? ModelStoreError, .networkMismatch(expected: .vgg19, found: "vgg16"))
        }
        // A missing layer, a wrong shape, an extra tensor.
        var weights = try Fixtures.syntheticWeights(.vgg16)
        weights.tensors["conv4_2.bias"] = nil
        let broken = tmp.appendingPathComponent("broken.sfw")
        try weights.serialized().write(to: broken)
        XCTAssertThrowsError(try store.importWeights(network: .vgg16, from: broken)) { error in
            XCTAssertEqual(error as? ModelStoreError, .unexpectedShape(network: .vgg16, tensor: "conv4_2.bias", expected: [512], actual: nil))
        }
        weights.tensors["conv4_2.bias"] = try WeightTensor(shape: [1, 512], values: [Float](repeating: 0, count: 512))
        try weights.serialized().write(to: broken)
        XCTAssertThrowsError(try store.importWeights(network: .vgg16, from: broken)) { error in
            XCTAssertEqual(error as? ModelStoreError, .unexpectedShape(network: .vgg16, tensor: "conv4_2.bias", expected: [512], actual: [1, 512]))
        }
        weights.tensors["conv4_2.bias"] = try WeightTensor(shape: [512], values: [Float](repeating: 0, count: 512))
        weights.tensors["fc6.weight"] = try WeightTensor(shape: [1], values: [0])
        try weights.serialized().write(to: broken)
        XCTAssertThrowsError(try store.importWeights(network: .vgg16, from: broken)) { error in
            XCTAssertEqual(error as? ModelStoreError, .unexpectedTensors(network: .vgg16, names: ["fc6.weight"]))
        }
        // Not a weight file at all.
        try Data("hello".utf8).write(to: broken)
        XCTAssertThrowsError(try store.importWeights(network: .vgg16, from: broken)) { error in
            guard case .weightFileInvalid = error as? ModelStoreError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try store.manifest(), ModelManifest())
    }

    func testUnreadableManifest() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        try Data("{".utf8).write(to: tmp.appendingPathComponent("manifest.json"))
        XCTAssertThrowsError(try ModelStore(directory: ModelDirectory(url: tmp)).loadVGGWeights(network: .vgg16)) { error in
            guard case .manifestUnreadable = error as? ModelStoreError else { return XCTFail("\(error)") }
        }
    }

    func testManifestRoundTripAndUpsert() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        var manifest = ModelManifest()
        let entry = ModelManifest.Entry(name: "vgg19", file: "vgg19.sfw", sha256: "ab", size: 3,
                                        source: .init(kind: "import", importedFrom: "/x"), installedAt: "2025-01-01T00:00:00Z")
        manifest.upsert(entry)
        manifest.upsert(ModelManifest.Entry(name: "vgg16", file: "vgg16.sfw", sha256: "cd", size: 4,
                                            source: .init(kind: "pypi-wheel"), installedAt: "2025-01-01T00:00:00Z"))
        manifest.upsert(entry)
        XCTAssertEqual(manifest.models.map(\.name), ["vgg16", "vgg19"])
        try manifest.save(to: tmp)
        XCTAssertEqual(try ModelManifest.load(from: tmp), manifest)
        XCTAssertEqual(try ModelManifest.load(from: tmp.appendingPathComponent("absent")), ModelManifest())
    }

    func testDemoAssets() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let files: [(String, Data)] = [("astro.png", Data(repeating: 7, count: 5000)), ("tex.jpg", Data("jpeg".utf8))]
        let wheelURL = tmp.appendingPathComponent("fake_skimage.whl")
        try Fixtures.writeZip(wheelURL, entries: files.map { ("skimage/data/\($0.0)", $0.1) }, compression: .deflate)
        var assets = DemoAssets(modelDirectory: ModelDirectory(url: tmp.appendingPathComponent("models")))
        XCTAssertEqual(assets.directory, tmp.appendingPathComponent("demo"))
        assets.wheel = PinnedWheel(requirement: "scikit-image==0.26.0", filename: "fake_skimage.whl", sha256: try Checksum.sha256(fileAt: wheelURL))
        assets.assets = files.map { DemoAsset(name: $0.0, sha256: Checksum.sha256($0.1), size: $0.1.count, dimensions: "", role: .content, licence: "CC0") }

        XCTAssertThrowsError(try assets.installedURLs()) { error in
            XCTAssertTrue("\(error)".contains("stylefarm models install --demo"), "\(error)")
        }
        let fetcher = WheelFetcher(sourceDirectory: tmp, environment: [:])
        XCTAssertEqual(try assets.install(fetcher: fetcher), ["astro.png", "tex.jpg"])
        XCTAssertEqual(try assets.install(fetcher: fetcher), [], "idempotent")
        let urls = try assets.installedURLs()
        XCTAssertEqual(try Data(contentsOf: XCTUnwrap(urls["astro.png"])), files[0].1)
        // A damaged file is detected and repaired alone.
        try Data("x".utf8).write(to: assets.directory.appendingPathComponent("tex.jpg"))
        XCTAssertEqual(assets.missingOrDamaged().map(\.name), ["tex.jpg"])
        XCTAssertEqual(try assets.install(fetcher: fetcher), ["tex.jpg"])
        XCTAssertNoThrow(try assets.installedURLs())
    }

    func testPinnedDemoList() {
        XCTAssertEqual(Set(DemoAssets.all.map(\.name)).count, DemoAssets.all.count)
        XCTAssertTrue(DemoAssets.all.allSatisfy { $0.sha256.count == 64 && $0.size > 0 && !$0.licence.isEmpty })
        XCTAssertTrue(Set(DemoAssets.all.map(\.name)).isSuperset(of: ["astronaut.png", "chelsea.png", "coffee.png"]))
    }
}
