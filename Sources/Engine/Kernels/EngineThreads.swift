import CBLAS
import Dispatch
import Foundation

/// Engine-wide thread count, used for the Dispatch loops of the kernels, for OpenBLAS
/// (`openblas_set_num_threads`) and for OpenCV's optical flow (`OpticalFlow.setThreads`). Defaults to
/// the active processor count.
///
/// The kernels partition work statically by this count, so results are bit-identical for a given
/// count (but may differ in the last bits between counts). Set it before running a job, not while
/// kernels are running on another thread.
public enum EngineThreads {
    nonisolated(unsafe) private static var current: Int = {
        let n = max(1, ProcessInfo.processInfo.activeProcessorCount)
        BLAS.setThreadCount(n)
        return n
    }()

    /// The number of threads kernels use.
    public static var count: Int { current }

    /// Sets the thread count (values below 1 are treated as 1) for Dispatch loops and OpenBLAS.
    public static func set(_ n: Int) {
        let clamped = max(1, n)
        current = clamped
        BLAS.setThreadCount(clamped)
        OpticalFlow.setThreads(clamped)
    }
}

/// Statically partitioned parallel loops over `EngineThreads.count` workers.
enum ParallelLoop {
    /// Runs `body(worker)` for `worker` in `0..<workers`, concurrently when `workers > 1`.
    @inline(__always)
    static func run(workers: Int, _ body: (Int) -> Void) {
        if workers <= 1 {
            body(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: body)
        }
    }

    /// Splits `0..<count` into at most `EngineThreads.count` contiguous chunks (fixed for a given
    /// count and thread count) of at least `minimumChunk` items and runs them concurrently.
    static func forEachChunk(count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, min(EngineThreads.count, count / max(1, minimumChunk)))
        let chunk = (count + workers - 1) / workers
        run(workers: workers) { w in
            let start = w * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }
}
