import Foundation
import Protocol

/// One attempt's log, shipped to the coordinator on its `Result` or `Failure` (issue 18): what it was, its
/// progress, warnings, how it ended, its timings and peak memory. Bounded to ``maxBytes``: the first half and
/// the last half are kept, and the lines between are counted ("… 1,234 lines (96 KB) left out …"), since the
/// start says what ran and the end how it failed.
///
/// Each line starts with the seconds since the attempt began. The executor's warnings reach the attempt they
/// belong to through ``current`` (a task-local value: each task runs on its own thread).
public final class TaskLog: @unchecked Sendable {
    /// The most bytes ``text`` holds (256 KiB), markers included.
    public static let maxBytes = 256 << 10

    /// The log of the attempt running on this thread, if any.
    @TaskLocal public static var current: TaskLog?

    private let lock = NSLock()
    private let start: UInt64
    private let budget: Int
    private var head: [String] = []
    private var headBytes = 0
    private var tail: [String] = []
    private var tailStart = 0
    private var tailBytes = 0
    private var dropped = 0
    private var droppedBytes = 0
    /// Lines not yet sent live (``takeUnsent()``), at most ``maxUnsentBytes``; older ones are counted out.
    private var unsent: [String] = []
    private var unsentStart = 0
    private var unsentBytes = 0
    private var unsentLeftOut = 0

    /// The most bytes of lines one live message (`LogLines`) carries.
    public static let maxUnsentBytes = 60 << 10

    /// `budget`: the most bytes kept (default ``maxBytes``); tests use small ones.
    public init(budget: Int = TaskLog.maxBytes, now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        self.budget = max(256, budget)
        start = now
    }

    /// Adds a line (newlines inside it are kept as separate lines).
    public func append(_ message: String, now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        let seconds = Double(now &- start) / 1e9
        let stamp = String(format: "+%.2fs ", seconds)
        for part in message.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = stamp + part
            // One line may not take the whole budget.
            if line.utf8.count > budget / 4 { line = String(decoding: line.utf8.prefix(budget / 4), as: UTF8.self) + " …" }
            add(line)
        }
    }

    private func add(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        let size = line.utf8.count + 1
        unsent.append(line)
        unsentBytes += size
        while unsentBytes > Self.maxUnsentBytes, unsentStart < unsent.count {
            unsentBytes -= unsent[unsentStart].utf8.count + 1
            unsentLeftOut += 1
            unsentStart += 1
        }
        let half = budget / 2 - 64   // room for the marker line
        if tail.isEmpty && dropped == 0 && headBytes + size <= half {
            head.append(line)
            headBytes += size
            return
        }
        tail.append(line)
        tailBytes += size
        while tailBytes > half, tailStart < tail.count {
            let size = tail[tailStart].utf8.count + 1
            tailBytes -= size
            dropped += 1
            droppedBytes += size
            tailStart += 1
        }
        // Compact the drained front now and then (amortized O(1) per line).
        if tailStart > 1024 && tailStart * 2 > tail.count {
            tail.removeFirst(tailStart)
            tailStart = 0
        }
    }

    /// The lines added since the last call (newline-separated) and how many before them were left out (more
    /// than ``maxUnsentBytes`` waited), or nil when nothing is new: what the worker sends live.
    public func takeUnsent() -> (text: String, linesLeftOut: Int)? {
        lock.lock(); defer { lock.unlock() }
        guard unsentStart < unsent.count || unsentLeftOut > 0 else { return nil }
        let taken = (unsent[unsentStart...].joined(separator: "\n"), unsentLeftOut)
        unsent.removeAll(keepingCapacity: true)
        unsentStart = 0
        unsentBytes = 0
        unsentLeftOut = 0
        return taken
    }

    /// The log so far: head, the marker for what was left out, tail.
    public var text: String {
        lock.lock(); defer { lock.unlock() }
        var lines = head
        if dropped > 0 { lines.append("… \(dropped) line(s) (\(droppedBytes) bytes) left out …") }
        lines += tail[tailStart...]
        return lines.joined(separator: "\n")
    }

    // MARK: What the worker writes

    /// The first line: what is running where.
    public func begin(_ task: Stylefarm_V1_TaskAssignment, workerID: String) {
        append("task \(task.taskID) attempt \(task.attempt) of job \(task.jobID) on worker \(workerID) "
               + "(\(ProcessInfo.processInfo.hostName)): \(task.kind), frame index \(task.frameIndex)"
               + (task.region.width > 0 ? ", region \(task.region.width)x\(task.region.height)+\(task.region.x)+\(task.region.y)" : ""))
    }

    /// Progress, logged at the first evaluation and then every tenth of the budget (a 1,000-evaluation
    /// frame writes about ten lines, not a thousand).
    public func progress(_ p: Stylefarm_V1_Progress, lastLogged: inout UInt32) {
        let step = max(1, p.budget / 10)
        guard p.iteration == 1 || p.iteration >= lastLogged + step || p.iteration == p.budget else { return }
        lastLogged = p.iteration
        var line = "evaluation \(p.iteration)/\(p.budget)"
        if p.hasLosses {
            line += String(format: ": loss %.4g (content %.4g, style %.4g, tv %.4g)", p.losses.total, p.losses.content,
                           p.losses.style, p.losses.tv)
        }
        append(line)
    }

    /// The last line of an attempt that returned a result.
    public func finished(_ result: Stylefarm_V1_Result) {
        let s = result.stats
        append(String(format: "done: output %@ (%llu bytes), %.2f s, %u evaluation(s), peak RSS %.0f MB",
                      String(result.output.sha256.prefix(16)), result.output.size, s.wallSeconds, s.iterations,
                      Double(s.peakRssBytes) / 1e6))
    }

    /// The last line of an attempt that failed.
    public func failed(_ failure: Stylefarm_V1_Failure) {
        append("failed (\(failure.kind), \(failure.retryable ? "retryable" : "not retryable")): \(failure.message); "
               + String(format: "peak RSS %.0f MB", Double(PeakMemory.residentBytes()) / 1e6))
    }
}
