import Engine
import Foundation
import JobModel

/// The warp error of a temporal job's finished frames, measured by the coordinator as frames land, so a job's
/// detail (the dashboard's chart, `GET /api/v1/jobs/{id}`) shows flicker per frame while the shot renders.
///
/// The measure is `TemporalConsistency.warpError` (Ruder et al., GCPR 2016, §5), the one `stylefarm evaluate
/// temporal` prints without ground truth: frame t against frame t−1 warped into it by the backward flow, averaged
/// over the pixels where the forward–backward check finds the flow certain. The flow is the job's own flow task's
/// result (DIS between the two content frames), so the number costs one warp and one pass over the frame — no
/// flow is computed again — and it is only known for jobs that compute flow (sequential, multipass, chunked), for
/// pairs inside a shot (a cut has no flow task).
///
/// Runs on the coordinator's maintenance thread; reads the store and files, writes nothing.
enum WarpErrorMeter {
    /// Two consecutive frames of a job (indices) and the task whose result is the flow between their contents.
    struct Pair: Sendable, Hashable {
        var jobID: String
        var first: Int
        var second: Int
        var flowTaskID: String
        /// How the job's outputs are read back into working space.
        var plate: PlateSettings
    }

    /// The warp error of `pair.second`, over `certain` (0…1) of its pixels.
    struct Measured: Sendable, Hashable {
        var pair: Pair
        var warpError: Double
        var certain: Double
    }

    enum Outcome: Sendable {
        case measured(Measured)
        /// Not (yet) measurable: a frame not done, already measured, or the flow gone.
        case skipped
        case failed(Pair, String)
    }

    /// The pairs a finished task of frame `index` may complete: with its predecessor and with its successor, where
    /// the plan has a flow task between them.
    static func pairs(around index: Int, jobID: String, plan: JobPlan, plate: PlateSettings) -> [Pair] {
        var pairs: [Pair] = []
        for (first, second) in [(index - 1, index), (index, index + 1)] where first >= 0 && second < plan.frames.count {
            let id = JobPlanner.flowTaskID(jobID: jobID, first: plan.frames[first].frame, second: plan.frames[second].frame)
            if plan.task(id) != nil { pairs.append(Pair(jobID: jobID, first: first, second: second, flowTaskID: id, plate: plate)) }
        }
        return pairs
    }

    /// Measures `pair` when both frames are done and the second has no warp error yet; the flow is the intermediate
    /// named by the flow task's result.
    static func measure(_ pair: Pair, store: SQLiteJobStore, intermediates: URL) -> Outcome {
        do {
            let frames = try store.frames(ofJob: pair.jobID, indices: [pair.first, pair.second])
            guard frames.count == 2, frames.allSatisfy({ $0.state == .done && !$0.outputPath.isEmpty }),
                  frames[1].warpError == nil,
                  let flowSHA = try store.task(pair.flowTaskID)?.resultSHA256 else { return .skipped }
            let flowPath = intermediates.appendingPathComponent(flowSHA).path
            guard FileManager.default.fileExists(atPath: flowPath) else { return .skipped }
            // Working space, as the network rendered them (an OpenEXR output goes back through its plate's space).
            let previous = try pair.plate.readResult(path: frames[0].outputPath)
            let current = try pair.plate.readResult(path: frames[1].outputPath)
            var flow = try FlowPair(serialized: Array(try Data(contentsOf: URL(fileURLWithPath: flowPath))), name: flowSHA)
            if flow.width != current.width || flow.height != current.height {
                flow = flow.resampled(width: current.width, height: current.height)
            }
            let m = try TemporalConsistency.warpError(current: current, previous: previous, flow: flow.backward,
                                                      certainty: try flow.certaintyOfSecond().weights)
            return .measured(Measured(pair: pair, warpError: m.warpError, certain: m.certainFraction))
        } catch {
            return .failed(pair, "\(error)")
        }
    }
}
