/// CRC-32 as PNG (ISO 3309, ITU-T V.42) uses it: reflected polynomial 0xEDB88320, initial value and final
/// XOR 0xFFFFFFFF. Table-driven, one byte per step. Used by `APNGEncoding` to checksum the chunks it writes.
enum CRC32 {
    /// `table[n]` is the CRC register after shifting the byte `n` through eight reflected steps.
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `bytes`.
    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        ~update(0xFFFF_FFFF, bytes)
    }

    /// Runs `bytes` through the register `crc` (not inverted); start with 0xFFFFFFFF and invert the result.
    static func update<C: Collection>(_ crc: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c = crc
        table.withUnsafeBufferPointer { t in
            for byte in bytes { c = t[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        return c
    }
}
