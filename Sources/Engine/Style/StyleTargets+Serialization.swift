/// A compact, versioned binary form of `StyleTargets`, so the farm can compute a job's Gram targets once,
/// name them by the SHA-256 of their bytes and ship them to every worker.
///
/// Layout (all integers little-endian, no padding):
///
///     offset  size  field
///     0       4     magic "SFGT" (0x53 0x46 0x47 0x54)
///     4       2     format version (1)
///     6       4     layer count L
///     then L times:
///             2     name length N (1...255)
///             N     name, UTF-8
///             4     channel count C (1...4096)
///             4·C²  Gram matrix, row-major IEEE-754 binary32 bit patterns
///
/// Nothing may follow the last layer. Equal targets give equal bytes (floats are copied bit for bit, NaN
/// payloads included), so the SHA-256 of the bytes identifies the targets.
extension StyleTargets {
    /// The magic bytes that start every serialized `StyleTargets`.
    public static let serializationMagic: [UInt8] = Array("SFGT".utf8)
    /// The format version written by `serialized()` and the only one `init(serialized:)` accepts.
    public static let serializationVersion: UInt16 = 1
    /// Largest accepted layer-name length in bytes.
    public static let maxSerializedNameLength = 255
    /// Largest accepted channel count (VGG's widest layer has 512).
    public static let maxSerializedChannels = 4096

    /// The serialized bytes. Throws `StyleTargetsSerializationError` when a layer cannot be represented
    /// (its `gram` does not hold `channels²` values, or its name is empty or too long).
    public func serialized() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(10 + layers.reduce(0) { $0 + 6 + $1.name.utf8.count + 4 * $1.gram.count })
        Self.appendHeader(magic: Self.serializationMagic, version: Self.serializationVersion, count: layers.count, to: &out)
        for (index, layer) in layers.enumerated() {
            let name = try Self.layerNameBytes(layer.name, index: index)
            guard (1...Self.maxSerializedChannels).contains(layer.channels) else {
                throw StyleTargetsSerializationError.invalidChannelCount(layer: index, channels: layer.channels)
            }
            guard layer.gram.count == layer.channels * layer.channels else {
                throw StyleTargetsSerializationError.gramSizeMismatch(layer: index, channels: layer.channels,
                                                                       values: layer.gram.count)
            }
            out += name
            Self.append(UInt64(layer.channels), bytes: 4, to: &out)
            for value in layer.gram { Self.append(UInt64(value.bitPattern), bytes: 4, to: &out) }
        }
        return out
    }

    /// Parses bytes written by `serialized()`. Every length is checked against the remaining input before
    /// anything is allocated; malformed input throws `StyleTargetsSerializationError`, never traps.
    public init(serialized bytes: [UInt8]) throws {
        var reader = ByteReader(bytes: bytes)
        // Each layer takes at least 2 + 1 + 4 + 4 bytes: absurd counts are rejected before reserving.
        let count = try reader.header(magic: Self.serializationMagic, version: Self.serializationVersion, minimumLayerBytes: 11)
        var layers: [Layer] = []
        layers.reserveCapacity(count)
        for index in 0..<count {
            let name = try reader.layerName(index: index)
            if layers.contains(where: { $0.name == name }) { throw StyleTargetsSerializationError.duplicateLayer(name) }
            let channels = try reader.integer(bytes: 4)
            guard channels >= 1 && channels <= UInt64(Self.maxSerializedChannels) else {
                throw StyleTargetsSerializationError.invalidChannelCount(layer: index, channels: Int(channels))
            }
            let c = Int(channels)
            guard reader.remaining >= 4 * c * c else { throw StyleTargetsSerializationError.truncated(offset: reader.offset) }
            var gram = [Float](repeating: 0, count: c * c)
            for i in 0..<gram.count { gram[i] = Float(bitPattern: UInt32(try reader.integer(bytes: 4))) }
            layers.append(Layer(name: name, channels: c, gram: gram))
        }
        guard reader.remaining == 0 else { throw StyleTargetsSerializationError.trailingBytes(count: reader.remaining) }
        self.init(layers: layers)
    }

    /// Magic, version (2 bytes) and layer count (4 bytes): the start of both blob formats.
    static func appendHeader(magic: [UInt8], version: UInt16, count: Int, to out: inout [UInt8]) {
        out += magic
        append(UInt64(version), bytes: 2, to: &out)
        append(UInt64(count), bytes: 4, to: &out)
    }

    /// A layer name's length (2 bytes) and UTF-8 bytes, checked to be 1…`maxSerializedNameLength` long.
    static func layerNameBytes(_ name: String, index: Int) throws -> [UInt8] {
        let bytes = Array(name.utf8)
        guard (1...maxSerializedNameLength).contains(bytes.count) else { throw StyleTargetsSerializationError.invalidLayerName(layer: index) }
        var out: [UInt8] = []
        append(UInt64(bytes.count), bytes: 2, to: &out)
        return out + bytes
    }

    static func append(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}

