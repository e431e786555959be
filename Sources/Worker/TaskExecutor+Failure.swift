import Protocol

extension TaskExecutor {
    /// The failure report for an error thrown by `execute`: its kind, a message, and whether another
    /// attempt (possibly on another worker) could succeed. Bad inputs, invalid parameters and engine
    /// errors are not retryable; missing blobs, I/O and memory trouble are.
    public static func failure(for error: Error, task: Stylefarm_V1_TaskAssignment) -> Stylefarm_V1_Failure {
        var failure = Stylefarm_V1_Failure()
        failure.taskID = task.taskID
        failure.attempt = task.attempt
        failure.message = String(describing: error)
        let (kind, retryable): (Stylefarm_V1_FailureKind, Bool)
        switch error {
        case let error as TaskExecutionError:
            switch error {
            case .invalidParameters, .unsupportedTaskKind, .badInput: (kind, retryable) = (.invalidTask, false)
            case .missingBlob: (kind, retryable) = (.missingBlob, true)
            case .engine: (kind, retryable) = (.engine, false)
            case .output: (kind, retryable) = (.io, true)
            case .storageFull: (kind, retryable) = (.storageFull, true)
            case .outOfMemory: (kind, retryable) = (.outOfMemory, true)
            case .missingModel: (kind, retryable) = (.missingModel, true)
            case .cancelled: (kind, retryable) = (.cancelled, false)
            }
        case let error as BlobStoreError:
            switch error {
            case .missing: (kind, retryable) = (.missingBlob, true)
            case .invalidHash: (kind, retryable) = (.invalidTask, false)
            case .hashMismatch, .io: (kind, retryable) = (.io, true)
            }
        default:
            (kind, retryable) = (.internal, true)
        }
        failure.kind = kind
        failure.retryable = retryable
        return failure
    }
}
