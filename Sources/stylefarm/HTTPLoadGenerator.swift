#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The load of `stylefarm bench http`, made the way wrk makes load: one thread, non-blocking sockets and `poll(2)`,
/// keep-alive HTTP/1.1 connections, responses read to their end and thrown away — no HTTP library, no JSON. It
/// keeps the load generator's own CPU small, so on a machine whose cores the farm also renders on, what the render
/// loses is mostly what the coordinator spends serving, not what the clients spend asking (URLSession's libcurl
/// clients took 63–90 % of a core for the same load).
///
/// `pollers` connections each `GET` `pollPath` every `interval`, spread over the interval; `subscribers` connections
/// each `GET` `streamPath` (an event stream) once it is set and read until the server ends it. `run` returns when
/// every stream has ended (or `deadline` passes).
final class HTTPLoadGenerator {
    struct Report {
        /// Seconds from sending each poll to reading its whole answer (200 with a body over 1,000 bytes).
        var latencies: [Double]
        var errors: Int
        /// `event: job` lines each stream received (-1: it never opened).
        var events: [Int]
    }

    private enum Role { case poller, subscriber }

    private final class Connection {
        let role: Role
        var fd: Int32 = -1
        var outgoing: [UInt8] = []
        var incoming: [UInt8] = []
        var sentAt: UInt64 = 0
        var nextSend: UInt64 = 0
        var awaiting = false
        /// The length of the answer being read (headers and body), once its headers are in.
        var expected: Int?
        var status200 = false
        var events = -1
        var done = false
        /// The bytes of the event marker at the end of the last read (a marker split between two reads counts once).
        var tail: [UInt8] = []
        var terminalTail: [UInt8] = []
        init(role: Role) { self.role = role }
    }

    private let port: UInt16
    private let pollPath: String
    private let interval: UInt64
    private var connections: [Connection] = []
    private var latencies: [Double] = []
    private var errors = 0

    /// `port`: the server's on 127.0.0.1.
    init(port: Int, pollPath: String, pollers: Int, subscribers: Int, interval: Duration) {
        self.port = UInt16(port)
        self.pollPath = pollPath
        self.interval = UInt64(interval.components.seconds) * 1_000_000_000 + UInt64(interval.components.attoseconds / 1_000_000_000)
        let now = Self.now()
        for n in 0..<pollers {
            let connection = Connection(role: .poller)
            connection.nextSend = now + self.interval * UInt64(n) / UInt64(max(1, pollers))
            connections.append(connection)
        }
        for _ in 0..<subscribers { connections.append(Connection(role: .subscriber)) }
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Runs the load; `streamPath()` is asked until it names the stream to follow (nil: not yet).
    func run(streamPath: () -> String?, deadline: Date) -> Report {
        var stream: String?
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let subscribers = connections.filter { $0.role == .subscriber }
        var lastAsked: UInt64 = 0
        while Date() < deadline {
            let now = Self.now()
            if stream == nil, now - lastAsked > 50_000_000 {
                lastAsked = now
                if let path = streamPath() {
                    stream = path
                    for subscriber in subscribers { open(subscriber); queue(subscriber, path: path) }
                }
            }
            if stream != nil, subscribers.allSatisfy(\.done) { break }
            var next = now + 100_000_000
            for connection in connections where connection.role == .poller && !connection.awaiting {
                if connection.nextSend <= now {
                    if connection.fd < 0 { open(connection) }
                    queue(connection, path: pollPath)
                    connection.sentAt = now
                    connection.awaiting = true
                    connection.nextSend += interval
                    if connection.nextSend < now { connection.nextSend = now + interval }
                } else {
                    next = min(next, connection.nextSend)
                }
            }
            var fds: [pollfd] = []
            var owners: [Connection] = []
            for connection in connections where connection.fd >= 0 {
                var events = Int16(POLLIN)
                if !connection.outgoing.isEmpty { events |= Int16(POLLOUT) }
                fds.append(pollfd(fd: connection.fd, events: events, revents: 0))
                owners.append(connection)
            }
            let waitMs = Int32(max(0, min(100, (Int64(next) - Int64(Self.now())) / 1_000_000)))
            guard poll(&fds, nfds_t(fds.count), waitMs) >= 0 else { continue }
            for (n, entry) in fds.enumerated() where entry.revents != 0 {
                let connection = owners[n]
                if entry.revents & Int16(POLLOUT) != 0, !connection.outgoing.isEmpty {
                    let sent = connection.outgoing.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if sent > 0 { connection.outgoing.removeFirst(sent) } else if errno != EAGAIN { fail(connection) ; continue }
                }
                if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    let count = buffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
                    if count > 0 {
                        received(buffer[0..<count], on: connection)
                    } else if count == 0 || errno != EAGAIN {
                        closed(connection)
                    }
                }
            }
        }
        for connection in connections where connection.fd >= 0 { close(connection.fd) }
        return Report(latencies: latencies, errors: errors, events: subscribers.map(\.events))
    }

