import Foundation

/// What running attempts logged so far, from their workers' `LogLines` (`stylefarm logs --follow`): per task,
/// the current attempt's last ``maxBytes`` of lines and how many bytes arrived in all, so a client that polls
/// prints only what is new. An entry ends with its attempt (``end(_:)``, ``endAll(of:)``); the finished log is
/// the one the worker ships with its report, kept by the store. Pure: the server feeds it.
struct LiveTaskLogs: Sendable {
    /// The most bytes kept per attempt (the newest lines).
    static let maxBytes = 256 << 10

    struct Entry: Sendable, Equatable {
        var attempt: Int
        var workerID: String
        /// The newest lines, each ending in a newline.
        var text: [UInt8] = []
        /// Bytes received for the attempt in all (`text` ends there).
        var received: UInt64 = 0
    }

    private(set) var entries: [String: Entry] = [:]
    private let maxBytes: Int

    init(maxBytes: Int = LiveTaskLogs.maxBytes) { self.maxBytes = max(64, maxBytes) }

    /// Adds lines `text` (newline-separated) of `attempt` of `taskID` from its holder `workerID`, after a marker
    /// when the worker left `linesLeftOut` lines out. A later attempt replaces an earlier one's entry.
    mutating func append(taskID: String, attempt: Int, workerID: String, text: String, linesLeftOut: Int) {
        var entry = entries[taskID] ?? Entry(attempt: attempt, workerID: workerID)
        if entry.attempt != attempt || entry.workerID != workerID { entry = Entry(attempt: attempt, workerID: workerID) }
        var added: [UInt8] = []
        if linesLeftOut > 0 { added += Array("… \(linesLeftOut) line(s) left out …\n".utf8) }
        if !text.isEmpty {
            added += Array(text.utf8)
            if added.last != UInt8(ascii: "\n") { added.append(UInt8(ascii: "\n")) }
        }
        guard !added.isEmpty else { return }
        entry.received += UInt64(added.count)
        entry.text += added
        if entry.text.count > maxBytes {
            // Drop whole lines from the front.
            var cut = entry.text.count - maxBytes
            while cut < entry.text.count, entry.text[cut - 1] != UInt8(ascii: "\n") { cut += 1 }
            entry.text.removeFirst(cut)
        }
        entries[taskID] = entry
    }

    /// The live log of `attempt` of `taskID`, if that attempt is the one running.
    func log(of taskID: String, attempt: Int) -> Entry? {
        guard let entry = entries[taskID], entry.attempt == attempt else { return nil }
        return entry
    }

    /// The attempt running `taskID` ended (its report came, it was withdrawn).
    mutating func end(_ taskID: String) { entries[taskID] = nil }

    /// `workerID` is gone: the attempts it ran end.
    mutating func endAll(of workerID: String) { entries = entries.filter { $0.value.workerID != workerID } }
}
