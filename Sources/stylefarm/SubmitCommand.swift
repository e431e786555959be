import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm submit [job.yaml] [flags]`: checks a job here (every problem at once), then sends it to
/// the coordinator with absolute paths and prints its id.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job to a coordinator (a spec file, flags, or both: flags override the file).",
        discussion: """
            Examples:
              stylefarm submit examples/jobs/shot010.yaml --priority 80
              stylefarm submit --name shot010 --content plates/shot010.####.png --frames 1001-1100 \\
                  --style starry.jpg --output-dir renders/shot010
            Paths are sent absolute; the coordinator and workers must see them (docs/JOBS.md).
            """)

    @Argument(help: "Job spec file (.yaml, .yml or .json).")
    var specFile: String?

    @OptionGroup var job: JobOptions
    @OptionGroup var client: ClientOptions

    @Flag(help: "Follow the job's progress until it ends (like `stylefarm watch`).")
    var watch = false

    func run() throws {
        let resolved = try job.resolve(specFile: specFile)
        let connection = try client.connect()
        defer { connection.close() }
        let jobID = try connection.submit(Stylefarm_V1_JobSpec(resolved))
        print(jobID)
        if watch {
            let stop = SignalStop()
            defer { stop.cancel() }
            try WatchCommand.follow(jobID, label: resolved.name, with: connection, stop: stop)
        }
    }
}
