import Foundation
import XCTest

/// A Debian tool a test checks against (an independent reader or client: `oiiotool`, `curl`, `openssl`), run to its
/// end with its output; the test skips with the package to install when the tool is missing.
public enum SystemTool {
    /// Skips the test unless `/usr/bin/<name>` exists.
    public static func require(_ name: String, package: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/\(name)") else {
            throw XCTSkip("/usr/bin/\(name) is missing (Debian: apt-get install \(package); scripts/test.sh installs it)")
        }
    }

    /// Runs `/usr/bin/<name>` with `arguments`; its exit status and its standard output and error together.
    public static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(name)")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
