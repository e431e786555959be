import Foundation
import Protocol

/// `TaskLogRequest`: the logs workers shipped with their reports, per attempt (`stylefarm logs`).
extension CoordinatorServer {
    /// The most attempts one reply carries (each log is at most 256 KiB; a reply stays well under the frame limit).
    static let maxLogsPerReply = 32

    func taskLogs(_ request: Stylefarm_V1_TaskLogRequest, as identity: ClientIdentity) -> Stylefarm_V1_TaskLogReply {
        var reply = Stylefarm_V1_TaskLogReply()
        do {
            if case .failure(let refusal) = try accessibleJob(request.jobID, by: identity) {
                reply.error = refusal.error
                return reply
            }
            let numbers = try jobContext(request.jobID).resolved.frames.frames
            var frameIndex: Int?
            if request.hasFrame {
                guard let index = numbers.firstIndex(of: Int(request.frame)) else {
                    reply.error = Self.clientError(.invalidArgument, "job \(request.jobID) has no frame \(request.frame)")
                    return reply
                }
                frameIndex = index
            }
            let found = try store.attemptLogs(ofJob: request.jobID, frameIndex: frameIndex,
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
                return log
            }
        } catch {
            reply.error = Self.clientError(.internal, "\(error)")
        }
        return reply
    }
}
