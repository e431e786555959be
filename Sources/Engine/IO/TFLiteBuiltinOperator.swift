/// A builtin operator code of the TFLite schema (`BuiltinOperator`), with the schema's name for messages.
public struct TFLiteBuiltinOperator: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let add = TFLiteBuiltinOperator(rawValue: 0)
    public static let averagePool2D = TFLiteBuiltinOperator(rawValue: 1)
    public static let concatenation = TFLiteBuiltinOperator(rawValue: 2)
    public static let conv2D = TFLiteBuiltinOperator(rawValue: 3)
    public static let depthwiseConv2D = TFLiteBuiltinOperator(rawValue: 4)
    public static let dequantize = TFLiteBuiltinOperator(rawValue: 6)
    public static let logistic = TFLiteBuiltinOperator(rawValue: 14)
    public static let maxPool2D = TFLiteBuiltinOperator(rawValue: 17)
    public static let mul = TFLiteBuiltinOperator(rawValue: 18)
    public static let relu = TFLiteBuiltinOperator(rawValue: 19)
    public static let relu6 = TFLiteBuiltinOperator(rawValue: 21)
    public static let reshape = TFLiteBuiltinOperator(rawValue: 22)
    public static let resizeBilinear = TFLiteBuiltinOperator(rawValue: 23)
    public static let softmax = TFLiteBuiltinOperator(rawValue: 25)
    public static let custom = TFLiteBuiltinOperator(rawValue: 32)
    public static let pad = TFLiteBuiltinOperator(rawValue: 34)
    public static let argMax = TFLiteBuiltinOperator(rawValue: 56)
    public static let quantize = TFLiteBuiltinOperator(rawValue: 114)
    public static let hardSwish = TFLiteBuiltinOperator(rawValue: 117)

    /// The schema's name, e.g. `CONV_2D`; `BUILTIN_<code>` for codes this table does not know.
    public var name: String {
        let i = Int(rawValue)
        return TFLiteBuiltinOperator.names.indices.contains(i) ? TFLiteBuiltinOperator.names[i] : "BUILTIN_\(rawValue)"
    }

    public var description: String { name }

    /// Names of codes 0…126, in code order (schema.fbs `enum BuiltinOperator`).
    private static let names: [String] = [
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
        "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION",
        "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D",
        "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX",
        "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM",
        "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
        "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE",
        "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG",
        "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
        "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE",
        "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT",
        "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE",
        "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
        "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE",
        "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH",
        "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY",
        "SEGMENT_SUM", "BATCH_MATMUL",
    ]
}
