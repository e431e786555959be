import Foundation
import GRDB

/// The writes of ``SQLiteJobStore``: submitting, claiming, reports, requeues, cancel, recovery,
/// workers. Task transitions are decided by ``TaskStateMachine``; this file only stores them.
extension SQLiteJobStore {
    @discardableResult
    public func insertJob(_ job: JobRecord, frames: [FrameRecord], tasks: [TaskRecord], now: Date) throws -> JobRecord {
        try Self.validate(job, frames: frames, tasks: tasks)
        var tasksPerFrame: [Int: Int] = [:]
        for task in tasks { tasksPerFrame[task.frameIndex, default: 0] += 1 }
        return try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [job.id]) == true {
                throw PersistenceError.duplicateJob(job.id)
            }
            var stored = job
            stored.sequence = (try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM jobs") ?? 0) + 1
            stored.state = .queued
            stored.createdAt = now
            stored.updatedAt = now
            try db.execute(sql: """
                INSERT INTO jobs (id, name, spec, priority, sequence, state, created_at, updated_at,
                                  style_targets_hash, tasks_total, owner, blocklist_threshold)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [stored.id, stored.name, stored.spec, stored.priority, stored.sequence,
                                 stored.state.rawValue, now.timeIntervalSince1970, now.timeIntervalSince1970,
                                 stored.styleTargetsHash, tasks.count, stored.owner, max(0, stored.blocklistThreshold)])
            let insertFrame = try db.cachedStatement(sql: """
                INSERT INTO frames (job_id, frame_index, output_path, state, tasks_total) VALUES (?, ?, ?, 'pending', ?)
                """)
            for frame in frames {
                try insertFrame.execute(arguments: [job.id, frame.index, frame.outputPath, tasksPerFrame[frame.index] ?? 0])
            }
            let insertTask = try db.cachedStatement(sql: """
                INSERT INTO tasks (id, job_id, frame_index, region_x, region_y, region_w, region_h, state,
                                   max_attempts, job_priority, job_sequence, waiting, produces_output, max_lost)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)
                """)
            let insertDependency = try db.cachedStatement(sql: """
                INSERT INTO task_dependencies (task_id, prerequisite_id) VALUES (?, ?)
                """)
            for task in tasks {
                try insertTask.execute(arguments: [task.id, job.id, task.frameIndex, task.region.x, task.region.y,
                                                   task.region.width, task.region.height, task.maxAttempts,
                                                   stored.priority, stored.sequence, task.dependencies.count,
                                                   task.producesOutput, task.maxLost])
            }
            for task in tasks {
                for prerequisite in task.dependencies {
                    try insertDependency.execute(arguments: [task.id, prerequisite])
                }
            }
            return stored
        }
    }

    static func validate(_ job: JobRecord, frames: [FrameRecord], tasks: [TaskRecord]) throws {
        guard JobRecord.priorityRange.contains(job.priority) else {
            throw PersistenceError.invalidJob("priority \(job.priority) is outside 0…100")
        }
        guard !tasks.isEmpty else { throw PersistenceError.invalidJob("job '\(job.id)' has no tasks") }
        var frameIndices = Set<Int>()
        for frame in frames {
            guard frame.jobID == job.id else {
                throw PersistenceError.invalidJob("frame \(frame.index) belongs to job '\(frame.jobID)'")
            }
            guard frameIndices.insert(frame.index).inserted else {
                throw PersistenceError.invalidJob("frame \(frame.index) appears twice")
            }
        }
        var taskIDs = Set<String>()
        for task in tasks {
            guard task.jobID == job.id else {
                throw PersistenceError.invalidJob("task '\(task.id)' belongs to job '\(task.jobID)'")
            }
            guard frameIndices.contains(task.frameIndex) else {
                throw PersistenceError.invalidJob("task '\(task.id)' names missing frame \(task.frameIndex)")
            }
            guard task.maxAttempts >= 1, task.maxLost >= 1 else {
                throw PersistenceError.invalidJob("task '\(task.id)' allows \(task.maxAttempts) attempts and \(task.maxLost) losses")
            }
            guard taskIDs.insert(task.id).inserted else {
                throw PersistenceError.invalidJob("task '\(task.id)' appears twice")
            }
        }
        try validateDependencies(tasks, ids: taskIDs)
    }

    /// Prerequisites must be tasks of the same job, listed once, and form no cycle (else nothing in the
    /// cycle could ever be dispatched).
    static func validateDependencies(_ tasks: [TaskRecord], ids: Set<String>) throws {
        var remaining: [String: Int] = [:]
        var dependents: [String: [String]] = [:]
        for task in tasks {
            guard Set(task.dependencies).count == task.dependencies.count else {
                throw PersistenceError.invalidJob("task '\(task.id)' lists a prerequisite twice")
            }
            for prerequisite in task.dependencies {
                guard ids.contains(prerequisite), prerequisite != task.id else {
                    throw PersistenceError.invalidJob("task '\(task.id)' depends on '\(prerequisite)', which is not another task of its job")
                }
                dependents[prerequisite, default: []].append(task.id)
            }
            remaining[task.id] = task.dependencies.count
        }
        // Kahn's algorithm: every task must become ready.
        var ready = tasks.filter { $0.dependencies.isEmpty }.map(\.id)
        var done = 0
        while let id = ready.popLast() {
            done += 1
            for next in dependents[id] ?? [] {
                remaining[next]! -= 1
                if remaining[next] == 0 { ready.append(next) }
            }
        }
        guard done == tasks.count else {
            throw PersistenceError.invalidJob("the tasks' prerequisites form a cycle; no task of it could ever start")
        }
    }

    /// Set-based: one `UPDATE … RETURNING` takes the first `max` queued tasks in dispatch order
    /// (the `tasks_dispatch` index; a paused job's tasks carry priority −1 and are not taken) and does what ``TaskStateMachine/assign()`` does to each
    /// (`queued → assigned`, next attempt number); one `INSERT … SELECT` records the attempts.
    public func claimTasks(for workerID: String, max: Int, now: Date) throws -> [TaskClaim] {
        guard max > 0 else { return [] }
        let time = now.timeIntervalSince1970
        let touched = TouchedJobs()
        return try write(touching: touched) { db in
            let claimed = try Self.claimRows(for: workerID, max: max, db: db)
            guard !claimed.isEmpty else { return [] }
            var ordered: [(priority: Int, sequence: Int64, task: TaskRecord)] = []
            ordered.reserveCapacity(claimed.count)
            for row in claimed {
                ordered.append((row[17], row[18], try Self.decodeTask(row)))
            }
            // RETURNING does not keep the subquery's order: restore dispatch order.
            ordered.sort { a, b in
                if a.priority != b.priority { return a.priority > b.priority }
                if a.sequence != b.sequence { return a.sequence < b.sequence }
                if a.task.frameIndex != b.task.frameIndex { return a.task.frameIndex < b.task.frameIndex }
                return a.task.id < b.task.id
            }
            var ids = BatchJSON()
            var jobs = Set<String>()
            for entry in ordered {
                ids.append(entry.task.id)
                jobs.insert(entry.task.jobID)
            }
            try db.cachedStatement(sql: """
                INSERT INTO attempts (task_id, number, worker_id, started_at, outcome)
                SELECT t.id, t.current_attempt, ?1, ?2, 'pending' FROM json_each(?3) AS j JOIN tasks AS t ON t.id = j.value
                """).execute(arguments: [workerID, time, ids.json])
            let start = try db.cachedStatement(sql: """
                UPDATE jobs SET state = 'running', updated_at = ? WHERE id = ? AND state = 'queued'
                """)
            for job in jobs { try start.execute(arguments: [time, job]) }
            touched.ids = jobs
            return ordered.map { TaskClaim(task: $0.task, attempt: $0.task.currentAttempt) }
        }
    }

    /// The claim's `UPDATE … RETURNING`. A worker blocklisted for some jobs claims job by job in dispatch order
    /// (each an index prefix of `tasks_dispatch`): filtering the one ordered scan instead would walk every queued
    /// task of a blocked job, a million for a long one, on each claim.
    static func claimRows(for workerID: String, max: Int, db: Database) throws -> [Row] {
        let blocked = try String.fetchAll(db.cachedStatement(sql: """
            SELECT job_id FROM worker_job_failures WHERE worker_id = ? AND blocked
            """), arguments: [workerID])
        guard !blocked.isEmpty else {
            return try Row.fetchAll(db.cachedStatement(sql: """
                UPDATE tasks SET state = 'assigned', current_attempt = current_attempt + 1, assigned_worker = ?1
                WHERE id IN (SELECT id FROM tasks WHERE state = 'queued' AND waiting = 0 AND job_priority >= 0
                             ORDER BY job_priority DESC, job_sequence, frame_index, id LIMIT ?2)
                RETURNING \(Self.taskColumns), job_priority, job_sequence
                """), arguments: [workerID, max])
        }
        let blockedSet = Set(blocked)
        var rows: [Row] = []
        for job in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, priority, sequence FROM jobs WHERE state IN ('queued', 'running') AND paused_reason IS NULL
            ORDER BY priority DESC, sequence
            """)) where !blockedSet.contains(job[0]) {
            guard rows.count < max else { break }
            rows += try Row.fetchAll(db.cachedStatement(sql: """
                UPDATE tasks SET state = 'assigned', current_attempt = current_attempt + 1, assigned_worker = ?1
                WHERE id IN (SELECT id FROM tasks WHERE state = 'queued' AND waiting = 0 AND job_priority = ?3 AND job_sequence = ?4
                             ORDER BY job_priority DESC, job_sequence, frame_index, id LIMIT ?2)
                RETURNING \(Self.taskColumns), job_priority, job_sequence
                """), arguments: [workerID, max - rows.count, job[1] as Int, job[2] as Int64])
        }
        return rows
    }

    /// A task loaded for a batch of changes, moved through ``TaskStateMachine`` in memory.
    private struct Loaded {
        var machine: TaskStateMachine
        let jobID: String
        let frameIndex: Int
        let producesOutput: Bool
        /// The worker holding the task when the batch began.
        let workerID: String?
        var touched = false
        var error: String?
        var sha256: String?
    }

    /// Set-based: one query loads every task the batch names, ``TaskStateMachine`` decides each
    /// change in order (in memory, so `started` then `completed` in one batch works), and one
    /// statement per table writes the results (tasks, attempts, frames), then one per job.
    public func apply(_ changes: [StateChange], now: Date) throws -> [StateChangeOutcome] {
        guard !changes.isEmpty else { return [] }
        let unhealthyAfter = self.unhealthyAfter
        let touched = TouchedJobs()
        return try write(touching: touched) { db in
            try Self.apply(changes, time: now.timeIntervalSince1970, unhealthyAfter: unhealthyAfter, db: db, touched: touched)
        }
    }

    /// ``apply(_:now:)`` inside a transaction the caller holds (worker losses and recovery use it too).
    /// `unhealthyAfter`: see ``unhealthyAfter`` (0: never mark a worker unhealthy).
    /// `touched` gets the jobs whose rows it may change.
    static func apply(_ changes: [StateChange], time: Double, unhealthyAfter: Int = 0, db: Database,
                      touched: TouchedJobs? = nil) throws -> [StateChangeOutcome] {
        var ids = BatchJSON()
        for change in changes {
            switch change {
            case .attemptLog, .attemptStats: continue
            default: break
            }
            if let id = change.taskID { ids.append(id) }
        }
        var tasks: [String: Loaded] = [:]
        tasks.reserveCapacity(changes.count)
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT t.id, t.state, t.current_attempt, t.attempts_used, t.max_attempts, t.job_id, t.frame_index,
                   t.produces_output, t.attempts_lost, t.max_lost, t.assigned_worker
            FROM json_each(?) AS j JOIN tasks AS t ON t.id = j.value
            """), arguments: [ids.json]) {
            let machine = TaskStateMachine(state: try Self.decodeState(row[1], TaskState.self), attempt: row[2],
                                           attemptsUsed: row[3], maxAttempts: row[4], attemptsLost: row[8], maxLost: row[9])
            tasks[row[0]] = Loaded(machine: machine, jobID: row[5], frameIndex: row[6], producesOutput: row[7], workerID: row[10])
        }
        if let touched {
            for loaded in tasks.values { touched.ids.insert(loaded.jobID) }
            for change in changes {
                switch change {
                case .frameAssembled(let jobID, _, _), .frameWarpError(let jobID, _, _, _): touched.ids.insert(jobID)
                default: break
                }
            }
        }

        struct FrameKey: Hashable { let job: String; let index: Int }
        var frames: [FrameKey: (completed: Int, failed: Bool, sha256: String?)] = [:]
        var attempts = BatchJSON()
        var finished: [String: (count: Int, failed: Int)] = [:]
        var completedIDs = BatchJSON()
        var gaveUp: [(id: String, error: String)] = []
        struct WorkerJob: Hashable { let worker: String; let job: String }
        var workerFailures: [WorkerJob: Int] = [:]
        let frameAssembled = try db.cachedStatement(sql: """
            UPDATE frames SET result_sha256 = ? WHERE job_id = ? AND frame_index = ?
            """)
        let attemptLog = try db.cachedStatement(sql: "UPDATE attempts SET log = ? WHERE task_id = ? AND number = ?")
        let attemptStats = try db.cachedStatement(sql: """
            UPDATE attempts SET wall_seconds = ?, evaluations = ?, peak_rss_bytes = ?, loss_total = ?, loss_content = ?,
                                loss_style = ?, loss_tv = ?
            WHERE task_id = ? AND number = ?
            """)
        let frameWarpError = try db.cachedStatement(sql: """
            UPDATE frames SET warp_error = ?, warp_certain = ? WHERE job_id = ? AND frame_index = ?
            """)
        var outcomes: [StateChangeOutcome] = []
        outcomes.reserveCapacity(changes.count)
        for change in changes {
            if case .attemptLog(let taskID, let attempt, let text) = change {
                try attemptLog.execute(arguments: [text, taskID, attempt])
                outcomes.append(.logRecorded)
                continue
            }
            if case .attemptStats(let taskID, let attempt, let stats) = change {
                try attemptStats.execute(arguments: [stats.wallSeconds, stats.evaluations, Int64(clamping: stats.peakRSSBytes),
                                                     stats.lossTotal, stats.lossContent, stats.lossStyle, stats.lossTV,
                                                     taskID, attempt])
                outcomes.append(.logRecorded)
                continue
            }
            if case .frameWarpError(let jobID, let frameIndex, let warpError, let certain) = change {
                // A deleted job's frame is no error: the measurement simply has nowhere to go.
                try frameWarpError.execute(arguments: [warpError, certain, jobID, frameIndex])
                outcomes.append(.frameRecorded)
                continue
            }
            if case .frameAssembled(let jobID, let frameIndex, let sha256) = change {
                try frameAssembled.execute(arguments: [sha256, jobID, frameIndex])
                guard db.changesCount > 0 else { throw PersistenceError.jobNotFound(jobID) }
                outcomes.append(.frameRecorded)
                continue
            }
            guard let taskID = change.taskID, var task = tasks[taskID] else {
                throw PersistenceError.taskNotFound(change.taskID ?? "")
            }
            let frame = FrameKey(job: task.jobID, index: task.frameIndex)
            /// The attempt ended with `outcome`; `error` is kept on the attempt (and on the task when it failed).
            func end(_ attempt: Int, _ outcome: AttemptOutcome, error: String?) {
                attempts.append([.string(taskID), .int(attempt), .string(outcome.rawValue), error.map { .string($0) } ?? .null])
            }
            func giveUp(_ error: String) {
                task.error = error
                gaveUp.append((taskID, error))
                frames[frame, default: (0, false, nil)].failed = true
                finished[task.jobID, default: (0, 0)].count += 1
                finished[task.jobID, default: (0, 0)].failed += 1
            }
            /// A failed attempt (an error, a timeout) that counts; charged to its worker's record for the job when
            /// `byWorker` (the blocklist).
            func failedAttempt(_ attempt: Int, _ action: TaskStateMachine.Action, _ outcome: AttemptOutcome, error: String,
                               byWorker: Bool) {
                guard action == .retry || action == .giveUp else { return }
                task.error = error
                end(attempt, outcome, error: error)
                if byWorker, let worker = task.workerID { workerFailures[WorkerJob(worker: worker, job: task.jobID), default: 0] += 1 }
                if action == .giveUp { giveUp(error) }
            }
            let action: TaskStateMachine.Action
            switch change {
            case .started(_, let attempt):
                action = task.machine.started(attempt: attempt)
            case .completed(_, let attempt, let sha256):
                action = task.machine.succeeded(attempt: attempt)
                if action == .complete {
                    task.sha256 = sha256
                    end(attempt, .succeeded, error: nil)
                    frames[frame, default: (0, false, nil)].completed += 1
                    if task.producesOutput { frames[frame, default: (0, false, nil)].sha256 = sha256 }
                    completedIDs.append(taskID)
                    finished[task.jobID, default: (0, 0)].count += 1
                }
            case .failed(_, let attempt, let error, let retryable, let byWorker):
                action = task.machine.failed(attempt: attempt, retryable: retryable)
                failedAttempt(attempt, action, .failed, error: error, byWorker: byWorker)
            case .timedOut(_, let attempt, let error):
                action = task.machine.timedOut(attempt: attempt)
                failedAttempt(attempt, action, .timeout, error: error, byWorker: true)
            case .lost(_, let attempt, let reason, let charged):
                action = task.machine.lost(attempt: attempt, charged: charged)
                if action == .requeue || action == .giveUp { end(attempt, .lost, error: reason) }
                if action == .giveUp {
                    giveUp("worker lost \(task.machine.attemptsLost) times while rendering this task (last: \(reason))")
                }
            case .recalled(_, let attempt, let reason):
                action = task.machine.recall(attempt: attempt)
                if action == .requeue { end(attempt, .cancelled, error: reason) }
            case .frameAssembled, .attemptLog, .attemptStats, .frameWarpError:
                continue
            }
            switch action {
            case .start, .complete, .retry, .giveUp, .requeue:
                task.touched = true
                tasks[taskID] = task
                outcomes.append(.task(task.machine.state))
            default:
                outcomes.append(Self.ignored(action))
            }
        }

        try Self.release(dependentsOf: completedIDs, db: db)
        for (_, task) in try Self.failDependents(of: gaveUp, db: db) {
            frames[FrameKey(job: task.jobID, index: task.frameIndex), default: (0, false, nil)].failed = true
            finished[task.jobID, default: (0, 0)].count += 1
            finished[task.jobID, default: (0, 0)].failed += 1
        }

        var taskRows = BatchJSON()
        for (id, task) in tasks where task.touched {
            taskRows.append([.string(id), .string(task.machine.state.rawValue), .int(task.machine.attemptsUsed),
                             task.error.map { .string($0) } ?? .null, task.sha256.map { .string($0) } ?? .null,
                             .int(task.machine.attemptsLost)])
        }
        try db.cachedStatement(sql: """
            UPDATE tasks SET
                state = j.state,
                attempts_used = j.used,
                attempts_lost = j.lost,
                last_error = COALESCE(j.error, tasks.last_error),
                result_sha256 = COALESCE(j.sha, tasks.result_sha256),
                assigned_worker = CASE WHEN j.state IN ('assigned', 'running') THEN tasks.assigned_worker END
            FROM (SELECT value ->> 0 AS id, value ->> 1 AS state, value ->> 2 AS used, value ->> 3 AS error,
                         value ->> 4 AS sha, value ->> 5 AS lost FROM json_each(?)) AS j
            WHERE tasks.id = j.id
            """).execute(arguments: [taskRows.json])
        try db.cachedStatement(sql: """
            UPDATE attempts SET outcome = j.outcome, ended_at = ?1, error_message = j.error
            FROM (SELECT value ->> 0 AS task_id, value ->> 1 AS number, value ->> 2 AS outcome,
                         value ->> 3 AS error FROM json_each(?2)) AS j
            WHERE attempts.task_id = j.task_id AND attempts.number = j.number
            """).execute(arguments: [time, attempts.json])
        var frameRows = BatchJSON()
        for (key, frame) in frames {
            frameRows.append([.string(key.job), .int(key.index), .int(frame.completed), .int(frame.failed ? 1 : 0),
                              frame.sha256.map { .string($0) } ?? .null])
        }
        try db.cachedStatement(sql: """
            UPDATE frames SET
                tasks_completed = tasks_completed + j.completed,
                state = CASE
                    WHEN state <> 'pending' THEN state
                    WHEN j.failed THEN 'failed'
                    WHEN tasks_completed + j.completed >= tasks_total THEN 'done'
                    ELSE 'pending' END,
                result_sha256 = CASE WHEN j.sha IS NOT NULL AND (SELECT COUNT(*) FROM tasks AS t
                                          WHERE t.job_id = frames.job_id AND t.frame_index = frames.frame_index
                                            AND t.produces_output) = 1
                                     THEN j.sha ELSE result_sha256 END
            FROM (SELECT value ->> 0 AS job, value ->> 1 AS frame, value ->> 2 AS completed, value ->> 3 AS failed,
                         value ->> 4 AS sha FROM json_each(?)) AS j
            WHERE frames.job_id = j.job AND frames.frame_index = j.frame
            """).execute(arguments: [frameRows.json])
        try Self.rollUp(finished, time: time, db: db)
        if !workerFailures.isEmpty {
            // Blocklist: a worker's failed attempts per job; at the job's threshold it takes no more of its tasks.
            let count = try db.cachedStatement(sql: """
                INSERT INTO worker_job_failures (worker_id, job_id, failures) VALUES (?1, ?2, ?3)
                ON CONFLICT (worker_id, job_id) DO UPDATE SET failures = failures + excluded.failures
                """)
            let block = try db.cachedStatement(sql: """
                UPDATE worker_job_failures SET blocked = 1, blocked_at = ?3
                WHERE worker_id = ?1 AND job_id = ?2 AND NOT blocked
                  AND failures >= (SELECT blocklist_threshold FROM jobs WHERE id = ?2)
                  AND (SELECT blocklist_threshold FROM jobs WHERE id = ?2) > 0
                """)
            for (pair, failures) in workerFailures {
                try count.execute(arguments: [pair.worker, pair.job, failures])
                try block.execute(arguments: [pair.worker, pair.job, time])
                if db.changesCount > 0 { try judgeHealth(of: pair.worker, unhealthyAfter: unhealthyAfter, time: time, db: db) }
            }
        }
        return outcomes
    }

    /// One prerequisite fewer for every task that waits on a task in `completed` (a JSON array of ids).
    static func release(dependentsOf completed: BatchJSON, db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE tasks SET waiting = waiting - (
                SELECT COUNT(*) FROM task_dependencies AS d JOIN json_each(?1) AS j ON d.prerequisite_id = j.value
                WHERE d.task_id = tasks.id)
            WHERE id IN (SELECT d.task_id FROM task_dependencies AS d JOIN json_each(?1) AS j ON d.prerequisite_id = j.value)
            """).execute(arguments: [completed.json])
    }

    /// Every queued task that (transitively) waits on a task in `failed` fails too: it can never start.
    /// Returns them (id → job and frame) for the frame and job roll-ups.
    static func failDependents(of failed: [(id: String, error: String)], db: Database) throws
        -> [(String, (jobID: String, frameIndex: Int))] {
        guard !failed.isEmpty else { return [] }
        var result: [(String, (jobID: String, frameIndex: Int))] = []
        let mark = try db.cachedStatement(sql: """
            UPDATE tasks SET state = 'failed', last_error = ? WHERE id = ? AND state = 'queued'
            """)
        for (id, error) in failed {
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                WITH RECURSIVE dependents(id) AS (
                    SELECT task_id FROM task_dependencies WHERE prerequisite_id = ?
                    UNION SELECT d.task_id FROM task_dependencies AS d JOIN dependents ON d.prerequisite_id = dependents.id)
                SELECT t.id, t.job_id, t.frame_index FROM tasks AS t JOIN dependents USING (id)
                WHERE t.state = 'queued' ORDER BY t.id
                """), arguments: [id])
            for row in rows {
                let dependent: String = row[0]
                try mark.execute(arguments: ["prerequisite \(id) failed: \(error)", dependent])
                if db.changesCount > 0 { result.append((dependent, (row[1], row[2]))) }
            }
        }
        return result
    }

    private static func ignored(_ action: TaskStateMachine.Action) -> StateChangeOutcome {
        if case .ignoreStale(let reason) = action { return .ignored(reason) }
        return .ignored(.wrongState)
    }

    /// Adds finished tasks to the jobs' counters; a job whose tasks all finished becomes
    /// `completed`, or `failed` if any failed.
    static func rollUp(_ finished: [String: (count: Int, failed: Int)], time: Double, db: Database) throws {
        let update = try db.cachedStatement(sql: """
            UPDATE jobs SET
                tasks_finished = tasks_finished + ?1,
                tasks_failed = tasks_failed + ?2,
                state = CASE
                    WHEN state IN ('queued', 'running') AND tasks_finished + ?1 >= tasks_total
                        THEN CASE WHEN tasks_failed + ?2 > 0 THEN 'failed' ELSE 'completed' END
                    ELSE state END,
                updated_at = ?3
            WHERE id = ?4
            """)
        for (jobID, counts) in finished {
            try update.execute(arguments: [counts.count, counts.failed, time, jobID])
        }
    }

    public func requeueTasks(ofWorker workerID: String, reason: String, charged: Bool, now: Date) throws -> LossReport {
        try write { db in
            let held = try Row.fetchAll(db, sql: """
                SELECT id, current_attempt FROM tasks WHERE assigned_worker = ? AND state IN ('assigned', 'running')
                ORDER BY id
                """, arguments: [workerID])
            let report = try Self.lose(held, reason: reason, charged: charged, time: now.timeIntervalSince1970, db: db)
            try db.execute(sql: "UPDATE workers SET state = 'dead' WHERE id = ?", arguments: [workerID])
            return report
        }
    }

    /// Ends the current attempts of `held` (rows of task id and attempt) as lost, through ``apply``.
    static func lose(_ held: [Row], reason: String, charged: Bool, time: Double, db: Database) throws -> LossReport {
        let changes = held.map { row in StateChange.lost(taskID: row[0], attempt: row[1], reason: reason, charged: charged) }
        var report = LossReport()
        for (change, outcome) in zip(changes, try apply(changes, time: time, db: db)) {
            guard let id = change.taskID else { continue }
            switch outcome {
            case .task(.queued): report.requeued.append(id)
            case .task(.failed): report.failed.append(id)
            default: break
            }
        }
        return report
    }

    public func cancelJob(_ jobID: String, now: Date) throws -> [String] {
        let time = now.timeIntervalSince1970
        return try write { db in
            guard let raw = try String.fetchOne(db, sql: "SELECT state FROM jobs WHERE id = ?", arguments: [jobID]) else {
                throw PersistenceError.jobNotFound(jobID)
            }
            guard !(try Self.decodeState(raw, JobState.self)).isTerminal else { return [] }
            let held = try Row.fetchAll(db, sql: """
                SELECT id, current_attempt FROM tasks WHERE job_id = ? AND state IN ('assigned', 'running') ORDER BY id
                """, arguments: [jobID])
            let cancelAttempt = try db.cachedStatement(sql: """
                UPDATE attempts SET outcome = 'cancelled', ended_at = ? WHERE task_id = ? AND number = ?
                """)
            for row in held {
                try cancelAttempt.execute(arguments: [time, row[0] as String, row[1] as Int])
            }
            try db.execute(sql: """
                UPDATE tasks SET state = 'cancelled', assigned_worker = NULL
                WHERE job_id = ? AND state IN ('queued', 'assigned', 'running')
                """, arguments: [jobID])
            try db.execute(sql: "UPDATE frames SET state = 'cancelled' WHERE job_id = ? AND state = 'pending'",
                           arguments: [jobID])
            try db.execute(sql: """
                UPDATE jobs SET state = 'cancelled', tasks_finished = tasks_total, updated_at = ? WHERE id = ?
                """, arguments: [time, jobID])
            return held.map { $0[0] as String }
        }
    }

    public func recoverAfterRestart(now: Date) throws -> RecoveryReport {
        try write { db in
            let held = try Row.fetchAll(db, sql: """
                SELECT id, current_attempt FROM tasks WHERE state IN ('assigned', 'running') ORDER BY id
                """)
            // The coordinator stopped, not the task's worker: not charged to the task.
            let report = try Self.lose(held, reason: "coordinator restarted", charged: false,
                                       time: now.timeIntervalSince1970, db: db)
            try db.execute(sql: "UPDATE workers SET state = 'dead' WHERE state = 'alive'")
            return RecoveryReport(requeuedTasks: report.requeued.count, workersMarkedDead: db.changesCount)
        }
    }

    public func upsertWorker(_ worker: WorkerRecord) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO workers (id, hostname, cores, memory_bytes, engine_version, slots, last_seen, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    hostname = excluded.hostname, cores = excluded.cores, memory_bytes = excluded.memory_bytes,
                    engine_version = excluded.engine_version, slots = excluded.slots,
                    last_seen = excluded.last_seen, state = excluded.state
                """, arguments: [worker.id, worker.hostname, worker.cores, worker.memoryBytes, worker.engineVersion,
                                 worker.slots, worker.lastSeen.timeIntervalSince1970, worker.state.rawValue])
        }
    }

    @discardableResult
    public func recordHeartbeat(workerID: String, at time: Date) throws -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE workers SET last_seen = MAX(last_seen, ?) WHERE id = ?",
                           arguments: [time.timeIntervalSince1970, workerID])
            return db.changesCount > 0
        }
    }
}
