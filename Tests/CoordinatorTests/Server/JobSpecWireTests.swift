import Engine
import Protocol
import XCTest
@testable import Coordinator

/// What `stylefarm submit` sends is what the coordinator plans: a resolved job survives the wire.
final class JobSpecWireTests: XCTestCase {
    func testAResolvedStylizeJobRoundTripsThroughTheWire() throws {
        let job = try JobSpecFile.parse(JobSpecTests.fullYAML, source: "job.yaml", baseDirectory: "/jobs/shot010").resolve()
        let wire = Stylefarm_V1_JobSpec(job)
        XCTAssertEqual(wire.kind, .stylize)
        XCTAssertEqual(wire.outputDir, "/jobs/renders/shot010")
        XCTAssertEqual(wire.outputPattern, "starry/shot010_starry.####.png", "sent relative to output_dir")
        XCTAssertTrue(wire.contentPattern.hasPrefix("/"), "paths travel absolute")
        let decoded = try JobSpec(wire: try Stylefarm_V1_JobSpec(serializedBytes: try wire.serializedData())).resolve(baseDirectory: "/elsewhere")
        XCTAssertEqual(decoded, job)
    }

    func testEchoJobsKeepAZeroDurationAndZeroWeightsStayZero() throws {
        let echo = try JobSpec(name: "bench", kind: .echo, frames: "1-5", echoSeconds: 0).resolve(baseDirectory: "/")
        let back = try JobSpec(wire: Stylefarm_V1_JobSpec(echo)).resolve(baseDirectory: "/")
        XCTAssertEqual(back.kind, .echo)
        XCTAssertEqual(back.echoSeconds, 0)
        XCTAssertEqual(back, echo)

        let texture = try JobSpec(name: "texture", content: "/p/plate.####.png", frames: "1", styles: ["/s.png"],
                                  outputDir: "/out", contentWeight: 0).resolve(baseDirectory: "/")
        XCTAssertEqual(try JobSpec(wire: Stylefarm_V1_JobSpec(texture)).resolve(baseDirectory: "/").parameters.contentWeight, 0,
                       "a content weight of 0 (texture synthesis) is not mistaken for 'unset'")
    }
}
