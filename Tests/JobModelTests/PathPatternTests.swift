@testable import JobModel
import XCTest

final class PathPatternTests: XCTestCase {
    private func error(_ text: String) -> PathPatternError? {
        do { _ = try PathPattern(text); return nil } catch { return error as? PathPatternError }
    }

    func testHashes() throws {
        let p = try PathPattern("plates/shot010.####.png")
        XCTAssertEqual(p.width, 4)
        XCTAssertEqual(p.style, .hashes)
        XCTAssertEqual(p.directory, "plates")
        XCTAssertEqual(p.fileNameTemplate, "shot010.####.png")
        XCTAssertEqual(p.path(for: 42), "plates/shot010.0042.png")
        XCTAssertEqual(p.path(for: 12345), "plates/shot010.12345.png")
        XCTAssertEqual(p.path(for: -5), "plates/shot010.-005.png")
        XCTAssertEqual(try PathPattern("f#.png").path(for: 7), "f7.png")
        XCTAssertEqual(try PathPattern("f#.png").path(for: 1234), "f1234.png")
    }

    func testPrintfAndHoudini() throws {
        XCTAssertEqual(try PathPattern("/a/b/out_%04d.png").path(for: 3), "/a/b/out_0003.png")
        XCTAssertEqual(try PathPattern("out_%d.png").path(for: 3), "out_3.png")
        XCTAssertEqual(try PathPattern("out_%d.png").path(for: 1003), "out_1003.png")
        XCTAssertEqual(try PathPattern("render.$F4.exr.png").path(for: 12), "render.0012.exr.png")
        XCTAssertEqual(try PathPattern("render.$F.png").path(for: 12), "render.12.png")
        XCTAssertEqual(try PathPattern("100%%_%03d.png").path(for: 5), "100%_005.png")
        // `$FOO` is a variable, not a placeholder; `%s` is literal.
        XCTAssertEqual(error("$FOO.png"), .noPlaceholder(pattern: "$FOO.png"))
        XCTAssertEqual(try PathPattern("a%s.####.png").path(for: 1), "a%s.0001.png")
    }

    func testPlaceholderErrors() {
        XCTAssertEqual(error(""), .empty)
        XCTAssertEqual(error("plates/shot.png"), .noPlaceholder(pattern: "plates/shot.png"))
        XCTAssertEqual(error("a.####.####.png"), .multiplePlaceholders(pattern: "a.####.####.png", placeholders: ["####", "####"]))
        XCTAssertEqual(error("a.####.%04d.png"), .multiplePlaceholders(pattern: "a.####.%04d.png", placeholders: ["####", "%04d"]))
        XCTAssertEqual(error("shots/####/f.png"), .placeholderInDirectory(pattern: "shots/####/f.png", placeholder: "####"))
        XCTAssertEqual(error("f.%4d.png"), .spacePadding(pattern: "f.%4d.png", placeholder: "%4d"))
        XCTAssertTrue(error("plates/shot.png")!.description.contains("####"))
        XCTAssertTrue(error("f.%4d.png")!.description.contains("%04d"))
    }

    func testMatchIsTheInverse() throws {
        let p = try PathPattern("plates/shot010.####.png")
        XCTAssertEqual(p.match("shot010.0042.png"), 42)
        XCTAssertEqual(p.match("shot010.12345.png"), 12345)
        XCTAssertEqual(p.match("shot010.-005.png"), -5)
        XCTAssertEqual(p.match("shot010.0000.png"), 0)
        XCTAssertNil(p.match("shot010.042.png"), "under-padded")
        XCTAssertNil(p.match("shot010.00042.png"), "over-padded")
        XCTAssertNil(p.match("shot010.00a2.png"))
        XCTAssertNil(p.match("shot010..png"))
        XCTAssertNil(p.match("shot011.0042.png"))
        XCTAssertNil(p.match("shot010.0042.jpg"))
        XCTAssertNil(p.match("shot010.+042.png"))
        for frame in [-100, -1, 0, 1, 999, 1001, 9999, 10000, 123456] {
            XCTAssertEqual(p.match(p.fileName(for: frame)), frame)
        }
        let unpadded = try PathPattern("f_%d.png")
        XCTAssertEqual(unpadded.match("f_7.png"), 7)
        XCTAssertNil(unpadded.match("f_07.png"))
    }

    func testDiscoveryReportsMissingFrames() throws {
        let p = try PathPattern("/plates/shot.####.png")
        let listing = ["shot.0001.png", "shot.0002.png", "shot.0004.png", "shot.0009.png", "shot.0009.png.tmp",
                       "other.0003.png", "shot.0100.png", ".DS_Store"]
        XCTAssertEqual(p.frames(in: listing), [1, 2, 4, 9, 100])
        let d = p.discover(in: listing, expected: try FrameRange(parsing: "1-9"))
        XCTAssertEqual(d.present, [1, 2, 4, 9])
        XCTAssertEqual(d.missing, [3, 5, 6, 7, 8])
        XCTAssertEqual(d.unexpected, [100])
        XCTAssertEqual(d.missingDescription, "3,5-8")
        XCTAssertFalse(d.isComplete)
        XCTAssertTrue(p.discover(in: listing, expected: try FrameRange(parsing: "1,2")).isComplete)
    }

    func testDiscoveryOnDisk() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for f in [1, 3] { _ = FileManager.default.createFile(atPath: dir.appendingPathComponent(String(format: "c.%04d.png", f)).path, contents: Data()) }
        let d = try PathPattern(dir.path + "/c.####.png").discoverOnDisk(expected: try FrameRange(parsing: "1-3"))
        XCTAssertEqual(d.present, [1, 3]); XCTAssertEqual(d.missing, [2])
    }

    func testResolutionAndNormalization() throws {
        let p = try PathPattern("../plates/./shot.####.png").resolved(against: "/jobs/spec")
        XCTAssertEqual(p.directory, "/jobs/plates")
        XCTAssertEqual(p.path(for: 1), "/jobs/plates/shot.0001.png")
        XCTAssertEqual(try PathPattern("/abs/x.####.png").resolved(against: "/elsewhere").path(for: 2), "/abs/x.0002.png")
        XCTAssertEqual(try PathPattern("x.####.png").resolved(against: "/base").path(for: 2), "/base/x.0002.png")
    }

    func testOutputStaysInsideItsDirectory() throws {
        XCTAssertEqual(try PathPattern.output("styled.####.png", in: "/out/job").path(for: 3), "/out/job/styled.0003.png")
        XCTAssertEqual(try PathPattern.output("a/../left/s.####.png", in: "/out/job").path(for: 3), "/out/job/left/s.0003.png")
        XCTAssertEqual(try PathPattern.output("./s.####.png", in: "/out/job").path(for: 3), "/out/job/s.0003.png")
        XCTAssertThrowsError(try PathPattern.output("../s.####.png", in: "/out/job")) {
            XCTAssertEqual($0 as? PathPatternError, .escapesOutputDirectory(pattern: "../s.####.png", directory: "/out/job"))
        }
        XCTAssertThrowsError(try PathPattern.output("a/../../s.####.png", in: "/out/job")) {
            XCTAssertEqual($0 as? PathPatternError, .escapesOutputDirectory(pattern: "a/../../s.####.png", directory: "/out/job"))
        }
        XCTAssertThrowsError(try PathPattern.output("/etc/s.####.png", in: "/out/job")) {
            XCTAssertEqual($0 as? PathPatternError, .absoluteOutput(pattern: "/etc/s.####.png"))
        }
    }
}
