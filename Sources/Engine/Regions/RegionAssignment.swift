import Foundation

/// One `--region NAME=STYLE|none`: which style a region of the frame gets, and its weights.
///
/// `NAME` is a region the mask source provides (a VOC class such as `person` or `dog`, `foreground`,
/// an ID-map colour `#ff0000`) or `background`, which always means *everything not covered by the
/// other regions*. `STYLE` is a style image path, or `none` to keep the region photoreal (content
/// term only, no style term).
public struct RegionAssignment: Sendable, Equatable, Hashable {
    public enum Style: Sendable, Equatable, Hashable {
        /// A style image (path as given).
        case image(String)
        /// No style: the region keeps the content image's look.
        case none
    }

    public var name: String
    public var style: Style
    /// Multiplies the content weight inside the region (1 = the job's content weight).
    public var contentWeight: Float
    /// Multiplies the style weight inside the region (1 = the job's style weight).
    public var styleWeight: Float

    public init(name: String, style: Style, contentWeight: Float = 1, styleWeight: Float = 1) {
        self.name = name
        self.style = style
        self.contentWeight = contentWeight
        self.styleWeight = styleWeight
    }

    /// Parses `NAME=STYLE|none`.
    public init(parsing text: String) throws {
        guard let eq = text.firstIndex(of: "=") else {
            throw RegionError.invalidSpecification("--region '\(text)': expected NAME=STYLE_IMAGE or NAME=none (e.g. person=none)")
        }
        let name = text[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
        let value = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, !value.isEmpty else {
            throw RegionError.invalidSpecification("--region '\(text)': both the region name and the style are required")
        }
        self.init(name: name, style: value.lowercased() == "none" ? .none : .image(value))
    }

    /// Applies `--region-weight NAME:content=W,style=W` values to the assignments they name.
    public static func applyWeights(_ specs: [String], to assignments: inout [RegionAssignment]) throws {
        for spec in specs {
            guard let colon = spec.lastIndex(of: ":") else {
                throw RegionError.invalidSpecification("--region-weight '\(spec)': expected NAME:content=W,style=W")
            }
            let name = spec[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            guard let index = assignments.firstIndex(where: { $0.name == name }) else {
                throw RegionError.invalidSpecification("--region-weight '\(spec)': no --region \(name)=… to weight")
            }
            for item in spec[spec.index(after: colon)...].split(separator: ",") {
                let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let value = Float(parts[1]), value >= 0, value.isFinite else {
                    throw RegionError.invalidSpecification("--region-weight '\(spec)': '\(item)' is not KEY=non-negative number")
                }
                switch parts[0] {
                case "content": assignments[index].contentWeight = value
                case "style": assignments[index].styleWeight = value
                default:
                    throw RegionError.invalidSpecification("--region-weight '\(spec)': unknown key '\(parts[0])' (content or style)")
                }
            }
        }
    }
}

extension RegionAssignment: CustomStringConvertible {
    public var description: String {
        switch style {
        case .none: return "\(name)=none"
        case .image(let path): return "\(name)=\(path)"
        }
    }
}
