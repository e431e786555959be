import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm resume JOB`.
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a paused job.")

    @Argument(help: "The job id.")
    var job: String

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        let reply = try connection.control(job, .resume(Stylefarm_V1_ResumeJob()))
        print("resumed \(job) (\(reply.job.state.name), \(reply.job.framesDone)/\(reply.job.framesTotal) frames done)")
    }
}
