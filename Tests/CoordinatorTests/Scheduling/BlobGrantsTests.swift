import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// `BlobGrants`: a worker may fetch the blobs its held tasks' assignments name, found in the serialized
/// assignment whatever field carries them, and nothing else; the grant ends with the task.
final class BlobGrantsTests: XCTestCase {
    private func hash(_ text: String) -> String { BlobName.of(Data(text.utf8)) }

    func testEveryHashOfAnAssignmentIsFoundWhateverItsField() throws {
        var a = Stylefarm_V1_TaskAssignment()
        a.taskID = "job/f1"
        a.content.sha256 = hash("content")
        a.styles = [hash("style a"), hash("style b")].map { sha in Stylefarm_V1_BlobRef.with { $0.sha256 = sha } }
        a.styleTargetHashes = [hash("targets 0"), hash("targets 1")]   // a repeated string: entries back to back
        a.regionStyleTargets = [Stylefarm_V1_StyleTargetSet.with { $0.hashes = [hash("region")] }]
        a.contentPath = "/plates/" + hash("a path is not a hash field") + "/f.png"
        let found = BlobGrants.hashes(inSerialized: try a.serializedData())
        XCTAssertEqual(found, Set(["content", "style a", "style b", "targets 0", "targets 1", "region"].map(hash)))
        XCTAssertTrue(BlobGrants.hashes(inSerialized: Data()).isEmpty)
        let upper = Data(("@" + String(repeating: "A", count: 64)).utf8)
        XCTAssertTrue(BlobGrants.hashes(inSerialized: upper).isEmpty, "upper-case hex is not a blob name")
    }

    func testAWorkerMayFetchOnlyWhatItsHeldTasksName() {
        var grants = BlobGrants()
        grants.grant([hash("a"), hash("b")], task: "t1", to: "w1")
        grants.grant([hash("b")], task: "t2", to: "w1")
        XCTAssertTrue(grants.allows(hash("a"), to: "w1"))
        XCTAssertFalse(grants.allows(hash("a"), to: "w2"), "another worker's task does not grant it")
        XCTAssertFalse(grants.allows(hash("secret"), to: "w1"))
        grants.end(task: "t1", of: "w1")
        XCTAssertFalse(grants.allows(hash("a"), to: "w1"))
        XCTAssertTrue(grants.allows(hash("b"), to: "w1"), "t2 still names it")
        grants.endAll(of: "w1")
        XCTAssertFalse(grants.allows(hash("b"), to: "w1"))
    }
}
