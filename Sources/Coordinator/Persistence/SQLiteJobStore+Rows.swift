import Foundation
import GRDB
import JobModel

/// Row decoding and the read-only queries of ``SQLiteJobStore``.
extension SQLiteJobStore {
    static let taskColumns = """
        id, job_id, frame_index, region_x, region_y, region_w, region_h, state, attempts_used, \
        max_attempts, current_attempt, assigned_worker, last_error, result_sha256, produces_output, \
        attempts_lost, max_lost
        """
    static let jobColumns = "id, name, spec, priority, sequence, state, created_at, updated_at, style_targets_hash, owner, paused_reason, blocklist_threshold"

    static func decodeState<S: RawRepresentable>(_ raw: String, _ type: S.Type) throws -> S where S.RawValue == String {
        guard let value = S(rawValue: raw) else {
            throw PersistenceError.corruptRecord("unknown \(S.self) '\(raw)'")
        }
        return value
    }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    static func decodeTask(_ row: Row) throws -> TaskRecord {
        TaskRecord(
            id: row[0], jobID: row[1], frameIndex: row[2],
            region: TaskRegion(x: row[3], y: row[4], width: row[5], height: row[6]),
            maxAttempts: row[9],
            state: try decodeState(row[7], TaskState.self),
            attemptsUsed: row[8], currentAttempt: row[10],
            assignedWorker: row[11], lastError: row[12], resultSHA256: row[13], producesOutput: row[14],
            attemptsLost: row[15], maxLost: row[16])
    }

