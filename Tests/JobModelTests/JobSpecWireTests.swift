import Engine
import FarmWire
@testable import JobModel
import Protocol
import XCTest

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

    /// Issue 16: `render --iterations 0` rendered with the default budget, because a proto3 zero read as "unset".
    func testZerosThatMeanSomethingSurviveTheWire() throws {
        let job = try JobSpec(name: "zeros", content: "/p/plate.####.png", frames: "1-4", styles: ["/s.png"], outputDir: "/out",
                              iterations: 0, seed: 0, temporal: "multipass", temporalWeight: 0, multipassBlend: 0,
                              multipassGammaRamp: 0).resolve(baseDirectory: "/")
        let wire = try Stylefarm_V1_JobSpec(serializedBytes: try Stylefarm_V1_JobSpec(job).serializedData())
        let back = try JobSpec(wire: wire).resolve(baseDirectory: "/")
        XCTAssertEqual(back.parameters.iterations, 0, "iterations 0 evaluates the start point only")
        XCTAssertEqual(back.temporal.weight, 0)
        XCTAssertEqual(back.temporal.blend, 0)
        XCTAssertEqual(back.temporal.gammaRamp, 0)
        XCTAssertEqual(back, job)

        let chunked = try JobSpec(name: "chunks", content: "/p/plate.####.png", frames: "1-9", styles: ["/s.png"], outputDir: "/out",
                                  temporal: "chunked", chunkFrames: 4, chunkOverlap: 0).resolve(baseDirectory: "/")
        XCTAssertEqual(try JobSpec(wire: Stylefarm_V1_JobSpec(chunked)).resolve(baseDirectory: "/").temporal.chunkOverlap, 0)
    }

    /// A hand-written client (Python, docs/PROTOCOL.md) sets only what it means; the rest keeps the defaults.
    func testAbsentFieldsKeepTheDefaultsAndPresentZerosAreChecked() throws {
        var wire = Stylefarm_V1_JobSpec()
        wire.name = "partial"
        wire.contentPattern = "/p/plate.####.png"
        wire.frames = "1"
        wire.stylePaths = ["/s.png"]
        wire.outputDir = "/out"
        wire.parameters.iterations = 7
        wire.temporal.strategy = .multipass
        let job = try JobSpec(wire: wire).resolve(baseDirectory: "/")
        let defaults = try JobSpec(name: "d", content: "/p/plate.####.png", frames: "1", styles: ["/s.png"], outputDir: "/out",
                                   temporal: "multipass").resolve(baseDirectory: "/")
        XCTAssertEqual(job.parameters.iterations, 7)
        XCTAssertEqual(job.parameters.contentWeight, defaults.parameters.contentWeight, "an unset content weight is not 0")
        XCTAssertEqual(job.parameters.styleWeight, defaults.parameters.styleWeight)
        XCTAssertEqual(job.parameters.size, defaults.parameters.size)
        XCTAssertEqual(job.temporal, defaults.temporal)

        wire.parameters.size = 0
        XCTAssertThrowsError(try JobSpec(wire: wire).resolve(baseDirectory: "/")) { error in
            XCTAssertEqual((error as? JobSpecError)?.fields, ["size"], "a size of 0 is refused, not replaced: \(error)")
        }
    }

    func testUnknownEnumValuesAreRefusedNamingTheField() throws {
        var base = Stylefarm_V1_JobSpec()
        base.name = "enums"
        base.contentPattern = "/p/plate.####.png"
        base.frames = "1-3"
        base.stylePaths = ["/s.png"]
        base.outputDir = "/out"
        let cases: [(String, (inout Stylefarm_V1_JobSpec) -> Void)] = [
            ("network", { $0.parameters.network = .UNRECOGNIZED(9) }),
            ("pooling", { $0.parameters.pooling = .UNRECOGNIZED(9) }),
            ("init", { $0.parameters.initialization = .UNRECOGNIZED(9) }),
            ("temporal", { $0.temporal.strategy = .UNRECOGNIZED(9) }),
            ("flow_preset", { $0.temporal.strategy = .sequential; $0.temporal.flowPreset = .UNRECOGNIZED(9) }),
            ("kind", { $0.kind = .UNRECOGNIZED(9) }),
        ]
        for (field, change) in cases {
            var wire = base
            change(&wire)
            // Through the bytes, as a peer sends it.
            let received = try Stylefarm_V1_JobSpec(serializedBytes: try wire.serializedData())
            XCTAssertThrowsError(try JobSpec(wire: received).resolve(baseDirectory: "/"), field) { error in
                XCTAssertEqual((error as? JobSpecError)?.fields, [field], "\(error)")
                XCTAssertTrue("\(error)".contains("unknown wire value 9"), "\(error)")
            }
        }
    }

    /// Issue 20: plates in a colour space of an OpenColorIO config. The client sends the name and the config's path;
    /// the coordinator bakes and sends workers the conversion; a worker takes a conversion only as OpenColorIO loads
    /// it, and never a name it does not know.
    func testPlateColourSpacesTravelAsNamesToTheCoordinatorAndAsConversionsToWorkers() throws {
        let job = try JobSpec(name: "ocio", content: "/p/plate.####.exr", frames: "1-2", styles: ["/s.png"], outputDir: "/out",
                              inputColorspace: "ARRI LogC3 (EI800)", ocioConfig: "/studio/config.ocio").resolve(baseDirectory: "/")
        XCTAssertEqual(job.plate.colorSpace, .named("ARRI LogC3 (EI800)", config: "/studio/config.ocio"))
        XCTAssertTrue(job.inputFiles.contains("/studio/config.ocio"), "the config is an input the path policy checks")
        let back = try JobSpec(wire: try Stylefarm_V1_JobSpec(serializedBytes: try Stylefarm_V1_JobSpec(job).serializedData()))
            .resolve(baseDirectory: "/")
        XCTAssertEqual(back.plate, job.plate)

        // What a worker gets: the blob of a baked conversion (here an identity matrix as CTF text) and its name.
        let ctf = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ProcessList compCLFversion="3" id="test">
            <Matrix inBitDepth="32f" outBitDepth="32f"><Array dim="3 3">1 0 0 0 1 0 0 0 1</Array></Matrix>
        </ProcessList>
        """
        var blobs = [BlobName.of(Array(ctf.utf8)): Array(ctf.utf8)]
        func fetch(_ sha: String) throws -> [UInt8] { try XCTUnwrap(blobs[sha], "blob \(sha)") }
        var wire = Stylefarm_V1_PlateOptions()
        wire.inputColorspace = "ACEScct"
        wire.ocioConfig = "/studio/config.ocio"
        wire.ocioConversionSha256 = BlobName.of(Array(ctf.utf8))
        XCTAssertThrowsError(try PlateSettings(wire: wire), "a conversion where none is taken (the coordinator's side)")
        let settings = try PlateSettings(wire: wire, conversion: fetch)
        guard case .ocio(let conversion) = settings.colorSpace else { return XCTFail("\(String(describing: settings.colorSpace))") }
        XCTAssertEqual(conversion.name, "ACEScct")
        XCTAssertEqual(conversion.ctf, ctf)
        XCTAssertEqual(Stylefarm_V1_PlateOptions(settings).ocioConversionSha256, wire.ocioConversionSha256, "sent on as it came")
        let bad = Array("<ProcessList><Matrix><Array dim=\"3 3\">1 2</Array></Matrix></ProcessList>".utf8)
        blobs[BlobName.of(bad)] = bad
        wire.ocioConversionSha256 = BlobName.of(bad)
        XCTAssertThrowsError(try PlateSettings(wire: wire, conversion: fetch)) { XCTAssertTrue("\($0)".contains("ACEScct"), "\($0)") }
        blobs[BlobName.of(bad)] = Array(ctf.utf8)
        XCTAssertThrowsError(try PlateSettings(wire: wire, conversion: fetch), "a blob that is not what its name says")
        wire.ocioConversionSha256 = "../../etc/passwd"
        XCTAssertThrowsError(try PlateSettings(wire: wire, conversion: fetch), "not a blob name")
        var unknown = Stylefarm_V1_PlateOptions()
        unknown.inputColorspace = "ARRI LogC3 (EI800)"
        XCTAssertThrowsError(try PlateSettings(wire: unknown), "a config space without a config or a conversion")
        unknown.ocioConfig = "relative/config.ocio"
        XCTAssertThrowsError(try PlateSettings(wire: unknown), "a config path must be absolute")
    }

    func testOCIOConfigsAreCheckedAtResolve() throws {
        func problems(_ spec: JobSpec) -> String {
            do { _ = try spec.resolve(baseDirectory: "/"); return "" } catch { return "\(error)" }
        }
        let base = JobSpec(name: "ocio", content: "/p/plate.####.exr", frames: "1", styles: ["/s.png"], outputDir: "/out")
        var spec = base
        spec.inputColorspace = "ACEScct"
        XCTAssertTrue(problems(spec).contains("input_colorspace"), "a config name without a config: \(problems(spec))")
        spec.ocioConfig = "/c.ocio"
        XCTAssertEqual(problems(spec), "")
        spec.inputColorspace = nil
        XCTAssertTrue(problems(spec).contains("ocio_config"), "a config without a colour space: \(problems(spec))")
        spec.inputColorspace = "ACEScct"
        spec.ocioConfig = "c.ocio"
        XCTAssertTrue(problems(spec).contains("ocio_config"), "relative after resolving against nothing: \(problems(spec))")
        XCTAssertEqual(try JobSpec(name: "x", outputDir: "/o", ocioConfig: "c.ocio").withPathsResolved(against: "/jobs").ocioConfig,
                       "/jobs/c.ocio")
    }
}
