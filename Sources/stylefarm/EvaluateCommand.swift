import ArgumentParser

/// `stylefarm evaluate`: measurements of rendered results (a group; `temporal` is the first).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure rendered sequences (temporal consistency).",
        subcommands: [EvaluateTemporalCommand.self])
}
