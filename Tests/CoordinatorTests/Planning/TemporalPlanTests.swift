import Engine
import Foundation
@testable import JobModel
import Protocol
import XCTest
@testable import Coordinator

/// The temporal strategies' plans, run through the real job store's dispatch: which tasks become ready
/// together (a "round" is every task the store hands out before any of them completes).
final class TemporalPlanTests: XCTestCase {
    private let key = StyleTargetKey(styleImages: [Array("s".utf8)], parameters: StyleTransferParameters())
    private let size = PixelSize(width: 64, height: 48)

    private func plan(_ strategy: String, frames: String = "1-6", iterations: Int = 100, passes: Int? = nil,
                      chunkFrames: Int? = nil, chunkOverlap: Int? = nil, cuts: [Int] = [], renderSize: Int = 64) throws -> JobPlan {
        let job = try JobSpec(name: "shot", content: "plates/sh.####.png", frames: frames, styles: ["s.jpg"],
                              outputDir: "/renders/shot", size: renderSize, iterations: iterations, temporal: strategy,
                              passes: passes, chunkFrames: chunkFrames, chunkOverlap: chunkOverlap,
                              detectCuts: false).resolve(baseDirectory: "/proj")
        return try JobPlanner().plan(job, jobID: "j", frameSize: size, styleTargetKey: key, cuts: cuts)
    }

    /// Inserts the plan, then repeatedly claims every ready task and completes them all: the rounds of
    /// task ids, in dispatch order. Fails if the job does not complete.
    private func rounds(_ plan: JobPlan, file: StaticString = #filePath, line: UInt = #line) throws -> [[String]] {
        let store = try SQLiteJobStore.inMemory()
        let record = JobRecord(id: plan.jobID, name: "shot", spec: Data("{}".utf8), priority: 50, styleTargetsHash: "k")
        try store.insertJob(record, frames: plan.frames.map { FrameRecord(jobID: plan.jobID, index: $0.index, outputPath: "/o/\($0.index)") },
                            tasks: plan.tasks.map { TaskRecord(id: $0.id, jobID: plan.jobID, frameIndex: $0.frameIndex, region: $0.region,
                                                               dependencies: $0.dependencies, producesOutput: $0.producesOutput) },
                            now: at(0))
        var result: [[String]] = []
        var time = 1.0
        while true {
            let claims = try store.claimTasks(for: "w", max: 1000, now: at(time))
            if claims.isEmpty { break }
            result.append(claims.map(\.task.id))
            for claim in claims {
                try store.complete(claim.task.id, attempt: claim.attempt, resultSHA256: "sha-\(claim.task.id)", now: at(time))
            }
            time += 1
        }
        XCTAssertEqual(try store.job(plan.jobID)?.state, .completed, "every task ran", file: file, line: line)
        let frames = try store.frames(ofJob: plan.jobID)
        XCTAssertTrue(frames.allSatisfy { $0.state == .done }, file: file, line: line)
        // A frame's hash is its output task's result.
        for frame in frames {
            let output = plan.tasks.filter { $0.frameIndex == frame.index && $0.producesOutput }
            XCTAssertEqual(output.count, 1, "one output task per frame", file: file, line: line)
            XCTAssertEqual(frame.resultSHA256, "sha-\(output[0].id)", file: file, line: line)
        }
        return result
    }

    private func kind(_ plan: JobPlan, _ id: String) -> TaskRole { plan.task(id)!.role }
    private func isFlow(_ plan: JobPlan, _ id: String) -> Bool { if case .flow = kind(plan, id) { return true }; return false }

    func testIndependentHasNoFlowsAndRunsAtOnce() throws {
        let p = try plan("independent")
        XCTAssertEqual(p.tasks.count, 6)
        XCTAssertEqual(try rounds(p).count, 1)
    }

