/// Why a task could not be executed. `TaskExecutor.failure(for:task:)` turns each case into a
/// `Stylefarm_V1_Failure` with a kind and a retryable flag.
public enum TaskExecutionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The parameters are impossible (zero size, unknown enum value, wrong style-weight count...): retrying
    /// on another worker gives the same answer.
    case invalidParameters(String)
    /// The task kind is unspecified or unknown to this worker.
    case unsupportedTaskKind(Int)
    /// An input blob is neither cached nor obtainable right now (`role` says which: "content", "style 2"...).
    case missingBlob(sha256: String, role: String)
    /// An input's bytes are not a usable image or target blob; `input` names it (job, frame, role).
    case badInput(input: String, reason: String)
    /// The engine threw while stylizing.
    case engine(String)
    /// The output could not be encoded or stored.
    case output(String)
    /// The output's filesystem is full (or its quota used up): not the task's fault, and no other attempt can
    /// help until space is freed — the coordinator pauses the job instead of counting the attempt.
    case storageFull(String)
    /// Not enough memory to decode, run or encode.
    case outOfMemory(String)
    /// A model the task needs (a segmentation network) is not installed on this worker; the message says
    /// how to install it. Another worker may have it.
    case missingModel(String)
    /// The task was cancelled (by the coordinator or the worker shutting down).
    case cancelled

    public var description: String {
        switch self {
        case .invalidParameters(let m): return "invalid parameters: \(m)"
        case .unsupportedTaskKind(let k): return "unsupported task kind \(k)"
        case .missingBlob(let hash, let role): return "missing \(role) blob \(hash)"
        case .badInput(let input, let reason): return "\(input): \(reason)"
        case .engine(let m): return "engine error: \(m)"
        case .output(let m): return "cannot store the output: \(m)"
        case .storageFull(let m): return "no space for the output: \(m)"
        case .outOfMemory(let m): return "out of memory: \(m)"
        case .missingModel(let m): return "missing model: \(m)"
        case .cancelled: return "cancelled"
        }
    }
}
