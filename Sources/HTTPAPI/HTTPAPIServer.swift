import Coordinator
import Foundation
import Hummingbird

/// The coordinator's HTTP server (`stylefarm coordinator --http ADDR`, docs/HTTP.md): the JSON API of
/// api/openapi.yaml and its server-sent events, on Hummingbird's own event loops. Every request becomes a client
/// request on the coordinator's in-process channel (`LocalClients`), so the loop thread does the same work for it as
/// for a ZeroMQ client's and never waits for HTTP.
public final class HTTPAPIServer: Sendable {
    public struct Configuration: Sendable {
        /// Host and port to bind (`127.0.0.1:8080`; port 0: any free port).
        public var host: String
        public var port: Int
        /// Lets a non-loopback address be bound without TLS (`--http-insecure`): tokens then cross the network in
        /// clear text.
        public var allowInsecure = false
        /// The tokens requests must bear; nil: none needed (an `--insecure` farm, loopback only).
        public var tokens: APITokenFile?
        /// Event streams one caller may hold open at once (more are refused with 429).
        public var streamsPerCaller = 64
        /// Serve HTTPS with this certificate and key (then any address may be bound); nil: plain HTTP.
        public var tls: HTTPTLS?

        public init(host: String, port: Int, tokens: APITokenFile?) {
            self.host = host; self.port = port; self.tokens = tokens
        }

        /// Parses `HOST:PORT` (`[::1]:8080` for IPv6).
        public static func address(_ text: String) throws -> (host: String, port: Int) {
            let host: Substring, port: Substring
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                host = text[text.index(after: text.startIndex)..<close]
                let rest = text[text.index(after: close)...]
                guard rest.hasPrefix(":") else { throw HTTPAPIError.badAddress(text) }
                port = rest.dropFirst()
            } else {
                guard let colon = text.lastIndex(of: ":") else { throw HTTPAPIError.badAddress(text) }
                host = text[..<colon]
                port = text[text.index(after: colon)...]
            }
            guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else { throw HTTPAPIError.badAddress(text) }
            return (String(host), number)
        }

        /// Whether `host` is a loopback address (or `localhost`): only this machine can connect.
        public static func isLoopback(_ host: String) -> Bool {
            if host == "localhost" || host == "::1" { return true }
            let parts = host.split(separator: ".")
            return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
        }

        func check() throws {
            guard allowInsecure || tls != nil || Self.isLoopback(host) else { throw HTTPAPIError.notLoopback(host) }
            if tokens == nil && !Self.isLoopback(host) { throw HTTPAPIError.openToTheNetwork(host) }
        }
    }

    /// What the HTTP server reaches of a running coordinator (all safe from any thread).
    public struct Coordinator: Sendable {
        public var clients: LocalClients
        public var readModel: JobReadModel
        public var metrics: FarmMetrics

        public init(_ server: CoordinatorServer) {
            clients = server.localClients; readModel = server.readModel; metrics = server.metrics
        }
    }

    /// The largest request body (a job spec, an action's arguments).
    public static let maxBodyBytes = 1 << 20

    /// The port it listens on (the one chosen when asked for port 0).
    public var port: Int { server.port }
    private let server: RunningServer

    private init(server: RunningServer) { self.server = server }

    /// Binds and starts serving; returns once the port is open (or throws why it could not be).
    public static func start(_ configuration: Configuration, coordinator: Coordinator) async throws -> HTTPAPIServer {
        try configuration.check()
        let tls = try configuration.tls?.serverConfiguration()
        let handlers = APIHandlers(clients: coordinator.clients, readModel: coordinator.readModel,
                                   authenticator: APIAuthenticator(tokens: configuration.tokens), metrics: coordinator.metrics,
                                   streams: StreamQuota(perCaller: configuration.streamsPerCaller))
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        for endpoint in APIEndpoint.allCases {
            router.on(RouterPath(endpoint.routerPath), method: endpoint.method) { request, context in
                await handlers.respond(endpoint, request, context)
            }
        }
        return HTTPAPIServer(server: try await RunningServer.start(router, host: configuration.host, port: configuration.port,
                                                                   tls: tls, label: "stylefarm.http"))
    }

    /// Stops accepting connections, lets requests in progress finish (event streams end when the loop stops
    /// answering: they are cut after a second) and returns when the server is down.
    public func stop() async { await server.stop() }

    /// `start` for synchronous callers (the coordinator command's thread).
    public static func startBlocking(_ configuration: Configuration, coordinator: Coordinator) throws -> HTTPAPIServer {
        try RunningServer.blocking { try await start(configuration, coordinator: coordinator) }
    }

    /// `stop` for synchronous callers.
    public func stopBlocking() {
        _ = try? RunningServer.blocking { [self] in await stop() }
    }
}

public enum HTTPAPIError: Error, CustomStringConvertible, Equatable {
    case badAddress(String)
    case notLoopback(String)
    case openToTheNetwork(String)
    case cannotBind(String, String)
    case badTLS(String, String)

    public var description: String {
        switch self {
        case .badAddress(let text): return "--http takes HOST:PORT, e.g. 127.0.0.1:8080 (got \(text.debugDescription))"
        case .notLoopback(let host):
            return "--http \(host) is not a loopback address: tokens would cross the network in clear text. Give --http-tls-cert and --http-tls-key (or put a TLS proxy in front and pass --http-insecure), or bind 127.0.0.1"
        case .openToTheNetwork(let host):
            return "--http \(host) without tokens (an --insecure coordinator) would let anyone on the network control the farm; bind 127.0.0.1"
        case .cannotBind(let address, let reason): return "cannot serve HTTP on \(address): \(reason)"
        case .badTLS(let path, let reason): return "cannot serve HTTPS with \(path): \(reason)"
        }
    }
}
