import Crypto
import Foundation

/// Blob names on the wire: a blob is named by the lowercase hex SHA-256 of its bytes. Both sides use the
/// name as a file name (the worker's cache, the coordinator's `<state>/intermediate/`), so a name from a
/// peer is checked with `isValid` before it goes near a path: `"../.."` is not a blob name.
public enum BlobName {
    private static let digits = Array("0123456789abcdef".utf8)

    /// The name of `bytes`: their SHA-256 as 64 lowercase hex digits.
    public static func of(_ bytes: some DataProtocol) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `name` is exactly 64 lowercase hex digits.
    public static func isValid(_ name: String) -> Bool {
        let utf8 = name.utf8
        return utf8.count == 64 && utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
