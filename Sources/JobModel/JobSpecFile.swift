import Foundation
import Yams

/// A job spec read from a YAML or JSON file, with what is needed to report problems by line and to
/// resolve the file's relative paths against its directory.
public struct JobSpecFile: Sendable, Equatable {
    /// The spec file format.
    public enum Format: String, Sendable { case yaml, json }

    public var spec: JobSpec
    /// The file's path as given (for messages), or nil for text that came from elsewhere.
    public var source: String?
    /// The directory relative paths in the file are resolved against (the file's directory).
    public var baseDirectory: String
    public var format: Format
    /// 1-based line of each top-level key (YAML only; JSON reports no lines).
    public var lines: [String: Int]

    /// Reads and parses the spec at `path`. The format comes from the extension (`.yaml`, `.yml`,
    /// `.json`), else from the content (a leading `{` means JSON). Relative paths in the spec are
    /// relative to the file's directory.
    public static func load(path: String, fileManager: FileManager = .default) throws -> JobSpecFile {
        guard let data = fileManager.contents(atPath: path) else {
            throw JobSpecError(source: path, problems: [.init(field: nil, message: "cannot read the job spec file; check the path and permissions")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw JobSpecError(source: path, problems: [.init(field: nil, message: "the job spec file is not UTF-8 text")])
        }
        let absolute = PathNormalization.resolve(path, against: fileManager.currentDirectoryPath)
        let directory = (absolute as NSString).deletingLastPathComponent
        return try parse(text, format: format(ofPath: path), source: path, baseDirectory: directory)
    }

    /// Parses spec `text`. `format` nil sniffs the content; `baseDirectory` is where relative paths point.
    public static func parse(_ text: String, format: Format? = nil, source: String? = nil,
                             baseDirectory: String) throws -> JobSpecFile {
        let format = format ?? sniff(text)
        func fail(_ problems: [JobSpecError.Problem]) -> JobSpecError { JobSpecError(source: source, problems: problems) }
        var lines: [String: Int] = [:]
        do {
            switch format {
            case .yaml:
                guard let node = try Yams.compose(yaml: text) else {
                    throw fail([.init(field: nil, message: "the job spec is empty; it needs at least name, content, frames, styles and output_dir")])
                }
                guard let mapping = node.mapping else {
                    throw fail([.init(field: nil, line: node.mark?.line, message: "the job spec must be a mapping of keys to values (key: value lines)")])
                }
                var problems: [JobSpecError.Problem] = []
                for key in mapping.keys {
                    let name = key.string ?? "\(key)"
                    lines[name] = key.mark?.line
                    if let problem = unknownKeyProblem(name, line: key.mark?.line) { problems.append(problem) }
                }
                if !problems.isEmpty { throw fail(problems) }
                let spec = try YAMLDecoder().decode(JobSpec.self, from: node)
                return JobSpecFile(spec: spec, source: source, baseDirectory: baseDirectory, format: .yaml, lines: lines)
            case .json:
                let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
                guard let dictionary = object as? [String: Any] else {
                    throw fail([.init(field: nil, message: "the job spec must be a JSON object ({\"name\": …})")])
                }
                let problems = dictionary.keys.sorted().compactMap { unknownKeyProblem($0, line: nil) }
                if !problems.isEmpty { throw fail(problems) }
                let spec = try JSONDecoder().decode(JobSpec.self, from: Data(text.utf8))
                return JobSpecFile(spec: spec, source: source, baseDirectory: baseDirectory, format: .json, lines: [:])
            }
        } catch let error as JobSpecError {
            throw error
        } catch let error as DecodingError {
            throw fail([problem(from: error, lines: lines)])
        } catch let error as YamlError {
            throw fail([.init(field: nil, message: "not valid YAML: \(error)")])
        } catch {
            throw fail([.init(field: nil, message: "not valid \(format == .json ? "JSON" : "YAML"): \(error.localizedDescription)")])
        }
    }

    /// Checks the merged spec (this file's, overlaid by `overrides` such as CLI flags, whose paths
    /// should already be absolute: `JobSpec.withPathsResolved(against:)`) and fills in defaults.
    public func resolve(overrides: JobSpec = JobSpec()) throws -> ResolvedJob {
        do {
            return try spec.overlaid(by: overrides).resolve(baseDirectory: baseDirectory)
        } catch var error as JobSpecError {
            error.source = source
            for i in error.problems.indices where error.problems[i].line == nil {
                // Attach lines only to fields the file set and the flags did not override.
                if let field = error.problems[i].field, let key = JobSpec.CodingKeys(rawValue: field),
                   !overrides.sets(key) {
                    error.problems[i].line = lines[field]
                }
            }
            throw error
        }
    }

    static func format(ofPath path: String) -> Format? {
        switch (path as NSString).pathExtension.lowercased() {
        case "json": return .json
        case "yaml", "yml": return .yaml
        default: return nil
        }
    }

    static func sniff(_ text: String) -> Format {
        text.first(where: { !$0.isWhitespace }) == "{" ? .json : .yaml
    }

    static func unknownKeyProblem(_ key: String, line: Int?) -> JobSpecError.Problem? {
        if JobSpec.CodingKeys(rawValue: key) != nil { return nil }
        let hint = KeySuggestion.closest(to: key, in: JobSpec.keys).map { "; did you mean '\($0)'?" }
            ?? "; valid keys are \(JobSpec.keys.joined(separator: ", "))"
        return .init(field: key, line: line, message: "unknown key '\(key)'\(hint)")
    }

    static func problem(from error: DecodingError, lines: [String: Int]) -> JobSpecError.Problem {
        let context: DecodingError.Context
        var what: String
        switch error {
        case .typeMismatch(let type, let c): context = c; what = type == Any.self ? c.debugDescription : "expected \(type)"
        case .valueNotFound(let type, let c): context = c; what = "expected \(type), found nothing"
        case .keyNotFound(let key, let c): context = c; what = "missing \(key.stringValue)"
        case .dataCorrupted(let c): context = c; what = c.debugDescription
        @unknown default: return .init(field: nil, message: "\(error)")
        }
        let field = context.codingPath.first?.stringValue
        if field == JobSpec.CodingKeys.kind.rawValue {
            what = "must be one of \(JobKind.allCases.map(\.rawValue).joined(separator: ", "))"
        }
        return .init(field: field, line: field.flatMap { lines[$0] }, message: what)
    }
}

extension JobSpec {
    /// Whether this spec sets the field of `key`.
    func sets(_ key: CodingKeys) -> Bool {
        switch key {
        case .name: return name != nil
        case .kind: return kind != nil
        case .content: return content != nil
        case .frames: return frames != nil
        case .styles: return styles != nil
        case .styleWeights: return styleWeights != nil
        case .outputDir: return outputDir != nil
        case .output: return output != nil
        case .bitDepth: return bitDepth != nil
        case .inputColorspace: return inputColorspace != nil
        case .ocioConfig: return ocioConfig != nil
        case .layer: return layer != nil
        case .exrCompression: return exrCompression != nil
        case .exrFloat: return exrFloat != nil
        case .priority: return priority != nil
        case .maxAttempts: return maxAttempts != nil
        case .sharedFilesystem: return sharedFilesystem != nil
        case .echoSeconds: return echoSeconds != nil
        case .network: return network != nil
        case .pooling: return pooling != nil
        case .size: return size != nil
        case .iterations: return iterations != nil
        case .optimizer: return optimizer != nil
        case .lbfgsHistory: return lbfgsHistory != nil
        case .learningRate: return learningRate != nil
        case .contentWeight: return contentWeight != nil
        case .styleWeight: return styleWeight != nil
        case .tvWeight: return tvWeight != nil
        case .styleLayers: return styleLayers != nil
        case .contentLayers: return contentLayers != nil
        case .styleScale: return styleScale != nil
        case .initialization: return initialization != nil
        case .scales: return scales != nil
        case .originalColors: return originalColors != nil
        case .seed: return seed != nil
        case .segment: return segment != nil
        case .regions: return regions != nil
        case .regionWeights: return regionWeights != nil
        case .guide: return guide != nil
        case .regionMode: return regionMode != nil
        case .segmentCrf: return segmentCrf != nil
        case .temporal: return temporal != nil
        case .temporalWeight: return temporalWeight != nil
        case .passes: return passes != nil
        case .chunkFrames: return chunkFrames != nil
        case .chunkOverlap: return chunkOverlap != nil
        case .cuts: return cuts != nil
        case .detectCuts: return detectCuts != nil
        case .flowPreset: return flowPreset != nil
        case .warpedInit: return warpedInit != nil
        case .multipassBlend: return multipassBlend != nil
        case .multipassGammaRamp: return multipassGammaRamp != nil
        case .tileSize: return tileSize != nil
        case .maxTilePixels: return maxTilePixels != nil
        case .tiles: return tiles != nil
        case .tileSync: return tileSync != nil
        case .taskTimeout: return taskTimeout != nil
        case .maxLost: return maxLost != nil
        case .blocklistThreshold: return blocklistThreshold != nil
        }
    }
}