    func testSequentialRunsOneFrameAfterAnother() throws {
        let p = try plan("sequential")
        XCTAssertEqual(p.tasks.filter { isFlow(p, $0.id) }.count, 5, "one flow per consecutive pair")
        let stylizeRounds = try rounds(p).map { $0.filter { !isFlow(p, $0) } }.filter { !$0.isEmpty }
        XCTAssertEqual(stylizeRounds.map(\.count), [1, 1, 1, 1, 1, 1])
        XCTAssertEqual(stylizeRounds.map { p.task($0[0])!.frame }, [1, 2, 3, 4, 5, 6])
        let f3 = p.task(JobPlanner.taskID(jobID: "j", frame: 3, region: .full(size)))!
        XCTAssertEqual(f3.neighbours, [TemporalLink(resultTask: JobPlanner.taskID(jobID: "j", frame: 2, region: .full(size)),
                                                    flowTask: "j-flow-f2-f3", neighbourIsFirst: true)])
    }

    /// Issue 24: whole frames first run a lineage — the shot sequentially at 3/4 size with 3/4 of sweep 0's
    /// evaluations — and each frame's sweep 0 starts from its lineage frame; no sweep waits inside itself.
    func testMultipassStartsEveryFrameFromOneLineage() throws {
        let p = try plan("multipass", iterations: 100, passes: 4)
        func id(_ frame: Int, _ step: String) -> String { JobPlanner.stepTaskID(jobID: "j", frame: frame, step: step, region: .full(size)) }
        let lineage = (1...6).map { p.task(id($0, "l"))! }
        XCTAssertEqual(lineage.map(\.size), Array(repeating: 48, count: 6), "3/4 of 64")
        XCTAssertEqual(lineage.map(\.iterations), Array(repeating: 56, count: 6), "3/4 of sweep 0's 75, rounded down")
        XCTAssertTrue(lineage.allSatisfy { !$0.producesOutput })
        XCTAssertEqual(lineage[0].neighbours, [])
        XCTAssertEqual(lineage[2].neighbours, [TemporalLink(resultTask: id(2, "l"), flowTask: "j-flow-f2-f3", neighbourIsFirst: true)])
        for frame in 1...6 {
            let first = p.task(id(frame, "p0"))!
            XCTAssertEqual(first.initialTask, id(frame, "l"))
            XCTAssertEqual(first.neighbours, [])
            XCTAssertEqual(first.iterations, 19)
            XCTAssertNil(first.size, "sweeps render at the job's size")
        }
        // No sweep waits for a task of its own sweep.
        for task in p.tasks {
            guard case .stylize(let sweep) = task.role, task.size == nil else { continue }
            for dependency in task.dependencies {
                if case .stylize(let other)? = p.task(dependency)?.role, p.task(dependency)?.size == nil {
                    XCTAssertEqual(other, sweep - 1, "\(task.id) waits for \(dependency)")
                }
            }
        }
        // The lineage runs frame after frame; each frame's sweeps follow as soon as their inputs are there.
        let r = try rounds(p)
        let lineageRounds = r.map { $0.filter { p.task($0)?.size != nil }.map { p.task($0)!.frame } }.filter { !$0.isEmpty }
        XCTAssertEqual(lineageRounds, [[1], [2], [3], [4], [5], [6]])
        XCTAssertEqual(p.tasks.filter(\.producesOutput).count, 6)
        XCTAssertEqual(p.task(JobPlanner.taskID(jobID: "j", frame: 3, region: .full(size)))!.initialTask, id(3, "p2"))
    }

