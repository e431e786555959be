import JobModel
/// One frame of a job.
public struct PlannedFrame: Sendable, Hashable {
    /// Position in the job (0-based, ascending with the frame number).
    public var index: Int
    /// The frame number (as in the file names).
    public var frame: Int
    /// The content image (absolute); nil for echo jobs without content.
    public var contentPath: String?
    /// Where the result goes (absolute, inside the output directory); nil for echo jobs without output.
    public var outputPath: String?

    public init(index: Int, frame: Int, contentPath: String?, outputPath: String?) {
        self.index = index; self.frame = frame; self.contentPath = contentPath; self.outputPath = outputPath
    }
}

/// What a task computes.
public enum TaskRole: Sendable, Hashable {
    /// Stylize the frame. `sweep` counts multipass sweeps (0 for every other strategy).
    case stylize(sweep: Int)
    /// Optical flow (forward and backward) between this frame and the frame at `secondFrameIndex`.
    case flow(secondFrameIndex: Int)
    /// Cross-fade the results of `PlannedTask.blendInputs` (chunked jobs' overlapping frames).
    case blend
    /// Sum part of the job's style targets: `JobPlan.styleGramParts[part]` (tiled jobs with large styles).
    case styleGrams(part: Int)
    /// Exact tiles: the Gram sums over cores `cores` (of the `core`-pixel grid) of this frame assembled after
    /// `round` of `scale`; the parts' sum is what the tiles of the next round match their statistics against.
    case frameGrams(scale: Int, round: Int, core: Int, cores: Range<Int>)
}

/// A neighbouring frame a stylize task is kept consistent with: the task whose result it is pulled
/// toward, and the flow task of the frame pair.
public struct TemporalLink: Sendable, Hashable {
    public var resultTask: String
    public var flowTask: String
    /// The neighbour precedes this frame (it is the flow pair's first frame).
    public var neighbourIsFirst: Bool

    public init(resultTask: String, flowTask: String, neighbourIsFirst: Bool) {
        self.resultTask = resultTask; self.flowTask = flowTask; self.neighbourIsFirst = neighbourIsFirst
    }
}

/// One input of a blend task.
public struct BlendLink: Sendable, Hashable {
    public var task: String
    public var weight: Float
    public init(task: String, weight: Float) { self.task = task; self.weight = weight }
}

/// Where a tile task sits in its frame's tiling: `JobPlan.tilePlans[scale].tiles[index]`, in `round` of
/// the scale's rounds (exact tiles; always 0 otherwise), in the tile group `step` of its frame.
///
/// A tile group is what one whole-frame stylize task of the temporal strategies becomes when frames are
/// tiled: every scale, round and tile of one render of the frame. `step` is that task's step: "" for the
/// frame's output render, `p<k>` for multipass sweep k, `c<k>` for chunk k's render of a shared frame.
public struct PlannedTile: Sendable, Hashable {
    public var scale: Int
    public var index: Int
    public var round: Int
    public var step: String
    public init(scale: Int, index: Int, round: Int = 0, step: String = "") {
        self.scale = scale; self.index = index; self.round = round; self.step = step
    }
}

/// One render of a tiled frame (a tile group, see `PlannedTile`): the id the whole-frame task of that step
/// would have, which temporal links, start images and blend inputs name, resolves to this.
public struct TileGroup: Sendable, Hashable {
    public var frameIndex: Int
    public var step: String
    public init(frameIndex: Int, step: String) { self.frameIndex = frameIndex; self.step = step }
}

