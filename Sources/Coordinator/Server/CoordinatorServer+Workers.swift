import Engine
import FarmWire
import Foundation
import JobModel
import Protocol

/// The worker channel: sending to a worker, its messages (register, heartbeat, ready, progress, result,
/// failure, blobs), liveness (a silent worker declared dead, its tasks requeued without using an attempt)
/// and heartbeats.
extension CoordinatorServer {
    func send(toWorker id: String, _ payload: Stylefarm_V1_CoordinatorMessage.OneOf_Payload, attachments: [Data] = []) {
        guard var session = sessions[id] else { return }
        // A failed send counts as an attempt too: heartbeats stay one per interval while a worker is away
        // (reconnecting after the loop was busy), instead of a send — and a log line — per loop iteration.
        session.lastSent = clock.now()
        if workers.send(Stylefarm_V1_CoordinatorMessage(payload), attachments: attachments, to: session.routingID) {
            session.unreachable = false
        } else {
            stats.drop("unreachable")
            if !session.unreachable { log("could not send to worker \(id); it is away (further failures are not logged)") }
            session.unreachable = true
        }
        sessions[id] = session
    }

    func handleWorker(_ routed: Routed<Stylefarm_V1_WorkerMessage>) {
        let id = String(decoding: routed.routingID, as: UTF8.self)
        let now = clock.now()
        switch routed.message.payload {
        case .register?, .ready?, .result?, .failure?, .disconnect?: claimsMayFind = true   // credit, or tasks back
        default: break
        }
        if case .register(let register)? = routed.message.payload {
            handleRegister(register, id: id, routingID: routed.routingID, now: now)
            return
        }
        guard knownWorkers.contains(id), sessions[id] != nil else {
            stats.drop("unknownSender"); log("dropped a message from unregistered worker \(id.debugDescription)")
            return
        }
        sessions[id]?.lastReceived = now
        let alive = liveness.heartbeat(id, now: now) == .accepted
        if alive, let persisted = sessions[id]?.lastPersisted, now.timeIntervalSince(persisted) >= Self.lastSeenPersistInterval {
            sessions[id]?.lastPersisted = now
            // On the maintenance thread: a write on the loop would wait while another thread writes (a job's
            // deletion). Out of order is harmless: the store keeps the latest time.
            let store = self.store
            maintenance.start {
                _ = try? store.recordHeartbeat(workerID: id, at: now)
                return .done
            }
        }
        switch routed.message.payload {
        case .ready(let ready)?:
            guard alive else { stats.drop("deadSender"); return }
            liveness.announce(id, freeSlots: Int(clamping: ready.freeSlots))
        case .heartbeat?:
            break
        case .progress(let progress)?:
            noteProgress(progress)
        case .logLines(let lines)?:
            noteLogLines(lines, from: id)
        case .result(let result)?:
            handleResult(result, attachments: routed.attachments, workerID: id)
            // The credit rides on the report (RegisterAck.credit_in_reports), after it as a Ready would come.
            if result.hasFreeSlots, alive { liveness.announce(id, freeSlots: Int(clamping: result.freeSlots)) }
        case .failure(let failure)?:
            handleFailure(failure, workerID: id)
            if failure.hasFreeSlots, alive { liveness.announce(id, freeSlots: Int(clamping: failure.freeSlots)) }
        case .blobRequest(let request)?:
            serveBlobs(request, to: id)
        case .blobData(let data)?:
            receiveOutputChunk(data, attachments: routed.attachments, workerID: id)
        case .disconnect?:
            declareDead(id, reason: "disconnected")
        case .register?, nil:
            break
        }
    }

