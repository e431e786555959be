import Foundation

// Cryptomatte decoding, after the Psyop "Cryptomatte Specification" version 1.2.0 (Friedman & Jones,
// "Fully Automatic ID Mattes with Support for Motion Blur and Transparency", SIGGRAPH 2015 poster; the
// specification is specification/cryptomatte_specification.pdf in github.com/Psyop/Cryptomatte).
//
// In short (spec §1 "EXR File", §2 "ID Generation"):
// - Every object (or material, asset…) name is hashed with MurmurHash3_x86_32 (seed 0) over its UTF-8 bytes;
//   the 32-bit hash becomes a float32 ID by copying its bits, after flipping bit 23 when the exponent bits are
//   all 0 or all 1, so that no ID is zero, subnormal, infinite or NaN ("uint32_to_float32").
// - A cryptomatte named `{typename}` is stored as RGBA layers `{typename}00`, `{typename}01`, …: `.r` is the ID
//   of rank 2k, `.g` its coverage, `.b` the ID of rank 2k+1, `.a` its coverage, ranks ordered by coverage
//   (6 levels = 3 layers by default). A pixel's matte for a set of IDs is the sum of the coverages of the ranks
//   whose ID is in the set. A sample with no object has ID 0.
// - Header attributes `cryptomatte/<key>/name`, `/hash` ("MurmurHash3_32"), `/conversion`
//   ("uint32_to_float32") and optionally `/manifest` (a JSON object name → 8 hex digits of the ID's bit
//   pattern) or `/manif_file` (a sidecar JSON file) describe each cryptomatte; `<key>` is at most 7 characters
//   (conventionally the first 7 hex digits of the ID of the name).
//
// Blender 3.4 (Cycles) writes, for view layer "ViewLayer": channels `ViewLayer.CryptoObject00.r` … `.a`
// (lower-case, 32-bit float even in a half-float file), attributes `cryptomatte/542cafa/name` =
// "ViewLayer.CryptoObject", `/hash`, `/conversion` and `/manifest` = {"Suzanne":"cb432898",…}.

