import Foundation
import XCTest
@testable import Worker

final class BlobCacheTests: XCTestCase {
    private var folder = ""

    override func setUp() { folder = TestSupport.temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func bytes(_ n: Int, _ value: UInt8) -> [UInt8] { [UInt8](repeating: value, count: n) }

    func testPutGetAndFanOut() throws {
        let cache = try BlobCache(root: folder, maxBytes: 1 << 20)
        let data: [UInt8] = Array("hello".utf8)
        let hash = try cache.put(data)
        XCTAssertEqual(hash, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        XCTAssertTrue(cache.contains(hash))
        XCTAssertEqual(try cache.get(hash), data)
        XCTAssertEqual(try cache.blob(hash), data)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/2c/f2/\(hash)"))
        XCTAssertEqual(cache.path(for: hash), "\(folder)/2c/f2/\(hash)")
        let absent = String(repeating: "0", count: 64)
        XCTAssertNil(try cache.get(absent))
        XCTAssertThrowsError(try cache.blob(absent)) { XCTAssertEqual($0 as? BlobStoreError, .missing(absent)) }
        XCTAssertThrowsError(try cache.get("../../etc/passwd")) {
            XCTAssertEqual($0 as? BlobStoreError, .invalidHash("../../etc/passwd"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/tmp"), [])
    }

    func testDedupeAndExpectedHash() throws {
        let cache = try BlobCache(root: folder, maxBytes: 1 << 20)
        let a = try cache.put(bytes(10, 1))
        XCTAssertEqual(try cache.put(bytes(10, 1), expecting: a), a)
        XCTAssertEqual(cache.totalBytes, 10)
        XCTAssertEqual(cache.hashesByRecency, [a])
        let wrong = String(repeating: "a", count: 64)
        XCTAssertThrowsError(try cache.put(bytes(3, 2), expecting: wrong)) {
            guard case .hashMismatch(let expected, _) = $0 as? BlobStoreError else { return XCTFail("\($0)") }
            XCTAssertEqual(expected, wrong)
        }
        XCTAssertEqual(cache.totalBytes, 10)
    }

    func testCorruptBlobIsDeletedAndReportedMissing() throws {
        let cache = try BlobCache(root: folder, maxBytes: 1 << 20)
        let hash = try cache.put(bytes(100, 7))
        var damaged = bytes(100, 7)
        damaged[50] = 8
        try Data(damaged).write(to: URL(fileURLWithPath: cache.path(for: hash)))
        XCTAssertNil(try cache.get(hash))
        XCTAssertFalse(cache.contains(hash))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.path(for: hash)))
        XCTAssertEqual(cache.totalBytes, 0)
        // A vanished file is missing too.
        let other = try cache.put(bytes(5, 1))
        try FileManager.default.removeItem(atPath: cache.path(for: other))
        XCTAssertNil(try cache.get(other))
        XCTAssertFalse(cache.contains(other))
    }

    func testEvictsLeastRecentlyUsedFirst() throws {
        let cache = try BlobCache(root: folder, maxBytes: 30)
        let a = try cache.put(bytes(10, 1))
        let b = try cache.put(bytes(10, 2))
        let c = try cache.put(bytes(10, 3))
        XCTAssertNotNil(try cache.get(a))  // a is now more recent than b
        let d = try cache.put(bytes(10, 4))
        XCTAssertFalse(cache.contains(b))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.path(for: b)))
        XCTAssertEqual(cache.hashesByRecency, [c, a, d])
        XCTAssertEqual(cache.totalBytes, 30)
        // A blob larger than the bound is kept (it was just written) and evicts everything else.
        let big = try cache.put(bytes(50, 5))
        XCTAssertEqual(cache.hashesByRecency, [big])
    }

    func testPinnedBlobsAreNeverEvicted() throws {
        let cache = try BlobCache(root: folder, maxBytes: 20)
        let a = try cache.put(bytes(10, 1))
        cache.pin(a)
        cache.pin(a)
        let b = try cache.put(bytes(10, 2))
        let c = try cache.put(bytes(10, 3))
        XCTAssertTrue(cache.contains(a))
        XCTAssertFalse(cache.contains(b))
        XCTAssertTrue(cache.contains(c))
        // Everything else pinned too: the bound is exceeded rather than a pinned blob dropped.
        cache.pin(c)
        let d = try cache.put(bytes(10, 4))
        XCTAssertEqual(Set(cache.hashesByRecency), [a, c, d])
        XCTAssertEqual(cache.totalBytes, 30)
        // Unpinning shrinks the cache back to its bound; a is still pinned once, so d (the only
        // evictable blob) goes.
        cache.unpin(a)
        XCTAssertTrue(cache.contains(a))
        XCTAssertFalse(cache.contains(d))
        XCTAssertEqual(cache.totalBytes, 20)
        cache.unpin(a)
        cache.unpin(c)
        cache.unpin(c)  // extra unpins are ignored
        let e = try cache.put(bytes(10, 5))
        XCTAssertEqual(cache.hashesByRecency, [c, e])
    }

    func testReopenRebuildsIndex() throws {
        var hashes: [String] = []
        do {
            let cache = try BlobCache(root: folder, maxBytes: 1000)
            hashes = try (1...3).map { try cache.put(bytes(10 * Int($0), $0)) }
        }
        // Leftover temporary file and a stray file are ignored / cleaned.
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/tmp/partial", contents: Data([1, 2, 3])))
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/README", contents: Data([1])))
        let reopened = try BlobCache(root: folder, maxBytes: 1000)
        XCTAssertEqual(reopened.totalBytes, 60)
        for (i, hash) in hashes.enumerated() {
            XCTAssertEqual(try reopened.get(hash), bytes(10 * (i + 1), UInt8(i + 1)))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/tmp/partial"))
        // Reopening with a smaller bound evicts down to it.
        let small = try BlobCache(root: folder, maxBytes: 35)
        XCTAssertLessThanOrEqual(small.totalBytes, 35)
    }
}
