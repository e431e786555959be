import Foundation
import XCTest
@testable import Engine

/// The animated PNG writer: the chunk structure the APNG specification asks for, checked by parsing the
/// bytes independently (CRCs with the bitwise `crc32` of the IO test support, not the encoder's table),
/// and the default image as an ordinary PNG reader sees it.
final class APNGEncodingTests: XCTestCase {
    private struct Chunk { let type: String; let data: [UInt8] }

    /// Splits `bytes` into chunks after checking the signature and every chunk's CRC.
    private func chunks(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> [Chunk] {
        XCTAssertEqual(Array(bytes.prefix(8)), pngSignature, "PNG signature", file: file, line: line)
        var result: [Chunk] = []
        var offset = 8
        while offset < bytes.count {
            XCTAssertLessThanOrEqual(offset + 12, bytes.count, "truncated chunk header", file: file, line: line)
            let length = Int(be32(bytes, offset))
            let typeAndData = Array(bytes[(offset + 4)..<(offset + 8 + length)])
            let type = String(decoding: typeAndData.prefix(4), as: UTF8.self)
            XCTAssertEqual(be32(bytes, offset + 8 + length), crc32(typeAndData), "CRC of \(type) #\(result.count)",
                           file: file, line: line)
            result.append(Chunk(type: type, data: Array(typeAndData.dropFirst(4))))
            offset += 12 + length
        }
        XCTAssertEqual(offset, bytes.count, "no bytes after the last chunk", file: file, line: line)
        return result
    }

    private func be32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    private func be16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }

    /// Frames large and noisy enough that libpng splits their data into several IDAT chunks.
    private func frames(_ count: Int, width: Int = 96, height: Int = 80, channels: Int = 3) -> [Image] {
        (0..<count).map { randomImage(width: width, height: height, channels: channels, seed: UInt64(10 + $0)) }
    }

    func testChunkLayoutFollowsTheSpecification() throws {
        let input = frames(3)
        let bytes = try APNGEncoding.encode(input, delay: (1, 12), loops: 2, name: "test.png")
        let all = try chunks(bytes)
        XCTAssertEqual(all.first?.type, "IHDR")
        XCTAssertEqual(all.last?.type, "IEND")
        XCTAssertEqual(all.last?.data, [])
        let ihdr = all[0].data
        XCTAssertEqual([be32(ihdr, 0), be32(ihdr, 4)], [96, 80])

        let actl = try XCTUnwrap(all.first { $0.type == "acTL" })
        XCTAssertEqual(all.filter { $0.type == "acTL" }.count, 1)
        XCTAssertEqual(be32(actl.data, 0), 3, "num_frames")
        XCTAssertEqual(be32(actl.data, 4), 2, "num_plays")
        let firstIDAT = try XCTUnwrap(all.firstIndex { $0.type == "IDAT" })
        XCTAssertLessThan(all.firstIndex { $0.type == "acTL" }!, firstIDAT, "acTL precedes the image data")

        let controls = all.filter { $0.type == "fcTL" }
        XCTAssertEqual(controls.count, input.count, "one fcTL per frame")
        for fctl in controls {
            XCTAssertEqual(fctl.data.count, 26)
            XCTAssertEqual([be32(fctl.data, 4), be32(fctl.data, 8)], [96, 80], "width, height")
            XCTAssertEqual([be32(fctl.data, 12), be32(fctl.data, 16)], [0, 0], "offsets")
            XCTAssertEqual([be16(fctl.data, 20), be16(fctl.data, 22)], [1, 12], "delay")
            XCTAssertEqual([fctl.data[24], fctl.data[25]], [0, 0], "dispose NONE, blend SOURCE")
        }

        // fcTL and fdAT share one sequence counter, from 0, in file order.
        let sequenced = all.filter { $0.type == "fcTL" || $0.type == "fdAT" }
        XCTAssertEqual(sequenced.map { be32($0.data, 0) }, (0..<UInt32(sequenced.count)).map { $0 })

        // Frame 0: fcTL then its IDATs; frames 1 and 2: fcTL then fdATs; no IDAT after the first fdAT.
        let types = all.map(\.type)
        let fctlIndices = types.indices.filter { types[$0] == "fcTL" }
        XCTAssertEqual(types[fctlIndices[0] + 1], "IDAT", "frame 0 is the default image")
        XCTAssertLessThan(fctlIndices[0], firstIDAT)
        for k in 1..<3 {
            let next = k + 1 < fctlIndices.count ? fctlIndices[k + 1] : types.count - 1
            let body = Set(types[(fctlIndices[k] + 1)..<next])
            XCTAssertEqual(body, ["fdAT"], "frame \(k) is stored in fdAT chunks only")
        }
        XCTAssertEqual(types.lastIndex(of: "IDAT").map { $0 < fctlIndices[1] }, true)

        // Each frame's data is exactly the IDAT data of that frame encoded on its own.
        for (k, frame) in input.enumerated() {
            let single = try chunks(ImageWriter.encodePNGBytes(frame, bitDepth: 8, compressionLevel: 6, name: "single"))
            let expected = single.filter { $0.type == "IDAT" }.flatMap(\.data)
            let start = fctlIndices[k] + 1, end = k + 1 < fctlIndices.count ? fctlIndices[k + 1] : types.count - 1
            let stored = all[start..<end].flatMap { k == 0 ? $0.data : Array($0.data.dropFirst(4)) }
            XCTAssertEqual(stored, expected, "frame \(k)'s image data")
        }
        print("APNG 3 frames 96x80 RGB: \(bytes.count) bytes, \(all.count) chunks, "
              + "\(all.filter { $0.type == "fdAT" }.count) fdAT")
    }

