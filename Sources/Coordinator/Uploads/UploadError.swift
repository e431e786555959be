import Protocol

/// Why an upload request was refused (`UploadStore`); each case says what to do, and maps to the client
/// error code the coordinator answers with.
enum UploadError: Error, Equatable, CustomStringConvertible {
    /// The request itself is wrong (a bad name or path, a chunk out of order, bytes that do not match their name).
    case invalid(String)
    /// A limit of this coordinator (blob size, disk space, open uploads, files per checkout).
    case exhausted(String)
    /// A checkout names a blob the store does not have, or an unknown checkout.
    case notFound(String)
    /// Another key's checkout.
    case denied(String)
    /// The coordinator could not read or write its upload store.
    case io(String)

    var description: String {
        switch self {
        case .invalid(let m), .exhausted(let m), .notFound(let m), .denied(let m), .io(let m): return m
        }
    }

    var code: Stylefarm_V1_ClientError.Code {
        switch self {
        case .invalid: return .invalidArgument
        case .exhausted: return .resourceExhausted
        case .notFound: return .notFound
        case .denied: return .permissionDenied
        case .io: return .internal
        }
    }
}
