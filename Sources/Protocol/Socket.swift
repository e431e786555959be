import CZMQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// The only file that calls libzmq. Ownership rules:
// * `ZMQContext` is thread-safe (libzmq contexts are) and Sendable.
// * A `Socket` belongs to one thread at a time: create, use and close it on the thread (or inside
//   the actor / serial queue) that owns it. It is deliberately not Sendable; hand work to the
//   owning thread through your own queue, never the socket.
// * Every socket keeps its context alive, so `zmq_ctx_term` (in the context's deinit) runs only
//   after every socket of the context is closed and released — the order libzmq requires.

extension ZMQError {
    /// The error libzmq reported for the call that just failed.
    static func last(_ operation: String) -> ZMQError {
        code(zmq_errno(), operation)
    }

    static func code(_ code: Int32, _ operation: String) -> ZMQError {
        ZMQError(code: code, operation: operation, message: String(cString: zmq_strerror(code)))
    }

    /// A non-blocking call could not proceed (send queue full, nothing to receive).
    public var isWouldBlock: Bool { code == EAGAIN }
    /// A ROUTER with ZMQ_ROUTER_MANDATORY was asked to send to a routing id it is not connected to.
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }
    /// The context was shut down or terminated.
    public var isTerminated: Bool { code == ETERM }
    /// The socket was closed.
    public var isClosed: Bool { code == ENOTSOCK }
}

/// A libzmq context: the I/O threads behind a set of sockets. Create one per process.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// - Throws: `ZMQError` when libzmq cannot create a context.
    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    /// A new socket of `type`, with LINGER 0 (pending messages are dropped on close).
    public func makeSocket(_ type: SocketType) throws -> Socket {
        try Socket(context: self, type: type)
    }

    /// Makes blocking calls on this context's sockets (in any thread) fail with `ETERM`
    /// (`zmq_ctx_shutdown`), so their owners can close them. Safe from any thread.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    deinit {
        // Runs after every socket released its reference, i.e. after they were all closed.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}

/// The socket types the farm uses.
public enum SocketType: Sendable {
    /// The coordinator's side: addresses peers by routing id.
    case router
    /// Workers and clients: asynchronous requests and replies.
    case dealer
    /// Strict request/reply client (for simple scripts); pairs with a ROUTER.
    case req
    /// Exclusive pair, for tests and in-process signalling.
    case pair
    /// Strict request/reply server: the coordinator's ZAP handler (`inproc://zeromq.zap.01`).
    case rep

    var raw: Int32 {
        switch self {
        case .router: return ZMQ_ROUTER
        case .dealer: return ZMQ_DEALER
        case .req: return ZMQ_REQ
        case .pair: return ZMQ_PAIR
        case .rep: return ZMQ_REP
        }
    }
}

/// What a `Poller` waits for.
public struct PollEvents: OptionSet, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    /// At least one whole message can be received without blocking.
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// At least one message can be sent without blocking.
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
}

/// A ZeroMQ socket. Not thread-safe and not Sendable: one owner thread at a time (see the
/// ownership rules at the top of this file). Closed by `close()` or on deinit.
public final class Socket {
    public let type: SocketType
    private let context: ZMQContext
    private var handle: UnsafeMutableRawPointer?

    init(context: ZMQContext, type: SocketType) throws {
        guard let handle = zmq_socket(context.handle, type.raw) else { throw ZMQError.last("zmq_socket") }
        self.context = context
        self.type = type
        self.handle = handle
        try setLinger(milliseconds: 0)
    }

    deinit { close() }

    /// Closes the socket (idempotent). Later calls throw a `ZMQError` with `isClosed`.
    public func close() {
        if let handle {
            zmq_close(handle)
            self.handle = nil
        }
    }

    public var isClosed: Bool { handle == nil }

