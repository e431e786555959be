import Engine
import Foundation

/// What tests compare of rendered frames. A PNG frame carries its provenance as text (job, task, paths), which
/// differs between the farm and `stylefarm stylize` — and between two farm jobs — while the image must not.
public enum RenderedFile {
    /// The PNG at `path` without its text chunks (``PNGText/removingText(from:name:)``): the encoded image, byte for
    /// byte.
    public static func imageBytes(_ path: String) throws -> [UInt8] {
        try PNGText.removingText(from: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), name: path)
    }
}
