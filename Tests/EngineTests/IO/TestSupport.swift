import Foundation
import XCTest
@testable import Engine

/// A fresh temporary directory, removed when the test case finishes.
func makeTemporaryDirectory(_ testCase: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("stylefarm-io-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

/// Deterministic pseudo-random numbers (64-bit LCG) so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state ^ (state >> 29)
    }
}

/// An image whose samples are exactly `k / (2^bitDepth - 1)` for pseudo-random k.
func randomImage(width: Int, height: Int, channels: Int, bitDepth: Int = 8, seed: UInt64 = 1) -> Image {
    var rng = SeededGenerator(seed: seed)
    let maxValue = (1 << bitDepth) - 1
    let pixels = (0..<(width * height * channels)).map { _ in
        Float(Int.random(in: 0...maxValue, using: &rng)) / Float(maxValue)
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels, bitDepth: bitDepth)
}

/// CRC-32 as PNG uses it (ISO 3309), for hand-built chunks.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// One PNG chunk: length, type, data, CRC.
func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    return be32(UInt32(data.count)) + typeBytes + data + be32(crc32(typeBytes + data))
}

let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Asserts that `body` throws `expected` (compared with `==`) and that the message names `path`.
func assertImageIOError<T>(_ body: @autoclosure () throws -> T, _ expected: ImageIOError,
                           file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected \(expected), got no error", file: file, line: line)
    } catch let error as ImageIOError {
        XCTAssertEqual(error, expected, file: file, line: line)
        XCTAssertTrue(error.description.contains(expected.path),
                      "message does not name the file: \(error.description)", file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}

/// Runs `body`, expecting an `ImageIOError` whose message names `path`; returns it for further checks.
func catchImageIOError<T>(_ body: @autoclosure () throws -> T, path: String,
                          file: StaticString = #filePath, line: UInt = #line) -> ImageIOError? {
    do {
        _ = try body()
        XCTFail("expected an ImageIOError, got none", file: file, line: line)
    } catch let error as ImageIOError {
        XCTAssertEqual(error.path, path, file: file, line: line)
        XCTAssertTrue(error.description.contains(path), "message does not name the file: \(error)",
                      file: file, line: line)
        return error
    } catch {
        XCTFail("expected an ImageIOError, got \(error)", file: file, line: line)
    }
    return nil
}
