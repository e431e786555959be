import Foundation

/// Where converted model weights are cached.
///
/// Resolution order: an explicit path (the `--model-dir` flag), the `STYLEFARM_MODEL_DIR`
/// environment variable, then `$XDG_CACHE_HOME/stylefarm/models` or `~/.cache/stylefarm/models`.
public struct ModelDirectory: Sendable, Equatable {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// Resolves the model directory from an optional explicit path and the environment.
    public static func resolve(explicit: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelDirectory {
        if let explicit, !explicit.isEmpty { return ModelDirectory(url: URL(fileURLWithPath: explicit)) }
        if let env = environment["STYLEFARM_MODEL_DIR"], !env.isEmpty { return ModelDirectory(url: URL(fileURLWithPath: env)) }
        let cache: URL
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cache = URL(fileURLWithPath: xdg)
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            cache = URL(fileURLWithPath: home).appendingPathComponent(".cache")
        }
        return ModelDirectory(url: cache.appendingPathComponent("stylefarm").appendingPathComponent("models"))
    }
}
