import Hummingbird

/// Every route of the HTTP API, in the form api/openapi.yaml writes its paths (`{job_id}`): the one list the
/// router registers and the test compares with the document, so the two cannot drift apart.
enum APIEndpoint: CaseIterable, Sendable {
    case listJobs, submitJob, jobDetail, deleteJob
    case cancelJob, pauseJob, resumeJob, requeueFrames, setPriority, unblockWorkers
    case jobLogs, jobEvents, farmEvents, frameDetail, frameThumbnail, contactSheet, styleThumbnail
    case listWorkers, reinstateWorker
    case uploadsMissing, uploadBlob, checkout
    case collectGarbage, whoAmI, metrics
    case openAPIDocument, health, dashboard, dashboardFile

    var method: HTTPRequest.Method {
        switch self {
        case .listJobs, .jobDetail, .jobLogs, .jobEvents, .farmEvents, .frameDetail, .frameThumbnail, .contactSheet, .styleThumbnail, .listWorkers, .whoAmI, .metrics, .openAPIDocument, .health,
             .dashboard, .dashboardFile: return .get
        case .deleteJob: return .delete
        case .uploadBlob: return .put
        case .submitJob, .cancelJob, .pauseJob, .resumeJob, .requeueFrames, .setPriority, .unblockWorkers,
             .reinstateWorker, .collectGarbage, .uploadsMissing, .checkout: return .post
        }
    }

    var path: String {
        switch self {
        case .listJobs, .submitJob: return "/api/v1/jobs"
        case .jobDetail, .deleteJob: return "/api/v1/jobs/{job_id}"
        case .cancelJob: return "/api/v1/jobs/{job_id}/cancel"
        case .pauseJob: return "/api/v1/jobs/{job_id}/pause"
        case .resumeJob: return "/api/v1/jobs/{job_id}/resume"
        case .requeueFrames: return "/api/v1/jobs/{job_id}/requeue"
        case .setPriority: return "/api/v1/jobs/{job_id}/priority"
        case .unblockWorkers: return "/api/v1/jobs/{job_id}/unblock"
        case .jobLogs: return "/api/v1/jobs/{job_id}/logs"
        case .jobEvents: return "/api/v1/jobs/{job_id}/events"
        case .farmEvents: return "/api/v1/events"
        case .frameDetail: return "/api/v1/jobs/{job_id}/frames/{frame}"
        case .frameThumbnail: return "/api/v1/jobs/{job_id}/frames/{frame}/thumbnail"
        case .contactSheet: return "/api/v1/jobs/{job_id}/contact-sheet"
        case .styleThumbnail: return "/api/v1/jobs/{job_id}/styles/{index}/thumbnail"
        case .uploadsMissing: return "/api/v1/uploads/missing"
        case .uploadBlob: return "/api/v1/uploads/{sha256}"
        case .checkout: return "/api/v1/checkouts"
        case .listWorkers: return "/api/v1/workers"
        case .reinstateWorker: return "/api/v1/workers/{worker_id}/reinstate"
        case .collectGarbage: return "/api/v1/gc"
        case .whoAmI: return "/api/v1/whoami"
        case .metrics: return "/metrics"
        case .openAPIDocument: return "/openapi.yaml"
        case .health: return "/healthz"
        case .dashboard: return "/"
        case .dashboardFile: return "/ui/{file}"
        }
    }

    /// Whether the route answers without a token (liveness probes, the API's own description and the dashboard's
    /// files, which ask for a token and send it).
    var isPublic: Bool { self == .openAPIDocument || self == .health || self == .dashboard || self == .dashboardFile }

    /// The path in the router's syntax (`:job_id`).
    var routerPath: String {
        path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")
    }
}
