/// What a job's tasks do.
public enum JobKind: String, Codable, Sendable, CaseIterable {
    /// Neural style transfer of every frame (the default).
    case stylize
    /// Diagnostic tasks that only sleep for `echo_seconds` (like Flamenco's echo-sleep test job):
    /// they exercise the farm without images or weights.
    case echo
}
