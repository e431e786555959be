import Coordinator
import FarmWire
import Foundation
import Hummingbird
import JobModel
import Protocol

/// What each route does: checks the caller and its arguments, sends the matching client request through the
/// coordinator's in-process channel (`LocalClients`: the same handler, checks and replies as the ZeroMQ client
/// API) and answers its reply as JSON. Reads of jobs (`JobStatus`, `ListJobs`) go to the coordinator's read model
/// directly, on a thread of their own, which the loop's handler of the same requests also answers from: the loop
/// never does a browser's reading. No job logic lives here.
struct APIHandlers: Sendable {
    let clients: LocalClients
    let readModel: JobReadModel
    let authenticator: APIAuthenticator
    let metrics: FarmMetrics
    let streams: StreamQuota
    let thumbnails = Thumbnails()
    /// Job details already encoded, with the job's version they were read at.
    let details = EncodedDetails()

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    func respond(_ endpoint: APIEndpoint, _ request: Request, _ context: APIRequestContext) async -> Response {
        do {
            let identity = endpoint.isPublic ? ClientIdentity.unauthenticated : try authenticator.identify(request)
            return try await handle(endpoint, request, context, as: identity)
        } catch let error as APIError {
            return Self.errorResponse(error)
        } catch let error as LocalClientsError {
            return Self.errorResponse(APIError(status: .tooManyRequests, code: "busy", message: error.description))
        } catch {
            return Self.errorResponse(APIError(status: .internalServerError, code: "internal", message: "\(error)"))
        }
    }

