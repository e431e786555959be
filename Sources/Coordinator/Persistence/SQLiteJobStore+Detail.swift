import Foundation
import GRDB

/// Reads for a job's detail (the HTTP API's job and frame pages, `stylefarm status`): what each frame's renders
/// took, and a frame's tasks with their attempts.
extension SQLiteJobStore {
    /// Every frame's render statistics (`indices` nil), or these frames': one grouped query over the job's attempts.
    public func frameRenderStats(ofJob jobID: String, indices: [Int]? = nil) throws -> [Int: FrameRenderStats] {
        try read { db in
            var stats: [Int: FrameRenderStats] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT t.frame_index, MIN(a.started_at), MAX(a.ended_at),
                       TOTAL(CASE WHEN a.outcome = 'succeeded' THEN a.wall_seconds END),
                       TOTAL(CASE WHEN a.outcome = 'succeeded' THEN a.evaluations END),
                       COUNT(CASE WHEN t.produces_output AND a.outcome = 'succeeded' AND a.wall_seconds IS NOT NULL THEN 1 END),
                       TOTAL(CASE WHEN t.produces_output AND a.outcome = 'succeeded' THEN a.loss_total END),
                       TOTAL(CASE WHEN t.produces_output AND a.outcome = 'succeeded' THEN a.loss_content END),
                       TOTAL(CASE WHEN t.produces_output AND a.outcome = 'succeeded' THEN a.loss_style END),
                       TOTAL(CASE WHEN t.produces_output AND a.outcome = 'succeeded' THEN a.loss_tv END),
                       MAX(CASE WHEN a.outcome = 'pending' THEN 1 ELSE 0 END)
                FROM tasks AS t JOIN attempts AS a ON a.task_id = t.id
                WHERE t.job_id = ?1 AND (?2 IS NULL OR t.frame_index IN (SELECT value FROM json_each(?2)))
                GROUP BY t.frame_index
                """), arguments: [jobID, indices.map { Self.jsonArray($0).json }]) {
                let index: Int = row[0]
                let reported: Int = row[5]
                let running: Bool = row[10]
                stats[index] = FrameRenderStats(
                    frameIndex: index, startedAt: (row[1] as Double?).map(Self.date),
                    endedAt: running ? nil : (row[2] as Double?).map(Self.date),
                    renderSeconds: row[3], evaluations: Int(row[4] as Double),
                    losses: reported == 0 ? nil : AttemptStats(wallSeconds: row[3], evaluations: Int(row[4] as Double),
                                                               peakRSSBytes: 0, lossTotal: row[6], lossContent: row[7],
                                                               lossStyle: row[8], lossTV: row[9]))
            }
            return stats
        }
    }

    /// ``aliasedAttemptColumns`` with NULL for the log (up to 256 KiB an attempt, read only when asked for).
    static let aliasedAttemptColumnsWithoutLog = aliasedAttemptColumns.replacingOccurrences(of: "a.log,", with: "NULL,")

    /// One frame's tasks (by id) with every attempt of each (by number), logs left out.
    public func tasksWithAttempts(ofJob jobID: String, frameIndex: Int) throws -> [(task: TaskRecord, attempts: [AttemptRecord])] {
        try read { db in
            let tasks = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.taskColumns) FROM tasks WHERE job_id = ?1 AND frame_index = ?2 ORDER BY id
                """), arguments: [jobID, frameIndex]).map(Self.decodeTask)
            var attempts: [String: [AttemptRecord]] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.aliasedAttemptColumnsWithoutLog) FROM tasks AS t JOIN attempts AS a ON a.task_id = t.id
                WHERE t.job_id = ?1 AND t.frame_index = ?2 ORDER BY a.task_id, a.number
                """), arguments: [jobID, frameIndex]) {
                let attempt = try Self.decodeAttempt(row)
                attempts[attempt.taskID, default: []].append(attempt)
            }
            return tasks.map { ($0, attempts[$0.id] ?? []) }
        }
    }
}
