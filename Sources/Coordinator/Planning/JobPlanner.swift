import Engine
import JobModel

/// Turns a resolved job into frames and tasks. Pure and deterministic: equal inputs give equal
/// plans, task IDs included, so re-planning after a coordinator restart reproduces the same IDs.
///
/// Every frame has one task whose result is its output, with the id `taskID(jobID:frame:region:)`.
/// The temporal strategies add tasks and dependencies (docs/ARCHITECTURE.md "Temporal consistency"):
/// * `sequential`: a flow task per pair of consecutive frames of a shot; frame t waits for t−1 and the flow.
/// * `multipass` with K sweeps: tasks `…-p<k>` for sweeps 0…K−2 and the output task for sweep K−1; sweep
///   k of a frame waits only for sweep k−1 of itself and its two neighbours (and their flows), never for a
///   task of its own sweep. The budget is split by `ResolvedTemporal.multipassBudgets`. Whole-frame jobs
///   without regions first run a lineage (`…-l`): the shot sequentially at a smaller size, with most of sweep
///   0's evaluations, each frame's sweep 0 then starting from its lineage frame (issue 24: every frame's
///   texture comes from one lineage, so the consistency sweeps reconcile frames that agree on their layout).
/// * `chunked`: the shot in chunks of `chunkFrames` overlapping by `chunkOverlap`, sequential inside; a
///   frame two chunks share is rendered by both (`…-c<chunk>`) and its output task is a blend of the two,
///   weighted from the earlier chunk to the later one across the overlap.
/// No flow and no temporal term crosses a shot start (`cuts`: frame numbers that start a shot).
///
/// Tiles (issue 7): a stylize job whose frames exceed its tile budget (`ResolvedJob.tiling`) gets one
/// `TilePlan` per scale of its coarse-to-fine run (`JobPlan.tilePlans`), with halos of the deepest
/// style/content layer's receptive-field margin. Every tile of every frame and scale is a task
/// (`PlannedTask.tile`): the last scale's tiles have ids `taskID(jobID:frame:region:)` of their padded
/// rectangle, earlier scales' `<jobID>-f<frame>-s<k>-r<padded>`; a scale's tiles wait for every tile of
/// the previous scale of their frame (they start from its assembled result). No tile task is its frame's
/// output: the coordinator assembles the frame when its last tile lands (`frameAssembled`). With a temporal
/// strategy every whole-frame render (a sweep, a chunk's render) becomes a tile group of its own
/// (`PlannedTile.step`, `Builder.expandIntoTiles`). A job whose style targets the
/// workers compute (`styleGrams`, `StyleGramPart`) gets one task per part, last in the plan, which the tiles
/// of the part's scale (or, with whole frames, every stylize task) wait for. With exact tiles (`ResolvedJob.tileSync`) every scale split into tiles
/// runs in rounds of `tileSync` evaluations, a round's tiles waiting for the previous round's frame-grams task.
public struct JobPlanner: Sendable {
    public init() {}

