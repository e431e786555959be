import Protocol

/// Flamenco's "upstream buffer": Results and Failures wait here until they could be sent to a registered
/// coordinator. Owned by the loop thread (not thread-safe). Progress is never buffered (it is stale by
/// the time the coordinator is back).
public struct Reporter {
    public private(set) var pending: [Stylefarm_V1_WorkerMessage] = []

    public init() {}

    /// Queues a Result or Failure.
    public mutating func submit(_ message: Stylefarm_V1_WorkerMessage) { pending.append(message) }

    /// Drops the reports of `taskID` (e.g. cancelled before they could be sent); returns how many.
    @discardableResult
    public mutating func drop(taskID: String) -> Int {
        let before = pending.count
        pending.removeAll { Self.taskID(of: $0) == taskID }
        return before - pending.count
    }

    /// Sends every pending report in order with `send`; stops at the first that throws and keeps it and
    /// the rest for the next flush. Returns how many were sent.
    /// With `credit`, the last report carries it as its `free_slots` (a coordinator that takes credit in
    /// reports then needs no Ready after them); the credit was sent when every report was.
    @discardableResult
    public mutating func flush(credit: UInt32? = nil, _ send: (Stylefarm_V1_WorkerMessage) throws -> Void) -> Int {
        var sent = 0
        while var first = pending.first {
            if pending.count == 1, let credit { Self.attach(credit, to: &first) }
            do { try send(first) } catch { break }
            pending.removeFirst()
            sent += 1
        }
        return sent
    }

    static func attach(_ credit: UInt32, to message: inout Stylefarm_V1_WorkerMessage) {
        switch message.payload {
        case .result(var r)?: r.freeSlots = credit; message.payload = .result(r)
        case .failure(var f)?: f.freeSlots = credit; message.payload = .failure(f)
        default: break
        }
    }

    static func taskID(of message: Stylefarm_V1_WorkerMessage) -> String? {
        switch message.payload {
        case .result(let r)?: return r.taskID
        case .failure(let f)?: return f.taskID
        default: return nil
        }
    }
}
