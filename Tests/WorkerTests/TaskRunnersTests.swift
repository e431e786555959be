import Protocol
import XCTest
@testable import Worker

/// One runner per task kind, each declaring the blobs it reads (pinned while it runs).
final class TaskRunnersTests: XCTestCase {
    func testEveryKindHasOneRunner() {
        let kinds = Stylefarm_V1_TaskKind.allCases.filter { $0 != .unspecified }
        XCTAssertEqual(Set(TaskRunners.all.map(\.kind)), Set(kinds))
        XCTAssertEqual(TaskRunners.all.count, kinds.count, "one runner per kind")
        XCTAssertNil(TaskRunners.byKind[.unspecified])
        XCTAssertNil(TaskRunners.byKind[.UNRECOGNIZED(99)])
    }

    func testRunnersDeclareWhatTheirTasksName() {
        var task = Stylefarm_V1_TaskAssignment()
        task.content.sha256 = "content"
        task.secondContent.sha256 = "second"
        task.styles = [Stylefarm_V1_BlobRef.with { $0.sha256 = "style" }]
        task.styleTargetHashes = ["targets"]
        task.blendInputs = [Stylefarm_V1_BlendInput.with { $0.image.sha256 = "a" }, Stylefarm_V1_BlendInput.with { $0.image.sha256 = "b" }]
        task.temporal.neighbours = [Stylefarm_V1_TemporalNeighbour.with { $0.result.sha256 = "neighbour"; $0.flow.sha256 = "flow" }]
        task.temporal.initial.sha256 = "previous-sweep"
        task.tile.initial.sha256 = "tile-start"
        func inputs(_ kind: Stylefarm_V1_TaskKind) -> Set<String> {
            Set(TaskRunners.byKind[kind]!.inputs(of: task).filter { !$0.isEmpty })
        }
        XCTAssertEqual(inputs(.flow), ["content", "second"])
        XCTAssertEqual(inputs(.blend), ["a", "b"])
        XCTAssertEqual(inputs(.styleGrams), ["style"])
        XCTAssertEqual(inputs(.echo), ["content"])
        XCTAssertEqual(inputs(.sleep), [])
        XCTAssertTrue(inputs(.stylize).isSuperset(of: ["content", "style", "targets", "neighbour", "flow", "previous-sweep", "tile-start"]))
        XCTAssertFalse(inputs(.stylize).contains("a"), "a stylize task does not read blend inputs")
    }
}
