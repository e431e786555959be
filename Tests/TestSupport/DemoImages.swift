import Foundation
import ModelStore
import XCTest

/// The demo images of the pinned scikit-image wheel (`stylefarm models install --demo`, which
/// `scripts/test.sh` runs): public-domain and CC0 photographs and textures that tests use wherever the
/// exact picture does not matter, so they run on any clone, without the shared test data.
public enum DemoImages {
    /// The reason a test skips without them (the key `scripts/test.sh` groups skips by).
    public static let absentReason = "demo images not installed; run `stylefarm models install --demo`"

    /// The path of the installed demo image `name` (e.g. `astronaut.png`, one of `DemoAssets.all`), checked
    /// against its pinned SHA-256, or `XCTSkip` when it is not installed.
    public static func path(_ name: String) throws -> String {
        let demo = DemoAssets(modelDirectory: ModelDirectory.resolve())
        guard let url = try? demo.installedURLs()[name] else {
            throw XCTSkip("\(absentReason) — \(name) is not in \(demo.directory.path)")
        }
        return url.path
    }

    /// A portrait photograph: NASA's astronaut (512×512 RGB, public domain).
    public static var portrait: String { get throws { try path("astronaut.png") } }
    /// A style image: latte art in a cup of coffee (600×400 RGB, CC0), the demo render's style.
    public static var painting: String { get throws { try path("coffee.png") } }
    /// A second style, unlike the first: the Hubble deep field (1000×872 RGB, public domain).
    public static var secondPainting: String { get throws { try path("hubble_deep_field.jpg") } }
    /// A second photograph: Chelsea the cat (451×300 RGB, CC0).
    public static var cat: String { get throws { try path("chelsea.png") } }
    /// A baseline JPEG photograph: a rocket (640×427 RGB, public domain).
    public static var jpeg: String { get throws { try path("rocket.jpg") } }
}
