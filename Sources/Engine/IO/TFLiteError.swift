/// Why a TFLite model could not be read, prepared or run. Every case names the model (its path, or the
/// label given for in-memory data) and says what is wrong.
public enum TFLiteError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read (missing, a directory, permissions, too large).
    case unreadable(model: String, reason: String)
    /// The data is shorter than the smallest possible TFLite file, or ends before a structure it declares.
    case truncated(model: String, detail: String)
    /// The bytes are not a TFLite flatbuffer (file identifier other than `TFL3`).
    case notTFLite(model: String, identifier: String)
    /// An offset, length or index inside the flatbuffer points outside the data or is inconsistent.
    case corrupt(model: String, detail: String)
    /// The graph uses operators this interpreter does not implement (names as in the TFLite schema,
    /// custom operators by their custom code).
    case unsupportedOperators(model: String, names: [String])
    /// A tensor's element type cannot be used where it appears (e.g. a string weight tensor).
    case unsupportedTensorType(model: String, tensor: String, type: String)
    /// The graph is well-formed flatbuffer data but not a graph this interpreter can run: wrong operand
    /// counts, shapes that do not fit together, missing constant data.
    case invalidGraph(model: String, detail: String)
    /// The input given to `run` does not match the model's input tensor.
    case inputMismatch(model: String, expected: [Int], got: Int)

    /// The model path or label the error is about.
    public var model: String {
        switch self {
        case .unreadable(let m, _), .truncated(let m, _), .notTFLite(let m, _), .corrupt(let m, _),
             .unsupportedOperators(let m, _), .unsupportedTensorType(let m, _, _), .invalidGraph(let m, _),
             .inputMismatch(let m, _, _):
            return m
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let model, let reason):
            return "\(model): cannot read the model file: \(reason)"
        case .truncated(let model, let detail):
            return "\(model): the model file is truncated (\(detail)); re-copy or re-download it and check its sha256"
        case .notTFLite(let model, let identifier):
            return "\(model): not a TFLite model (file identifier \"\(identifier)\", expected \"TFL3\")"
        case .corrupt(let model, let detail):
            return "\(model): the model file is corrupt (\(detail)); re-copy or re-download it and check its sha256"
        case .unsupportedOperators(let model, let names):
            return "\(model): unsupported operator(s) \(names.joined(separator: ", ")); "
                + "this interpreter runs the segmentation graphs' operators only"
        case .unsupportedTensorType(let model, let tensor, let type):
            return "\(model): tensor \"\(tensor)\" has element type \(type), which this interpreter cannot use there"
        case .invalidGraph(let model, let detail):
            return "\(model): the graph cannot be run: \(detail)"
        case .inputMismatch(let model, let expected, let got):
            return "\(model): the input has \(got) values, the model's input tensor has shape \(expected) "
                + "(\(expected.reduce(1, *)) values)"
        }
    }
}
