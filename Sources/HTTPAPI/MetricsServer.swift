import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A process's Prometheus metrics over HTTP (`stylefarm worker --metrics ADDR`): `GET /metrics` and `GET /healthz`,
/// nothing else, on Hummingbird's event loops. What it serves has no secrets (counts and timings), so it needs
/// no token and may bind any address.
public final class MetricsServer: Sendable {
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port; self.group = group; self.task = task
    }

    /// Binds `host:port` (0: any free port) and serves `exposition()` at `/metrics`.
    public static func start(host: String, port: Int, exposition: @escaping @Sendable () -> String) async throws -> MetricsServer {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: exposition())))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        var logger = Logger(label: "stylefarm.metrics")
        logger.logLevel = .warning
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "stylefarm"),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? port)
                                  continuation.finish()
                              }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var ports = bound.makeAsyncIterator()
        guard let boundPort = await ports.next() else {
            do { try await task.value } catch { throw HTTPAPIError.cannotBind("\(host):\(port)", "\(error)") }
            throw HTTPAPIError.cannotBind("\(host):\(port)", "the server stopped before it listened")
        }
        return MetricsServer(port: boundPort, group: group, task: task)
    }

    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// `start` for synchronous callers.
    public static func startBlocking(host: String, port: Int, exposition: @escaping @Sendable () -> String) throws -> MetricsServer {
        final class Box: @unchecked Sendable { var result: Result<MetricsServer, any Error>? }
        let box = Box(), done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await start(host: host, port: port, exposition: exposition)) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}
