import Crypto
import Foundation

/// Lowercase hex SHA-256 names of blobs.
public enum SHA256Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// The 64-digit lowercase hex SHA-256 of `bytes`.
    public static func of(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