    /// Plans `job` under `jobID` (assigned by the coordinator, e.g. from persistence). `frameSize` is
    /// the output size of a frame (`ResolvedJob.outputFrameSize(contentWidth:contentHeight:)` of the
    /// first content frame); `styleTargetKey` is required for stylize jobs. `cuts` are frame numbers that
    /// start a new shot (the job's own list plus detected ones).
    public func plan(_ job: ResolvedJob, jobID: String, frameSize: PixelSize,
                     styleTargetKey: StyleTargetKey?, cuts: [Int] = [], styleGrams: [StyleGramPart] = []) throws -> JobPlan {
        if jobID.isEmpty { throw JobPlanError.emptyJobID }
        guard frameSize.width > 0, frameSize.height > 0 else { throw JobPlanError.invalidFrameSize(frameSize) }
        if job.kind == .stylize && styleTargetKey == nil { throw JobPlanError.missingStyleTargetKey(job: job.name) }
        if job.frames.isEmpty { throw JobPlanError.noFrames(job: job.name) }
        let key = job.kind == .stylize ? styleTargetKey : nil
        let region = TaskRegion.full(frameSize)
        let numbers = job.frames.frames
        let frames = numbers.enumerated().map { index, frame in
            PlannedFrame(index: index, frame: frame, contentPath: job.content?.path(for: frame),
                         outputPath: job.output?.path(for: frame))
        }
        let cutSet = Set(cuts)
        let shotStarts = [0] + numbers.indices.dropFirst().filter { cutSet.contains(numbers[$0]) }
        var builder = Builder(jobID: jobID, numbers: numbers, region: region, key: key,
                              iterations: job.parameters.iterations)
        let strategy = job.kind == .stylize ? job.temporal.strategy : .independent
        let tilePlans = try job.kind == .stylize ? job.tiling.budget.map { try Self.tilePlans(job.parameters, frameSize: frameSize, budget: $0) } : nil
        let tiled = tilePlans.map { !$0.last!.isSingleTile } ?? false
        // The lineage renders whole frames at its own size and computes its style targets itself: not for tiles,
        // regions (masks at another size) or styles whose targets the workers compute in parts.
        let lineageSize = !tiled && job.regions == nil && styleGrams.isEmpty ? Self.multipassLineageSize(job.parameters.size) : nil
        for (s, start) in shotStarts.enumerated() {
            let end = s + 1 < shotStarts.count ? shotStarts[s + 1] : numbers.count
            let shot = Array(start..<end)
            switch strategy {
            case .independent: builder.independent(shot)
            case .sequential: builder.sequential(shot)
            case .multipass: builder.multipass(shot, budgets: job.temporal.multipassBudgets(iterations: job.parameters.iterations),
                                               lineageSize: lineageSize)
            case .chunked: builder.chunked(shot, frames: job.temporal.chunkFrames, overlap: job.temporal.chunkOverlap)
            }
        }
        if let tilePlans, tiled {
            let gramTasks = builder.styleGrams(styleGrams)
            // Exact tiles: every scale split into tiles runs in rounds of `tileSync` evaluations (one tile needs
            // none). Resolving refuses them with a temporal strategy, whose sweeps have budgets of their own.
            let rounds = tilePlans.map { plan in
                job.tileSync > 0 && !plan.isSingleTile ? (job.parameters.iterations + job.tileSync - 1) / job.tileSync : 1
            }
            builder.expandIntoTiles(plans: tilePlans, rounds: rounds, sync: job.tileSync,
                                    targets: zip(styleGrams, gramTasks).map { ($0.scale, $1.id) })
            builder.tasks += gramTasks
            return JobPlan(jobID: jobID, job: job, frameSize: frameSize, styleTargetKey: key, frames: frames,
                           tasks: builder.tasks, shotStarts: shotStarts, tilePlans: tilePlans,
                           styleGramParts: styleGrams, tileRounds: rounds)
        }
        // Whole frames run every scale in one task: each stylize task waits for every style-target part.
        let gramTasks = job.kind == .stylize ? builder.styleGrams(styleGrams) : []
        if !gramTasks.isEmpty {
            let ids = gramTasks.map(\.id)
            for i in builder.tasks.indices {
                if case .stylize = builder.tasks[i].role { builder.tasks[i].dependencies = (builder.tasks[i].dependencies + ids).sorted() }
            }
            builder.tasks += gramTasks
        }
        return JobPlan(jobID: jobID, job: job, frameSize: frameSize, styleTargetKey: key, frames: frames,
                       tasks: builder.tasks, shotStarts: shotStarts, styleGramParts: gramTasks.isEmpty ? [] : styleGrams)
    }

    /// The longer side of a multipass lineage's frames for a job of `size` (`ResolvedTemporal.lineageScale` of
    /// it), or nil (no lineage) below 64 pixels.
    public static func multipassLineageSize(_ size: Int) -> Int? {
        size >= 64 ? Int((Float(size) * ResolvedTemporal.lineageScale).rounded()) : nil
    }

