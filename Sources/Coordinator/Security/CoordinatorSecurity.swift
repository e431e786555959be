import Foundation
import Protocol

/// How a coordinator's sockets are secured (docs/SECURITY.md): CurveZMQ with `keys` on both ROUTERs, and
/// a ZAP handler letting in only the keys `authorized` lists, each on its role's channel.
public struct CoordinatorSecurity: Sendable {
    /// Where the authorized keys come from.
    public enum Authorized: Sendable {
        /// `<state>/keys/authorized_keys`, read again when it changes.
        case file(String)
        /// A list fixed for the server's life (local mode's ephemeral keys).
        case fixed(AuthorizedKeys)
    }

    public var keys: CurveKeyPair
    public var authorized: Authorized

    public init(keys: CurveKeyPair, authorized: Authorized) {
        self.keys = keys; self.authorized = authorized
    }

    /// A coordinator's security from its keys folder.
    public init(folder: KeyFolder) {
        self.init(keys: folder.coordinatorKeys, authorized: .file(folder.authorizedKeysPath))
    }

    /// The address libzmq sends ZAP requests to, in the sockets' own context (ZeroMQ RFC 27).
    static let zapEndpoint = "inproc://zeromq.zap.01"
}
