import Engine
@testable import JobModel
import Protocol
import XCTest
@testable import Coordinator

/// Region keys of a job spec (`segment`, `regions`, …): parsing, path resolution, checks and the wire.
final class JobSpecRegionTests: XCTestCase {
    static let regionYAML = """
        name: shot020
        content: plates/shot020.####.png
        frames: 1-3
        styles: styles/starry.jpg
        output_dir: out
        segment: matte:mattes/m.####.png
        regions:
          - foreground=none
          - background=styles/wave.png
        region_weights:
          - "background:content=0.5,style=2"
        guide: average
        region_mode: composite
        segment_crf: off
        """

    private func problems(_ spec: JobSpec) -> [JobSpecError.Problem] {
        do { _ = try spec.resolve(baseDirectory: "/w"); XCTFail("expected a JobSpecError"); return [] } catch {
            guard let e = error as? JobSpecError else { XCTFail("unexpected \(error)"); return [] }
            return e.problems
        }
    }

    private func base(segment: String? = "selfie", regions: [String]? = ["person=none"]) -> JobSpec {
        JobSpec(name: "r", content: "/p/c.####.png", frames: "1-2", styles: ["/s.png"], outputDir: "/out",
                segment: segment, regions: regions)
    }

    func testYAMLRegionsResolveWithAbsolutePathsAndWeights() throws {
        let job = try JobSpecFile.parse(Self.regionYAML, baseDirectory: "/jobs/shot020").resolve()
        let regions = try XCTUnwrap(job.regions)
        XCTAssertEqual(regions.source, .matte(path: "/jobs/shot020/mattes/m.####.png"))
        XCTAssertEqual(regions.maskPath(for: 2), "/jobs/shot020/mattes/m.0002.png")
        XCTAssertEqual(regions.assignments, [
            RegionAssignment(name: "foreground", style: .none),
            RegionAssignment(name: "background", style: .image("/jobs/shot020/styles/wave.png"), contentWeight: 0.5, styleWeight: 2),
        ])
        XCTAssertEqual(regions.guide, .average)
        XCTAssertEqual(regions.mode, .composite)
        XCTAssertFalse(regions.crf)
        XCTAssertEqual(regions.layout(hasDefaultStyle: true).regionStylePaths, ["/jobs/shot020/styles/wave.png"])
    }

    func testAMatteWithoutPlaceholderServesEveryFrameAndDefaultsApply() throws {
        let job = try base(segment: "matte:m.png", regions: ["foreground=none"]).resolve(baseDirectory: "/w")
        let regions = try XCTUnwrap(job.regions)
        XCTAssertNil(regions.maskPattern)
        XCTAssertEqual(regions.maskPath(for: 1), "/w/m.png")
        XCTAssertEqual(regions.maskPath(for: 7), "/w/m.png")
        XCTAssertEqual(regions.guide, .inside)
        XCTAssertEqual(regions.mode, .joint)
        XCTAssertTrue(regions.crf)
        XCTAssertNil(try base(segment: nil, regions: nil).resolve(baseDirectory: "/w").regions)
    }

    func testProblemsNameTheirKeys() {
        XCTAssertEqual(problems(base(segment: "mask-rcnn")).map(\.field), ["segment"])
        XCTAssertTrue(problems(base(segment: "mask-rcnn"))[0].message.contains("deeplab, deeplab-small, selfie, matte:PATH, ids:PATH, cryptomatte or cryptomatte:LAYER"))
        XCTAssertEqual(problems(base(segment: nil)).map(\.field), ["segment"], "regions without segment")
        XCTAssertEqual(problems(base(regions: nil)).map(\.field), ["regions"], "segment without regions")
        XCTAssertEqual(problems(base(regions: ["person"])).map(\.field), ["regions"])
        XCTAssertEqual(problems(base(regions: ["person=none", "person=/a.png"])).map(\.field), ["regions"], "duplicate")
        var weights = base(); weights.regionWeights = ["dog:content=2"]
        XCTAssertEqual(problems(weights).map(\.field), ["region_weights"])
        var guide = base(); guide.guide = "outside"
        XCTAssertEqual(problems(guide).map(\.field), ["guide"])
        var mode = base(); mode.regionMode = "jont"
        XCTAssertTrue(problems(mode)[0].message.contains("did you mean 'joint'"))
        let echo = JobSpec(name: "e", kind: .echo, frames: "1", segment: "selfie", regions: ["person=none"])
        XCTAssertEqual(problems(echo).map(\.field), ["segment"])
    }

