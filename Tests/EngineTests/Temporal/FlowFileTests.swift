import Foundation
import XCTest
@testable import Engine
import TestSupport

final class FlowFileTests: XCTestCase {
    func testRoundTripIsBitExactAndLayoutIsMiddlebury() throws {
        let flow = FlowField(width: 3, height: 2, u: [0, 1.5, -2, 3.25, 1e10, -0.125], v: [0.5, -1, 7, 0, 2, -1e-3])
        let bytes = FlowFile.encode(flow)
        XCTAssertEqual(bytes.count, 12 + 8 * 6)
        XCTAssertEqual(Array(bytes[0..<4]), Array("PIEH".utf8))
        XCTAssertEqual(Array(bytes[4..<12]), [3, 0, 0, 0, 2, 0, 0, 0])
        // Interleaved: u[0,0], v[0,0], u[0,1], … — the second float of the data is v[0] = 0.5 = 0x3F000000.
        XCTAssertEqual(Array(bytes[16..<20]), [0, 0, 0, 0x3F])
        let decoded = try FlowFile.decode(bytes)
        XCTAssertEqual(decoded, flow)
        XCTAssertFalse(decoded.isKnown(4))

        let path = NSTemporaryDirectory() + "flowfile-\(getpid()).flo"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FlowFile.write(flow, to: path)
        XCTAssertEqual(try FlowFile.read(path: path), flow)
    }

    func testBadFilesAreRejectedWithTypedErrors() {
        let good = FlowFile.encode(FlowField(width: 2, height: 2, constant: 1, 2))
        func error(_ bytes: [UInt8]) -> FlowFileError? {
            do { _ = try FlowFile.decode(bytes, name: "x.flo"); return nil } catch { return error as? FlowFileError }
        }
        XCTAssertEqual(error(Array(good[0..<7])), .tooShort(name: "x.flo", bytes: 7))
        var bad = good; bad[0] = 0x51
        if case .badMagic? = error(bad) {} else { XCTFail("bad magic not detected") }
        XCTAssertEqual(error(Array(good.dropLast())), .truncated(name: "x.flo", expected: 44, actual: 43))
        XCTAssertEqual(error(good + [0]), .trailingData(name: "x.flo", expected: 44, actual: 45))
        var negative = good; negative[4...7] = [0xFF, 0xFF, 0xFF, 0xFF]
        XCTAssertEqual(error(negative), .badDimensions(name: "x.flo", width: -1, height: 2))
        var huge = good; huge[4...7] = [0, 0, 0, 0x40]
        XCTAssertEqual(error(huge), .badDimensions(name: "x.flo", width: 1 << 30, height: 2))
        XCTAssertThrowsError(try FlowFile.read(path: "/nonexistent/flow.flo")) { e in
            if case .io? = e as? FlowFileError {} else { XCTFail("expected .io, got \(e)") }
        }
    }

    func testSharedSintelFlowReads() throws {
        let url = try SharedTestData.url("sequences/sintel_alley_1_clean/flow_0002.flo")
        let flow = try FlowFile.read(path: url.path)
        XCTAssertEqual(flow.width, 1024)
        XCTAssertEqual(flow.height, 436)
        // SOURCES.md: mean motion 3.0 px, max 10.7 px.
        let magnitudes = (0..<flow.pixelCount).map { (flow.u[$0] * flow.u[$0] + flow.v[$0] * flow.v[$0]).squareRoot() }
        XCTAssertEqual(Double(magnitudes.reduce(0, +)) / Double(flow.pixelCount), 3.0, accuracy: 0.1)
        XCTAssertEqual(magnitudes.max()!, 10.7, accuracy: 0.1)
    }
}
