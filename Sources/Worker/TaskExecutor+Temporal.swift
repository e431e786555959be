import Engine
import Foundation
import Protocol

/// The temporal tasks of a worker (docs/ARCHITECTURE.md "Temporal consistency"):
/// * FLOW: DIS optical flow both ways between two content frames scaled to the output size, returned as an
///   `Engine.FlowPair` blob that every stylize task of the pair's two frames reuses.
/// * STYLIZE with `temporal`: the neighbours' results warped into this frame with the pair's flow, each
///   with Ruder et al.'s certainty, as the temporal loss's targets; the start image is the warped closest
///   neighbour (sequential, chunked) or this frame's previous sweep moved toward the warped neighbours
///   (multipass). A region task also stabilizes its masks with the neighbours' (TaskExecutor+Regions).
/// * BLEND: a weighted sum of results (the frames two chunks share), encoded like a stylized frame.
extension TaskExecutor {
    /// The output size of a temporal task: the frame size the coordinator planned.
    private func frameSize(_ task: Stylefarm_V1_TaskAssignment, frame: String) throws -> (Int, Int) {
        guard task.frameWidth > 0, task.frameHeight > 0 else {
            throw TaskExecutionError.invalidParameters("\(frame): a temporal task needs frame_width and frame_height")
        }
        return (Int(task.frameWidth), Int(task.frameHeight))
    }

    func flow(_ task: Stylefarm_V1_TaskAssignment) throws -> [UInt8] {
        let frame = "job \(task.jobID) flow from frame \(task.frameIndex)"
        let (w, h) = try frameSize(task, frame: frame)
        let preset: DISPreset
        switch task.flowPreset {
        case .ultrafast: preset = .ultrafast
        case .fast: preset = .fast
        case .medium, .unspecified: preset = .medium
        case .UNRECOGNIZED(let v): throw TaskExecutionError.invalidParameters("\(frame): unknown flow preset \(v)")
        }
        let first = try decodePlate(try content(of: task), name: "\(frame) first content", task: task).working
        guard !task.secondContentPath.isEmpty || !task.secondContent.sha256.isEmpty else {
            throw TaskExecutionError.invalidParameters("\(frame): a flow task needs second_content")
        }
        let secondBytes = try input(path: task.secondContentPath, sha256: task.secondContent.sha256, role: "second content frame")
        let second = try decodePlate(secondBytes, name: "\(frame) second content", task: task).working
        do {
            let pair = try FlowPair.dis(first: try first.toRGB().resized(width: w, height: h),
                                        second: try second.toRGB().resized(width: w, height: h), preset: preset)
            return pair.serialized()
        } catch let error as TaskExecutionError {
            throw error
        } catch {
            throw TaskExecutionError.engine("\(frame): optical flow: \(error)")
        }
    }

    /// The flow pairs of a STYLIZE task's temporal neighbours, in neighbour order, each checked to be
    /// `width`×`height` (the output size); empty when the task has no temporal inputs. Fetched and decoded
    /// once per task and shared by the temporal targets and the region-mask stabilization.
    func temporalPairs(_ task: Stylefarm_V1_TaskAssignment, width w: Int, height h: Int, frame: String) throws -> [FlowPair] {
        guard task.hasTemporal else { return [] }
        return try task.temporal.neighbours.enumerated().map { i, neighbour in
            let role = "temporal neighbour \(i)"
            let pair: FlowPair
            do {
                pair = try FlowPair(serialized: try fetch(neighbour.flow.sha256, role: "\(role) flow"), name: "\(frame) \(role) flow")
            } catch let error as TaskExecutionError {
                throw error
            } catch let error as BlobStoreError {
                throw error
            } catch {
                throw TaskExecutionError.badInput(input: "\(frame) \(role) flow", reason: "\(error)")
            }
            guard pair.forward.width == w, pair.forward.height == h else {
                // Flows are measured at the job's output size; a task rendering at another size (a multipass
                // lineage at 3/4 size) takes them resampled, as long as the shape is the frame's.
                let aspect = Double(pair.forward.width) / Double(max(1, pair.forward.height))
                guard abs(aspect - Double(w) / Double(max(1, h))) < 0.05 else {
                    throw TaskExecutionError.badInput(input: "\(frame) \(role) flow",
                                                      reason: "the flow is \(pair.forward.width)x\(pair.forward.height), the frame \(w)x\(h)")
                }
                return pair.resampled(width: w, height: h)
            }
            return pair
        }
    }

