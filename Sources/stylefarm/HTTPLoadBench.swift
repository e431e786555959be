import ArgumentParser
import Coordinator
import Foundation
import HTTPAPI
import JobModel
import Protocol
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `stylefarm bench http`: the HTTP API under load while a farm renders (issue 19). A local farm (coordinator
/// with `--http` on 127.0.0.1, worker processes) renders a small stylize shot twice: once alone, once while
/// `--clients` HTTP clients each poll the detail of a `--frames`-frame job every `--poll-ms` and `--subscribers`
/// clients follow the shot's event stream. Prints the detail requests' latency and the shot's wall time both ways.
struct HTTPLoadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Latency of the HTTP API's job detail under many clients, and what that load does to a render's wall time.")

    @Option(help: "Concurrent clients polling the big job's detail.")
    var clients = 200

    @Option(help: "Clients following the rendering shot's event stream (at least 1: the load ends with the stream).")
    var subscribers = 50

    @Option(help: "Frames of the job whose detail is polled (it is paused: only its size matters).")
    var frames = 1000

    @Option(help: "Each polling client's interval between requests, milliseconds.")
    var pollMs = 1000

    @Option(help: "Worker processes rendering the shot.")
    var workers = 2

    @Option(help: "Frames of the rendered shot (the demo pan, at most \(DemoSequence.frameCount)).")
    var renderFrames = 8

    @Option(help: "The shot's output long side, pixels.")
    var size = 128

    @Option(help: "The shot's evaluations per frame.")
    var iterations = 40

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    @Option(help: .hidden)
    var loadAgainst: String?

    @Option(help: .hidden)
    var pollJob: String?

    func validate() throws {
        guard clients >= 0, subscribers >= 1, frames >= 1, pollMs >= 1, workers >= 1, (1...DemoSequence.frameCount).contains(renderFrames) else {
            throw ValidationError("counts must be positive and --render-frames 1...\(DemoSequence.frameCount)")
        }
    }

    func run() throws {
        let box = BenchResult()
        let done = DispatchSemaphore(value: 0)
        let bench = self
        Task {
            do {
                if let base = bench.loadAgainst, let job = bench.pollJob { try await bench.generateLoad(base: base, polledJob: job) }
                else { try await bench.measure() }
            } catch { box.error = error }
            done.signal()
        }
        done.wait()
        if let error = box.error { throw error }
    }

    private final class BenchResult: @unchecked Sendable { var error: (any Error)? }

    func measure() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-http-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let plates = try DemoSequence.writePlates(into: root.appendingPathComponent("plates"), modelDirectory: modelDir)
        let handles = LocalHandles()
        let farm = try LocalFarm(stateDirectory: root.appendingPathComponent("state"), workers: workers, threadsPerWorker: 1,
                                 modelDirectory: modelDir, insecure: true) { server in
            handles.set(HTTPAPIServer.Coordinator(server))
        }
        defer { farm.shutdown() }
        let http = try await HTTPAPIServer.start(.init(host: "127.0.0.1", port: 0, tokens: nil), coordinator: handles.get())
        let base = "http://127.0.0.1:\(http.port)"
        // This process only submits and watches the shots; the load's own session is the child's.
        let session = URLSession.shared

        func post(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
            var request = URLRequest(url: URL(string: base + path)!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            let (data, response) = try await session.data(for: request)
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], (response as? HTTPURLResponse)?.statusCode ?? 500 < 300 else {
                throw BenchError.jobEnded("HTTP \(path): \(String(decoding: data, as: UTF8.self))")
            }
            return object
        }

        // The job whose detail is polled: submitted and paused at once, so only its size matters.
        let big = try await post("/api/v1/jobs", ["name": "polled", "kind": "echo", "frames": "1-\(frames)", "echo_seconds": 0,
                                                 "output_dir": root.appendingPathComponent("out-polled").path, "priority": 0])
        let bigID = big["id"] as! String
        _ = try await post("/api/v1/jobs/\(bigID)/pause", ["now": true])

        /// Seconds from submitting shot `name` to its completion.
        func render(_ name: String) async throws -> Double {
            let start = Date()
            let shot = try await post("/api/v1/jobs", ["name": name, "content": plates.content, "frames": "1-\(renderFrames)",
                                                      "styles": [plates.style], "size": size, "iterations": iterations,
                                                      "output_dir": root.appendingPathComponent("out-\(name)").path, "priority": 90])
            let id = shot["id"] as! String
            while true {
                try await Task.sleep(for: .milliseconds(100))
                let (data, _) = try await session.data(from: URL(string: base + "/api/v1/jobs/\(id)")!)
                let state = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["state"] as? String
                if state == "completed" { return Date().timeIntervalSince(start) }
                if state == "failed" || state == "cancelled" { throw BenchError.jobEnded(state!) }
            }
        }

        // A first render loads VGG on the workers and the coordinator; the measured pair comes after it.
        _ = try await render("warmup")
        let alone = try await render("alone")

        // The load comes from another process (this executable again), so what the coordinator's process spends
        // is measured apart from what the clients spend; on one machine they still share its cores.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["bench", "http", "--load-against", base, "--poll-job", bigID, "--clients", String(clients),
                           "--subscribers", String(subscribers), "--poll-ms", String(pollMs)]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        try await Task.sleep(for: .milliseconds(pollMs + 500))   // the load is on before the shot starts
        let cpuBefore = DispatchBench.processCPUSeconds()
        let loaded = try await render("loaded")
        let cpu = DispatchBench.processCPUSeconds() - cpuBefore
        child.waitUntilExit()
        let report = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        await http.stop()
        guard child.terminationStatus == 0, report.hasPrefix("load ") else { throw BenchError.jobEnded("the load generator failed: \(report)") }
        print(String(format: "http clients=%d subscribers=%d polled_frames=%d poll_ms=%d %@ render_alone_s=%.2f render_loaded_s=%.2f wall_ratio=%.3f coordinator_process_cpu_pct=%.1f",
                     clients, subscribers, frames, pollMs, String(report.dropFirst(5)), alone, loaded, loaded / alone, 100 * cpu / loaded))
    }

    /// The load generator (a child process of `measure`): `clients` pollers of the polled job's detail, and once
    /// the shot named "loaded" appears, `subscribers` followers of its event stream (`HTTPLoadGenerator`: one
    /// thread, raw keep-alive sockets). Ends when every stream has ended; prints one `load …` line.
    func generateLoad(base: String, polledJob: String) async throws {
        guard let port = URL(string: base)?.port else { throw ValidationError("--load-against takes http://127.0.0.1:PORT") }
        let shot = ShotID()
        // The shot to follow: looked for in the job list until it appears.
        let finder = Task {
            while shot.get() == nil && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                guard let (data, _) = try? await URLSession.shared.data(from: URL(string: base + "/api/v1/jobs?limit=10000")!) else { continue }
                let jobs = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["jobs"] as? [[String: Any]] ?? []
                if let id = jobs.first(where: { $0["name"] as? String == "loaded" })?["id"] as? String { shot.set(id) }
            }
        }
        let cpuStart = DispatchBench.processCPUSeconds(), start = Date()
        let (clients, subscribers, pollMs) = (self.clients, self.subscribers, self.pollMs)
        let report: HTTPLoadGenerator.Report = await withCheckedContinuation { continuation in
            Thread {
                let generator = HTTPLoadGenerator(port: port, pollPath: "/api/v1/jobs/\(polledJob)", pollers: clients,
                                                  subscribers: subscribers, interval: .milliseconds(pollMs))
                continuation.resume(returning: generator.run(streamPath: { shot.get().map { "/api/v1/jobs/\($0)/events" } },
                                                             deadline: Date().addingTimeInterval(1800)))
            }.start()
        }
        finder.cancel()
        let sorted = report.latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))] * 1000 }
        let complete = report.events.filter { $0 > 0 }
        print(String(format: "load requests=%d errors=%d detail_p50_ms=%.2f detail_p99_ms=%.2f detail_max_ms=%.2f events_min=%d streams_complete=%d/%d load_process_cpu_pct=%.1f",
                     sorted.count, report.errors, percentile(0.5), percentile(0.99), percentile(1), complete.min() ?? 0, complete.count, subscribers,
                     100 * (DispatchBench.processCPUSeconds() - cpuStart) / Date().timeIntervalSince(start)))
    }

    private final class ShotID: @unchecked Sendable {
        private let lock = NSLock()
        private var value: String?
        func set(_ id: String) { lock.withLock { value = id } }
        func get() -> String? { lock.withLock { value } }
    }

    private final class LocalHandles: @unchecked Sendable {
        private let lock = NSLock()
        private var value: HTTPAPIServer.Coordinator?
        func set(_ coordinator: HTTPAPIServer.Coordinator) { lock.withLock { value = coordinator } }
        func get() -> HTTPAPIServer.Coordinator { lock.withLock { value! } }
    }
}
