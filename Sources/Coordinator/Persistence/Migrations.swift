import GRDB

/// The job store's schema, as numbered migrations (`v1`, `v2`, …). A migration, once released, is
/// never edited: changes go in a new one. GRDB records applied migrations in `grdb_migrations`, so
/// opening a store runs only the ones it lacks.
///
/// Times are stored as seconds since 1970 (REAL); states as their raw strings, checked by `CHECK`.
enum Migrations {
    /// The migrator with every migration registered.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try v1(db) }
        migrator.registerMigration("v2") { db in try v2(db) }
        migrator.registerMigration("v3") { db in try v3(db) }
        migrator.registerMigration("v4") { db in try v4(db) }
        migrator.registerMigration("v5") { db in try v5(db) }
        migrator.registerMigration("v6") { db in try v6(db) }
        migrator.registerMigration("v7") { db in try v7(db) }
        return migrator
    }

    /// v1: jobs, frames, tasks, attempts, workers and the dispatch index.
    static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                spec BLOB NOT NULL,
                priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 100),
                sequence INTEGER NOT NULL UNIQUE,
                state TEXT NOT NULL CHECK (state IN ('queued','running','completed','failed','cancelled')),
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                style_targets_hash TEXT NOT NULL,
                -- counters for the rollup: tasks in all, tasks finished (completed/failed/cancelled), failed
                tasks_total INTEGER NOT NULL DEFAULT 0,
                tasks_finished INTEGER NOT NULL DEFAULT 0,
                tasks_failed INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX jobs_order ON jobs(priority DESC, sequence);

            CREATE TABLE frames (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                frame_index INTEGER NOT NULL,
                output_path TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending','done','failed','cancelled')),
                result_sha256 TEXT,
                -- counters for the rollup: the frame is done when every task completed
                tasks_total INTEGER NOT NULL DEFAULT 0,
                tasks_completed INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (job_id, frame_index)
            ) WITHOUT ROWID;

            -- job_priority and job_sequence copy the job's, so the dispatch query is one index scan.
            CREATE TABLE tasks (
                id TEXT PRIMARY KEY NOT NULL,
                job_id TEXT NOT NULL,
                frame_index INTEGER NOT NULL,
                region_x INTEGER NOT NULL,
                region_y INTEGER NOT NULL,
                region_w INTEGER NOT NULL,
                region_h INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('queued','assigned','running','completed','failed','cancelled')),
                attempts_used INTEGER NOT NULL DEFAULT 0,
                max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
                current_attempt INTEGER NOT NULL DEFAULT 0,
                assigned_worker TEXT,
                last_error TEXT,
                result_sha256 TEXT,
                job_priority INTEGER NOT NULL,
                job_sequence INTEGER NOT NULL,
                FOREIGN KEY (job_id, frame_index) REFERENCES frames(job_id, frame_index) ON DELETE CASCADE
            ) WITHOUT ROWID;
            CREATE INDEX tasks_dispatch ON tasks(job_priority DESC, job_sequence, frame_index, id)
                WHERE state = 'queued';
            CREATE INDEX tasks_by_worker ON tasks(assigned_worker) WHERE state IN ('assigned','running');
            CREATE INDEX tasks_by_job ON tasks(job_id, frame_index);

            CREATE TABLE attempts (
                task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                number INTEGER NOT NULL,
                worker_id TEXT NOT NULL,
                started_at REAL NOT NULL,
                ended_at REAL,
                outcome TEXT NOT NULL CHECK (outcome IN ('pending','succeeded','failed','lost','cancelled')),
                error_message TEXT,
                PRIMARY KEY (task_id, number)
            ) WITHOUT ROWID;

            CREATE TABLE workers (
                id TEXT PRIMARY KEY NOT NULL,
                hostname TEXT NOT NULL,
                cores INTEGER NOT NULL,
                memory_bytes INTEGER NOT NULL,
                engine_version TEXT NOT NULL,
                slots INTEGER NOT NULL,
                last_seen REAL NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('alive','dead'))
            );
            """)
    }

    /// v2: task dependencies (temporal strategies: a frame's flow before its stylization, frame t−1
    /// before t, sweep k−1 before sweep k). `tasks.waiting` counts a task's unfinished prerequisites; only
    /// tasks with none are dispatched. `tasks.produces_output` marks the task whose result is its frame's
    /// output (a frame may also have flow tasks and intermediate sweeps).
    static func v2(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE tasks ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE tasks ADD COLUMN produces_output INTEGER NOT NULL DEFAULT 1;
            CREATE TABLE task_dependencies (
                task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                prerequisite_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                PRIMARY KEY (prerequisite_id, task_id)
            ) WITHOUT ROWID;
            CREATE INDEX task_dependencies_by_task ON task_dependencies(task_id);
            DROP INDEX tasks_dispatch;
            CREATE INDEX tasks_dispatch ON tasks(job_priority DESC, job_sequence, frame_index, id)
                WHERE state = 'queued' AND waiting = 0;
            """)
    }

    /// v3: frames and tasks per job and state (`job_state_counts`), kept by triggers on every insert, state
    /// change and delete, so a job's summary (every `status` request, every watch tick, every `list` row)
    /// reads a handful of rows instead of counting the job's frames and tasks: `bench dispatch` polls status
    /// every 100 ms, and those counts made its cost per task grow with the queue (110 µs with 20,000 tasks,
    /// 277 µs with 200,000). Filled from the rows already stored.
    /// v4: who submitted each job (issue 17): the name of the client key, empty for jobs submitted without
    /// CurveZMQ (and for every job stored before).
    static func v4(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
    }

    static func v3(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE job_state_counts (
                job_id TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('frame','task')),
                state TEXT NOT NULL,
                count INTEGER NOT NULL,
                PRIMARY KEY (job_id, kind, state)
            ) WITHOUT ROWID;
            INSERT INTO job_state_counts SELECT job_id, 'frame', state, COUNT(*) FROM frames GROUP BY job_id, state;
            INSERT INTO job_state_counts SELECT job_id, 'task', state, COUNT(*) FROM tasks GROUP BY job_id, state;
            """)
        for (table, kind) in [("frames", "frame"), ("tasks", "task")] {
            func add(_ row: String) -> String {
                """
                INSERT INTO job_state_counts (job_id, kind, state, count) VALUES (\(row).job_id, '\(kind)', \(row).state, 1)
                    ON CONFLICT (job_id, kind, state) DO UPDATE SET count = count + 1;
                """
            }
            func remove(_ row: String) -> String {
                """
                UPDATE job_state_counts SET count = count - 1
                    WHERE job_id = \(row).job_id AND kind = '\(kind)' AND state = \(row).state;
                """
            }
            try db.execute(sql: """
                CREATE TRIGGER \(table)_count_insert AFTER INSERT ON \(table) BEGIN \(add("new")) END;
                CREATE TRIGGER \(table)_count_delete AFTER DELETE ON \(table) BEGIN \(remove("old")) END;
                CREATE TRIGGER \(table)_count_state AFTER UPDATE OF state ON \(table) WHEN old.state IS NOT new.state
                    BEGIN \(remove("old")) \(add("new")) END;
                """)
        }
    }

    /// v5: farm operations (issue 18).
    /// - `tasks.attempts_lost` / `tasks.max_lost`: losses charged to a task (its worker died holding it); at
    ///   `max_lost` the task fails instead of taking down worker after worker.
    /// - `jobs.paused_reason`: set while a job is paused (by a user, or by the coordinator when it cannot
    ///   write the job's outputs); NULL otherwise. A paused job's tasks carry `job_priority = -1`, and the
    ///   claim takes only `job_priority >= 0`: the dispatch index skips them without a join.
    /// - `worker_job_failures`: failed attempts per worker and job; a worker with `jobs.blocklist_threshold` of
    ///   them (0: never) is `blocked` and claims no more tasks of that job, until a requeue or unblock.
    /// - `attempts.log`: the log the worker shipped with the attempt's report (at most 256 KiB).
    /// - `attempts.outcome` may be `timeout` (an attempt that ran past its job's task timeout). SQLite cannot
    ///   change a CHECK constraint, so the table is built again with its rows.
    static func v5(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE tasks ADD COLUMN attempts_lost INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE tasks ADD COLUMN max_lost INTEGER NOT NULL DEFAULT 3 CHECK (max_lost >= 1);
            ALTER TABLE jobs ADD COLUMN paused_reason TEXT;
            ALTER TABLE jobs ADD COLUMN blocklist_threshold INTEGER NOT NULL DEFAULT 3;
            CREATE TABLE worker_job_failures (
                worker_id TEXT NOT NULL,
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                failures INTEGER NOT NULL,
                blocked INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (worker_id, job_id)
            ) WITHOUT ROWID;
            CREATE TABLE attempts_v5 (
                task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                number INTEGER NOT NULL,
                worker_id TEXT NOT NULL,
                started_at REAL NOT NULL,
                ended_at REAL,
                outcome TEXT NOT NULL CHECK (outcome IN ('pending','succeeded','failed','lost','cancelled','timeout')),
                error_message TEXT,
                log TEXT,
                PRIMARY KEY (task_id, number)
            ) WITHOUT ROWID;
            INSERT INTO attempts_v5 (task_id, number, worker_id, started_at, ended_at, outcome, error_message)
                SELECT task_id, number, worker_id, started_at, ended_at, outcome, error_message FROM attempts;
            DROP TABLE attempts;
            ALTER TABLE attempts_v5 RENAME TO attempts;
            """)
    }

    /// v6: unhealthy workers (issue 18).
    /// - `worker_job_failures.blocked_at`: when the worker was blocklisted for the job; blocks of the last
    ///   ``SQLiteJobStore/unhealthyWindow`` on jobs other workers render count toward marking it unhealthy.
    /// - `workers.unhealthy_reason`: set when a worker is marked unhealthy farm-wide (it claims no task of
    ///   any job until `stylefarm unblock --worker` clears it); NULL for a healthy worker. Registering again
    ///   does not clear it.
    static func v6(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE worker_job_failures ADD COLUMN blocked_at REAL;
            ALTER TABLE workers ADD COLUMN unhealthy_reason TEXT;
            """)
    }

    /// v7: what a job's detail shows of its renders (issue 19).
    /// - `attempts.wall_seconds`, `evaluations`, `peak_rss_bytes`, `loss_total`, `loss_content`, `loss_style`,
    ///   `loss_tv`: the worker's `TaskStats` on a succeeded attempt; NULL for every other attempt, and for
    ///   attempts stored before.
    /// - `frames.warp_error`, `frames.warp_certain`: the temporal warp error of the finished frame against its
    ///   finished predecessor, measured by the coordinator with the job's own flow (`WarpErrorMeter`), and the
    ///   fraction of the frame it was averaged over; NULL where unknown (the first frame, a cut, a job without flow).
    static func v7(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE attempts ADD COLUMN wall_seconds REAL;
            ALTER TABLE attempts ADD COLUMN evaluations INTEGER;
            ALTER TABLE attempts ADD COLUMN peak_rss_bytes INTEGER;
            ALTER TABLE attempts ADD COLUMN loss_total REAL;
            ALTER TABLE attempts ADD COLUMN loss_content REAL;
            ALTER TABLE attempts ADD COLUMN loss_style REAL;
            ALTER TABLE attempts ADD COLUMN loss_tv REAL;
            ALTER TABLE frames ADD COLUMN warp_error REAL;
            ALTER TABLE frames ADD COLUMN warp_certain REAL;
            """)
    }
}
