import Engine
import Foundation
import Protocol

/// Runs the tasks a worker was assigned, without any sockets: fetches the inputs from a `BlobSource`,
/// runs the engine (or a diagnostic), stores the output in the `BlobCache` and describes it in a
/// `Stylefarm_V1_Result`. Errors are `TaskExecutionError`s; `failure(for:task:)` turns any error into the
/// `Stylefarm_V1_Failure` to report.
///
/// Kinds:
/// * `STYLIZE`: decode the content frame, stylize it with the task's parameters, encode a PNG (bit depth
///   from the parameters, 0 = as the content image). With `style_target_hash` set and a single scale, the
///   precomputed targets (a serialized `StyleTargets`) are used instead of the style images; with several
///   scales the targets are computed from the style images at each scale, as `StyleTransfer` does.
/// * `ECHO`: sleep `diagnostic_duration_ms` (cancellable), then return the content blob unchanged.
/// * `SLEEP`: sleep `diagnostic_duration_ms` (cancellable), then return an empty output blob.
public final class TaskExecutor {
    public let host: EngineHost
    public let cache: BlobCache
    public let source: BlobSource

    /// `source` provides inputs (by default the cache itself); outputs always go to `cache`.
    public init(host: EngineHost, cache: BlobCache, source: BlobSource? = nil) {
        self.host = host
        self.cache = cache
        self.source = source ?? cache
    }

    /// Runs `task` to completion. `progress` is called after every objective evaluation (STYLIZE only);
    /// `cancellation` is checked there and while sleeping, and a cancelled task throws
    /// `TaskExecutionError.cancelled`.
    public func execute(_ task: Stylefarm_V1_TaskAssignment, cancellation: TaskCancellation = TaskCancellation(),
                        progress: ((Stylefarm_V1_Progress) -> Void)? = nil) throws -> Stylefarm_V1_Result {
        let start = DispatchTime.now().uptimeNanoseconds
        let inputs = [task.content.sha256] + task.styles.map(\.sha256) + (task.styleTargetHash.isEmpty ? [] : [task.styleTargetHash])
        for hash in inputs where !hash.isEmpty { cache.pin(hash) }
        defer { for hash in inputs where !hash.isEmpty { cache.unpin(hash) } }

        var stats = Stylefarm_V1_TaskStats()
        let output: [UInt8]
        let mediaType: String
        switch task.kind {
        case .stylize:
            let run = try stylize(task, cancellation: cancellation, progress: progress)
            output = run.png
            mediaType = "image/png"
            stats.finalLosses = Self.losses(run.finalLosses)
            stats.iterations = UInt32(clamping: run.evaluations)
        case .echo:
            try sleep(task, cancellation: cancellation)
            output = try fetch(task.content.sha256, role: "content")
            mediaType = task.content.mediaType
        case .sleep:
            try sleep(task, cancellation: cancellation)
            output = []
            mediaType = "application/octet-stream"
        case .unspecified, .UNRECOGNIZED:
            throw TaskExecutionError.unsupportedTaskKind(task.kind.rawValue)
        }
        if cancellation.isCancelled { throw TaskExecutionError.cancelled }

        let hash: String
        do {
            hash = try cache.put(output)
        } catch {
            throw TaskExecutionError.output(String(describing: error))
        }
        var result = Stylefarm_V1_Result()
        result.taskID = task.taskID
        result.attempt = task.attempt
        result.output.sha256 = hash
        result.output.size = UInt64(output.count)
        result.output.mediaType = mediaType
        stats.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        stats.peakRssBytes = PeakMemory.residentBytes()
        result.stats = stats
        return result
    }

    // MARK: - STYLIZE

    private struct Stylization {
        var png: [UInt8]
        var finalLosses: StyleObjective.Breakdown
        var evaluations: Int
    }

