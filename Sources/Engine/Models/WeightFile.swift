import Foundation

/// One named float32 tensor of a ``WeightFile``: a shape and its values in row-major order.
///
/// Convolution kernels are stored OIHW (`[outChannels, inChannels, kernelHeight, kernelWidth]`),
/// biases as `[outChannels]`.
public struct WeightTensor: Equatable, Sendable {
    /// The dimensions, outermost first. Every dimension is at least 1.
    public let shape: [Int]
    /// `shape.reduce(1, *)` values in row-major order.
    public let values: [Float]

    /// Creates a tensor; throws ``WeightFileError/shapeSizeMismatch(name:shape:byteLength:)`` (with an
    /// empty name) when `values.count` does not equal the product of `shape`, or a dimension is < 1.
    public init(shape: [Int], values: [Float]) throws {
        guard let count = WeightTensor.elementCount(shape), count == values.count else {
            throw WeightFileError.shapeSizeMismatch(name: "", shape: shape, byteLength: values.count * 4)
        }
        self.shape = shape
        self.values = values
    }

    /// The number of elements a shape describes, or nil when a dimension is < 1 or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dim in shape {
            guard dim >= 1 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }
}

/// Why a weight file could not be read.
public enum WeightFileError: Error, Equatable, CustomStringConvertible {
    /// The file does not start with `SFWEIGHT`.
    case badMagic
    /// The format version is not one this build reads.
    case unsupportedVersion(UInt32)
    /// The file ends inside the fixed preamble or the JSON header.
    case truncatedHeader(expectedAtLeast: Int, actual: Int)
    /// The JSON header is not valid JSON of the expected structure.
    case invalidHeader(String)
    /// The header is valid JSON but contradicts itself (duplicate names, bad dtype, bad data length, …).
    case inconsistentHeader(String)
    /// A tensor's byte length does not match its shape (4 bytes per float32 element).
    case shapeSizeMismatch(name: String, shape: [Int], byteLength: Int)
    /// A tensor's bytes lie (partly) outside the data section, or overlap another tensor.
    case tensorOutOfBounds(name: String, offset: Int, byteLength: Int, dataLength: Int)
    /// The file is shorter than the header says its data section is.
    case truncatedData(expected: Int, actual: Int)
    /// A tensor the caller needs is not in the file.
    case missingTensor(String)

    public var description: String {
        switch self {
        case .badMagic:
            return "not a StyleFarm weight file (the first 8 bytes are not \"SFWEIGHT\")"
        case .unsupportedVersion(let v):
            return "weight file format version \(v) is not supported (this build reads version \(WeightFile.formatVersion))"
        case .truncatedHeader(let expected, let actual):
            return "weight file is truncated inside its header (\(actual) bytes, at least \(expected) needed)"
        case .invalidHeader(let why):
            return "weight file header is not valid: \(why)"
        case .inconsistentHeader(let why):
            return "weight file header is inconsistent: \(why)"
        case .shapeSizeMismatch(let name, let shape, let byteLength):
            return "tensor \(name.isEmpty ? "(unnamed)" : "'\(name)'") has shape \(shape) but \(byteLength) bytes of float32 data"
        case .tensorOutOfBounds(let name, let offset, let byteLength, let dataLength):
            return "tensor '\(name)' (offset \(offset), \(byteLength) bytes) lies outside the data section (\(dataLength) bytes) or overlaps another tensor"
        case .truncatedData(let expected, let actual):
            return "weight file is truncated: \(actual) bytes, \(expected) expected"
        case .missingTensor(let name):
            return "weight file has no tensor named '\(name)'"
        }
    }
}

