/// Everything wrong with a job spec, reported at once where practical. Each problem names the field
/// (the spec key, which is also the CLI flag name with `_` → `-`) and, for YAML files, its line.
public struct JobSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        /// The spec key concerned, or nil for the document as a whole.
        public var field: String?
        /// 1-based line in the spec file, when known.
        public var line: Int?
        /// What is wrong and what to do about it.
        public var message: String

        public init(field: String?, line: Int? = nil, message: String) {
            self.field = field; self.line = line; self.message = message
        }

        /// The CLI flag of `field` (`max_attempts` → `--max-attempts`), for reporting flag problems.
        public var flag: String? { field.map { "--" + String($0.map { $0 == "_" ? "-" : $0 }) } }

        public var description: String {
            let location = [line.map { "line \($0)" }, field].compactMap { $0 }.joined(separator: ", ")
            return location.isEmpty ? message : "\(location): \(message)"
        }
    }

    /// The spec file, when the spec came from one.
    public var source: String?
    public var problems: [Problem]

    public init(source: String? = nil, problems: [Problem]) {
        self.source = source; self.problems = problems
    }

    /// The fields with problems, in report order (handy for tests and UIs).
    public var fields: [String?] { problems.map(\.field) }

    public var description: String {
        let header = "invalid job spec" + (source.map { " \($0)" } ?? "")
        if problems.count == 1 { return "\(header): \(problems[0])" }
        return ([header + " (\(problems.count) problems):"] + problems.map { "  - \($0)" }).joined(separator: "\n")
    }
}
