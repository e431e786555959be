import Foundation
import GRDB

/// A wrangler's changes to a job (issue 18): pause, resume, priority, requeue. Dispatch reads only
/// `tasks.job_priority`, so each of these is a few set-based updates of a job's unfinished tasks: a paused
/// job's carry −1 (the claim takes only ≥ 0), the others their job's priority.
extension SQLiteJobStore {
    public func pauseJob(_ jobID: String, reason: String, now: Date) throws -> Bool {
        try write { db in
            let job = try Self.openJob(jobID, db: db)
            guard !job.state.isTerminal else {
                throw PersistenceError.invalidJob("job \(jobID) is \(job.state.rawValue); only an unfinished job can be paused")
            }
            guard job.pausedReason == nil else { return false }
            try db.execute(sql: "UPDATE jobs SET paused_reason = ?, updated_at = ? WHERE id = ?",
                           arguments: [reason, now.timeIntervalSince1970, jobID])
            try Self.setDispatchPriority(-1, ofJob: jobID, db: db)
            return true
        }
    }

    public func resumeJob(_ jobID: String, now: Date) throws -> Bool {
        try write { db in
            let job = try Self.openJob(jobID, db: db)
            guard job.pausedReason != nil else { return false }
            try db.execute(sql: "UPDATE jobs SET paused_reason = NULL, updated_at = ? WHERE id = ?",
                           arguments: [now.timeIntervalSince1970, jobID])
            try Self.setDispatchPriority(job.priority, ofJob: jobID, db: db)
            return true
        }
    }

    public func setPriority(ofJob jobID: String, to priority: Int, now: Date) throws {
        guard JobRecord.priorityRange.contains(priority) else {
            throw PersistenceError.invalidJob("priority \(priority) is outside 0…100")
        }
        try write { db in
            let job = try Self.openJob(jobID, db: db)
            try db.execute(sql: "UPDATE jobs SET priority = ?, updated_at = ? WHERE id = ?",
                           arguments: [priority, now.timeIntervalSince1970, jobID])
            if job.pausedReason == nil { try Self.setDispatchPriority(priority, ofJob: jobID, db: db) }
        }
    }

