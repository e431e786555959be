import Foundation
import Protocol

/// Worker health and the worker list: a worker the store marked unhealthy (``SQLiteJobStore/judgeHealth``)
/// claims no tasks (its running ones finish); `stylefarm workers` lists the farm's workers; `stylefarm unblock
/// --worker W` (an admin) clears the mark and the worker's job blocklists.
extension CoordinatorServer {
    /// Reads the unhealthy marks again after a batch that failed attempts (only then can one appear).
    func refreshWorkerHealth() {
        guard let now = try? store.unhealthyWorkers() else { return }
        for (id, reason) in now.sorted(by: { $0.key < $1.key }) where unhealthyWorkers[id] == nil {
            stats.workersMarkedUnhealthy += 1
            log("worker \(id) is marked unhealthy and gets no more tasks: \(reason) (stylefarm unblock --worker \(id) clears it)")
        }
        unhealthyWorkers = now
    }

    func listWorkers() -> Stylefarm_V1_ListWorkersReply {
        var reply = Stylefarm_V1_ListWorkersReply()
        do {
            let blocked = try store.blockedJobsByWorker()
            reply.workers = try store.listWorkers().map { worker in
                var summary = Stylefarm_V1_WorkerSummary()
                summary.workerID = worker.id
                summary.hostname = worker.hostname
                summary.cores = UInt32(clamping: worker.cores)
                summary.memoryBytes = UInt64(clamping: worker.memoryBytes)
                summary.slots = UInt32(clamping: worker.slots)
                // The store says dead for a worker not yet back after a coordinator restart; liveness knows now.
                summary.state = liveness.isAlive(worker.id) ? WorkerState.alive.rawValue : WorkerState.dead.rawValue
                summary.lastSeenUnixMs = Int64(worker.lastSeen.timeIntervalSince1970 * 1000)
                summary.tasksHeld = UInt32(clamping: liveness.inFlight(of: worker.id).count)
                summary.unhealthyReason = worker.unhealthyReason ?? ""
                summary.blockedJobs = blocked[worker.id] ?? []
                summary.tasks = liveness.inFlight(of: worker.id).sorted().compactMap { taskID in
                    guard let sent = assigned[taskID]?.sent else { return nil }
                    var p = progress(ofTask: taskID, frameIndex: sent.frameIndex, workerID: worker.id, attempt: sent.attempt)
                    p.jobID = sent.jobID
                    return p
                }
                summary.peakRssBytes = workerPeakRSS[worker.id] ?? 0
                return summary
            }
        } catch {
            reply.error = Self.clientError(.internal, "\(error)")
        }
        return reply
    }

    func reinstateWorker(_ request: Stylefarm_V1_ReinstateWorker, as identity: ClientIdentity) -> Stylefarm_V1_ReinstateWorkerReply {
        var reply = Stylefarm_V1_ReinstateWorkerReply()
        guard identity.role == .admin else {
            reply.error = Self.clientError(.permissionDenied, "only an admin key may clear a worker farm-wide (a job's submitter may `unblock JOB`)")
            return reply
        }
        let id = request.workerID
        guard !id.isEmpty, id.utf8.count <= 255 else {
            reply.error = Self.clientError(.invalidArgument, "a worker id is 1 to 255 bytes")
            return reply
        }
        do {
            reply.wasUnhealthy = unhealthyWorkers[id] != nil
            guard try store.reinstateWorker(id) else {
                reply.error = Self.clientError(.notFound, "no worker \(id) ever registered")
                return reply
            }
            unhealthyWorkers[id] = nil
            log("worker \(id) cleared by \(identity.name.isEmpty ? "a client" : identity.name): it takes tasks of every job again")
        } catch {
            reply.error = Self.clientError(.internal, "\(error)")
        }
        return reply
    }
}
