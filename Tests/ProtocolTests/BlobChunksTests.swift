import Foundation
import XCTest
@testable import Protocol

/// The one chunking of the blob exchange, used by both the coordinator and the worker.
final class BlobChunksTests: XCTestCase {
    func testChunksCoverTheBlobInOrderAndMarkTheLast() {
        let bytes = Data((0..<1000).map { UInt8($0 % 251) })
        let chunks = BlobChunks.messages(sha256: "abc", bytes: bytes, limit: 300)
        XCTAssertEqual(chunks.map(\.message.offset), [0, 300, 600, 900])
        XCTAssertEqual(chunks.map(\.message.last), [false, false, false, true])
        XCTAssertTrue(chunks.allSatisfy { $0.message.totalSize == 1000 && $0.message.sha256 == "abc" && $0.message.data == .attachment(0) })
        XCTAssertEqual(chunks.reduce(Data()) { $0 + $1.attachment }, bytes)

        // A slice that does not start at index 0 (a Data cut from a larger buffer) is chunked by its own offsets.
        let slice = bytes[100..<350]
        XCTAssertEqual(BlobChunks.messages(sha256: "s", bytes: slice, limit: 100).reduce(Data()) { $0 + $1.attachment }, Data(slice))
    }

    func testAnEmptyBlobIsOneLastMessage() {
        let chunks = BlobChunks.messages(sha256: "e", bytes: Data(), limit: 64)
        XCTAssertEqual(chunks.count, 1)
        XCTAssertEqual(chunks[0].message.last, true)
        XCTAssertEqual(chunks[0].message.totalSize, 0)
        XCTAssertEqual(chunks[0].attachment, Data())
    }

    func testTheReceiverCanOnlyLowerTheLimit() {
        XCTAssertEqual(BlobChunks.limit(requested: 0, configured: 1 << 20), 1 << 20, "0: the sender's own")
        XCTAssertEqual(BlobChunks.limit(requested: 4096, configured: 1 << 20), 4096)
        XCTAssertEqual(BlobChunks.limit(requested: 1 << 30, configured: 1 << 20), 1 << 20, "never raised")
        XCTAssertEqual(BlobChunks.limit(requested: UInt64.max, configured: 512), 512)
        XCTAssertEqual(BlobChunks.limit(requested: 0, configured: 0), 1, "never 0: the loop would not advance")
        XCTAssertTrue(BlobChunks.notFound(sha256: "x").notFound)
    }
}
