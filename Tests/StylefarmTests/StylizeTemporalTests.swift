import Engine
import Foundation
import ModelStore
import XCTest
import TestSupport

/// `stylefarm stylize --previous-output … --previous-content …` on two real Sintel frames: the frame
/// stylized toward its predecessor flickers much less than one stylized on its own (`evaluate temporal`).
final class StylizeTemporalTests: XCTestCase {
    func testPreviousFrameCutsTheWarpError() throws {
        try InstalledModels.requireVGG16()
        let sequence = try SharedTestData.path("sequences/sintel_alley_1_clean")
        let style = try SharedTestData.path("styles/starry_night_crop.png")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-temporal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for d in ["independent", "temporal"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(d), withIntermediateDirectories: true)
        }
        let base = ["stylize", "--style", style, "--size", "128", "--iterations", "30", "--threads", "2"]
        func path(_ d: String, _ f: Int) -> String { dir.appendingPathComponent(String(format: "%@/frame_%04d.png", d, f)).path }
        let content1 = sequence + "/frame_0001.png", content2 = sequence + "/frame_0002.png"
        XCTAssertEqual(try CLIRunner.run(base + ["--content", content1, "--out", path("independent", 1)]).status, 0)
        try FileManager.default.copyItem(atPath: path("independent", 1), toPath: path("temporal", 1))
        XCTAssertEqual(try CLIRunner.run(base + ["--content", content2, "--out", path("independent", 2)]).status, 0)
        let temporal = try CLIRunner.run(base + ["--content", content2, "--out", path("temporal", 2),
                                                 "--previous-output", path("temporal", 1), "--previous-content", content1])
        XCTAssertEqual(temporal.status, 0, temporal.stderr)
        XCTAssertTrue(temporal.stdout.contains("temporal="), temporal.stdout)

        func warpError(_ d: String) throws -> Double {
            let r = try CLIRunner.run(["evaluate", "temporal", "--stylized", dir.appendingPathComponent("\(d)/frame_####.png").path,
                                       "--content", sequence + "/frame_####.png", "--frames", "1-2"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("mean warp_error=") } ?? ""
            return Double(line.split(separator: " ")[1].dropFirst("warp_error=".count)) ?? .nan
        }
        let independent = try warpError("independent"), consistent = try warpError("temporal")
        XCTAssertLessThan(consistent, independent / 3, "independent \(independent) vs temporal \(consistent)")

        let bad = try CLIRunner.run(base + ["--content", content2, "--out", path("temporal", 3), "--previous-output", path("temporal", 1)])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--previous-output and --previous-content go together"), bad.stderr)
    }

    /// `--previous-segment` is checked before any work: it needs the previous frame and a `--segment` of the
    /// same mask kind, and a network source segments `--previous-content` itself.
    func testPreviousSegmentIsCheckedAgainstSegment() throws {
        let base = ["stylize", "--content", "c.png", "--style", "s.png", "--out", "o.png", "--region", "foreground=none"]
        let previous = ["--previous-output", "p.png", "--previous-content", "pc.png"]
        let cases: [([String], String)] = [
            (["--segment", "matte:m2.png", "--previous-segment", "matte:m1.png"], "--previous-segment needs --previous-output"),
            (["--segment", "selfie", "--region", "person=none", "--previous-segment", "matte:m1.png"] + previous,
             "the network segments --previous-content itself"),
            (["--segment", "matte:m2.png", "--previous-segment", "ids:m1.png"] + previous, "must be the same kind"),
        ]
        for (arguments, message) in cases {
            let result = try CLIRunner.run(base + arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
