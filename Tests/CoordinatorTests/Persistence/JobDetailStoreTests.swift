import Foundation
import JobModel
import XCTest
@testable import Coordinator

/// Issue 19: what a job's detail shows of its renders — the worker's stats kept with each attempt, summed per frame,
/// and the warp error kept with the frame.
final class JobDetailStoreTests: XCTestCase {
    func testAttemptStatsAreKeptAndSummedPerFrame() throws {
        try forEachStore { store, label in
            // Frame 0: two tiles, both output renders; frame 1: one task that fails once, then succeeds; frame 2 runs.
            let region = TaskRegion(x: 0, y: 0, width: 8, height: 8)
            _ = try store.insertJob(JobRecord(id: "a", name: "a", spec: Data("{}".utf8), priority: 50, styleTargetsHash: "h"),
                                    frames: (0..<3).map { FrameRecord(jobID: "a", index: $0, outputPath: "/out/a/\($0).png") },
                                    tasks: [TaskRecord(id: "a-f0-t0", jobID: "a", frameIndex: 0, region: region),
                                            TaskRecord(id: "a-f0-t1", jobID: "a", frameIndex: 0, region: region),
                                            TaskRecord(id: "a-f1", jobID: "a", frameIndex: 1, region: region),
                                            TaskRecord(id: "a-f2", jobID: "a", frameIndex: 2, region: region)], now: at(0))
            let claims = Dictionary(uniqueKeysWithValues: try store.claimTasks(for: "w", max: 4, now: at(10)).map { ($0.task.id, $0.attempt) })
            XCTAssertEqual(claims.count, 4, label)
            func stats(_ wall: Double, _ loss: Double) -> AttemptStats {
                AttemptStats(wallSeconds: wall, evaluations: 40, peakRSSBytes: 1 << 30, lossTotal: loss, lossContent: loss / 4,
                             lossStyle: loss / 2, lossTV: loss / 4)
            }
            _ = try store.apply([
                .started(taskID: "a-f0-t0", attempt: 1), .attemptStats(taskID: "a-f0-t0", attempt: 1, stats: stats(3, 100)),
                .completed(taskID: "a-f0-t0", attempt: 1, resultSHA256: String(repeating: "a", count: 64)),
                .started(taskID: "a-f0-t1", attempt: 1), .attemptStats(taskID: "a-f0-t1", attempt: 1, stats: stats(5, 60)),
                .completed(taskID: "a-f0-t1", attempt: 1, resultSHA256: String(repeating: "b", count: 64)),
                .started(taskID: "a-f1", attempt: 1),
                .failed(taskID: "a-f1", attempt: 1, error: "engine threw", retryable: true),
                .started(taskID: "a-f2", attempt: 1),
            ], now: at(20))
            let retry = try XCTUnwrap(try store.claimTasks(for: "v", max: 1, now: at(30)).first, label)
            _ = try store.apply([.started(taskID: "a-f1", attempt: retry.attempt),
                                 .attemptStats(taskID: "a-f1", attempt: retry.attempt, stats: stats(7, 10)),
                                 .completed(taskID: "a-f1", attempt: retry.attempt, resultSHA256: String(repeating: "c", count: 64)),
                                 .frameWarpError(jobID: "a", frameIndex: 1, warpError: 0.0125, certain: 0.8)], now: at(40))

            let frames = try store.frameRenderStats(ofJob: "a")
            let f0 = try XCTUnwrap(frames[0], label)
            XCTAssertEqual(f0.renderSeconds, 8, label)
            XCTAssertEqual(f0.evaluations, 80, label)
            XCTAssertEqual(f0.losses?.lossTotal, 160, "a tiled frame's loss is its tiles' sum: \(label)")
            XCTAssertEqual(f0.startedAt, at(10), label)
            XCTAssertEqual(f0.endedAt, at(20), label)
            let f1 = try XCTUnwrap(frames[1], label)
            XCTAssertEqual(f1.renderSeconds, 7, "only attempts that returned a result count: \(label)")
            XCTAssertEqual(f1.losses?.lossStyle, 5, label)
            XCTAssertEqual(f1.startedAt, at(10), "from the first attempt: \(label)")
            XCTAssertEqual(f1.endedAt, at(40), label)
            let f2 = try XCTUnwrap(frames[2], label)
            XCTAssertNil(f2.endedAt, "a frame with an attempt out has no end yet: \(label)")
            XCTAssertNil(f2.losses, label)
            XCTAssertEqual(try store.frameRenderStats(ofJob: "a", indices: [1]).keys.sorted(), [1], label)

            let warped = try store.frames(ofJob: "a", indices: [0, 1])
            XCTAssertEqual(warped.map(\.warpError), [nil, 0.0125], label)
            XCTAssertEqual(warped.map(\.warpCertain), [nil, 0.8], label)

            let detail = try store.tasksWithAttempts(ofJob: "a", frameIndex: 1)
            XCTAssertEqual(detail.map(\.task.id), ["a-f1"], label)
            let attempts = try XCTUnwrap(detail.first?.attempts, label)
            XCTAssertEqual(attempts.map(\.outcome), [.failed, .succeeded], label)
            XCTAssertEqual(attempts.map(\.workerID), ["w", "v"], label)
            XCTAssertNil(attempts[0].stats, label)
            XCTAssertEqual(attempts[1].stats, stats(7, 10), label)
            XCTAssertEqual(attempts[0].errorMessage, "engine threw", label)
        }
    }

    /// A frame rendered again has a new warp error against its predecessor, and its successor against it: a requeue
    /// forgets both, and nothing else.
    func testRequeuingAFrameForgetsItsWarpErrorAndItsSuccessors() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<4)
            for claim in try store.claimTasks(for: "w", max: 4, now: at(1)) {
                _ = try store.apply([.completed(taskID: claim.task.id, attempt: claim.attempt, resultSHA256: String(repeating: "a", count: 64))], now: at(2))
            }
            _ = try store.apply((1..<4).map { .frameWarpError(jobID: "a", frameIndex: $0, warpError: Double($0) / 100, certain: 0.9) }, now: at(3))
            _ = try store.requeueFrames(ofJob: "a", frames: [1], failed: false, now: at(4))
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.warpError), [nil, nil, nil, 0.03], label)
        }
    }
}
