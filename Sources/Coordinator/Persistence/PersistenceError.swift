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
    /// SQLite reported an error (opening, migrating, writing).
    public static func database(_ message: String) -> PersistenceError { .init(.database(message)) }

    /// Whether the store refused this for good (an unknown job or task, an inconsistent job, a corrupt row):
    /// trying the same again cannot succeed. Database errors (a full disk, I/O) may pass.
    public var isRefusal: Bool {
        switch base {
        case .jobNotFound, .taskNotFound, .duplicateJob, .invalidJob, .corruptRecord: return true
        case .database: return false
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
        }
    }
}
