import Foundation

/// Wakes a thread that waits in `Poller.poll` from any other thread: a non-blocking pipe whose read
/// end the poller watches. `signal()` writes one byte unless a wake-up is already pending; the owner
/// calls `drain()` after a poll. (ZeroMQ sockets must stay on one thread; this is how worker threads
/// tell the socket thread that they have something to send, without waiting for a poll timeout.)
public final class WakeSignal: @unchecked Sendable {
    /// The descriptor to poll for readability.
    public let fileDescriptor: Int32
    private let writeEnd: Int32
    private let lock = NSLock()
    private var pending = false

    public init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ZMQError(code: errno, operation: "pipe", message: String(cString: strerror(errno))) }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        fileDescriptor = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(fileDescriptor)
        close(writeEnd)
    }

    /// Makes the next (or current) poll return. Any thread.
    public func signal() {
        let first = lock.withLock { () -> Bool in
            defer { pending = true }
            return !pending
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Consumes pending wake-ups. Owner thread, after a poll.
    public func drain() {
        lock.withLock { pending = false }
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(fileDescriptor, &buffer, buffer.count) > 0 {}
    }
}
