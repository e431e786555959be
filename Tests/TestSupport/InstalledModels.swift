import Foundation
import ModelStore
import XCTest

/// Checks for the installed models a test needs (`stylefarm models install [--segmentation]`, which
/// `scripts/test.sh` runs), called first thing in the test: each missing one is a skip whose reason (before
/// " — ") says how to install it.
public enum InstalledModels {
    public static let vggAbsentReason = "VGG-16 weights are not installed; run `stylefarm models install`"
    public static let segmentationAbsentReason = "segmentation model not installed; run `stylefarm models install --segmentation`"

    /// Skips unless the VGG-16 weight file is in the model directory.
    public static func requireVGG16() throws {
        let url = ModelDirectory.resolve().url.appendingPathComponent("vgg16.sfw")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(vggAbsentReason) — \(url.path) is missing")
        }
    }

    /// Skips unless every segmentation model in `names` (`deeplab`, `deeplab-small`, `selfie`) is installed and intact.
    public static func requireSegmentation(_ names: String...) throws {
        let models = SegmentationModels(modelDirectory: ModelDirectory.resolve())
        for name in names {
            do { _ = try models.installedURL(name) } catch {
                throw XCTSkip("\(segmentationAbsentReason) — \(name): \(error)")
            }
        }
    }
}