    func handleFailure(_ failure: Stylefarm_V1_Failure, workerID id: String) {
        // Only the holder of the current attempt can fail it.
        guard case .current(let jobID, _, _) = checkReport(on: failure.taskID, attempt: Int(failure.attempt), from: id) else {
            stats.staleReports += 1
            log("ignored a failure of \(Self.bounded(failure.taskID, bytes: 200).debugDescription) attempt \(failure.attempt) from \(id), which does not hold it")
            return
        }
        endAssignment(failure.taskID, of: id)
        keepLog(failure.log, taskID: failure.taskID, attempt: Int(failure.attempt))
        if failure.kind == .storageFull {
            // The frame rendered; the shared filesystem is full: pause the job, count nothing (as for the
            // coordinator's own writes).
            return outputNotWritten(taskID: failure.taskID, attempt: Int(failure.attempt), jobID: jobID,
                                    failure: "worker \(id): " + Self.bounded(failure.message, bytes: Self.maxErrorBytes))
        }
        // A peer's text, kept in the store and shown to users: bounded.
        pendingChanges.append(.failed(taskID: failure.taskID, attempt: Int(failure.attempt),
                                      error: failure.message.isEmpty ? "\(failure.kind)" : Self.bounded(failure.message, bytes: Self.maxErrorBytes),
                                      retryable: failure.retryable))
    }

    func handleRegister(_ register: Stylefarm_V1_Register, id: String, routingID: Data, now: Date) {
        var ack = Stylefarm_V1_RegisterAck()
        ack.protocolVersion = ProtocolVersion.major
        ack.heartbeatIntervalMs = UInt32(clamping: Int(configuration.intervalSeconds * 1000))
        ack.heartbeatLiveness = UInt32(configuration.heartbeatLiveness)
        ack.creditInReports = acceptsCreditInReports
        ack.coordinatorID = configuration.coordinatorID
        func reject(_ reason: String) {
            ack.accepted = false
            ack.reason = reason
            stats.drop("registerRejected")
            log("rejected registration of \(id.debugDescription): \(reason)")
            workers.send(Stylefarm_V1_CoordinatorMessage(.registerAck(ack)), to: routingID)
        }
        guard register.protocolVersion == ProtocolVersion.major else {
            return reject("protocol version \(register.protocolVersion) is not supported (coordinator speaks \(ProtocolVersion.major))")
        }
        guard register.workerID == id else {
            return reject("worker id \(register.workerID.debugDescription) differs from the routing id \(id.debugDescription)")
        }
        // A peer's numbers and names, bounded before use: slots are how many tasks it may claim at once.
        guard (1...UInt32(clamping: configuration.maxSlotsPerWorker)).contains(register.slots) else {
            return reject("slots \(register.slots) must be 1…\(configuration.maxSlotsPerWorker) (the coordinator's --max-slots-per-worker)")
        }
        guard register.hostname.utf8.count <= Self.maxWorkerTextBytes, register.engineVersion.utf8.count <= Self.maxWorkerTextBytes else {
            return reject("hostname and engine version must be at most \(Self.maxWorkerTextBytes) bytes")
        }
        let registration = liveness.register(id, slots: Int(register.slots), now: now)
        fetches = fetches.filter { $0.value.workerID != id }
        switch registration {
        case .new:
            break
        case .returnedFromDead, .restarted:
            // Whatever the store still thinks it holds is lost: its process restarted while holding it (no attempt
            // used, but charged toward each task's max_lost).
            forgetAssignments(of: id)
            loseTasks(of: id, reason: "worker \(id) restarted while holding it", charged: true, now: now)
        }
        do {
            try store.upsertWorker(WorkerRecord(id: id, hostname: register.hostname, cores: Int(register.cores),
                                                memoryBytes: Int64(clamping: register.memoryBytes),
                                                engineVersion: register.engineVersion, slots: Int(register.slots),
                                                lastSeen: now))
        } catch {
            log("could not record worker \(id): \(error)")
        }
        knownWorkers.insert(id)
        sessions[id] = WorkerSession(routingID: routingID, lastSent: now, lastReceived: now,
                                     memoryBytes: Int(clamping: register.memoryBytes), slots: max(1, Int(register.slots)))
        ack.accepted = true
        send(toWorker: id, .registerAck(ack))
    }

