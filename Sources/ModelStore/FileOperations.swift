import Foundation

/// Small file-system helpers that turn Foundation errors into ``ModelStoreError``.
enum FileOperations {
    /// Writes `data` to `url` atomically: a temporary file in the same folder, then `rename(2)`.
    /// Creates the folder when needed. Readers never see a half-written file.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try createDirectory(folder)
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        do {
            try data.write(to: temp)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw ModelStoreError.fileSystem(operation: "write", path: temp.path, reason: error.localizedDescription)
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw ModelStoreError.fileSystem(operation: "rename into place", path: url.path, reason: reason)
        }
    }

    static func createDirectory(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw ModelStoreError.fileSystem(operation: "create the folder", path: url.path, reason: error.localizedDescription)
        }
    }

    static func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw ModelStoreError.fileSystem(operation: "read", path: url.path, reason: error.localizedDescription)
        }
    }

    static func exists(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    static func size(_ url: URL) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue
    }

    /// A fresh temporary folder; the caller removes it.
    static func makeTemporaryDirectory(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try createDirectory(url)
        return url
    }
}
