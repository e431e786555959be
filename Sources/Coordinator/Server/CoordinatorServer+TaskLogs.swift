import Foundation
import Protocol

/// `TaskLogRequest`: the logs workers shipped with their reports, per attempt (`stylefarm logs`), and what
/// running attempts logged so far (`LogLines`, kept in ``LiveTaskLogs``) for `stylefarm logs --follow`.
extension CoordinatorServer {
    /// The most attempts one reply carries (each log is at most 256 KiB; a reply stays well under the frame limit).
    static let maxLogsPerReply = 32
    /// The most bytes of one `LogLines` kept (the worker sends at most 64 KiB).
    static let maxLogLinesBytes = 64 << 10

    /// Keeps what a running attempt logged, when its sender holds that attempt.
    func noteLogLines(_ lines: Stylefarm_V1_LogLines, from workerID: String) {
        guard case .current = checkReport(on: lines.taskID, attempt: Int(lines.attempt), from: workerID) else {
            stats.drop("staleLogLines")
            return
        }
        liveLogs.append(taskID: lines.taskID, attempt: Int(lines.attempt), workerID: workerID,
                        text: Self.bounded(lines.text, bytes: Self.maxLogLinesBytes), linesLeftOut: Int(lines.linesLeftOut))
    }

    func taskLogs(_ request: Stylefarm_V1_TaskLogRequest, as identity: ClientIdentity) -> Stylefarm_V1_TaskLogReply {
        var reply = Stylefarm_V1_TaskLogReply()
        do {
            let job: JobRecord
            switch try readModel.accessibleJob(request.jobID, by: identity) {
            case .failure(let refusal):
                reply.error = refusal.error
                return reply
            case .success(let found):
                job = found
            }
            reply.jobState = JobReadModel.wireState(job.state)
            let numbers = try jobContext(request.jobID).resolved.frames.frames
            var frameIndex: Int?
            if request.hasFrame {
                guard let index = numbers.firstIndex(of: Int(request.frame)) else {
                    reply.error = Self.clientError(.invalidArgument, "job \(request.jobID) has no frame \(request.frame)")
                    return reply
                }
                frameIndex = index
                if let state = try store.frameState(ofJob: request.jobID, index: index) {
                    reply.frameState = JobReadModel.wireFrameState(state, taskState: nil)
                }
            }
            let found = request.running
                ? try store.runningAttempts(ofJob: request.jobID, frameIndex: frameIndex, limit: Self.maxLogsPerReply + 1)
                : try store.attemptLogs(ofJob: request.jobID, frameIndex: frameIndex,
                                        attempt: request.attempt > 0 ? Int(request.attempt) : nil,
                                        limit: Self.maxLogsPerReply + 1)
            reply.truncated = found.count > Self.maxLogsPerReply
            reply.attempts = found.prefix(Self.maxLogsPerReply).map { entry in
                var log = Stylefarm_V1_AttemptLog()
                log.taskID = entry.attempt.taskID
                log.frame = entry.frameIndex < numbers.count ? Int64(numbers[entry.frameIndex]) : Int64(entry.frameIndex)
                log.attempt = UInt32(clamping: entry.attempt.number)
                log.workerID = entry.attempt.workerID
                log.outcome = entry.attempt.outcome.rawValue
                log.startedUnixMs = Int64(entry.attempt.startedAt.timeIntervalSince1970 * 1000)
                log.endedUnixMs = entry.attempt.endedAt.map { Int64($0.timeIntervalSince1970 * 1000) } ?? 0
                log.error = entry.attempt.errorMessage ?? ""
                log.log = entry.attempt.log ?? ""
                if entry.attempt.outcome == .pending, let live = liveLogs.log(of: entry.attempt.taskID, attempt: entry.attempt.number) {
                    log.log = String(decoding: live.text, as: UTF8.self)
                    log.logEnd = live.received
                }
                return log
            }
            if reply.attempts.contains(where: { $0.outcome == AttemptOutcome.pending.rawValue }), frameIndex != nil {
                reply.frameState = .running
            }
        } catch {
            reply.error = Self.clientError(.internal, "\(error)")
        }
        return reply
    }
}
