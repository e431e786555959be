import Foundation
@testable import JobModel
import XCTest
@testable import Coordinator

/// Runs a store test against both stores: a file (`DatabasePool`, WAL) in a temporary folder,
/// and `:memory:` (`DatabaseQueue`). `body` gets the store and a label for assertion messages.
func forEachStore(file: StaticString = #filePath, line: UInt = #line,
                  _ body: (SQLiteJobStore, String) throws -> Void) throws {
    try withTemporaryDirectory { directory in
        let fileStore = try SQLiteJobStore(stateDirectory: directory)
        try body(fileStore, "file store")
        try fileStore.close()
    }
    let memoryStore = try SQLiteJobStore.inMemory()
    try body(memoryStore, "memory store")
}

/// Runs `body` with a fresh temporary folder, removed afterwards.
func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("stylefarm-store-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try body(directory)
}

/// A fixed time plus `seconds`.
func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_700_000_000 + seconds) }

/// Inserts a job `id` with one full-frame task per frame (`id-f<frame>`), or `tilesPerFrame`
/// tiles per frame (`id-f<frame>-t<tile>`).
@discardableResult
func insertJob(_ store: any JobStore, id: String, priority: Int = 50, frames: Range<Int> = 0..<3,
               tilesPerFrame: Int = 1, maxAttempts: Int = 3, maxLost: Int = 3, now: Date = at(0)) throws -> JobRecord {
    let job = JobRecord(id: id, name: "job \(id)", spec: Data("{\"id\":\"\(id)\"}".utf8), priority: priority,
                        styleTargetsHash: "hash-\(id)")
    let frameRecords = frames.map { FrameRecord(jobID: id, index: $0, outputPath: "/out/\(id)/\($0).png") }
    var tasks: [TaskRecord] = []
    for frame in frames {
        for tile in 0..<tilesPerFrame {
            let taskID = tilesPerFrame == 1 ? "\(id)-f\(frame)" : "\(id)-f\(frame)-t\(tile)"
            tasks.append(TaskRecord(id: taskID, jobID: id, frameIndex: frame,
                                    region: TaskRegion(x: tile * 64, y: 0, width: 64, height: 64),
                                    maxAttempts: maxAttempts, maxLost: maxLost))
        }
    }
    return try store.insertJob(job, frames: frameRecords, tasks: tasks, now: now)
}

func assertThrows(_ expected: PersistenceError, _ label: String, file: StaticString = #filePath, line: UInt = #line,
                  _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("\(label): expected \(expected), nothing thrown", file: file, line: line)
    } catch {
        XCTAssertEqual(error as? PersistenceError, expected, label, file: file, line: line)
    }
}

/// A value shared between threads in a test.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout Value) -> Void) { lock.lock(); defer { lock.unlock() }; body(&stored) }
}
