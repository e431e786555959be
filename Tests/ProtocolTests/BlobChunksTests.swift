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

/// The one receiving side of the blob exchange: what `BlobChunks` sends comes back whole, and a broken
/// transfer stops with a reason.
final class BlobAssemblyTests: XCTestCase {
    func testChunksAssembleIntoTheBlob() {
        let bytes = Data((0..<1000).map { UInt8($0 % 253) })
        var assembly = BlobAssembly(maxBytes: 1 << 20)
        var steps: [BlobAssembly.Step] = []
        for (chunk, attachment) in BlobChunks.messages(sha256: "h", bytes: bytes, limit: 256) {
            steps.append(assembly.add(chunk, attachments: [attachment]))
        }
        XCTAssertEqual(steps, [.more, .more, .more, .complete(bytes)])
    }

    func testBrokenTransfersFailWithAReason() {
        let bytes = Data(repeating: 7, count: 100)
        let chunks = BlobChunks.messages(sha256: "h", bytes: bytes, limit: 40)
        func failure(_ step: BlobAssembly.Step) -> String? { if case .failed(let r) = step { return r } else { return nil } }

        var outOfOrder = BlobAssembly(maxBytes: 1000)
        XCTAssertNotNil(failure(outOfOrder.add(chunks[1].message, attachments: [chunks[1].attachment])), "a chunk skipped")

        var tooBig = BlobAssembly(maxBytes: 99)
        XCTAssertEqual(failure(tooBig.add(chunks[0].message, attachments: [chunks[0].attachment])), "100 bytes announced, at most 99 accepted")

        var overlong = BlobAssembly(maxBytes: 1000)
        var lying = chunks[0].message
        lying.totalSize = 10
        XCTAssertNotNil(failure(overlong.add(lying, attachments: [chunks[0].attachment])), "more bytes than announced")

        var short = BlobAssembly(maxBytes: 1000)
        var early = chunks[0].message
        early.last = true
        XCTAssertEqual(failure(short.add(early, attachments: [chunks[0].attachment])),
                       "the last chunk ends at 40 of the 100 bytes announced")

        var missing = BlobAssembly(maxBytes: 1000)
        XCTAssertEqual(failure(missing.add(BlobChunks.notFound(sha256: "h"), attachments: [])), "the sender does not have it")

        var noAttachment = BlobAssembly(maxBytes: 1000)
        XCTAssertNotNil(failure(noAttachment.add(chunks[0].message, attachments: [])), "attachment 0 is missing")
    }
}
