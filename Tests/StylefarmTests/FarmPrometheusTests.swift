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
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = 5
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    func testPrometheusScrapesTheFarmAndCountsTheJobsTasks() async throws {
        guard let binary = Self.executable("prometheus") else {
            throw XCTSkip("prometheus is not installed (Debian: apt-get install prometheus; scripts/test.sh installs it)")
        }
        let made = try farm.cli(["token", "create", "--state-dir", farm.stateDirectory.path, "--name", "prometheus", "--role", "viewer"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let token = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let tokenFile = farm.directory.appendingPathComponent("prometheus.token")
        try Data(token.utf8).write(to: tokenFile)
        let ports = FarmProcesses.freePortPair()
        var more = FarmProcesses.freePortPair()
        while abs(more - ports) < 2 { more = FarmProcesses.freePortPair() }
        let httpPort = ports, prometheusPort = ports + 1, workerMetricsPort = more
        try farm.startCoordinator(extra: ["--http", "127.0.0.1:\(httpPort)"])
        try farm.startWorker("one", extra: ["--metrics", "127.0.0.1:\(workerMetricsPort)"])

        var anonymous = (status: 0, text: "")
        for _ in 0..<100 {
            if let answer = try? await get("http://127.0.0.1:\(httpPort)/metrics") { anonymous = answer; break }
            try await Task.sleep(for: .milliseconds(100))
        }
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
        let query = "http://127.0.0.1:\(prometheusPort)/api/v1/query?query=stylefarm_tasks_completed_total"
        var value: String?
        let deadline = Date().addingTimeInterval(30)
        while value != "7", Date() < deadline {
            try await Task.sleep(for: .milliseconds(500))
            guard let answer = try? await get(query), answer.status == 200,
                  let object = try? JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any],
                  let data = object["data"] as? [String: Any], let result = (data["result"] as? [[String: Any]])?.first,
                  let sample = result["value"] as? [Any] else { continue }
            value = sample.last as? String
        }
        XCTAssertEqual(value, "7", "Prometheus's log:\n" + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
        var workerValue: String?
        let workerQuery = "http://127.0.0.1:\(prometheusPort)/api/v1/query?query=stylefarm_worker_tasks_succeeded_total"
        while workerValue != "7", Date() < deadline.addingTimeInterval(10) {
            guard let answer = try? await get(workerQuery), let object = try? JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any],
                  let data = object["data"] as? [String: Any], let result = (data["result"] as? [[String: Any]])?.first,
                  let sample = result["value"] as? [Any] else { try await Task.sleep(for: .milliseconds(500)); continue }
            workerValue = sample.last as? String
            if workerValue != "7" { try await Task.sleep(for: .milliseconds(500)) }
        }
        XCTAssertEqual(workerValue, "7", "Prometheus scrapes the worker too")
    }
}