    /// Below 64 pixels (and for tiles and regions) there is no lineage: sweep 0 stylizes every frame alone.
    func testMultipassNeverWaitsInsideASweep() throws {
        let p = try plan("multipass", iterations: 100, passes: 4, renderSize: 32)
        XCTAssertTrue(p.tasks.allSatisfy { $0.size == nil })
        let r = try rounds(p)
        // Round 1: every flow and every frame's sweep 0; then one round per sweep, each with every frame.
        XCTAssertEqual(r.count, 4)
        for (k, round) in r.enumerated() {
            let sweeps = Set(round.compactMap { id -> Int? in if case .stylize(let sweep) = kind(p, id) { return sweep }; return nil })
            XCTAssertEqual(sweeps, [k], "round \(k) holds exactly sweep \(k)")
            XCTAssertEqual(round.filter { !isFlow(p, $0) }.count, 6, "all frames of sweep \(k) are ready together")
        }
        XCTAssertEqual(r[0].filter { isFlow(p, $0) }.count, 5)
        // Dispatch order inside a sweep is frame order.
        XCTAssertEqual(r[2].map { p.task($0)!.frame }, [1, 2, 3, 4, 5, 6])
        // Sweep 0 takes three quarters of the budget, the consistency sweeps share the rest (the last ones the remainder).
        let budgets = (0..<4).map { k in p.tasks.first { if case .stylize(k) = $0.role { return true }; return false }!.iterations }
        XCTAssertEqual(budgets, [75, 8, 8, 9])
        let middle = p.task(JobPlanner.taskID(jobID: "j", frame: 3, region: .full(size)))!
        XCTAssertEqual(middle.neighbours.map(\.neighbourIsFirst), [true, false])
        XCTAssertEqual(middle.initialTask, "j-f3-p2-r0_0_64x48")
        XCTAssertEqual(p.task(JobPlanner.taskID(jobID: "j", frame: 1, region: .full(size)))!.neighbours.count, 1, "the first frame has one neighbour")
        XCTAssertEqual(p.tasks.filter(\.producesOutput).count, 6)
    }

    func testChunkedRunsChunksInParallelAndBlendsOverlaps() throws {
        // 10 frames in chunks of 4 overlapping by 1: chunks start at positions 0, 3, 6 (frames 1, 4, 7).
        let p = try plan("chunked", frames: "1-10", chunkFrames: 4, chunkOverlap: 1)
        let r = try rounds(p)
        let firstStylize = Set(r[0].filter { !isFlow(p, $0) }.map { p.task($0)!.frame })
        XCTAssertEqual(firstStylize, [1, 4, 7], "every chunk starts at once")
        let blends = p.tasks.filter { $0.role == .blend }
        XCTAssertEqual(blends.map(\.frame), [4, 7])
        XCTAssertEqual(blends[0].blendInputs.map(\.weight), [0.5, 0.5])
        XCTAssertEqual(blends[0].blendInputs.map(\.task), ["j-f4-c0-r0_0_64x48", "j-f4-c1-r0_0_64x48"])
        XCTAssertFalse(p.task("j-f4-c0-r0_0_64x48")!.producesOutput)
        XCTAssertEqual(r.filter { !$0.filter { !isFlow(p, $0) }.isEmpty }.count, 5, "four sequential frames plus the blends")
    }

    func testCutsSplitShots() throws {
        let p = try plan("sequential", frames: "1-6", cuts: [4])
        XCTAssertEqual(p.shotStarts, [0, 3])
        XCTAssertNil(p.task("j-flow-f3-f4"), "no flow across the cut")
        XCTAssertTrue(p.task(JobPlanner.taskID(jobID: "j", frame: 4, region: .full(size)))!.neighbours.isEmpty)
        let stylizeRounds = try rounds(p).map { $0.filter { !isFlow(p, $0) }.map { p.task($0)!.frame } }
        XCTAssertEqual(stylizeRounds.first, [1, 4], "the two shots run in parallel")
    }