    /// `<jobID>-f<frame>-r<x>_<y>_<width>x<height>`: the task whose result is the frame's output.
    public static func taskID(jobID: String, frame: Int, region: TaskRegion) -> String {
        taskID(jobID: jobID, frame: frame, steps: [], region: region)
    }

    /// `<jobID>-f<frame>-<step>-…-r<x>_<y>_<width>x<height>`: the one id format of a frame's tasks over a region
    /// (empty steps are left out), so ids stay equal across re-plans.
    static func taskID(jobID: String, frame: Int, steps: [String], region r: TaskRegion) -> String {
        (["\(jobID)-f\(frame)"] + steps.filter { !$0.isEmpty } + ["r\(r.x)_\(r.y)_\(r.width)x\(r.height)"]).joined(separator: "-")
    }

    /// The tile plan of every scale of `parameters`' coarse-to-fine run, coarse to fine, for frames of
    /// `frameSize` (the last scale's size): scale k's frame is `frameSize` scaled so its longer side is
    /// `scaleSizes[k]`; the halo covers the deepest of the style and content layers.
    public static func tilePlans(_ parameters: StyleTransferParameters, frameSize: PixelSize,
                                 budget: TileBudget) throws -> [TilePlan] {
        let layers = parameters.styleLayers.map(\.name) + parameters.contentLayers.map(\.name)
        let halo = try TilePlan.halo(network: parameters.network, layers: layers)
        return try scaleFrameSizes(parameters, frameSize: frameSize).map {
            try TilePlan(frame: $0, budget: budget, halo: halo)
        }
    }

    /// The frame size at every scale, coarse to fine (the last is `frameSize`).
    public static func scaleFrameSizes(_ parameters: StyleTransferParameters, frameSize: PixelSize) throws -> [PixelSize] {
        let sizes = parameters.scaleSizes
        return try sizes.enumerated().map { k, side in
            if k == sizes.count - 1 { return frameSize }
            let (w, h) = try Image.size(scaling: frameSize.width, frameSize.height, toLongerSide: side)
            return PixelSize(width: w, height: h)
        }
    }

    /// The task of frame `frame`'s render `step` over `region`: `taskID` for the output render (step ""), else
    /// `<jobID>-f<frame>-<step>-r<x>_<y>_<width>x<height>` (`p<k>` for sweep k, `c<k>` for chunk k's render).
    /// In tiled jobs the whole-frame id names the render's tile group (`JobPlan.tileGroup`).
    public static func stepTaskID(jobID: String, frame: Int, step: String, region: TaskRegion) -> String {
        taskID(jobID: jobID, frame: frame, steps: [step], region: region)
    }

    /// `<jobID>-f<frame>-s<scale>-e<round>-grams-c<first core>`: a part of exact tiles' frame statistics after a round.
    public static func frameGramsTaskID(jobID: String, frame: Int, scale: Int, round: Int, firstCore: Int) -> String {
        "\(jobID)-f\(frame)-s\(scale)-e\(round)-grams-c\(firstCore)"
    }

    /// `<jobID>-flow-f<first>-f<second>`.
    public static func flowTaskID(jobID: String, first: Int, second: Int) -> String {
        "\(jobID)-flow-f\(first)-f\(second)"
    }

    /// Collects the tasks of one plan, shot by shot.
    private struct Builder {
        let jobID: String
        let numbers: [Int]
        let region: TaskRegion
        let key: StyleTargetKey?
        let iterations: Int
        var tasks: [PlannedTask] = []
        var flows: Set<String> = []
        /// Stylize task id → its step (`PlannedTile.step`).
        var steps: [String: String] = [:]

        func outputID(_ index: Int) -> String { JobPlanner.taskID(jobID: jobID, frame: numbers[index], region: region) }

