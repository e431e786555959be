import Foundation

/// Who sent a submission, so the loop can answer when it has run off the loop: the client's routing id,
/// its framing, and its request id.
struct SubmissionTicket: Sendable {
    var routingID: Data
    var delimited: Bool
    var requestID: UInt64
}

/// A submission that has run (`JobSubmission.run`), waiting for the loop to answer its client.
struct FinishedSubmission: Sendable {
    var ticket: SubmissionTicket
    var outcome: Result<JobSubmission.Accepted, any Error>
}
