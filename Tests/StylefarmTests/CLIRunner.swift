import Foundation
import XCTest

/// Runs the `stylefarm` executable that SwiftPM built next to the test bundle.
enum CLIRunner {
    struct Result { let status: Int32; let stdout: String; let stderr: String }

    static var executableURL: URL {
        // The test bundle lives in the build products directory, beside the executable.
        let products = Bundle(for: Marker.self).bundleURL.deletingLastPathComponent()
        return products.appendingPathComponent("stylefarm")
    }

    private final class Marker {}

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
        var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            XCTFail("stylefarm \(arguments.joined(separator: " ")) timed out after \(timeout) s")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
