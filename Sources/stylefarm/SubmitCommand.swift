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
            With --upload they need not: the content frames, styles and mattes are sent to the
            coordinator as content-addressed blobs (only those it lacks), and the job reads them there.
            The output folder is still a folder on the coordinator's machine (--allow-write there).
              stylefarm submit shot010.yaml --upload --credential ~/.stylefarm/artist.credential
            """)

    @Argument(help: "Job spec file (.yaml, .yml or .json).")
    var specFile: String?

    @OptionGroup var job: JobOptions
    @OptionGroup var client: ClientOptions

    @Flag(help: "Follow the job's progress until it ends (like `stylefarm watch`).")
    var watch = false

    @Flag(help: "Send the job's input files to the coordinator (only those it lacks) instead of naming shared paths.")
    var upload = false

    func run() throws {
        if upload && job.sharedFilesystem == true {
            throw ValidationError("--upload and --shared-filesystem exclude each other: uploaded files live on the coordinator, and workers fetch them from it as blobs")
        }
        let resolved = try job.resolve(specFile: specFile)
        let connection = try client.connect()
        defer { connection.close() }
        var sent = resolved
        if upload {
            let (uploaded, report) = try JobUpload.run(resolved, with: connection) { line in
                FileHandle.standardError.write(Data(("upload: " + line + "\n").utf8))
            }
            FileHandle.standardError.write(Data(("upload: " + report.summary + "\n").utf8))
            sent = uploaded
        }
        let jobID = try connection.submit(Stylefarm_V1_JobSpec(sent))
        print(jobID)
        if watch {
            let stop = SignalStop()
            defer { stop.cancel() }
            try WatchCommand.follow(jobID, label: resolved.name, with: connection, stop: stop)
        }
    }
}
