import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM (or the signals given) into a flag that a long-running loop polls, so servers and workers shut
/// down cleanly (close sockets, say goodbye) instead of dying mid-write.
final class SignalStop: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var sources: [DispatchSourceSignal] = []

    init(signals: [Int32] = [SIGINT, SIGTERM]) {
        for sig in signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.set() }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a signal has arrived.
    var isSet: Bool { lock.withLock { value } }

    func set() { lock.withLock { value = true } }

    /// Stops listening for the signals.
    func cancel() { sources.forEach { $0.cancel() } }
}
