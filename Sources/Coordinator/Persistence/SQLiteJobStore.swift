import Foundation
import GRDB

/// The ``JobStore`` in SQLite, through GRDB.
///
/// - ``init(path:)`` / ``init(stateDirectory:)``: a file, opened as a `DatabasePool` in WAL mode
///   (readers don't block the writer; `synchronous = NORMAL`, so a committed transaction survives a
///   coordinator crash, and at worst the last ones are lost on power failure; 64 MiB page cache).
/// - ``inMemory()``: `:memory:` through a `DatabaseQueue`, for tests; same code, same schema.
///
/// Opening runs the missing ``Migrations``. Each method is one write (or read) transaction; the
/// writer serializes them, so concurrent claims never hand out a task twice.
public final class SQLiteJobStore: JobStore {
    private let versionLock = NSLock()
    nonisolated(unsafe) private var committedWrites: UInt64 = 0
    /// Bumped by writes that do not say which jobs they touched; each job's own count, by those that do.
    nonisolated(unsafe) private var unattributedWrites: UInt64 = 0
    nonisolated(unsafe) private var jobWrites: [String: UInt64] = [:]
    /// The file name inside the coordinator's state folder.
    public static let fileName = "jobs.sqlite"

    let writer: any DatabaseWriter
    /// Tests only: every write transaction fails with this (a full disk, without filling one).
    var injectedWriteFailure: PersistenceError? {
        get { settingsLock.withLock { injected } }
        set { settingsLock.withLock { injected = newValue } }
    }
    /// Guards the two settings other threads may change: the injected fault and ``unhealthyAfter``.
    private let settingsLock = NSLock()
    nonisolated(unsafe) private var injected: PersistenceError?
    /// How many jobs that other workers render a worker must be blocklisted on, within ``unhealthyWindow``,
    /// to be marked unhealthy farm-wide (`--unhealthy-after`; default 3, 0: never).
    public var unhealthyAfter: Int {
        get { settingsLock.withLock { unhealthyThreshold } }
        set { settingsLock.withLock { unhealthyThreshold = max(0, newValue) } }
    }
    nonisolated(unsafe) private var unhealthyThreshold = 3
    /// The database file, or `nil` in memory.
    public let path: String?

