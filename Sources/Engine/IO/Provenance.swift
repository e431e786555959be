import Foundation

/// How a frame was made (issue 20), recorded in the frame itself — OpenEXR string attributes, PNG `iTXt` chunks —
/// under names that start with ``prefix``: the job, the frame, the engine, its parameters and the hashes of every
/// input (content, styles, style targets, models), so that `stylefarm inspect` can say where a frame came from and
/// `stylefarm verify` can render it again and compare the bytes.
public struct Provenance: Sendable, Equatable {
    /// The attribute-name prefix of every entry.
    public static let prefix = "stylefarm/"
    /// The engine's version as workers report it and outputs record it.
    public static let engineVersion = "stylefarm-engine-1"

    /// The well-known entries (others may be present and are kept).
    public enum Key: String, CaseIterable, Sendable {
        /// The job id and name, the frame number, the task and its attempt.
        case job, jobName = "job-name", frame, task, attempt
        /// `engineVersion`, and the threads the render used (renders are deterministic for a thread count).
        case engine, threads
        /// The engine parameters as JSON (the wire `EngineParameters`).
        case parameters
        /// SHA-256 of the content frame; of the style images (comma-separated, in order); of the style targets; of
        /// the models (`name=sha256`, comma-separated).
        case content, styles, styleTargets = "style-targets", models
        /// The content and output paths as the job named them; the style images' paths, one per line.
        case contentPath = "content-path", outputPath = "output-path", stylePaths = "style-paths"
        /// How the plate was read: its colour space (empty: by file type) and OpenEXR layer.
        case inputColorspace = "input-colorspace", layer
        /// A colour space of an OpenColorIO config: the config's path, and SHA-256 of the conversion baked from it
        /// (what the frame was converted with; `verify` bakes again and compares).
        case ocioConfig = "ocio-config", ocioConversion = "ocio-conversion"
        /// What makes the frame depend on more than its own inputs: the temporal strategy (other than independent),
        /// the region source, the tile count. `stylefarm verify` renders again only frames without them.
        case temporal, segment, tiles
        /// When the frame was rendered (ISO 8601, UTC).
        case rendered
    }

    /// The entries by name, without the prefix.
    public var entries: [String: String]

    public init(entries: [String: String] = [:]) { self.entries = entries }

    public subscript(key: Key) -> String? {
        get { entries[key.rawValue] }
        set { entries[key.rawValue] = newValue }
    }

    /// The entries as file attributes (names with ``prefix``).
    public var attributes: [String: String] {
        Dictionary(uniqueKeysWithValues: entries.map { (Self.prefix + $0.key, $0.value) })
    }

    /// The provenance among a file's attributes (those whose name starts with ``prefix``).
    public init(attributes: [String: String]) {
        var entries: [String: String] = [:]
        for (name, value) in attributes where name.hasPrefix(Self.prefix) { entries[String(name.dropFirst(Self.prefix.count))] = value }
        self.entries = entries
    }

    /// The provenance recorded in an image file (OpenEXR header or PNG text); empty for a file that has none or a
    /// JPEG.
    public static func read(bytes: [UInt8], name: String) throws -> Provenance {
        switch ImageFormat.detect(bytes) {
        case .openEXR?: return Provenance(attributes: try OpenEXR.stringAttributes(bytes: bytes, name: name))
        case .png?: return Provenance(attributes: try PNGText.read(bytes, name: name))
        case let format:
            if format == .jpeg { return Provenance() }
            throw ImageIOError.unsupportedFormat(path: name, detail: "\(format?.rawValue ?? "not an image StyleFarm reads"): provenance is recorded in OpenEXR and PNG files")
        }
    }
}
