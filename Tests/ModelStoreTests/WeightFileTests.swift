import Engine
import Foundation
import XCTest

final class WeightFileTests: XCTestCase {
    private func sample() throws -> WeightFile {
        WeightFile(network: "vgg16", source: "test/source", tensors: [
            "conv1_1.weight": try WeightTensor(shape: [2, 3, 1, 1], values: [1, -2, 3.5, 4, .pi, -0.0]),
            "conv1_1.bias": try WeightTensor(shape: [2], values: [0.25, -7]),
            "conv1_2.weight": try WeightTensor(shape: [1, 2, 3, 3], values: (0..<18).map { Float($0) / 3 }),
        ])
    }

    /// Builds a file by hand: magic, version, header length, `header`, padding, `dataLength` data bytes.
    private func handmade(header: String, data: [UInt8], version: UInt32 = 1, headerLengthDelta: Int = 0) -> Data {
        let json = Data(header.utf8)
        var out = Data("SFWEIGHT".utf8)
        withUnsafeBytes(of: version.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(json.count + headerLengthDelta).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(Data(count: (64 - out.count % 64) % 64))
        out.append(contentsOf: data)
        return out
    }

    private func header(dataLength: Int, entries: [String]) -> String {
        #"{"dataLength":\#(dataLength),"network":"vgg16","source":"x","tensors":[\#(entries.joined(separator: ","))]}"#
    }

    private func entry(_ name: String, shape: [Int], offset: Int, byteLength: Int, dtype: String = "float32") -> String {
        #"{"byteLength":\#(byteLength),"dtype":"\#(dtype)","name":"\#(name)","offset":\#(offset),"shape":\#(shape)}"#
    }

    private func assertThrows(_ data: Data, _ expected: WeightFileError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try WeightFile.read(from: data), file: file, line: line) { error in
            XCTAssertEqual(error as? WeightFileError, expected, file: file, line: line)
        }
    }

    func testRoundTrip() throws {
        let original = try sample()
        let bytes = original.serialized()
        XCTAssertEqual(bytes.prefix(8), Data("SFWEIGHT".utf8))
        XCTAssertEqual(Array(bytes[8..<12]), [1, 0, 0, 0])
        let decoded = try WeightFile.read(from: bytes)
        XCTAssertEqual(decoded, original)
        XCTAssertEqual(decoded.tensors["conv1_1.weight"]?.values[5].sign, .minus, "-0.0 keeps its sign bit")
        // Deterministic bytes, also after a round trip; and reading a Data slice works.
        XCTAssertEqual(decoded.serialized(), bytes)
        XCTAssertEqual(try WeightFile.read(from: (Data([0, 0]) + bytes).dropFirst(2)), original)
    }

    func testLayoutIsAligned() throws {
        let bytes = try sample().serialized()
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        let dataStart = (16 + headerLength + 63) / 64 * 64
        struct H: Decodable { struct E: Decodable { var name: String; var offset: Int; var byteLength: Int }; var tensors: [E]; var dataLength: Int }
        let header = try JSONDecoder().decode(H.self, from: bytes.subdata(in: 16..<16 + headerLength))
        XCTAssertEqual(header.tensors.map(\.name), ["conv1_1.bias", "conv1_1.weight", "conv1_2.weight"])
        XCTAssertTrue(header.tensors.allSatisfy { $0.offset % 64 == 0 })
        XCTAssertEqual(bytes.count, dataStart + header.dataLength)
        // conv1_1.bias is first: its values are at the data start, little-endian float32.
        let bias0 = bytes.subdata(in: dataStart..<dataStart + 4).withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        XCTAssertEqual(bias0, 0.25)
    }

    func testEmptyFileRoundTrips() throws {
        let empty = WeightFile(network: "none", source: "", tensors: [:])
        XCTAssertEqual(try WeightFile.read(from: empty.serialized()), empty)
    }

    func testBadMagic() throws {
        var bytes = try sample().serialized()
        bytes[0] = UInt8(ascii: "X")
        assertThrows(bytes, .badMagic)
        assertThrows(Data("PK\u{3}\u{4}".utf8), .badMagic)
    }

    func testUnsupportedVersion() {
        assertThrows(handmade(header: header(dataLength: 0, entries: []), data: [], version: 2), .unsupportedVersion(2))
    }

    func testTruncatedHeader() throws {
        let bytes = try sample().serialized()
        assertThrows(Data(), .truncatedHeader(expectedAtLeast: 16, actual: 0))
        assertThrows(bytes.prefix(5), .truncatedHeader(expectedAtLeast: 16, actual: 5))
        assertThrows(bytes.prefix(12), .truncatedHeader(expectedAtLeast: 16, actual: 12))
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8
        assertThrows(bytes.prefix(40), .truncatedHeader(expectedAtLeast: 16 + headerLength, actual: 40))
        // A header length pointing far past the end of the file.
        let huge = handmade(header: header(dataLength: 0, entries: []), data: [], headerLengthDelta: 1_000_000)
        XCTAssertThrowsError(try WeightFile.read(from: huge)) { error in
            guard case .truncatedHeader = error as? WeightFileError else { return XCTFail("\(error)") }
        }
    }

