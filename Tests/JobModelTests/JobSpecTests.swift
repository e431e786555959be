import Engine
@testable import JobModel
import XCTest

final class JobSpecTests: XCTestCase {
    static let fullYAML = """
        name: shot010-starry
        kind: stylize
        content: plates/shot010.####.png
        frames: 1001-1004
        styles:
          - styles/starry.jpg
          - /library/styles/wave.png
        style_weights: [0.7, 0.3]
        output_dir: ../renders/shot010
        output: starry/shot010_starry.####.png
        bit_depth: 16
        priority: 70
        max_attempts: 5
        shared_filesystem: false
        network: vgg19
        pooling: max
        size: 768
        iterations: 300
        optimizer: adam
        learning_rate: 2.5
        content_weight: 2
        style_weight: 1e-3
        tv_weight: 0.0005
        style_layers: relu1_1,relu2_1:0.5,relu3_1
        content_layers: [relu4_2]
        style_scale: 0.8
        init: noise
        scales: 2
        original_colors: true
        seed: 42
        """

    static let minimalYAML = """
        name: minimal
        content: in/c.%04d.png
        frames: 1-3
        styles: s.jpg
        output_dir: out
        """

    private func problems(_ body: () throws -> Void) -> [JobSpecError.Problem] {
        do { try body(); XCTFail("expected a JobSpecError"); return [] } catch {
            guard let e = error as? JobSpecError else { XCTFail("unexpected \(error)"); return [] }
            return e.problems
        }
    }

    func testFullYAML() throws {
        let file = try JobSpecFile.parse(Self.fullYAML, source: "job.yaml", baseDirectory: "/jobs/shot010")
        XCTAssertEqual(file.format, .yaml)
        XCTAssertEqual(file.lines["frames"], 4)
        let job = try file.resolve()
        XCTAssertEqual(job.name, "shot010-starry")
        XCTAssertEqual(job.kind, .stylize)
        XCTAssertEqual(job.content?.path(for: 1001), "/jobs/shot010/plates/shot010.1001.png")
        XCTAssertEqual(job.frames.frames, [1001, 1002, 1003, 1004])
        XCTAssertEqual(job.styles, ["/jobs/shot010/styles/starry.jpg", "/library/styles/wave.png"])
        XCTAssertEqual(job.outputDirectory, "/jobs/renders/shot010")
        XCTAssertEqual(job.output?.path(for: 1002), "/jobs/renders/shot010/starry/shot010_starry.1002.png")
        XCTAssertEqual(job.bitDepth, 16)
        XCTAssertEqual(job.priority, 70)
        XCTAssertEqual(job.maxAttempts, 5)
        XCTAssertFalse(job.sharedFilesystem)
        let p = job.parameters
        XCTAssertEqual(p.network, .vgg19)
        XCTAssertEqual(p.pooling, .max)
        XCTAssertEqual(p.size, 768)
        XCTAssertEqual(p.iterations, 300)
        XCTAssertEqual(p.optimizer, .adam(learningRate: 2.5))
        XCTAssertEqual(p.contentWeight, 2)
        XCTAssertEqual(p.styleWeight, 1e-3)
        XCTAssertEqual(p.tvWeight, 0.0005)
        XCTAssertEqual(p.styleLayers, [.init("relu1_1"), .init("relu2_1", weight: 0.5), .init("relu3_1")])
        XCTAssertEqual(p.contentLayers, [.init("relu4_2")])
        XCTAssertEqual(p.styleBlendWeights, [0.7, 0.3])
        XCTAssertEqual(p.styleScale, 0.8)
        XCTAssertEqual(p.initialization, .noise)
        XCTAssertEqual(p.scales, 2)
        XCTAssertTrue(p.originalColors)
        XCTAssertEqual(p.seed, 42)
    }

    func testMinimalYAMLGetsDefaults() throws {
        let job = try JobSpecFile.parse(Self.minimalYAML, baseDirectory: "/w").resolve()
        XCTAssertEqual(job.kind, .stylize)
        XCTAssertEqual(job.priority, 50)
        XCTAssertEqual(job.maxAttempts, 3)
        XCTAssertEqual(job.bitDepth, 8)
        XCTAssertTrue(job.sharedFilesystem)
        XCTAssertEqual(job.styles, ["/w/s.jpg"])
        XCTAssertEqual(job.output?.path(for: 2), "/w/out/minimal.0002.png")
        XCTAssertEqual(job.content?.path(for: 2), "/w/in/c.0002.png")
        XCTAssertEqual(job.parameters, StyleTransferParameters())
    }

