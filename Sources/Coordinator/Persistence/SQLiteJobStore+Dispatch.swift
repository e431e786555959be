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
                                  style_targets_hash, tasks_total)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [stored.id, stored.name, stored.spec, stored.priority, stored.sequence,
                                 stored.state.rawValue, now.timeIntervalSince1970, now.timeIntervalSince1970,
                                 stored.styleTargetsHash, tasks.count])
            let insertFrame = try db.cachedStatement(sql: """
                INSERT INTO frames (job_id, frame_index, output_path, state, tasks_total) VALUES (?, ?, ?, 'pending', ?)
                """)
            for frame in frames {
                try insertFrame.execute(arguments: [job.id, frame.index, frame.outputPath, tasksPerFrame[frame.index] ?? 0])
            }
            let insertTask = try db.cachedStatement(sql: """
                INSERT INTO tasks (id, job_id, frame_index, region_x, region_y, region_w, region_h, state,
                                   max_attempts, job_priority, job_sequence)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
                """)
            for task in tasks {
                try insertTask.execute(arguments: [task.id, job.id, task.frameIndex, task.region.x, task.region.y,
                                                   task.region.width, task.region.height, task.maxAttempts,
                                                   stored.priority, stored.sequence])
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
            guard task.maxAttempts >= 1 else {
                throw PersistenceError.invalidJob("task '\(task.id)' allows \(task.maxAttempts) attempts")
            }
            guard taskIDs.insert(task.id).inserted else {
                throw PersistenceError.invalidJob("task '\(task.id)' appears twice")
            }
        }
    }

    public func claimTasks(for workerID: String, max: Int, now: Date) throws -> [TaskClaim] {
        guard max > 0 else { return [] }
        return try write { db in
            let queued = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.taskColumns) FROM tasks WHERE state = 'queued'
                ORDER BY job_priority DESC, job_sequence, frame_index, id LIMIT ?
                """), arguments: [max]).map(Self.decodeTask)
            let assign = try db.cachedStatement(sql: """
                UPDATE tasks SET state = 'assigned', current_attempt = ?, assigned_worker = ? WHERE id = ?
                """)
            let record = try db.cachedStatement(sql: """
                INSERT INTO attempts (task_id, number, worker_id, started_at, outcome) VALUES (?, ?, ?, ?, 'pending')
                """)
            var claims: [TaskClaim] = []
            claims.reserveCapacity(queued.count)
            var jobs = Set<String>()
            for var task in queued {
                var machine = TaskStateMachine(state: task.state, attempt: task.currentAttempt,
                                               attemptsUsed: task.attemptsUsed, maxAttempts: task.maxAttempts)
                guard case .assign(let attempt) = machine.assign() else { continue }
                try assign.execute(arguments: [attempt, workerID, task.id])
                try record.execute(arguments: [task.id, attempt, workerID, now.timeIntervalSince1970])
                task.state = machine.state
                task.currentAttempt = attempt
                task.assignedWorker = workerID
                claims.append(TaskClaim(task: task, attempt: attempt))
                jobs.insert(task.jobID)
            }
            let start = try db.cachedStatement(sql: """
                UPDATE jobs SET state = 'running', updated_at = ? WHERE id = ? AND state = 'queued'
                """)
            for job in jobs { try start.execute(arguments: [now.timeIntervalSince1970, job]) }
            return claims
        }
    }

    public func apply(_ changes: [StateChange], now: Date) throws -> [StateChangeOutcome] {
        guard !changes.isEmpty else { return [] }
        let time = now.timeIntervalSince1970
        return try write { db in
            let load = try db.cachedStatement(sql: """
                SELECT state, current_attempt, attempts_used, max_attempts, job_id, frame_index
                FROM tasks WHERE id = ?
                """)
            let setRunning = try db.cachedStatement(sql: "UPDATE tasks SET state = 'running' WHERE id = ?")
            let setCompleted = try db.cachedStatement(sql: """
                UPDATE tasks SET state = 'completed', attempts_used = ?, result_sha256 = ?, assigned_worker = NULL
                WHERE id = ?
                """)
            let setRequeued = try db.cachedStatement(sql: """
                UPDATE tasks SET state = ?, attempts_used = ?, last_error = ?, assigned_worker = NULL WHERE id = ?
                """)
            let endAttempt = try db.cachedStatement(sql: """
                UPDATE attempts SET outcome = ?, ended_at = ?, error_message = ? WHERE task_id = ? AND number = ?
                """)
            let frameCompleted = try db.cachedStatement(sql: """
                UPDATE frames SET
                    tasks_completed = tasks_completed + 1,
                    state = CASE WHEN state = 'pending' AND tasks_completed + 1 >= tasks_total THEN 'done' ELSE state END,
                    result_sha256 = CASE WHEN tasks_total = 1 THEN ? ELSE result_sha256 END
                WHERE job_id = ? AND frame_index = ?
                """)
            let frameFailed = try db.cachedStatement(sql: """
                UPDATE frames SET state = 'failed' WHERE job_id = ? AND frame_index = ? AND state = 'pending'
                """)
            let frameAssembled = try db.cachedStatement(sql: """
                UPDATE frames SET result_sha256 = ? WHERE job_id = ? AND frame_index = ?
                """)

            var finished: [String: (count: Int, failed: Int)] = [:]
            var outcomes: [StateChangeOutcome] = []
            outcomes.reserveCapacity(changes.count)
            for change in changes {
                let taskID: String
                let attempt: Int
                switch change {
                case .frameAssembled(let jobID, let frameIndex, let sha256):
                    try frameAssembled.execute(arguments: [sha256, jobID, frameIndex])
                    guard db.changesCount > 0 else { throw PersistenceError.jobNotFound(jobID) }
                    outcomes.append(.frameRecorded)
                    continue
                case .started(let id, let number), .completed(let id, let number, _), .failed(let id, let number, _, _):
                    taskID = id
                    attempt = number
                }
                guard let row = try Row.fetchOne(load, arguments: [taskID]) else {
                    throw PersistenceError.taskNotFound(taskID)
                }
                let jobID: String = row[4]
                let frameIndex: Int = row[5]
                var machine = TaskStateMachine(state: try Self.decodeState(row[0], TaskState.self), attempt: row[1],
                                               attemptsUsed: row[2], maxAttempts: row[3])
                switch change {
                case .started:
                    let action = machine.started(attempt: attempt)
                    guard case .start = action else { outcomes.append(Self.ignored(action)); continue }
                    try setRunning.execute(arguments: [taskID])
                case .completed(_, _, let sha256):
                    let action = machine.succeeded(attempt: attempt)
                    guard case .complete = action else { outcomes.append(Self.ignored(action)); continue }
                    try setCompleted.execute(arguments: [machine.attemptsUsed, sha256, taskID])
                    try endAttempt.execute(arguments: [AttemptOutcome.succeeded.rawValue, time, nil, taskID, attempt])
                    try frameCompleted.execute(arguments: [sha256, jobID, frameIndex])
                    finished[jobID, default: (0, 0)].count += 1
                case .failed(_, _, let error, let retryable):
                    let action = machine.failed(attempt: attempt, retryable: retryable)
                    switch action {
                    case .retry, .giveUp:
                        try setRequeued.execute(arguments: [machine.state.rawValue, machine.attemptsUsed, error, taskID])
                        try endAttempt.execute(arguments: [AttemptOutcome.failed.rawValue, time, error, taskID, attempt])
                        if action == .giveUp {
                            try frameFailed.execute(arguments: [jobID, frameIndex])
                            finished[jobID, default: (0, 0)].count += 1
                            finished[jobID, default: (0, 0)].failed += 1
                        }
                    default:
                        outcomes.append(Self.ignored(action))
                        continue
                    }
                case .frameAssembled:
                    continue
                }
                outcomes.append(.task(machine.state))
            }
            try Self.rollUp(finished, time: time, db: db)
            return outcomes
        }
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

    public func requeueTasks(ofWorker workerID: String, now: Date) throws -> [String] {
        try write { db in
            let held = try Row.fetchAll(db, sql: """
                SELECT \(Self.taskColumns) FROM tasks WHERE assigned_worker = ? AND state IN ('assigned', 'running')
                ORDER BY id
                """, arguments: [workerID]).map(Self.decodeTask)
            let requeued = try Self.loseAttempts(of: held, time: now.timeIntervalSince1970, db: db)
            try db.execute(sql: "UPDATE workers SET state = 'dead' WHERE id = ?", arguments: [workerID])
            return requeued
        }
    }

    /// Puts in-flight tasks back in the queue, their current attempts recorded as `lost`.
    static func loseAttempts(of held: [TaskRecord], time: Double, db: Database) throws -> [String] {
        let requeue = try db.cachedStatement(sql: "UPDATE tasks SET state = 'queued', assigned_worker = NULL WHERE id = ?")
        let lose = try db.cachedStatement(sql: """
            UPDATE attempts SET outcome = 'lost', ended_at = ? WHERE task_id = ? AND number = ?
            """)
        var requeued: [String] = []
        for task in held {
            var machine = TaskStateMachine(state: task.state, attempt: task.currentAttempt,
                                           attemptsUsed: task.attemptsUsed, maxAttempts: task.maxAttempts)
            guard case .requeue = machine.lost() else { continue }
            try requeue.execute(arguments: [task.id])
            try lose.execute(arguments: [time, task.id, task.currentAttempt])
            requeued.append(task.id)
        }
        return requeued
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
                SELECT \(Self.taskColumns) FROM tasks WHERE state IN ('assigned', 'running') ORDER BY id
                """).map(Self.decodeTask)
            let requeued = try Self.loseAttempts(of: held, time: now.timeIntervalSince1970, db: db)
            try db.execute(sql: "UPDATE workers SET state = 'dead' WHERE state = 'alive'")
            return RecoveryReport(requeuedTasks: requeued.count, workersMarkedDead: db.changesCount)
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