/// Pretrained network weights in StyleFarm's weight-file format (`.sfw`), documented byte by byte in
/// `docs/MODELS.md`.
///
/// Layout: the 8-byte magic `SFWEIGHT`; a little-endian `UInt32` format version (1); a little-endian
/// `UInt32` JSON header length; the UTF-8 JSON header; zero padding up to the next multiple of 64; the
/// data section of little-endian float32 tensors, each starting at a 64-byte aligned offset relative
/// to the data section. Every offset and length is bounds-checked on reading.
///
/// VGG weights use the tensor names `conv{block}_{index}.weight` (OIHW) and `conv{block}_{index}.bias`,
/// e.g. `conv1_1.weight` with shape `[64, 3, 3, 3]`. The first convolution expects BGR input in 0…255
/// with the ImageNet mean `[103.939, 116.779, 123.68]` (B, G, R) subtracted (Caffe convention).
public struct WeightFile: Equatable, Sendable {
    /// The magic bytes every weight file starts with.
    public static let magic = Data("SFWEIGHT".utf8)
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1
    /// Alignment (bytes) of the data section and of every tensor within it.
    public static let alignment = 64

    /// The network the weights belong to, e.g. `vgg16` or `vgg19`.
    public var network: String
    /// Free-form provenance, e.g. the package and checksums the weights were converted from.
    public var source: String
    /// The tensors by name.
    public var tensors: [String: WeightTensor]

    /// Creates a weight file in memory.
    public init(network: String, source: String, tensors: [String: WeightTensor]) {
        self.network = network
        self.source = source
        self.tensors = tensors
    }

    /// The tensor named `name`, or ``WeightFileError/missingTensor(_:)``.
    public func tensor(named name: String) throws -> WeightTensor {
        guard let tensor = tensors[name] else { throw WeightFileError.missingTensor(name) }
        return tensor
    }

    // MARK: Header

    struct Header: Codable, Equatable {
        struct Entry: Codable, Equatable {
            var name: String
            var dtype: String
            var shape: [Int]
            var offset: Int
            var byteLength: Int
        }
        var network: String
        var source: String
        var dataLength: Int
        var tensors: [Entry]
    }

    private static let preambleLength = 16

    // MARK: Reading

    /// Parses a weight file, validating the magic, version, header and every tensor's bounds.
    public static func read(from data: Data) throws -> WeightFile {
        // Index from 0 below; a slice with another start index is copied once.
        let bytes = data.startIndex == 0 ? data : Data(data)
        guard bytes.count >= magic.count else {
            if bytes.count > 0, !magic.starts(with: bytes) { throw WeightFileError.badMagic }
            throw WeightFileError.truncatedHeader(expectedAtLeast: preambleLength, actual: bytes.count)
        }
        guard bytes.prefix(magic.count) == magic else { throw WeightFileError.badMagic }
        guard bytes.count >= preambleLength else {
            throw WeightFileError.truncatedHeader(expectedAtLeast: preambleLength, actual: bytes.count)
        }
        let version = readUInt32LE(bytes, at: 8)
        guard version == formatVersion else { throw WeightFileError.unsupportedVersion(version) }
        let headerLength = Int(readUInt32LE(bytes, at: 12))
        let headerEnd = preambleLength + headerLength
        guard bytes.count >= headerEnd else {
            throw WeightFileError.truncatedHeader(expectedAtLeast: headerEnd, actual: bytes.count)
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: bytes.subdata(in: preambleLength..<headerEnd))
        } catch {
            throw WeightFileError.invalidHeader(String(describing: error))
        }
        let dataStart = alignUp(headerEnd)
        guard header.dataLength >= 0 else {
            throw WeightFileError.inconsistentHeader("negative dataLength \(header.dataLength)")
        }
        let (dataEnd, overflow) = dataStart.addingReportingOverflow(header.dataLength)
        guard !overflow else { throw WeightFileError.inconsistentHeader("dataLength \(header.dataLength) is too large") }
        guard bytes.count >= dataEnd else { throw WeightFileError.truncatedData(expected: dataEnd, actual: bytes.count) }
        guard bytes.count == dataEnd else {
            throw WeightFileError.inconsistentHeader("\(bytes.count - dataEnd) trailing bytes after the data section")
        }

