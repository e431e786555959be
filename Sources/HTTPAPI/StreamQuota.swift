import Coordinator
import Foundation

/// How many event streams each caller (a token's name and role; everyone alike on an insecure farm) may hold open
/// at once: each open stream costs the coordinator's loop a little on every event, so one script or browser gone
/// wrong must not open thousands. A stream over the limit is refused with 429 and a message; closing one frees
/// its place.
final class StreamQuota: @unchecked Sendable {
    let perCaller: Int
    private let lock = NSLock()
    private var open: [String: Int] = [:]

    init(perCaller: Int) { self.perCaller = perCaller }

    /// Takes a place for `identity`, or throws the 429 to answer.
    func take(for identity: ClientIdentity) throws -> Release {
        let key = "\(identity.role.rawValue):\(identity.name)"
        let granted: Bool = lock.withLock {
            guard open[key, default: 0] < perCaller else { return false }
            open[key, default: 0] += 1
            return true
        }
        guard granted else {
            throw APIError(status: .tooManyRequests, code: "busy",
                           message: "\(identity.name.isEmpty ? "this caller" : identity.name) already has \(perCaller) event streams open; close one (each browser tab holds one or two)")
        }
        return Release { [self] in lock.withLock { open[key, default: 1] -= 1; if open[key] == 0 { open[key] = nil } } }
    }

    /// Gives the place back, once.
    final class Release: @unchecked Sendable {
        private let lock = NSLock()
        private var body: (() -> Void)?
        init(_ body: @escaping () -> Void) { self.body = body }
        func callAsFunction() {
            let run: (() -> Void)? = lock.withLock { defer { body = nil }; return body }
            run?()
        }
    }
}
