import Engine
import Foundation
@testable import JobModel
import Protocol
import XCTest
@testable import Coordinator

/// Tiled jobs (issue 7): the planner's tile tasks per scale, their dependencies through the real store,
/// and the tile settings of job specs.
final class TiledJobPlanTests: XCTestCase {
    private let key = StyleTargetKey(styleImages: [Array("s".utf8)], parameters: StyleTransferParameters())

    private func job(frames: String = "1-2", size: Int = 400, scales: Int? = nil, tileSize: Int? = nil,
                     maxTilePixels: Int? = nil, tiles: Bool? = nil, temporal: String? = nil,
                     tileSync: Int? = nil) throws -> ResolvedJob {
        try JobSpec(name: "plate", content: "plates/p.####.png", frames: frames, styles: ["s.jpg"], outputDir: "/renders/p",
                    size: size, iterations: 50, scales: scales, temporal: temporal, detectCuts: false,
                    tileSize: tileSize, maxTilePixels: maxTilePixels, tiles: tiles, tileSync: tileSync).resolve(baseDirectory: "/proj")
    }

    func testAFrameWithinTheBudgetIsPlannedExactlyAsAnUntiledFrame() throws {
        let untiled = try JobPlanner().plan(try job(tiles: false), jobID: "j", frameSize: PixelSize(width: 400, height: 300),
                                            styleTargetKey: key)
        let tiled = try JobPlanner().plan(try job(tileSize: 512), jobID: "j", frameSize: PixelSize(width: 400, height: 300),
                                          styleTargetKey: key)
        XCTAssertEqual(tiled.tasks, untiled.tasks)
        XCTAssertFalse(tiled.isTiled)
        XCTAssertTrue(tiled.tasks.allSatisfy(\.producesOutput))
    }

    func testTilesOfEveryScaleWaitForThePreviousScaleOfTheirFrameOnly() throws {
        // 400×300 in two scales: 200×150 is one tile under a 256-px side, 400×300 is 3×2 tiles.
        let plan = try JobPlanner().plan(try job(scales: 2, tileSize: 256), jobID: "j",
                                         frameSize: PixelSize(width: 400, height: 300), styleTargetKey: key)
        XCTAssertEqual(plan.tilePlans.map(\.frameSize), [PixelSize(width: 200, height: 150), PixelSize(width: 400, height: 300)])
        XCTAssertEqual(plan.tilePlans.map { [$0.columns, $0.rows] }, [[1, 1], [4, 3]])
        XCTAssertEqual(plan.tilePlans.map(\.halo), [64, 64])
        XCTAssertEqual(plan.tasks.count, 2 * (1 + 12))
        XCTAssertFalse(plan.tasks.contains(where: \.producesOutput), "the coordinator assembles tiled frames")
        for frameIndex in 0..<2 {
            let coarse = plan.tileTasks(frameIndex: frameIndex, scale: 0)
            let fine = plan.tileTasks(frameIndex: frameIndex, scale: 1)
            XCTAssertEqual(coarse.count, 1)
            XCTAssertEqual(fine.count, 12)
            XCTAssertEqual(coarse[0].dependencies, [])
            XCTAssertEqual(coarse[0].id, "j-f\(frameIndex + 1)-s0-r0_0_200x150")
            for (i, task) in fine.enumerated() {
                XCTAssertEqual(task.frameIndex, frameIndex)
                XCTAssertEqual(task.tile, PlannedTile(scale: 1, index: i))
                XCTAssertEqual(task.region, plan.tilePlans[1].tiles[i].padded)
                XCTAssertEqual(task.id, JobPlanner.taskID(jobID: "j", frame: frameIndex + 1, region: task.region))
                XCTAssertEqual(task.dependencies, [coarse[0].id])
            }
        }

        // Through the store: the coarse tiles of both frames first, then all 24 fine tiles at once.
        let store = try SQLiteJobStore.inMemory()
        try store.insertJob(JobRecord(id: "j", name: "plate", spec: Data("{}".utf8), priority: 50, styleTargetsHash: "k"),
                            frames: plan.frames.map { FrameRecord(jobID: "j", index: $0.index, outputPath: "/o/\($0.index)") },
                            tasks: plan.tasks.map { TaskRecord(id: $0.id, jobID: "j", frameIndex: $0.frameIndex, region: $0.region,
                                                               dependencies: $0.dependencies, producesOutput: $0.producesOutput) },
                            now: Date(timeIntervalSince1970: 0))
        var rounds: [Int] = []
        var time = 1.0
        while case let claims = try store.claimTasks(for: "w", max: 100, now: Date(timeIntervalSince1970: time)), !claims.isEmpty {
            rounds.append(claims.count)
            for claim in claims {
                try store.complete(claim.task.id, attempt: claim.attempt, resultSHA256: "sha-\(claim.task.id)",
                                   now: Date(timeIntervalSince1970: time))
            }
            time += 1
        }
        XCTAssertEqual(rounds, [2, 24])
        XCTAssertEqual(try store.job("j")?.state, .completed)
    }

