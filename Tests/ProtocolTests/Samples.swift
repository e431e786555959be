import Foundation
@testable import Protocol

/// Fully populated sample messages: every field set to a non-default value, so a round trip that
/// loses a field fails.
enum Samples {
    static let hashA = String(repeating: "ab", count: 32)
    static let hashB = String(repeating: "cd", count: 32)

    static var blobRef: Stylefarm_V1_BlobRef {
        var b = Stylefarm_V1_BlobRef()
        b.sha256 = hashA; b.size = 123_456; b.mediaType = "image/png"
        return b
    }

    static var losses: Stylefarm_V1_Losses {
        var l = Stylefarm_V1_Losses()
        l.total = 10.5; l.content = 1.25; l.style = 9; l.tv = 0.25
        return l
    }

    static var parameters: Stylefarm_V1_EngineParameters {
        var p = Stylefarm_V1_EngineParameters()
        p.network = .vgg19; p.pooling = .max; p.size = 768; p.iterations = 300
        var opt = Stylefarm_V1_Optimizer(); var adam = Stylefarm_V1_Optimizer.Adam(); adam.learningRate = 2.5
        opt.kind = .adam(adam); p.optimizer = opt
        p.contentWeight = 1; p.styleWeight = 1e-3; p.tvWeight = 1e-4
        var c = Stylefarm_V1_WeightedLayer(); c.name = "relu4_2"; c.weight = 1
        p.contentLayers = [c]
        p.styleLayers = ["relu1_1", "relu2_1", "relu3_1"].enumerated().map { i, n in
            var l = Stylefarm_V1_WeightedLayer(); l.name = n; l.weight = Float(i) + 0.5; return l
        }
        p.styleBlendWeights = [0.25, 0.75]; p.styleScale = 0.8; p.initialization = .noise; p.scales = 3
        p.originalColors = true; p.seed = 0xDEAD_BEEF_CAFE; p.outputBitDepth = 16
        return p
    }

    static var register: Stylefarm_V1_Register {
        var r = Stylefarm_V1_Register()
        r.workerID = "worker-1"; r.hostname = "render07"; r.cores = 16; r.memoryBytes = 64 << 30
        r.engineVersion = "0.3.0"; r.protocolVersion = ProtocolVersion.major
        r.modelHashes = ["vgg16": hashA, "vgg19": hashB]; r.slots = 2
        return r
    }

    static var registerAck: Stylefarm_V1_RegisterAck {
        var a = Stylefarm_V1_RegisterAck()
        a.accepted = false; a.reason = "protocol 2 required"; a.protocolVersion = 1
        a.heartbeatIntervalMs = 1000; a.heartbeatLiveness = 3; a.coordinatorID = "coord"
        return a
    }

    static var ready: Stylefarm_V1_Ready { var r = Stylefarm_V1_Ready(); r.freeSlots = 2; return r }

    static var heartbeat: Stylefarm_V1_Heartbeat {
        var h = Stylefarm_V1_Heartbeat(); h.sequence = 42; h.sentUnixMs = 1_764_000_000_000; return h
    }

    static var task: Stylefarm_V1_TaskAssignment {
        var t = Stylefarm_V1_TaskAssignment()
        t.taskID = "t-1"; t.jobID = "j-1"; t.attempt = 2; t.frameIndex = 17
        var r = Stylefarm_V1_Rect(); r.x = 0; r.y = 8; r.width = 1920; r.height = 1080; t.region = r
        t.parameters = parameters; t.content = blobRef
        var s = blobRef; s.sha256 = hashB; t.styles = [s, blobRef]
        t.styleTargetHashes = [hashB]; t.kind = .stylize; t.diagnosticDurationMs = 250
        t.frameWidth = 1920; t.frameHeight = 1088; t.modelHashes = ["vgg16": hashA]
        t.regions = regionSpec
        t.regionStyleTargets = [.with { $0.hashes = [hashA, hashB] }, .with { $0.hashes = [hashB, hashA] }]
        var mask = blobRef; mask.sha256 = hashB; t.regionMask = mask
        t.regionMaskPath = "/mattes/m.0017.png"
        return t
    }

    /// Every RegionSpec field set (a matte pattern, one styled and one photoreal region).
    static var regionSpec: Stylefarm_V1_RegionSpec {
        var spec = Stylefarm_V1_RegionSpec()
        spec.segment = "matte:/mattes/m.####.png"
        var styled = Stylefarm_V1_RegionSpec.Region()
        styled.name = "background"; styled.stylePath = "/styles/starry.jpg"; styled.contentWeight = 0.5; styled.styleWeight = 2
        var photoreal = Stylefarm_V1_RegionSpec.Region()
        photoreal.name = "foreground"; photoreal.contentWeight = 1; photoreal.styleWeight = 1
        spec.regions = [styled, photoreal]
        spec.guide = .average; spec.mode = .composite; spec.crfDisabled = true
        return spec
    }

    static var progress: Stylefarm_V1_Progress {
        var p = Stylefarm_V1_Progress()
        p.taskID = "t-1"; p.iteration = 120; p.budget = 900; p.losses = losses; p.attempt = 2
        return p
    }

    static var result: Stylefarm_V1_Result {
        var r = Stylefarm_V1_Result()
        r.taskID = "t-1"; r.output = blobRef; r.data = .attachment(0); r.attempt = 2
        var s = Stylefarm_V1_TaskStats(); s.wallSeconds = 12.5; s.finalLosses = losses; s.peakRssBytes = 3 << 30
        s.iterations = 900; r.stats = s
        return r
    }

    static var failure: Stylefarm_V1_Failure {
        var f = Stylefarm_V1_Failure()
        f.taskID = "t-1"; f.kind = .outOfMemory; f.message = "malloc failed"; f.retryable = true; f.attempt = 1
        return f
    }

