import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bounded whole-file reads and atomic whole-file writes with typed errors, using POSIX calls directly so
/// that every failure (missing, directory, device, permission, oversize) maps to a specific `ImageIOError`.
public enum FileBytes {
    /// Reads a regular file of at most `maxBytes` bytes. Never reads more than `maxBytes + 1` bytes even if
    /// the file grows while being read.
    public static func readFile(path: String, maxBytes: Int) throws -> [UInt8] {
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw ImageIOError.fileNotFound(path: path) }
            throw ImageIOError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { throw ImageIOError.isDirectory(path: path) }
        if type != S_IFREG {
            throw ImageIOError.unreadable(path: path, reason: "not a regular file (device, FIFO or socket)")
        }
        if info.st_size > maxBytes {
            throw ImageIOError.fileTooLarge(path: path, bytes: Int(info.st_size), limit: maxBytes)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw ImageIOError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }

        let expected = Int(info.st_size)
        let capacity = min(expected, maxBytes) + 1
        var bytes = [UInt8](repeating: 0, count: capacity)
        var filled = 0
        let failure: Int32? = bytes.withUnsafeMutableBytes { buffer -> Int32? in
            while filled < capacity {
                let n = read(fd, buffer.baseAddress! + filled, capacity - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if n == 0 { break }
                filled += n
            }
            return nil
        }
        if let code = failure {
            throw ImageIOError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        if filled > maxBytes { throw ImageIOError.fileTooLarge(path: path, bytes: filled, limit: maxBytes) }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Writes `bytes` to `path` atomically: into a temporary file in the same directory, flushed to disk,
    /// then renamed over the destination. On failure the temporary file is removed and the destination is
    /// untouched (an existing file keeps its old contents; a missing one stays missing).
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = try stage(bytes, besides: path)
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ImageIOError.writeFailed(path: path, reason: reason)
        }
    }

    /// Writes `bytes`, flushed to disk, to a new temporary file next to `path` (`.<name>.tmp-<tag>XXXXXX`) and
    /// returns its path, without renaming it: the first half of ``writeAtomically(_:to:)``, for a writer whose
    /// rename is decided by someone else (a worker's staged output, moved into place by the coordinator).
    public static func stage(_ bytes: [UInt8], besides path: String, tag: String = "") throws -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            throw ImageIOError.writeFailed(path: path, reason: "the destination is a directory")
        }
        if stat(directory, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR {
            throw ImageIOError.writeFailed(path: path, reason: "the directory \(directory) does not exist")
        }
        var template = Array((directory + "/." + url.lastPathComponent + ".tmp-" + tag + "XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 {
            let code = errno
            throw writeError(path: path, errno: code, reason: "cannot create a temporary file in \(directory): "
                             + String(cString: strerror(code)))
        }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var failure: String?
        var failureCode: Int32 = 0
        func fail() {
            failureCode = errno
            failure = String(cString: strerror(failureCode))
        }
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    fail()
                    return
                }
                written += n
            }
        }
        if failure == nil, fsync(fd) != 0 { fail() }
        // mkstemp creates 0600; give the file the usual permissions (0666 minus umask).
        if failure == nil {
            let mask = umask(0)
            umask(mask)
            _ = fchmod(fd, 0o666 & ~mask)
        }
        if close(fd) != 0, failure == nil { fail() }
        if let reason = failure {
            unlink(temporary)
            throw writeError(path: path, errno: failureCode, reason: reason)
        }
        return temporary
    }

    /// ``ImageIOError/noSpace(path:reason:)`` for a full filesystem or a used-up quota, else
    /// ``ImageIOError/writeFailed(path:reason:)``.
    static func writeError(path: String, errno code: Int32, reason: String) -> ImageIOError {
        isNoSpace(code) ? .noSpace(path: path, reason: reason) : .writeFailed(path: path, reason: reason)
    }

    /// Whether the error number says the filesystem is full (ENOSPC) or the quota used up (EDQUOT).
    public static func isNoSpace(_ code: Int32) -> Bool { code == ENOSPC || code == EDQUOT }

    /// The POSIX error number behind a Foundation file error (its underlying error's, else its own), if any.
    public static func posixCode(of error: any Error) -> Int32? {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        return nsError.domain == NSPOSIXErrorDomain ? Int32(nsError.code) : nil
    }
}