/// Why a cryptomatte cannot be found or decoded; every message says what the file has and what to do.
public enum CryptomatteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The header has no `cryptomatte/<key>/name` attribute at all.
    case noCryptomatte
    /// `cryptomatte:LAYER` names no cryptomatte of the file.
    case unknownLayer(String, available: [String])
    /// `cryptomatte:LAYER` matches several cryptomattes (e.g. two view layers' CryptoObject).
    case ambiguousLayer(String, candidates: [String])
    /// The text is not `cryptomatte` or `cryptomatte:LAYER`.
    case invalidSelector(String)
    /// A `cryptomatte/<key>/…` group lacks a required attribute (`name`, `hash` or `conversion`).
    case missingMetadata(key: String, attribute: String)
    /// `/hash` is not "MurmurHash3_32", the only hash the specification defines.
    case unsupportedHash(layer: String, hash: String)
    /// `/conversion` is not "uint32_to_float32", the only conversion the specification defines.
    case unsupportedConversion(layer: String, conversion: String)
    /// The manifest is only in a sidecar file (`/manif_file`), which this decoder does not read.
    case sidecarManifestUnsupported(layer: String, file: String)
    /// The cryptomatte has no manifest, and a glob needs one to know the names.
    case manifestRequired(layer: String, pattern: String)
    /// `/manifest` is not a JSON object of names to 8-digit hex IDs.
    case invalidManifest(layer: String, reason: String)
    /// The header describes a cryptomatte but the file has none of its rank channels.
    case missingChannels(layer: String, expectedPrefix: String)
    /// A rank layer lacks some of its four channels.
    case incompleteRankLayer(layer: String, missing: [String])
    /// An exact name that is not in the manifest.
    case unknownName(String, layer: String, available: [String])
    /// A glob that matches no name of the manifest.
    case noMatch(pattern: String, layer: String, available: [String])

    /// At most this many names are listed in a message.
    static let listLimit = 12

    static func list(_ names: [String]) -> String {
        if names.isEmpty { return "(none)" }
        let shown = names.prefix(listLimit).map { "'\($0)'" }.joined(separator: ", ")
        return names.count > listLimit ? "\(shown), … (\(names.count) in all)" : shown
    }

    public var description: String {
        switch self {
        case .noCryptomatte:
            return "the file has no Cryptomatte (no cryptomatte/<key>/name header attribute); render it with "
                + "Cryptomatte passes (Blender: View Layer ▸ Passes ▸ Cryptomatte ▸ Object) and save as multilayer OpenEXR"
        case .unknownLayer(let name, let available):
            return "no cryptomatte '\(name)' in the file; it has \(Self.list(available)) (write cryptomatte:NAME with the full name or its last part)"
        case .ambiguousLayer(let name, let candidates):
            return "cryptomatte '\(name)' matches \(Self.list(candidates)); write cryptomatte:FULLNAME to choose one"
        case .invalidSelector(let text):
            return "'\(text)' is not a cryptomatte selector; write cryptomatte (the object cryptomatte) or cryptomatte:LAYER (e.g. cryptomatte:CryptoMaterial)"
        case .missingMetadata(let key, let attribute):
            return "the header has cryptomatte/\(key)/… attributes but no cryptomatte/\(key)/\(attribute); the file was written by a tool that does not follow the Cryptomatte specification"
        case .unsupportedHash(let layer, let hash):
            return "cryptomatte '\(layer)' uses hash '\(hash)'; only MurmurHash3_32 (Cryptomatte specification 1.2) is supported"
        case .unsupportedConversion(let layer, let conversion):
            return "cryptomatte '\(layer)' uses conversion '\(conversion)'; only uint32_to_float32 (Cryptomatte specification 1.2) is supported"
        case .sidecarManifestUnsupported(let layer, let file):
            return "cryptomatte '\(layer)' keeps its manifest in the sidecar file '\(file)', which is not supported; "
                + "name objects exactly (no * or ?), or re-render with the manifest in the EXR header (Blender does so by default)"
        case .manifestRequired(let layer, let pattern):
            return "cryptomatte '\(layer)' has no manifest, so the pattern '\(pattern)' cannot be matched against names; name objects exactly (no * or ?)"
        case .invalidManifest(let layer, let reason):
            return "cryptomatte '\(layer)' has an invalid manifest: \(reason)"
        case .missingChannels(let layer, let prefix):
            return "the header describes cryptomatte '\(layer)' but the file has no \(prefix)00.r/.g/.b/.a channels; was the file re-saved without its Cryptomatte layers?"
        case .incompleteRankLayer(let layer, let missing):
            return "cryptomatte '\(layer)' lacks the channels \(missing.joined(separator: ", "))"
        case .unknownName(let name, let layer, let available):
            return "'\(name)' is not in cryptomatte '\(layer)'; its names include \(Self.list(available)) (use * and ? to match several)"
        case .noMatch(let pattern, let layer, let available):
            return "'\(pattern)' matches no name in cryptomatte '\(layer)'; its names include \(Self.list(available))"
        }
    }
}

/// One cryptomatte of a file (one `cryptomatte/<key>/…` group of header attributes and its rank channels).
public struct CryptomatteLayer: Sendable, Equatable {
    /// The metadata key, e.g. "542cafa".
    public var key: String
    /// The full name from `cryptomatte/<key>/name`, e.g. "ViewLayer.CryptoObject"; also the channels' prefix.
    public var name: String
    /// The channel-name prefix of the rank layers: `<channelPrefix>00.r` … (equal to `name` in files that follow
    /// the specification).
    public var channelPrefix: String
    /// The rank channels in decoding order: `<prefix>00.r`, `.g`, `.b`, `.a`, `<prefix>01.r`, … — each pair is
    /// (ID, coverage), ranks by decreasing coverage. Spelled as in the file (Blender: lower-case `.r`).
    public var rankChannels: [String]
    /// Name → float ID, from the header's manifest (empty when the file has none).
    public var manifest: [String: Float]
    /// Whether the header holds a manifest (an empty one counts).
    public var hasManifest: Bool
    /// The sidecar manifest file named by `/manif_file`, which is not read.
    public var sidecarManifest: String?

    public init(key: String, name: String, channelPrefix: String, rankChannels: [String], manifest: [String: Float],
                hasManifest: Bool, sidecarManifest: String? = nil) {
        self.key = key
        self.name = name
        self.channelPrefix = channelPrefix
        self.rankChannels = rankChannels
        self.manifest = manifest
        self.hasManifest = hasManifest
        self.sidecarManifest = sidecarManifest
    }

