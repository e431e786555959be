import Coordinator
import Foundation
import Hummingbird

/// Who a request comes from: the identity of its bearer token (`APITokens`). A coordinator without CurveZMQ
/// (`--insecure`, loopback only) has no identities on its ZeroMQ channel either, and lets every request in as
/// an admin, as it does its ZeroMQ clients.
struct APIAuthenticator: Sendable {
    /// nil: no tokens needed (an insecure farm).
    var tokens: APITokenFile?

    func identify(_ request: Request) throws -> ClientIdentity {
        guard let tokens else { return .unauthenticated }
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
        guard let identity = tokens.current().identity(forToken: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw APIError.badToken
        }
        return identity
    }
}
