import Foundation
import SwiftProtobuf
import XCTest
@testable import Protocol

/// Every message type survives protobuf encoding with all fields set.
final class MessageRoundTripTests: XCTestCase {
    private func assertRoundTrip<M: SwiftProtobuf.Message & Equatable>(_ message: M, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes: Data = try message.serializedData()
        XCTAssertFalse(bytes.isEmpty, "\(M.self) encoded to nothing", file: file, line: line)
        XCTAssertEqual(try M(serializedBytes: bytes), message, "\(M.self)", file: file, line: line)
    }

    /// The case name of an enum value such as `.register(…)`.
    private func caseName(_ value: Any) -> String {
        String(String(describing: value).prefix { $0 != "(" })
    }

    func testWorkerMessagesRoundTripAndCoverEveryType() throws {
        for m in Samples.workerMessages { try assertRoundTrip(m) }
        XCTAssertEqual(Set(Samples.workerMessages.map { caseName($0.payload!) }).count, 9)
    }

    func testCoordinatorMessagesRoundTripAndCoverEveryType() throws {
        for m in Samples.coordinatorMessages { try assertRoundTrip(m) }
        XCTAssertEqual(Set(Samples.coordinatorMessages.map { caseName($0.payload!) }).count, 7)
    }

    func testClientRequestsRoundTripAndCoverEveryType() throws {
        for m in Samples.clientRequests { try assertRoundTrip(m) }
        XCTAssertEqual(Set(Samples.clientRequests.map { caseName($0.payload!) }).count, 6)
    }

    func testClientRepliesRoundTripAndCoverEveryType() throws {
        for m in Samples.clientReplies { try assertRoundTrip(m) }
        XCTAssertEqual(Set(Samples.clientReplies.map { caseName($0.payload!) }).count, 6)
    }

    func testStandaloneMessagesRoundTrip() throws {
        try assertRoundTrip(Samples.parameters)
        try assertRoundTrip(Samples.task)
        try assertRoundTrip(Samples.jobSpec)
        try assertRoundTrip(Samples.jobEvent)
        var lbfgs = Stylefarm_V1_Optimizer()
        var l = Stylefarm_V1_Optimizer.Lbfgs(); l.history = 10
        lbfgs.kind = .lbfgs(l)
        try assertRoundTrip(lbfgs)
    }

    func testSamplesSetEveryField() throws {
        // A field left at its default is not on the wire, so a sample with a default field would
        // not catch a lost field. Compare the text format against the proto's field count.
        let text = Samples.parameters.textFormatString()
        for name in ["network", "pooling", "size", "iterations", "optimizer", "content_weight", "style_weight",
                     "tv_weight", "content_layers", "style_layers", "style_blend_weights", "style_scale",
                     "initialization", "scales", "original_colors", "seed", "output_bit_depth"] {
            XCTAssertTrue(text.contains(name + ":") || text.contains(name + " {"), "EngineParameters.\(name) unset in sample")
        }
    }

    func testRegionFieldsSurviveTheWireWithTheirFieldNumbers() throws {
        let task = try Stylefarm_V1_TaskAssignment(serializedBytes: try Samples.task.serializedData())
        XCTAssertEqual(task.regions, Samples.regionSpec)
        XCTAssertEqual(task.regions.regions.map(\.name), ["background", "foreground"])
        XCTAssertEqual(task.regions.regions[0].contentWeight, 0.5)
        XCTAssertEqual(task.regions.guide, .average)
        XCTAssertEqual(task.regions.mode, .composite)
        XCTAssertTrue(task.regions.crfDisabled)
        XCTAssertEqual(task.regionStyleTargets.map(\.hashes), [[Samples.hashA, Samples.hashB], [Samples.hashB, Samples.hashA]])
        XCTAssertEqual(task.regionMask.sha256, Samples.hashB)
        XCTAssertEqual(task.regionMaskPath, "/mattes/m.0017.png")
        let spec = try Stylefarm_V1_JobSpec(serializedBytes: try Samples.jobSpec.serializedData())
        XCTAssertEqual(spec.regions, Samples.regionSpec)
        // Field numbers are the compatibility contract: JobSpec.regions = 12 (tag 12<<3|2 = 0x62),
        // TaskAssignment.regions = 18 (0x92 0x01), region_style_targets = 19, region_mask = 20,
        // region_mask_path = 21.
        var onlyRegions = Stylefarm_V1_JobSpec(); onlyRegions.regions.segment = "selfie"
        XCTAssertEqual(Array(try onlyRegions.serializedData().prefix(1)), [0x62])
        var t = Stylefarm_V1_TaskAssignment(); t.regions.segment = "selfie"
        XCTAssertEqual(Array(try t.serializedData().prefix(2)), [0x92, 0x01])
        t = Stylefarm_V1_TaskAssignment(); t.regionStyleTargets = [.with { $0.hashes = ["a"] }]
        XCTAssertEqual(Array(try t.serializedData().prefix(2)), [0x9a, 0x01])
        t = Stylefarm_V1_TaskAssignment(); t.regionMask.sha256 = "a"
        XCTAssertEqual(Array(try t.serializedData().prefix(2)), [0xa2, 0x01])
        t = Stylefarm_V1_TaskAssignment(); t.regionMaskPath = "a"
        XCTAssertEqual(Array(try t.serializedData().prefix(2)), [0xaa, 0x01])
    }

    func testATaskWithoutRegionsEncodesAsBefore() throws {
        // Older peers: a plain task carries none of the new fields.
        var plain = Samples.task
        plain.clearRegions(); plain.regionStyleTargets = []; plain.clearRegionMask(); plain.regionMaskPath = ""
        let decoded = try Stylefarm_V1_TaskAssignment(serializedBytes: try plain.serializedData())
        XCTAssertFalse(decoded.hasRegions)
        XCTAssertTrue(decoded.regions.segment.isEmpty)
    }

    func testEnumsKeepUnknownValuesFromNewerPeers() throws {
        // Field 10 (kind) = 77, a TaskKind this build does not know.
        let bytes = Data([0x50, 77])
        let task = try Stylefarm_V1_TaskAssignment(serializedBytes: bytes)
        XCTAssertEqual(task.kind, .UNRECOGNIZED(77))
        XCTAssertEqual(try task.serializedData(), bytes)
    }
}
