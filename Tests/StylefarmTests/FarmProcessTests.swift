import Foundation
import Protocol
import XCTest

/// A coordinator and two worker processes over tcp on 127.0.0.1, driven by a protocol client in the test.
final class FarmProcessTests: XCTestCase {
    private var processes: [Process] = []
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sf-farm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for p in processes where p.isRunning { p.interrupt() }
        let deadline = Date().addingTimeInterval(5)
        for p in processes {
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func start(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = CLIRunner.executableURL
        process.arguments = arguments
        let logURL = directory.appendingPathComponent(log)
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logURL)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        processes.append(process)
        return process
    }

    private func log(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    func testTwoWorkerProcessesShareAnEchoJobAndShutDownCleanly() throws {
        let port = Int.random(in: 30_000...59_000)
        let workers = "tcp://127.0.0.1:\(port)", clients = "tcp://127.0.0.1:\(port + 1)"
        _ = try start(["coordinator", "--bind-workers", workers, "--bind-clients", clients,
                       "--state-dir", directory.appendingPathComponent("state").path, "--heartbeat-ms", "200"],
                      log: "coordinator.log")
        for i in 0..<2 {
            _ = try start(["worker", "--connect", workers, "--slots", "1", "--heartbeat-ms", "200",
                           "--cache-dir", directory.appendingPathComponent("cache\(i)").path], log: "worker\(i).log")
        }

        let context = try ZMQContext()
        let client = try context.makeSocket(.dealer)
        defer { client.close() }
        try client.connect(clients)
        let framing = Framing()
        var requestID: UInt64 = 0
        func request(_ payload: Stylefarm_V1_ClientRequest.OneOf_Payload) throws -> Stylefarm_V1_ClientReply? {
            requestID += 1
            try client.send(multipart: try framing.encode(Stylefarm_V1_ClientRequest(requestID: requestID, payload)))
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                guard let frames = try client.receiveMultipart(timeout: .milliseconds(500)) else { continue }
                let reply = try framing.decode(Stylefarm_V1_ClientReply.self, from: frames).message
                if reply.requestID == requestID { return reply }
            }
            return nil
        }

        var spec = Stylefarm_V1_JobSpec()
        spec.name = "echo-processes"
        spec.frames = "1-6"
        var submit = Stylefarm_V1_SubmitJob()
        submit.spec = spec
        let submitted = try XCTUnwrap(try request(.submitJob(submit)), "no reply to SubmitJob; coordinator log:\n\(log("coordinator.log"))")
        guard case .submitJob(let reply)? = submitted.payload, case .jobID(let jobID)? = reply.outcome else {
            return XCTFail("submit failed: \(submitted)")
        }

        var status: Stylefarm_V1_JobStatusReply?
        let deadline = Date().addingTimeInterval(60)
        repeat {
            usleep(200_000)
            var query = Stylefarm_V1_JobStatusRequest()
            query.jobID = jobID
            query.includeFrames = true
            if case .jobStatus(let s)? = try request(.jobStatus(query))?.payload { status = s }
        } while status?.job.state != .completed && status?.job.state != .failed && Date() < deadline

        let finished = try XCTUnwrap(status)
        XCTAssertEqual(finished.job.state, .completed, "coordinator log:\n\(log("coordinator.log"))")
        XCTAssertEqual(finished.job.framesDone, 6)
        XCTAssertEqual(Set(finished.frames.map(\.state)), [.done])
        XCTAssertEqual(Set(finished.frames.map(\.workerID)).count, 2, "both worker processes took tasks: \(finished.frames.map { "\($0.frameIndex):\($0.workerID)" })")

        // SIGINT: every process says goodbye and exits 0.
        for p in processes { p.interrupt() }
        for p in processes {
            let stop = Date().addingTimeInterval(10)
            while p.isRunning && Date() < stop { usleep(20_000) }
            XCTAssertFalse(p.isRunning, "\(p.arguments ?? []) did not stop on SIGINT")
            if !p.isRunning { XCTAssertEqual(p.terminationStatus, 0, "\(p.arguments ?? [])") }
        }
    }
}
