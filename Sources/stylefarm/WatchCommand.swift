import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm watch JOB`: progress bars until the job ends; exits 1 if it failed or was cancelled.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a job's progress (frames done, workers busy, ETA) until it ends.")

    @Argument(help: "The job id.")
    var job: String

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        let name = (try? connection.status(job).job.name) ?? job
        let stop = SignalStop()
        defer { stop.cancel() }
        try Self.follow(job, label: name, with: connection, stop: stop)
    }

    /// Shows progress until the job ends (or a signal); throws `ExitCode(1)` unless it completed.
    static func follow(_ jobID: String, label: String, with connection: CoordinatorClient, stop: SignalStop) throws {
        var view = JobProgressView(label: label)
        let last = try connection.watch(jobID, until: { stop.isSet }) { view.show($0) }
        guard let last else { return }
        if last.jobState != .completed {
            FileHandle.standardError.write(Data("job \(jobID) \(last.jobState.name): \(last.framesFailed) frame(s) failed; see `stylefarm status \(jobID)`\n".utf8))
            throw ExitCode(1)
        }
    }
}