/// One unit of work handed to a worker.
public struct PlannedTask: Sendable, Hashable {
    /// Deterministic: `<jobID>-f<frame>-r<x>_<y>_<width>x<height>`, equal for equal plans.
    public var id: String
    /// Index into `JobPlan.frames`.
    public var frameIndex: Int
    /// The frame number.
    public var frame: Int
    /// The part of the frame this task renders.
    public var region: TaskRegion
    /// The style targets every task of the job shares (nil for echo jobs).
    public var styleTargetKey: StyleTargetKey?
    public var role: TaskRole
    /// Tasks that must complete first (same job).
    public var dependencies: [String]
    /// Whether the result is the frame's output (false for flow tasks and intermediate sweeps / chunks).
    public var producesOutput: Bool
    /// Stylize tasks with temporal terms: the neighbours, closest first. In tiled jobs every tile of a group
    /// carries its group's neighbours, and `resultTask` names the neighbour's tile group (`JobPlan.tileGroup`).
    public var neighbours: [TemporalLink]
    /// Multipass sweeps after the first: the task whose result this one starts from (its previous sweep; a
    /// tile group id in tiled jobs, set on the group's first-step tiles only).
    public var initialTask: String?
    /// Blend tasks: the results to cross-fade (tile group ids in tiled jobs).
    public var blendInputs: [BlendLink]
    /// Objective evaluations per scale for this task when not the job's (multipass splits them over sweeps).
    public var iterations: Int?
    /// The longer side of this task's render when not the job's `size` (a multipass lineage renders at `ResolvedTemporal.lineageScale` of it).
    public var size: Int?
    /// Tiled frames: the tile this task renders (`region` is its padded rectangle at that scale).
    public var tile: PlannedTile?

    public init(id: String, frameIndex: Int, frame: Int, region: TaskRegion, styleTargetKey: StyleTargetKey?,
                role: TaskRole = .stylize(sweep: 0), dependencies: [String] = [], producesOutput: Bool = true,
                neighbours: [TemporalLink] = [], initialTask: String? = nil, blendInputs: [BlendLink] = [],
                iterations: Int? = nil, size: Int? = nil, tile: PlannedTile? = nil) {
        self.id = id; self.frameIndex = frameIndex; self.frame = frame; self.region = region
        self.styleTargetKey = styleTargetKey
        self.role = role; self.dependencies = dependencies; self.producesOutput = producesOutput
        self.neighbours = neighbours; self.initialTask = initialTask; self.blendInputs = blendInputs
        self.iterations = iterations
        self.size = size
        self.tile = tile
    }
}

/// A job broken into frames and tasks, in frame order.
public struct JobPlan: Sendable, Equatable {
    public var jobID: String
    public var job: ResolvedJob
    /// Output size of every frame (the planner assumes a sequence has one size).
    public var frameSize: PixelSize
    public var styleTargetKey: StyleTargetKey?
    public var frames: [PlannedFrame]
    public var tasks: [PlannedTask]
    /// Indices into `frames` that start a shot (always 0; temporal terms never cross a shot start).
    public var shotStarts: [Int]
    /// Tiled jobs: the tile plan of every scale, coarse to fine (empty when frames are whole).
    public var tilePlans: [TilePlan]
    /// Tiled jobs with large style images: the parts of their style targets the workers compute, one task
    /// each (the plan's last tasks, in this order). Empty when the coordinator computes the targets.
    public var styleGramParts: [StyleGramPart]
    /// Exact tiles: the rounds of every scale (1 where tiles do not share statistics).
    public var tileRounds: [Int]
    private var index: [String: Int]
    /// `frame|step|scale|round` → the indices of its tile tasks, in tile order.
    private var tileSteps: [String: [Int]]
    /// `frame|scale|round` → the indices of the frame-grams parts after that round, in core order.
    private var frameGramGroups: [String: [Int]]
    /// Tile group id (the whole-frame task id of its step) → the group.
    private var groups: [String: TileGroup]
    /// The groups another task names (a temporal neighbour, a start image, a blend input).
    private var namedGroups: Set<TileGroup>

