import ArgumentParser

/// `stylefarm evaluate`: measurements of rendered results (temporal consistency, tile seams).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure rendered results: temporal consistency, tile seams.",
        subcommands: [EvaluateTemporalCommand.self, EvaluateSeamsCommand.self])
}
