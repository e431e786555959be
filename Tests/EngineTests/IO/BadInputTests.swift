import Foundation
import XCTest
@testable import Engine
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Every kind of bad input yields its specific `ImageIOError`, naming the file, and never crashes.
final class BadInputTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = try makeTemporaryDirectory(self)
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = "\(dir)/\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A valid 24x24 RGB PNG with noisy content (so its IDAT is a few kB).
    private func validPNG() throws -> [UInt8] {
        [UInt8](try ImageWriter.encodePNG(randomImage(width: 24, height: 24, channels: 3, seed: 3)))
    }

    /// A valid baseline JPEG, 640×427 (the demo rocket photo), or a skip.
    private func validJPEG() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try DemoImages.jpeg)))
    }

    func testNonexistentPath() {
        let path = "\(dir)/missing/frame_0001.png"
        assertImageIOError(try ImageReader.read(path: path), .fileNotFound(path: path))
        let path2 = "\(dir)/nope.png"
        assertImageIOError(try ImageReader.read(path: path2), .fileNotFound(path: path2))
    }

    func testDirectory() {
        assertImageIOError(try ImageReader.read(path: dir), .isDirectory(path: dir))
    }

    func testEmptyFile() throws {
        let path = try write([], "empty.png")
        assertImageIOError(try ImageReader.read(path: path), .emptyFile(path: path))
        assertImageIOError(try ImageReader.decode(Data(), name: "job 7 frame 3"), .emptyFile(path: "job 7 frame 3"))
    }

    func testFIFOIsRejectedWithoutBlocking() throws {
        let path = "\(dir)/pipe.png"
        guard mkfifo(path, 0o600) == 0 else { throw XCTSkip("mkfifo not available") }
        let error = catchImageIOError(try ImageReader.read(path: path), path: path)
        guard case .unreadable = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testRandomBytesAreAnUnrecognisedFormat() throws {
        var rng = SeededGenerator(seed: 42)
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes[0] = 0x13 // make sure no signature matches by chance
        let path = try write(bytes, "noise.png")
        let error = catchImageIOError(try ImageReader.read(path: path), path: path)
        guard case .unsupportedFormat(_, let detail) = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(detail.contains("unrecognised"), detail)
    }

    func testPNGSignatureFollowedByGarbageIsCorrupt() throws {
        var rng = SeededGenerator(seed: 7)
        let path = try write(pngSignature + (0..<512).map { _ in UInt8.random(in: 0...255, using: &rng) }, "garbage.png")
        let error = catchImageIOError(try ImageReader.read(path: path), path: path)
        guard case .corrupt = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testTruncatedPNGAtManyOffsets() throws {
        let png = try validPNG()
        XCTAssertNoThrow(try ImageReader.decode(bytes: png))
        // Inside the signature, inside IHDR, right after IHDR, inside IDAT, just before IEND, inside IEND.
        let offsets = [1, 4, 7, 8, 12, 20, 33, 40, png.count / 2, png.count - 13, png.count - 12, png.count - 1]
        for cut in offsets {
            let path = try write(Array(png.prefix(cut)), "cut_\(cut).png")
            assertImageIOError(try ImageReader.read(path: path), .truncated(path: path))
        }
    }

    func testPNGWithBadCRCIsCorrupt() throws {
        let png = try validPNG()
        let idat = png.indices.first { png[$0..<$0 + 4] == ArraySlice("IDAT".utf8) }!
        let idatLength = png[idat - 4..<idat].reduce(0) { $0 << 8 | Int($1) }
        // Damage the stored CRC of IHDR (bytes 29...32) and of IDAT (after its payload): libpng checks them.
        for crcOffset in [29, idat + 4 + idatLength] {
            var damaged = png
            damaged[crcOffset] ^= 0x01
            let path = try write(damaged, "badcrc_\(crcOffset).png")
            let error = catchImageIOError(try ImageReader.read(path: path), path: path)
            guard case .corrupt(_, let reason) = error else { XCTFail("got \(String(describing: error))"); continue }
            XCTAssertTrue(reason.contains("CRC"), reason)
        }
        // Damage inside the compressed payload: zlib's own check (or the CRC) catches it.
        var damaged = png
        damaged[idat + 4 + 10] ^= 0x01
        let path = try write(damaged, "baddata.png")
        let error = catchImageIOError(try ImageReader.read(path: path), path: path)
        guard case .corrupt = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testBadIHDRIsCorrupt() throws {
        // Colour type 5 does not exist.
        let ihdr: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 4, 8, 5, 0, 0, 0]
        let path = try write(pngSignature + pngChunk("IHDR", ihdr) + pngChunk("IEND", []), "badihdr.png")
        let error = catchImageIOError(try ImageReader.read(path: path), path: path)
        guard case .corrupt = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testTruncatedJPEG() throws {
        let jpeg = try validJPEG()
        for cut in [2, 100, 1000, jpeg.count / 2, jpeg.count - 2] {
            let path = try write(Array(jpeg.prefix(cut)), "cut_\(cut).jpg")
            assertImageIOError(try ImageReader.read(path: path), .truncated(path: path))
        }
    }

    func testPNGDecompressionBombIsRejectedBeforeAllocating() throws {
        // A 100000 x 100000 RGBA header (40 GB of samples) in a 60-byte file, with a tiny IDAT.
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        let ihdr = be32(100_000) + be32(100_000) + [8, 6, 0, 0, 0]
        let idat: [UInt8] = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01] // zlib stream of nothing
        let bytes = pngSignature + pngChunk("IHDR", ihdr) + pngChunk("IDAT", idat) + pngChunk("IEND", [])
        let path = try write(bytes, "bomb.png")
        let start = Date()
        assertImageIOError(try ImageReader.read(path: path),
                           .tooLarge(path: path, width: 100_000, height: 100_000, limit: 100_000_000))
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
        // Also a bomb that is only wide: 2^31-1 x 1 is 2 G pixels.
        let wide = pngSignature + pngChunk("IHDR", be32(0x7fff_ffff) + be32(1) + [8, 0, 0, 0, 0])
            + pngChunk("IDAT", idat) + pngChunk("IEND", [])
        assertImageIOError(try ImageReader.decode(bytes: wide, name: "wide"),
                           .tooLarge(path: "wide", width: 0x7fff_ffff, height: 1, limit: 100_000_000))
    }

    func testJPEGBombIsRejectedBeforeAllocating() throws {
        var jpeg = try validJPEG()
        // Patch the frame header (SOF0/SOF2: FF C0/C2, length, precision, height, width) to 60000 x 60000.
        // Walk the marker segments from the start, so that a SOF inside the EXIF thumbnail is not the one hit.
        var position = 2
        var sof: Int?
        while position + 4 <= jpeg.count, jpeg[position] == 0xFF {
            let marker = jpeg[position + 1]
            if marker == 0xC0 || marker == 0xC2 { sof = position; break }
            position += 2 + (Int(jpeg[position + 2]) << 8 | Int(jpeg[position + 3]))
        }
        guard let sof else { return XCTFail("no SOF marker") }
        XCTAssertEqual(Array(jpeg[sof + 5..<sof + 9]), [0x01, 0xAB, 0x02, 0x80]) // 427 x 640 as `file` says
        jpeg.replaceSubrange(sof + 5..<sof + 9, with: [0xEA, 0x60, 0xEA, 0x60])
        let path = try write(jpeg, "bomb.jpg")
        let start = Date()
        assertImageIOError(try ImageReader.read(path: path),
                           .tooLarge(path: path, width: 60000, height: 60000, limit: 100_000_000))
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
    }

    func testPixelLimit() throws {
        let png = try validPNG() // 24 x 24 = 576 pixels
        let path = try write(png, "small.png")
        let limits = ImageLimits(maxPixels: 575)
        assertImageIOError(try ImageReader.read(path: path, limits: limits),
                           .tooLarge(path: path, width: 24, height: 24, limit: 575))
        XCTAssertNoThrow(try ImageReader.read(path: path, limits: ImageLimits(maxPixels: 576)))
        let jpegPath = try DemoImages.jpeg
        assertImageIOError(try ImageReader.read(path: jpegPath, limits: limits),
                           .tooLarge(path: jpegPath, width: 640, height: 427, limit: 575))
    }

    func testFileSizeLimit() throws {
        let png = try validPNG()
        let path = try write(png, "small.png")
        let limits = ImageLimits(maxFileBytes: png.count - 1)
        assertImageIOError(try ImageReader.read(path: path, limits: limits),
                           .fileTooLarge(path: path, bytes: png.count, limit: png.count - 1))
        assertImageIOError(try ImageReader.decode(bytes: png, name: "mem", limits: limits),
                           .fileTooLarge(path: "mem", bytes: png.count, limit: png.count - 1))
        XCTAssertNoThrow(try ImageReader.read(path: path, limits: ImageLimits(maxFileBytes: png.count)))
    }

    func testUnsupportedFormatsAreNamed() throws {
        let cases: [(String, [UInt8], String)] = [
            ("anim.gif", Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0], "GIF"),
            ("old.gif", Array("GIF87a".utf8) + [1, 0, 1, 0], "GIF"),
            ("plate.bmp", Array("BM".utf8) + [UInt8](repeating: 0, count: 60), "BMP"),
            ("plate.tif", Array("II*\0".utf8) + [8, 0, 0, 0], "TIFF"),
            ("plate.exr", [0x76, 0x2F, 0x31, 0x01, 2, 0, 0, 0], "OpenEXR"),
            ("plate.dpx", Array("SDPX".utf8) + [0, 0, 8, 0], "DPX"),
            ("misnamed.png", Array("GIF89a".utf8) + [1, 0, 1, 0], "GIF"), // the extension does not matter
        ]
        for (name, bytes, kind) in cases {
            let path = try write(bytes, name)
            let error = catchImageIOError(try ImageReader.read(path: path), path: path)
            guard case .unsupportedFormat(_, let detail) = error else {
                XCTFail("\(name): got \(String(describing: error))"); continue
            }
            XCTAssertTrue(detail.contains(kind), "\(name): \(detail)")
            XCTAssertTrue(error!.description.contains(kind))
        }
    }

    func testJPEGWithPNGExtensionIsReadByContent() throws {
        let path = try write(try validJPEG(), "actually_a_jpeg.png")
        XCTAssertEqual(try ImageReader.read(path: path).width, 640)
    }

    func testUnreadableFile() throws {
        if getuid() == 0 { throw XCTSkip("running as root: permissions are not enforced") }
        let path = try write(try validPNG(), "secret.png")
        chmod(path, 0)
        let error = catchImageIOError(try ImageReader.read(path: path), path: path)
        guard case .unreadable = error else { return XCTFail("got \(String(describing: error))") }
    }
}
