import Foundation

/// Removes the temporary files an interrupted atomic write leaves (`.<name>.tmp-XXXXXX`, `FileBytes.writeAtomically`)
/// when the coordinator starts: in its own folders (intermediate results, style-target blobs), which only it
/// writes, whatever their age; in unfinished jobs' output folders only when older than ``outputFolderMinimumAge``,
/// since a worker that outlived the coordinator may be writing one there right now (shared filesystem).
enum TemporaryFileSweep {
    /// A temporary file in an output folder younger than this may belong to a live writer.
    static let outputFolderMinimumAge: TimeInterval = 15 * 60

    /// Whether `name` is one of ours: a dot file with `.tmp-` followed by the random suffix.
    static func isTemporary(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
        return range.lowerBound > name.index(after: name.startIndex) && name[range.upperBound...].count >= 6
    }

    /// Removes the temporary files directly inside each of `folders` (no recursion) whose modification time is at
    /// least `minimumAge` before `now`. Returns the paths removed; folders that do not exist are skipped.
    static func sweep(_ folders: [String], minimumAge: TimeInterval, now: Date = Date()) -> [String] {
        var removed: [String] = []
        for folder in Set(folders) {
            let temporaries = GarbageCollector.Folder(path: folder, minimumAge: minimumAge, rule: .keep([]), names: .temporaryFiles)
            for file in GarbageCollector.garbage(in: temporaries, now: now) where unlink(file.path) == 0 { removed.append(file.path) }
        }
        return removed.sorted()
    }
}
