import Engine
@testable import JobModel
import XCTest
@testable import Coordinator

final class JobPlannerTests: XCTestCase {
    private func job(frames: String = "1001-1003,1010", kind: JobKind = .stylize) throws -> ResolvedJob {
        try JobSpec(name: "shot", kind: kind, content: "plates/sh.####.png", frames: frames, styles: ["s.jpg"],
                    outputDir: "/renders/shot", output: "st_%03d.png", size: 640).resolve(baseDirectory: "/proj")
    }

    private let key = StyleTargetKey(styleImages: [Array("s".utf8)], parameters: StyleTransferParameters())

    func testFramesTasksAndOutputs() throws {
        let plan = try JobPlanner().plan(try job(), jobID: "j7", frameSize: PixelSize(width: 640, height: 360), styleTargetKey: key)
        XCTAssertEqual(plan.frames.map(\.frame), [1001, 1002, 1003, 1010])
        XCTAssertEqual(plan.frames.map(\.index), [0, 1, 2, 3])
        XCTAssertEqual(plan.frames[0].contentPath, "/proj/plates/sh.1001.png")
        XCTAssertEqual(plan.frames[3].outputPath, "/renders/shot/st_1010.png")
        XCTAssertEqual(plan.tasks.count, 4)
        XCTAssertEqual(plan.tasks[1].id, "j7-f1002-r0_0_640x360")
        XCTAssertEqual(plan.tasks[1].frameIndex, 1)
        XCTAssertEqual(plan.tasks[1].frame, 1002)
        XCTAssertEqual(plan.tasks[1].region, TaskRegion(x: 0, y: 0, width: 640, height: 360))
        XCTAssertTrue(plan.tasks.allSatisfy { $0.styleTargetKey == self.key })
        XCTAssertEqual(Set(plan.tasks.map(\.id)).count, 4, "task IDs are unique")
    }

    func testPlansAreDeterministic() throws {
        let a = try JobPlanner().plan(try job(), jobID: "j7", frameSize: PixelSize(width: 640, height: 360), styleTargetKey: key)
        let b = try JobPlanner().plan(try job(), jobID: "j7", frameSize: PixelSize(width: 640, height: 360), styleTargetKey: key)
        XCTAssertEqual(a, b)
        let other = try JobPlanner().plan(try job(), jobID: "j8", frameSize: PixelSize(width: 640, height: 360), styleTargetKey: key)
        XCTAssertNotEqual(a.tasks[0].id, other.tasks[0].id)
    }

    func testOutputFrameSizeFollowsEngine() throws {
        XCTAssertEqual(try job().outputFrameSize(contentWidth: 1920, contentHeight: 1080), PixelSize(width: 640, height: 360))
        XCTAssertEqual(try job().outputFrameSize(contentWidth: 1080, contentHeight: 1920), PixelSize(width: 360, height: 640))
    }

    func testPlanningErrors() throws {
        let j = try job()
        XCTAssertThrowsError(try JobPlanner().plan(j, jobID: "j", frameSize: PixelSize(width: 10, height: 10), styleTargetKey: nil)) {
            XCTAssertEqual($0 as? JobPlanError, .missingStyleTargetKey(job: "shot"))
        }
        XCTAssertThrowsError(try JobPlanner().plan(j, jobID: "j", frameSize: PixelSize(width: 0, height: 10), styleTargetKey: key)) {
            XCTAssertEqual($0 as? JobPlanError, .invalidFrameSize(PixelSize(width: 0, height: 10)))
        }
        XCTAssertThrowsError(try JobPlanner().plan(j, jobID: "", frameSize: PixelSize(width: 1, height: 1), styleTargetKey: key)) {
            XCTAssertEqual($0 as? JobPlanError, .emptyJobID)
        }
    }

    func testEchoJobsPlanWithoutKey() throws {
        let echo = try JobSpec(name: "ping", kind: .echo, frames: "1-3").resolve(baseDirectory: "/")
        let plan = try JobPlanner().plan(echo, jobID: "e1", frameSize: PixelSize(width: 1, height: 1), styleTargetKey: key)
        XCTAssertEqual(plan.tasks.map(\.id), ["e1-f1-r0_0_1x1", "e1-f2-r0_0_1x1", "e1-f3-r0_0_1x1"])
        XCTAssertNil(plan.styleTargetKey)
        XCTAssertNil(plan.frames[0].contentPath)
    }

    func testQueueOrderIsPriorityThenFIFO() {
        let jobs: [(String, Int, Int64)] = [("low-old", 10, 1), ("high-new", 90, 5), ("mid-a", 50, 2), ("high-old", 90, 3), ("mid-b", 50, 4)]
        let ordered = JobQueueOrder.sorted(jobs) { JobQueueOrder(priority: $0.1, sequence: $0.2) }.map(\.0)
        XCTAssertEqual(ordered, ["high-old", "high-new", "mid-a", "mid-b", "low-old"])
        XCTAssertTrue(JobQueueOrder(priority: 60, sequence: 9) < JobQueueOrder(priority: 50, sequence: 1))
        XCTAssertTrue(JobQueueOrder(priority: 50, sequence: 1) < JobQueueOrder(priority: 50, sequence: 2))
        XCTAssertFalse(JobQueueOrder(priority: 50, sequence: 2) < JobQueueOrder(priority: 50, sequence: 2))
    }
}
