/// Bounds-checked reading of a FlatBuffers binary (the container format of TFLite models), written for
/// untrusted files: every offset, vtable entry and vector length is checked against the data before it
/// is followed, and a bad one throws `TFLiteError.corrupt` (or `.truncated`) instead of trapping.
///
/// Layout reminders (all little-endian):
/// - the buffer starts with a `uoffset` (u32) to the root table, then a 4-byte file identifier;
/// - a table starts with an `soffset` (i32): its vtable lives at `table − soffset`;
/// - a vtable is `[u16 vtableBytes, u16 tableBytes, u16 fieldOffset…]`; field `i`'s entry is at
///   `4 + 2i` and a missing or zero entry means "absent, use the default";
/// - reference fields (tables, vectors, strings) hold a u32 offset relative to the field's own position;
/// - a vector or string is a u32 element count followed by the elements (strings are not NUL-counted).
struct TFLiteFlatBuffer {
    let bytes: [UInt8]
    /// Names the model in errors.
    let name: String

    init(bytes: [UInt8], name: String) {
        self.bytes = bytes
        self.name = name
    }

    var count: Int { bytes.count }

    func corrupt(_ detail: String) -> TFLiteError { .corrupt(model: name, detail: detail) }

    /// Throws unless `position ..< position + size` lies inside the data.
    @inline(__always)
    func check(_ position: Int, _ size: Int, _ what: @autoclosure () -> String) throws {
        guard position >= 0, size >= 0, position <= bytes.count, size <= bytes.count - position else {
            throw corrupt("\(what()) at byte \(position) (+\(size)) lies outside the \(bytes.count)-byte data")
        }
    }

    func u8(_ p: Int) throws -> UInt8 {
        try check(p, 1, "a byte")
        return bytes[p]
    }

    func u16(_ p: Int) throws -> UInt16 {
        try check(p, 2, "a 16-bit value")
        return UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
    }

    func u32(_ p: Int) throws -> UInt32 {
        try check(p, 4, "a 32-bit value")
        return UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
    }

    func u64(_ p: Int) throws -> UInt64 {
        try check(p, 8, "a 64-bit value")
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(bytes[p + i]) }
        return v
    }

    /// The table a `uoffset` stored at `position` points to.
    func table(referencedAt position: Int) throws -> TFLiteTable {
        let target = position + Int(try u32(position))
        return try table(at: target)
    }

    /// The table starting at `position` (validates its vtable header).
    func table(at position: Int) throws -> TFLiteTable {
        try check(position, 4, "a table")
        let soffset = Int(Int32(bitPattern: try u32(position)))
        let vtable = position - soffset
        let vtableBytes = Int(try u16(vtable))
        let tableBytes = Int(try u16(vtable + 2))
        guard vtableBytes >= 4, vtableBytes % 2 == 0 else {
            throw corrupt("a vtable at byte \(vtable) declares an invalid size of \(vtableBytes) bytes")
        }
        try check(vtable, vtableBytes, "a vtable")
        try check(position, max(4, tableBytes), "a table body")
        return TFLiteTable(buffer: self, position: position, vtable: vtable, vtableBytes: vtableBytes,
                           tableBytes: max(4, tableBytes))
    }

    /// The root table of the buffer.
    func root() throws -> TFLiteTable {
        try table(referencedAt: 0)
    }
}

/// One table of a `TFLiteFlatBuffer`: typed access to its fields by index (the order of the fields in
/// the schema), with schema defaults for absent fields.
struct TFLiteTable {
    let buffer: TFLiteFlatBuffer
    let position: Int
    let vtable: Int
    let vtableBytes: Int
    let tableBytes: Int

    /// Absolute position of field `index`, or nil when the field is absent.
    func fieldPosition(_ index: Int) throws -> Int? {
        let entry = 4 + 2 * index
        guard entry + 2 <= vtableBytes else { return nil }
        let offset = Int(try buffer.u16(vtable + entry))
        if offset == 0 { return nil }
        guard offset < tableBytes else {
            throw buffer.corrupt("field \(index) of the table at byte \(position) lies past the table's \(tableBytes) bytes")
        }
        return position + offset
    }