    /// The type name: the last dot-separated part of `name` ("CryptoObject" for "ViewLayer.CryptoObject").
    public var typeName: String {
        if let dot = name.lastIndex(of: ".") { return String(name[name.index(after: dot)...]) }
        return name
    }

    /// Values per pixel that `Cryptomatte.coverage` expects: 4 per rank layer (2 ranks).
    public var rankChannelCount: Int { rankChannels.count }

    /// Number of (ID, coverage) ranks per pixel (the "levels", 6 by default).
    public var levels: Int { rankChannels.count / 2 }

    /// The names of the manifest, sorted.
    public var names: [String] { manifest.keys.sorted() }

    /// The IDs that `pattern` selects in this cryptomatte. With a manifest, see `Cryptomatte.ids(matching:in:)`.
    /// Without one (the specification makes it optional), an exact name is hashed with `Cryptomatte.id(of:)` —
    /// decoding never needs the manifest — while a glob throws (`sidecarManifestUnsupported` if the manifest is in
    /// a sidecar file, else `manifestRequired`).
    public func ids(matching pattern: String) throws -> [Float] {
        if hasManifest { return try Cryptomatte.ids(matching: pattern, in: manifest, layer: name) }
        if Cryptomatte.isGlob(pattern) {
            if let file = sidecarManifest { throw CryptomatteError.sidecarManifestUnsupported(layer: name, file: file) }
            throw CryptomatteError.manifestRequired(layer: name, pattern: pattern)
        }
        return [Cryptomatte.id(of: Cryptomatte.unescape(pattern))]
    }
}

/// Cryptomatte ID generation and matte extraction (Psyop Cryptomatte specification 1.2.0; Friedman & Jones 2015).
public enum Cryptomatte {
    /// The only hash the specification defines (`cryptomatte/<key>/hash`).
    public static let hashName = "MurmurHash3_32"
    /// The only hash-to-float conversion the specification defines (`cryptomatte/<key>/conversion`).
    public static let conversionName = "uint32_to_float32"

    // MARK: - IDs (spec §2 "ID Generation")

