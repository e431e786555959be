/// Errors of the worker's content-addressed blob storage.
public enum BlobStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A name that is not 64 lowercase hex digits (it could otherwise escape the cache folder).
    case invalidHash(String)
    /// The blob is not stored (or was corrupt and has been deleted).
    case missing(String)
    /// `put(_:expecting:)` got bytes whose SHA-256 differs from the announced one.
    case hashMismatch(expected: String, actual: String)
    /// A file-system operation failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidHash(let h): return "not a SHA-256 hex name: \(h.prefix(80))"
        case .missing(let h): return "blob \(h) is not available"
        case .hashMismatch(let e, let a): return "blob bytes hash to \(a), expected \(e)"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}