    private func handle(_ endpoint: APIEndpoint, _ request: Request, _ context: APIRequestContext,
                        as identity: ClientIdentity) async throws -> Response {
        let query = request.uri.queryParameters
        switch endpoint {
        case .dashboard, .dashboardFile:
            let name = endpoint == .dashboard ? "index.html" : try Self.parameter("file", context)
            guard let file = DashboardAssets.files[name] else { throw APIError.notFound("the dashboard has no file \(name.debugDescription)") }
            var response = Self.text(file.text, contentType: file.contentType)
            response.headers[.cacheControl] = "no-cache"
            return response
        case .uploadsMissing:
            return try await missingBlobs(request, context, as: identity)
        case .uploadBlob:
            return try await uploadBlob(request, context, as: identity)
        case .checkout:
            return try await checkout(request, context, as: identity)
        case .frameDetail:
            let jobID = try Self.jobID(context)
            let reply = try await frameStatus(jobID: jobID, number: try Self.frameNumber(context), tasks: true, as: identity)
            guard let frame = reply.frames.first else { throw Self.unexpected }
            return try Self.json(FrameJSON(frame, jobID: jobID))
        case .frameThumbnail:
            let jobID = try Self.jobID(context)
            let number = try Self.frameNumber(context)
            let reply = try await frameStatus(jobID: jobID, number: number, tasks: false, as: identity)
            guard let frame = reply.frames.first, frame.state == .done, !frame.outputPath.isEmpty else {
                throw APIError(status: .conflict, code: "failed_precondition", message: "frame \(number) of job \(jobID) is not finished yet")
            }
            let plate = try await plateSettings(ofJob: jobID, as: identity)
            let png: Data
            do { png = try await thumbnails.png(of: frame.outputPath, plate: plate) } catch {
                throw APIError.notFound("\(error)")
            }
            return Self.png(png)
        case .styleThumbnail:
            let jobID = try Self.jobID(context)
            let text = try Self.parameter("index", context)
            let styles = try await read { try readModel.styles(ofJob: jobID, as: identity) }
            let images: [Stylefarm_V1_StyleImage]
            switch styles {
            case .failure(let refusal): throw APIError(refusal.error)
            case .success(let list): images = list
            }
            guard let index = Int(text), images.indices.contains(index) else {
                throw APIError.notFound("job \(jobID) has \(images.count) style image(s), numbered from 0 (got \(text.debugDescription))")
            }
            let png: Data
            do { png = try await thumbnails.png(of: images[index].path) } catch { throw APIError.notFound("\(error)") }
            return Self.png(png)
        case .contactSheet:
            let jobID = try Self.jobID(context)
            let columns = try Self.integer(query["columns"], name: "columns", in: 1...32) ?? 8
            var status = Stylefarm_V1_JobStatusRequest()
            status.jobID = jobID
            status.includeFrames = true
            let reply = try await read { [status] in readModel.jobStatus(status, as: identity) }
            if reply.hasError { throw APIError(reply.error) }
            let done = reply.frames.filter { $0.state == .done && !$0.outputPath.isEmpty }.map(\.outputPath)
            guard !done.isEmpty else {
                throw APIError(status: .conflict, code: "failed_precondition", message: "job \(jobID) has no finished frame yet")
            }
            let plate = try await plateSettings(ofJob: jobID, as: identity)
            let png: Data
            do { png = try await thumbnails.contactSheet(of: done, columns: columns, plate: plate) } catch {
                throw APIError.notFound("\(error)")
            }
            return Self.png(png)
        case .health:
            return Self.text("ok\n", contentType: "text/plain; charset=utf-8")
        case .openAPIDocument:
            return Self.text(OpenAPIDocument.yaml, contentType: "application/yaml")
        case .metrics:
            return Self.text(await metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case .whoAmI:
            return try Self.json(WhoAmIJSON(name: identity.name, role: identity.role.rawValue))
        case .listJobs:
            var list = Stylefarm_V1_ListJobs()
            if let states = query["state"] {
                for name in states.split(separator: ",") {
                    guard let state = Stylefarm_V1_JobState(name: String(name)) else {
                        let names = Stylefarm_V1_JobState.allCases.filter { $0 != .unspecified }.map(\.name).sorted()
                        throw APIError.badRequest("unknown job state \(String(name).debugDescription); states are \(names.joined(separator: ", "))")
                    }
                    list.states.append(state)
                }
            }
            let limit = try Self.integer(query["limit"], name: "limit", in: 1...10_000) ?? 100
            let offset = try Self.integer(query["offset"], name: "offset", in: 0...Int(Int32.max)) ?? 0
            let answer = try await read { [list] in readModel.listJobs(list, as: identity) }
            if case .error(let error) = answer { throw APIError(error) }
            guard case .listJobs(let reply) = answer else { throw Self.unexpected }
            let jobs = reply.jobs.dropFirst(offset).prefix(limit).map { JobJSON($0) }
            return try Self.json(JobListJSON(jobs: Array(jobs), total: reply.jobs.count, offset: offset))
        case .jobDetail:
            let jobID = try Self.jobID(context)
            // Unchanged since it was last encoded: the same bytes, after the same access check as a fresh read.
            let version = readModel.version(ofJob: jobID)
            if let kept = details.get(jobID, at: version) {
                if let refusal = JobReadModel.refusal(jobID: jobID, owner: kept.owner, identity: identity) { throw APIError(refusal.error) }
                return Self.jsonResponse(kept.json)
            }
            var status = Stylefarm_V1_JobStatusRequest()
            status.jobID = jobID
            status.includeFrames = true
            let (reply, json) = try await read { [status] () -> (Stylefarm_V1_JobStatusReply, Data?) in
                let reply = readModel.jobStatus(status, as: identity)
                return (reply, reply.hasError ? nil : try? Self.encoded(JobJSON(reply.job, frames: reply.frames, styles: reply.styles)))
            }
            if reply.hasError { throw APIError(reply.error) }
            guard let json else { throw Self.unexpected }
            details.put(jobID, at: version, owner: reply.job.owner, json: json)
            return Self.jsonResponse(json)
        case .submitJob:
            let spec = try await Self.jobSpec(from: request, context: context)
            var submit = Stylefarm_V1_SubmitJob()
            submit.spec = spec
            guard case .submitJob(let reply)? = try await ask(.submitJob(submit), as: identity) else { throw Self.unexpected }
            if case .error(let error)? = reply.outcome { throw APIError(error) }
            var response = try Self.json(SubmittedJSON(id: reply.jobID), status: .created)
            response.headers[.location] = "/api/v1/jobs/\(reply.jobID)"
            return response
        case .cancelJob:
            var cancel = Stylefarm_V1_CancelJob()
            cancel.jobID = try Self.jobID(context)
            guard case .cancelJob(let reply)? = try await ask(.cancelJob(cancel), as: identity) else { throw Self.unexpected }
            if reply.hasError { throw APIError(reply.error) }
            return try Self.json(CancelResultJSON(cancelled: reply.cancelled))
        case .pauseJob:
            struct Body: Decodable { var now: Bool? }
            let body = try await Self.optionalBody(Body.self, request, context)
            return try await control(context, .pause(.with { $0.now = body?.now ?? false }), as: identity)
        case .resumeJob:
            return try await control(context, .resume(Stylefarm_V1_ResumeJob()), as: identity)
        case .setPriority:
            struct Body: Decodable { var priority: Int }
            guard let body = try await Self.optionalBody(Body.self, request, context) else {
                throw APIError.badRequest("send {\"priority\": 0…100}")
            }
            guard (0...100).contains(body.priority) else { throw APIError.badRequest("priority \(body.priority) is outside 0…100") }
            return try await control(context, .setPriority(.with { $0.priority = UInt32(body.priority) }), as: identity)
        case .requeueFrames:
            struct Body: Decodable { var frames: [Int64]?; var failed: Bool? }
            let body = try await Self.optionalBody(Body.self, request, context)
            guard let body, !(body.frames ?? []).isEmpty || body.failed == true else {
                throw APIError.badRequest("send {\"frames\": [frame numbers]} and/or {\"failed\": true}")
            }
            return try await control(context, .requeue(.with { $0.frames = body.frames ?? []; $0.failed = body.failed ?? false }),
                                     as: identity)
        case .unblockWorkers:
            struct Body: Decodable { var worker: String? }
            let body = try await Self.optionalBody(Body.self, request, context)
            return try await control(context, .unblock(.with { $0.workerID = body?.worker ?? "" }), as: identity)
        case .deleteJob:
            var delete = Stylefarm_V1_DeleteJob()
            delete.jobID = try Self.jobID(context)
            delete.outputs = try Self.boolean(query["outputs"], name: "outputs") ?? false
            guard case .deleteJob(let reply)? = try await ask(.deleteJob(delete), as: identity) else { throw Self.unexpected }
            if reply.hasError { throw APIError(reply.error) }
            return try Self.json(DeleteResultJSON(tasksDeleted: Int(reply.tasksDeleted), filesRemoved: Int(reply.filesRemoved),
                                                  bytesFreed: reply.bytesFreed, outputsRemoved: Int(reply.outputsRemoved)))
        case .jobLogs:
            var logs = Stylefarm_V1_TaskLogRequest()
            logs.jobID = try Self.jobID(context)
            if let frame = query["frame"] {
                guard let number = Int64(frame) else { throw APIError.badRequest("frame must be a frame number of the job's range (got \(String(frame).debugDescription))") }
                logs.frame = number
            }
            logs.attempt = UInt32(try Self.integer(query["attempt"], name: "attempt", in: 1...Int(UInt32.max)) ?? 0)
            logs.running = try Self.boolean(query["running"], name: "running") ?? false
            guard case .taskLogs(let reply)? = try await ask(.taskLogs(logs), as: identity) else { throw Self.unexpected }
            if reply.hasError { throw APIError(reply.error) }
            return try Self.json(LogsJSON(reply))
        case .jobEvents:
            return try await EventStream.open(jobID: try Self.jobID(context), clients: clients, as: identity, quota: streams)
        case .farmEvents:
            return try await EventStream.open(jobID: "", clients: clients, as: identity, quota: streams)
        case .listWorkers:
            guard case .listWorkers(let reply)? = try await ask(.listWorkers(Stylefarm_V1_ListWorkers()), as: identity) else {
                throw Self.unexpected
            }
            return try Self.json(WorkerListJSON(workers: reply.workers.map(WorkerJSON.init)))
        case .reinstateWorker:
            var reinstate = Stylefarm_V1_ReinstateWorker()
            reinstate.workerID = try Self.parameter("worker_id", context)
            guard case .reinstateWorker(let reply)? = try await ask(.reinstateWorker(reinstate), as: identity) else {
                throw Self.unexpected
            }
            if reply.hasError { throw APIError(reply.error) }
            return try Self.json(ReinstateResultJSON(wasUnhealthy: reply.wasUnhealthy))
        case .collectGarbage:
            guard case .collectGarbage(let reply)? = try await ask(.collectGarbage(Stylefarm_V1_CollectGarbage()), as: identity) else {
                throw Self.unexpected
            }
            if reply.hasError { throw APIError(reply.error) }
            return try Self.json(GarbageResultJSON(filesRemoved: Int(reply.filesRemoved), bytesFreed: reply.bytesFreed))
        }
    }

    /// How a job reads its frames back (its colour space and layer), for previews of its outputs.
    private func plateSettings(ofJob jobID: String, as identity: ClientIdentity) async throws -> PlateSettings {
        switch try await read({ try readModel.plate(ofJob: jobID, as: identity) }) {
        case .failure(let refusal): throw APIError(refusal.error)
        case .success(let plate): return plate
        }
    }

    /// Store reads run here, off the event loops (at most two at once): a large job's detail reads thousands of rows.
    static let readQueue = DispatchQueue(label: "stylefarm.http.reads", attributes: .concurrent)
    static let readSlots = DispatchSemaphore(value: 2)

    private func read<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Self.readQueue.async {
                Self.readSlots.wait()
                defer { Self.readSlots.signal() }
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Sends one request and returns its reply; the coordinator's generic refusal (a viewer changing something)
    /// becomes the matching HTTP error.
    func ask(_ payload: Stylefarm_V1_ClientRequest.OneOf_Payload, as identity: ClientIdentity) async throws -> Stylefarm_V1_ClientReply.OneOf_Payload? {
        let reply = try await clients.call(payload, as: identity)
        if case .error(let error)? = reply { throw APIError(error) }
        return reply
    }

    private func control(_ context: APIRequestContext, _ action: Stylefarm_V1_JobControl.OneOf_Action,
                         as identity: ClientIdentity) async throws -> Response {
        var control = Stylefarm_V1_JobControl()
        control.jobID = try Self.jobID(context)
        control.action = action
        guard case .jobControl(let reply)? = try await ask(.jobControl(control), as: identity) else { throw Self.unexpected }
        if reply.hasError { throw APIError(reply.error) }
        return try Self.json(ControlResultJSON(reply))
    }

    // MARK: Arguments

    /// A reply of another kind than the request's (or none): the generic refusal when there is one.
    static let unexpected = APIError(status: .internalServerError, code: "internal", message: "the coordinator answered with an unexpected reply")

    static func parameter(_ name: String, _ context: APIRequestContext) throws -> String {
        guard let value = context.parameters.get(name), !value.isEmpty else { throw APIError.badRequest("missing \(name)") }
        guard value.utf8.count <= 256 else { throw APIError.badRequest("\(name) is longer than 256 bytes") }
        return value
    }

    static func jobID(_ context: APIRequestContext) throws -> String { try parameter("job_id", context) }

    static func frameNumber(_ context: APIRequestContext) throws -> Int64 {
        let text = try parameter("frame", context)
        guard let number = Int64(text) else { throw APIError.badRequest("frame must be a frame number of the job's range (got \(text.debugDescription))") }
        return number
    }

    /// One frame's status (with its tasks and attempts when `tasks`), through the read model.
    private func frameStatus(jobID: String, number: Int64, tasks: Bool, as identity: ClientIdentity) async throws
        -> Stylefarm_V1_JobStatusReply {
        var status = Stylefarm_V1_JobStatusRequest()
        status.jobID = jobID
        status.includeFrames = true
        status.includeTasks = tasks
        status.frameNumbers = [number]
        let reply = try await read { [status] in readModel.jobStatus(status, as: identity) }
        if reply.hasError { throw APIError(reply.error) }
        return reply
    }

    static func integer(_ text: Substring?, name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest("\(name) must be a whole number in \(range.lowerBound)…\(range.upperBound) (got \(String(text).debugDescription))")
        }
        return value
    }

    static func boolean(_ text: Substring?, name: String) throws -> Bool? {
        switch text {
        case nil: return nil
        case "true"?, "1"?: return true
        case "false"?, "0"?: return false
        case let other?: throw APIError.badRequest("\(name) must be true or false (got \(String(other).debugDescription))")
        }
    }

    static func body(_ request: Request, _ context: APIRequestContext) async throws -> Data {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: context.maxUploadSize) } catch {
            throw APIError.tooLarge(limit: context.maxUploadSize)
        }
        return Data(buffer.readableBytesView)
    }

    /// A JSON object body; nil when the body is empty.
    static func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request, _ context: APIRequestContext) async throws -> T? {
        let data = try await body(request, context)
        guard !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return nil }
        do { return try decoder.decode(T.self, from: data) } catch {
            throw APIError.badRequest("the body is not the JSON this route takes: \(describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "\(key.stringValue) is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        default: return "\(error)"
        }
    }

    /// The job spec of a submission: YAML or JSON (the same keys as a spec file, docs/JOBS.md), every path
    /// absolute (there is no spec file to be relative to), checked and resolved as `stylefarm submit` does.
    static func jobSpec(from request: Request, context: APIRequestContext) async throws -> Stylefarm_V1_JobSpec {
        let data = try await body(request, context)
        guard let text = String(data: data, encoding: .utf8) else { throw APIError.badRequest("the job spec is not UTF-8 text") }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let format: JobSpecFile.Format? = contentType.contains("json") ? .json : contentType.contains("yaml") ? .yaml : nil
        do {
            let file = try JobSpecFile.parse(text, format: format, source: "request body", baseDirectory: "/")
            // A relative path would resolve against different folders differently.
            let relative = file.spec.withPathsResolved(against: "/a") != file.spec.withPathsResolved(against: "/b")
            guard !relative else {
                throw APIError.badRequest("every path in a job spec sent over HTTP must be absolute (content, styles, output_dir, mattes): there is no spec file to be relative to")
            }
            return Stylefarm_V1_JobSpec(try file.resolve())
        } catch let error as JobSpecError {
            throw APIError.badRequest("\(error)")
        }
    }

    // MARK: Responses

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        jsonResponse(try encoded(value), status: status)
    }

    /// `value` as the API's JSON, with a final newline.
    static func encoded<T: Encodable>(_ value: T) throws -> Data {
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    static func jsonResponse(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A preview image, cached by the browser for an hour (the dashboard adds a version to the URL that changes when
    /// the frame or the job does).
    static func png(_ data: Data) -> Response {
        var response = Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.cacheControl] = "private, max-age=3600"
        return response
    }

    static func text(_ text: String, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func errorResponse(_ error: APIError) -> Response {
        let body = ErrorJSON(error: .init(code: error.code, message: error.message))
        var data = (try? encoder.encode(body)) ?? Data("{\"error\":{\"code\":\"internal\",\"message\":\"\"}}".utf8)
        data.append(0x0A)
        var headers: HTTPFields = [.contentType: "application/json"]
        if error.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"stylefarm\"" }
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