        /// The task of frame `index`'s render `step` (`stepTaskID`; the output task for "").
        func stepID(_ index: Int, _ step: String) -> String {
            JobPlanner.stepTaskID(jobID: jobID, frame: numbers[index], step: step, region: region)
        }

        /// The flow task of frames `a` and `b = a + 1`, added once.
        mutating func flow(_ a: Int, _ b: Int) -> String {
            let id = JobPlanner.flowTaskID(jobID: jobID, first: numbers[a], second: numbers[b])
            if flows.insert(id).inserted {
                tasks.append(PlannedTask(id: id, frameIndex: a, frame: numbers[a], region: region, styleTargetKey: nil,
                                         role: .flow(secondFrameIndex: b), producesOutput: false))
            }
            return id
        }

        /// Frame `index`'s render `step` ("" for its output): a task that is its frame's output exactly when
        /// its step is "".
        mutating func stylize(_ index: Int, step: String, sweep: Int = 0, neighbours: [TemporalLink] = [],
                              initial: String? = nil, iterations: Int? = nil, size: Int? = nil) {
            var dependencies = neighbours.flatMap { [$0.resultTask, $0.flowTask] }
            if let initial { dependencies.append(initial) }
            let id = stepID(index, step)
            steps[id] = step
            tasks.append(PlannedTask(id: id, frameIndex: index, frame: numbers[index], region: region, styleTargetKey: key,
                                     role: .stylize(sweep: sweep), dependencies: Array(Set(dependencies)).sorted(),
                                     producesOutput: step.isEmpty, neighbours: neighbours, initialTask: initial,
                                     iterations: iterations, size: size))
        }

        /// One task per style-target part: `<jobID>-style-s<scale>-i<style>-c<first core>` (frame index 0).
        func styleGrams(_ parts: [StyleGramPart]) -> [PlannedTask] {
            parts.enumerated().map { n, part in
                PlannedTask(id: "\(jobID)-style-s\(part.scale)-i\(part.style)-c\(part.firstCore)", frameIndex: 0,
                            frame: numbers[0], region: region, styleTargetKey: key, role: .styleGrams(part: n),
                            producesOutput: false)
            }
        }

