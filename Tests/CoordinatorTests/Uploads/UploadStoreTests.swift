import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// The upload store without sockets (issue 17, `submit --upload`): blobs arrive in order and are stored only
/// when their bytes match their name, each once; checkouts lay them out as hard links under their owner's
/// folder; every name, path and size a peer sends is checked before it touches a path.
final class UploadStoreTests: XCTestCase {
    private var state: URL!
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    override func setUpWithError() throws {
        state = FileManager.default.temporaryDirectory.appendingPathComponent("upload-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: state) }

    private func send(_ store: UploadStore, _ bytes: Data, owner: String = "alice", chunk: Int = 4) throws -> UploadStore.ChunkOutcome {
        let name = BlobName.of(bytes)
        var offset = 0
        var outcome = UploadStore.ChunkOutcome(received: 0, stored: false)
        repeat {
            let end = min(bytes.count, offset + chunk)
            outcome = try store.receive(owner: owner, sha256: name, totalSize: UInt64(bytes.count), offset: UInt64(offset),
                                        bytes: bytes.subdata(in: offset..<end), last: end == bytes.count, now: now)
            offset = end
        } while offset < bytes.count
        return outcome
    }

    private func storedBlobs() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: state.appendingPathComponent("uploads/blobs").path)) ?? []
    }

    func testABlobSentInChunksIsStoredOnceAndNoLongerMissing() throws {
        let store = try UploadStore(stateDirectory: state)
        let plate = Data("a plate of eleven bytes".utf8), style = Data("style".utf8)
        let names = [BlobName.of(plate), BlobName.of(style)]
        XCTAssertEqual(try store.missing(names + [names[0]]), names, "each missing name once, in order")
        XCTAssertEqual(try send(store, plate), .init(received: UInt64(plate.count), stored: true))
        XCTAssertEqual(try store.missing(names), [names[1]])
        let stored = state.appendingPathComponent("uploads/blobs/\(names[0])")
        XCTAssertEqual(try Data(contentsOf: stored), plate)
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: stored.path)[.posixPermissions] as? Int), 0o444)
        // Sent again (another client, or a retry): answered stored at once.
        XCTAssertEqual(try store.receive(owner: "bob", sha256: names[0], totalSize: UInt64(plate.count), offset: 0,
                                         bytes: plate.prefix(4), last: false, now: now).stored, true)
    }

    func testBytesThatDoNotMatchTheirNameAreNotStored() throws {
        let store = try UploadStore(stateDirectory: state)
        let claimed = BlobName.of(Data("the real plate".utf8))
        XCTAssertThrowsError(try store.receive(owner: "alice", sha256: claimed, totalSize: 5, offset: 0,
                                               bytes: Data("other".utf8), last: true, now: now)) { error in
            guard case UploadError.invalid(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("hash to"), message)
        }
        XCTAssertEqual(storedBlobs(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: state.appendingPathComponent("uploads/partial").path), [])
    }

    func testChunksOutOfOrderOrPastTheirSizeStopTheUpload() throws {
        let store = try UploadStore(stateDirectory: state)
        let bytes = Data((0..<32).map { UInt8($0) })
        let name = BlobName.of(bytes)
        _ = try store.receive(owner: "alice", sha256: name, totalSize: 32, offset: 0, bytes: bytes.prefix(8), last: false, now: now)
        XCTAssertThrowsError(try store.receive(owner: "alice", sha256: name, totalSize: 32, offset: 16,
                                               bytes: bytes.subdata(in: 16..<24), last: false, now: now))
        // The upload was dropped: the next chunk has nothing to continue.
        XCTAssertThrowsError(try store.receive(owner: "alice", sha256: name, totalSize: 32, offset: 8,
                                               bytes: bytes.subdata(in: 8..<16), last: false, now: now)) { error in
            XCTAssertTrue("\(error)".contains("from offset 0"), "\(error)")
        }
        _ = try store.receive(owner: "alice", sha256: name, totalSize: 32, offset: 0, bytes: bytes.prefix(8), last: false, now: now)
        XCTAssertThrowsError(try store.receive(owner: "alice", sha256: name, totalSize: 32, offset: 8,
                                               bytes: Data(count: 40), last: false, now: now))
        // Another key's chunk does not continue alice's upload.
        _ = try store.receive(owner: "alice", sha256: name, totalSize: 32, offset: 0, bytes: bytes.prefix(8), last: false, now: now)
        XCTAssertThrowsError(try store.receive(owner: "bob", sha256: name, totalSize: 32, offset: 8,
                                               bytes: bytes.subdata(in: 8..<16), last: false, now: now))
        XCTAssertEqual(try send(store, bytes, chunk: 5).stored, true)
    }

    func testNamesThatAreNotBlobNamesAreRefusedBeforeAnyPath() throws {
        let store = try UploadStore(stateDirectory: state)
        for bad in ["../x", "ABC", String(repeating: "A", count: 64), String(repeating: "0", count: 63) + "/", ""] {
            XCTAssertThrowsError(try store.missing([bad]), bad)
            XCTAssertThrowsError(try store.receive(owner: "alice", sha256: bad, totalSize: 1, offset: 0, bytes: Data([1]),
                                                   last: true, now: now), bad)
        }
        XCTAssertThrowsError(try store.missing(Array(repeating: BlobName.of(Data()), count: 10_001)))
        XCTAssertEqual(storedBlobs(), [])
    }

    func testSizeOpenUploadsAndIdleUploadsAreBounded() throws {
        var limits = UploadStore.Limits()
        limits.maxBlobBytes = 100
        limits.maxOpenUploadsPerOwner = 2
        limits.idleSeconds = 60
        let store = try UploadStore(stateDirectory: state, limits: limits)
        let big = Data(count: 101)
        XCTAssertThrowsError(try store.receive(owner: "alice", sha256: BlobName.of(big), totalSize: 101, offset: 0,
                                               bytes: big.prefix(10), last: false, now: now)) { error in
            XCTAssertEqual((error as? UploadError)?.code, .resourceExhausted)
        }
        func start(_ i: UInt8, owner: String = "alice", at time: Date) throws {
            let bytes = Data([i, i, i, i])
            _ = try store.receive(owner: owner, sha256: BlobName.of(bytes), totalSize: 4, offset: 0, bytes: bytes.prefix(2), last: false, now: time)
        }
        try start(1, at: now)
        try start(2, at: now)
        XCTAssertThrowsError(try start(3, at: now)) { error in XCTAssertEqual((error as? UploadError)?.code, .resourceExhausted) }
        XCTAssertNoThrow(try start(3, owner: "bob", at: now), "the limit is per key")
        // A minute later the idle ones are dropped, and alice may start again.
        XCTAssertNoThrow(try start(4, at: now.addingTimeInterval(61)))
        let partials = try FileManager.default.contentsOfDirectory(atPath: state.appendingPathComponent("uploads/partial").path)
        XCTAssertEqual(partials.count, 1, "\(partials)")
    }

    func testPartialUploadsOfAnEarlierRunAreSweptAtStart() throws {
        let store = try UploadStore(stateDirectory: state)
        _ = try store.receive(owner: "alice", sha256: BlobName.of(Data([1, 2, 3])), totalSize: 3, offset: 0, bytes: Data([1]), last: false, now: now)
        let partial = state.appendingPathComponent("uploads/partial").path
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: partial).count, 1)
        _ = try UploadStore(stateDirectory: state)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: partial), [])
    }

    func testACheckoutLaysBlobsOutAsLinksUnderItsOwnersFolder() throws {
        let store = try UploadStore(stateDirectory: state)
        let a = Data("frame one".utf8), b = Data("frame two".utf8)
        _ = try send(store, a)
        _ = try send(store, b)
        let first = try store.checkout(owner: "alice", id: "", files: [("plates/a.0001.png", BlobName.of(a)),
                                                                       ("plates/a.0002.png", BlobName.of(b)),
                                                                       ("plates/a.0003.png", BlobName.of(a))])
        XCTAssertEqual(first.root, UploadStore.checkoutsFolder(stateDirectory: state, owner: "alice").appendingPathComponent(first.id).path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: first.root + "/plates/a.0003.png")), a)
        // More files into the same checkout; the same file again is fine, other content at a taken path is not.
        let second = try store.checkout(owner: "alice", id: first.id, files: [("style.jpg", BlobName.of(b)), ("plates/a.0001.png", BlobName.of(a))])
        XCTAssertEqual(second.root, first.root)
        XCTAssertThrowsError(try store.checkout(owner: "alice", id: first.id, files: [("plates/a.0001.png", BlobName.of(b))]))
        // A file where a folder must be.
        XCTAssertThrowsError(try store.checkout(owner: "alice", id: first.id, files: [("style.jpg/x.png", BlobName.of(a))]))
        // bob cannot add to alice's checkout: it is not under his folder.
        XCTAssertThrowsError(try store.checkout(owner: "bob", id: first.id, files: [("x.png", BlobName.of(a))])) { error in
            XCTAssertEqual((error as? UploadError)?.code, .notFound)
        }
        // A blob nobody sent.
        XCTAssertThrowsError(try store.checkout(owner: "alice", id: "", files: [("y.png", BlobName.of(Data("never sent".utf8)))])) { error in
            XCTAssertEqual((error as? UploadError)?.code, .notFound)
        }
    }

    func testCheckoutPathsAndIdsThatCouldLeaveTheCheckoutAreRefusedBeforeAnythingIsMade() throws {
        let store = try UploadStore(stateDirectory: state)
        let a = Data("frame".utf8)
        _ = try send(store, a)
        for bad in ["../escape.png", "plates/../../x", "/etc/passwd", "a//b", "a/./b", "", "a/", String(repeating: "x", count: 256)] {
            XCTAssertThrowsError(try store.checkout(owner: "alice", id: "", files: [("ok.png", BlobName.of(a)), (bad, BlobName.of(a))]), bad) { error in
                XCTAssertEqual((error as? UploadError)?.code, .invalidArgument, "\(bad): \(error)")
            }
        }
        for badID in ["..", "../../uploads", String(repeating: "g", count: 32)] {
            XCTAssertThrowsError(try store.checkout(owner: "alice", id: badID, files: [("ok.png", BlobName.of(a))]), badID)
        }
        // Nothing was made: the refused requests checked every path first.
        let aliceFolder = UploadStore.checkoutsFolder(stateDirectory: state, owner: "alice").path
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: aliceFolder)) ?? [], [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: state.appendingPathComponent("uploads/escape.png").path))
        // A key named ".." still gets a folder of its own.
        XCTAssertEqual(UploadStore.ownerFolderName(".."), "key-..")
        XCTAssertEqual(UploadStore.ownerFolderName(""), "local")
    }
}
