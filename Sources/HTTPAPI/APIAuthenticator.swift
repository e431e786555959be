import Coordinator
import Foundation
import Hummingbird

/// Who a request comes from: the identity of its bearer token (`APITokens`). A coordinator without CurveZMQ
/// (`--insecure`, loopback only) has no identities on its ZeroMQ channel either, and lets every request in as
/// an admin, as it does its ZeroMQ clients.
struct APIAuthenticator: Sendable {
    /// nil: no tokens needed (an insecure farm).
    var tokens: APITokenFile?

    /// The token comes in the `Authorization: Bearer` header, or for a GET in the `access_token` query parameter
    /// (RFC 6750 §2.3): a browser's EventSource and images cannot send headers.
    func identify(_ request: Request) throws -> ClientIdentity {
        guard let tokens else { return .unauthenticated }
        let token: String
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
            token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        } else if request.method == .get, let query = request.uri.queryParameters["access_token"] {
            token = String(query)
        } else {
            throw APIError.unauthorized
        }
        guard let identity = tokens.current().identity(forToken: token) else { throw APIError.badToken }
        return identity
    }
}