    /// The temporal terms of a STYLIZE task, or nil when it has none. `pairs` are the neighbours' flow
    /// pairs (`temporalPairs`), one per neighbour in order.
    func temporalTargets(_ task: Stylefarm_V1_TaskAssignment, content: Image, parameters: StyleTransferParameters,
                         pairs: [FlowPair], frame: String) throws -> TemporalTargets? {
        guard task.hasTemporal else { return nil }
        let inputs = task.temporal
        guard inputs.weight >= 0, inputs.weight.isFinite else {
            throw TaskExecutionError.invalidParameters("\(frame): temporal weight \(inputs.weight) must be finite and ≥ 0")
        }
        guard pairs.count == inputs.neighbours.count else {
            throw TaskExecutionError.invalidParameters("\(frame): \(pairs.count) flow pairs for \(inputs.neighbours.count) temporal neighbours")
        }
        let (w, h) = try Image.size(scaling: content.width, content.height, toLongerSide: parameters.size)
        var targets: [TemporalTargets.Target] = []
        for (i, (neighbour, pair)) in zip(inputs.neighbours, pairs).enumerated() {
            let role = "temporal neighbour \(i)"
            let result = try decodeResult(try fetch(neighbour.result.sha256, role: "\(role) result"), name: "\(frame) \(role) result", task: task)
            do {
                let resized = try result.toRGB().resized(width: w, height: h)
                let warped = neighbour.neighbourIsFirst ? try pair.warpIntoSecond(resized) : try pair.warpIntoFirst(resized)
                let certainty = neighbour.neighbourIsFirst ? try pair.certaintyOfSecond() : try pair.certaintyOfFirst()
                targets.append(TemporalTargets.Target(warped: warped, certainty: certainty.weights))
            } catch {
                throw TaskExecutionError.engine("\(frame): warping \(role): \(error)")
            }
        }
        var temporal = TemporalTargets(targets: targets, weight: inputs.weight, initializeFromWarped: inputs.warpedInit)
        if !inputs.initial.sha256.isEmpty {
            let own = try decodeResult(try fetch(inputs.initial.sha256, role: "previous sweep"), name: "\(frame) previous sweep", task: task)
            let start = try own.toRGB().resized(width: w, height: h)
            temporal.initialImage = inputs.blend > 0 && !targets.isEmpty
                ? TemporalTargets.blendedInitialization(own: start, neighbours: targets, strength: inputs.blend)
                : start
        }
        return temporal
    }

    func blend(_ task: Stylefarm_V1_TaskAssignment) throws -> [UInt8] {
        let frame = "job \(task.jobID) frame \(task.frameIndex) blend"
        guard !task.blendInputs.isEmpty else { throw TaskExecutionError.invalidParameters("\(frame): no inputs") }
        var sum: [Float] = []
        var width = 0, height = 0
        var bitDepth = 8
        for (i, input) in task.blendInputs.enumerated() {
            guard input.weight >= 0, input.weight.isFinite else {
                throw TaskExecutionError.invalidParameters("\(frame): input \(i) weight \(input.weight)")
            }
            let image = try decodeResult(try fetch(input.image.sha256, role: "blend input \(i)"), name: "\(frame) input \(i)", task: task).toRGB()
            bitDepth = max(bitDepth, image.bitDepth > 8 ? 16 : 8)
            if i == 0 {
                width = image.width; height = image.height
                sum = [Float](repeating: 0, count: image.pixels.count)
            } else if image.width != width || image.height != height {
                throw TaskExecutionError.badInput(input: "\(frame) input \(i)",
                                                  reason: "\(image.width)x\(image.height), the first input is \(width)x\(height)")
            }
            image.pixels.withUnsafeBufferPointer { src in
                for p in sum.indices { sum[p] += input.weight * src[p] }
            }
        }
        for p in sum.indices { sum[p] = min(1, max(0, sum[p])) }
        let out = Image(width: width, height: height, channels: 3, pixels: sum, bitDepth: bitDepth)
        if task.parameters.outputBitDepth != 0 { bitDepth = Int(task.parameters.outputBitDepth) }
        // An OpenEXR output takes the plate's colour space, alpha and other layers: the content plate comes too.
        let plate = task.outputExr ? try decodePlate(try content(of: task), name: "\(frame) content", task: task) : nil
        return try encodeFrame(out, task: task, plate: plate, bitDepth: bitDepth, name: "\(frame) output")
    }
}
