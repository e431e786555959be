import Foundation
import GRDB
import JobModel
import XCTest
@testable import Coordinator

/// Issue 18: deleting a job's rows, and the garbage collector's rules.
final class DeleteAndCollectTests: XCTestCase {
    func testDeletingAFinishedJobRemovesEveryRowOfItAndNothingElse() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<3, tilesPerFrame: 2)
            try insertJob(store, id: "b", frames: 0..<2)
            for claim in try store.claimTasks(for: "w", max: 3, now: at(1)) {
                _ = try store.apply([.attemptLog(taskID: claim.task.id, attempt: claim.attempt, text: "log"),
                                     .failed(taskID: claim.task.id, attempt: claim.attempt, error: "x", retryable: true)], now: at(2))
            }
            assertThrows(.invalidJob("job a is running; cancel it before deleting it"), label) { try store.deleteJob("a") }
            _ = try store.cancelJob("a", now: at(3))
            XCTAssertEqual(try store.deleteJob("a"), 6, label)
            XCTAssertNil(try store.job("a"), label)
            try store.read { db in
                for table in ["tasks", "frames", "worker_job_failures", "job_state_counts"] {
                    XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE job_id = 'a'"), 0, "\(label) \(table)")
                }
                XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempts WHERE task_id LIKE 'a-%'"), 0, label)
                XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM task_dependencies WHERE task_id LIKE 'a-%'"), 0, label)
            }
            XCTAssertEqual(try store.tasks(ofJob: "b").count, 2, label)
            XCTAssertEqual(try store.summary(ofJob: "b").tasks, [.queued: 2], label)
            assertThrows(.jobNotFound("a"), label) { try store.deleteJob("a") }
        }
    }

    /// Only SHA-256-named regular files old enough go, and of those only the unreferenced (or, for uploads,
    /// the ones no checkout links to).
    func testTheCollectorRemovesOnlyOldUnreferencedBlobs() throws {
        try withTemporaryDirectory { directory in
            let files = FileManager.default
            func blob(_ n: Int, age: TimeInterval, in folder: URL) throws -> String {
                let name = String(repeating: String(n), count: 64)
                let path = folder.appendingPathComponent(name).path
                files.createFile(atPath: path, contents: Data(repeating: UInt8(n), count: 100 * n))
                try files.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
                return name
            }
            let a = directory.appendingPathComponent("a"), b = directory.appendingPathComponent("b")
            try files.createDirectory(at: a, withIntermediateDirectories: true)
            try files.createDirectory(at: b, withIntermediateDirectories: true)
            let kept = try blob(1, age: 3600, in: a), orphan = try blob(2, age: 3600, in: a), young = try blob(3, age: 10, in: a)
            files.createFile(atPath: a.appendingPathComponent("notes.txt").path, contents: Data("x".utf8))
            let linked = try blob(4, age: 3600, in: b), unlinked = try blob(5, age: 3600, in: b)
            XCTAssertEqual(link(b.appendingPathComponent(linked).path, directory.appendingPathComponent("checkout-file").path), 0)
            let report = GarbageCollector.collect([
                .init(path: a.path, minimumAge: 600, rule: .keep([kept])),
                .init(path: b.path, minimumAge: 600, rule: .unlinked),
            ])
            XCTAssertEqual(report, GarbageCollector.Report(files: 2, bytes: 200 + 500))
            XCTAssertEqual(Set(try files.contentsOfDirectory(atPath: a.path)), [kept, young, "notes.txt"])
            XCTAssertEqual(try files.contentsOfDirectory(atPath: b.path), [linked])
            _ = orphan; _ = unlinked
        }
    }

    /// Upload checkouts no stored job reads from go once a day old; the ones a job names stay, whatever their age.
    func testOrphanUploadCheckoutsAreFoundFromTheJobsSpecs() throws {
        try withTemporaryDirectory { directory in
            let files = FileManager.default
            let root = directory.appendingPathComponent("uploads/checkouts").path
            func checkout(_ owner: String, _ id: String, age: TimeInterval) throws -> String {
                let path = root + "/" + owner + "/" + id
                try files.createDirectory(atPath: path + "/shot", withIntermediateDirectories: true)
                files.createFile(atPath: path + "/shot/plate.0001.png", contents: Data("p".utf8))
                try files.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
                return path
            }
            let used = try checkout("key-alice", "c1", age: 3 * 86_400)
            let orphan = try checkout("key-alice", "c2", age: 2 * 86_400)
            let young = try checkout("key-bob", "c3", age: 60)
            let store = try SQLiteJobStore.inMemory()
            // A spec as JSON, the way jobs are stored, naming a file inside the used checkout (slashes escaped).
            let spec = try JSONSerialization.data(withJSONObject: ["spec": ["content_pattern": used + "/shot/plate.####.png", "frames": "1",
                                                                            "style_paths": ["/elsewhere/a.png", root + "/key-alice/loose.png"]]])
            let job = JobRecord(id: "j", name: "j", spec: spec, priority: 50, styleTargetsHash: "")
            _ = try store.insertJob(job, frames: [FrameRecord(jobID: "j", index: 0, outputPath: "/out/j.png")],
                                    tasks: [TaskRecord(id: "j-f0", jobID: "j", frameIndex: 0, region: TaskRegion(x: 0, y: 0, width: 8, height: 8))], now: at(0))
            let byJob = try store.checkoutsByJob(under: root)
            let inUse = Set(byJob.values.joined())
            XCTAssertEqual(inUse, [used], "a file right in an owner folder is no checkout")
            XCTAssertEqual(byJob, ["j": [used]], "per job; a job that reads from none is not listed")
            XCTAssertEqual(GarbageCollector.orphanCheckouts(root: root, referenced: inUse, minimumAge: 86_400, now: Date()), [orphan])
            _ = young
        }
    }
}
