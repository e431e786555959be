import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm logs JOB [FRAME] [--attempt N] [--follow]`.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show the logs workers shipped for a job's attempts: one frame's, or every failed, timed-out and lost attempt.")

    @Argument(help: "The job id.")
    var job: String

    @Argument(help: "A frame number (default: the job's failed, timed-out and lost attempts, newest first).")
    var frame: Int?

    @Option(help: "Only this attempt number.")
    var attempt: Int?

    @Flag(help: ArgumentHelp("Keep printing what running attempts log (once a second) until the frame, or the job, is finished.",
                             discussion: "With a frame: its attempts, each to its end; without: every running attempt of the job, each line prefixed with its frame and attempt."))
    var follow = false

    @OptionGroup var client: ClientOptions

    func validate() throws {
        if let attempt, attempt < 1 { throw ValidationError("--attempt must be 1 or more (got \(attempt))") }
        if follow && attempt != nil { throw ValidationError("--follow shows every attempt; leave out --attempt") }
    }

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        if follow { return try follow(connection) }
        let reply = try connection.logs(job, frame: frame, attempt: attempt)
        if reply.attempts.isEmpty {
            print(frame == nil ? "no failed, timed-out or lost attempts in \(job)" : "no attempts of frame \(frame!) in \(job) yet")
            return
        }
        let format = ISO8601DateFormatter()
        for (n, a) in reply.attempts.enumerated() {
            if n > 0 { print("") }
            let started = format.string(from: Date(timeIntervalSince1970: Double(a.startedUnixMs) / 1000))
            let took = a.endedUnixMs > 0 ? String(format: ", %.1f s", Double(a.endedUnixMs - a.startedUnixMs) / 1000) : ", running"
            print("== frame \(a.frame), task \(a.taskID), attempt \(a.attempt) on \(a.workerID): \(a.outcome) (started \(started)\(took)) ==")
            if !a.error.isEmpty { print("error: \(a.error)") }
            print(a.log.isEmpty ? "(no log: \(a.outcome == "lost" ? "the worker was lost before it reported" : "the worker sent none"))" : a.log)
        }
        if reply.truncated { print("\n(more attempts than one reply carries: name a frame or an attempt)") }
    }

    /// Polls once a second and prints what is new, until the frame (or the job) is finished or Ctrl-C.
    private func follow(_ connection: CoordinatorClient) throws {
        let stop = SignalStop()
        var follower = LogFollower(prefixed: frame == nil)
        defer { stop.cancel() }
        while !stop.isSet {
            let reply = try connection.logs(job, frame: frame, attempt: nil, running: frame == nil)
            var out = follower.take(reply)
            if frame == nil {
                // Attempts that stopped running: their stored logs end them.
                for ended in follower.ended(since: reply) {
                    if let last = try? connection.logs(job, frame: Int(ended.frame), attempt: Int(ended.attempt)).attempts.first {
                        out += follower.take(last)
                    } else {
                        follower.forget(frame: ended.frame, attempt: ended.attempt)
                    }
                }
            }
            if !out.isEmpty {
                FileHandle.standardOutput.write(Data(out.utf8))
            }
            if frame != nil ? LogFollower.frameFinished(reply) : LogFollower.jobFinished(reply) && reply.attempts.isEmpty {
                return
            }
            for _ in 0..<10 where !stop.isSet { Thread.sleep(forTimeInterval: 0.1) }
        }
    }
}