    public func requeueFrames(ofJob jobID: String, frames: [Int], failed: Bool, now: Date) throws -> RequeueReport {
        try write { db in
            let job = try Self.openJob(jobID, db: db)
            guard job.state != .cancelled else {
                throw PersistenceError.invalidJob("job \(jobID) was cancelled; submit it again to render it")
            }
            var wanted = Set<Int>()
            let known = Set(try Int.fetchAll(db, sql: "SELECT frame_index FROM frames WHERE job_id = ?", arguments: [jobID]))
            for index in frames {
                guard known.contains(index) else { throw PersistenceError.invalidJob("job \(jobID) has no frame at index \(index)") }
                wanted.insert(index)
            }
            if failed {
                wanted.formUnion(try Int.fetchAll(db, sql: "SELECT frame_index FROM frames WHERE job_id = ? AND state = 'failed'",
                                                  arguments: [jobID]))
            }
            let unfinished = Set(try Int.fetchAll(db, sql: """
                SELECT DISTINCT frame_index FROM tasks WHERE job_id = ? AND state IN ('queued', 'assigned', 'running')
                """, arguments: [jobID]))
            var report = RequeueReport(frames: wanted.subtracting(unfinished).sorted(), skipped: wanted.intersection(unfinished).sorted())
            guard !report.frames.isEmpty else { return report }

            // The chosen frames' tasks, and (transitively) the finished intermediate steps they need: results
            // that are not outputs were removed when the job finished.
            let chosen = try Row.fetchAll(db, sql: """
                WITH RECURSIVE chosen(id) AS (
                    SELECT id FROM tasks WHERE job_id = ?1 AND frame_index IN (SELECT value FROM json_each(?2))
                    UNION
                    SELECT p.id FROM chosen JOIN task_dependencies AS d ON d.task_id = chosen.id
                        JOIN tasks AS p ON p.id = d.prerequisite_id
                    WHERE NOT p.produces_output AND p.state IN ('completed', 'failed'))
                SELECT t.id, t.frame_index, t.state FROM tasks AS t JOIN chosen USING (id)
                """, arguments: [jobID, Self.jsonArray(report.frames).json])
            var ids = BatchJSON()
            var completedPerFrame: [Int: Int] = [:]
            var finished = 0, failedTasks = 0
            for row in chosen {
                ids.append(row[0] as String)
                let state: String = row[2]
                if state == "completed" { completedPerFrame[row[1], default: 0] += 1 }
                if state == "completed" || state == "failed" { finished += 1 }
                if state == "failed" { failedTasks += 1 }
            }
            report.tasks = chosen.count
            // A wrangler who requeues has dealt with the cause: the job's blocklist starts afresh.
            try db.execute(sql: "DELETE FROM worker_job_failures WHERE job_id = ?", arguments: [jobID])
            try db.execute(sql: """
                UPDATE tasks SET state = 'queued', attempts_used = 0, attempts_lost = 0, last_error = NULL,
                    result_sha256 = NULL, assigned_worker = NULL, job_priority = ?2
                WHERE id IN (SELECT value FROM json_each(?1))
                """, arguments: [ids.json, job.pausedReason == nil ? job.priority : -1])
            // Prerequisites counted afresh: for the requeued tasks, and for queued tasks that wait on one.
            try db.execute(sql: """
                UPDATE tasks SET waiting = (SELECT COUNT(*) FROM task_dependencies AS d JOIN tasks AS p ON p.id = d.prerequisite_id
                                            WHERE d.task_id = tasks.id AND p.state <> 'completed')
                WHERE state = 'queued' AND (id IN (SELECT value FROM json_each(?1))
                    OR id IN (SELECT d.task_id FROM task_dependencies AS d JOIN json_each(?1) AS j ON d.prerequisite_id = j.value))
                """, arguments: [ids.json])
            let frame = try db.cachedStatement(sql: """
                UPDATE frames SET tasks_completed = tasks_completed - ?3,
                    state = CASE WHEN ?4 THEN 'pending' ELSE state END,
                    result_sha256 = CASE WHEN ?4 THEN NULL ELSE result_sha256 END
                WHERE job_id = ?1 AND frame_index = ?2
                """)
            let chosenFrames = Set(report.frames)
            for index in chosenFrames.union(completedPerFrame.keys) {
                try frame.execute(arguments: [jobID, index, completedPerFrame[index] ?? 0, chosenFrames.contains(index)])
            }
            // A frame rendered again has a new warp error against its predecessor, and so does its successor.
            let warp = try db.cachedStatement(sql: """
                UPDATE frames SET warp_error = NULL, warp_certain = NULL WHERE job_id = ?1 AND frame_index IN (?2, ?2 + 1)
                """)
            for index in chosenFrames { try warp.execute(arguments: [jobID, index]) }
            try db.execute(sql: """
                UPDATE jobs SET tasks_finished = tasks_finished - ?2, tasks_failed = tasks_failed - ?3,
                    state = 'running', updated_at = ?4
                WHERE id = ?1
                """, arguments: [jobID, finished, failedTasks, now.timeIntervalSince1970])
            return report
        }
    }

    public func unblockWorkers(ofJob jobID: String, worker: String?, now: Date) throws -> [String] {
        try write { db in
            _ = try Self.openJob(jobID, db: db)
            let rows = try String.fetchAll(db, sql: """
                DELETE FROM worker_job_failures WHERE job_id = ?1 AND (?2 IS NULL OR worker_id = ?2)
                RETURNING worker_id
                """, arguments: [jobID, worker])
            return rows.sorted()
        }
    }