    func live(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError.code(ENOTSOCK, operation) }
        return handle
    }

    // MARK: Endpoints

    /// Binds to `endpoint` (e.g. `tcp://*:5555`, `tcp://127.0.0.1:*`, `inproc://name`).
    public func bind(_ endpoint: String) throws {
        let op = "zmq_bind(\(endpoint))"
        let h = try live(op)
        guard zmq_bind(h, endpoint) == 0 else { throw ZMQError.last(op) }
    }

    /// Connects to `endpoint`; libzmq connects (and reconnects) in the background.
    public func connect(_ endpoint: String) throws {
        let op = "zmq_connect(\(endpoint))"
        let h = try live(op)
        guard zmq_connect(h, endpoint) == 0 else { throw ZMQError.last(op) }
    }

    /// Stops listening on `endpoint` (as returned by `lastEndpoint()` for wildcard binds).
    public func unbind(_ endpoint: String) throws {
        let op = "zmq_unbind(\(endpoint))"
        let h = try live(op)
        guard zmq_unbind(h, endpoint) == 0 else { throw ZMQError.last(op) }
    }

    /// Drops the connection to `endpoint` made by `connect`.
    public func disconnect(_ endpoint: String) throws {
        let op = "zmq_disconnect(\(endpoint))"
        let h = try live(op)
        guard zmq_disconnect(h, endpoint) == 0 else { throw ZMQError.last(op) }
    }

    /// The endpoint of the last bind or connect with wildcards resolved (ZMQ_LAST_ENDPOINT), e.g.
    /// `tcp://127.0.0.1:41234` after binding `tcp://127.0.0.1:*`.
    public func lastEndpoint() throws -> String {
        let op = "zmq_getsockopt(ZMQ_LAST_ENDPOINT)"
        let h = try live(op)
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(h, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { throw ZMQError.last(op) }
        return String(cString: buffer)
    }

    // MARK: Options

    func set(_ option: Int32, _ name: String, int32 value: Int32) throws {
        let op = "zmq_setsockopt(\(name))"
        let h = try live(op)
        var v = value
        guard zmq_setsockopt(h, option, &v, MemoryLayout<Int32>.size) == 0 else { throw ZMQError.last(op) }
    }

    /// ZMQ_ROUTING_ID: the id a ROUTER peer sees for this socket (1…255 bytes, not starting with a
    /// zero byte). Set before `connect`.
    public func setRoutingID(_ id: Data) throws {
        let op = "zmq_setsockopt(ZMQ_ROUTING_ID)"
        let h = try live(op)
        let rc = id.withUnsafeBytes { zmq_setsockopt(h, ZMQ_ROUTING_ID, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZMQError.last(op) }
    }

    /// ZMQ_LINGER: how long `close` keeps unsent messages; 0 (the default here) drops them, −1 waits.
    public func setLinger(milliseconds: Int32) throws {
        try set(ZMQ_LINGER, "ZMQ_LINGER", int32: milliseconds)
    }

    /// ZMQ_SNDHWM and ZMQ_RCVHWM: messages queued per peer before sends block (or fail with
    /// `isWouldBlock`, or are dropped for ROUTER); 0 means no limit. Set before bind/connect.
    public func setHighWaterMarks(send: Int32, receive: Int32) throws {
        try set(ZMQ_SNDHWM, "ZMQ_SNDHWM", int32: send)
        try set(ZMQ_RCVHWM, "ZMQ_RCVHWM", int32: receive)
    }

    /// ZMQ_ROUTER_MANDATORY: a ROUTER send to an unknown routing id fails with `isHostUnreachable`
    /// instead of being dropped silently.
    public func setRouterMandatory(_ enabled: Bool) throws {
        try set(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", int32: enabled ? 1 : 0)
    }

    /// ZMQ_MAXMSGSIZE: libzmq drops a peer that sends a single frame above `bytes` (−1: no limit).
    public func setMaxMessageSize(_ bytes: Int64) throws {
        let op = "zmq_setsockopt(ZMQ_MAXMSGSIZE)"
        let h = try live(op)
        var v = bytes
        guard zmq_setsockopt(h, ZMQ_MAXMSGSIZE, &v, MemoryLayout<Int64>.size) == 0 else { throw ZMQError.last(op) }
    }

    /// ZMQ_RECONNECT_IVL and ZMQ_RECONNECT_IVL_MAX: how soon a connecting socket retries
    /// (libzmq's defaults: 100 ms, no back-off).
    public func setReconnectInterval(milliseconds: Int32, maxMilliseconds: Int32 = 0) throws {
        try set(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", int32: milliseconds)
        try set(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", int32: maxMilliseconds)
    }

    // MARK: Messages

    /// Sends `frames` as one multipart message (delivered all or nothing).
    ///
    /// With `dontWait`, a full queue throws a `ZMQError` with `isWouldBlock` instead of blocking
    /// (checked on the first frame; libzmq then accepts the rest). A ROUTER sends to the routing id
    /// in the first frame. Interrupted calls (EINTR) are retried.
    /// - Throws: `ZMQError` (`isHostUnreachable` under ZMQ_ROUTER_MANDATORY, `isTerminated`, …);
    ///   EINVAL for an empty frame list.
    public func send<Frame: ContiguousBytes>(multipart frames: [Frame], dontWait: Bool = false) throws {
        let h = try live("zmq_send")
        guard !frames.isEmpty else { throw ZMQError.code(EINVAL, "zmq_send(no frames)") }
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            try frame.withUnsafeBytes { buffer in
                // An empty frame may have no base address; libzmq accepts NULL with length 0.
                while zmq_send(h, buffer.baseAddress, buffer.count, flags) < 0 {
                    let code = zmq_errno()
                    if code == EINTR { continue }
                    throw ZMQError.code(code, "zmq_send(frame \(i) of \(frames.count))")
                }
            }
        }
    }

    /// Receives one whole multipart message.
    ///
    /// - Parameter timeout: how long to wait for a message; nil waits forever, `.zero` only takes
    ///   a message already queued.
    /// - Returns: the frames, or nil when no message arrived within `timeout`.
    /// - Throws: `ZMQError` (`isTerminated` after `ZMQContext.shutdown()`, `isClosed`, …).
    public func receiveMultipart(timeout: Duration? = nil) throws -> [Data]? {
        try receive(timeout: timeout, userID: false)?.frames
    }

    /// Like `receiveMultipart`, with the peer's `User-Id`: on a CurveZMQ server socket, the user id the ZAP
    /// handler gave the connection (nil without ZAP).
    /// - Parameter maxFrames: frames kept; later ones are taken off the socket without being copied (one
    ///   empty frame stands for them, so the message has `maxFrames + 1` and its decoder refuses it).
    public func receiveMultipartWithUserID(timeout: Duration? = nil, maxFrames: Int = .max) throws -> (frames: [Data], userID: String?)? {
        try receive(timeout: timeout, userID: true, maxFrames: maxFrames)
    }

    private func receive(timeout: Duration?, userID wantUserID: Bool, maxFrames: Int = .max) throws -> (frames: [Data], userID: String?)? {
        let h = try live("zmq_msg_recv")
        if let timeout {
            guard try Poller.wait(items: [zmq_pollitem_t(socket: h, fd: 0, events: PollEvents.readable.rawValue, revents: 0)],
                                  timeout: timeout)[0].contains(.readable) else { return nil }
        }
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        var frames: [Data] = []
        var userID: String?
        var more = true
        while more {
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            // Parts of a multipart message arrive together, so only the first can be missing.
            let flags: Int32 = frames.isEmpty && timeout != nil ? ZMQ_DONTWAIT : 0
            while zmq_msg_recv(message, h, flags) < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN && frames.isEmpty { return nil }
                throw ZMQError.code(code, "zmq_msg_recv")
            }
            let size = zmq_msg_size(message)
            if frames.count >= maxFrames {
                if frames.count == maxFrames { frames.append(Data()) }
                more = zmq_msg_more(message) != 0
                continue
            }
            // A ROUTER's routing-id frame is its own and carries no metadata: take the first frame that does.
            if wantUserID && userID == nil, let property = zmq_msg_gets(message, "User-Id"), property.pointee != 0 {
                userID = String(cString: property)
            }
            frames.append(size == 0 ? Data() : Data(bytes: zmq_msg_data(message), count: size))
            more = zmq_msg_more(message) != 0
        }
        return (frames, userID)
    }

    fileprivate func pollItem(_ events: PollEvents) throws -> zmq_pollitem_t {
        let h = try live("zmq_poll")
        return zmq_pollitem_t(socket: h, fd: 0, events: events.rawValue, revents: 0)
    }
}

@available(*, unavailable, message: "a ZeroMQ socket must stay on its owner thread")
extension Socket: Sendable {}

/// Waits on several sockets at once (`zmq_poll`). Holds its sockets, so it shares their owner
/// thread and is not Sendable either.
public final class Poller {
    private enum Source { case socket(Socket), descriptor(Int32) }
    private var entries: [(source: Source, events: PollEvents)] = []

    public init() {}

    /// Adds `socket` and returns its index in `poll`'s result.
    @discardableResult
    public func register(_ socket: Socket, for events: PollEvents = .readable) -> Int {
        entries.append((.socket(socket), events))
        return entries.count - 1
    }

    /// Adds a plain file descriptor (e.g. `WakeSignal.fileDescriptor`) and returns its index.
    @discardableResult
    public func register(fileDescriptor: Int32, for events: PollEvents = .readable) -> Int {
        entries.append((.descriptor(fileDescriptor), events))
        return entries.count - 1
    }

    /// Number of registered sockets and descriptors.
    public var count: Int { entries.count }

    /// Waits until a registered socket is ready or `timeout` passes (nil: forever).
    /// - Returns: the ready events per registered socket, in registration order; all empty after
    ///   a timeout. Interrupted waits (EINTR) resume with the remaining time.
    /// - Throws: `ZMQError` (a closed socket, a terminated context).
    public func poll(timeout: Duration?) throws -> [PollEvents] {
        let items = try entries.map { entry -> zmq_pollitem_t in
            switch entry.source {
            case .socket(let socket): return try socket.pollItem(entry.events)
            case .descriptor(let fd): return zmq_pollitem_t(socket: nil, fd: fd, events: entry.events.rawValue, revents: 0)
            }
        }
        return try Poller.wait(items: items, timeout: timeout)
    }

    static func wait(items: [zmq_pollitem_t], timeout: Duration?) throws -> [PollEvents] {
        var items = items
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        while true {
            var milliseconds = -1
            if let deadline {
                let remaining = clock.now.duration(to: deadline)
                milliseconds = remaining <= .zero ? 0 : Int((remaining / .milliseconds(1)).rounded(.up))
            }
            for i in items.indices { items[i].revents = 0 }
            let rc = items.withUnsafeMutableBufferPointer {
                zmq_poll($0.baseAddress, Int32($0.count), milliseconds)
            }
            if rc >= 0 { return items.map { PollEvents(rawValue: $0.revents) } }
            let code = zmq_errno()
            guard code == EINTR else { throw ZMQError.code(code, "zmq_poll") }
        }
    }
}
