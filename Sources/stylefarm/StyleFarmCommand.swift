import ArgumentParser

/// The `stylefarm` command-line tool.
@main
struct StyleFarmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylefarm",
        abstract: "Segmentation-aware neural style transfer for image sequences, on one machine or a render farm.",
        subcommands: [StylizeCommand.self, DemoCommand.self, CoordinatorCommand.self, WorkerCommand.self,
                      SubmitCommand.self, StatusCommand.self, WatchCommand.self, CancelCommand.self,
                      PauseCommand.self, ResumeCommand.self, RequeueCommand.self, SetCommand.self, UnblockCommand.self, WorkersCommand.self, LogsCommand.self, DeleteCommand.self, GcCommand.self,
                      RenderCommand.self, SegmentCommand.self, EvaluateCommand.self, MakeSequenceCommand.self, AnimateCommand.self,
                      KeysCommand.self, TokenCommand.self, ModelsCommand.self, BenchCommand.self,
                      FiguresCommand.self, InspectCommand.self, VerifyCommand.self])
}