        /// Tiles (issue 7): every whole-frame stylize task becomes a tile group (`PlannedTile`), scale by scale:
        /// tile tasks of scale k wait for all tiles of scale k − 1 of their group, and for the style-gram tasks of
        /// scale k (`targets`) when the workers compute the style targets. The group's first tiles wait for what
        /// the whole-frame task waited for, a named group standing for its last tiles; every tile keeps the
        /// task's neighbours and sweep (temporal terms at every scale, as a whole frame has them), the first
        /// tiles its start image. Blend tasks wait for their inputs' last tiles. With exact tiles a scale runs
        /// in `rounds[scale]` rounds of `sync` evaluations (the last takes the rest): after each round but the
        /// last, a frame-grams task sums the assembled frame's statistics, and the next round's tiles wait for it.
        mutating func expandIntoTiles(plans: [TilePlan], rounds: [Int], sync: Int, targets: [(scale: Int, id: String)]) {
            let last = plans.count - 1
            let targetsOf = Dictionary(grouping: targets, by: \.scale).mapValues { $0.map(\.id) }
            func tileID(_ frame: Int, step: String, scale: Int, round: Int, _ r: TaskRegion) -> String {
                let at = scale == last && round == rounds[scale] - 1 ? "" : rounds[scale] == 1 ? "s\(scale)" : "s\(scale)-e\(round)"
                return JobPlanner.taskID(jobID: jobID, frame: frame, steps: [step, at], region: r)
            }
            let wholeFrame = tasks
            let frameOf = Dictionary(wholeFrame.map { ($0.id, $0.frame) }, uniquingKeysWith: { a, _ in a })
            // A group's result is its last step's tiles.
            func finalTiles(_ id: String) -> [String] {
                guard let step = steps[id], let frame = frameOf[id] else { return [id] }
                return plans[last].tiles.map { tileID(frame, step: step, scale: last, round: rounds[last] - 1, $0.padded) }
            }
            tasks = []
            for whole in wholeFrame {
                guard case .stylize(let sweep) = whole.role, let step = steps[whole.id] else {
                    var task = whole
                    task.dependencies = whole.dependencies.flatMap(finalTiles).sorted()
                    tasks.append(task)
                    continue
                }
                let index = whole.frameIndex, frame = whole.frame
                let iterations = whole.iterations ?? self.iterations
                var previous = whole.dependencies.flatMap(finalTiles)
                for (scale, plan) in plans.enumerated() {
                    previous += targetsOf[scale] ?? []
                    for round in 0..<rounds[scale] {
                        let final = round == rounds[scale] - 1
                        let first = scale == 0 && round == 0
                        let budget: Int? = rounds[scale] == 1 ? whole.iterations : final ? iterations - sync * (rounds[scale] - 1) : sync
                        var ids: [String] = []
                        for tile in plan.tiles {
                            let id = tileID(frame, step: step, scale: scale, round: round, tile.padded)
                            tasks.append(PlannedTask(id: id, frameIndex: index, frame: frame, region: tile.padded, styleTargetKey: key,
                                                     role: .stylize(sweep: sweep), dependencies: Array(Set(previous)).sorted(),
                                                     producesOutput: false, neighbours: whole.neighbours,
                                                     initialTask: first ? whole.initialTask : nil, iterations: budget,
                                                     tile: PlannedTile(scale: scale, index: tile.index, round: round, step: step)))
                            ids.append(id)
                        }
                        previous = ids
                        if !final {
                            // The frame's statistics, in parts of cores like a large style's (fixed sizes, so a
                            // restarted coordinator plans the same parts whatever its settings).
                            let size = plan.frameSize
                            let core = GramSums.core(width: size.width, height: size.height,
                                                     passPixels: StyleGramPart.framePassPixels, core: StyleGramPart.frameCore)
                            previous = []
                            for cores in GramSums.parts(width: size.width, height: size.height, core: core,
                                                        perPart: StyleGramPart.coresPerPart) {
                                let grams = JobPlanner.frameGramsTaskID(jobID: jobID, frame: frame, scale: scale, round: round,
                                                                        firstCore: cores.lowerBound)
                                tasks.append(PlannedTask(id: grams, frameIndex: index, frame: frame, region: region, styleTargetKey: key,
                                                         role: .frameGrams(scale: scale, round: round, core: core, cores: cores),
                                                         dependencies: ids.sorted(), producesOutput: false))
                                previous.append(grams)
                            }
                        }
                    }
                }
            }
        }

        mutating func independent(_ shot: [Int]) {
            for index in shot { stylize(index, step: "") }
        }

        /// Frames `shot` one after another, frame `index` as its render `steps[index]` (default: its output), each
        /// with `iterations` evaluations at `size` when given (a multipass lineage), else the job's.
        mutating func sequential(_ shot: [Int], steps: [Int: String] = [:], iterations: Int? = nil, size: Int? = nil) {
            var previous: String? = nil
            for (k, index) in shot.enumerated() {
                let step = steps[index] ?? ""
                var neighbours: [TemporalLink] = []
                if let previous {
                    neighbours = [TemporalLink(resultTask: previous, flowTask: flow(shot[k - 1], index), neighbourIsFirst: true)]
                }
                stylize(index, step: step, neighbours: neighbours, iterations: iterations, size: size)
                previous = stepID(index, step)
            }
        }

