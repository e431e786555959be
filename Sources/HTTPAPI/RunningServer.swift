import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import ServiceLifecycle

/// A Hummingbird router served on `host:port` in a service group of its own — no signal handlers: the command
/// that starts it owns SIGINT/SIGTERM — until `stop`; HTTPS when given a TLS configuration. The coordinator's API (`HTTPAPIServer`) and a worker's
/// metrics (`MetricsServer`) both run on it.
final class RunningServer: Sendable {
    /// The port it listens on (the one chosen when asked for port 0).
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port; self.group = group; self.task = task
    }

    /// Binds and starts serving; returns once the port is open (or throws why it could not be).
    static func start<Builder: HTTPResponderBuilder>(_ router: Builder, host: String, port: Int, tls: TLSConfiguration? = nil,
                                                     label: String) async throws -> RunningServer
    where Builder.Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        let (bound, boundContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
                              configuration: .init(address: .hostname(host, port: port), serverName: "stylefarm"),
                              onServerRunning: { channel in
                                  boundContinuation.yield(channel.localAddress?.port ?? port)
                                  boundContinuation.finish()
                              },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            defer { boundContinuation.finish() }
            try await group.run()
        }
        var ports = bound.makeAsyncIterator()
        guard let boundPort = await ports.next() else {
            do { try await task.value } catch { throw HTTPAPIError.cannotBind("\(host):\(port)", "\(error)") }
            throw HTTPAPIError.cannotBind("\(host):\(port)", "the server stopped before it listened")
        }
        return RunningServer(port: boundPort, group: group, task: task)
    }

    /// Stops accepting connections, lets requests in progress finish (open event streams are cut after a second)
    /// and returns when the server is down.
    func stop() async {
        await group.triggerGracefulShutdown()
        let task = self.task
        let deadline = Task {
            try? await Task.sleep(for: .seconds(1))
            task.cancel()
        }
        _ = try? await task.value
        deadline.cancel()
    }

    /// Runs `body` to its end from synchronous code (the commands' threads), with its result or error.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>(), done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

/// What an async body handed back to a thread that waited for it (set before the semaphore is signalled).
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