        var tensors: [String: WeightTensor] = [:]
        var ranges: [(range: Range<Int>, name: String)] = []
        for entry in header.tensors {
            guard !entry.name.isEmpty else { throw WeightFileError.inconsistentHeader("a tensor has an empty name") }
            guard tensors[entry.name] == nil else {
                throw WeightFileError.inconsistentHeader("tensor '\(entry.name)' appears twice")
            }
            guard entry.dtype == "float32" else {
                throw WeightFileError.inconsistentHeader("tensor '\(entry.name)' has dtype '\(entry.dtype)'; only float32 is supported")
            }
            guard let count = WeightTensor.elementCount(entry.shape), count <= Int.max / 4,
                  count * 4 == entry.byteLength else {
                throw WeightFileError.shapeSizeMismatch(name: entry.name, shape: entry.shape, byteLength: entry.byteLength)
            }
            let (end, endOverflow) = entry.offset.addingReportingOverflow(entry.byteLength)
            guard entry.offset >= 0, !endOverflow, end <= header.dataLength else {
                throw WeightFileError.tensorOutOfBounds(name: entry.name, offset: entry.offset,
                                                        byteLength: entry.byteLength, dataLength: header.dataLength)
            }
            let start = dataStart + entry.offset
            let values = decodeFloats(bytes, from: start, count: count)
            tensors[entry.name] = try WeightTensor(shape: entry.shape, values: values)
            ranges.append((entry.offset..<end, entry.name))
        }
        ranges.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.range.overlaps(b.range) {
            throw WeightFileError.tensorOutOfBounds(name: b.name, offset: b.range.lowerBound,
                                                    byteLength: b.range.count, dataLength: header.dataLength)
        }
        return WeightFile(network: header.network, source: header.source, tensors: tensors)
    }

    // MARK: Writing

    /// The file's bytes. Deterministic: tensors are laid out in ascending name order and the JSON
    /// header has sorted keys, so equal contents always give equal bytes (and equal checksums).
    public func serialized() -> Data {
        var entries: [Header.Entry] = []
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let tensor = tensors[name]!  // name comes from tensors.keys
            let byteLength = tensor.values.count * 4
            entries.append(.init(name: name, dtype: "float32", shape: tensor.shape, offset: offset, byteLength: byteLength))
            offset = WeightFile.alignUp(offset + byteLength)
        }
        let dataLength = entries.last.map { $0.offset + $0.byteLength } ?? 0
        let header = Header(network: network, source: source, dataLength: dataLength, tensors: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        let json = (try? encoder.encode(header)) ?? Data("{}".utf8)

        var out = Data()
        let dataStart = WeightFile.alignUp(WeightFile.preambleLength + json.count)
        out.reserveCapacity(dataStart + dataLength)
        out.append(WeightFile.magic)
        appendUInt32LE(&out, WeightFile.formatVersion)
        appendUInt32LE(&out, UInt32(json.count))
        out.append(json)
        out.append(Data(count: dataStart - out.count))
        for (entry, name) in zip(entries, names) {
            out.append(Data(count: dataStart + entry.offset - out.count))
            appendFloats(&out, tensors[name]!.values)
        }
        return out
    }

    // MARK: Byte helpers

    static func alignUp(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    private static func readUInt32LE(_ data: Data, at offset: Int) -> UInt32 {
        data[offset..<offset + 4].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    private func appendUInt32LE(_ data: inout Data, _ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    /// Decodes `count` little-endian float32 values starting at byte `start` (bounds already checked).
    private static func decodeFloats(_ data: Data, from start: Int, count: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<start + count * 4]))
            }
        }
        if UInt32(littleEndian: 1) != 1 {  // big-endian host
            for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        }
        return values
    }

    private func appendFloats(_ data: inout Data, _ values: [Float]) {
        if UInt32(littleEndian: 1) == 1 {
            values.withUnsafeBytes { data.append(contentsOf: $0) }
        } else {
            for v in values { appendUInt32LE(&data, v.bitPattern) }
        }
    }
}
