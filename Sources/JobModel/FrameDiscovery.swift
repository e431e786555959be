import Foundation

/// Which frames of a sequence exist, from a directory listing: used to validate a job's inputs and
/// to report missing frames before anything is scheduled.
public struct FrameDiscovery: Sendable, Equatable {
    /// Expected frames whose file is in the listing, ascending.
    public let present: [Int]
    /// Expected frames without a file, ascending.
    public let missing: [Int]
    /// Sequence files in the listing that are not among the expected frames, ascending.
    public let unexpected: [Int]

    /// True when every expected frame is present.
    public var isComplete: Bool { missing.isEmpty }

    /// The missing frames in compact range syntax (`5,7-9`), for messages.
    public var missingDescription: String { FrameRange(frames: missing).compactString }
}

extension PathPattern {
    /// Frames of this sequence among `fileNames` (bare names, as a directory listing gives them), ascending.
    public func frames<S: Sequence>(in fileNames: S) -> [Int] where S.Element == String {
        Array(Set(fileNames.compactMap(match))).sorted()
    }

    /// Compares the sequence files in `fileNames` with the `expected` frames.
    public func discover<S: Sequence>(in fileNames: S, expected: FrameRange) -> FrameDiscovery where S.Element == String {
        let found = Set(fileNames.compactMap(match))
        return FrameDiscovery(present: expected.frames.filter(found.contains),
                              missing: expected.frames.filter { !found.contains($0) },
                              unexpected: found.filter { !expected.contains($0) }.sorted())
    }

    /// `discover(in:expected:)` on the listing of this pattern's directory. Throws when the
    /// directory cannot be listed (the error names it).
    public func discoverOnDisk(expected: FrameRange, fileManager: FileManager = .default) throws -> FrameDiscovery {
        discover(in: try fileManager.contentsOfDirectory(atPath: directory), expected: expected)
    }
}
