import Coordinator
import Foundation
import Protocol
import XCTest

/// The farm's trust boundary with real processes on 127.0.0.1 (issue 17): credentials made by
/// `stylefarm keys`, a worker that renders with one and is refused once it is revoked (saying why in its
/// log), client commands with and without a credential, and `--insecure` kept to loopback.
final class FarmCredentialTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() { farm.stopAll() }

    private func keys(_ arguments: [String]) throws -> CLIRunner.Result {
        try CLIRunner.run(["keys"] + arguments + ["--state-dir", farm.stateDirectory.path], timeout: 30)
    }

    private func echoJob(_ name: String, frames: String) -> Stylefarm_V1_JobSpec {
        var spec = Stylefarm_V1_JobSpec()
        spec.name = name
        spec.kind = .echo
        spec.echoSeconds = 0.01
        spec.frames = frames
        return spec
    }

    private func waitForLog(_ name: String, containing text: String, within seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if farm.log(name).contains(text) { return true }
            usleep(100_000)
        }
        return farm.log(name).contains(text)
    }

    func testAWorkerWithAKeysMadeCredentialRendersAndIsRefusedOnceRevoked() throws {
        let credential = farm.directory.appendingPathComponent("render-07.credential").path
        let made = try keys(["create", "--name", "render-07", "--role", "worker", "--out", credential])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: credential)[.posixPermissions] as? Int).map { $0 & 0o777 }, 0o600)
        let listed = try keys(["list"])
        XCTAssertTrue(listed.stdout.contains("worker ") && listed.stdout.contains(" render-07"), listed.stdout)

        try farm.startCoordinator()
        let workerArguments = ["worker", "--connect", farm.workerEndpoint, "--worker-id", "render-07", "--slots", "1",
                               "--threads", "1", "--heartbeat-ms", "200", "--credential", credential,
                               "--cache-dir", farm.directory.appendingPathComponent("cache-render-07").path]
        let worker = try farm.start(workerArguments, log: "worker-render-07.log")
        let jobID = try farm.submit(echoJob("with-credentials", frames: "1-3"))
        let finished = try XCTUnwrap(farm.waitForStatus(jobID) { $0.job.state == .completed || $0.job.state == .failed }, farm.logs)
        XCTAssertEqual(finished.job.state, .completed, farm.logs)
        XCTAssertEqual(Set(finished.frames.map(\.workerID)), ["render-07"])

        // A submitter made by the CLI can use the client commands; without a credential the answer never comes.
        let submitter = farm.directory.appendingPathComponent("alice.credential").path
        XCTAssertEqual(try keys(["create", "--name", "alice", "--role", "submitter", "--out", submitter]).status, 0)
        let status = try CLIRunner.run(["status", "--coordinator", farm.clientEndpoint, "--credential", submitter], timeout: 30)
        XCTAssertEqual(status.status, 0, status.stderr)
        let anonymous = try CLIRunner.run(["status", "--coordinator", farm.clientEndpoint, "--timeout", "2"],
                                          environment: [Credential.environmentVariable: ""], timeout: 30)
        XCTAssertNotEqual(anonymous.status, 0)
        XCTAssertTrue(anonymous.stderr.contains("--insecure"), anonymous.stderr)
        let asWorker = try CLIRunner.run(["status", "--coordinator", farm.clientEndpoint, "--credential", credential], timeout: 30)
        XCTAssertNotEqual(asWorker.status, 0)
        XCTAssertTrue(asWorker.stderr.contains("has role worker"), asWorker.stderr)

        // Revoked: the running coordinator refuses the key at the worker's next connection, and both logs say so.
        let revoked = try keys(["revoke", "--name", "render-07"])
        XCTAssertEqual(revoked.status, 0, revoked.stderr)
        farm.stop(worker, signal: SIGKILL)
        _ = try farm.start(workerArguments, log: "worker-render-07-again.log")
        XCTAssertTrue(waitForLog("coordinator.log", containing: "is not authorized", within: 15), farm.logs)
        XCTAssertTrue(waitForLog("worker-render-07-again.log", containing: "authorized there as a worker", within: 15), farm.logs)
        let second = try farm.submit(echoJob("after-revocation", frames: "1"))
        sleep(2)
        let waiting = try XCTUnwrap(farm.waitForStatus(second, timeout: 5) { _ in true })
        XCTAssertEqual(waiting.job.framesDone, 0, "a revoked worker rendered: \(farm.logs)")
    }

    func testInsecureModeRefusesANonLoopbackBind() throws {
        let result = try CLIRunner.run(["coordinator", "--insecure", "--bind-workers", "tcp://0.0.0.0:\(farm.port)",
                                        "--state-dir", farm.stateDirectory.path], timeout: 30)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--insecure binds loopback addresses only"), result.stderr)
    }
}