    func testLargeStylesAreSplitIntoPartsThatEachScalesTilesWaitFor() throws {
        // A 4K output: the style (3000×2000 px) scaled to 4096 px is 4096×2731 = 6×4 cores of 768 → 6 parts of ≤ 4
        // cores; at the coarse scale (2048 px: 2048×1365, 3×2 cores) 2 parts.
        let parameters = try job(size: 4096, scales: 2).parameters
        let parts = try StyleGramPart.plan(parameters: parameters, styleSizes: [PixelSize(width: 3000, height: 2000)])
        XCTAssertEqual(parts.map(\.scale), [0, 0, 1, 1, 1, 1, 1, 1])
        XCTAssertEqual(parts.map(\.size), [PixelSize(width: 2048, height: 1365), PixelSize(width: 2048, height: 1365)]
                       + Array(repeating: PixelSize(width: 4096, height: 2731), count: 6))
        XCTAssertEqual(parts.filter { $0.scale == 1 }.map { [$0.firstCore, $0.coreCount] },
                       [[0, 4], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4]])
        XCTAssertEqual(parts.filter { $0.scale == 0 }.map { [$0.firstCore, $0.coreCount] }, [[0, 4], [4, 2]])
        XCTAssertTrue(parts.allSatisfy { $0.core == StyleTargets.tiledGramCore && $0.style == 0 })
        // Styles that fit one pass at every scale: the coordinator computes them, no parts.
        XCTAssertEqual(try StyleGramPart.plan(parameters: try job(size: 512).parameters,
                                              styleSizes: [PixelSize(width: 3000, height: 2000)]), [])
        // One heavy scale splits every scale; a light one is one whole-image part.
        let light = try StyleGramPart.plan(parameters: try job(size: 2048, scales: 2).parameters,
                                           styleSizes: [PixelSize(width: 3000, height: 2000), PixelSize(width: 300, height: 200)])
        XCTAssertEqual(light.filter { $0.scale == 0 && $0.style == 1 }.map { [$0.core, $0.coreCount] }, [[1024, 1]])