    private func open(_ connection: Connection) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { errors += 1; return }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { Glibc.close(fd); errors += 1; return }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        connection.fd = fd
        connection.incoming.removeAll(keepingCapacity: true)
        if connection.role == .subscriber { connection.events = 0 }
    }

    private func queue(_ connection: Connection, path: String) {
        connection.outgoing += Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".utf8)
    }

    private static let marker = Array("event: job".utf8)
    private static let terminal = Array(#""terminal":true"#.utf8)
    private static let headerEnd = Array("\r\n\r\n".utf8)

    private func received(_ bytes: ArraySlice<UInt8>, on connection: Connection) {
        if connection.role == .subscriber {
            // Count the markers in what arrived, with the end of the last read in front of it.
            let scan = connection.tail + bytes
            var i = 0
            while i + Self.marker.count <= scan.count {
                if scan[i] == Self.marker[0], scan[i ..< i + Self.marker.count].elementsEqual(Self.marker) { connection.events += 1; i += Self.marker.count }
                else { i += 1 }
            }
            connection.tail = Array(scan.suffix(Self.marker.count - 1))
            // The stream's last event says so; the connection itself may stay open for the next request.
            let lookout = connection.terminalTail + bytes
            if find(Self.terminal, in: lookout) != nil { closed(connection); return }
            connection.terminalTail = Array(lookout.suffix(Self.terminal.count - 1))
            return
        }
        connection.incoming += bytes
        // A whole answer: its headers, then Content-Length bytes of body.
        if connection.expected == nil {
            // An answer's headers are in its first 16 KiB.
            guard let end = find(Self.headerEnd, in: connection.incoming, within: 16 << 10) else { return }
            let header = String(decoding: connection.incoming[0..<end], as: UTF8.self).lowercased()
            guard let lengthLine = header.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                  let length = Int(lengthLine.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else {
                return fail(connection)
            }
            connection.expected = end + 4 + length
            connection.status200 = header.hasPrefix("http/1.1 200") && length > 1000
        }
        guard let total = connection.expected, connection.incoming.count >= total else { return }
        if connection.status200 {
            latencies.append(Double(Self.now() - connection.sentAt) / 1e9)
        } else {
            errors += 1
        }
        connection.incoming.removeFirst(total)
        connection.expected = nil
        connection.awaiting = false
    }

    /// Where `needle` starts among the first `limit` bytes of `haystack`, nil when it does not.
    private func find(_ needle: [UInt8], in haystack: [UInt8], within limit: Int = .max) -> Int? {
        let end = min(haystack.count, limit)
        guard end >= needle.count else { return nil }
        for i in 0...(end - needle.count) where haystack[i] == needle[0] {
            if haystack[i ..< i + needle.count].elementsEqual(needle) { return i }
        }
        return nil
    }

    private func fail(_ connection: Connection) {
        errors += 1
        closed(connection)
    }

    private func closed(_ connection: Connection) {
        if connection.fd >= 0 { Glibc.close(connection.fd) }
        connection.fd = -1
        connection.outgoing.removeAll()
        connection.incoming.removeAll()
        connection.expected = nil
        if connection.role == .subscriber {
            connection.done = true
        } else if connection.awaiting {
            errors += 1
            connection.awaiting = false
        }
    }
}
