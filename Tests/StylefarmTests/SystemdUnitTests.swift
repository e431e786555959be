import Foundation
import XCTest
import TestSupport

/// Issue 21: the systemd units in deploy/systemd, checked by systemd's own tools — `systemd-analyze verify` (the
/// units load: directives, values, the template's specifiers) and `systemd-analyze security --offline` (their
/// exposure, at most 3.5 of 10: "OK", where the units before hardening scored 9.2, "UNSAFE") — and kept current
/// with the CLI: every flag their command lines and their documented examples use is one `stylefarm` takes today.
final class SystemdUnitTests: XCTestCase {
    static let units = ["stylefarm-coordinator.service", "stylefarm-worker.service", "stylefarm-worker@.service"]
    static var folder: URL { FarmProcesses.repository.appendingPathComponent("deploy/systemd") }

    func testTheUnitsLoadAndAreHardened() throws {
        try SystemTool.require("systemd-analyze", package: "systemd")
        // Verified from a folder of their own, as `systemctl` would find them (a template's instance by its name).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for unit in Self.units {
            try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(unit), to: directory.appendingPathComponent(unit))
        }
        try FileManager.default.copyItem(at: directory.appendingPathComponent("stylefarm-worker@.service"),
                                         to: directory.appendingPathComponent("stylefarm-worker@2.service"))
        let paths = Self.units.map { directory.appendingPathComponent($0).path }
        let verified = try SystemTool.run("systemd-analyze", ["verify", "--man=no"] + paths)
        XCTAssertEqual(verified.status, 0, verified.output)
        XCTAssertEqual(verified.output.trimmingCharacters(in: .whitespacesAndNewlines), "", "no warnings: \(verified.output)")

        for unit in ["stylefarm-coordinator.service", "stylefarm-worker.service", "stylefarm-worker@2.service"] {
            let security = try SystemTool.run("systemd-analyze", ["security", "--offline=true", directory.appendingPathComponent(unit).path])
            let line = try XCTUnwrap(security.output.split(separator: "\n").last { $0.contains("Overall exposure level") }, security.output)
            let score = try XCTUnwrap(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, String(line))
            XCTAssertLessThanOrEqual(score, 3.5, "\(unit): \(line)")
            print("\(unit): exposure \(score)")
        }
    }

    func testEveryFlagTheUnitsUseIsOneTheCLITakes() throws {
        var checked = 0
        for unit in Self.units {
            let text = try String(contentsOf: Self.folder.appendingPathComponent(unit), encoding: .utf8)
            // The command lines (ExecStart) and the examples of the environment files the comments give.
            for line in text.split(separator: "\n") where line.hasPrefix("ExecStart=") || line.contains("_ARGS=") {
                let command: String
                if line.contains("stylefarm worker") || line.contains("STYLEFARM_WORKER_ARGS=") {
                    command = "worker"
                } else if line.contains("stylefarm coordinator") || line.contains("STYLEFARM_COORDINATOR_ARGS=") {
                    command = "coordinator"
                } else {
                    return XCTFail("\(unit): which command is this for? \(line)")
                }
                let help = try CLIRunner.run([command, "--help"])
                XCTAssertEqual(help.status, 0, help.stderr)
                let flags = line.split(whereSeparator: { $0 == " " || $0 == "'" || $0 == "\"" }).filter { $0.hasPrefix("--") }
                XCTAssertFalse(flags.isEmpty && line.hasPrefix("ExecStart="), "\(unit): \(line)")
                for flag in flags {
                    XCTAssertTrue(help.stdout.contains(" \(flag) ") || help.stdout.contains(" \(flag)\n") || help.stdout.contains(" \(flag),"),
                                  "\(unit): `stylefarm \(command)` takes no \(flag)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 12)
    }
}
