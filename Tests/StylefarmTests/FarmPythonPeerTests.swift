import Engine
import Foundation
import XCTest

/// The trust boundary checked from outside (issue 17): a Python peer with pyzmq and the .proto files compiled
/// by protoc (`Python/peer_checks.py`), nothing of the Swift code, against a coordinator process on 127.0.0.1
/// with CurveZMQ and `--allow-read`. pyzmq and protobuf come from PyPI into a virtual environment made by the
/// test; without Python, pip or protoc it skips and says which.
final class FarmPythonPeerTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() { farm.stopAll() }

    private static let repository = FarmProcesses.repository

    private func run(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws -> (status: Int32, output: String) {
        try farm.run(executable, arguments, timeout: timeout)
    }

    /// A Python with pyzmq and protobuf.
    private func pythonWithPyzmq() throws -> String {
        try farm.python("stylefarm-pyzmq-venv", packages: ["pyzmq", "protobuf>=4.21,<5"], imports: "zmq, google.protobuf")
    }

    func testAnIndependentPeerGetsNothingWithoutAKeyAndNothingOutsideWhatItsKeyAllows() throws {
        let python = try pythonWithPyzmq()
        guard let protoc = ["/usr/bin/protoc", "/usr/local/bin/protoc"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("no protoc (protobuf-compiler): the independent checks compile the .proto files with it")
        }
        let generated = farm.directory.appendingPathComponent("pb")
        try FileManager.default.createDirectory(at: generated, withIntermediateDirectories: true)
        let protos = Self.repository.appendingPathComponent("protos/stylefarm/v1").path
        let compiled = try run(protoc, ["--python_out=\(generated.path)", "-I", protos] + ["common", "client", "worker"].map { "\(protos)/\($0).proto" },
                               timeout: 60)
        XCTAssertEqual(compiled.status, 0, compiled.output)

        let allowed = farm.directory.appendingPathComponent("plates")
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        try ImageWriter.writePNG(Image(width: 8, height: 8, channels: 3, repeating: 0.4), to: allowed.appendingPathComponent("plate.0001.png").path)
        let secret = farm.directory.appendingPathComponent("secret.txt")
        try Data("the coordinator's secret\n".utf8).write(to: secret)
        let coordinator = try farm.startCoordinator(extra: ["--allow-read", allowed.path, "--allow-write", allowed.path])
        let workerCredential = try XCTUnwrap(try farm.workerCredentialPath("py-worker"))

        let checks = try run(python, [Self.repository.appendingPathComponent("Tests/StylefarmTests/Python/peer_checks.py").path,
                                      generated.path, farm.workerEndpoint, farm.clientEndpoint,
                                      try XCTUnwrap(farm.keys).adminCredentialPath, workerCredential, secret.path, allowed.path],
                             timeout: 180)
        XCTAssertEqual(checks.status, 0, checks.output + farm.logs)
        guard let line = checks.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let results = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            return XCTFail("no results from peer_checks.py: \(checks.output)\n\(farm.logs)")
        }
        print("python peer checks: \(line)")
        XCTAssertEqual(results["unknown_key_register_ack"] as? Bool, false, "\(results)")
        XCTAssertEqual(results["unknown_key_list_reply"] as? Bool, false, "\(results)")
        XCTAssertEqual(results["plain_list_reply"] as? Bool, false, "\(results)")
        XCTAssertEqual(results["attack_error_code"] as? String, "CODE_PERMISSION_DENIED", "\(results)")
        XCTAssertTrue((results["attack_error_message"] as? String ?? "").contains(secret.path), "\(results)")
        XCTAssertEqual(results["worker_registered"] as? Bool, true, "\(results)\n\(farm.logs)")
        let blobs = try XCTUnwrap(results["blob_answers"] as? [String: Any], "\(results)")
        for (name, answer) in blobs { XCTAssertEqual(answer as? Bool, true, "\(name) was not refused: \(results)") }
        XCTAssertEqual(results["status_after_flood"] as? Bool, true, "\(results)\n\(farm.logs)")
        XCTAssertTrue(coordinator.isRunning, farm.logs)
        let status = (try? String(contentsOfFile: "/proc/\(coordinator.processIdentifier)/status", encoding: .utf8)) ?? ""
        if let rss = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            XCTAssertLessThan(rss, 300_000, "coordinator RSS \(rss) kB after 64 frames of 60 MiB")
        }
        XCTAssertTrue(farm.log("coordinator.log").contains("refused a connection"), farm.logs)
    }
}
