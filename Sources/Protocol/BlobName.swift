import Crypto
import Foundation

/// Blob names on the wire: a blob is named by the lowercase hex SHA-256 of its bytes. Both sides use the
/// name as a file name (the worker's cache, the coordinator's `<state>/intermediate/`), so a name from a
/// peer is checked with `isValid` before it goes near a path: `"../.."` is not a blob name.
public enum BlobName {
    private static let digits = Array("0123456789abcdef".utf8)

    /// The name of `bytes`: their SHA-256 as 64 lowercase hex digits.
    public static func of(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// The name of bytes hashed piece by piece (a blob streamed to disk): `hasher`'s digest as hex.
    public static func of(_ hasher: SHA256) -> String {
        hex(hasher.finalize())
    }

    /// `bytes` as lowercase hex, two digits a byte.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `name` is exactly 64 lowercase hex digits.
    public static func isValid(_ name: String) -> Bool {
        isHex(name, digits: 64)
    }

    /// Whether `text` is exactly `digits` lowercase hex digits.
    public static func isHex(_ text: String, digits count: Int) -> Bool {
        let utf8 = text.utf8
        return utf8.count == count && utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
