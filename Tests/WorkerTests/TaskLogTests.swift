import Foundation
import Protocol
import XCTest
@testable import Worker

final class TaskLogTests: XCTestCase {
    /// Over its budget a log keeps its head and its tail and says how much it left out between them.
    func testALongLogKeepsHeadAndTailWithinItsBudget() {
        let log = TaskLog(budget: 4096, now: 0)
        for n in 0..<1000 { log.append("line \(n) " + String(repeating: "x", count: 40), now: UInt64(n) * 1_000_000) }
        let text = log.text
        XCTAssertLessThanOrEqual(text.utf8.count, 4096)
        XCTAssertTrue(text.hasPrefix("+0.00s line 0 "), String(text.prefix(40)))
        XCTAssertTrue(text.contains("+1.00s line 999 "), "the last line is kept")
        let marker = try? XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("… ") })
        XCTAssertNotNil(marker)
        // Every line is either kept or counted in the marker.
        let kept = text.split(separator: "\n").filter { $0.contains(" line ") }.count
        let dropped = Int(marker?.split(separator: " ")[1] ?? "") ?? -1
        XCTAssertEqual(kept + dropped, 1000)
    }

    func testProgressIsLoggedAboutTenTimesAndEveryLineIsStamped() {
        let log = TaskLog(now: 0)
        var last: UInt32 = 0
        for i in 1...200 {
            var p = Stylefarm_V1_Progress()
            p.iteration = UInt32(i)
            p.budget = 200
            p.losses.total = Double(1000 - i)
            log.progress(p, lastLogged: &last)
        }
        let lines = log.text.split(separator: "\n")
        XCTAssertEqual(lines.count, 11, log.text)  // 1, 21, 41, …, 181, 200
        XCTAssertTrue(lines.first?.contains("evaluation 1/200: loss 999") ?? false, log.text)
        XCTAssertTrue(lines.last?.contains("evaluation 200/200") ?? false, log.text)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("+") && $0.contains("s ") })
    }

    /// Lines go out live in batches: each once, and past the bound the oldest unsent ones are counted out.
    func testUnsentLinesAreTakenOnceAndBounded() throws {
        let log = TaskLog(now: 0)
        XCTAssertNil(log.takeUnsent())
        log.append("one", now: 0)
        log.append("two", now: 1_000_000_000)
        let first = try XCTUnwrap(log.takeUnsent())
        XCTAssertEqual(first.text, "+0.00s one\n+1.00s two")
        XCTAssertEqual(first.linesLeftOut, 0)
        XCTAssertNil(log.takeUnsent(), "taken once")
        let line = String(repeating: "y", count: 1000)
        for _ in 0..<100 { log.append(line, now: 0) }
        let second = try XCTUnwrap(log.takeUnsent())
        XCTAssertLessThanOrEqual(second.text.utf8.count, TaskLog.maxUnsentBytes)
        XCTAssertEqual(second.text.split(separator: "\n").count + second.linesLeftOut, 100)
        XCTAssertGreaterThan(second.linesLeftOut, 0)
        XCTAssertTrue(log.text.contains("+1.00s two"), "the whole log is kept apart from what goes out live")
    }

    /// A full output filesystem is its own failure kind: the coordinator pauses the job instead of counting it.
    func testAFullFilesystemIsReportedAsStorageFull() {
        var task = Stylefarm_V1_TaskAssignment()
        task.taskID = "t"
        task.attempt = 3
        let failure = TaskExecutor.failure(for: TaskExecutionError.storageFull("/shots/out/a.png: No space left on device"), task: task)
        XCTAssertEqual(failure.kind, .storageFull)
        XCTAssertTrue(failure.retryable)
        XCTAssertEqual(failure.attempt, 3)
        XCTAssertEqual(TaskExecutor.failure(for: TaskExecutionError.output("bad encoder"), task: task).kind, .io)
    }
}
