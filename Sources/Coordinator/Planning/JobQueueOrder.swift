/// Queue order of jobs (or their tasks): higher priority first, and first-come-first-served within
/// equal priority by submission sequence. `a < b` means `a` runs before `b`.
public struct JobQueueOrder: Sendable, Hashable, Comparable {
    /// 0–100, higher first.
    public var priority: Int
    /// Submission sequence number (monotonic per coordinator), lower first.
    public var sequence: Int64

    public init(priority: Int, sequence: Int64) { self.priority = priority; self.sequence = sequence }

    public static func < (a: JobQueueOrder, b: JobQueueOrder) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : a.sequence < b.sequence
    }

    /// `items` in queue order (stable for equal keys).
    public static func sorted<T>(_ items: [T], by order: (T) -> JobQueueOrder) -> [T] {
        items.enumerated().sorted { l, r in
            let a = order(l.element), b = order(r.element)
            return a != b ? a < b : l.offset < r.offset
        }.map(\.element)
    }
}