    func testJSONFullAndMinimal() throws {
        let json = """
            {"name": "j", "content": "c.####.png", "frames": "1-2", "styles": ["a.png", "b.png"],
             "style_weights": [1, 3], "output_dir": "/out", "priority": 90, "network": "vgg19",
             "optimizer": "lbfgs", "lbfgs_history": 20, "style_layers": ["relu1_1", "relu2_1:2"],
             "size": 256, "seed": 7, "shared_filesystem": false, "bit_depth": 16}
            """
        let file = try JobSpecFile.parse(json, baseDirectory: "/base")
        XCTAssertEqual(file.format, .json, "a leading { sniffs as JSON")
        let job = try file.resolve()
        XCTAssertEqual(job.priority, 90)
        XCTAssertEqual(job.parameters.network, .vgg19)
        XCTAssertEqual(job.parameters.optimizer, .lbfgs(history: 20))
        XCTAssertEqual(job.parameters.styleLayers, [.init("relu1_1"), .init("relu2_1", weight: 2)])
        XCTAssertEqual(job.parameters.styleBlendWeights, [1, 3])
        XCTAssertEqual(job.parameters.size, 256)
        XCTAssertEqual(job.parameters.seed, 7)
        XCTAssertEqual(job.styles, ["/base/a.png", "/base/b.png"])
        XCTAssertEqual(job.output?.path(for: 1), "/out/j.0001.png")

        let minimal = try JobSpecFile.parse(#"{"name":"m","content":"c.####.png","frames":5,"styles":"s.png","output_dir":"o"}"#,
                                            format: .json, baseDirectory: "/b").resolve()
        XCTAssertEqual(minimal.frames.frames, [5])
        XCTAssertEqual(minimal.output?.path(for: 5), "/b/o/m.0005.png")
    }

    func testLoadFromDiskByExtensionAndRelativePaths() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let yamlPath = dir.appendingPathComponent("job.yml").path
        try Self.minimalYAML.write(toFile: yamlPath, atomically: true, encoding: .utf8)
        let yamlFile = try JobSpecFile.load(path: yamlPath)
        XCTAssertEqual(yamlFile.format, .yaml)
        XCTAssertEqual(try yamlFile.resolve().styles, [dir.path + "/s.jpg"])

        let jsonPath = dir.appendingPathComponent("job.json").path
        try #"{"name":"m","content":"c.####.png","frames":"1","styles":["s.png"],"output_dir":"o"}"#
            .write(toFile: jsonPath, atomically: true, encoding: .utf8)
        let jsonFile = try JobSpecFile.load(path: jsonPath)
        XCTAssertEqual(jsonFile.format, .json)
        XCTAssertEqual(try jsonFile.resolve().outputDirectory, dir.path + "/o")