    static var cancel: Stylefarm_V1_Cancel {
        var c = Stylefarm_V1_Cancel(); c.taskID = "t-1"; c.jobID = "j-1"; c.reason = "user"; return c
    }

    static var blobRequest: Stylefarm_V1_BlobRequest {
        var b = Stylefarm_V1_BlobRequest(); b.sha256 = [hashA, hashB]; b.maxChunkBytes = 1 << 20; return b
    }

    static var blobData: Stylefarm_V1_BlobData {
        var b = Stylefarm_V1_BlobData()
        b.sha256 = hashA; b.totalSize = 10; b.offset = 4; b.data = .inline(Data([1, 2, 3, 4, 5, 6]))
        b.last = true; b.notFound = false
        return b
    }

    static var disconnect: Stylefarm_V1_Disconnect { var d = Stylefarm_V1_Disconnect(); d.reason = "shutdown"; return d }

    static var jobSpec: Stylefarm_V1_JobSpec {
        var j = Stylefarm_V1_JobSpec()
        j.name = "shot-a"; j.contentPattern = "in/frame_%04d.png"; j.frames = "1-100,120"
        j.stylePaths = ["styles/starry.jpg", "styles/scream.jpg"]; j.parameters = parameters
        j.outputPattern = "out/frame_%04d.png"; j.priority = 75
        var o = Stylefarm_V1_JobOptions(); o.sharedFilesystem = true; o.maxAttempts = 3; o.tileSize = 512
        j.options = o
        j.regions = regionSpec
        return j
    }

    static var clientError: Stylefarm_V1_ClientError {
        var e = Stylefarm_V1_ClientError(); e.code = .invalidArgument; e.message = "bad frame range"; return e
    }

    static var frameStatus: Stylefarm_V1_FrameStatus {
        var f = Stylefarm_V1_FrameStatus()
        f.frameIndex = 7; f.state = .failed; f.attempts = 3; f.workerID = "worker-1"; f.error = "oom"
        return f
    }

    static var jobSummary: Stylefarm_V1_JobSummary {
        var s = Stylefarm_V1_JobSummary()
        s.jobID = "j-1"; s.name = "shot-a"; s.state = .running; s.priority = 75
        s.framesTotal = 101; s.framesDone = 40; s.framesFailed = 1; s.submittedUnixMs = 1_764_000_000_000
        return s
    }

    static var jobEvent: Stylefarm_V1_JobEvent {
        var e = Stylefarm_V1_JobEvent()
        e.jobID = "j-1"; e.sequence = 5; e.unixMs = 1_764_000_000_123; e.jobState = .completed
        e.frame = frameStatus; e.framesDone = 101; e.framesTotal = 101; e.framesFailed = 0; e.terminal = true
        return e
    }

    /// One envelope per worker→coordinator message type.
    static var workerMessages: [Stylefarm_V1_WorkerMessage] {
        [.init(.register(register)), .init(.ready(ready)), .init(.heartbeat(heartbeat)),
         .init(.progress(progress)), .init(.result(result)), .init(.failure(failure)),
         .init(.blobRequest(blobRequest)), .init(.blobData(blobData)), .init(.disconnect(disconnect))]
    }

    /// One envelope per coordinator→worker message type.
    static var coordinatorMessages: [Stylefarm_V1_CoordinatorMessage] {
        [.init(.registerAck(registerAck)), .init(.heartbeat(heartbeat)), .init(.task(task)),
         .init(.cancel(cancel)), .init(.blobRequest(blobRequest)), .init(.blobData(blobData)),
         .init(.disconnect(disconnect))]
    }

    /// One envelope per client request type.
    static var clientRequests: [Stylefarm_V1_ClientRequest] {
        var submit = Stylefarm_V1_SubmitJob(); submit.spec = jobSpec
        var status = Stylefarm_V1_JobStatusRequest(); status.jobID = "j-1"; status.includeFrames = true
        var list = Stylefarm_V1_ListJobs(); list.states = [.running, .queued]; list.limit = 10
        var cancel = Stylefarm_V1_CancelJob(); cancel.jobID = "j-1"
        var watch = Stylefarm_V1_WatchJob(); watch.jobID = "j-1"
        return [.init(requestID: 1, .submitJob(submit)), .init(requestID: 2, .jobStatus(status)),
                .init(requestID: 3, .listJobs(list)), .init(requestID: 4, .cancelJob(cancel)),
                .init(requestID: 5, .watchJob(watch)), .init(requestID: 6, .disconnect(disconnect))]
    }

    /// One envelope per client reply type (and both outcomes of SubmitJobReply).
    static var clientReplies: [Stylefarm_V1_ClientReply] {
        var submitted = Stylefarm_V1_SubmitJobReply(); submitted.outcome = .jobID("j-1")
        var rejected = Stylefarm_V1_SubmitJobReply(); rejected.outcome = .error(clientError)
        var status = Stylefarm_V1_JobStatusReply(); status.job = jobSummary; status.frames = [frameStatus]
        status.error = clientError
        var list = Stylefarm_V1_ListJobsReply(); list.jobs = [jobSummary, jobSummary]
        var cancelled = Stylefarm_V1_CancelJobReply(); cancelled.cancelled = true; cancelled.error = clientError
        return [.init(requestID: 1, .submitJob(submitted)), .init(requestID: 1, .submitJob(rejected)),
                .init(requestID: 2, .jobStatus(status)), .init(requestID: 3, .listJobs(list)),
                .init(requestID: 4, .cancelJob(cancelled)), .init(requestID: 5, .jobEvent(jobEvent)),
                .init(requestID: 6, .error(clientError))]
    }
}
