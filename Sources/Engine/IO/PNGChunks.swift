/// The chunk layer of the PNG format (ISO/IEC 15948, §5.3): a signature, then chunks of a 4-byte big-endian
/// length, a 4-letter type, the data and a CRC-32 of type and data. Used to reassemble PNGs (``APNGEncoding``) and
/// to add and read text chunks (``PNGText``) around what libpng encodes.
enum PNGChunks {
    /// The 8-byte PNG signature.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// One chunk: its 4-letter type, its data, and where it starts in the file (its length field).
    struct Chunk {
        var type: String
        var data: ArraySlice<UInt8>
        var offset: Int
    }

    /// Why a byte stream is not a well-formed sequence of PNG chunks.
    struct Malformed: Error { var reason: String }

    /// The chunks of `png` after its signature, up to and including IEND.
    static func parse(_ png: [UInt8]) throws -> [Chunk] {
        guard png.count >= 8, png[0..<8].elementsEqual(signature) else { throw Malformed(reason: "no PNG signature") }
        var chunks: [Chunk] = []
        var offset = 8
        while offset + 12 <= png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let end = offset + 12 + length
            guard end <= png.count else { throw Malformed(reason: "chunk \(type) runs past the end") }
            chunks.append(Chunk(type: type, data: png[(offset + 8)..<(offset + 8 + length)], offset: offset))
            offset = end
            if type == "IEND" { return chunks }
        }
        throw Malformed(reason: "no IEND chunk")
    }

    /// Appends the chunk `type` with `data` (preceded by `sequence` when given, as in APNG's fdAT) and its CRC.
    static func append<C: Collection>(_ type: String, _ data: C, sequence: UInt32? = nil,
                                      to out: inout [UInt8]) where C.Element == UInt8 {
        let length = data.count + (sequence == nil ? 0 : 4)
        out += bigEndian(UInt32(length))
        let start = out.count
        out += Array(type.utf8)
        if let sequence { out += bigEndian(sequence) }
        out += data
        out += bigEndian(CRC32.checksum(out[start...]))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
