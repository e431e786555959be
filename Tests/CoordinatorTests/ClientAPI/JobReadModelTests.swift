import Foundation
@testable import JobModel
import Protocol
import XCTest
@testable import Coordinator

/// The client API's read side (`JobReadModel`): answers kept per job version are given again only while the job
/// is unchanged, a write to another job leaves them, every kept answer still gets the access check.
final class JobReadModelTests: XCTestCase {
    private func owned(_ store: SQLiteJobStore, id: String, owner: String, priority: Int = 50) throws {
        var job = JobRecord(id: id, name: id, spec: Data("{}".utf8), priority: priority, styleTargetsHash: "h-\(id)")
        job.owner = owner
        let frames = (0..<3).map { FrameRecord(jobID: id, index: $0, outputPath: "/out/\(id)/\($0).png") }
        let tasks = (0..<3).map { TaskRecord(id: "\(id)-f\($0)", jobID: id, frameIndex: $0, region: TaskRegion(x: 0, y: 0, width: 8, height: 8),
                                            maxAttempts: 3, maxLost: 3) }
        try store.insertJob(job, frames: frames, tasks: tasks, now: at(0))
    }

    func testAKeptAnswerHoldsUntilItsJobChangesAndOnlyThen() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteJobStore(stateDirectory: directory)
            defer { try? store.close() }
            try owned(store, id: "a", owner: "alice")
            try owned(store, id: "b", owner: "bob", priority: 90)
            let model = JobReadModel(store: store)
            let alice = ClientIdentity(role: .submitter, name: "alice")
            var request = Stylefarm_V1_JobStatusRequest()
            request.jobID = "a"
            request.includeFrames = true

            let first = model.jobStatus(request, as: alice)
            XCTAssertFalse(first.hasError, "\(first.error)")
            XCTAssertEqual(first.frames.map(\.state), [.pending, .pending, .pending])
            let versionA = model.version(ofJob: "a")

            // Job b (first in the queue) is claimed and finishes a frame: a's version and kept answer stay.
            let claimed = try store.claimTasks(for: "w1", max: 1, now: at(1))
            XCTAssertEqual(claimed.map(\.task.id), ["b-f0"])
            _ = try store.apply([.started(taskID: "b-f0", attempt: 1),
                                 .completed(taskID: "b-f0", attempt: 1, resultSHA256: String(repeating: "cd", count: 32))], now: at(2))
            XCTAssertEqual(model.version(ofJob: "a"), versionA, "writes to b's tasks leave a's version")
            XCTAssertEqual(model.jobStatus(request, as: alice), first)

            // a's tasks are taken: its version moves and its answer follows.
            let more = try store.claimTasks(for: "w1", max: 3, now: at(3))
            XCTAssertEqual(more.map(\.task.id), ["b-f1", "b-f2", "a-f0"])
            XCTAssertNotEqual(model.version(ofJob: "a"), versionA)
            _ = try store.apply([.started(taskID: "a-f0", attempt: 1)], now: at(4))
            let running = model.jobStatus(request, as: alice)
            XCTAssertEqual(running.frames.first?.state, .running, "a's change is in a's next answer")
            _ = try store.apply([.completed(taskID: "a-f0", attempt: 1, resultSHA256: String(repeating: "ab", count: 32))], now: at(5))
            let done = model.jobStatus(request, as: alice)
            XCTAssertEqual(done.frames.first?.state, .done)
            XCTAssertEqual(done.frames.first?.workerID, "w1", "the last attempt's worker, from one query for the job")
            XCTAssertEqual(done.frames.first?.outputPath, "/out/a/0.png")

            // An unchanged job: the same answer, and the access check still applies to it.
            XCTAssertEqual(model.jobStatus(request, as: alice), done)
            let bob = model.jobStatus(request, as: ClientIdentity(role: .submitter, name: "bob"))
            XCTAssertEqual(bob.error.code, .permissionDenied)
            XCTAssertEqual(model.jobStatus(request, as: ClientIdentity(role: .viewer, name: "wall")), done, "a viewer reads every job")

            // A write that names no job (a pause) moves every job's version.
            let beforePause = model.version(ofJob: "b")
            _ = try store.pauseJob("a", reason: "paused by alice", now: at(6))
            XCTAssertNotEqual(model.version(ofJob: "b"), beforePause)
            XCTAssertEqual(model.jobStatus(request, as: alice).job.state, .paused)

            // The list follows every write.
            let list = model.listJobs(Stylefarm_V1_ListJobs(), as: ClientIdentity(role: .admin, name: "root"))
            guard case .listJobs(let jobs) = list else { return XCTFail("\(list)") }
            XCTAssertEqual(Set(jobs.jobs.map(\.jobID)), ["a", "b"])
            guard case .listJobs(let alices) = model.listJobs(Stylefarm_V1_ListJobs(), as: alice) else { return XCTFail() }
            XCTAssertEqual(alices.jobs.map(\.jobID), ["a"], "a submitter lists its own jobs only, cached or not")
        }
    }

    /// A job's detail names its style images (then each region's), read once from its stored spec; a submitter may
    /// not read another's.
    func testAJobsDetailNamesItsStyleImages() throws {
        let store = try SQLiteJobStore.inMemory()
        let spec = JobSpec(name: "shot", content: "/plates/sh.####.png", frames: "1-2", styles: ["/styles/a.jpg", "/styles/b.png"],
                           outputDir: "/renders/shot", segment: "matte:/mattes/m.####.png", regions: ["foreground=/styles/c.jpg", "background=none"])
        var job = JobRecord(id: "j", name: "shot", spec: try JSONEncoder().encode(StoredJob(spec: spec, frameWidth: 8, frameHeight: 8)),
                            priority: 50, styleTargetsHash: "h")
        job.owner = "alice"
        try store.insertJob(job, frames: (0..<2).map { FrameRecord(jobID: "j", index: $0, outputPath: "/o/\($0).png") },
                            tasks: (0..<2).map { TaskRecord(id: "j-f\($0)", jobID: "j", frameIndex: $0, region: TaskRegion(x: 0, y: 0, width: 8, height: 8)) },
                            now: at(0))
        let model = JobReadModel(store: store)
        let alice = ClientIdentity(role: .submitter, name: "alice")
        let detail = model.jobStatus(.with { $0.jobID = "j"; $0.includeFrames = true }, as: alice)
        XCTAssertFalse(detail.hasError, "\(detail.error)")
        XCTAssertEqual(detail.styles.map(\.path), ["/styles/a.jpg", "/styles/b.png", "/styles/c.jpg"])
        XCTAssertEqual(detail.styles.map(\.region), ["", "", "foreground"])
        XCTAssertEqual(detail.frames.map(\.frameNumber), [1, 2])
        let one = model.jobStatus(.with { $0.jobID = "j"; $0.includeFrames = true; $0.frameNumbers = [2] }, as: alice)
        XCTAssertEqual(one.styles, [], "a frame's own answer carries no styles")
        guard case .success(let styles) = try model.styles(ofJob: "j", as: alice) else { return XCTFail("alice owns the job") }
        XCTAssertEqual(styles.count, 3)
        guard case .failure(let refusal) = try model.styles(ofJob: "j", as: ClientIdentity(role: .submitter, name: "bob")) else {
            return XCTFail("bob may not read alice's job")
        }
        XCTAssertEqual(refusal.error.code, .permissionDenied)
    }
}