    /// The prerequisites of each task of `jobID` (task id → prerequisite ids, sorted).
    static func dependencies(ofJob jobID: String, db: Database) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT d.task_id, d.prerequisite_id FROM task_dependencies AS d JOIN tasks AS t ON t.id = d.task_id
            WHERE t.job_id = ? ORDER BY d.task_id, d.prerequisite_id
            """, arguments: [jobID]) {
            result[row[0], default: []].append(row[1])
        }
        return result
    }

    static func decodeJob(_ row: Row) throws -> JobRecord {
        JobRecord(id: row[0], name: row[1], spec: row[2], priority: row[3], styleTargetsHash: row[8],
                  sequence: row[4], state: try decodeState(row[5], JobState.self),
                  createdAt: date(row[6]), updatedAt: date(row[7]), owner: row[9], pausedReason: row[10], blocklistThreshold: row[11])
    }

    static func decodeWorker(_ row: Row) throws -> WorkerRecord {
        WorkerRecord(id: row[0], hostname: row[1], cores: row[2], memoryBytes: row[3], engineVersion: row[4],
                     slots: row[5], lastSeen: date(row[6]), state: try decodeState(row[7], WorkerState.self),
                     unhealthyReason: row[8])
    }

    public func job(_ jobID: String) throws -> JobRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.jobColumns) FROM jobs WHERE id = ?", arguments: [jobID])
                .map(Self.decodeJob)
        }
    }

    public func listJobs() throws -> [JobRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.jobColumns) FROM jobs ORDER BY priority DESC, sequence")
                .map(Self.decodeJob)
        }
    }

    public func summary(ofJob jobID: String) throws -> JobSummary {
        try read { db in
            guard let job = try Row.fetchOne(db, sql: "SELECT \(Self.jobColumns) FROM jobs WHERE id = ?",
                                             arguments: [jobID]).map(Self.decodeJob) else {
                throw PersistenceError.jobNotFound(jobID)
            }
            // Counts kept by triggers (migration v3): a few rows, however long the job.
            var frames: [FrameState: Int] = [:]
            var tasks: [TaskState: Int] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT kind, state, count FROM job_state_counts WHERE job_id = ? AND count > 0
                """), arguments: [jobID]) {
                let kind: String = row[0]
                if kind == "frame" {
                    frames[try Self.decodeState(row[1], FrameState.self)] = row[2]
                } else {
                    tasks[try Self.decodeState(row[1], TaskState.self)] = row[2]
                }
            }
            return JobSummary(jobID: job.id, name: job.name, priority: job.priority, state: job.state,
                              framesTotal: frames.values.reduce(0, +), framesDone: frames[.done] ?? 0,
                              framesFailed: frames[.failed] ?? 0, tasks: tasks)
        }
    }

    public func task(_ taskID: String) throws -> TaskRecord? {
        try read { db in
            guard var task = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.taskColumns) FROM tasks WHERE id = ?"),
                                              arguments: [taskID]).map(Self.decodeTask) else { return nil }
            task.dependencies = try String.fetchAll(db.cachedStatement(sql: """
                SELECT prerequisite_id FROM task_dependencies WHERE task_id = ? ORDER BY prerequisite_id
                """), arguments: [taskID])
            return task
        }
    }

    public func tasks(ofJob jobID: String) throws -> [TaskRecord] {
        try read { db in
            let dependencies = try Self.dependencies(ofJob: jobID, db: db)
            return try Row.fetchAll(db, sql: "SELECT \(Self.taskColumns) FROM tasks WHERE job_id = ? ORDER BY frame_index, id",
                                    arguments: [jobID]).map { row in
                var task = try Self.decodeTask(row)
                task.dependencies = dependencies[task.id] ?? []
                return task
            }
        }
    }

    /// The tasks of some frames of a job (without their dependencies), by frame then id: one index range
    /// per frame, however long the job (a watch event names the few frames that changed).
    public func tasks(ofJob jobID: String, frames indices: [Int]) throws -> [TaskRecord] {
        guard !indices.isEmpty else { return [] }
        return try read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.taskColumns) FROM tasks
                WHERE job_id = ?1 AND frame_index IN (SELECT value FROM json_each(?2)) ORDER BY frame_index, id
                """), arguments: [jobID, Self.jsonArray(indices).json]).map(Self.decodeTask)
        }
    }

    /// Some frames of a job, by index (indices it does not have are left out).
    public func frames(ofJob jobID: String, indices: [Int]) throws -> [FrameRecord] {
        guard !indices.isEmpty else { return [] }
        return try read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.frameColumns) FROM frames
                WHERE job_id = ?1 AND frame_index IN (SELECT value FROM json_each(?2)) ORDER BY frame_index
                """), arguments: [jobID, Self.jsonArray(indices).json]).map(Self.decodeFrame)
        }
    }

    /// Every task a worker holds now (assigned or running), by id: as many as the farm has slots busy,
    /// read through the partial index on in-flight tasks.
    public func inFlightTasks() throws -> [TaskRecord] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.taskColumns) FROM tasks INDEXED BY tasks_by_worker
                WHERE assigned_worker IS NOT NULL AND state IN ('assigned','running') ORDER BY id
                """)).map(Self.decodeTask)
        }
    }

    /// Queued tasks whose prerequisites are done, of jobs at priority `threshold` or above: the highest such
    /// priority and how many tasks have it (at most `limit`), read through the dispatch index; nil when none.
    public func readyTasks(atOrAbove threshold: Int, limit: Int) throws -> (priority: Int, count: Int)? {
        try read { db in
            guard let top = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT job_priority FROM tasks WHERE state = 'queued' AND waiting = 0 AND job_priority >= ?
                ORDER BY job_priority DESC, job_sequence, frame_index, id LIMIT 1
                """), arguments: [max(0, threshold)]) else { return nil }
            let count = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COUNT(*) FROM (SELECT 1 FROM tasks WHERE state = 'queued' AND waiting = 0 AND job_priority = ? LIMIT ?)
                """), arguments: [top, limit]) ?? 0
            return (top, count)
        }
    }

    /// The workers blocklisted for a job (they failed `blocklist_threshold` of its tasks), by id.
    public func blockedWorkers(ofJob jobID: String) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT worker_id FROM worker_job_failures WHERE job_id = ? AND blocked ORDER BY worker_id",
                                arguments: [jobID])
        }
    }

    /// The folders unfinished jobs write their frames into (each once), for the sweep of temporary files a
    /// crash left behind (`TemporaryFileSweep`).
    public func outputFoldersOfUnfinishedJobs() throws -> [String] {
        try read { db in
            // rtrim(p, <p without '/'>) strips the last path component: the folder, with its slash.
            try String.fetchAll(db, sql: """
                SELECT DISTINCT rtrim(f.output_path, replace(f.output_path, '/', '')) FROM frames AS f
                JOIN jobs AS j ON j.id = f.job_id WHERE j.state IN ('queued', 'running') AND f.output_path <> ''
                """).filter { !$0.isEmpty }
        }
    }

    /// `values` as the JSON array a `json_each` reads.
    static func jsonArray(_ values: [Int]) -> BatchJSON {
        var array = BatchJSON()
        for value in values { array.append(value) }
        return array
    }

    public func frames(ofJob jobID: String) throws -> [FrameRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.frameColumns) FROM frames
                WHERE job_id = ? ORDER BY frame_index
                """, arguments: [jobID]).map(Self.decodeFrame)
        }
    }

    public func attempts(ofTask taskID: String) throws -> [AttemptRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.attemptColumns) FROM attempts WHERE task_id = ? ORDER BY number
                """, arguments: [taskID]).map(Self.decodeAttempt)
        }
    }

    static let frameColumns = "job_id, frame_index, output_path, state, result_sha256, warp_error, warp_certain"

    static func decodeFrame(_ row: Row) throws -> FrameRecord {
        FrameRecord(jobID: row[0], index: row[1], outputPath: row[2], state: try decodeState(row[3], FrameState.self),
                    resultSHA256: row[4], warpError: row[5], warpCertain: row[6])
    }

    static let attemptColumns = """
        task_id, number, worker_id, started_at, ended_at, outcome, error_message, log, wall_seconds, evaluations, \
        peak_rss_bytes, loss_total, loss_content, loss_style, loss_tv
        """

    /// The worker of each task's latest attempt, for every task of a job that has one: one query (a job's
    /// detail names each frame's worker; reading every attempt row with its log, frame by frame, cost a query
    /// and a log per frame).
    public func lastAttemptWorkers(ofJob jobID: String) throws -> [String: String] {
        try read { db in
            var workers: [String: String] = [:]
            // SQLite gives the bare column of the row that holds the MAX.
            for row in try Row.fetchAll(db, sql: """
                SELECT task_id, worker_id, MAX(number) FROM attempts
                WHERE task_id IN (SELECT id FROM tasks WHERE job_id = ?) GROUP BY task_id
                """, arguments: [jobID]) {
                workers[row[0]] = row[1]
            }
            return workers
        }
    }
    /// How many columns ``attemptColumns`` names (a join's next column is at this index).
    static let attemptColumnCount = 15

    /// ``attemptColumns`` of the table aliased `a` (in joins with `tasks AS t`).
    static let aliasedAttemptColumns = attemptColumns.split(separator: ",")
        .map { "a." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")

    static func decodeAttempt(_ row: Row) throws -> AttemptRecord {
        AttemptRecord(taskID: row[0], number: row[1], workerID: row[2], startedAt: date(row[3]),
                      endedAt: (row[4] as Double?).map(date),
                      outcome: try decodeState(row[5], AttemptOutcome.self), errorMessage: row[6], log: row[7],
                      stats: (row[8] as Double?).map { wall in
                          AttemptStats(wallSeconds: wall, evaluations: row[9] ?? 0, peakRSSBytes: UInt64(max(0, row[10] as Int64? ?? 0)),
                                       lossTotal: row[11] ?? 0, lossContent: row[12] ?? 0, lossStyle: row[13] ?? 0, lossTV: row[14] ?? 0)
                      })
    }

    /// The attempts running now of a job's tasks (of the frame at `frameIndex` when given), with their frame
    /// index, by frame: read through the partial index on in-flight tasks (`stylefarm logs --follow`).
    public func runningAttempts(ofJob jobID: String, frameIndex: Int?, limit: Int) throws -> [(frameIndex: Int, attempt: AttemptRecord)] {
        try read { db in
            return try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.aliasedAttemptColumns), t.frame_index FROM tasks AS t INDEXED BY tasks_by_worker
                JOIN attempts AS a ON a.task_id = t.id AND a.number = t.current_attempt
                WHERE t.assigned_worker IS NOT NULL AND t.state IN ('assigned','running') AND t.job_id = ?1
                  AND (?2 IS NULL OR t.frame_index = ?2)
                ORDER BY t.frame_index, t.id LIMIT ?3
                """), arguments: [jobID, frameIndex, limit]).map { (frameIndex: $0[Self.attemptColumnCount], attempt: try Self.decodeAttempt($0)) }
        }
    }

    /// The state of one frame of a job, nil when it has no such frame.
    public func frameState(ofJob jobID: String, index: Int) throws -> FrameState? {
        try read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM frames WHERE job_id = ? AND frame_index = ?"),
                                arguments: [jobID, index]).map { try Self.decodeState($0, FrameState.self) }
        }
    }

    /// Attempts of a job with the frame index of their task (`stylefarm logs`): every attempt of the frame at
    /// `frameIndex` (only number `attempt` when given), by task and number; without a frame, the attempts that
    /// failed, timed out or were lost, newest first. At most `limit`.
    public func attemptLogs(ofJob jobID: String, frameIndex: Int?, attempt: Int?, limit: Int) throws
        -> [(frameIndex: Int, attempt: AttemptRecord)] {
        try read { db in
            let rows: [Row]
            if let frameIndex {
                rows = try Row.fetchAll(db, sql: """
                    SELECT \(Self.aliasedAttemptColumns), t.frame_index FROM tasks AS t JOIN attempts AS a ON a.task_id = t.id
                    WHERE t.job_id = ?1 AND t.frame_index = ?2 AND (?3 IS NULL OR a.number = ?3)
                    ORDER BY t.id, a.number LIMIT ?4
                    """, arguments: [jobID, frameIndex, attempt, limit])
            } else {
                rows = try Row.fetchAll(db, sql: """
                    SELECT \(Self.aliasedAttemptColumns), t.frame_index FROM tasks AS t JOIN attempts AS a ON a.task_id = t.id
                    WHERE t.job_id = ?1 AND a.outcome IN ('failed', 'timeout', 'lost') AND (?2 IS NULL OR a.number = ?2)
                    ORDER BY a.started_at DESC, t.id LIMIT ?3
                    """, arguments: [jobID, attempt, limit])
            }
            return try rows.map { (frameIndex: $0[Self.attemptColumnCount], attempt: try Self.decodeAttempt($0)) }
        }
    }

    static let workerColumns = "id, hostname, cores, memory_bytes, engine_version, slots, last_seen, state, unhealthy_reason"

    public func worker(_ workerID: String) throws -> WorkerRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.workerColumns) FROM workers WHERE id = ?", arguments: [workerID])
                .map(Self.decodeWorker)
        }
    }

    public func listWorkers() throws -> [WorkerRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.workerColumns) FROM workers ORDER BY id").map(Self.decodeWorker)
        }
    }
}

extension SQLiteJobStore {
    /// Jobs and tasks by state (the metrics' gauges); a read, which never waits for a writer.
    public func counts() throws -> StoreCounts {
        try read { db in
            var jobs: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT CASE WHEN paused_reason IS NOT NULL AND state IN ('queued', 'running') THEN 'paused' ELSE state END,
                       COUNT(*) FROM jobs GROUP BY 1
                """) {
                jobs[row[0]] = row[1]
            }
            var tasks: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM tasks GROUP BY state") { tasks[row[0]] = row[1] }
            let oldest = try Double.fetchOne(db, sql: "SELECT MIN(created_at) FROM jobs WHERE state IN ('queued', 'running')")
            return StoreCounts(jobs: jobs, tasks: tasks, oldestUnfinishedJob: oldest.map { Date(timeIntervalSince1970: $0) })
        }
    }
}
