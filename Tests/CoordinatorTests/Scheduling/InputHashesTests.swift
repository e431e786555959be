import JobModel
import XCTest
@testable import Coordinator

/// `InputHashes`: a file is hashed once however many claims wait for it; waiting claims come back in order
/// when its hash does; a file that could not be read is hashed again next time; a dead worker's claims go.
final class InputHashesTests: XCTestCase {
    private func claim(_ id: String, attempt: Int = 1) -> TaskClaim {
        TaskClaim(task: TaskRecord(id: id, jobID: "j", frameIndex: 0, region: TaskRegion(x: 0, y: 0, width: 8, height: 8)),
                  attempt: attempt)
    }

    func testAFileIsHashedOnceAndItsWaitingClaimsComeBackInOrder() {
        var hashes = InputHashes()
        XCTAssertNil(hashes.entry(for: "/plates/f1.png"))
        XCTAssertTrue(hashes.park(claim("a"), for: "w1", waitingOn: "/plates/f1.png"), "the first claim starts the hashing")
        XCTAssertFalse(hashes.park(claim("b"), for: "w2", waitingOn: "/plates/f1.png"), "the second waits for the same")
        XCTAssertTrue(hashes.park(claim("c"), for: "w1", waitingOn: "/plates/f2.png"))
        XCTAssertEqual(hashes.inFlight, 2)
        let entry = InputHashes.Entry(sha: String(repeating: "a", count: 64), size: 42)
        let ready = hashes.hashed("/plates/f1.png", entry: entry)
        XCTAssertEqual(ready.map(\.claim.task.id), ["a", "b"])
        XCTAssertEqual(ready.map(\.workerID), ["w1", "w2"])
        XCTAssertEqual(hashes.entry(for: "/plates/f1.png"), entry)
        XCTAssertEqual(hashes.parked.map(\.claim.task.id), ["c"])
        XCTAssertEqual(hashes.inFlight, 1)
        // A claim parked on a file whose hash is known (it came back meanwhile) needs no new hashing.
        XCTAssertFalse(hashes.park(claim("d"), for: "w1", waitingOn: "/plates/f1.png"))
    }

    func testAFileThatCouldNotBeReadIsHashedAgainNextTime() {
        var hashes = InputHashes()
        XCTAssertTrue(hashes.park(claim("a"), for: "w1", waitingOn: "/plates/missing.png"))
        XCTAssertEqual(hashes.hashed("/plates/missing.png", entry: nil).map(\.claim.task.id), ["a"])
        XCTAssertNil(hashes.entry(for: "/plates/missing.png"))
        XCTAssertTrue(hashes.park(claim("a", attempt: 2), for: "w1", waitingOn: "/plates/missing.png"),
                      "the file may be there now: it is read again")
    }

    func testADeadWorkersParkedClaimsAreDroppedAndTheHashStillLands() {
        var hashes = InputHashes()
        _ = hashes.park(claim("a"), for: "w1", waitingOn: "/p.png")
        _ = hashes.park(claim("b"), for: "w2", waitingOn: "/p.png")
        XCTAssertEqual(hashes.dropParked(ofWorker: "w1").map(\.claim.task.id), ["a"])
        XCTAssertEqual(hashes.hashed("/p.png", entry: .init(sha: "x", size: 1)).map(\.claim.task.id), ["b"])
        XCTAssertTrue(hashes.parked.isEmpty)
    }
}