    func testStylesMayBeOmittedOnlyWhenARegionClaimsTheBackground() throws {
        var spec = base(regions: ["person=none", "background=/b.png"])
        spec.styles = nil
        let job = try spec.resolve(baseDirectory: "/w")
        XCTAssertEqual(job.styles, [])
        XCTAssertEqual(job.regions?.layout(hasDefaultStyle: false).setCount, 1)
        spec.regions = ["person=none"]
        let p = problems(spec)
        XCTAssertEqual(p.map(\.field), ["styles"])
        XCTAssertTrue(p[0].message.contains("background=STYLE|none"), p[0].message)
    }

    func testFlagsResolveRegionPathsAgainstTheWorkingDirectory() {
        let flags = JobSpec(segment: "ids:maps/id.####.png", regions: ["#ff0000=styles/a.png", "background=none"])
            .withPathsResolved(against: "/cwd")
        XCTAssertEqual(flags.segment, "ids:/cwd/maps/id.####.png")
        XCTAssertEqual(flags.regions, ["#ff0000=/cwd/styles/a.png", "background=none"])
        XCTAssertEqual(JobSpec(segment: "deeplab").withPathsResolved(against: "/cwd").segment, "deeplab")
    }

    func testRegionKeysSurviveJSONAndTheWire() throws {
        let file = try JobSpecFile.parse(Self.regionYAML, baseDirectory: "/jobs/shot020")
        let json = try JSONEncoder().encode(file.spec)
        XCTAssertEqual(try JobSpecFile.parse(String(decoding: json, as: UTF8.self), baseDirectory: "/jobs/shot020").spec, file.spec)

        let job = try file.resolve()
        let wire = Stylefarm_V1_JobSpec(job)
        XCTAssertEqual(wire.regions.segment, "matte:/jobs/shot020/mattes/m.####.png")
        XCTAssertEqual(wire.regions.regions.map(\.name), ["foreground", "background"])
        XCTAssertEqual(wire.regions.regions.map(\.stylePath), ["", "/jobs/shot020/styles/wave.png"])
        XCTAssertEqual(wire.regions.regions[1].styleWeight, 2)
        XCTAssertEqual(wire.regions.guide, .average)
        XCTAssertEqual(wire.regions.mode, .composite)
        XCTAssertTrue(wire.regions.crfDisabled)
        let decoded = try JobSpec(wire: try Stylefarm_V1_JobSpec(serializedBytes: try wire.serializedData())).resolve(baseDirectory: "/elsewhere")
        XCTAssertEqual(decoded, job)

        // Defaults survive too: CRF on, joint, inside; network sources keep their name.
        let plain = try base().resolve(baseDirectory: "/w")
        let back = try JobSpec(wire: Stylefarm_V1_JobSpec(plain)).resolve(baseDirectory: "/w")
        XCTAssertEqual(back.regions, plain.regions)
        XCTAssertEqual(back, plain)
        // A hand-made wire spec with regions but no styles and no kind is a stylize job, not an echo job.
        var bare = Stylefarm_V1_JobSpec()
        bare.name = "bare"; bare.contentPattern = "/p/c.####.png"; bare.frames = "1"; bare.outputDir = "/out"
        bare.regions.segment = "selfie"
        bare.regions.regions = [.with { $0.name = "person"; $0.contentWeight = 1; $0.styleWeight = 1 },
                                .with { $0.name = "background"; $0.stylePath = "/b.png"; $0.contentWeight = 1; $0.styleWeight = 1 }]
        XCTAssertEqual(try JobSpec(wire: bare).resolve(baseDirectory: "/").kind, .stylize)
        // A job without regions sends none.
        XCTAssertFalse(Stylefarm_V1_JobSpec(try base(segment: nil, regions: nil).resolve(baseDirectory: "/w")).hasRegions)
    }
}
