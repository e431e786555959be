import Engine
import Foundation
import XCTest

/// `stylefarm animate` end to end on small synthetic frames.
final class AnimateCommandTests: XCTestCase {
    private func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "animate-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// Frames 1...count: `a_####.png` 40x20 RGB of brightness k/10, `b_####.png` 20x20 gray of 1 − k/10.
    private func writeFrames(_ dir: String, count: Int) throws {
        for k in 1...count {
            try ImageWriter.writePNG(Image(width: 40, height: 20, channels: 3, repeating: Float(k) / 10),
                                     to: String(format: "%@/a_%04d.png", dir, k))
            try ImageWriter.writePNG(Image(width: 20, height: 20, channels: 1, repeating: 1 - Float(k) / 10),
                                     to: String(format: "%@/b_%04d.png", dir, k))
        }
    }

    /// The big-endian 32-bit value `offset` bytes into the data of the first chunk of `type`.
    private func chunkValue(_ bytes: [UInt8], _ type: String, at offset: Int) throws -> UInt32 {
        let tag = Array(type.utf8)
        let at = try XCTUnwrap((0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == tag }, "no \(type)") + 4 + offset
        return UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    func testSideBySideAnimation() throws {
        let dir = try tempDir()
        try writeFrames(dir, count: 3)
        let out = dir + "/preview.png"
        let result = try CLIRunner.run(["animate", "--left", dir + "/a_####.png", "--right", dir + "/b_####.png",
                                        "--frames", "1-3", "--out", out, "--fps", "4", "--height", "10"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("3 frames, 34x10, 4 fps"), result.stdout)
        // Left 20x10 | 4 px gap | right 10x10; frame 0 is the default image a plain PNG reader sees.
        let first = try ImageReader.read(path: out)
        XCTAssertEqual([first.width, first.height, first.channels], [34, 10, 3])
        XCTAssertEqual(first[x: 5, y: 5, c: 0], 0.1, accuracy: 1.0 / 255)
        XCTAssertEqual(first[x: 30, y: 5, c: 1], 0.9, accuracy: 1.0 / 255)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: out)))
        XCTAssertEqual(try chunkValue(bytes, "acTL", at: 0), 3, "num_frames")
        XCTAssertEqual(try chunkValue(bytes, "fcTL", at: 4), 34, "frame width")
        let delay = try chunkValue(bytes, "fcTL", at: 20)
        XCTAssertEqual([delay >> 16, delay & 0xFFFF], [1, 4], "delay 1/4 s")

        let single = try CLIRunner.run(["animate", "--left", dir + "/a_####.png", "--frames", "1-3",
                                        "--out", dir + "/single.png", "--height", "10"])
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertEqual(try ImageReader.read(path: dir + "/single.png").width, 20)
    }

    func testMissingFramesAreNamed() throws {
        let dir = try tempDir()
        try writeFrames(dir, count: 2)
        try FileManager.default.removeItem(atPath: dir + "/b_0002.png")
        let result = try CLIRunner.run(["animate", "--left", dir + "/a_####.png", "--right", dir + "/b_####.png",
                                        "--frames", "1-2", "--out", dir + "/p.png"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("--right: 1 of 2 frames are missing (frames 2)"), result.stderr)
        XCTAssertTrue(result.stderr.contains(dir + "/b_0002.png"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Usage: stylefarm animate"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/p.png"))
    }
}
