import Foundation

/// A minimal FlatBuffers writer for test models, so the reader and interpreter can be tested on small,
/// exactly known files without the shared data. Objects are laid out parents first, so every reference
/// points forward as the format requires; every inline field takes a 4-byte slot.
final class FlatBufferTestBuilder {
    enum Field {
        case byte(UInt8)
        case int32(Int32)
        case reference(Int)
    }

    private struct Object {
        var bytes: [UInt8]
        /// Where references point to inside `bytes` (a table's start, past its vtable).
        var entry: Int
        var fixups: [(offset: Int, target: Int)]
    }

    private var objects: [Object] = []

    private static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    private static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }

    /// A table; `fields[i]` is field i of the schema, nil for absent.
    func table(_ fields: [Field?]) -> Int {
        let vtableBytes = 4 + 2 * fields.count
        let padding = (4 - vtableBytes % 4) % 4
        let tableBytes = 4 + 4 * fields.compactMap { $0 }.count
        var vtable = Self.le16(vtableBytes) + Self.le16(tableBytes)
        var body = Self.le32(UInt32(vtableBytes + padding))          // soffset: table − vtable
        var fixups: [(Int, Int)] = []
        let tableStart = vtableBytes + padding
        for field in fields {
            guard let field else { vtable += Self.le16(0); continue }
            vtable += Self.le16(body.count)
            switch field {
            case .byte(let b): body += [b, 0, 0, 0]
            case .int32(let v): body += Self.le32(UInt32(bitPattern: v))
            case .reference(let target):
                fixups.append((tableStart + body.count, target))
                body += [0, 0, 0, 0]
            }
        }
        objects.append(Object(bytes: vtable + [UInt8](repeating: 0, count: padding) + body, entry: tableStart,
                              fixups: fixups))
        return objects.count - 1
    }

    func int32Vector(_ values: [Int32]) -> Int {
        objects.append(Object(bytes: Self.le32(UInt32(values.count)) + values.flatMap { Self.le32(UInt32(bitPattern: $0)) },
                              entry: 0, fixups: []))
        return objects.count - 1
    }

    func referenceVector(_ targets: [Int]) -> Int {
        var bytes = Self.le32(UInt32(targets.count))
        var fixups: [(Int, Int)] = []
        for t in targets { fixups.append((bytes.count, t)); bytes += [0, 0, 0, 0] }
        objects.append(Object(bytes: bytes, entry: 0, fixups: fixups))
        return objects.count - 1
    }

    func string(_ s: String) -> Int {
        let utf8 = Array(s.utf8)
        var bytes = Self.le32(UInt32(utf8.count)) + utf8 + [0]
        while bytes.count % 4 != 0 { bytes.append(0) }
        objects.append(Object(bytes: bytes, entry: 0, fixups: []))
        return objects.count - 1
    }

    /// The file: root offset, identifier, then the objects, last created (the root) first.
    func finish(root: Int, identifier: String = "TFL3") -> [UInt8] {
        var position = [Int](repeating: 0, count: objects.count)
        var offset = 8
        for i in objects.indices.reversed() { position[i] = offset; offset += objects[i].bytes.count }
        var out = Self.le32(UInt32(position[root] + objects[root].entry)) + Array(identifier.utf8.prefix(4))
        for i in objects.indices.reversed() {
            var bytes = objects[i].bytes
            for fix in objects[i].fixups {
                let from = position[i] + fix.offset, to = position[fix.target] + objects[fix.target].entry
                precondition(to > from, "FlatBufferTestBuilder: references must point forward")
                bytes.replaceSubrange(fix.offset..<(fix.offset + 4), with: Self.le32(UInt32(to - from)))
            }
            out += bytes
        }
        return out
    }
}

/// One-operator TFLite models over a float tensor of shape [1, 2, 3, 4].
enum SyntheticTFLiteModel {
    static let shape: [Int32] = [1, 2, 3, 4]

    /// `deprecated` goes into the int8 field, `extended` (if any) into the int32 `builtin_code` field.
    static func singleOperator(deprecated: Int8, extended: Int32?, customCode: String? = nil) -> [UInt8] {
        let b = FlatBufferTestBuilder()
        let inName = b.string("input"), outName = b.string("output")
        let inShape = b.int32Vector(shape), outShape = b.int32Vector(shape)
        let input = b.table([.reference(inShape), .byte(0), .int32(0), .reference(inName)])
        let output = b.table([.reference(outShape), .byte(0), .int32(0), .reference(outName)])
        let tensors = b.referenceVector([input, output])
        let opInputs = b.int32Vector([0]), opOutputs = b.int32Vector([1])
        let op = b.table([.int32(0), .reference(opInputs), .reference(opOutputs)])
        let operators = b.referenceVector([op])
        let graphInputs = b.int32Vector([0]), graphOutputs = b.int32Vector([1])
        let graph = b.table([.reference(tensors), .reference(graphInputs), .reference(graphOutputs), .reference(operators)])
        let custom = customCode.map { b.string($0) }
        let code = b.table([.byte(UInt8(bitPattern: deprecated)), custom.map { .reference($0) }, .int32(1),
                            extended.map { .int32($0) }])
        let codes = b.referenceVector([code])
        let graphs = b.referenceVector([graph])
        let emptyBuffer = b.table([])
        let buffers = b.referenceVector([emptyBuffer])
        let description = b.string("synthetic test model")
        let model = b.table([.int32(3), .reference(codes), .reference(graphs), .reference(description), .reference(buffers)])
        return b.finish(root: model)
    }
}
