import Foundation
import GRDB

/// Worker health (issue 18): a worker blocklisted on ``unhealthyAfter`` jobs that other workers render, within
/// ``unhealthyWindow``, fails what the farm can do and is marked unhealthy farm-wide: it claims nothing until a
/// wrangler clears it (`stylefarm unblock --worker W`). Blocks on jobs no other worker has rendered a task of
/// do not count — a broken job fails everywhere and must not take the farm's workers down with it.
extension SQLiteJobStore {
    /// Blocks older than this (a day) no longer count toward marking a worker unhealthy.
    public static let unhealthyWindow: TimeInterval = 86_400

    /// Called in the transaction that blocklisted `worker` for a job: marks it unhealthy when it is now
    /// blocklisted on `unhealthyAfter` recent jobs that another worker completed a task of. Runs only when a
    /// block is new (rare); the `EXISTS` stops at the first task another worker completed.
    static func judgeHealth(of worker: String, unhealthyAfter: Int, time: Double, db: Database) throws {
        guard unhealthyAfter > 0 else { return }
        let jobs = try String.fetchAll(db.cachedStatement(sql: """
            SELECT f.job_id FROM worker_job_failures AS f
            WHERE f.worker_id = ?1 AND f.blocked AND f.blocked_at >= ?2
              AND EXISTS (SELECT 1 FROM tasks AS t JOIN attempts AS a ON a.task_id = t.id AND a.number = t.current_attempt
                          WHERE t.job_id = f.job_id AND t.state = 'completed' AND a.worker_id <> ?1)
            ORDER BY f.blocked_at, f.job_id
            """), arguments: [worker, time - unhealthyWindow])
        guard jobs.count >= unhealthyAfter else { return }
        let reason = "blocklisted on \(jobs.count) jobs that other workers render (\(jobs.joined(separator: ", ")))"
        try db.cachedStatement(sql: "UPDATE workers SET unhealthy_reason = ?2 WHERE id = ?1 AND unhealthy_reason IS NULL")
            .execute(arguments: [worker, reason])
    }

    /// The workers marked unhealthy, id → reason.
    public func unhealthyWorkers() throws -> [String: String] {
        try read { db in
            var found: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, unhealthy_reason FROM workers WHERE unhealthy_reason IS NOT NULL") {
                found[row[0]] = row[1]
            }
            return found
        }
    }

    /// Clears `worker`'s unhealthy mark and every job blocklist it is on; returns whether the worker is known.
    /// Its earlier blocks no longer count toward marking it again.
    public func reinstateWorker(_ worker: String) throws -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE workers SET unhealthy_reason = NULL WHERE id = ?", arguments: [worker])
            let known = db.changesCount > 0
            try db.execute(sql: "DELETE FROM worker_job_failures WHERE worker_id = ?", arguments: [worker])
            return known
        }
    }

    /// The jobs each worker is blocklisted on, worker id → job ids (sorted).
    public func blockedJobsByWorker() throws -> [String: [String]] {
        try read { db in
            var found: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT worker_id, job_id FROM worker_job_failures WHERE blocked ORDER BY worker_id, job_id") {
                found[row[0], default: []].append(row[1])
            }
            return found
        }
    }
}
