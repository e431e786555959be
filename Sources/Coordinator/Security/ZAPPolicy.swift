import Foundation
import Protocol

/// The coordinator's ZAP decisions (ZeroMQ RFC 27), without sockets: libzmq asks, for every CurveZMQ
/// handshake on a coordinator socket, whether the client's public key may connect to that socket's domain;
/// the key must be authorized with a role for that channel (`FarmRole.zapDomain`). A refused peer never gets
/// a single message through: libzmq closes the connection after the handshake.
public enum ZAPPolicy {
    /// A request, as libzmq sends it: version, request id, domain, address, routing id, mechanism, credentials.
    public struct Request: Equatable {
        public var requestID: Data
        public var domain: String
        public var address: String
        public var mechanism: String
        public var credentials: [Data]
    }

    /// The answer: "200" lets the peer in (`userID` names it: `<role>:<name>`), "400" refuses it, "500" is
    /// an internal error (a request that is not one).
    public struct Reply: Equatable {
        public var requestID: Data
        public var statusCode: String
        public var statusText: String
        public var userID: String

        /// The reply's frames: version, request id, status code, status text, user id, metadata (none).
        public var frames: [Data] {
            [Data("1.0".utf8), requestID, Data(statusCode.utf8), Data(statusText.utf8), Data(userID.utf8), Data()]
        }

        public var accepted: Bool { statusCode == "200" }
    }

    /// Parses a request's frames; nil when they are not a ZAP 1.0 request.
    public static func parse(_ frames: [Data]) -> Request? {
        guard frames.count >= 6, frames[0] == Data("1.0".utf8) else { return nil }
        func text(_ i: Int) -> String? { String(data: frames[i], encoding: .utf8) }
        guard let domain = text(2), let address = text(3), let mechanism = text(5) else { return nil }
        return Request(requestID: frames[1], domain: domain, address: address, mechanism: mechanism,
                       credentials: Array(frames.dropFirst(6)))
    }

    /// The answer to `frames` given the keys authorized now.
    public static func decide(_ frames: [Data], keys: AuthorizedKeys) -> Reply {
        guard let request = parse(frames) else {
            return Reply(requestID: frames.count > 1 ? frames[1] : Data(), statusCode: "500",
                         statusText: "not a ZAP 1.0 request", userID: "")
        }
        return decide(request, keys: keys)
    }

    public static func decide(_ request: Request, keys: AuthorizedKeys) -> Reply {
        func refuse(_ why: String) -> Reply { Reply(requestID: request.requestID, statusCode: "400", statusText: why, userID: "") }
        guard request.mechanism == "CURVE" else { return refuse("this coordinator requires CurveZMQ (got \(request.mechanism))") }
        guard [FarmRole.workerDomain, FarmRole.clientDomain].contains(request.domain) else {
            return refuse("unknown domain \(request.domain)")
        }
        guard request.credentials.count == 1, let key = CurveKeyPair.z85(request.credentials[0]) else {
            return refuse("no CurveZMQ client key")
        }
        guard let entry = keys.entry(forKey: key) else { return refuse("key \(key) is not authorized") }
        guard entry.role.zapDomain == request.domain else {
            return refuse("\(entry.name)'s key has role \(entry.role.rawValue), which may not use the \(request.domain == FarmRole.workerDomain ? "worker" : "client") channel")
        }
        return Reply(requestID: request.requestID, statusCode: "200", statusText: "OK", userID: "\(entry.role.rawValue):\(entry.name)")
    }
}