    public init(jobID: String, job: ResolvedJob, frameSize: PixelSize, styleTargetKey: StyleTargetKey?,
                frames: [PlannedFrame], tasks: [PlannedTask], shotStarts: [Int] = [0], tilePlans: [TilePlan] = [],
                styleGramParts: [StyleGramPart] = [], tileRounds: [Int]? = nil) {
        self.jobID = jobID; self.job = job; self.frameSize = frameSize; self.styleTargetKey = styleTargetKey
        self.frames = frames; self.tasks = tasks; self.shotStarts = shotStarts; self.tilePlans = tilePlans
        self.styleGramParts = styleGramParts
        self.tileRounds = tileRounds ?? tilePlans.map { _ in 1 }
        index = Dictionary(tasks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var steps: [String: [Int]] = [:], grams: [String: [Int]] = [:], groups: [String: TileGroup] = [:]
        let whole = TaskRegion.full(frameSize)
        for (i, task) in tasks.enumerated() {
            if let tile = task.tile {
                steps["\(task.frameIndex)|\(tile.step)|\(tile.scale)|\(tile.round)", default: []].append(i)
                if tile.scale == 0 && tile.round == 0 {
                    let id = JobPlanner.stepTaskID(jobID: jobID, frame: task.frame, step: tile.step, region: whole)
                    groups[id] = TileGroup(frameIndex: task.frameIndex, step: tile.step)
                }
            } else if case .frameGrams(let scale, let round, _, _) = task.role {
                grams["\(task.frameIndex)|\(scale)|\(round)", default: []].append(i)
            }
        }
        tileSteps = steps.mapValues { $0.sorted { tasks[$0].tile!.index < tasks[$1].tile!.index } }
        frameGramGroups = grams
        self.groups = groups
        namedGroups = Set(tasks.flatMap { task in
            (task.neighbours.map(\.resultTask) + [task.initialTask].compactMap { $0 } + task.blendInputs.map(\.task))
                .compactMap { groups[$0] }
        })
    }

    /// Whether another task takes the result of frame `frameIndex`'s render `step` (tiled jobs): its final
    /// assembly is then kept for them.
    public func isNamed(frameIndex: Int, step: String) -> Bool {
        namedGroups.contains(TileGroup(frameIndex: frameIndex, step: step))
    }

    /// The tile group a whole-frame task id names (a temporal neighbour, a start image, a blend input of a
    /// tiled job), or nil when `id` is not one.
    public func tileGroup(_ id: String) -> TileGroup? { groups[id] }

    /// Whether `tile` is the last step of its frame (the last round of the last scale): its assembly is the frame.
    public func isFinalStep(_ tile: PlannedTile) -> Bool {
        tile.scale == tilePlans.count - 1 && tile.round == tileRounds[tile.scale] - 1
    }

    /// The step a tile of (`scale`, `round`) starts from: the previous round of its scale, else the last round
    /// of the previous scale; nil at the very first step.
    public func previousStep(scale: Int, round: Int) -> (scale: Int, round: Int)? {
        if round > 0 { return (scale, round - 1) }
        if scale > 0 { return (scale - 1, tileRounds[scale - 1] - 1) }
        return nil
    }

    /// Exact tiles: the tasks that sum frame `frameIndex`'s Gram statistics after `round` of `scale`, in core
    /// order (empty after a scale's last round).
    public func frameGramsTasks(frameIndex: Int, scale: Int, round: Int) -> [PlannedTask] {
        (frameGramGroups["\(frameIndex)|\(scale)|\(round)"] ?? []).map { tasks[$0] }
    }

    /// The style-gram tasks of `scale`, in part order (empty when the coordinator computes the targets).
    public func styleGramTasks(scale: Int) -> [PlannedTask] {
        tasks.suffix(styleGramParts.count).filter {
            if case .styleGrams(let part) = $0.role { return styleGramParts[part].scale == scale }
            return false
        }
    }

    /// The planned task with this id.
    public func task(_ id: String) -> PlannedTask? { index[id].map { tasks[$0] } }

    /// Whether frames are rendered in tiles.
    public var isTiled: Bool { !tilePlans.isEmpty }

    /// The tile tasks of frame `frameIndex` at `scale` (and `round`) of its render `step` (the output render
    /// by default), in tile order (empty when not tiled).
    public func tileTasks(frameIndex: Int, scale: Int, round: Int = 0, step: String = "") -> [PlannedTask] {
        (tileSteps["\(frameIndex)|\(step)|\(scale)|\(round)"] ?? []).map { tasks[$0] }
    }
}

/// Why a job could not be planned.
public enum JobPlanError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyJobID
    case invalidFrameSize(PixelSize)
    /// A stylize job needs the style-target key (compute it with `StyleTargetKey`).
    case missingStyleTargetKey(job: String)
    case noFrames(job: String)

    public var description: String {
        switch self {
        case .emptyJobID: return "a job ID is required to plan a job"
        case .invalidFrameSize(let s): return "frame size \(s) is not positive; read it from the first content frame"
        case .missingStyleTargetKey(let job): return "job \(job) is a stylize job; compute its style-target key before planning"
        case .noFrames(let job): return "job \(job) has no frames"
        }
    }
}