        let plan = try JobPlanner().plan(try job(size: 4096, scales: 2, tileSize: 1024), jobID: "j",
                                         frameSize: PixelSize(width: 4096, height: 2160), styleTargetKey: key, styleGrams: parts)
        XCTAssertEqual(plan.styleGramParts, parts)
        let perFrame = plan.tilePlans.reduce(0) { $0 + $1.tiles.count }
        XCTAssertEqual(plan.tasks.count, 2 * perFrame + parts.count)
        let gramTasks = Array(plan.tasks.suffix(parts.count))
        XCTAssertEqual(gramTasks.map(\.id).prefix(3), ["j-style-s0-i0-c0", "j-style-s0-i0-c4", "j-style-s1-i0-c0"])
        XCTAssertTrue(gramTasks.allSatisfy { $0.dependencies.isEmpty && !$0.producesOutput && $0.tile == nil })
        XCTAssertEqual(plan.styleGramTasks(scale: 1).map(\.id), gramTasks.suffix(6).map(\.id))
        for frameIndex in 0..<2 {
            let coarse = plan.tileTasks(frameIndex: frameIndex, scale: 0)
            XCTAssertEqual(coarse.map { $0.tile?.scale }, coarse.map { _ in 0 }, "the tile index arithmetic holds")
            for task in coarse { XCTAssertEqual(task.dependencies, plan.styleGramTasks(scale: 0).map(\.id).sorted()) }
            for task in plan.tileTasks(frameIndex: frameIndex, scale: 1) {
                XCTAssertEqual(task.dependencies, (coarse.map(\.id) + plan.styleGramTasks(scale: 1).map(\.id)).sorted())
            }
        }
        // Whole frames (here a sequential shot): every stylize task waits for every part, flows for none.
        let untiled = try JobPlanner().plan(try job(size: 4096, scales: 2, tiles: false, temporal: "sequential"), jobID: "j",
                                            frameSize: PixelSize(width: 4096, height: 2160), styleTargetKey: key, styleGrams: parts)
        XCTAssertEqual(untiled.styleGramParts, parts)
        XCTAssertEqual(untiled.tasks.count, 2 + 1 + parts.count)
        let partIDs = untiled.tasks.suffix(parts.count).map(\.id)
        XCTAssertEqual(partIDs.first, "j-style-s0-i0-c0")
        for task in untiled.tasks.dropLast(parts.count) {
            switch task.role {
            case .stylize: XCTAssertTrue(Set(partIDs).isSubset(of: task.dependencies), task.id)
            default: XCTAssertTrue(Set(partIDs).isDisjoint(with: task.dependencies), task.id)
            }
        }
        // Without parts the plan is as before.
        XCTAssertEqual(try JobPlanner().plan(try job(size: 4096, tiles: false), jobID: "j",
                                             frameSize: PixelSize(width: 4096, height: 2160), styleTargetKey: key).tasks.count, 2)
    }

    func testExactTilesRunTheFineScaleInRoundsJoinedByTheFramesStatistics() throws {
        // 50 evaluations in rounds of 20: 20, 20, 10. The coarse scale (one tile) runs once.
        let plan = try JobPlanner().plan(try job(frames: "1", scales: 2, tileSize: 256, tileSync: 20), jobID: "j",
                                         frameSize: PixelSize(width: 400, height: 300), styleTargetKey: key)
        XCTAssertEqual(plan.tileRounds, [1, 3])
        XCTAssertEqual(plan.tasks.count, 1 + 3 * 12 + 2)
        let coarse = plan.tileTasks(frameIndex: 0, scale: 0)
        XCTAssertEqual(coarse.map(\.id), ["j-f1-s0-r0_0_200x150"])
        var previous = coarse.map(\.id)
        for round in 0..<3 {
            let tiles = plan.tileTasks(frameIndex: 0, scale: 1, round: round)
            XCTAssertEqual(tiles.count, 12)
            XCTAssertEqual(tiles.map { $0.tile?.round }, tiles.map { _ in round })
            XCTAssertEqual(tiles.map(\.iterations), tiles.map { _ in round < 2 ? 20 : 10 })
            for task in tiles { XCTAssertEqual(task.dependencies, previous) }
            XCTAssertEqual(plan.isFinalStep(tiles[0].tile!), round == 2)
            if round < 2 {
                XCTAssertEqual(tiles[0].id, "j-f1-s1-e\(round)-r\(tiles[0].region.x)_\(tiles[0].region.y)_\(tiles[0].region.width)x\(tiles[0].region.height)")
                let parts = plan.frameGramsTasks(frameIndex: 0, scale: 1, round: round)
                XCTAssertEqual(parts.count, 1, "a 400×300 frame is one pass")
                let grams = try XCTUnwrap(parts.first)
                XCTAssertEqual(grams.id, "j-f1-s1-e\(round)-grams-c0")
                XCTAssertEqual(grams.role, .frameGrams(scale: 1, round: round, core: 400, cores: 0..<1))
                XCTAssertEqual(grams.dependencies, tiles.map(\.id).sorted())
                XCTAssertFalse(grams.producesOutput)
                previous = [grams.id]
            } else {
                XCTAssertEqual(tiles[0].id, JobPlanner.taskID(jobID: "j", frame: 1, region: tiles[0].region), "the last round has the output ids")
                XCTAssertEqual(plan.frameGramsTasks(frameIndex: 0, scale: 1, round: round), [])
            }
        }
        XCTAssertTrue(plan.previousStep(scale: 1, round: 2)! == (1, 1))
        XCTAssertTrue(plan.previousStep(scale: 1, round: 0)! == (0, 0))
        XCTAssertNil(plan.previousStep(scale: 0, round: 0))

        // A large frame's statistics are summed in parts of 4 cores of 768 px, which the next round waits for.
        let large = try JobPlanner().plan(try job(frames: "1", size: 2048, tileSize: 1024, tileSync: 25), jobID: "j",
                                          frameSize: PixelSize(width: 2048, height: 1536), styleTargetKey: key)
        XCTAssertEqual(large.tileRounds, [2])
        let parts = large.frameGramsTasks(frameIndex: 0, scale: 0, round: 0)
        XCTAssertEqual(parts.map(\.role), [.frameGrams(scale: 0, round: 0, core: 768, cores: 0..<4),
                                           .frameGrams(scale: 0, round: 0, core: 768, cores: 4..<6)])
        for task in large.tileTasks(frameIndex: 0, scale: 0, round: 1) { XCTAssertEqual(task.dependencies, parts.map(\.id).sorted()) }

        // The option needs tiles, fewer evaluations than the job's, and no regions.
        for (spec, message) in [(JobSpec(tiles: false, tileSync: 10), "tiled"), (JobSpec(tileSync: 50), "fewer than iterations"),
                                (JobSpec(segment: "deeplab", regions: ["person=s.jpg"], tileSync: 10), "regions")] {
            var full = spec
            full.name = "p"; full.content = "p.####.png"; full.frames = "1"; full.styles = ["s.jpg"]; full.outputDir = "/o"
            full.iterations = 50
            XCTAssertThrowsError(try full.resolve(baseDirectory: "/proj")) { error in
                let problems = (error as? JobSpecError)?.problems ?? []
                XCTAssertTrue(problems.contains { $0.field == "tile_sync" && $0.message.contains(message) }, "\(message): \(error)")
            }
        }
        XCTAssertEqual(try job(tileSize: 256, tileSync: 0).tileSync, 0)
    }

    private func temporalJob(_ strategy: String, frames: String, passes: Int? = nil, chunkFrames: Int? = nil,
                             chunkOverlap: Int? = nil, regions: Bool = false) throws -> ResolvedJob {
        try JobSpec(name: "plate", content: "plates/p.####.png", frames: frames, styles: ["s.jpg"], outputDir: "/renders/p",
                    size: 400, iterations: 50, scales: 2, segment: regions ? "deeplab" : nil,
                    regions: regions ? ["person=s.jpg"] : nil, temporal: strategy, passes: passes, chunkFrames: chunkFrames,
                    chunkOverlap: chunkOverlap, detectCuts: false, tileSize: 256).resolve(baseDirectory: "/proj")
    }

    /// Every dependency names a task of the plan that comes earlier in some order (the plan is a DAG).
    private func assertRunnable(_ plan: JobPlan, file: StaticString = #filePath, line: UInt = #line) {
        var done = Set<String>(), left = plan.tasks
        while !left.isEmpty {
            let ready = left.filter { Set($0.dependencies).isSubset(of: done) }
            guard !ready.isEmpty else { return XCTFail("tasks wait on missing or cyclic dependencies: \(left.prefix(3).map(\.id))", file: file, line: line) }
            done.formUnion(ready.map(\.id))
            left.removeAll { done.contains($0.id) }
        }
    }

    /// The final tiles of frame `frameIndex`'s render `step`: the 12 tiles of the fine scale (400×300 in 256-px tiles).
    private func finalTiles(_ plan: JobPlan, frameIndex: Int, step: String = "") -> [String] {
        plan.tileTasks(frameIndex: frameIndex, scale: 1, step: step).map(\.id)
    }

    func testSequentialFramesRunAsTileGroupsPulledTowardThePreviousFramesAssembly() throws {
        let plan = try JobPlanner().plan(try temporalJob("sequential", frames: "1-3"), jobID: "j",
                                         frameSize: PixelSize(width: 400, height: 300), styleTargetKey: key)
        XCTAssertEqual(plan.tilePlans.map { $0.tiles.count }, [1, 12])
        XCTAssertEqual(plan.tasks.count, 2 + 3 * 13, "two flows and a coarse tile plus 12 fine tiles per frame")
        XCTAssertFalse(plan.tasks.contains(where: \.producesOutput))
        assertRunnable(plan)
        for frameIndex in 0..<3 {
            let group = JobPlanner.taskID(jobID: "j", frame: frameIndex + 1, region: .full(PixelSize(width: 400, height: 300)))
            XCTAssertEqual(plan.tileGroup(group), TileGroup(frameIndex: frameIndex, step: ""))
            XCTAssertEqual(plan.isNamed(frameIndex: frameIndex, step: ""), frameIndex < 2, "the next frame's neighbour")
            XCTAssertNil(plan.task(group), "a tiled frame's output is assembled, not a task")
            let coarse = try XCTUnwrap(plan.tileTasks(frameIndex: frameIndex, scale: 0).first)
            let fine = plan.tileTasks(frameIndex: frameIndex, scale: 1)
            XCTAssertEqual(fine.count, 12)
            let links: [TemporalLink] = frameIndex == 0 ? [] : [
                TemporalLink(resultTask: JobPlanner.taskID(jobID: "j", frame: frameIndex, region: .full(PixelSize(width: 400, height: 300))),
                             flowTask: JobPlanner.flowTaskID(jobID: "j", first: frameIndex, second: frameIndex + 1), neighbourIsFirst: true)]
            // Every tile of every scale carries the neighbour: a whole frame has its temporal terms at every scale.
            for task in [coarse] + fine {
                XCTAssertEqual(task.neighbours, links, task.id)
                XCTAssertNil(task.initialTask)
                XCTAssertEqual(task.tile?.step, "")
            }
            // The coarse tile waits for the previous frame's last tiles and the flow; the fine tiles for the coarse one.
            let previous = frameIndex == 0 ? [] : finalTiles(plan, frameIndex: frameIndex - 1) + [links[0].flowTask]
            XCTAssertEqual(coarse.dependencies, previous.sorted())
            for task in fine { XCTAssertEqual(task.dependencies, [coarse.id]) }
        }
    }

    func testMultipassSweepsAreTileGroupsOfTheirOwnThatNeverWaitForTheirOwnSweep() throws {
        let plan = try JobPlanner().plan(try temporalJob("multipass", frames: "1-3", passes: 2), jobID: "j",
                                         frameSize: PixelSize(width: 400, height: 300), styleTargetKey: key)
        XCTAssertEqual(plan.tasks.count, 2 + 2 * 3 * 13)
        assertRunnable(plan)
        let whole = TaskRegion.full(PixelSize(width: 400, height: 300))
        for frameIndex in 0..<3 {
            let sweep0 = plan.tileTasks(frameIndex: frameIndex, scale: 0, step: "p0") + plan.tileTasks(frameIndex: frameIndex, scale: 1, step: "p0")
            XCTAssertEqual(sweep0.count, 13)
            XCTAssertEqual(sweep0[0].id, "j-f\(frameIndex + 1)-p0-s0-r0_0_200x150")
            XCTAssertEqual(sweep0[1].id, JobPlanner.stepTaskID(jobID: "j", frame: frameIndex + 1, step: "p0", region: sweep0[1].region))
            // 50 evaluations: sweep 0 takes 38 (3/4), the one consistency sweep 12.
            XCTAssertTrue(sweep0.allSatisfy { $0.iterations == 38 && $0.role == .stylize(sweep: 0) && $0.neighbours.isEmpty })
            let p0 = JobPlanner.stepTaskID(jobID: "j", frame: frameIndex + 1, step: "p0", region: whole)
            XCTAssertEqual(plan.tileGroup(p0), TileGroup(frameIndex: frameIndex, step: "p0"))
            XCTAssertTrue(plan.isNamed(frameIndex: frameIndex, step: "p0"))
            XCTAssertFalse(plan.isNamed(frameIndex: frameIndex, step: ""), "nothing takes the last sweep")

            let coarse = try XCTUnwrap(plan.tileTasks(frameIndex: frameIndex, scale: 0).first)
            XCTAssertEqual(coarse.role, .stylize(sweep: 1))
            XCTAssertEqual(coarse.iterations, 12)
            XCTAssertEqual(coarse.initialTask, p0, "sweep 1 starts from the frame's sweep-0 assembly")
            XCTAssertEqual(coarse.neighbours.map(\.resultTask), [frameIndex - 1, frameIndex + 1].filter { (0..<3).contains($0) }.map {
                JobPlanner.stepTaskID(jobID: "j", frame: $0 + 1, step: "p0", region: whole)
            })
            // Sweep 1 waits for sweep 0 of itself and its neighbours (their last tiles) and the flows, never for sweep 1.
            let sweep0Tiles = [frameIndex - 1, frameIndex, frameIndex + 1].filter { (0..<3).contains($0) }
                .flatMap { finalTiles(plan, frameIndex: $0, step: "p0") }
            XCTAssertEqual(coarse.dependencies, (sweep0Tiles + coarse.neighbours.map(\.flowTask)).sorted())
            for task in plan.tileTasks(frameIndex: frameIndex, scale: 1) {
                XCTAssertNil(task.initialTask, "later steps start from the group's previous step")
                XCTAssertEqual(task.neighbours, coarse.neighbours)
                XCTAssertEqual(task.dependencies, [coarse.id])
            }
        }
    }

    func testChunkedFramesBlendTheAssembliesOfTheTwoChunksRenders() throws {
        // Frames 1-5 in chunks of 3 overlapping by 1: frame 3 is rendered by both chunks and blended.
        let plan = try JobPlanner().plan(try temporalJob("chunked", frames: "1-5", chunkFrames: 3, chunkOverlap: 1), jobID: "j",
                                         frameSize: PixelSize(width: 400, height: 300), styleTargetKey: key)
        assertRunnable(plan)
        let whole = TaskRegion.full(PixelSize(width: 400, height: 300))
        let blend = try XCTUnwrap(plan.task(JobPlanner.taskID(jobID: "j", frame: 3, region: whole)))
        XCTAssertEqual(blend.role, .blend)
        XCTAssertTrue(blend.producesOutput)
        let renders = ["c0", "c1"].map { JobPlanner.stepTaskID(jobID: "j", frame: 3, step: $0, region: whole) }
        XCTAssertEqual(blend.blendInputs.map(\.task), renders)
        XCTAssertEqual(renders.map { plan.tileGroup($0) }, [TileGroup(frameIndex: 2, step: "c0"), TileGroup(frameIndex: 2, step: "c1")])
        XCTAssertTrue(plan.isNamed(frameIndex: 2, step: "c0") && plan.isNamed(frameIndex: 2, step: "c1"))
        XCTAssertEqual(blend.dependencies, (finalTiles(plan, frameIndex: 2, step: "c0") + finalTiles(plan, frameIndex: 2, step: "c1")).sorted())
        // Chunk 1 starts at frame 3 (its own render, no neighbour); frame 4 follows chunk 1's render of frame 3.
        XCTAssertEqual(plan.tileTasks(frameIndex: 2, scale: 0, step: "c1").first?.neighbours, [])
        XCTAssertEqual(plan.tileTasks(frameIndex: 3, scale: 0).first?.neighbours.map(\.resultTask), [renders[1]])
    }

    func testRegionShotsAreTiledAndExactTilesWithATemporalStrategyAreRefused() throws {
        // A region job's tiles carry their frame's neighbours (the worker stabilizes the frame's masks with them).
        let regions = try JobPlanner().plan(try temporalJob("sequential", frames: "1-2", regions: true), jobID: "j",
                                            frameSize: PixelSize(width: 400, height: 300), styleTargetKey: key)
        XCTAssertTrue(regions.isTiled)
        XCTAssertEqual(regions.tasks.count, 1 + 2 * 13)
        for task in regions.tileTasks(frameIndex: 1, scale: 1) {
            XCTAssertEqual(task.neighbours.map(\.resultTask), [JobPlanner.taskID(jobID: "j", frame: 1, region: .full(PixelSize(width: 400, height: 300)))])
        }
        var spec = JobSpec(name: "p", content: "p.####.png", frames: "1-2", styles: ["s.jpg"], outputDir: "/o", iterations: 50,
                           temporal: "multipass", tileSync: 10)
        spec.detectCuts = false
        XCTAssertThrowsError(try spec.resolve(baseDirectory: "/proj")) { error in
            let problems = (error as? JobSpecError)?.problems ?? []
            XCTAssertTrue(problems.contains { $0.field == "tile_sync" && $0.message.contains("--temporal multipass") }, "\(error)")
        }
    }

    func testTileSettingsOfASpec() throws {
        XCTAssertEqual(try job().tiling, .automatic)
        XCTAssertEqual(try job(tiles: false).tiling, .off)
        XCTAssertEqual(try job(tileSize: 640).tiling, .budget(.tileSide(640)))
        XCTAssertEqual(try job(maxTilePixels: 1 << 20).tiling, .budget(.maxTilePixels(1 << 20)))
        for (spec, field) in [(JobSpec(tileSize: 640, maxTilePixels: 1 << 20), "max_tile_pixels"),
                              (JobSpec(tileSize: 640, tiles: false), "tiles"),
                              (JobSpec(tileSize: 8), "tile_size"),
                              (JobSpec(maxTilePixels: 10), "max_tile_pixels")] {
            var full = spec
            full.name = "p"; full.content = "p.####.png"; full.frames = "1"; full.styles = ["s.jpg"]; full.outputDir = "/o"
            XCTAssertThrowsError(try full.resolve(baseDirectory: "/proj")) { error in
                let problems = (error as? JobSpecError)?.problems ?? []
                XCTAssertTrue(problems.contains { $0.field == field }, "\(field): \(error)")
            }
        }
        let echo = JobSpec(name: "e", kind: .echo, frames: "1", tileSize: 640)
        XCTAssertThrowsError(try echo.resolve(baseDirectory: "/proj"))
    }

    func testTheDefaultBudgetFollowsTheWorkersMemory() {
        XCTAssertEqual(TileMemoryModel.taskBytes(workerMemory: nil, slots: 1), 3_000_000_000)
        XCTAssertEqual(TileMemoryModel.taskBytes(workerMemory: 4_000_000_000, slots: 2), 1_000_000_000)
        XCTAssertEqual(TileMemoryModel.taskBytes(workerMemory: 64_000_000_000, slots: 1), 3_000_000_000)
        let pixels = TileMemoryModel.maxTilePixels(memoryBytes: 3_000_000_000, network: .vgg16)
        XCTAssertLessThanOrEqual(TileMemoryModel.peakBytes(pixels: pixels, network: .vgg16), 3_000_000_000)
        XCTAssertGreaterThan(pixels, 700 * 700)
        XCTAssertLessThan(TileMemoryModel.maxTilePixels(memoryBytes: 3_000_000_000, network: .vgg19), pixels)
    }
}
