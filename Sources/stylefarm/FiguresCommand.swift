import ArgumentParser
import Engine
import Foundation
import ModelStore

/// `stylefarm figures`: regenerates `docs/figures/` — the seed paper's Figure 3 idea, side by side:
/// content, stylized without segmentation, stylized with segmentation (subject kept photoreal or given its
/// own style), and the region mask — with measured numbers at equal iterations.
struct FiguresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures",
        abstract: "Regenerate docs/figures: stylization with and without segmentation, with measured region losses.",
        discussion: """
            Needs `stylefarm models install --demo --segmentation` and the shared test images (--data). Cases whose
            images are missing are skipped with a message. Example (what `make figures` runs):
              stylefarm figures --data ../shared/data --out docs/figures --size 256 --iterations 150
            """)

    @Option(help: "Shared data folder with images/ and styles/ (default: $STYLEFARM_TEST_DATA, else ../shared/data).")
    var data: String?

    @Option(help: "Output folder.")
    var out: String = "docs/figures"

    @Option(help: "Longer side of the stylized images.")
    var size: Int = 256

    @Option(help: "Objective evaluations per run (the same for both runs of a case).")
    var iterations: Int = 150

    @Option(help: "Run only the cases with these names (comma-separated).")
    var only: String?

    @OptionGroup var engine: EngineOptions

    /// One figure: a content image, the job's style, and the regions of the segmented run.
    struct Case {
        var name: String
        var title: String
        /// `shared:images/x.png` or `demo:astronaut.png`.
        var content: String
        var style: String
        var segment: RegionSource
        var regions: [RegionAssignment]
    }

    static let cases: [Case] = [
        Case(name: "portrait", title: "Portrait kept photoreal in a painted world", content: "shared:images/grace_hopper.png",
             style: "shared:styles/starry_night.jpg", segment: .selfie, regions: [RegionAssignment(name: "person", style: .none)]),
        Case(name: "astronaut", title: "Astronaut (demo image) kept photoreal", content: "demo:astronaut.png",
             style: "shared:styles/the_scream.jpg", segment: .deeplab, regions: [RegionAssignment(name: "person", style: .none)]),
        Case(name: "cat", title: "Cat kept photoreal", content: "shared:images/cat.png",
             style: "shared:styles/great_wave_off_kanagawa.jpg", segment: .deeplab, regions: [RegionAssignment(name: "cat", style: .none)]),
        Case(name: "dogs", title: "Dogs given their own style", content: "shared:images/pets.jpg",
             style: "shared:styles/starry_night.jpg", segment: .deeplab,
             regions: [RegionAssignment(name: "foreground", style: .image("shared:styles/udnie.jpg"))]),
    ]

    func run() throws {
        let vgg = try engine.makeNetwork()
        let transfer = StyleTransfer(vgg: vgg)
        let models = SegmentationModels(modelDirectory: ModelDirectory.resolve(explicit: engine.modelDir))
        let demo = try? DemoAssets(modelDirectory: ModelDirectory.resolve(explicit: engine.modelDir)).installedURLs()
        let dataRoot = data ?? ProcessInfo.processInfo.environment["STYLEFARM_TEST_DATA"] ?? "../shared/data"
        func resolve(_ reference: String) -> String? {
            if reference.hasPrefix("shared:") {
                let path = (dataRoot as NSString).appendingPathComponent(String(reference.dropFirst(7)))
                return FileManager.default.fileExists(atPath: path) ? path : nil
            }
            if reference.hasPrefix("demo:") { return demo?[String(reference.dropFirst(5))]?.path }
            return reference
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var p = StyleTransferParameters()
        p.size = size
        p.iterations = iterations
        let selected = only.map { Set($0.split(separator: ",").map(String.init)) }
        var rows: [String] = [], pictures: [String] = []
        for figure in Self.cases where selected?.contains(figure.name) ?? true {
            let paths = ([figure.content, figure.style] + figure.regions.compactMap {
                if case .image(let s) = $0.style { return s } else { return nil }
            }).map { ($0, resolve($0)) }
            if let missing = paths.first(where: { $0.1 == nil }) {
                print("skipped \(figure.name): \(missing.0) not found (shared data at \(dataRoot); demo images: `stylefarm models install --demo`)")
                continue
            }
            let lookup = Dictionary(paths.map { ($0.0, $0.1!) }, uniquingKeysWith: { a, _ in a })
            let regions = figure.regions.map { r -> RegionAssignment in
                var copy = r
                if case .image(let s) = r.style { copy.style = .image(lookup[s]!) }
                return copy
            }
            let original = try ImageReader.read(path: lookup[figure.content]!)
            let (w, h) = try Image.size(scaling: original.width, original.height, toLongerSide: size)
            let content = try original.toRGB().resized(width: w, height: h)
            let style = try ImageReader.read(path: lookup[figure.style]!)
            let maker = try RegionMaskMaker(source: figure.segment, modelPath: try models.installedURL(figure.segment.description).path)
            let masks = try maker.masks(for: original, width: w, height: h)
            let layout = RegionStyleLayout(assignments: regions, hasDefaultStyle: true)
            let plan = try RegionPlan.resolve(masks: masks, assignments: regions, styleSets: layout.assignmentSets,
                                              defaultStyleSet: layout.defaultSet)
            let targets = try RegionOptions.styleTargets(transfer: transfer, defaultStyles: [style], layout: layout,
                                                         parameters: p, limits: ImageLimits())
            let start = Date()
            let plain = try transfer.stylize(content: content, styles: [], parameters: p, styleTargets: targets[0]).image
            let plainSeconds = Date().timeIntervalSince(start)
            let segStart = Date()
            let segmented = try transfer.stylize(content: content, regions: RegionStylization(plan: plan),
                                                 styleTargets: targets, parameters: p).image
            let segSeconds = Date().timeIntervalSince(segStart)

            // Foreground: the named regions; background: the rest, with the job's style.
            let rest = plan.regions.first { $0.name == "rest" }?.mask ?? [Float](repeating: 0, count: w * h)
            let foreground = rest.map { 1 - $0 }
            func measure(_ image: Image) throws -> (fgContent: Float, bgStyle: Float, fgOwnStyle: Float?) {
                let fg = try RegionLosses.content(vgg: vgg, image: image, content: content, mask: foreground, layers: p.contentLayers)
                let bg = try RegionLosses.style(vgg: vgg, image: image, mask: rest, targets: targets[0][0], layers: p.styleLayers,
                                                propagation: .inside)
                var own: Float? = nil
                if targets.count > 1 {
                    own = try RegionLosses.style(vgg: vgg, image: image, mask: foreground, targets: targets[1][0],
                                                 layers: p.styleLayers, propagation: .inside)
                }
                return (fg, bg, own)
            }
            let a = try measure(plain), b = try measure(segmented)
            let matte = Image(width: w, height: h, channels: 1, pixels: foreground)
            let sheet = try ContactSheet.compose([content, plain, segmented, matte], columns: 4, cellWidth: w, gap: 6)
            try ImageWriter.writePNG(sheet, to: (out as NSString).appendingPathComponent("\(figure.name).png"))
            let ratio = b.bgStyle / max(a.bgStyle, 1e-12)
            let ownText = a.fgOwnStyle.map { String(format: "%.4g → %.4g", Double($0), Double(b.fgOwnStyle!)) } ?? "—"
            let share = 100 * (1 - plan.regions.first { $0.name == "rest" }.map(\.share).map(Double.init)! )
            let row = String(format: "| %@ | %@ | %.1f%% | %.4g | %.4g | %.2f× | %.4g | %.4g | %.2f× | %@ |",
                             figure.name, regions.map { $0.description.replacingOccurrences(of: dataRoot + "/", with: "") }
                                .joined(separator: " "), share,
                             Double(a.fgContent), Double(b.fgContent), Double(b.fgContent / max(a.fgContent, 1e-12)),
                             Double(a.bgStyle), Double(b.bgStyle), Double(ratio), ownText)
            print(row + String(format: " (%.0f s plain, %.0f s segmented)", plainSeconds, segSeconds))
            pictures.append("### \(figure.title)\n\n![\(figure.title): content, without segmentation, with segmentation, mask](\(figure.name).png)\n")
            rows.append(row)
        }
        let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
        let readme = """
            # Figures: stylization with and without segmentation

            Generated by `make figures` (`stylefarm figures --data ../shared/data --out docs/figures --size \(size) --iterations \(iterations)`)
            on \(date). Each row: the content image, stylized without segmentation, stylized with segmentation
            (`--segment` + `--region`, joint optimization with guided Gram matrices, `inside` guides), and the
            foreground mask (network probabilities refined by the dense CRF). Both runs start from the content
            image, use the same style targets, VGG-16, L-BFGS and \(iterations) evaluations at \(size) px.

            Measured on the output images (`RegionLosses`): the foreground's content loss (mean squared relu4_2
            feature difference to the content image inside the mask) and the background's style loss (guided Gram
            distance to the job's style over relu1_1…relu5_1, `inside` guides, the same measurement for both images).
            The segmented result should keep the foreground better (lower foreground content loss) at no more than
            10 % higher background style loss (ratio ≤ 1.10). Why the background's style loss drops too: the plain run
            matches the painting's statistics over the whole frame, so the background alone carries only part of them
            (the rest is spent on the subject); the segmented run matches the background's own statistics to the painting.

            | case | regions | foreground | fg content loss, plain | fg content loss, segmented | ratio | bg style loss, plain | bg style loss, segmented | ratio | fg loss to its own style (plain → segmented) |
            |---|---|---|---|---|---|---|---|---|---|

            """ + rows.joined(separator: "\n") + "\n\n" + pictures.joined(separator: "\n")
        try Data(readme.utf8).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("README.md")))
        print("wrote \(rows.count) figures and README.md to \(out)")
    }
}