/// A bounds-checked little-endian cursor over a byte array (style targets and `GramSums`).
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    var remaining: Int { bytes.count - offset }

    mutating func read(count: Int) throws -> [UInt8] {
        guard count >= 0 && count <= remaining else { throw StyleTargetsSerializationError.truncated(offset: offset) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads and checks magic and version; returns the layer count, refused when the rest cannot hold that many
    /// layers of `minimumLayerBytes`.
    mutating func header(magic: [UInt8], version expected: UInt16, minimumLayerBytes: Int) throws -> Int {
        guard try read(count: magic.count) == magic else { throw StyleTargetsSerializationError.badMagic }
        let version = try integer(bytes: 2)
        guard version == UInt64(expected) else { throw StyleTargetsSerializationError.unsupportedVersion(Int(version)) }
        let count = try integer(bytes: 4)
        guard count <= UInt64(remaining / minimumLayerBytes) else { throw StyleTargetsSerializationError.truncated(offset: offset) }
        return Int(count)
    }

    /// A layer name written by `StyleTargets.layerNameBytes`.
    mutating func layerName(index: Int) throws -> String {
        let length = Int(try integer(bytes: 2))
        guard (1...StyleTargets.maxSerializedNameLength).contains(length),
              let name = String(validating: try read(count: length), as: UTF8.self) else {
            throw StyleTargetsSerializationError.invalidLayerName(layer: index)
        }
        return name
    }

    mutating func integer(bytes count: Int) throws -> UInt64 {
        guard count <= remaining else { throw StyleTargetsSerializationError.truncated(offset: offset) }
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += count
        return value
    }
}

/// Why bytes could not be parsed as (or targets could not be written as) serialized `StyleTargets`.
public enum StyleTargetsSerializationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input does not start with "SFGT": it is not a style-target blob.
    case badMagic
    /// The blob was written by a newer (or unknown) format version; update the worker.
    case unsupportedVersion(Int)
    /// The input ends inside a field that starts at or after `offset`.
    case truncated(offset: Int)
    /// A layer name is empty, longer than 255 bytes or not UTF-8.
    case invalidLayerName(layer: Int)
    /// A layer's channel count is 0 or above `maxSerializedChannels`.
    case invalidChannelCount(layer: Int, channels: Int)
    /// Writing: a layer's `gram` does not hold `channels²` values.
    case gramSizeMismatch(layer: Int, channels: Int, values: Int)
    /// Two layers have the same name.
    case duplicateLayer(String)
    /// Bytes follow the last layer.
    case trailingBytes(count: Int)

    public var description: String {
        switch self {
        case .badMagic: return "not serialized style targets (bad magic)"
        case .unsupportedVersion(let v): return "style targets format version \(v) is not supported (expected \(StyleTargets.serializationVersion))"
        case .truncated(let offset): return "style targets are truncated at byte \(offset)"
        case .invalidLayerName(let layer): return "style target layer \(layer) has an invalid name"
        case .invalidChannelCount(let layer, let c): return "style target layer \(layer) has an invalid channel count \(c)"
        case .gramSizeMismatch(let layer, let c, let n): return "style target layer \(layer) has \(n) Gram values for \(c) channels"
        case .duplicateLayer(let name): return "style target layer \(name) appears twice"
        case .trailingBytes(let n): return "\(n) unexpected bytes after the last style target layer"
        }
    }
}
