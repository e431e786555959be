import Foundation
import Protocol
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 19: a real Prometheus (Debian's `prometheus`) scrapes the coordinator's `/metrics` every second with a
/// viewer token, and a PromQL query for completed tasks returns the job's count.
final class FarmPrometheusTests: XCTestCase {
    private var farm: FarmProcesses!
    private var prometheus: Process?

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() {
        if let prometheus, prometheus.isRunning { prometheus.interrupt(); prometheus.waitUntilExit() }
        farm.stopAll()
    }

    private static func executable(_ name: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    private func get(_ url: String, token: String? = nil) async throws -> (status: Int, text: String) {
        let answer = try await farm.http(url, token: token, timeout: 5)
        return (answer.status, String(decoding: answer.data, as: UTF8.self))
    }

    /// The value of the first sample PromQL `query` answers, asked every half second until it is `wanted` or
    /// `seconds` pass (the last value seen, or nil).
    private func promQL(_ query: String, port: Int, until wanted: String, within seconds: TimeInterval) async throws -> String? {
        var value: String?
        let deadline = Date().addingTimeInterval(seconds)
        while value != wanted, Date() < deadline {
            try await Task.sleep(for: .milliseconds(500))
            guard let answer = try? await get("http://127.0.0.1:\(port)/api/v1/query?query=\(query)"), answer.status == 200,
                  let object = try? JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any],
                  let data = object["data"] as? [String: Any], let result = (data["result"] as? [[String: Any]])?.first,
                  let sample = result["value"] as? [Any] else { continue }
            value = sample.last as? String
        }
        return value
    }

    func testPrometheusScrapesTheFarmAndCountsTheJobsTasks() async throws {
        guard let binary = Self.executable("prometheus") else {
            throw XCTSkip("prometheus is not installed (Debian: apt-get install prometheus; scripts/test.sh installs it)")
        }
        let token = try farm.token("prometheus", role: "viewer")
        let tokenFile = farm.directory.appendingPathComponent("prometheus.token")
        try Data(token.utf8).write(to: tokenFile)
        let ports = FarmProcesses.freePortPair()
        var more = FarmProcesses.freePortPair()
        while abs(more - ports) < 2 { more = FarmProcesses.freePortPair() }
        let httpPort = ports, prometheusPort = ports + 1, workerMetricsPort = more
        try farm.startCoordinator(extra: ["--http", "127.0.0.1:\(httpPort)"])
        try farm.startWorker("one", extra: ["--metrics", "127.0.0.1:\(workerMetricsPort)"])

        let up = try await farm.waitForHTTP("http://127.0.0.1:\(httpPort)")
        XCTAssertTrue(up, farm.logs)
        let anonymous = try await get("http://127.0.0.1:\(httpPort)/metrics")
        XCTAssertEqual(anonymous.status, 401, "metrics need a token like every other read")

        let config = farm.directory.appendingPathComponent("prometheus.yml")
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: stylefarm
                authorization:
                  type: Bearer
                  credentials_file: \(tokenFile.path)
                static_configs:
                  - targets: ['127.0.0.1:\(httpPort)']
              - job_name: stylefarm-workers
                static_configs:
                  - targets: ['127.0.0.1:\(workerMetricsPort)']
            """.write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config.file=\(config.path)", "--storage.tsdb.path=\(farm.directory.appendingPathComponent("tsdb").path)",
                             "--web.listen-address=127.0.0.1:\(prometheusPort)"]
        let log = farm.directory.appendingPathComponent("prometheus.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        prometheus = process

        var spec = Stylefarm_V1_JobSpec()
        spec.name = "scraped"
        spec.kind = .echo
        spec.echoSeconds = 0.1
        spec.frames = "1-7"
        let jobID = try farm.submit(spec)
        _ = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 60) { $0.job.state == .completed }, farm.logs)

        let wanted = ["stylefarm_tasks_completed_total 7", "stylefarm_tasks_dispatched_total 7", #"stylefarm_jobs{state="completed"} 1.0"#,
                      #"stylefarm_tasks{state="completed"} 7.0"#, #"stylefarm_workers{state="alive"} 1.0"#, "stylefarm_task_render_seconds_count 7"]
        var direct = (status: 0, text: "")
        for _ in 0..<20 {
            direct = try await get("http://127.0.0.1:\(httpPort)/metrics", token: token)
            if wanted.allSatisfy(direct.text.contains) { break }
            try await Task.sleep(for: .milliseconds(250))   // the workers' gauges are set once a second
        }
        XCTAssertEqual(direct.status, 200)
        let samples = direct.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        for line in wanted { XCTAssertTrue(direct.text.contains(line), "no `\(line)` in\n\(samples)") }

        // The worker's own metrics: what it ran, how fast, how much memory.
        let workerText = try await get("http://127.0.0.1:\(workerMetricsPort)/metrics").text
        for line in ["stylefarm_worker_tasks_succeeded_total 7", "stylefarm_worker_task_seconds_count 7", "stylefarm_worker_tasks_failed_total 0"] {
            XCTAssertTrue(workerText.contains(line), "no `\(line)` in the worker's metrics:\n\(workerText)")
        }
        XCTAssertTrue(workerText.contains("stylefarm_worker_peak_rss_bytes "), workerText)
        XCTAssertFalse(workerText.contains("stylefarm_worker_peak_rss_bytes 0.0"), "a task reported its peak memory")

        // PromQL over what Prometheus scraped.
        let value = try await promQL("stylefarm_tasks_completed_total", port: prometheusPort, until: "7", within: 30)
        XCTAssertEqual(value, "7", "Prometheus's log:\n" + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
        let workerValue = try await promQL("stylefarm_worker_tasks_succeeded_total", port: prometheusPort, until: "7", within: 10)
        XCTAssertEqual(workerValue, "7", "Prometheus scrapes the worker too")
    }
}
