import Foundation
import XCTest

/// Runs the `stylefarm` executable that SwiftPM built next to the test bundle.
enum CLIRunner {
    struct Result { let status: Int32; let stdout: String; let stderr: String }

    static var executableURL: URL {
        // On Linux the test runner is an executable (`<Package>PackageTests.xctest`) in the build
        // products directory, beside the `stylefarm` executable.
        let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return runner.deletingLastPathComponent().appendingPathComponent("stylefarm")
    }

    /// Collects one pipe's bytes on a background queue.
    private final class PipeReader: @unchecked Sendable {
        private(set) var data = Data()
        func read(_ pipe: Pipe, group: DispatchGroup) {
            group.enter()
            DispatchQueue.global().async {
                self.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
    }

    /// Runs the tool with `arguments`, returning its exit status and output. Bounded by `timeout` seconds.
    static func run(_ arguments: [String], environment: [String: String]? = nil, timeout: TimeInterval = 600) throws -> Result {
        let process = Process()
        process.executableURL = executableURL
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        let outReader = PipeReader(), errReader = PipeReader()
        outReader.read(out, group: group)
        errReader.read(err, group: group)
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            _ = group.wait(timeout: .now() + 10)
            XCTFail("stylefarm \(arguments.joined(separator: " ")) timed out after \(timeout) s")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outReader.data, as: UTF8.self),
                      stderr: String(decoding: errReader.data, as: UTF8.self))
    }
}
