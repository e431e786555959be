import Engine
import Foundation
import ModelStore

/// The embedded default render: a short plate made from a pinned public-domain photo by a slow camera
/// pan (a fixed-size window sliding left to right across the photo), stylized with a pinned image.
enum DemoSequence {
    static let frameCount = 12
    static let content = "chelsea.png"
    static let style = "coffee.png"

    /// Writes `frameCount` pan frames `demo.0001.png …` into `folder` and returns (the content
    /// pattern, the style image path). Needs `stylefarm models install --demo`.
    static func writePlates(into folder: URL, modelDirectory: String?) throws -> (content: String, style: String) {
        let assets = try DemoAssets(modelDirectory: ModelDirectory.resolve(explicit: modelDirectory)).installedURLs()
        guard let contentURL = assets[content], let styleURL = assets[style] else {
            throw DemoSequenceError.missingAssets
        }
        let photo = try ImageReader.read(path: contentURL.path)
        // A 4:3 window, 80% of the photo's height, travelling across its whole width.
        let h = max(1, photo.height * 4 / 5), w = min(photo.width, h * 4 / 3)
        let y = (photo.height - h) / 2
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for i in 0..<frameCount {
            let x = (photo.width - w) * i / max(1, frameCount - 1)
            let frame = try photo.cropped(x: x, y: y, width: w, height: h)
            try ImageWriter.writePNG(frame, to: folder.appendingPathComponent(String(format: "demo.%04d.png", i + 1)).path)
        }
        return (folder.appendingPathComponent("demo.####.png").path, styleURL.path)
    }
}

enum DemoSequenceError: Error, CustomStringConvertible {
    case missingAssets
    var description: String {
        "the demo images are not installed; run `stylefarm models install --demo` (scripts/setup.sh does)"
    }
}
