import Foundation
import GRDB
import JobModel
import XCTest
@testable import Coordinator

/// Issue 18's storage safety at start: a damaged database is refused with one clear error, and temporary files
/// from interrupted writes are swept.
final class StoreSafetyTests: XCTestCase {
    func testAFileThatIsNotADatabaseIsReportedAsDamaged() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent(SQLiteJobStore.fileName).path
            try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try SQLiteJobStore(stateDirectory: directory)) { error in
                let error = error as? Coordinator.PersistenceError
                XCTAssertEqual(error?.isCorruptDatabase, true, "\(String(describing: error))")
                XCTAssertTrue("\(error!)".contains("the job database \(path) is damaged"), "\(error!)")
                XCTAssertTrue("\(error!)".contains("restore a backup"), "\(error!)")
            }
        }
    }

    /// A database whose pages were overwritten in the middle (a bad disk, a copy cut short) fails quick_check.
    func testADatabaseWithDamagedPagesFailsTheQuickCheck() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteJobStore(stateDirectory: directory)
            for n in 0..<20 { try insertJob(store, id: "job\(n)", frames: 0..<40) }
            try store.close()
            let url = directory.appendingPathComponent(SQLiteJobStore.fileName)
            // Fold the WAL into the file, then scribble over pages past the header and schema.
            let queue = try DatabaseQueue(path: url.path)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try queue.close()
            var bytes = try Data(contentsOf: url)
            XCTAssertGreaterThan(bytes.count, 16 * 4096)
            for offset in stride(from: 6 * 4096, to: bytes.count - 4096, by: 3 * 4096) {
                bytes.replaceSubrange(offset + 100..<offset + 600, with: Data(repeating: 0xff, count: 500))
            }
            try bytes.write(to: url)
            XCTAssertThrowsError(try SQLiteJobStore(stateDirectory: directory)) { error in
                XCTAssertEqual((error as? Coordinator.PersistenceError)?.isCorruptDatabase, true, "\(error)")
            }
        }
    }

    /// Found by the chaos soak: SQLite 3.40's quick_check reports "NULL value in task_dependencies.task_id" for
    /// every temporal job's dependencies (a WITHOUT ROWID table keyed in another column order), so a coordinator
    /// restarted after a temporal job refused its healthy database. Such reports are checked before believed.
    func testAHealthyDatabaseWithDependenciesReopens() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteJobStore(stateDirectory: directory)
            let job = JobRecord(id: "t", name: "t", spec: Data("{}".utf8), priority: 50, styleTargetsHash: "h")
            let region = TaskRegion(x: 0, y: 0, width: 8, height: 8)
            try store.insertJob(job, frames: (0..<2).map { FrameRecord(jobID: "t", index: $0, outputPath: "/o/\($0)") },
                                tasks: [TaskRecord(id: "a", jobID: "t", frameIndex: 0, region: region),
                                        TaskRecord(id: "b", jobID: "t", frameIndex: 1, region: region, dependencies: ["a"])],
                                now: at(0))
            try store.close()
            let reopened = try SQLiteJobStore(stateDirectory: directory)
            XCTAssertEqual(try reopened.task("b")?.dependencies, ["a"])
            try reopened.close()
            // A NULL that really is there is still reported: through a table that allows one.
            let queue = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteJobStore.fileName).path)
            try queue.inDatabase { db in
                try db.execute(sql: "CREATE TABLE probe (x TEXT)")
                try db.execute(sql: "INSERT INTO probe VALUES (NULL)")
                XCTAssertFalse(try SQLiteJobStore.isFalseNullReport("NULL value in probe.x", db: db))
                XCTAssertTrue(try SQLiteJobStore.isFalseNullReport("NULL value in task_dependencies.task_id", db: db))
                XCTAssertFalse(try SQLiteJobStore.isFalseNullReport("row 3 missing from index x", db: db))
            }
            try queue.close()
        }
    }

    func testTemporaryFilesOfInterruptedWritesAreSwept() throws {
        try withTemporaryDirectory { directory in
            let folder = directory.path
            let names = [".frame.0001.png.tmp-Ab12Cd", ".frame.0002.png.tmp-Zz99Yy", "frame.0003.png", ".hidden", "x.tmp-abcdef"]
            for name in names { FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8)) }
            let old = Date().addingTimeInterval(-3600)
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder + "/" + names[0])
            // Young temporary files may belong to a live writer: left alone when an age is asked for.
            XCTAssertEqual(TemporaryFileSweep.sweep([folder], minimumAge: 900), [folder + "/" + names[0]])
            XCTAssertEqual(TemporaryFileSweep.sweep([folder, folder + "/missing"], minimumAge: 0), [folder + "/" + names[1]])
            XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder)), ["frame.0003.png", ".hidden", "x.tmp-abcdef"])
        }
    }
}
