import ArgumentParser
import Engine
import Foundation
import ModelStore

/// `stylefarm demo`: the embedded default job — stylize a pinned public-domain photo with a pinned
/// public-domain image, both from the scikit-image wheel (`stylefarm models install --demo`).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Stylize a demo image (scikit-image's cat photo, Chelsea, in the style of its latte-art photo).",
        discussion: "Needs `stylefarm models install` and `stylefarm models install --demo` (scripts/setup.sh runs both).")

    @Option(help: "Demo content image name.")
    var content = "chelsea.png"

    @Option(help: "Demo style image name.")
    var style = "coffee.png"

    @Option(help: "Output PNG path.")
    var out = "out/demo.png"

    @Option(help: "Longer side of the output in pixels.")
    var size = 384

    @Option(help: "Objective evaluations per scale.")
    var iterations = 150

    @Option(help: "Coarse-to-fine scales.")
    var scales = 2

    @OptionGroup var engine: EngineOptions

    func run() throws {
        let assets = try DemoAssets(modelDirectory: ModelDirectory.resolve(explicit: engine.modelDir)).installedURLs()
        guard let contentURL = assets[content] else {
            throw ValidationError("no demo image '\(content)'; choose one of \(assets.keys.sorted().joined(separator: ", "))")
        }
        guard let styleURL = assets[style] else {
            throw ValidationError("no demo image '\(style)'; choose one of \(assets.keys.sorted().joined(separator: ", "))")
        }
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: out).deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        let command = try StylizeCommand.parse([
            "--content", contentURL.path, "--style", styleURL.path, "--out", out,
            "--size", String(size), "--iterations", String(iterations), "--scales", String(scales),
            "--network", engine.network.rawValue, "--pooling", engine.pooling.rawValue,
        ] + (engine.threads.map { ["--threads", String($0)] } ?? []) + (engine.modelDir.map { ["--model-dir", $0] } ?? []))
        try command.run()
    }
}
