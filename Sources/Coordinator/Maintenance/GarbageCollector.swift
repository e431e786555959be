import Foundation
import Protocol

/// Finds and removes the content-addressed files nothing refers to any more (issue 18): intermediate results no
/// unfinished job needs, style-target blobs no stored job names, uploaded blobs no checkout links to. Run by
/// `stylefarm gc` and every `--gc-interval` on a thread of its own (`CoordinatorServer+Maintenance.swift`).
///
/// Only files named by a SHA-256 are considered, and only when older than their folder's minimum age: a file
/// younger than that may be on its way to being referenced (a result written before its task completes, targets
/// computed before their job is stored, a blob uploaded hours before the checkout that links it).
enum GarbageCollector {
    /// One folder and what in it stays.
    struct Folder: Sendable {
        var path: String
        var minimumAge: TimeInterval
        var rule: Rule
        var names: Names = .blobs
    }

    /// Which files of a folder are considered at all.
    enum Names: Sendable {
        /// Named by a SHA-256 (content-addressed blobs).
        case blobs
        /// The temporary files of interrupted atomic writes (`TemporaryFileSweep`).
        case temporaryFiles

        func matches(_ name: String) -> Bool {
            switch self {
            case .blobs: return BlobName.isHex(name, digits: 64)
            case .temporaryFiles: return TemporaryFileSweep.isTemporary(name)
            }
        }
    }

    enum Rule: Sendable {
        /// Names in this set stay; others go.
        case keep(Set<String>)
        /// Files with more than one hard link stay (an upload blob is linked into every checkout that uses it).
        case unlinked
    }

    /// What a collection removed.
    struct Report: Sendable, Equatable {
        var files = 0
        var bytes: Int64 = 0
    }

    /// The files of `folder` to remove at `now` (paths with their sizes), by name.
    static func garbage(in folder: Folder, now: Date) -> [(path: String, bytes: Int64)] {
        let files = FileManager.default
        guard let names = try? files.contentsOfDirectory(atPath: folder.path) else { return [] }
        var found: [(String, Int64)] = []
        for name in names.sorted() where folder.names.matches(name) {
            if case .keep(let keep) = folder.rule, keep.contains(name) { continue }
            let path = (folder.path as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            guard now.timeIntervalSince(modified(info)) >= folder.minimumAge else { continue }
            if case .unlinked = folder.rule, info.st_nlink > 1 { continue }
            found.append((path, Int64(info.st_size)))
        }
        return found
    }

    /// The upload checkouts (`<root>/<owner>/<id>` folders) that no stored job reads from (`referenced`) and that
    /// are older than `minimumAge`: a submission whose checkout was made but whose job was refused or never sent.
    static func orphanCheckouts(root: String, referenced: Set<String>, minimumAge: TimeInterval, now: Date) -> [String] {
        let files = FileManager.default
        var found: [String] = []
        for owner in ((try? files.contentsOfDirectory(atPath: root)) ?? []).sorted() where !owner.hasPrefix(".") {
            let ownerPath = (root as NSString).appendingPathComponent(owner)
            for id in ((try? files.contentsOfDirectory(atPath: ownerPath)) ?? []).sorted() where !id.hasPrefix(".") {
                let path = (ownerPath as NSString).appendingPathComponent(id)
                var info = stat()
                guard !referenced.contains(path), lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
                    if now.timeIntervalSince(modified(info)) >= minimumAge { found.append(path) }
            }
        }
        return found
    }

    /// When the file `info` describes was last modified.
    static func modified(_ info: stat) -> Date {
        Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// Removes the garbage of every folder; returns how much went.
    static func collect(_ folders: [Folder], now: Date = Date()) -> Report {
        var report = Report()
        for folder in folders {
            for file in garbage(in: folder, now: now) where unlink(file.path) == 0 {
                report.files += 1
                report.bytes += file.bytes
            }
        }
        return report
    }
}
