import Foundation
import GRDB
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
