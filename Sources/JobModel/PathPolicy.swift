import Foundation

/// Which files a farm process may read and write for a peer (issue 17, docs/SECURITY.md): the coordinator for
/// a submitted job's content, styles, masks and outputs (`--allow-read`, `--allow-write`), a shared-filesystem
/// worker for the paths its tasks name. A path counts by where it really is — `..` and symlinks resolved —
/// so a link inside an allowed folder that points outside it is outside. Whatever the roots, a read must be
/// of a regular file (not a device, FIFO or socket) and nothing under /proc, /sys or /dev is read or written.
/// No roots for an access (nil) leaves that access unrestricted but for those checks.
public struct PathPolicy: Sendable, Equatable {
    public enum Access: String, Sendable { case read, write }

    /// Canonical folders (nil: unrestricted).
    public let readRoots: [String]?
    public let writeRoots: [String]?

    /// Nothing but the file-kind and system-folder checks.
    public static let unrestricted = PathPolicy(canonicalReadRoots: nil, writeRoots: nil)

    /// - Throws: `PathPolicyError.badRoot` for a root that is not an existing folder.
    public init(readRoots: [String]?, writeRoots: [String]?) throws {
        func canonical(_ roots: [String]?) throws -> [String]? {
            try roots.map { list in
                try list.map { root in
                    var isDirectory: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue,
                          let real = Self.realPath(root) else { throw PathPolicyError.badRoot(root) }
                    return real
                }
            }
        }
        self.init(canonicalReadRoots: try canonical(readRoots), writeRoots: try canonical(writeRoots))
    }

    private init(canonicalReadRoots: [String]?, writeRoots: [String]?) {
        readRoots = canonicalReadRoots
        self.writeRoots = writeRoots
    }

    /// This policy with `folder` readable too, when reads are restricted and `folder` exists (a folder that
    /// does not exist holds nothing to read).
    public func allowingRead(_ folder: String) -> PathPolicy {
        guard let readRoots, let real = Self.realPath(folder) else { return self }
        return PathPolicy(canonicalReadRoots: readRoots + [real], writeRoots: writeRoots)
    }

    private static let systemFolders = ["/proc", "/sys", "/dev"]

    /// Checks `path` for `access`; returns the canonical path it stands for.
    @discardableResult
    public func check(_ path: String, for access: Access) throws -> String {
        let resolved: String
        switch access {
        case .read:
            guard let real = Self.realPath(path) else { throw PathPolicyError.unreadable(path) }
            resolved = real
        case .write:
            resolved = Self.canonicalForWriting(path)
        }
        if Self.systemFolders.contains(where: { Self.isInside(resolved, $0) }) {
            throw PathPolicyError.systemPath(path: path, resolved: resolved)
        }
        if access == .read {
            var info = stat()
            guard stat(resolved, &info) == 0 else { throw PathPolicyError.unreadable(path) }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw PathPolicyError.notRegularFile(path: path, kind: Self.kind(of: info.st_mode))
            }
        }
        let roots = access == .read ? readRoots : writeRoots
        if let roots, !roots.contains(where: { Self.isInside(resolved, $0) }) {
            throw PathPolicyError.outside(path: path, resolved: resolved, access: access, roots: roots)
        }
        return resolved
    }

    /// Whether `path` is `folder` or inside it (both canonical).
    static func isInside(_ path: String, _ folder: String) -> Bool {
        folder == "/" || path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// A path that may not exist yet, canonical: its nearest existing ancestor resolved, the rest (which,
    /// not existing, holds no symlink) appended after `..` and `.` are taken out.
    static func canonicalForWriting(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var components: [String] = []
        for part in absolute.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !components.isEmpty { components.removeLast() }; continue }
            components.append(String(part))
        }
        var existing = components.count
        var base = "/"
        while existing > 0 {
            if let real = realPath("/" + components[..<existing].joined(separator: "/")) { base = real; break }
            existing -= 1
        }
        let rest = components[existing...].joined(separator: "/")
        guard !rest.isEmpty else { return base }
        return base == "/" ? "/" + rest : base + "/" + rest
    }

    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a folder"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }
}

/// Why a path may not be used; every case names the path and the rule.
public enum PathPolicyError: Error, Equatable, CustomStringConvertible {
    case outside(path: String, resolved: String, access: PathPolicy.Access, roots: [String])
    case notRegularFile(path: String, kind: String)
    case systemPath(path: String, resolved: String)
    case unreadable(String)
    case badRoot(String)

    public var description: String {
        switch self {
        case .outside(let path, let resolved, let access, let roots):
            let shown = path == resolved ? path : "\(path) (really \(resolved))"
            return "permission denied: \(shown) is outside the folders this process may \(access.rawValue) (--allow-\(access.rawValue): \(roots.joined(separator: ", ")))"
        case .notRegularFile(let path, let kind):
            return "permission denied: \(path) is \(kind), not a regular file"
        case .systemPath(let path, let resolved):
            return "permission denied: \(path)\(path == resolved ? "" : " (really \(resolved))") is under /proc, /sys or /dev"
        case .unreadable(let path):
            return "cannot read \(path): it does not exist or cannot be resolved"
        case .badRoot(let root):
            return "\(root) is not an existing folder (--allow-read/--allow-write take folders)"
        }
    }
}
