import Engine
import Foundation
@testable import JobModel
import XCTest
@testable import Coordinator

/// Issue 19: the warp error the coordinator measures per frame of a temporal job, with the job's own flow.
final class WarpErrorMeterTests: XCTestCase {
    private let key = StyleTargetKey(styleImages: [Array("s".utf8)], parameters: StyleTransferParameters())

    private func plan(_ strategy: String, cuts: [Int] = []) throws -> JobPlan {
        let job = try JobSpec(name: "shot", content: "plates/sh.####.png", frames: "1-4", styles: ["s.jpg"],
                              outputDir: "/renders/shot", size: 64, iterations: 20, temporal: strategy,
                              detectCuts: false).resolve(baseDirectory: "/proj")
        return try JobPlanner().plan(job, jobID: "j", frameSize: PixelSize(width: 64, height: 48), styleTargetKey: key, cuts: cuts)
    }

    func testPairsAreTheFlowsAroundAFrameInsideItsShot() throws {
        let sequential = try plan("sequential")
        XCTAssertEqual(WarpErrorMeter.pairs(around: 0, jobID: "j", plan: sequential, plate: PlateSettings()).map { [$0.first, $0.second] }, [[0, 1]])
        XCTAssertEqual(WarpErrorMeter.pairs(around: 2, jobID: "j", plan: sequential, plate: PlateSettings()).map { [$0.first, $0.second] }, [[1, 2], [2, 3]])
        XCTAssertEqual(WarpErrorMeter.pairs(around: 2, jobID: "j", plan: sequential, plate: PlateSettings()).first?.flowTaskID, "j-flow-f2-f3")
        let cut = try plan("sequential", cuts: [3])  // frame 3 (index 2) starts a shot
        XCTAssertEqual(WarpErrorMeter.pairs(around: 2, jobID: "j", plan: cut, plate: PlateSettings()).map { [$0.first, $0.second] }, [[2, 3]],
                       "no pair across a cut: it has no flow")
        XCTAssertEqual(WarpErrorMeter.pairs(around: 1, jobID: "j", plan: try plan("independent"), plate: PlateSettings()), [], "no flow, no warp error")
    }

    func testAPairIsMeasuredOnceBothFramesAreDoneWithTheJobsFlow() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteJobStore.inMemory()
            let intermediates = directory.appendingPathComponent("intermediates")
            try FileManager.default.createDirectory(at: intermediates, withIntermediateDirectories: true)
            // Two frames of a smooth texture: the second is the first moved 2 px right.
            let (w, h) = (96, 72)
            func frame(_ shift: Int) -> Image {
                var pixels = [Float](repeating: 0, count: w * h * 3)
                for y in 0..<h { for x in 0..<w { for c in 0..<3 {
                    let u = Float(x - shift), v = Float(y)
                    pixels[(y * w + x) * 3 + c] = 0.5 + 0.2 * sin(u / 5 + Float(c)) * cos(v / 7) + 0.15 * sin((u + v) / 11)
                } } }
                return Image(width: w, height: h, channels: 3, pixels: pixels)
            }
            let paths = [0, 1].map { directory.appendingPathComponent("out.\($0).png").path }
            try ImageWriter.writePNG(frame(0), to: paths[0])
            try ImageWriter.writePNG(frame(2), to: paths[1])
            let flow = try FlowPair.dis(first: frame(0), second: frame(2), preset: .medium)
            let flowSHA = String(repeating: "f", count: 64)
            try Data(flow.serialized()).write(to: intermediates.appendingPathComponent(flowSHA))
            let region = TaskRegion(x: 0, y: 0, width: w, height: h)
            try store.insertJob(JobRecord(id: "j", name: "j", spec: Data("{}".utf8), priority: 50, styleTargetsHash: "h"),
                                frames: paths.enumerated().map { FrameRecord(jobID: "j", index: $0.offset, outputPath: $0.element) },
                                tasks: [TaskRecord(id: "j-flow-f1-f2", jobID: "j", frameIndex: 0, region: region, producesOutput: false),
                                        TaskRecord(id: "j-f1", jobID: "j", frameIndex: 0, region: region),
                                        TaskRecord(id: "j-f2", jobID: "j", frameIndex: 1, region: region)], now: at(0))
            let pair = WarpErrorMeter.Pair(jobID: "j", first: 0, second: 1, flowTaskID: "j-flow-f1-f2", plate: PlateSettings())
            func measure() -> WarpErrorMeter.Outcome { WarpErrorMeter.measure(pair, store: store, intermediates: intermediates) }
            guard case .skipped = measure() else { return XCTFail("nothing is done yet") }

            let claims = try store.claimTasks(for: "w", max: 3, now: at(1))
            func complete(_ id: String, _ sha: Character) throws {
                let claim = try XCTUnwrap(claims.first { $0.task.id == id })
                _ = try store.apply([.completed(taskID: id, attempt: claim.attempt, resultSHA256: String(repeating: sha, count: 64))], now: at(2))
            }
            try complete("j-flow-f1-f2", "f")
            try complete("j-f1", "1")
            guard case .skipped = measure() else { return XCTFail("the second frame is not done") }
            try complete("j-f2", "2")

            guard case .measured(let m) = measure() else { return XCTFail("both frames are done: \(measure())") }
            let expected = try TemporalConsistency.warpError(current: try ImageReader.read(path: paths[1]),
                                                             previous: try ImageReader.read(path: paths[0]),
                                                             flow: flow.backward, certainty: try flow.certaintyOfSecond().weights)
            XCTAssertEqual(m.warpError, expected.warpError, accuracy: 1e-12)
            XCTAssertEqual(m.certain, expected.certainFraction, accuracy: 1e-12)
            XCTAssertGreaterThan(m.certain, 0.5, "the flow is certain over most of the frame")
            let unwarped = try TemporalConsistency.warpError(current: try ImageReader.read(path: paths[1]),
                                                             previous: try ImageReader.read(path: paths[0]),
                                                             flow: FlowField(width: w, height: h, constant: 0, 0),
                                                             certainty: [Float](repeating: 1, count: w * h))
            XCTAssertLessThan(m.warpError, unwarped.warpError / 4, "the motion is followed, not ignored")

            _ = try store.apply([.frameWarpError(jobID: "j", frameIndex: 1, warpError: m.warpError, certain: m.certain)], now: at(4))
            guard case .skipped = measure() else { return XCTFail("measured once") }
            try store.write { db in try db.execute(sql: "UPDATE frames SET warp_error = NULL") }
            try FileManager.default.removeItem(atPath: paths[0])
            guard case .failed(_, let error) = measure() else { return XCTFail("an unreadable output is a failure, named") }
            XCTAssertTrue(error.contains("out.0.png"), error)
            try FileManager.default.removeItem(at: intermediates.appendingPathComponent(flowSHA))
            guard case .skipped = measure() else { return XCTFail("the job's flows are gone (it finished): nothing to measure with") }
        }
    }
}
