/// The states of jobs and frames by name, as the CLI prints them and the HTTP API writes them: one lower-case word.
extension Stylefarm_V1_JobState {
    public var name: String {
        switch self {
        case .queued: return "queued"
        case .running: return "running"
        case .paused: return "paused"
        case .completed: return "completed"
        case .failed: return "failed"
        case .cancelled: return "cancelled"
        case .unspecified, .UNRECOGNIZED: return "unknown"
        }
    }

    /// The state a name stands for (nil for anything else, `unknown` included).
    public init?(name: String) {
        guard let state = Self.allCases.first(where: { $0 != .unspecified && $0.name == name }) else { return nil }
        self = state
    }
}

extension Stylefarm_V1_FrameState {
    public var name: String {
        switch self {
        case .pending: return "pending"
        case .running: return "running"
        case .done: return "done"
        case .failed: return "failed"
        case .cancelled: return "cancelled"
        case .unspecified, .UNRECOGNIZED: return "unknown"
        }
    }
}
