import Protocol
import XCTest
@testable import Coordinator

/// `OutputIntake`: where a current result's output goes, decided without sockets or files.
final class OutputIntakeTests: XCTestCase {
    private let sha = String(repeating: "ab", count: 32)
    private func intermediate(_ sha: String) -> String { "/state/intermediate/\(sha)" }
    private func decide(hasData: Bool, _ task: OutputIntake.Task, existing: Set<String> = []) -> OutputIntake.Decision {
        OutputIntake.decide(sha: sha, hasData: hasData, task: task, intermediatePath: intermediate, exists: { existing.contains($0) })
    }

    func testANameThatIsNotABlobNameIsRefusedBeforeAnyPath() {
        var asked = false
        for name in ["../../etc", "", String(repeating: "AB", count: 32), String(repeating: "a", count: 63)] {
            let decision = OutputIntake.decide(sha: name, hasData: true,
                                               task: .init(producesOutput: false, sharedFilesystem: false, outputPath: "/out/f.png"),
                                               intermediatePath: { asked = true; return "/state/intermediate/\($0)" },
                                               exists: { _ in asked = true; return false })
            guard case .refuse(let error) = decision else { return XCTFail("\(name.debugDescription) was taken: \(decision)") }
            XCTAssertTrue(error.contains("not a SHA-256"), error)
        }
        XCTAssertFalse(asked, "a refused name never becomes a path")
    }

    func testBlobModeOutputsAreTakenInlineOrPulledToTheFramesPath() {
        let task = OutputIntake.Task(producesOutput: true, sharedFilesystem: false, outputPath: "/out/f.0001.png")
        XCTAssertEqual(decide(hasData: true, task), .takeInline(path: "/out/f.0001.png"))
        XCTAssertEqual(decide(hasData: false, task), .fetch(path: "/out/f.0001.png"))
    }

    func testSharedFilesystemOutputsAreInPlaceAndInlineBytesAreOnlyChecked() {
        let task = OutputIntake.Task(producesOutput: true, sharedFilesystem: true, outputPath: "/out/f.0001.png")
        XCTAssertEqual(decide(hasData: false, task), .completeInPlace)
        XCTAssertEqual(decide(hasData: true, task), .takeInline(path: nil))
    }

    func testIntermediatesAreKeptOnTheCoordinatorInEveryModeOnce() {
        for shared in [false, true] {
            let task = OutputIntake.Task(producesOutput: false, sharedFilesystem: shared, outputPath: "/out/f.0001.png")
            XCTAssertEqual(decide(hasData: false, task), .fetch(path: intermediate(sha)), "shared: \(shared)")
            XCTAssertEqual(decide(hasData: true, task), .takeInline(path: intermediate(sha)), "shared: \(shared)")
            // Byte-identical to an intermediate already kept (a black leader, a held frame): nothing moves.
            XCTAssertEqual(decide(hasData: false, task, existing: [intermediate(sha)]), .alreadyKept)
            XCTAssertEqual(decide(hasData: true, task, existing: [intermediate(sha)]), .alreadyKept)
        }
    }

    func testATaskTheServerCannotPlaceHasNothingPulled() {
        // Not in the plan (a job no longer in memory) or a job without an output path: nowhere to write.
        let unknown = OutputIntake.Task(producesOutput: nil, sharedFilesystem: false, outputPath: nil)
        XCTAssertEqual(decide(hasData: false, unknown), .completeInPlace)
        XCTAssertEqual(decide(hasData: true, unknown), .takeInline(path: nil))
        let empty = OutputIntake.Task(producesOutput: true, sharedFilesystem: false, outputPath: "")
        XCTAssertEqual(decide(hasData: false, empty), .completeInPlace)
    }
}