    /// Deletes a finished job and everything stored about it (frames, tasks, attempts with their logs,
    /// dependencies, blocklist, counts), in transactions of ``deleteChunk`` tasks (then frames), so the loop's own
    /// writes get through between them: each holds the writer for a few milliseconds, not seconds. Throws
    /// `jobNotFound`, or `invalidJob` for an unfinished job (cancel it first). Returns the tasks deleted.
    @discardableResult
    public func deleteJob(_ jobID: String) throws -> Int {
        let job = try read { db in try Self.openJob(jobID, db: db) }
        guard job.state.isTerminal else {
            throw PersistenceError.invalidJob("job \(jobID) is \(job.state.rawValue); cancel it before deleting it")
        }
        var deleted = 0
        while true {
            let count = try write { db -> Int in
                try db.execute(sql: """
                    DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE job_id = ? LIMIT ?)
                    """, arguments: [jobID, Self.deleteChunk])
                return db.changesCount
            }
            deleted += count
            if count < Self.deleteChunk { break }
        }
        while try write({ db -> Int in
            try db.execute(sql: """
                DELETE FROM frames WHERE job_id = ?1 AND frame_index IN (SELECT frame_index FROM frames WHERE job_id = ?1 LIMIT ?2)
                """, arguments: [jobID, Self.deleteChunk])
            return db.changesCount
        }) == Self.deleteChunk {}
        try write { db in
            try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [jobID])
            try db.execute(sql: "DELETE FROM job_state_counts WHERE job_id = ?", arguments: [jobID])
        }
        return deleted
    }

    /// Tasks deleted per transaction by ``deleteJob(_:)``.
    static let deleteChunk = 2_000

    /// What the garbage collector must keep: the results of intermediate steps (tasks whose results are not
    /// outputs) of unfinished jobs, and every job's stored style-target blobs (a finished job may be requeued).
    public func referencedBlobs() throws -> (intermediates: Set<String>, styleTargets: Set<String>) {
        try read { db in
            let intermediates = Set(try String.fetchAll(db, sql: """
                SELECT t.result_sha256 FROM tasks AS t JOIN jobs AS j ON j.id = t.job_id
                WHERE j.state IN ('queued', 'running') AND NOT t.produces_output AND t.result_sha256 IS NOT NULL
                """))
            var targets = Set<String>()
            for spec in try Data.fetchAll(db, sql: "SELECT spec FROM jobs") {
                guard let stored = try? JSONDecoder().decode(StoredJob.self, from: spec) else { continue }
                targets.formUnion(stored.styleTargetBlobs ?? [])
                for set in stored.regionStyleTargetBlobs ?? [] { targets.formUnion(set) }
            }
            return (intermediates, targets)
        }
    }

    /// The upload checkouts (`<checkouts>/<owner>/<id>`, each a folder under `checkoutsRoot`) each stored job reads
    /// from (job id → checkouts; jobs that read from none are left out): every string in its spec that names a path
    /// inside one. Read on the maintenance thread, from the stored specs as they are (no job is resolved, no frame
    /// list expanded).
    public func checkoutsByJob(under checkoutsRoot: String) throws -> [String: Set<String>] {
        let root = checkoutsRoot.hasSuffix("/") ? checkoutsRoot : checkoutsRoot + "/"
        return try read { db in
            var byJob: [String: Set<String>] = [:]
            var found = Set<String>()
            func visit(_ value: Any) {
                switch value {
                case let text as String where text.hasPrefix(root):
                    // A path inside a checkout: owner folder, checkout id, then at least one more component.
                    let parts = text.dropFirst(root.count).split(separator: "/", maxSplits: 2)
                    if parts.count == 3, !parts[0].hasPrefix("."), !parts[1].hasPrefix(".") {
                        found.insert(root + parts[0] + "/" + parts[1])
                    }
                case let array as [Any]: array.forEach(visit)
                case let object as [String: Any]: object.values.forEach(visit)
                default: break
                }
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, spec FROM jobs") {
                found = []
                if let value = try? JSONSerialization.jsonObject(with: row[1] as Data) { visit(value) }
                if !found.isEmpty { byJob[row[0]] = found }
            }
            return byJob
        }
    }

    /// Sets the dispatch priority (`tasks.job_priority`) of a job's unfinished tasks: its priority, or −1 paused.
    static func setDispatchPriority(_ priority: Int, ofJob jobID: String, db: Database) throws {
        try db.execute(sql: """
            UPDATE tasks SET job_priority = ? WHERE job_id = ? AND state IN ('queued', 'assigned', 'running')
            """, arguments: [priority, jobID])
    }

    /// The job, or `jobNotFound`.
    static func openJob(_ jobID: String, db: Database) throws -> JobRecord {
        guard let job = try Row.fetchOne(db, sql: "SELECT \(jobColumns) FROM jobs WHERE id = ?", arguments: [jobID])
            .map(decodeJob) else { throw PersistenceError.jobNotFound(jobID) }
        return job
    }
}