        /// Sweeps of `budgets[k]` evaluations each (`ResolvedTemporal.multipassBudgets`): sweep 0 stylizes every frame
        /// alone, sweep k > 0 starts from the frame's sweep k − 1 and is pulled toward its neighbours' sweep k − 1.
        /// With `lineageSize`, `ResolvedTemporal.lineageShare` of sweep 0's evaluations go to a lineage first: the
        /// shot rendered sequentially at that size (`…-l`), whose frame each sweep 0 starts from.
        mutating func multipass(_ shot: [Int], budgets: [Int], lineageSize: Int? = nil) {
            var budgets = budgets
            let sweeps = budgets.count
            guard sweeps > 1, shot.count > 1 else {
                // One frame (or one sweep): nothing to sweep toward; the frame gets the whole budget.
                return independent(shot)
            }
            var lineage: [Int: String] = [:]
            if let lineageSize, budgets[0] >= 4 {
                let evaluations = min(budgets[0] - 1, Int(Float(budgets[0]) * ResolvedTemporal.lineageShare))
                budgets[0] -= evaluations
                sequential(shot, steps: Dictionary(uniqueKeysWithValues: shot.map { ($0, "l") }), iterations: evaluations,
                           size: lineageSize)
                for index in shot { lineage[index] = stepID(index, "l") }
            }
            func sweepStep(_ sweep: Int) -> String { sweep == sweeps - 1 ? "" : "p\(sweep)" }
            func sweepID(_ index: Int, _ sweep: Int) -> String { stepID(index, sweepStep(sweep)) }
            for (sweep, budget) in budgets.enumerated() {
                for (k, index) in shot.enumerated() {
                    var neighbours: [TemporalLink] = []
                    if sweep > 0 {
                        if k > 0 {
                            neighbours.append(TemporalLink(resultTask: sweepID(shot[k - 1], sweep - 1),
                                                           flowTask: flow(shot[k - 1], index), neighbourIsFirst: true))
                        }
                        if k + 1 < shot.count {
                            neighbours.append(TemporalLink(resultTask: sweepID(shot[k + 1], sweep - 1),
                                                           flowTask: flow(index, shot[k + 1]), neighbourIsFirst: false))
                        }
                    }
                    stylize(index, step: sweepStep(sweep), sweep: sweep, neighbours: neighbours,
                            initial: sweep > 0 ? sweepID(index, sweep - 1) : lineage[index], iterations: budget)
                }
            }
        }

        mutating func chunked(_ shot: [Int], frames size: Int, overlap: Int) {
            guard shot.count > size else { sequential(shot); return }
            // Chunk starts: every size − overlap frames, while a chunk still adds frames of its own.
            var starts: [Int] = []
            var start = 0
            while starts.isEmpty || start + overlap < shot.count {
                starts.append(start)
                start += size - overlap
            }
            var chunksOf: [Int: Int] = [:]  // shot position → how many chunks render it
            for s in starts {
                for position in s..<min(s + size, shot.count) { chunksOf[position, default: 0] += 1 }
            }
            // Per chunk: frame index → task id. A shared frame's renders are steps; their blend is the output.
            var renders: [[Int: String]] = []
            for (c, s) in starts.enumerated() {
                let positions = Array(s..<min(s + size, shot.count))
                var chunkSteps: [Int: String] = [:]
                for position in positions { chunkSteps[shot[position]] = chunksOf[position]! > 1 ? "c\(c)" : "" }
                sequential(positions.map { shot[$0] }, steps: chunkSteps)
                renders.append(Dictionary(uniqueKeysWithValues: chunkSteps.map { ($0.key, stepID($0.key, $0.value)) }))
            }
            for c in 0..<(starts.count - 1) {
                let shared = Array(starts[c + 1]..<min(starts[c] + size, shot.count))
                for (j, position) in shared.enumerated() {
                    let index = shot[position]
                    let later = Float(j + 1) / Float(shared.count + 1)
                    let inputs = [BlendLink(task: renders[c][index]!, weight: 1 - later),
                                  BlendLink(task: renders[c + 1][index]!, weight: later)]
                    tasks.append(PlannedTask(id: outputID(index), frameIndex: index, frame: numbers[index], region: region,
                                             styleTargetKey: nil, role: .blend, dependencies: inputs.map(\.task).sorted(),
                                             producesOutput: true, blendInputs: inputs))
                }
            }
        }
    }
}
