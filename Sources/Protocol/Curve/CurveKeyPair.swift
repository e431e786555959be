import CZMQ
import Foundation

/// A CurveZMQ key pair (ZeroMQ RFC 26: Curve25519 keys, the handshake authenticates both ends and
/// encrypts every frame after it), each key as 40 characters of Z85 text (ZeroMQ RFC 32).
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    /// A fresh key pair from libzmq (`zmq_curve_keypair`, libsodium's or tweetnacl's random source).
    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError.last("zmq_curve_keypair (is libzmq built with CURVE?)") }
        return CurveKeyPair(publicKey: String(cString: publicKey), secretKey: String(cString: secretKey))
    }

    /// The pair of `secretKey`, its public key derived (`zmq_curve_public`).
    public init(secretKey: String) throws {
        guard Self.isKey(secretKey) else { throw CurveKeyError.malformedKey(what: "secret key") }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { throw ZMQError.last("zmq_curve_public") }
        self.publicKey = String(cString: publicKey)
        self.secretKey = secretKey
    }

    private init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Whether `text` is a key in Z85: 40 characters of its alphabet (32 bytes).
    public static func isKey(_ text: String) -> Bool { binary(text) != nil }

    /// The 32 bytes of a Z85 key, or nil when `text` is not one.
    public static func binary(_ text: String) -> Data? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 40, utf8.allSatisfy({ z85Alphabet.contains($0) }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&bytes, text) != nil else { return nil }
        return Data(bytes)
    }

    /// The Z85 text of a 32-byte key (as a ZAP request carries it), or nil for any other length.
    public static func z85(_ binary: Data) -> String? {
        guard binary.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        let ok = binary.withUnsafeBytes { raw in
            zmq_z85_encode(&text, raw.bindMemory(to: UInt8.self).baseAddress, 32) != nil
        }
        return ok ? String(cString: text) : nil
    }

    private static let z85Alphabet = Set(Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8))
}

/// Why a key or a credential could not be used.
public enum CurveKeyError: Error, Equatable, CustomStringConvertible {
    case malformedKey(what: String)
    case unreadableCredential(path: String, reason: String)
    case malformedCredential(path: String, line: Int, reason: String)
    case credentialTooOpen(path: String, mode: Int)

    public var description: String {
        switch self {
        case .malformedKey(let what): return "the \(what) is not a CurveZMQ key (40 characters of Z85)"
        case .unreadableCredential(let path, let reason): return "cannot read the credential \(path): \(reason)"
        case .malformedCredential(let path, let line, let reason): return "credential \(path), line \(line): \(reason)"
        case .credentialTooOpen(let path, let mode):
            return "credential \(path) can be read by others (mode \(String(mode, radix: 8))); it holds a secret key: chmod 600 \(path)"
        }
    }
}