    func uint8(_ index: Int, default value: UInt8 = 0) throws -> UInt8 {
        guard let p = try fieldPosition(index) else { return value }
        return try buffer.u8(p)
    }

    func int8(_ index: Int, default value: Int8 = 0) throws -> Int8 {
        Int8(bitPattern: try uint8(index, default: UInt8(bitPattern: value)))
    }

    func bool(_ index: Int, default value: Bool = false) throws -> Bool {
        guard let p = try fieldPosition(index) else { return value }
        return try buffer.u8(p) != 0
    }

    func int32(_ index: Int, default value: Int32 = 0) throws -> Int32 {
        guard let p = try fieldPosition(index) else { return value }
        return Int32(bitPattern: try buffer.u32(p))
    }

    func uint32(_ index: Int, default value: UInt32 = 0) throws -> UInt32 {
        guard let p = try fieldPosition(index) else { return value }
        return try buffer.u32(p)
    }

    func uint64(_ index: Int, default value: UInt64 = 0) throws -> UInt64 {
        guard let p = try fieldPosition(index) else { return value }
        return try buffer.u64(p)
    }

    func float32(_ index: Int, default value: Float = 0) throws -> Float {
        guard let p = try fieldPosition(index) else { return value }
        return Float(bitPattern: try buffer.u32(p))
    }

    /// The table referenced by field `index`, or nil when absent.
    func table(_ index: Int) throws -> TFLiteTable? {
        guard let p = try fieldPosition(index) else { return nil }
        return try buffer.table(referencedAt: p)
    }

    /// Start of the elements and element count of the vector referenced by field `index` (nil when
    /// absent); checks that `count × elementSize` bytes are inside the data.
    func vector(_ index: Int, elementSize: Int) throws -> (start: Int, count: Int)? {
        guard let p = try fieldPosition(index) else { return nil }
        let header = p + Int(try buffer.u32(p))
        let count = Int(try buffer.u32(header))
        let start = header + 4
        guard count <= (buffer.count - min(buffer.count, start)) / max(1, elementSize) else {
            throw buffer.corrupt("a vector at byte \(header) declares \(count) elements of \(elementSize) bytes, "
                                 + "more than the data holds")
        }
        try buffer.check(start, count * elementSize, "a vector")
        return (start, count)
    }

    func int32Vector(_ index: Int) throws -> [Int32]? {
        guard let (start, count) = try vector(index, elementSize: 4) else { return nil }
        return try (0..<count).map { Int32(bitPattern: try buffer.u32(start + 4 * $0)) }
    }

    func float32Vector(_ index: Int) throws -> [Float]? {
        guard let (start, count) = try vector(index, elementSize: 4) else { return nil }
        return try (0..<count).map { Float(bitPattern: try buffer.u32(start + 4 * $0)) }
    }

    func int64Vector(_ index: Int) throws -> [Int64]? {
        guard let (start, count) = try vector(index, elementSize: 8) else { return nil }
        return try (0..<count).map { Int64(bitPattern: try buffer.u64(start + 8 * $0)) }
    }

    /// The byte range of a `[ubyte]` vector field.
    func byteRange(_ index: Int) throws -> Range<Int>? {
        guard let (start, count) = try vector(index, elementSize: 1) else { return nil }
        return start..<(start + count)
    }

    func tableVector(_ index: Int) throws -> [TFLiteTable] {
        guard let (start, count) = try vector(index, elementSize: 4) else { return [] }
        return try (0..<count).map { try buffer.table(referencedAt: start + 4 * $0) }
    }

    func string(_ index: Int) throws -> String? {
        guard let range = try byteRange(index) else { return nil }
        return String(decoding: buffer.bytes[range], as: UTF8.self)
    }
}
