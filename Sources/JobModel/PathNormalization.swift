/// Lexical path helpers (no file-system access, symlinks are not resolved).
public enum PathNormalization {
    /// Removes empty and `.` components and folds `name/..`. A leading `..` of a relative path is kept;
    /// `/..` is `/`. Returns `.` for an empty relative result.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." { parts.removeLast() }
                else if !absolute { parts.append(component) }
            default: parts.append(component)
            }
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// `path` made absolute against `base` (when relative) and normalized.
    public static func resolve(_ path: String, against base: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        return normalize(base + "/" + path)
    }

    /// Joins a directory and a relative path without normalizing either.
    public static func join(_ directory: String, _ name: String) -> String {
        if directory == "." { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// `path` relative to `directory` when it lies inside it (both normalized), else `path` unchanged.
    public static func relative(_ path: String, to directory: String) -> String {
        let p = normalize(path), d = normalize(directory)
        if p == d { return "." }
        let prefix = d.hasSuffix("/") ? d : d + "/"
        return p.hasPrefix(prefix) ? String(p.dropFirst(prefix.count)) : p
    }
}