    /// Worker `id` said goodbye (`Disconnect`): its tasks go back to the queue, not charged to them.
    func declareDead(_ id: String, reason: String) {
        let now = clock.now()
        forgetAssignments(of: id)
        loseTasks(of: id, reason: "worker \(id) \(reason)", charged: false, now: now)
        // It holds nothing now; it gets no work until its next Ready.
        liveness.releaseAll(of: id)
        fetches = fetches.filter { $0.value.workerID != id }
    }

    /// Ends the attempts of the tasks worker `id` holds as lost (the store requeues them, or fails a task whose
    /// `max_lost`-th loss this was), and tells watchers about the frames that failed.
    func loseTasks(of id: String, reason: String, charged: Bool, now: Date) {
        claimsMayFind = true
        let report: LossReport
        do { report = try store.requeueTasks(ofWorker: id, reason: reason, charged: charged, now: now) } catch {
            log("could not requeue the tasks of \(id): \(error)")
            return
        }
        stats.requeued += report.requeued.count
        if !report.requeued.isEmpty { log("\(reason); requeued \(report.requeued.count) task(s)") }
        for taskID in report.failed {
            log("task \(taskID) failed: its worker was lost too often while rendering it (\(reason))")
            noteFrameEvent(ofTask: taskID)
        }
        if !report.failed.isEmpty { releaseFinishedIntermediates() }
    }

    func forgetAssignments(of workerID: String) {
        assigned = assigned.filter { $0.value.sent.workerID != workerID }
        deadlines.endAll(of: workerID)
        inputHashes.dropParked(ofWorker: workerID)
        blobGrants.endAll(of: workerID)
        liveLogs.endAll(of: workerID)
    }

    func checkLiveness() {
        let now = clock.now()
        for dead in liveness.tick(now: now) {
            fetches = fetches.filter { $0.value.workerID != dead.id }
            forgetAssignments(of: dead.id)
            let silence = String(format: "%.1f", liveness.configuration.deadline)
            loseTasks(of: dead.id, reason: "worker \(dead.id) went silent (no heartbeat for \(silence) s)", charged: true, now: now)
        }
    }

    /// Attempts past their task timeout: the worker is told to drop the task, and the attempt ends as `timeout`
    /// (counted; the task is retried while attempts remain).
    func checkTimeouts() {
        for expired in deadlines.expired(now: clock.now()) {
            guard let sent = assigned[expired.taskID]?.sent, sent.attempt == expired.attempt, sent.workerID == expired.workerID else {
                continue
            }
            let limit = String(format: "%g", expired.limit)
            stats.timedOut += 1
            log("task \(expired.taskID) attempt \(expired.attempt) ran past its \(limit) s timeout on \(expired.workerID); cancelled")
            withdraw(expired.taskID, jobID: sent.jobID, from: expired.workerID, reason: "task timeout (\(limit) s)")
            pendingChanges.append(.timedOut(taskID: expired.taskID, attempt: expired.attempt,
                                            error: "timed out after \(limit) s on worker \(expired.workerID)"))
        }
    }

    func sendHeartbeats() {
        let now = clock.now()
        // Every loop iteration: one walk of the sessions for the few that are due, not a sorted list of every
        // alive worker (hundreds); the sessions change after the walk.
        var due: [String] = []
        for (id, session) in sessions where now.timeIntervalSince(session.lastSent) >= configuration.intervalSeconds && liveness.isAlive(id) {
            due.append(id)
        }
        for id in due {
            guard let session = sessions[id] else { continue }
            var beat = Stylefarm_V1_Heartbeat()
            beat.sequence = session.heartbeatSequence + 1
            beat.sentUnixMs = Int64(now.timeIntervalSince1970 * 1000)
            sessions[id]?.heartbeatSequence += 1
            send(toWorker: id, .heartbeat(beat))
        }
    }
}
