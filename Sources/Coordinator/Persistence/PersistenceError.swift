/// Errors from a ``JobStore``. A struct over a private enum, so new cases don't break callers;
/// compare with the static members (`error == .jobNotFound("a")`).
public struct PersistenceError: Error, Hashable, CustomStringConvertible {
    private enum Base: Hashable {
        case jobNotFound(String)
        case taskNotFound(String)
        case duplicateJob(String)
        case invalidJob(String)
        case corruptRecord(String)
        case database(String)
        case corruptDatabase(path: String, detail: String)
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// No job has this id.
    public static func jobNotFound(_ id: String) -> PersistenceError { .init(.jobNotFound(id)) }
    /// No task has this id.
    public static func taskNotFound(_ id: String) -> PersistenceError { .init(.taskNotFound(id)) }
    /// A job with this id already exists.
    public static func duplicateJob(_ id: String) -> PersistenceError { .init(.duplicateJob(id)) }
    /// The job, its frames or its tasks are inconsistent (the message says how); nothing was stored.
    public static func invalidJob(_ reason: String) -> PersistenceError { .init(.invalidJob(reason)) }
    /// A stored row holds a value this version does not understand (e.g. an unknown state).
    public static func corruptRecord(_ reason: String) -> PersistenceError { .init(.corruptRecord(reason)) }
    /// The database file is damaged (not a database, or `PRAGMA quick_check` found errors): the coordinator
    /// must not start on it. The message says where it is and what to do.
    public static func corruptDatabase(path: String, detail: String) -> PersistenceError {
        .init(.corruptDatabase(path: path, detail: detail))
    }
    /// Whether this is ``corruptDatabase(path:detail:)``.
    public var isCorruptDatabase: Bool {
        if case .corruptDatabase = base { return true }
        return false
    }
    /// SQLite reported an error (opening, migrating, writing).
    public static func database(_ message: String) -> PersistenceError { .init(.database(message)) }

    /// Whether the store refused this for good (an unknown job or task, an inconsistent job, a corrupt row):
    /// trying the same again cannot succeed. Database errors (a full disk, I/O) may pass.
    public var isRefusal: Bool {
        switch base {
        case .jobNotFound, .taskNotFound, .duplicateJob, .invalidJob, .corruptRecord: return true
        case .database, .corruptDatabase: return false
        }
    }

    public var description: String {
        switch base {
        case .jobNotFound(let id): return "no job with id '\(id)'"
        case .taskNotFound(let id): return "no task with id '\(id)'"
        case .duplicateJob(let id): return "a job with id '\(id)' already exists"
        case .invalidJob(let reason): return "invalid job: \(reason)"
        case .corruptRecord(let reason): return "corrupt record: \(reason)"
        case .database(let message): return "database error: \(message)"
        case .corruptDatabase(let path, let detail):
            return "the job database \(path) is damaged (\(detail)); move it aside and restore a backup (or start afresh: "
                + "jobs in it are lost, outputs on disk are kept)"
        }
    }
}
