import Engine
import Foundation
import Protocol
import Worker

/// Many workers in one process (`stylefarm worker --simulate N`, hidden): N worker loops, each on its own thread
/// with its own DEALER socket (one ZeroMQ context), identity `ID-k`, blob cache and slots, sharing the engine.
/// For `bench dispatch --workers-per-process`: how far one coordinator goes with hundreds of workers, on a machine
/// that could not run hundreds of worker processes. Real workers, real protocol; only the process is shared.
enum SimulatedWorkers {
    static func run(count: Int, configuration: WorkerConfiguration, host: VGGCache, cacheRoot: String, cacheBytes: Int,
                    parentPid: Int32?) throws {
        let context = try ZMQContext()
        let stop = SignalStop()
        var loops: [WorkerLoop] = []
        for k in 1...count {
            var each = configuration
            each.workerID = "\(configuration.workerID)-\(k)"
            let cache = try BlobCache(root: cacheRoot + "/sim-\(k)", maxBytes: max(1, cacheBytes / count))
            loops.append(try WorkerLoop(configuration: each, host: host, cache: cache, context: context))
        }
        let done = DispatchGroup()
        let shouldStop = { stop.isSet || (parentPid.map { getppid() != $0 } ?? false) }
        for loop in loops {
            done.enter()
            let thread = Thread {
                loop.run(until: shouldStop)
                done.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        FileHandle.standardError.write(Data("stylefarm worker: \(count) simulated workers \(configuration.workerID)-1…\(count) connecting to \(configuration.endpoint)\n".utf8))
        done.wait()
        stop.cancel()
    }
}
