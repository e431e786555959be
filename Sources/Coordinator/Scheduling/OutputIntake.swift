import Protocol

/// Where the output of a current `Result` goes (the report already passed `ReportCheck`). Pure: the caller
/// gives what it knows about the task and says whether a file exists; the server applies the decision
/// (`CoordinatorServer.handleResult`). Decided in this order:
/// 1. the output's name must be a blob name (it becomes a file name under the state folder): else the
///    attempt fails, retryable;
/// 2. a result that only feeds other tasks (a flow, a sweep, a chunk's render, a tile) is kept on the
///    coordinator in every mode, named by its hash: when that file is already there (byte-identical
///    output of another task) nothing is moved;
/// 3. bytes carried in the message are taken (checked and written off the loop);
/// 4. else the coordinator pulls them in chunks, when it has somewhere to put them (blob mode, or an
///    intermediate);
/// 5. else (shared filesystem, a frame output) the worker wrote the file in place: the task completes.
enum OutputIntake {
    /// What the server knows about the task whose result arrived.
    struct Task: Sendable, Equatable {
        /// Whether the result is the frame's output (false: it feeds other tasks). Nil when the plan does
        /// not know the task (then it is treated as an output).
        var producesOutput: Bool?
        /// The job's outputs are written by the workers themselves (shared filesystem).
        var sharedFilesystem: Bool
        /// The frame's output path in blob mode, nil when the job has none.
        var outputPath: String? = nil
    }

    enum Decision: Sendable, Equatable {
        /// Fail the attempt (retryable) with this error.
        case refuse(String)
        /// Already kept under this name: record the completion without moving bytes.
        case alreadyKept
        /// Take the message's bytes: verify them and write them to `path` (nil: verify only, the worker
        /// wrote the file in place).
        case takeInline(path: String?)
        /// Pull the bytes in chunks and write them to `path`.
        case fetch(path: String)
        /// Nothing to move: the worker wrote the output in place.
        case completeInPlace
    }

    /// Whether `staged` is where the worker of attempt `attempt` may have staged the output `output` (fencing,
    /// `TaskAssignment.stage_output`): in the output's own folder, named `.<name>.tmp-a<attempt>-…`. Anything else a
    /// worker names is refused: the coordinator renames and removes only its own kind of file.
    static func isStaged(_ staged: String, for output: String, attempt: Int) -> Bool {
        guard let slash = output.lastIndex(of: "/") else { return false }
        let folder = output[...slash], name = output[output.index(after: slash)...]
        guard staged.hasPrefix(folder) else { return false }
        let file = staged.dropFirst(folder.count)
        let prefix = "." + name + ".tmp-a\(attempt)-"
        return file.hasPrefix(prefix) && file.count > prefix.count && !file.contains("/") && !name.isEmpty
    }

    /// - Parameters:
    ///   - sha: the output's name as the worker announced it, lowercased.
    ///   - hasData: whether the message carries the bytes (inline or attached).
    ///   - intermediatePath: where an intermediate named `sha` is kept.
    ///   - exists: whether a file exists at a path (only asked for an intermediate).
    static func decide(sha: String, hasData: Bool, task: Task, intermediatePath: (String) -> String,
                       exists: (String) -> Bool) -> Decision {
        guard BlobName.isValid(sha) else {
            return .refuse("the worker named its output \(sha.prefix(80).debugDescription), not a SHA-256")
        }
        let intermediate = task.producesOutput.map { !$0 } ?? false
        let path: String?
        if intermediate {
            path = intermediatePath(sha)
        } else if !task.sharedFilesystem, let output = task.outputPath, !output.isEmpty {
            path = output
        } else {
            path = nil
        }
        if intermediate, let path, exists(path) { return .alreadyKept }
        if hasData { return .takeInline(path: task.sharedFilesystem && !intermediate ? nil : path) }
        if let path { return .fetch(path: path) }
        return .completeInPlace
    }
}
