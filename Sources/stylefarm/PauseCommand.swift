import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm pause JOB [--now]`.
struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause a job: no new tasks of it start; running ones finish (or, with --now, go back to the queue).")

    @Argument(help: "The job id.")
    var job: String

    @Flag(help: "Call its running tasks back to the queue too (their attempts are not counted).")
    var now = false

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        var pause = Stylefarm_V1_PauseJob()
        pause.now = now
        let reply = try connection.control(job, .pause(pause))
        print("paused \(job)" + (now ? "; \(reply.tasksAffected) running task(s) called back" : "") + " (stylefarm resume \(job))")
    }
}