    private func stylize(_ task: Stylefarm_V1_TaskAssignment, cancellation: TaskCancellation,
                         progress: ((Stylefarm_V1_Progress) -> Void)?) throws -> Stylization {
        let usesTargets = !task.styleTargetHash.isEmpty && task.parameters.scales == 1
        let parameters = try StyleTransferParameters(task.parameters, styleCount: usesTargets ? max(1, task.styles.count) : task.styles.count)
        let frame = "job \(task.jobID) frame \(task.frameIndex)"
        let content = try decode(try fetch(task.content.sha256, role: "content"), name: "\(frame) content")
        if task.region.width > 0 || task.region.height > 0 {
            guard task.region.x == 0, task.region.y == 0, Int(task.region.width) == content.width,
                  Int(task.region.height) == content.height else {
                throw TaskExecutionError.invalidParameters("\(frame): tiles are not supported yet; the region must be the whole \(content.width)x\(content.height) frame")
            }
        }
        let vgg = try host.vgg(parameters.network, pooling: parameters.pooling)
        let budget = parameters.iterations * parameters.scales
        let observe: (Int, Int, Int, StyleObjective.Breakdown) -> Bool = { scale, evaluation, scaleBudget, losses in
            if let progress {
                var message = Stylefarm_V1_Progress()
                message.taskID = task.taskID
                message.attempt = task.attempt
                message.iteration = UInt32(clamping: scale * scaleBudget + evaluation)
                message.budget = UInt32(clamping: budget)
                message.losses = Self.losses(losses)
                progress(message)
            }
            return !cancellation.isCancelled
        }

        let run: (image: Image, finalLosses: StyleObjective.Breakdown, evaluations: Int)
        do {
            if usesTargets {
                let bytes = try fetch(task.styleTargetHash, role: "style targets")
                let targets: StyleTargets
                do {
                    targets = try StyleTargets(serialized: bytes)
                } catch let error as StyleTargetsSerializationError {
                    throw TaskExecutionError.badInput(input: "\(frame) style targets \(task.styleTargetHash)", reason: error.description)
                }
                let output = try StyleTransfer(vgg: vgg).stylize(content: content, styles: [], parameters: parameters,
                                                                 styleTargets: [targets]) {
                    observe($0.scale, $0.evaluation, $0.budget, $0.losses)
                }
                run = (output.image, output.finalLosses, output.evaluations)
            } else {
                let styles = try task.styles.enumerated().map { i, ref in
                    try decode(try fetch(ref.sha256, role: "style \(i)"), name: "\(frame) style \(i)")
                }
                let output = try StyleTransfer(vgg: vgg).stylize(content: content, styles: styles, parameters: parameters) {
                    observe($0.scale, $0.evaluation, $0.budget, $0.losses)
                }
                run = (output.image, output.finalLosses, output.evaluations)
            }
        } catch let error as StyleTransferError {
            switch error {
            case .invalidParameter(let m): throw TaskExecutionError.invalidParameters(m)
            case .emptyImage(let which): throw TaskExecutionError.badInput(input: "\(frame) \(which)", reason: "the image is empty")
            }
        } catch let error as TaskExecutionError {
            throw error
        } catch let error as BlobStoreError {
            throw error
        } catch {
            throw TaskExecutionError.engine(String(describing: error))
        }
        if cancellation.isCancelled { throw TaskExecutionError.cancelled }

        let bitDepth = task.parameters.outputBitDepth == 0 ? (content.bitDepth > 8 ? 16 : 8) : Int(task.parameters.outputBitDepth)
        do {
            let png = try ImageWriter.encodePNG(run.image, bitDepth: bitDepth, name: "\(frame) output")
            return Stylization(png: [UInt8](png), finalLosses: run.finalLosses, evaluations: run.evaluations)
        } catch let error as ImageIOError {
            if case .outOfMemory = error { throw TaskExecutionError.outOfMemory(error.description) }
            throw TaskExecutionError.output(error.description)
        }
    }

    // MARK: - Helpers

    private func sleep(_ task: Stylefarm_V1_TaskAssignment, cancellation: TaskCancellation) throws {
        guard cancellation.sleep(seconds: Double(task.diagnosticDurationMs) / 1000) else { throw TaskExecutionError.cancelled }
    }

    private func fetch(_ hash: String, role: String) throws -> [UInt8] {
        do {
            return try source.blob(hash)
        } catch BlobStoreError.missing(let h) {
            throw TaskExecutionError.missingBlob(sha256: h, role: role)
        } catch BlobStoreError.invalidHash(let h) {
            throw TaskExecutionError.invalidParameters("the \(role) blob name is not a SHA-256: \(h.prefix(80))")
        }
    }

    private func decode(_ bytes: [UInt8], name: String) throws -> Image {
        do {
            return try ImageReader.decode(bytes: bytes, name: name)
        } catch let error as ImageIOError {
            if case .outOfMemory = error { throw TaskExecutionError.outOfMemory(error.description) }
            throw TaskExecutionError.badInput(input: name, reason: error.description)
        }
    }

    static func losses(_ breakdown: StyleObjective.Breakdown) -> Stylefarm_V1_Losses {
        var losses = Stylefarm_V1_Losses()
        losses.total = Double(breakdown.total)
        losses.content = Double(breakdown.content)
        losses.style = Double(breakdown.style)
        losses.tv = Double(breakdown.totalVariation)
        return losses
    }
}
