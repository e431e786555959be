import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.1 GET over a socket to 127.0.0.1 that keeps reading a response that does not end (an event
/// stream), for tests: URLSession on Linux hands a body over only when it is complete.
final class StreamReader {
    private let fd: Int32
    private(set) var text = ""

    init(port: Int, path: String, token: String?) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "") + "\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }

    /// Reads until `done(text)` holds or `seconds` pass; returns whether it held.
    @discardableResult
    func read(for seconds: Double, until done: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            if done(text) { return true }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { text += String(decoding: buffer[0..<count], as: UTF8.self) }
            else if count == 0 { break }
        }
        return done(text)
    }

    /// The `data:` objects of the `event: job` frames read so far.
    var events: [[String: Any]] {
        text.components(separatedBy: "\n\n").compactMap { frame in
            guard frame.contains("event: job"), let line = frame.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
        }
    }
}
