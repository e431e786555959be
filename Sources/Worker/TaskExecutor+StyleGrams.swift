import Engine
import Foundation
import Protocol

/// STYLE_GRAMS (issue 7): part of a large job's style targets. The style image is scaled exactly as the
/// engine scales it for that scale (`StyleTransfer.styleTargets`: RGB, `Image.resized`, VGG
/// preprocessing), and the named cores of its grid are summed (`GramSums.compute`), so the coordinator's
/// sum over all parts is the targets one machine would have computed.
extension TaskExecutor {
    func styleGrams(_ task: Stylefarm_V1_TaskAssignment, cancellation: TaskCancellation) throws -> [UInt8] {
        let inputs = task.styleGrams
        let name = "job \(task.jobID) style targets, style \(inputs.styleIndex)"
        guard task.hasStyleGrams, Int(inputs.styleIndex) < task.styles.count else {
            throw TaskExecutionError.invalidParameters("\(name): a STYLE_GRAMS task needs style_grams naming one of its \(task.styles.count) style image(s)")
        }
        let (w, h, core) = (Int(inputs.styleWidth), Int(inputs.styleHeight), Int(inputs.core))
        let grid = GramSums.coreGrid(width: w, height: h, core: max(1, core))
        let cores = Int(inputs.firstCore) ..< Int(inputs.firstCore) + Int(inputs.coreCount)
        guard w > 0, h > 0, core > 0, core % 16 == 0, !cores.isEmpty, cores.upperBound <= grid.columns * grid.rows else {
            throw TaskExecutionError.invalidParameters("\(name): cores \(cores) of a \(core)-px grid over \(w)x\(h) are not a valid part")
        }
        let parameters = try Self.engineParameters(of: task, styleCount: max(1, task.styles.count))
        let style = try decodeStyle(try fetch(task.styles[Int(inputs.styleIndex)].sha256, role: "style \(inputs.styleIndex)"), name: name)
        guard style.width > 0, style.height > 0 else { throw TaskExecutionError.badInput(input: name, reason: "the image is empty") }
        let sums: GramSums
        do {
            let tensor = VGGPreprocessing.tensor(from: try style.toRGB().resized(width: w, height: h))
            let vgg = try host.vgg(parameters.network, pooling: parameters.pooling)
            sums = try GramSums.compute(vgg: vgg, style: tensor, layerNames: parameters.styleLayers.map(\.name), core: core,
                                        cores: cores, shouldStop: { cancellation.isCancelled })
        } catch let error as TaskExecutionError {
            throw error
        } catch {
            throw TaskExecutionError.engine("\(name): \(error)")
        }
        if cancellation.isCancelled { throw TaskExecutionError.cancelled }
        return try sums.serialized()
    }
}
