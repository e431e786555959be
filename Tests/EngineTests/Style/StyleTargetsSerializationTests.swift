import XCTest
@testable import Engine

final class StyleTargetsSerializationTests: XCTestCase {
    private func sample() -> StyleTargets {
        StyleTargets(layers: [
            .init(name: "relu1_1", channels: 2, gram: [1, -2.5, .nan, .infinity]),
            .init(name: "relu2_1", channels: 1, gram: [0x1p-140]),
        ])
    }

    private func bits(_ t: StyleTargets) -> [[UInt32]] { t.layers.map { $0.gram.map(\.bitPattern) } }

    func testRoundTripKeepsEveryBit() throws {
        let targets = sample()
        let bytes = try targets.serialized()
        let back = try StyleTargets(serialized: bytes)
        XCTAssertEqual(back.layers.map(\.name), ["relu1_1", "relu2_1"])
        XCTAssertEqual(back.layers.map(\.channels), [2, 1])
        XCTAssertEqual(bits(back), bits(targets))
        XCTAssertEqual(try back.serialized(), bytes)
    }

    func testLayoutIsLittleEndianAndVersioned() throws {
        let bytes = try StyleTargets(layers: [.init(name: "a", channels: 1, gram: [1])]).serialized()
        XCTAssertEqual(bytes, [0x53, 0x46, 0x47, 0x54, 1, 0, 1, 0, 0, 0, 1, 0, 0x61, 1, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F])
        XCTAssertEqual(try StyleTargets(layers: []).serialized(), [0x53, 0x46, 0x47, 0x54, 1, 0, 0, 0, 0, 0])
        XCTAssertEqual(try StyleTargets(serialized: [0x53, 0x46, 0x47, 0x54, 1, 0, 0, 0, 0, 0]).layers, [])
    }

    func testEveryTruncationIsRejected() throws {
        let bytes = try sample().serialized()
        for n in 0..<bytes.count {
            XCTAssertThrowsError(try StyleTargets(serialized: Array(bytes.prefix(n))), "prefix \(n)") { error in
                guard case .truncated = error as? StyleTargetsSerializationError else {
                    if n < 4 { return }  // a short magic may also read as truncated; anything typed is fine
                    return XCTFail("prefix \(n): \(error)")
                }
            }
        }
    }

    func testMalformedInputs() throws {
        let good = try sample().serialized()
        func expect(_ bytes: [UInt8], _ expected: StyleTargetsSerializationError, line: UInt = #line) {
            XCTAssertThrowsError(try StyleTargets(serialized: bytes), line: line) {
                XCTAssertEqual($0 as? StyleTargetsSerializationError, expected, line: line)
            }
        }
        var b = good; b[0] = 0x58; expect(b, .badMagic)
        b = good; b[4] = 2; expect(b, .unsupportedVersion(2))
        expect(good + [0], .trailingBytes(count: 1))
        // Layer count far beyond the data.
        b = good; b[6] = 0xFF; b[7] = 0xFF; b[8] = 0xFF; b[9] = 0xFF; expect(b, .truncated(offset: 10))
        // Name length 0, and invalid UTF-8 in a name.
        b = good; b[10] = 0; b[11] = 0; expect(b, .invalidLayerName(layer: 0))
        b = good; b[12] = 0xFF; expect(b, .invalidLayerName(layer: 0))
        // Channels 0 and above the limit (offset 12 + 7 name bytes = 19).
        b = good; b[19] = 0; expect(b, .invalidChannelCount(layer: 0, channels: 0))
        b = good; b[19] = 0; b[20] = 0; b[21] = 1; expect(b, .invalidChannelCount(layer: 0, channels: 65536))
        // Channels larger than the data that follows.
        b = good; b[19] = 100; expect(b, .truncated(offset: 23))
        // A duplicate layer name.
        let dup = try StyleTargets(layers: [.init(name: "x", channels: 1, gram: [1]), .init(name: "y", channels: 1, gram: [2])]).serialized()
        var d = dup; d[dup.count - 9] = UInt8(ascii: "x"); expect(d, .duplicateLayer("x"))
    }

    func testUnrepresentableTargetsThrowOnWrite() {
        XCTAssertThrowsError(try StyleTargets(layers: [.init(name: "a", channels: 2, gram: [1])]).serialized()) {
            XCTAssertEqual($0 as? StyleTargetsSerializationError, .gramSizeMismatch(layer: 0, channels: 2, values: 1))
        }
        XCTAssertThrowsError(try StyleTargets(layers: [.init(name: "", channels: 1, gram: [1])]).serialized()) {
            XCTAssertEqual($0 as? StyleTargetsSerializationError, .invalidLayerName(layer: 0))
        }
        XCTAssertThrowsError(try StyleTargets(layers: [.init(name: "a", channels: 0, gram: [])]).serialized()) {
            XCTAssertEqual($0 as? StyleTargetsSerializationError, .invalidChannelCount(layer: 0, channels: 0))
        }
    }
}
