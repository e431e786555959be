import Foundation
import XCTest
import TestSupport
@testable import ModelStore

/// `models install --segmentation`: pinned DeepLab files from a local folder, checksums, clear errors.
final class SegmentationModelsTests: XCTestCase {
    func testDeepLabInstallsFromALocalFolderAndIsVerifiedOnLookup() throws {
        // The pinned DeepLab files are in the shared test data only: skip (before any assertion) without them.
        let sharedModels = try SharedTestData.url("models/" + SegmentationModel.deeplab.fileName).deletingLastPathComponent()
        let target = try Fixtures.temporaryDirectory(self)
        var models = SegmentationModels(directory: target)
        models.models = [.deeplab, .deeplabSmall]
        XCTAssertThrowsError(try models.installedURL("deeplab")) {
            XCTAssertTrue("\($0)".contains("stylefarm models install --segmentation"), "\($0)")
        }
        XCTAssertThrowsError(try models.installedURL("fcn")) { XCTAssertTrue("\($0)".contains("deeplab, deeplab-small"), "\($0)") }

        XCTAssertEqual(try models.install(sourceDirectory: sharedModels, environment: [:]), ["deeplab", "deeplab-small"])
        let url = try models.installedURL("deeplab")
        XCTAssertEqual(try Checksum.sha256(fileAt: url), SegmentationModel.deeplab.sha256)
        XCTAssertEqual(try models.install(sourceDirectory: sharedModels, environment: [:]), [], "idempotent")

        // A damaged file is caught on lookup and replaced by the next install.
        try Data("not a model".utf8).write(to: url)
        XCTAssertThrowsError(try models.installedURL("deeplab")) { XCTAssertTrue("\($0)".contains(SegmentationModel.deeplab.sha256), "\($0)") }
        XCTAssertEqual(try models.install(sourceDirectory: sharedModels, environment: [:]), ["deeplab"])
    }

    func testAWrongOrMissingSourceFileIsRefused() throws {
        let source = try Fixtures.temporaryDirectory(self)
        var models = SegmentationModels(directory: try Fixtures.temporaryDirectory(self))
        models.models = [.deeplab]
        XCTAssertThrowsError(try models.install(sourceDirectory: source, environment: [:])) {
            XCTAssertTrue("\($0)".contains("--from DIR"), "\($0)")
            XCTAssertTrue("\($0)".contains("raw.githubusercontent.com/google-coral/test_data/\(SegmentationModel.coralCommit)"), "\($0)")
        }
        try Data(count: SegmentationModel.deeplab.size).write(to: source.appendingPathComponent(SegmentationModel.deeplab.fileName))
        XCTAssertThrowsError(try models.install(sourceDirectory: source, environment: [:])) {
            guard case .checksumMismatch = $0 as? ModelStoreError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(models.missingOrDamaged().map(\.name), ["deeplab"], "nothing was written")
    }
}
