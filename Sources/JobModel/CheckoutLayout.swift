/// Where uploaded files sit in a checkout (`stylefarm submit --upload`, docs/PROTOCOL.md "Uploads"): each
/// input keeps its client path below the checkout's folder, so `/plates/a.####.png` becomes
/// `<root>/plates/a.####.png` and frame patterns stay patterns. The coordinator takes a relative path from a
/// peer only after `components(of:)` accepted it.
public enum CheckoutLayout {
    /// The longest relative path a checkout file may have, bytes (Linux's PATH_MAX).
    public static let maxPathBytes = 4096
    /// The longest component, bytes (Linux's NAME_MAX).
    public static let maxComponentBytes = 255

    /// `absolute` (a client path) under `root`.
    public static func place(_ absolute: String, under root: String) -> String {
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        return base + "/" + relativePath(of: absolute)
    }

    /// The path a client file has inside a checkout: its absolute path without the leading slashes.
    public static func relativePath(of absolute: String) -> String {
        String(absolute.drop(while: { $0 == "/" }))
    }

    /// The components of a checkout path a peer sent, or why it is refused: empty, too long, absolute,
    /// holding NUL, or with an empty, `.` or `..` component (nothing may leave the checkout folder).
    public static func components(of path: String) throws -> [Substring] {
        guard !path.isEmpty else { throw CheckoutPathError(path: path, reason: "it is empty") }
        guard path.utf8.count <= maxPathBytes else {
            throw CheckoutPathError(path: String(path.prefix(64)) + "…", reason: "it is longer than \(maxPathBytes) bytes")
        }
        guard !path.utf8.contains(0) else { throw CheckoutPathError(path: path, reason: "it holds a NUL byte") }
        guard !path.hasPrefix("/") else { throw CheckoutPathError(path: path, reason: "it is absolute; checkout paths are relative") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            if part.isEmpty { throw CheckoutPathError(path: path, reason: "it has an empty component (//, or a trailing /)") }
            if part == "." || part == ".." { throw CheckoutPathError(path: path, reason: "it has a \(part) component") }
            if part.utf8.count > maxComponentBytes {
                throw CheckoutPathError(path: path, reason: "a component is longer than \(maxComponentBytes) bytes")
            }
        }
        return parts
    }

    /// Whether frame patterns can be placed under `root`: a `#`, `%` or `$` in it would read as (or
    /// break) a frame placeholder.
    public static func isUsableRoot(_ root: String) -> Bool {
        root.hasPrefix("/") && !root.contains(where: { $0 == "#" || $0 == "%" || $0 == "$" })
    }
}

/// A checkout path refused by `CheckoutLayout.components(of:)`.
public struct CheckoutPathError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "checkout path \(path.debugDescription) refused: \(reason)" }
}