        XCTAssertThrowsError(try JobSpecFile.load(path: dir.appendingPathComponent("missing.yaml").path))
    }

    func testUnknownKeySuggestsClosest() {
        let yaml = Self.minimalYAML + "\nprioirty: 80\nmax-attempts: 2\nbogus_thing: 1\n"
        let found = problems { _ = try JobSpecFile.parse(yaml, baseDirectory: "/") }
        XCTAssertEqual(found.map(\.field), ["prioirty", "max-attempts", "bogus_thing"])
        XCTAssertTrue(found[0].message.contains("did you mean 'priority'"), found[0].message)
        XCTAssertTrue(found[1].message.contains("did you mean 'max_attempts'"), found[1].message)
        XCTAssertFalse(found[2].message.contains("did you mean"), found[2].message)
        XCTAssertEqual(found[0].line, 6)
        let json = problems { _ = try JobSpecFile.parse(#"{"name":"x","ouput_dir":"o"}"#, baseDirectory: "/") }
        XCTAssertEqual(json.map(\.field), ["ouput_dir"])
        XCTAssertTrue(json[0].message.contains("'output_dir'"))
    }

    func testMissingRequiredFieldsAreAllReported() {
        let found = problems { _ = try JobSpecFile.parse("priority: 10\n", baseDirectory: "/").resolve() }
        XCTAssertEqual(Set(found.compactMap(\.field)), ["name", "frames", "content", "styles", "output_dir"])
    }

    func testBadValuesAreAllReportedWithLines() {
        let yaml = Self.minimalYAML + "\npriority: 101\nmax_attempts: 0\nbit_depth: 12\nnetwork: vgg91\nstyle_layers: relu1_1,relu9_9\nframes2: 1\n"
        // Unknown keys are reported first, alone (the rest would be guesses).
        XCTAssertEqual(problems { _ = try JobSpecFile.parse(yaml, baseDirectory: "/").resolve() }.map(\.field), ["frames2"])
        let fixed = yaml.replacingOccurrences(of: "frames2: 1\n", with: "")
        let found = problems { _ = try JobSpecFile.parse(fixed, baseDirectory: "/").resolve() }
        XCTAssertEqual(found.map(\.field), ["bit_depth", "priority", "max_attempts", "network", "style_layers"])
        XCTAssertEqual(found.first { $0.field == "priority" }?.line, 6)
        XCTAssertTrue(found.first { $0.field == "network" }!.message.contains("did you mean 'vgg19'"))
        XCTAssertTrue(found.first { $0.field == "style_layers" }!.message.contains("relu9_9"))
    }

    func testPriorityBounds() throws {
        for bad in [-1, 101] {
            let found = problems { _ = try JobSpec(name: "j", content: "c.####.png", frames: "1", styles: ["s.png"], outputDir: "/o", priority: bad).resolve(baseDirectory: "/") }
            XCTAssertEqual(found.map(\.field), ["priority"])
            XCTAssertTrue(found[0].message.contains("between 0 and 100"))
        }
        for good in [0, 100] {
            XCTAssertEqual(try JobSpec(name: "j", content: "c.####.png", frames: "1", styles: ["s.png"], outputDir: "/o", priority: good).resolve(baseDirectory: "/").priority, good)
        }
    }

    func testEngineValidationIsReported() {
        let found = problems {
            _ = try JobSpec(name: "j", content: "c.####.png", frames: "1", styles: ["a.png", "b.png"], styleWeights: [1],
                            outputDir: "/o").resolve(baseDirectory: "/")
        }
        XCTAssertEqual(found.map(\.field), ["style_weights"])
        let size = problems { _ = try JobSpec(name: "j", content: "c.####.png", frames: "1", styles: ["a.png"], outputDir: "/o", size: 8).resolve(baseDirectory: "/") }
        XCTAssertEqual(size.map(\.field), ["size"])
    }

    func testFrameAndPatternErrorsSurface() {
        let found = problems {
            _ = try JobSpec(name: "j", content: "c.png", frames: "5-1", styles: ["a.png"], outputDir: "/o", output: "../x.####.png").resolve(baseDirectory: "/")
        }
        XCTAssertEqual(found.map(\.field), ["frames", "content", "output"])
        XCTAssertTrue(found[0].message.contains("descending"))
        XCTAssertTrue(found[2].message.contains("leaves the output directory"))
    }

    func testOutputMustNotOverwriteContentAndMustBePNG() {
        let same = problems { _ = try JobSpec(name: "j", content: "/o/j.####.png", frames: "1", styles: ["a.png"], outputDir: "/o").resolve(baseDirectory: "/") }
        XCTAssertEqual(same.map(\.field), ["output"])
        let jpg = problems { _ = try JobSpec(name: "j", content: "c.####.png", frames: "1", styles: ["a.png"], outputDir: "/o", output: "x.####.jpg").resolve(baseDirectory: "/") }
        XCTAssertEqual(jpg.map(\.field), ["output"])
    }

    func testFlagsOverrideFile() throws {
        let file = try JobSpecFile.parse(Self.fullYAML, baseDirectory: "/jobs/shot010")
        let flags = JobSpec(frames: "1001", styles: ["other.png"], styleWeights: [1], priority: 90, iterations: 50)
            .withPathsResolved(against: "/home/artist")
        let job = try file.resolve(overrides: flags)
        XCTAssertEqual(job.priority, 90)
        XCTAssertEqual(job.frames.frames, [1001])
        XCTAssertEqual(job.parameters.iterations, 50)
        XCTAssertEqual(job.styles, ["/home/artist/other.png"], "flag paths resolve against the working directory")
        XCTAssertEqual(job.parameters.size, 768, "untouched fields keep the file's values")
        // A bad override is reported against the flag (no file line).
        let bad = problems { _ = try file.resolve(overrides: JobSpec(priority: -1)) }
        XCTAssertEqual(bad.map(\.field), ["priority"])
        XCTAssertNil(bad[0].line)
        // Flags alone make a job too.
        let flagsOnly = try JobSpec(name: "cli", content: "c.####.png", frames: "1-2", styles: ["s.png"], outputDir: "out")
            .withPathsResolved(against: "/cwd").resolve(baseDirectory: "/cwd")
        XCTAssertEqual(flagsOnly.output?.path(for: 1), "/cwd/out/cli.0001.png")
    }

    func testEchoJobsNeedNoImages() throws {
        let job = try JobSpecFile.parse("name: ping\nkind: echo\nframes: 1-4\necho_seconds: 0.5\n", baseDirectory: "/").resolve()
        XCTAssertEqual(job.kind, .echo)
        XCTAssertEqual(job.echoSeconds, 0.5)
        XCTAssertNil(job.content)
        let wrong = problems { _ = try JobSpecFile.parse("name: p\nkind: echo\nframes: 1\necho_seconds: -1\n", baseDirectory: "/").resolve() }
        XCTAssertEqual(wrong.map(\.field), ["echo_seconds"])
        let badKind = problems { _ = try JobSpecFile.parse("name: p\nkind: sleep\nframes: 1\n", baseDirectory: "/") }
        XCTAssertEqual(badKind.map(\.field), ["kind"])
        XCTAssertTrue(badKind[0].message.contains("stylize, echo"), badKind[0].message)
    }

    func testSyntaxErrorsAreJobSpecErrors() {
        XCTAssertEqual(problems { _ = try JobSpecFile.parse("name: [unclosed\n", format: .yaml, baseDirectory: "/") }.count, 1)
        XCTAssertEqual(problems { _ = try JobSpecFile.parse("{\"name\": ", baseDirectory: "/") }.count, 1)
        XCTAssertEqual(problems { _ = try JobSpecFile.parse("- a\n- b\n", baseDirectory: "/") }.count, 1)
        let typed = problems { _ = try JobSpecFile.parse("name: j\npriority: high\n", baseDirectory: "/") }
        XCTAssertEqual(typed.map(\.field), ["priority"])
        XCTAssertEqual(typed[0].line, 2)
    }
}

final class ExampleJobSpecTests: XCTestCase {
    /// Every spec in examples/jobs parses and resolves (the docs stay honest).
    func testExamplesResolve() throws {
        // Tests/JobModelTests/JobSpecTests.swift → the repository root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let dir = root.appendingPathComponent("examples/jobs")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }.sorted()
        XCTAssertEqual(names, ["echo.yaml", "minimal.json", "minimal.yaml", "shot010-starry.yaml", "shot020-regions.yaml"])
        for name in names {
            let job = try JobSpecFile.load(path: dir.appendingPathComponent(name).path).resolve()
            XCTAssertFalse(job.frames.isEmpty, name)
        }
        let full = try JobSpecFile.load(path: dir.appendingPathComponent("shot010-starry.yaml").path).resolve()
        XCTAssertEqual(full.frames.count, 100)
        XCTAssertEqual(full.output?.path(for: 1001), dir.path + "/renders/shot010/starry/shot010_starry.1001.png")
        XCTAssertEqual(full.parameters.scales, 2)
        let regions = try JobSpecFile.load(path: dir.appendingPathComponent("shot020-regions.yaml").path).resolve().regions
        XCTAssertEqual(regions?.maskPath(for: 7), dir.path + "/mattes/shot020.0007.png")
        XCTAssertEqual(regions?.assignments, [RegionAssignment(name: "foreground", style: .none, contentWeight: 2)])
        let json = try JobSpecFile.load(path: dir.appendingPathComponent("minimal.json").path).resolve()
        XCTAssertEqual(json.frames.frames, [1001, 1004, 1007, 1010])
    }
}

final class KeySuggestionTests: XCTestCase {
    func testDistanceAndSuggestions() {
        XCTAssertEqual(KeySuggestion.distance("priority", "prioirty"), 1)
        XCTAssertEqual(KeySuggestion.distance("kitten", "sitting"), 3)
        XCTAssertEqual(KeySuggestion.distance("", "abc"), 3)
        XCTAssertEqual(KeySuggestion.closest(to: "outptu", in: JobSpec.keys), "output")
        XCTAssertEqual(KeySuggestion.closest(to: "style-layers", in: JobSpec.keys), "style_layers")
        XCTAssertEqual(KeySuggestion.closest(to: "Frames", in: JobSpec.keys), "frames")
        XCTAssertNil(KeySuggestion.closest(to: "colour_grading", in: JobSpec.keys))
    }
}

final class JobSpecEncodingTests: XCTestCase {
    /// A spec encoded as JSON (e.g. to persist a submission) parses back to an equal spec.
    func testJSONRoundTrip() throws {
        let spec = try JobSpecFile.parse(JobSpecTests.fullYAML, baseDirectory: "/jobs").spec
        let data = try JSONEncoder().encode(spec)
        let back = try JobSpecFile.parse(String(decoding: data, as: UTF8.self), baseDirectory: "/jobs").spec
        XCTAssertEqual(back, spec)
        XCTAssertEqual(back.styleLayers, ["relu1_1", "relu2_1:0.5", "relu3_1"])
        XCTAssertEqual(back.initialization, "noise")
    }

    func testProblemNamesItsFlag() {
        XCTAssertEqual(JobSpecError.Problem(field: "max_attempts", message: "x").flag, "--max-attempts")
        let e = JobSpecError(source: "job.yaml", problems: [.init(field: "priority", line: 3, message: "must be between 0 and 100 (got 101)")])
        XCTAssertEqual(e.description, "invalid job spec job.yaml: line 3, priority: must be between 0 and 100 (got 101)")
    }
}
