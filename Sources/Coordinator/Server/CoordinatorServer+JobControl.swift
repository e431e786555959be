import Foundation
import Protocol

/// A wrangler's changes to a job (`JobControl`: pause, resume, priority, requeue), by its submitter or an admin.
/// The store decides and records each (`SQLiteJobStore+Control.swift`); the loop tells workers to drop the tasks
/// a `pause --now` calls back.
extension CoordinatorServer {
    func handleJobControl(_ request: Stylefarm_V1_JobControl, as identity: ClientIdentity) -> Stylefarm_V1_JobControlReply {
        var reply = Stylefarm_V1_JobControlReply()
        do {
            if case .failure(let refusal) = try readModel.accessibleJob(request.jobID, by: identity) {
                reply.error = refusal.error
                return reply
            }
            let jobID = request.jobID, now = now()
            switch request.action {
            case .pause(let pause)?:
                let who = identity.name.isEmpty ? "a client" : identity.name
                let paused = try store.pauseJob(jobID, reason: "paused by \(who)", now: now)
                if pause.now { reply.tasksAffected = UInt32(clamping: recallTasks(ofJob: jobID, reason: "job paused by \(who)")) }
                log("job \(jobID) \(paused ? "paused" : "was paused already") by \(who)\(pause.now ? "; \(reply.tasksAffected) running task(s) called back" : "")")
            case .resume?:
                if try store.resumeJob(jobID, now: now) { log("job \(jobID) resumed") }
            case .setPriority(let change)?:
                guard change.priority <= 100 else {
                    reply.error = Self.clientError(.invalidArgument, "priority \(change.priority) is outside 0…100")
                    return reply
                }
                try store.setPriority(ofJob: jobID, to: Int(change.priority), now: now)
                log("job \(jobID) priority set to \(change.priority)")
            case .requeue(let requeue)?:
                let frameNumbers = try jobContext(jobID).resolved.frames.frames
                var indices: [Int] = []
                var unknown: [Int64] = []
                let indexOf = Dictionary(uniqueKeysWithValues: frameNumbers.enumerated().map { (Int64($0.element), $0.offset) })
                for number in requeue.frames {
                    if let index = indexOf[number] { indices.append(index) } else { unknown.append(number) }
                }
                guard unknown.isEmpty else {
                    reply.error = Self.clientError(.invalidArgument,
                        "job \(jobID) has no frame \(unknown.prefix(5).map(String.init).joined(separator: ", "))\(unknown.count > 5 ? " (and \(unknown.count - 5) more)" : "") (its frames are \(frameNumbers.first.map(String.init) ?? "")…\(frameNumbers.last.map(String.init) ?? ""))")
                    return reply
                }
                guard !indices.isEmpty || requeue.failed else {
                    reply.error = Self.clientError(.invalidArgument, "name the frames to render again, or ask for the failed ones")
                    return reply
                }
                let report = try store.requeueFrames(ofJob: jobID, frames: indices, failed: requeue.failed, now: now)
                reply.tasksAffected = UInt32(clamping: report.tasks)
                reply.framesRequeued = report.frames.map { Int64(frameNumbers[$0]) }
                reply.framesSkipped = report.skipped.map { Int64(frameNumbers[$0]) }
                for index in report.frames { frameEvents.append((jobID, index)) }
                log("job \(jobID): \(report.frames.count) frame(s) requeued (\(report.tasks) task(s))\(report.skipped.isEmpty ? "" : ", \(report.skipped.count) still rendering left alone")")
            case .unblock(let unblock)?:
                let cleared = try store.unblockWorkers(ofJob: jobID, worker: unblock.workerID.isEmpty ? nil : unblock.workerID, now: now)
                reply.tasksAffected = UInt32(clamping: cleared.count)
                if !cleared.isEmpty { log("job \(jobID): failures of \(cleared.joined(separator: ", ")) forgotten; they may take its tasks again") }
            case nil:
                reply.error = Self.clientError(.invalidArgument, "job control without an action (pause, resume, set priority, requeue, unblock)")
                return reply
            }
            frameEvents.append((jobID, -1))
            reply.job = try readModel.summary(jobID)
        } catch let error as PersistenceError where error.isRefusal {
            reply.error = Self.clientError(.failedPrecondition, "\(error)")
        } catch {
            reply.error = Self.clientError(.internal, "\(error)")
        }
        return reply
    }

    /// Calls back every task of `jobID` a worker holds: the worker is told to drop it, and the attempt ends as
    /// cancelled (not counted); the task waits in the queue. Returns how many.
    func recallTasks(ofJob jobID: String, reason: String) -> Int {
        let held = (try? heldTasks(ofJob: jobID)) ?? []
        for task in held { recall(task, reason: reason) }
        return held.count
    }

    /// The tasks of `jobID` workers hold now: read from the farm's in-flight tasks (a few per worker), not the job's rows.
    func heldTasks(ofJob jobID: String) throws -> [TaskRecord] {
        try store.inFlightTasks().filter { $0.jobID == jobID }
    }
}