    /// MurmurHash3_x86_32 (Austin Appleby's public-domain MurmurHash3, 32-bit x86 variant) of `bytes`: 4-byte
    /// little-endian blocks, then the 1–3 byte tail, then the length and the final avalanche (fmix32).
    public static func murmurHash3_32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { murmurHash3_32(UnsafeRawBufferPointer($0), seed: seed) }
    }

    /// MurmurHash3_x86_32 of the bytes in `buffer`.
    public static func murmurHash3_32(_ buffer: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let c1: UInt32 = 0xcc9e_2d51, c2: UInt32 = 0x1b87_3593
        @inline(__always) func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }
        @inline(__always) func mixK(_ k: UInt32) -> UInt32 { rotl(k &* c1, 15) &* c2 }
        let count = buffer.count
        var h = seed
        var i = 0
        while i + 4 <= count {
            let k = UInt32(buffer[i]) | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i + 2]) << 16 | UInt32(buffer[i + 3]) << 24
            h ^= mixK(k)
            h = rotl(h, 13) &* 5 &+ 0xe654_6b64
            i += 4
        }
        var k: UInt32 = 0
        switch count & 3 {
        case 3: k = UInt32(buffer[i + 2]) << 16 | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i])
        case 2: k = UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i])
        case 1: k = UInt32(buffer[i])
        default: break
        }
        if count & 3 != 0 { h ^= mixK(k) }
        h ^= UInt32(truncatingIfNeeded: count)
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        return h
    }

    /// The "uint32_to_float32" conversion: the hash's bits as a float32, with bit 23 (the exponent's lowest bit)
    /// flipped when the exponent bits are all 0 (zero, subnormals) or all 1 (infinities, NaNs), so every ID is a
    /// normal, finite, non-zero float.
    public static func float(fromHash hash: UInt32) -> Float {
        let exponent = (hash >> 23) & 0xff
        return Float(bitPattern: (exponent == 0 || exponent == 0xff) ? hash ^ (1 << 23) : hash)
    }

    /// The float ID of a name: MurmurHash3_x86_32 (seed 0) of its UTF-8 bytes, converted by `float(fromHash:)`.
    /// E.g. "torus" → hash 0xf19c73fd → −1.54943624832e30 (the specification's example).
    public static func id(of name: String) -> Float {
        float(fromHash: murmurHash3_32(Array(name.utf8)))
    }

    /// An ID as the manifest writes it: 8 lower-case hex digits of its bit pattern.
    public static func hex(of id: Float) -> String {
        let s = String(id.bitPattern, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    /// The conventional metadata key of a cryptomatte named `name`: the first 7 hex digits of its ID
    /// ("ViewLayer.CryptoObject" → "542cafa").
    public static func key(forLayerNamed name: String) -> String {
        String(hex(of: id(of: name)).prefix(7))
    }

    // MARK: - Finding cryptomattes in a file (spec §1 "EXR File")

    /// The cryptomattes that a file's string header attributes and channel names describe, sorted by name.
    /// Attribute names may carry Nuke's `exr/` prefix. Throws the first problem found (`noCryptomatte` when there
    /// is none); `select(name:attributes:channelNames:)` only validates the selected one.
    public static func layers(attributes: [String: String], channelNames: [String]) throws -> [CryptomatteLayer] {
        let parsed = parseAll(attributes: attributes, channelNames: channelNames)
        if parsed.isEmpty { throw CryptomatteError.noCryptomatte }
        return try parsed.map { try $0.result.get() }
    }

    /// Whether `text` is a cryptomatte selector: `cryptomatte` or `cryptomatte:LAYER` (any case for the word).
    public static func isSelector(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower == "cryptomatte" || lower.hasPrefix("cryptomatte:")
    }

    /// The cryptomatte that `selector` names among `layers`:
    /// - `cryptomatte`: the only one, else the first (by name) whose name ends in "CryptoObject", else the first;
    /// - `cryptomatte:LAYER`: the one whose full name is LAYER ("ViewLayer.CryptoMaterial"), else the one whose
    ///   last part is ("CryptoMaterial"; an error if several are), else the same ignoring case.
    public static func select(name selector: String, from layers: [CryptomatteLayer]) throws -> CryptomatteLayer {
        let index = try selectIndex(selector, names: layers.map(\.name))
        return layers[index]
    }

    /// Finds the cryptomattes of a file and selects one (see `select(name:from:)`); only the selected
    /// cryptomatte's metadata need be valid.
    public static func select(name selector: String, attributes: [String: String], channelNames: [String]) throws -> CryptomatteLayer {
        let parsed = parseAll(attributes: attributes, channelNames: channelNames)
        guard isSelector(selector) else { throw CryptomatteError.invalidSelector(selector) }
        if parsed.isEmpty { throw CryptomatteError.noCryptomatte }
        let index = try selectIndex(selector, names: parsed.map(\.name))
        return try parsed[index].result.get()
    }

    static func selectIndex(_ selector: String, names: [String]) throws -> Int {
        guard isSelector(selector) else { throw CryptomatteError.invalidSelector(selector) }
        guard !names.isEmpty else { throw CryptomatteError.noCryptomatte }
        let order = names.indices.sorted { names[$0] < names[$1] }
        let colon = selector.firstIndex(of: ":")
        let wanted = colon.map { String(selector[selector.index(after: $0)...]) } ?? ""
        if colon != nil && wanted.isEmpty { throw CryptomatteError.invalidSelector(selector) }
        if wanted.isEmpty {
            if let object = order.first(where: { names[$0].hasSuffix("CryptoObject") }) { return object }
            if let object = order.first(where: { names[$0].lowercased().hasSuffix("cryptoobject") }) { return object }
            return order[0]
        }
        func last(_ s: String) -> String { s.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? s }
        let tests: [(String) -> Bool] = [
            { $0 == wanted },
            { last($0) == wanted },
            { $0.lowercased() == wanted.lowercased() },
            { last($0).lowercased() == wanted.lowercased() },
        ]
        for test in tests {
            let hits = order.filter { test(names[$0]) }
            if hits.count == 1 { return hits[0] }
            if hits.count > 1 { throw CryptomatteError.ambiguousLayer(wanted, candidates: hits.map { names[$0] }) }
        }
        throw CryptomatteError.unknownLayer(wanted, available: order.map { names[$0] })
    }

    struct Parsed {
        var name: String
        var result: Result<CryptomatteLayer, CryptomatteError>
    }

    /// Every `cryptomatte/<key>/` group, each parsed on its own, sorted by name (then key).
    static func parseAll(attributes: [String: String], channelNames: [String]) -> [Parsed] {
        var groups: [String: [String: String]] = [:]
        for (attribute, value) in attributes {
            var path = Substring(attribute)
            if path.hasPrefix("exr/") { path = path.dropFirst(4) }
            guard path.hasPrefix("cryptomatte/") else { continue }
            let rest = path.dropFirst("cryptomatte/".count)
            guard let slash = rest.firstIndex(of: "/") else { continue }
            let key = String(rest[..<slash]), field = String(rest[rest.index(after: slash)...])
            guard !key.isEmpty, !field.isEmpty else { continue }
            groups[key, default: [:]][field] = value
        }
        var parsed = groups.map { key, fields in
            Parsed(name: fields["name"] ?? "cryptomatte/\(key)", result: parseLayer(key: key, fields: fields, channelNames: channelNames))
        }
        parsed.sort { $0.name < $1.name }
        return parsed
    }

    static func parseLayer(key: String, fields: [String: String], channelNames: [String]) -> Result<CryptomatteLayer, CryptomatteError> {
        guard let name = fields["name"], !name.isEmpty else { return .failure(.missingMetadata(key: key, attribute: "name")) }
        guard let hash = fields["hash"] else { return .failure(.missingMetadata(key: key, attribute: "hash")) }
        guard hash == hashName else { return .failure(.unsupportedHash(layer: name, hash: hash)) }
        guard let conversion = fields["conversion"] else { return .failure(.missingMetadata(key: key, attribute: "conversion")) }
        guard conversion == conversionName else { return .failure(.unsupportedConversion(layer: name, conversion: conversion)) }
        let channels: [String]
        switch rankChannels(prefix: name, layer: name, channelNames: channelNames) {
        case .success(let c): channels = c
        case .failure(let e): return .failure(e)
        }
        var manifest: [String: Float] = [:]
        var hasManifest = false
        if let text = fields["manifest"] {
            switch manifestResult(text, layer: name) {
            case .success(let m): manifest = m; hasManifest = true
            case .failure(let e): return .failure(e)
            }
        }
        let sidecar = fields["manif_file"].flatMap { $0.isEmpty ? nil : $0 }
        return .success(CryptomatteLayer(key: key, name: name, channelPrefix: name, rankChannels: channels,
                                         manifest: manifest, hasManifest: hasManifest, sidecarManifest: sidecar))
    }

    /// `<prefix>NN.r/.g/.b/.a` (or `.R`…, `.red`…) for NN = 00, 01, … in numeric order, each layer complete.
    static func rankChannels(prefix: String, layer: String, channelNames: [String]) -> Result<[String], CryptomatteError> {
        let components: [[String]] = [["r", "R", "red"], ["g", "G", "green"], ["b", "B", "blue"], ["a", "A", "alpha"]]
        // rank-layer number → its digits as written, and its channels by component.
        var found: [Int: (digits: String, channels: [String: String])] = [:]
        let present = Set(channelNames)
        for channel in channelNames where channel.hasPrefix(prefix) {
            let rest = channel.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), dot > rest.startIndex else { continue }
            let digits = rest[..<dot], suffix = String(rest[rest.index(after: dot)...])
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits),
                  components.contains(where: { $0.contains(suffix) }) else { continue }
            found[number, default: (String(digits), [:])].channels[suffix] = channel
        }
        if found.isEmpty { return .failure(.missingChannels(layer: layer, expectedPrefix: prefix)) }
        var result: [String] = []
        var missing: [String] = []
        for number in found.keys.sorted() {
            let entry = found[number]!
            for spellings in components {
                if let spelling = spellings.first(where: { entry.channels[$0] != nil }) {
                    result.append(entry.channels[spelling]!)
                } else {
                    missing.append("\(prefix)\(entry.digits).\(spellings[0])")
                }
            }
        }
        // Rank layers must be numbered 0, 1, 2, … with no gap.
        let numbers = found.keys.sorted()
        if numbers != Array(0..<numbers.count) {
            let digits = found[numbers[0]]!.digits.count
            for n in 0..<(numbers.last! + 1) where found[n] == nil {
                let s = String(n)
                let padded = String(repeating: "0", count: max(0, digits - s.count)) + s
                if !present.contains("\(prefix)\(padded).r") { missing.append("\(prefix)\(padded).r/.g/.b/.a") }
            }
        }
        if !missing.isEmpty { return .failure(.incompleteRankLayer(layer: layer, missing: missing)) }
        return .success(result)
    }

    /// Parses a manifest: a JSON object of names to 8-digit hex bit patterns of float IDs.
    public static func parseManifest(_ text: String, layer: String = "") throws -> [String: Float] {
        try manifestResult(text, layer: layer).get()
    }

    static func manifestResult(_ text: String, layer: String) -> Result<[String: Float], CryptomatteError> {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [])
        } catch {
            return .failure(.invalidManifest(layer: layer, reason: "not JSON (\(text.prefix(40))…)"))
        }
        guard let dictionary = object as? [String: Any] else {
            return .failure(.invalidManifest(layer: layer, reason: "expected a JSON object of name: \"hex ID\""))
        }
        var manifest: [String: Float] = [:]
        manifest.reserveCapacity(dictionary.count)
        for (name, value) in dictionary {
            guard let hex = value as? String, hex.utf8.count == 8,
                  hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }),
                  let bits = UInt32(hex, radix: 16) else {
                return .failure(.invalidManifest(layer: layer, reason: "the ID of '\(name)' is \(value), not 8 hex digits"))
            }
            manifest[name] = Float(bitPattern: bits)
        }
        return .success(manifest)
    }

    // MARK: - Names and globs

    /// Whether `pattern` has an unescaped `*` or `?`.
    public static func isGlob(_ pattern: String) -> Bool {
        var escaped = false
        for c in pattern {
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true } else if c == "*" || c == "?" { return true }
        }
        return false
    }

    /// `pattern` with its backslash escapes removed (`\*` → `*`).
    static func unescape(_ pattern: String) -> String {
        guard pattern.contains("\\") else { return pattern }
        var out = "", escaped = false
        for c in pattern {
            if !escaped && c == "\\" { escaped = true; continue }
            escaped = false
            out.append(c)
        }
        if escaped { out.append("\\") }
        return out
    }

    /// Whether `name` matches `pattern` as a whole, fnmatch-like: `*` any run of characters (empty too), `?` one
    /// character, `\` makes the next character literal; everything else matches itself (case-sensitive).
    public static func glob(_ pattern: String, matches name: String) -> Bool {
        enum Token: Equatable { case literal(Character), one, any }
        var tokens: [Token] = []
        var escaped = false
        for c in pattern {
            if escaped { tokens.append(.literal(c)); escaped = false; continue }
            switch c {
            case "\\": escaped = true
            case "*": if tokens.last != .any { tokens.append(.any) }
            case "?": tokens.append(.one)
            default: tokens.append(.literal(c))
            }
        }
        if escaped { tokens.append(.literal("\\")) }
        let s = Array(name)
        // Greedy matching with one backtrack point (the last `*`): linear in practice, O(n·m) at worst.
        var p = 0, i = 0, star = -1, mark = 0
        while i < s.count {
            if p < tokens.count {
                switch tokens[p] {
                case .any: star = p; mark = i; p += 1; continue
                case .one: p += 1; i += 1; continue
                case .literal(let c) where c == s[i]: p += 1; i += 1; continue
                default: break
                }
            }
            guard star >= 0 else { return false }
            p = star + 1
            mark += 1
            i = mark
        }
        while p < tokens.count, tokens[p] == .any { p += 1 }
        return p == tokens.count
    }

    /// The IDs of the manifest names that `pattern` selects, sorted by name, without duplicates: every name the
    /// glob matches (`*`, `?`; see `glob(_:matches:)`), or the one name given exactly (`\*` for a literal `*`).
    /// Throws `unknownName` for an exact name not in the manifest and `noMatch` for a glob that matches nothing,
    /// both listing some of the manifest's names.
    public static func ids(matching pattern: String, in manifest: [String: Float], layer: String = "cryptomatte") throws -> [Float] {
        if !isGlob(pattern) {
            let name = unescape(pattern)
            guard let id = manifest[name] else {
                throw CryptomatteError.unknownName(name, layer: layer, available: suggestions(for: name, in: manifest))
            }
            return [id]
        }
        var seen = Set<UInt32>()
        var ids: [Float] = []
        for name in manifest.keys.sorted() where glob(pattern, matches: name) {
            let id = manifest[name]!
            if seen.insert(id.bitPattern).inserted { ids.append(id) }
        }
        if ids.isEmpty { throw CryptomatteError.noMatch(pattern: pattern, layer: layer, available: manifest.keys.sorted()) }
        return ids
    }

    /// The manifest's names, those sharing a case-insensitive prefix or containing `name` first.
    static func suggestions(for name: String, in manifest: [String: Float]) -> [String] {
        let lower = name.lowercased()
        let all = manifest.keys.sorted()
        let close = all.filter { $0.lowercased().contains(lower) || lower.contains($0.lowercased()) }
        return close + all.filter { !close.contains($0) }
    }

    // MARK: - Mattes (spec §3 "Ranking Pixel Filter", decoding side)

    /// The matte of `ids`: per pixel, the sum of the coverages of the ranks whose ID is one of `ids` (compared by
    /// bit pattern), clamped to [0, 1].
    ///
    /// `channels` holds `rankChannelCount` values per pixel, pixel after pixel: the `.r, .g, .b, .a` values of
    /// `<prefix>00`, then `<prefix>01`, … (`CryptomatteLayer.rankChannels` order), i.e. (ID, coverage) pairs.
    public static func coverage(ids: [Float], channels: UnsafeBufferPointer<Float>, rankChannelCount: Int, pixelCount: Int) -> [Float] {
        precondition(rankChannelCount > 0 && rankChannelCount % 2 == 0, "Cryptomatte.coverage: rankChannelCount must be even (ID, coverage pairs), got \(rankChannelCount)")
        precondition(pixelCount >= 0 && channels.count >= pixelCount * rankChannelCount,
                     "Cryptomatte.coverage: \(channels.count) values for \(pixelCount) pixels × \(rankChannelCount) channels")
        var out = [Float](repeating: 0, count: pixelCount)
        let wanted = Array(Set(ids.map(\.bitPattern))).sorted()
        guard !wanted.isEmpty, pixelCount > 0, let base = channels.baseAddress else { return out }
        let pairs = rankChannelCount / 2
        out.withUnsafeMutableBufferPointer { result in
            wanted.withUnsafeBufferPointer { set in
                let n = set.count
                if n == 1 {
                    let only = set[0]
                    for p in 0..<pixelCount {
                        let row = p &* rankChannelCount
                        var sum: Float = 0
                        for r in 0..<pairs where base[row &+ 2 &* r].bitPattern == only {
                            sum += base[row &+ 2 &* r &+ 1]
                        }
                        result[p] = clamp01(sum)
                    }
                } else if n <= 16 {
                    for p in 0..<pixelCount {
                        let row = p &* rankChannelCount
                        var sum: Float = 0
                        for r in 0..<pairs {
                            let id = base[row &+ 2 &* r].bitPattern
                            let c = base[row &+ 2 &* r &+ 1]
                            if c == 0 { continue }  // an unused rank (ID 0, coverage 0)
                            var k = 0
                            while k < n && set[k] != id { k &+= 1 }
                            if k < n { sum += c }
                        }
                        result[p] = clamp01(sum)
                    }
                } else {
                    for p in 0..<pixelCount {
                        let row = p &* rankChannelCount
                        var sum: Float = 0
                        for r in 0..<pairs {
                            let id = base[row &+ 2 &* r].bitPattern
                            let c = base[row &+ 2 &* r &+ 1]
                            if c == 0 { continue }  // an unused rank (ID 0, coverage 0)
                            var lo = 0, hi = n
                            while lo < hi {
                                let mid = (lo &+ hi) >> 1
                                if set[mid] < id { lo = mid &+ 1 } else { hi = mid }
                            }
                            if lo < n && set[lo] == id { sum += c }
                        }
                        result[p] = clamp01(sum)
                    }
                }
            }
        }
        return out
    }

    /// `coverage(ids:channels:rankChannelCount:pixelCount:)` over an array.
    public static func coverage(ids: [Float], channels: [Float], rankChannelCount: Int, pixelCount: Int) -> [Float] {
        channels.withUnsafeBufferPointer { coverage(ids: ids, channels: $0, rankChannelCount: rankChannelCount, pixelCount: pixelCount) }
    }

    /// `coverage` for a set of IDs.
    public static func coverage(ids: Set<Float>, channels: UnsafeBufferPointer<Float>, rankChannelCount: Int, pixelCount: Int) -> [Float] {
        coverage(ids: Array(ids), channels: channels, rankChannelCount: rankChannelCount, pixelCount: pixelCount)
    }

    @inline(__always) static func clamp01(_ x: Float) -> Float {
        x > 0 ? (x < 1 ? x : 1) : 0  // NaN → 0
    }
}
