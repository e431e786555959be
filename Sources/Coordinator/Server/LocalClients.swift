import Foundation
import Protocol

/// The coordinator's client API for callers in its own process (the HTTP API): a request posted here is handled
/// by the loop exactly as one from the client socket — same handler, same checks, same replies — with the
/// identity the caller vouches for (the HTTP API's bearer token). Any thread may post; the loop, woken through
/// `wake`, takes the requests and delivers replies back, which run the caller's closure on the loop thread (it
/// must only hand the reply on: resume a continuation, yield to a stream).
public final class LocalClients: @unchecked Sendable {
    /// What a reply is handed to. A one-shot call's receiver runs once; a watch's once per event until the event is
    /// terminal, the caller stops it, or the receiver returns false (its consumer is gone).
    public typealias Receiver = @Sendable (Stylefarm_V1_ClientReply) -> Bool

    enum Incoming {
        case call(id: UInt64, request: Stylefarm_V1_ClientRequest, identity: ClientIdentity)
        case stop(id: UInt64)
    }

    /// Readable when a request was posted; the loop polls it.
    let wake: WakeSignal
    private let lock = NSLock()
    private var nextID: UInt64 = 1
    private var inbox: [Incoming] = []
    private var receivers: [UInt64: (receive: Receiver, streaming: Bool)] = [:]
    /// Requests posted and not yet taken by the loop, at most (`post` refuses more: the loop is behind).
    public let capacity: Int

    init(capacity: Int = 4096) throws {
        wake = try WakeSignal()
        self.capacity = capacity
    }

    /// Posts `request` (its `requestID` is set here) as `identity`; `receive` gets the reply (or, for a
    /// `WatchJob`, each event). Returns the call's id (to `stop` a watch), or nil when `capacity` requests wait.
    @discardableResult
    public func post(_ request: Stylefarm_V1_ClientRequest, as identity: ClientIdentity, receive: @escaping Receiver) -> UInt64? {
        var request = request
        let streaming: Bool
        if case .watchJob? = request.payload { streaming = true } else { streaming = false }
        let id: UInt64? = lock.withLock {
            guard inbox.count < capacity else { return nil }
            let id = nextID
            nextID += 1
            request.requestID = id
            receivers[id] = (receive, streaming)
            inbox.append(.call(id: id, request: request, identity: identity))
            return id
        }
        if id != nil { wake.signal() }
        return id
    }

    /// Ends a watch (its consumer went away): the loop drops it at its next iteration.
    public func stop(_ id: UInt64) {
        let posted: Bool = lock.withLock {
            guard receivers.removeValue(forKey: id) != nil else { return false }
            inbox.append(.stop(id: id))
            return true
        }
        if posted { wake.signal() }
    }

    /// One request, one reply: posts it and waits for the loop's answer.
    public func call(_ payload: Stylefarm_V1_ClientRequest.OneOf_Payload, as identity: ClientIdentity) async throws -> Stylefarm_V1_ClientReply.OneOf_Payload? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Stylefarm_V1_ClientReply.OneOf_Payload?, any Error>) in
            let posted = post(Stylefarm_V1_ClientRequest(requestID: 0, payload), as: identity) { reply in
                continuation.resume(returning: reply.payload)
                return true
            }
            if posted == nil { continuation.resume(throwing: LocalClientsError.busy(capacity: capacity)) }
        }
    }

    // MARK: Loop side

    /// The requests posted since the last call, in order. Loop thread.
    func take() -> [Incoming] {
        wake.drain()
        return lock.withLock {
            defer { inbox.removeAll(keepingCapacity: true) }
            return inbox
        }
    }

    /// Hands `reply` to call `id`'s receiver; false when the call is gone (stopped, or already answered).
    /// Loop thread.
    func deliver(_ reply: Stylefarm_V1_ClientReply, to id: UInt64) -> Bool {
        let receiver: (receive: Receiver, streaming: Bool)? = lock.withLock {
            guard let entry = receivers[id] else { return nil }
            var last = !entry.streaming
            if case .jobEvent(let event)? = reply.payload, event.terminal { last = true }
            if case .error? = reply.payload { last = true }
            if last { receivers[id] = nil }
            return entry
        }
        guard let receiver else { return false }
        guard receiver.receive(reply) else {
            lock.withLock { _ = receivers.removeValue(forKey: id) }
            return false
        }
        return true
    }
}

public enum LocalClientsError: Error, CustomStringConvertible {
    case busy(capacity: Int)

    public var description: String {
        switch self {
        case .busy(let capacity): return "the coordinator is busy: \(capacity) requests wait for its loop; try again shortly"
        }
    }
}