    /// The plan follows the frame's budget (issue 24): sweep 0 takes 3/4, consistency sweeps get at least 5
    /// evaluations each, and `passes` is a ceiling.
    func testMultipassBudgetsFollowTheFramesBudget() {
        let t = ResolvedTemporal(strategy: .multipass, passes: 24)
        XCTAssertEqual(t.multipassBudgets(iterations: 60), [45, 5, 5, 5])
        XCTAssertEqual(t.multipassBudgets(iterations: 40), [30, 5, 5])
        XCTAssertEqual(t.multipassBudgets(iterations: 120), [90, 5, 5, 5, 5, 5, 5])
        XCTAssertEqual(t.multipassBudgets(iterations: 500).count, 24, "never more than passes sweeps")
        XCTAssertEqual(t.multipassBudgets(iterations: 500).reduce(0, +), 500)
        XCTAssertEqual(t.multipassBudgets(iterations: 6), [5, 1], "a tiny budget still gets one consistency sweep")
        XCTAssertEqual(t.multipassBudgets(iterations: 1), [1])
        XCTAssertEqual(ResolvedTemporal(strategy: .multipass, passes: 1).multipassBudgets(iterations: 60), [60])
        for n in 2...300 {
            let budgets = t.multipassBudgets(iterations: n)
            XCTAssertEqual(budgets.reduce(0, +), n)
            XCTAssertTrue(budgets.allSatisfy { $0 >= 1 } && budgets.count >= 2 && budgets.count <= 24, "\(n): \(budgets)")
        }
    }

    func testMultipassWeightRampsOverTheSweepsAndSurvivesTheWire() throws {
        var t = ResolvedTemporal(strategy: .multipass, passes: 5)
        t.gammaRamp = 16
        XCTAssertEqual(t.multipassBudgets(iterations: 100).count, 5)
        XCTAssertEqual((0..<5).map { t.sweepWeightFactor(sweep: $0, iterations: 100) }, [1, 5, 9, 13, 17], "a ramp of 16: γ to 17× by the last sweep")
        XCTAssertEqual(ResolvedTemporal(strategy: .multipass).gammaRamp, 16, "the default ramp (issue 24: with the lineage)")
        t.gammaRamp = 0
        XCTAssertEqual(t.sweepWeightFactor(sweep: 4, iterations: 100), 1)
        XCTAssertEqual(ResolvedTemporal(strategy: .sequential).sweepWeightFactor(sweep: 0, iterations: 100), 1)
        for ramp: Float in [0, 2.5] {
            let job = try JobSpec(name: "a", content: "c.####.png", frames: "1-3", styles: ["s.png"], outputDir: "/o",
                                  temporal: "multipass", multipassGammaRamp: ramp).resolve(baseDirectory: "/")
            XCTAssertEqual(job.temporal.gammaRamp, ramp)
            let back = try JobSpec(wire: Stylefarm_V1_JobSpec(job)).resolve(baseDirectory: "/")
            XCTAssertEqual(back.temporal, job.temporal, "ramp \(ramp) travels in TemporalOptions")
        }
        var bad = JobSpec(name: "a", content: "c.####.png", frames: "1-3", styles: ["s.png"], outputDir: "/o")
        bad.multipassGammaRamp = -1
        XCTAssertThrowsError(try bad.resolve(baseDirectory: "/")) { XCTAssertTrue("\($0)".contains("multipass_gamma_ramp"), "\($0)") }
    }

    func testTemporalSettingsAreChecked() throws {
        func problems(_ spec: JobSpec) -> String {
            do { _ = try spec.resolve(baseDirectory: "/"); return "" } catch { return "\(error)" }
        }
        let base = JobSpec(name: "a", content: "c.####.png", frames: "1-3", styles: ["s.png"], outputDir: "/o", iterations: 3)
        var s = base; s.temporal = "multipas"
        XCTAssertTrue(problems(s).contains("did you mean 'multipass'"), problems(s))
        s = base; s.temporal = "multipass"; s.passes = 4
        XCTAssertEqual(problems(s), "", "passes is a ceiling: 3 iterations plan fewer sweeps")
        s = base; s.temporal = "chunked"; s.chunkFrames = 4; s.chunkOverlap = 3
        XCTAssertTrue(problems(s).contains("more than half"), problems(s))
        s = base; s.flowPreset = "slow"
        XCTAssertTrue(problems(s).contains("ultrafast, fast, medium"), problems(s))
        s = base; s.temporal = "sequential"; s.cuts = [3, 2, 3]
        XCTAssertEqual(try s.resolve(baseDirectory: "/").temporal.cuts, [2, 3])
    }
}
