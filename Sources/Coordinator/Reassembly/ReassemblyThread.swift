import Foundation

/// `TileReassembly` on a serial thread of its own (an `OffLoopQueue`): the loop hands it each tile that lands
/// and collects what became of it, so decoding tiles, blending and encoding frames never hold the loop.
/// The open assemblies are touched on that thread only.
final class ReassemblyThread: @unchecked Sendable {
    enum Outcome: Sendable {
        case landed(TileLanding)
        case forgotten
    }

    let queue: OffLoopQueue<Outcome>
    private var reassembly: TileReassembly

    init(intermediateDirectory: URL) throws {
        queue = try OffLoopQueue(label: "stylefarm.coordinator.reassembly")
        reassembly = TileReassembly(intermediateDirectory: intermediateDirectory)
    }

    /// Lands `arrival` on the reassembly thread. Loop thread.
    func land(_ arrival: TileArrival) {
        queue.start { [self] in .landed(reassembly.land(arrival)) }
    }

    /// Drops job `jobID`'s open assemblies, after the tiles already handed over. Loop thread.
    func forget(jobID: String) {
        queue.start { [self] in
            reassembly.forget(jobID: jobID)
            return .forgotten
        }
    }

    /// The tiles landed since the last call, in the order they were handed over. Loop thread.
    func finished() -> [TileLanding] {
        queue.finished().compactMap { if case .landed(let landing) = $0 { landing } else { nil } }
    }
}
