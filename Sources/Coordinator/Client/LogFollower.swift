import Foundation
import Protocol

/// Turns successive `TaskLogReply`s into the text a follower has not printed yet (`stylefarm logs --follow`).
/// A running attempt's reply carries the newest lines it sent and how many bytes it sent in all (`log_end`), so
/// only the new ones are printed; when the attempt ends, the rest of its stored log (the lines it wrote after its
/// last live message) and how it ended follow. Pure: the command polls and prints.
public struct LogFollower: Sendable {
    private struct Seen: Sendable {
        var frame: Int64
        var attempt: UInt32
        var printed: UInt64 = 0
        var ended = false
    }

    /// Prefix every line with its frame and attempt (following a whole job, where attempts interleave).
    public let prefixed: Bool
    private var seen: [String: Seen] = [:]

    public init(prefixed: Bool) { self.prefixed = prefixed }

    private static func key(_ a: Stylefarm_V1_AttemptLog) -> String { "\(a.taskID)#\(a.attempt)" }

    /// The text to print for `reply`'s attempts (whole lines, each ending in a newline).
    public mutating func take(_ reply: Stylefarm_V1_TaskLogReply) -> String {
        var out = ""
        for a in reply.attempts { out += take(a) }
        return out
    }

    /// The text to print for one attempt as it stands now.
    public mutating func take(_ a: Stylefarm_V1_AttemptLog) -> String {
        let key = Self.key(a)
        var out = ""
        var entry = seen[key] ?? Seen(frame: a.frame, attempt: a.attempt)
        guard !entry.ended else { return "" }
        let isNew = seen[key] == nil
        if isNew && !prefixed { out += "== frame \(a.frame), task \(a.taskID), attempt \(a.attempt) on \(a.workerID)" + (a.outcome == "pending" ? ": running ==\n" : " ==\n") }
        let text = Array(a.log.utf8)
        if a.outcome == "pending" {
            let end = max(a.logEnd, UInt64(text.count))
            let start = end - UInt64(text.count)
            if entry.printed < start { out += line(a, "… \(start - entry.printed) bytes not shown …") }
            let from = Int(max(entry.printed, start) - start)
            if from < text.count { out += lines(a, text[from...]) }
            entry.printed = max(entry.printed, end)
        } else {
            // The stored log repeats the live lines (when it was not cut); print what follows them.
            let from = Int(min(entry.printed, UInt64(text.count)))
            if from < text.count { out += lines(a, text[from...]) }
            if !a.error.isEmpty { out += line(a, "error: \(a.error)") }
            if text.isEmpty && isNew {
                out += line(a, "(no log: \(a.outcome == "lost" ? "the worker was lost before it reported" : "the worker sent none"))")
            }
            let took = a.endedUnixMs > 0 ? String(format: " after %.1f s", Double(a.endedUnixMs - a.startedUnixMs) / 1000) : ""
            out += prefixed ? line(a, "== \(a.outcome)\(took) ==") : "== attempt \(a.attempt) ended: \(a.outcome)\(took) ==\n"
            entry.ended = true
        }
        seen[key] = entry
        return out
    }

    /// Attempts seen running that `reply` (of running attempts only) no longer lists: they ended, and their
    /// stored logs should be asked for and passed to ``take(_:)-(Stylefarm_V1_AttemptLog)``.
    public func ended(since reply: Stylefarm_V1_TaskLogReply) -> [(frame: Int64, attempt: UInt32)] {
        let running = Set(reply.attempts.map(Self.key))
        return seen.filter { !$0.value.ended && !running.contains($0.key) }.sorted { $0.key < $1.key }
            .map { ($0.value.frame, $0.value.attempt) }
    }

    /// Marks an attempt ended without printing more (its stored log could not be read).
    public mutating func forget(frame: Int64, attempt: UInt32) {
        for (key, value) in seen where value.frame == frame && value.attempt == attempt { seen[key]?.ended = true }
    }

    private func line(_ a: Stylefarm_V1_AttemptLog, _ text: String) -> String {
        (prefixed ? "[frame \(a.frame) #\(a.attempt)] " : "") + text + "\n"
    }

    private func lines(_ a: Stylefarm_V1_AttemptLog, _ bytes: ArraySlice<UInt8>) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        guard prefixed else { return text + "\n" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line(a, String($0)) }.joined()
    }

    /// Whether a follower of one frame is done: nothing of it runs and it is finished (or its job is).
    public static func frameFinished(_ reply: Stylefarm_V1_TaskLogReply) -> Bool {
        guard !reply.attempts.contains(where: { $0.outcome == "pending" }) else { return false }
        return [.done, .failed, .cancelled].contains(reply.frameState) || jobFinished(reply)
    }

    /// Whether the reply's job reached an end state.
    public static func jobFinished(_ reply: Stylefarm_V1_TaskLogReply) -> Bool {
        [.completed, .failed, .cancelled].contains(reply.jobState)
    }
}
