import Foundation

/// A process-wide free list of float scratch buffers.
///
/// The Winograd work areas are megabytes per call; allocating them fresh every call means fresh
/// pages from the kernel (page faults and zeroing on every layer, measured at up to ~20 % of a
/// layer's time). Buffers taken from the pool are returned to it and reused by the next call,
/// so after the first iteration no large allocation happens. The pool keeps at most as many
/// buffers as were ever in use at once; `purge()` releases them all.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()

    private let lock = NSLock()
    private var free: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []

    /// Runs `body` with a buffer of at least `capacity` floats (contents unspecified).
    func withBuffer<R>(capacity: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let buffer = acquire(capacity)
        defer { release(buffer) }
        return try body(buffer.pointer)
    }

    /// Releases every pooled buffer.
    func purge() {
        lock.lock()
        let buffers = free
        free.removeAll()
        lock.unlock()
        for b in buffers { b.pointer.deallocate() }
    }

    private func acquire(_ capacity: Int) -> (pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        let needed = max(1, capacity)
        lock.lock()
        var best: Int? = nil
        for i in free.indices where free[i].capacity >= needed {
            if best == nil || free[i].capacity < free[best!].capacity { best = i }
        }
        if let best {
            let b = free.remove(at: best)
            lock.unlock()
            return b
        }
        // Nothing large enough: replace the largest pooled buffer (if any) so the pool does not grow
        // beyond the number of buffers in simultaneous use.
        var victim: (pointer: UnsafeMutablePointer<Float>, capacity: Int)? = nil
        if let largest = free.indices.max(by: { free[$0].capacity < free[$1].capacity }) {
            victim = free.remove(at: largest)
        }
        lock.unlock()
        victim?.pointer.deallocate()
        return (UnsafeMutablePointer<Float>.allocate(capacity: needed), needed)
    }

    private func release(_ buffer: (pointer: UnsafeMutablePointer<Float>, capacity: Int)) {
        lock.lock()
        free.append(buffer)
        lock.unlock()
    }
}

extension EngineThreads {
    /// Releases the kernels' pooled scratch memory (it is otherwise kept for reuse across calls).
    public static func releaseScratchMemory() {
        ScratchPool.shared.purge()
    }
}
