/// Errors raised while building or querying a VGG network.
public enum VGGError: Error, Equatable, CustomStringConvertible {
    /// A layer name that the network does not have (e.g. `relu5_4` on VGG-16, or a typo).
    case unknownLayer(String, network: VGGNetwork)
    /// The weight file lacks a tensor the network needs.
    case missingWeights(String, network: VGGNetwork)
    /// A tensor in the weight file has the wrong shape.
    case weightShapeMismatch(name: String, expected: [Int], found: [Int])
    /// The weight file was made for another network.
    case wrongNetwork(expected: VGGNetwork, found: String)

    public var description: String {
        switch self {
        case .unknownLayer(let name, let network):
            let valid = network.layers.map(\.outputName).joined(separator: ", ")
            return "\(network) has no layer named '\(name)'; valid layers: \(valid)"
        case .missingWeights(let name, let network):
            return "the \(network) weight file has no tensor '\(name)'; reinstall it with `stylefarm models install`"
        case .weightShapeMismatch(let name, let expected, let found):
            return "weight tensor '\(name)' has shape \(found), expected \(expected); the weight file is not a VGG conv stack"
        case .wrongNetwork(let expected, let found):
            return "the weight file holds '\(found)' weights, but \(expected) was requested"
        }
    }
}
