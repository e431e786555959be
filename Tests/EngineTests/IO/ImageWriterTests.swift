import Foundation
import XCTest
@testable import Engine

/// The PNG writer: atomic replacement, nothing left behind on failure, typed errors.
final class ImageWriterTests: XCTestCase {
    private func entries(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    }

    func testWriteLeavesOnlyTheTargetFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = "\(dir)/out.png"
        try ImageWriter.writePNG(randomImage(width: 4, height: 4, channels: 3), to: path)
        XCTAssertEqual(try entries(dir), ["out.png"])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
        XCTAssertNotEqual(permissions & 0o044, 0, "the file should be readable by others like a normal file")
    }

    func testOverwriteReplacesContents() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = "\(dir)/out.png"
        try ImageWriter.writePNG(Image(width: 2, height: 2, channels: 1, repeating: 0), to: path)
        let second = randomImage(width: 3, height: 5, channels: 4, seed: 8)
        try ImageWriter.writePNG(second, to: path)
        XCTAssertEqual(try ImageReader.read(path: path), second)
        XCTAssertEqual(try entries(dir), ["out.png"])
    }

    func testUnsupportedBitDepthWritesNothing() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = "\(dir)/out.png"
        for depth in [0, 1, 12, 32] {
            assertImageIOError(try ImageWriter.writePNG(randomImage(width: 2, height: 2, channels: 3), to: path,
                                                        bitDepth: depth),
                               .unsupportedBitDepth(path: path, bitDepth: depth))
        }
        XCTAssertEqual(try entries(dir), [])
    }

    func testFailedWriteKeepsExistingFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = "\(dir)/out.png"
        let original = randomImage(width: 2, height: 2, channels: 3, seed: 4)
        try ImageWriter.writePNG(original, to: path)
        XCTAssertThrowsError(try ImageWriter.writePNG(original, to: path, bitDepth: 7))
        XCTAssertEqual(try ImageReader.read(path: path), original)
        XCTAssertEqual(try entries(dir), ["out.png"])
    }

    func testMissingDirectory() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = "\(dir)/no/such/dir/out.png"
        let error = catchImageIOError(try ImageWriter.writePNG(randomImage(width: 2, height: 2, channels: 1), to: path),
                                      path: path)
        guard case .writeFailed = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/no"))
    }

    /// ENOSPC and EDQUOT are `noSpace` (another attempt cannot help); other errors stay `writeFailed`.
    func testAFullFilesystemIsNoSpace() throws {
        guard case .noSpace = FileBytes.writeError(path: "/o.png", errno: ENOSPC, reason: "No space left on device") else { return XCTFail() }
        guard case .noSpace = FileBytes.writeError(path: "/o.png", errno: EDQUOT, reason: "Disk quota exceeded") else { return XCTFail() }
        guard case .writeFailed = FileBytes.writeError(path: "/o.png", errno: EACCES, reason: "Permission denied") else { return XCTFail() }
        // A real full filesystem: a 64 KiB tmpfs (root only).
        guard geteuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root") }
        let dir = try makeTemporaryDirectory(self)
        guard "size=64k".withCString({ mount("tmpfs", dir, "tmpfs", 0, $0) }) == 0 else { throw XCTSkip("cannot mount a tmpfs here: \(String(cString: strerror(errno)))") }
        defer { umount(dir) }
        let error = catchImageIOError(try FileBytes.writeAtomically([UInt8](repeating: 7, count: 1 << 20), to: "\(dir)/big.png"),
                                      path: "\(dir)/big.png")
        guard case .noSpace = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(try entries(dir), [], "nothing is left behind")
    }

    func testDestinationIsADirectory() throws {
        let dir = try makeTemporaryDirectory(self)
        let error = catchImageIOError(try ImageWriter.writePNG(randomImage(width: 2, height: 2, channels: 1), to: dir),
                                      path: dir)
        guard case .writeFailed = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testEmptyImageIsInvalid() throws {
        let error = catchImageIOError(try ImageWriter.encodePNG(Image(width: 0, height: 3, channels: 3), name: "e"),
                                      path: "e")
        guard case .invalidImage = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testEncodedBytesAreAPNGOfTheRightKind() throws {
        // IHDR: width, height, bit depth, colour type at fixed offsets after the signature.
        for (channels, colorType) in [(1, 0), (2, 4), (3, 2), (4, 6)] {
            for depth in [8, 16] {
                let bytes = [UInt8](try ImageWriter.encodePNG(randomImage(width: 3, height: 2, channels: channels),
                                                              bitDepth: depth))
                XCTAssertEqual(Array(bytes.prefix(8)), pngSignature)
                XCTAssertEqual(Array(bytes[16..<24]), [0, 0, 0, 3, 0, 0, 0, 2])
                XCTAssertEqual(Int(bytes[24]), depth)
                XCTAssertEqual(Int(bytes[25]), colorType)
                XCTAssertEqual(ImageFormat.detect(bytes), .png)
            }
        }
    }
}
