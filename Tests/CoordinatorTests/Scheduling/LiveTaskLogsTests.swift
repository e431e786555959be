import Foundation
import Protocol
import XCTest
@testable import Coordinator

final class LiveTaskLogsTests: XCTestCase {
    func testLinesAccumulateAndTheOldestWholeLinesGoPastTheBound() {
        var logs = LiveTaskLogs(maxBytes: 64)
        logs.append(taskID: "t", attempt: 1, workerID: "w", text: "first line\nsecond line", linesLeftOut: 0)
        XCTAssertEqual(logs.log(of: "t", attempt: 1)?.text, Array("first line\nsecond line\n".utf8))
        XCTAssertEqual(logs.log(of: "t", attempt: 1)?.received, 23)
        XCTAssertNil(logs.log(of: "t", attempt: 2))
        logs.append(taskID: "t", attempt: 1, workerID: "w", text: String(repeating: "x", count: 40) + "\nlast", linesLeftOut: 2)
        let entry = try! XCTUnwrap(logs.log(of: "t", attempt: 1))
        let text = String(decoding: entry.text, as: UTF8.self)
        XCTAssertLessThanOrEqual(entry.text.count, 64)
        XCTAssertEqual(text, String(repeating: "x", count: 40) + "\nlast\n", "whole lines dropped from the front, the marker with them")
        XCTAssertEqual(entry.received, 23 + UInt64("… 2 line(s) left out …\n".utf8.count) + 46)
    }

    func testANewAttemptReplacesTheOldAndEndingDropsIt() {
        var logs = LiveTaskLogs()
        logs.append(taskID: "t", attempt: 1, workerID: "w1", text: "one", linesLeftOut: 0)
        logs.append(taskID: "t", attempt: 2, workerID: "w2", text: "two", linesLeftOut: 0)
        XCTAssertNil(logs.log(of: "t", attempt: 1))
        XCTAssertEqual(logs.log(of: "t", attempt: 2)?.text, Array("two\n".utf8))
        logs.append(taskID: "u", attempt: 1, workerID: "w2", text: "three", linesLeftOut: 0)
        logs.append(taskID: "v", attempt: 1, workerID: "w3", text: "four", linesLeftOut: 0)
        logs.endAll(of: "w2")
        XCTAssertEqual(Set(logs.entries.keys), ["v"])
        logs.end("v")
        XCTAssertTrue(logs.entries.isEmpty)
    }
}

/// `stylefarm logs --follow`: what is printed from successive replies.
final class LogFollowerTests: XCTestCase {
    private func attempt(_ outcome: String, log: String, end: UInt64 = 0, error: String = "") -> Stylefarm_V1_AttemptLog {
        var a = Stylefarm_V1_AttemptLog()
        a.taskID = "job-f3"
        a.frame = 1003
        a.attempt = 2
        a.workerID = "w"
        a.outcome = outcome
        a.log = log
        a.logEnd = end
        a.error = error
        a.startedUnixMs = 1_000
        a.endedUnixMs = outcome == "pending" ? 0 : 3_500
        return a
    }

    func testOnlyNewLinesArePrintedAndTheStoredLogEndsTheAttempt() {
        var follower = LogFollower(prefixed: false)
        XCTAssertEqual(follower.take(attempt("pending", log: "a\nb\n", end: 4)), "== frame 1003, task job-f3, attempt 2 on w: running ==\na\nb\n")
        XCTAssertEqual(follower.take(attempt("pending", log: "a\nb\n", end: 4)), "", "nothing new")
        XCTAssertEqual(follower.take(attempt("pending", log: "b\nc\n", end: 6)), "c\n", "the window moved: only c is new")
        XCTAssertEqual(follower.take(attempt("pending", log: "z\n", end: 20)), "… 12 bytes not shown …\nz\n")
        XCTAssertEqual(follower.take(attempt("failed", log: String(repeating: "-", count: 19) + "\nfailed: NaN", error: "NaN")),
                       "failed: NaN\nerror: NaN\n== attempt 2 ended: failed after 2.5 s ==\n")
        XCTAssertEqual(follower.take(attempt("failed", log: "whatever")), "", "an ended attempt prints once")
    }

    func testAJobWidePrefixesLinesAndNamesEndedAttempts() {
        var follower = LogFollower(prefixed: true)
        var reply = Stylefarm_V1_TaskLogReply()
        reply.attempts = [attempt("pending", log: "x\ny\n", end: 4)]
        XCTAssertEqual(follower.take(reply), "[frame 1003 #2] x\n[frame 1003 #2] y\n")
        XCTAssertTrue(follower.ended(since: reply).isEmpty)
        let none = Stylefarm_V1_TaskLogReply()
        XCTAssertEqual(follower.ended(since: none).map(\.frame), [1003])
        XCTAssertEqual(follower.take(attempt("succeeded", log: "x\ny\nz")), "[frame 1003 #2] z\n[frame 1003 #2] == succeeded after 2.5 s ==\n")
        XCTAssertTrue(follower.ended(since: none).isEmpty)
    }
}