    /// Opens (creating if needed) the store at `path`, in WAL mode, and migrates it.
    public convenience init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // 64 MiB of page cache: a farm's task tables stay in memory instead of re-read per batch.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch let error as DatabaseError where Self.meansCorrupt(error) {
            throw PersistenceError.corruptDatabase(path: path, detail: error.message ?? "\(error.resultCode)")
        } catch {
            throw PersistenceError.database("cannot open \(path): \(error)")
        }
        try Self.quickCheck(pool, path: path)
        try self.init(writer: pool, path: path)
    }

    /// SQLite before 3.41 (Debian 12 has 3.40.1) reports "NULL value in T.C" from `quick_check` for a WITHOUT ROWID
    /// table whose primary key lists its columns in another order than the table does (`task_dependencies`), with
    /// no NULL there (`integrity_check` says ok). Such a line is believed only when a query finds the NULL.
    static func isFalseNullReport(_ line: String, db: Database) throws -> Bool {
        let prefix = "NULL value in "
        guard line.hasPrefix(prefix) else { return false }
        let parts = line.dropFirst(prefix.count).split(separator: ".")
        guard parts.count == 2, parts.allSatisfy({ $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else { return false }
        let nulls = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(parts[0])\" WHERE \"\(parts[1])\" IS NULL") ?? 0
        return nulls == 0
    }

    /// SQLite's answer for a file that is not a database or whose pages are damaged.
    static func meansCorrupt(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT
    }

    /// `PRAGMA quick_check` (page structure, no index cross-check: seconds for a farm's database) before the
    /// coordinator trusts the file; a damaged one throws ``PersistenceError/corruptDatabase(path:detail:)``.
    static func quickCheck(_ pool: DatabasePool, path: String) throws {
        let problems: [String]
        do {
            problems = try pool.read { db in
                try String.fetchAll(db, sql: "PRAGMA quick_check(20)").filter { try !isFalseNullReport($0, db: db) }
            }
        } catch let error as DatabaseError where meansCorrupt(error) {
            throw PersistenceError.corruptDatabase(path: path, detail: error.message ?? "\(error.resultCode)")
        } catch {
            throw PersistenceError.database("cannot check \(path): \(error)")
        }
        guard problems.isEmpty || problems == ["ok"] else {
            throw PersistenceError.corruptDatabase(path: path, detail: "quick_check: " + problems.joined(separator: "; "))
        }
    }

    /// Opens the store in the coordinator's state folder (created if missing), as ``fileName``.
    public convenience init(stateDirectory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw PersistenceError.database("cannot create \(stateDirectory.path): \(error)")
        }
        try self.init(path: stateDirectory.appendingPathComponent(Self.fileName).path)
    }

    /// A fresh store in memory (`:memory:` through a `DatabaseQueue`).
    public static func inMemory() throws -> SQLiteJobStore {
        do {
            return try SQLiteJobStore(writer: DatabaseQueue(), path: nil)
        } catch let error as PersistenceError {
            throw error
        } catch {
            throw PersistenceError.database("cannot open an in-memory database: \(error)")
        }
    }

    private init(writer: any DatabaseWriter, path: String?) throws {
        self.writer = writer
        self.path = path
        do {
            try Migrations.migrator.migrate(writer)
        } catch let error as DatabaseError where Self.meansCorrupt(error) {
            throw PersistenceError.corruptDatabase(path: path ?? ":memory:", detail: error.message ?? "\(error.resultCode)")
        } catch {
            throw PersistenceError.database("migration failed: \(error)")
        }
    }

    /// Closes the database; further calls throw.
    public func close() throws {
        do { try writer.close() } catch { throw PersistenceError.database("close failed: \(error)") }
    }

    /// SQLite's journal mode (`wal` for a file store, `memory` in memory).
    public func journalMode() throws -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// The migrations applied, in order (`["v1", …]`).
    public func appliedMigrations() throws -> [String] {
        try read { db in try Migrations.migrator.appliedMigrations(db) }
    }

    // MARK: Transactions

    /// Bumped after every write transaction that committed (whatever it changed): an answer read at one value is
    /// still the store's answer while the value has not moved (`JobReadModel`'s cache).
    public var writeVersion: UInt64 { versionLock.withLock { committedWrites } }

    /// What a job's rows were at: it moves with every committed write that touched the job, and with every write
    /// that did not say which jobs it touched. An answer about the job read at one value holds while it has not moved.
    public func version(ofJob jobID: String) -> JobVersion {
        versionLock.withLock { JobVersion(unattributed: unattributedWrites, job: jobWrites[jobID] ?? 0) }
    }

    /// The jobs a write transaction touched, filled in by its body (the hot paths: state changes and claims).
    final class TouchedJobs { var ids = Set<String>() }

    /// One write transaction; errors other than ``PersistenceError`` become `.database`. `touched`: the jobs whose
    /// rows it changes, when the body records them; without it the write counts against every job's version.
    func write<T>(touching touched: TouchedJobs? = nil, _ body: (Database) throws -> T) throws -> T {
        if let failure = injectedWriteFailure { throw failure }
        do {
            let result = try writer.write(body)
            versionLock.withLock {
                committedWrites &+= 1
                if let touched {
                    for id in touched.ids { jobWrites[id, default: 0] &+= 1 }
                } else {
                    unattributedWrites &+= 1
                }
            }
            return result
        } catch let error as PersistenceError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw PersistenceError.invalidJob("constraint violated: \(error.message ?? "\(error)")")
        } catch {
            throw PersistenceError.database("\(error)")
        }
    }

    /// One read transaction.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.read(body)
        } catch let error as PersistenceError {
            throw error
        } catch {
            throw PersistenceError.database("\(error)")
        }
    }
}

/// A job's place in the store's write history (`SQLiteJobStore.version(ofJob:)`).
public struct JobVersion: Hashable, Sendable {
    var unattributed: UInt64
    var job: UInt64
}
