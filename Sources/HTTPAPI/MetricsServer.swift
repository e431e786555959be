import Foundation
import Hummingbird

/// A process's Prometheus metrics over HTTP (`stylefarm worker --metrics ADDR`): `GET /metrics` and `GET /healthz`,
/// nothing else, on Hummingbird's event loops. What it serves has no secrets (counts and timings), so it needs
/// no token and may bind any address.
public final class MetricsServer: Sendable {
    public var port: Int { server.port }
    private let server: RunningServer

    private init(server: RunningServer) { self.server = server }

    /// Binds `host:port` (0: any free port) and serves `exposition()` at `/metrics`.
    public static func start(host: String, port: Int, exposition: @escaping @Sendable () -> String) async throws -> MetricsServer {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: exposition())))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        return MetricsServer(server: try await RunningServer.start(router, host: host, port: port, label: "stylefarm.metrics"))
    }

    public func stop() async { await server.stop() }

    /// `start` for synchronous callers.
    public static func startBlocking(host: String, port: Int, exposition: @escaping @Sendable () -> String) throws -> MetricsServer {
        try RunningServer.blocking { try await start(host: host, port: port, exposition: exposition) }
    }

    /// `stop` for synchronous callers.
    public func stopBlocking() {
        _ = try? RunningServer.blocking { [self] in await stop() }
    }
}
