/// Why a frame path pattern (`plates/shot.####.png`) was rejected.
public enum PathPatternError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The pattern is empty.
    case empty
    /// No frame placeholder; a sequence needs exactly one.
    case noPlaceholder(pattern: String)
    /// More than one placeholder (possibly of mixed styles), listed in order.
    case multiplePlaceholders(pattern: String, placeholders: [String])
    /// The placeholder is in a directory component; it must be in the file name.
    case placeholderInDirectory(pattern: String, placeholder: String)
    /// `%4d` (space padding) is not supported; `%04d` or `%d` are.
    case spacePadding(pattern: String, placeholder: String)
    /// An output pattern is absolute; it must be relative to the job's output directory.
    case absoluteOutput(pattern: String)
    /// An output pattern leaves the output directory (a `..` survives normalization).
    case escapesOutputDirectory(pattern: String, directory: String)

    public var description: String {
        switch self {
        case .empty:
            return "path pattern is empty; write one like plates/shot010.####.png"
        case .noPlaceholder(let p):
            return "path pattern '\(p)' has no frame placeholder; add #### (4-digit padding), %04d or $F4 where the frame number goes, e.g. shot.####.png"
        case .multiplePlaceholders(let p, let found):
            return "path pattern '\(p)' has \(found.count) frame placeholders (\(found.joined(separator: ", "))); keep exactly one, in one style"
        case .placeholderInDirectory(let p, let placeholder):
            return "path pattern '\(p)' has its frame placeholder \(placeholder) in a directory name; put it in the file name"
        case .spacePadding(let p, let placeholder):
            return "path pattern '\(p)': \(placeholder) pads with spaces, which is not supported; use %0\(placeholder.dropFirst().dropLast())d for zero padding or %d for none"
        case .absoluteOutput(let p):
            return "output pattern '\(p)' is absolute; make it relative to output_dir (e.g. styled.####.png)"
        case .escapesOutputDirectory(let p, let dir):
            return "output pattern '\(p)' leaves the output directory \(dir) through '..'; keep outputs inside output_dir"
        }
    }
}