    func testThePlainPNGReaderSeesFrameZero() throws {
        for (channels, bitDepth) in [(3, 8), (1, 8), (4, 8), (3, 16)] {
            let input = (0..<3).map { randomImage(width: 20, height: 12, channels: channels, bitDepth: bitDepth, seed: UInt64(40 + $0)) }
            let bytes = try APNGEncoding.encode(input, bitDepth: bitDepth, name: "test.png")
            let decoded = try ImageReader.decode(bytes: bytes, name: "test.png")
            XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [20, 12, channels])
            let worst = zip(decoded.pixels, input[0].pixels).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThanOrEqual(worst, 1.0 / 255, "\(channels) channels, \(bitDepth) bits")
        }
    }

    func testDefaultsAreEightFramesPerSecondLoopingForever() throws {
        let all = try chunks(APNGEncoding.encode(frames(1, width: 4, height: 3), name: "one.png"))
        XCTAssertEqual(all.map(\.type), ["IHDR", "acTL", "fcTL", "IDAT", "IEND"])
        XCTAssertEqual([be32(all[1].data, 0), be32(all[1].data, 4)], [1, 0])
        XCTAssertEqual([be16(all[2].data, 20), be16(all[2].data, 22)], [1, 8])
    }

    func testMismatchedFramesThrowTypedErrors() {
        XCTAssertThrowsError(try APNGEncoding.encode([], name: "empty.png")) {
            XCTAssertEqual($0 as? APNGEncodingError, .noFrames(name: "empty.png"))
        }
        let a = Image(width: 4, height: 3, channels: 3), taller = Image(width: 4, height: 5, channels: 3)
        XCTAssertThrowsError(try APNGEncoding.encode([a, a, taller], name: "size.png")) {
            XCTAssertEqual($0 as? APNGEncodingError, .sizeMismatch(name: "size.png", frame: 2, width: 4, height: 5,
                                                                   expectedWidth: 4, expectedHeight: 3))
            XCTAssertTrue("\($0)".contains("frame 2 is 4x5 but frame 0 is 4x3"), "\($0)")
        }
        XCTAssertThrowsError(try APNGEncoding.encode([a, Image(width: 4, height: 3, channels: 4)], name: "c.png")) {
            XCTAssertEqual($0 as? APNGEncodingError, .channelMismatch(name: "c.png", frame: 1, channels: 4, expectedChannels: 3))
        }
        XCTAssertThrowsError(try APNGEncoding.encode([a], bitDepth: 12, name: "d.png")) {
            XCTAssertEqual($0 as? ImageIOError, .unsupportedBitDepth(path: "d.png", bitDepth: 12))
        }
    }

    func testWriteIsAtomicAndReadable() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/anim.png"
        let input = frames(2, width: 8, height: 6)
        try APNGEncoding.write(input, to: path)
        XCTAssertEqual(try ImageReader.read(path: path), input[0])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["anim.png"])
        XCTAssertThrowsError(try APNGEncoding.write([input[0], frames(1, width: 9, height: 6)[0]], to: dir + "/bad.png"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["anim.png"], "nothing written on failure")
    }

    func testCRC32MatchesKnownValues() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32.checksum(Array("IEND".utf8)), 0xAE42_6082)
    }
}