    func testInvalidHeaderJSON() {
        XCTAssertThrowsError(try WeightFile.read(from: handmade(header: "{not json", data: []))) { error in
            guard case .invalidHeader = error as? WeightFileError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try WeightFile.read(from: handmade(header: #"{"network":"vgg16"}"#, data: []))) { error in
            guard case .invalidHeader = error as? WeightFileError else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedData() throws {
        let bytes = try sample().serialized()
        assertThrows(bytes.dropLast(3), .truncatedData(expected: bytes.count, actual: bytes.count - 3))
        let declared = handmade(header: header(dataLength: 64, entries: [entry("a", shape: [4], offset: 0, byteLength: 16)]), data: Array(repeating: 0, count: 16))
        XCTAssertThrowsError(try WeightFile.read(from: declared)) { error in
            guard case .truncatedData(_, let actual) = error as? WeightFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(actual, declared.count)
        }
    }

    func testTrailingBytesAreRejected() throws {
        XCTAssertThrowsError(try WeightFile.read(from: try sample().serialized() + Data([0]))) { error in
            guard case .inconsistentHeader = error as? WeightFileError else { return XCTFail("\(error)") }
        }
    }

    func testOffsetsOutOfBounds() {
        let data = [UInt8](repeating: 0, count: 16)
        assertThrows(handmade(header: header(dataLength: 16, entries: [entry("a", shape: [4], offset: 4, byteLength: 16)]), data: data),
                     .tensorOutOfBounds(name: "a", offset: 4, byteLength: 16, dataLength: 16))
        assertThrows(handmade(header: header(dataLength: 16, entries: [entry("a", shape: [4], offset: -8, byteLength: 16)]), data: data),
                     .tensorOutOfBounds(name: "a", offset: -8, byteLength: 16, dataLength: 16))
        let big = Int.max - 8
        assertThrows(handmade(header: header(dataLength: 16, entries: [entry("a", shape: [4], offset: big, byteLength: 16)]), data: data),
                     .tensorOutOfBounds(name: "a", offset: big, byteLength: 16, dataLength: 16))
        // Two tensors sharing bytes.
        assertThrows(handmade(header: header(dataLength: 16, entries: [entry("a", shape: [4], offset: 0, byteLength: 16),
                                                                       entry("b", shape: [2], offset: 8, byteLength: 8)]), data: data),
                     .tensorOutOfBounds(name: "b", offset: 8, byteLength: 8, dataLength: 16))
    }

    func testShapeSizeMismatch() {
        let data = [UInt8](repeating: 0, count: 64)
        assertThrows(handmade(header: header(dataLength: 64, entries: [entry("a", shape: [4, 4], offset: 0, byteLength: 60)]), data: data),
                     .shapeSizeMismatch(name: "a", shape: [4, 4], byteLength: 60))
        assertThrows(handmade(header: header(dataLength: 64, entries: [entry("z", shape: [0, 4], offset: 0, byteLength: 0)]), data: data),
                     .shapeSizeMismatch(name: "z", shape: [0, 4], byteLength: 0))
        assertThrows(handmade(header: header(dataLength: 64, entries: [entry("h", shape: [Int.max, 4], offset: 0, byteLength: 16)]), data: data),
                     .shapeSizeMismatch(name: "h", shape: [Int.max, 4], byteLength: 16))
        XCTAssertThrowsError(try WeightTensor(shape: [2, 2], values: [1, 2, 3]))
    }

    func testInconsistentEntries() {
        let data = [UInt8](repeating: 0, count: 32)
        for entries in [[entry("a", shape: [4], offset: 0, byteLength: 16), entry("a", shape: [4], offset: 16, byteLength: 16)],
                        [entry("a", shape: [4], offset: 0, byteLength: 16, dtype: "float16")],
                        [entry("", shape: [4], offset: 0, byteLength: 16)]] {
            XCTAssertThrowsError(try WeightFile.read(from: handmade(header: header(dataLength: 32, entries: entries), data: data))) { error in
                guard case .inconsistentHeader = error as? WeightFileError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try WeightFile.read(from: handmade(header: header(dataLength: -1, entries: []), data: []))) { error in
            guard case .inconsistentHeader = error as? WeightFileError else { return XCTFail("\(error)") }
        }
    }

    func testMissingTensorLookup() throws {
        XCTAssertThrowsError(try sample().tensor(named: "conv9_9.weight")) { error in
            XCTAssertEqual(error as? WeightFileError, .missingTensor("conv9_9.weight"))
        }
        XCTAssertEqual(try sample().tensor(named: "conv1_1.bias").shape, [2])
    }
}
