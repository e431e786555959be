import Foundation

/// A TFLite model (the `TFL3` flatbuffer of TensorFlow Lite / LiteRT) read into plain Swift values:
/// operator codes, subgraphs with their tensors and operators, and the buffers holding constant data.
/// Written against the public `schema.fbs`; no TensorFlow or flatbuffers library is involved.
///
/// Every offset is checked while reading, so a truncated or corrupt file throws a `TFLiteError`
/// instead of crashing. Constant data stays in the file's bytes and is read with `data(of:)`.
public struct TFLiteModel: Sendable {
    /// Names the model in errors (the path, or the label given for in-memory data).
    public let name: String
    /// The schema version the file declares (3 for current files).
    public let version: UInt32
    /// The free-text description the converter stored, if any.
    public let description: String?
    /// Operator codes; `TFLiteOperator.opcodeIndex` points into this list.
    public let operatorCodes: [TFLiteOperatorCode]
    /// Subgraphs; the first one is the model's main graph.
    public let subgraphs: [TFLiteSubgraph]
    /// Where each buffer's bytes lie in the file (empty for buffers without data).
    public let buffers: [Range<Int>]
    /// The whole file.
    let bytes: [UInt8]

    /// Reads the model file at `path`. Files larger than `maxBytes` are refused.
    public init(contentsOf path: String, maxBytes: Int = 512 << 20) throws {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.readFile(path: path, maxBytes: maxBytes)
        } catch let error as ImageIOError {
            switch error {
            case .fileNotFound: throw TFLiteError.unreadable(model: path, reason: "no such file")
            case .isDirectory: throw TFLiteError.unreadable(model: path, reason: "is a directory")
            case .fileTooLarge(_, let size, let limit):
                throw TFLiteError.unreadable(model: path, reason: "\(size) bytes, more than the limit of \(limit)")
            case .unreadable(_, let reason): throw TFLiteError.unreadable(model: path, reason: reason)
            default: throw TFLiteError.unreadable(model: path, reason: error.description)
            }
        }
        try self.init(bytes: bytes, name: path)
    }

    /// Parses a model held in memory; `name` labels errors.
    public init(bytes: [UInt8], name: String = "<memory>") throws {
        guard bytes.count >= 8 else {
            throw TFLiteError.truncated(model: name, detail: "\(bytes.count) bytes, a TFLite file has at least 8")
        }
        let identifier = String(decoding: bytes[4..<8], as: UTF8.self)
        guard identifier == "TFL3" else {
            throw TFLiteError.notTFLite(model: name, identifier: identifier.unicodeScalars
                .map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? String($0) : "?" }.joined())
        }
        let buffer = TFLiteFlatBuffer(bytes: bytes, name: name)
        let root = try buffer.root()
        self.name = name
        self.bytes = bytes
        version = try root.uint32(0)
        description = try root.string(3)

        operatorCodes = try root.tableVector(1).map { table in
            // Files before schema 2.3 only have the int8 `deprecated_builtin_code` (field 0); newer files
            // also carry the int32 `builtin_code` (field 3), which is the only one able to hold codes
            // above 127 (where the int8 field then says PLACEHOLDER_FOR_GREATER_OP_CODES = 127). The
            // larger of the two is the real code, as in TFLite's own `GetBuiltinCode`.
            let deprecated = Int32(try table.int8(0))
            let extended = try table.int32(3)
            return TFLiteOperatorCode(builtin: TFLiteBuiltinOperator(rawValue: max(deprecated, extended)),
                                      customCode: try table.string(1),
                                      version: Int(try table.int32(2, default: 1)))
        }

        buffers = try root.tableVector(4).map { table in
            if let range = try table.byteRange(0) { return range }
            // Models over 2 GB keep buffer data after the flatbuffer: absolute `offset` and `size`
            // (offset 1 is a placeholder meaning "not yet placed").
            let offset = try table.uint64(1), size = try table.uint64(2)
            if offset > 1 && size > 0 {
                guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count) - offset else {
                    throw TFLiteError.truncated(model: name, detail: "a buffer at byte \(offset) of \(size) bytes "
                                                + "lies past the end of the \(bytes.count)-byte file")
                }
                return Int(offset)..<Int(offset + size)
            }
            return 0..<0
        }

        let codeCount = operatorCodes.count, bufferCount = buffers.count
        subgraphs = try root.tableVector(2).enumerated().map { index, table in
            try TFLiteSubgraph(table: table, index: index, operatorCodeCount: codeCount, bufferCount: bufferCount)
        }
        guard !subgraphs.isEmpty else { throw TFLiteError.corrupt(model: name, detail: "the model has no subgraph") }
    }

    /// The raw bytes of buffer `index` (empty for a buffer without data or an index out of range).
    public func data(ofBuffer index: Int) -> ArraySlice<UInt8> {
        guard buffers.indices.contains(index) else { return [] }
        return bytes[buffers[index]]
    }

    /// The constant bytes of `tensor` (empty when the tensor is computed at run time).
    public func data(of tensor: TFLiteTensor) -> ArraySlice<UInt8> {
        data(ofBuffer: tensor.bufferIndex)
    }

    /// The operator code of `op`.
    public func code(of op: TFLiteOperator) -> TFLiteOperatorCode {
        operatorCodes[op.opcodeIndex]
    }

    /// The operator names of the main graph in execution order (custom operators by their custom code).
    public var operatorNames: [String] {
        subgraphs[0].operators.map { code(of: $0).name }
    }
}

/// One graph of a model: tensors, the operators between them in execution order, and which tensors
/// are the graph's inputs and outputs.
public struct TFLiteSubgraph: Sendable {
    public let name: String?
    public let tensors: [TFLiteTensor]
    public let operators: [TFLiteOperator]
    /// Tensor indices of the graph inputs.
    public let inputs: [Int]
    /// Tensor indices of the graph outputs.
    public let outputs: [Int]

    init(table: TFLiteTable, index: Int, operatorCodeCount: Int, bufferCount: Int) throws {
        let buffer = table.buffer
        name = try table.string(4)
        tensors = try table.tableVector(0).enumerated().map { i, t in
            try TFLiteTensor(table: t, index: i, bufferCount: bufferCount)
        }
        let tensorCount = tensors.count
        func indices(_ values: [Int32]?, optionalAllowed: Bool, _ what: String) throws -> [Int] {
            try (values ?? []).map { v in
                let i = Int(v)
                guard (0..<tensorCount).contains(i) || (optionalAllowed && i == -1) else {
                    throw buffer.corrupt("\(what) of subgraph \(index) refers to tensor \(i) of \(tensorCount)")
                }
                return i
            }
        }
        inputs = try indices(table.int32Vector(1), optionalAllowed: false, "an input")
        outputs = try indices(table.int32Vector(2), optionalAllowed: false, "an output")
        operators = try table.tableVector(3).enumerated().map { i, op in
            let opcode = Int(try op.uint32(0))
            guard opcode < operatorCodeCount else {
                throw buffer.corrupt("operator \(i) uses operator code \(opcode) of \(operatorCodeCount)")
            }
            return TFLiteOperator(
                opcodeIndex: opcode,
                inputs: try indices(op.int32Vector(1), optionalAllowed: true, "operator \(i)'s input"),
                outputs: try indices(op.int32Vector(2), optionalAllowed: false, "operator \(i)'s output"),
                builtinOptionsType: try op.uint8(3),
                builtinOptions: try op.table(4).map(TFLiteOptions.init),
                customOptions: try op.byteRange(5).map { Array(buffer.bytes[$0]) } ?? [])
        }
    }
}

/// A tensor of a subgraph: shape, element type, the buffer holding its constant data (if any) and its
/// quantization.
public struct TFLiteTensor: Sendable {
    public let name: String
    public let type: TFLiteTensorType
    /// Dimensions, outermost first (TFLite activations are NHWC).
    public let shape: [Int]
    /// Index into `TFLiteModel.buffers`; buffer 0 is the empty sentinel, so 0 means "no constant data".
    public let bufferIndex: Int
    /// Affine quantization (`real = scale · (q − zeroPoint)`), nil for unquantized tensors.
    public let quantization: TFLiteQuantization?

    /// Number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    init(table: TFLiteTable, index: Int, bufferCount: Int) throws {
        let buffer = table.buffer
        name = try table.string(3) ?? "tensor\(index)"
        type = TFLiteTensorType(rawValue: try table.int8(1))
        let dims = try table.int32Vector(0) ?? []
        var count = 1
        for d in dims {
            // Static shapes only: -1 (dynamic) appears in `shape_signature`, not in `shape`.
            guard d >= 0, d <= 1 << 28 else { throw buffer.corrupt("tensor \"\(name)\" has dimension \(d)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= 1 << 32 else {
                throw buffer.corrupt("tensor \"\(name)\" has an implausible shape \(dims)")
            }
            count = product
        }
        shape = dims.map(Int.init)
        bufferIndex = Int(try table.uint32(2))
        guard bufferIndex < max(1, bufferCount) else {
            throw buffer.corrupt("tensor \"\(name)\" refers to buffer \(bufferIndex) of \(bufferCount)")
        }
        if let q = try table.table(4) {
            let scale = try q.float32Vector(2) ?? []
            let zeroPoint = try q.int64Vector(3) ?? []
            if scale.isEmpty {
                quantization = nil
            } else {
                guard zeroPoint.isEmpty || zeroPoint.count == scale.count else {
                    throw buffer.corrupt("tensor \"\(name)\" has \(scale.count) scales and \(zeroPoint.count) zero points")
                }
                let dimension = Int(try q.int32(6))
                guard scale.count == 1 || (dimension >= 0 && dimension < shape.count && shape[dimension] == scale.count) else {
                    throw buffer.corrupt("tensor \"\(name)\" has \(scale.count) scales along dimension \(dimension) "
                                         + "of shape \(shape)")
                }
                quantization = TFLiteQuantization(
                    scale: scale, zeroPoint: zeroPoint.isEmpty ? [Int64](repeating: 0, count: scale.count) : zeroPoint,
                    quantizedDimension: dimension, min: try q.float32Vector(0) ?? [], max: try q.float32Vector(1) ?? [])
            }
        } else {
            quantization = nil
        }
    }
}

/// Affine quantization of a tensor: `real = scale[i] · (q − zeroPoint[i])`, with one (scale, zero point)
/// for the whole tensor or one per slice along `quantizedDimension` (per-channel weights).
public struct TFLiteQuantization: Sendable, Equatable {
    public let scale: [Float]
    public let zeroPoint: [Int64]
    /// The dimension the per-channel parameters run along (ignored with a single scale).
    public let quantizedDimension: Int
    /// The float range the converter recorded, if any (informational).
    public let min: [Float]
    public let max: [Float]

    /// Whether there is one (scale, zero point) per slice rather than one for the whole tensor.
    public var isPerChannel: Bool { scale.count > 1 }
}

/// The element type of a tensor (the schema's `TensorType`).
public struct TFLiteTensorType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int8
    public init(rawValue: Int8) { self.rawValue = rawValue }

    public static let float32 = TFLiteTensorType(rawValue: 0)
    public static let float16 = TFLiteTensorType(rawValue: 1)
    public static let int32 = TFLiteTensorType(rawValue: 2)
    public static let uint8 = TFLiteTensorType(rawValue: 3)
    public static let int64 = TFLiteTensorType(rawValue: 4)
    public static let string = TFLiteTensorType(rawValue: 5)
    public static let bool = TFLiteTensorType(rawValue: 6)
    public static let int16 = TFLiteTensorType(rawValue: 7)
    public static let int8 = TFLiteTensorType(rawValue: 9)

    /// Bytes per element for the fixed-size types, nil otherwise.
    public var byteWidth: Int? {
        switch rawValue {
        case 0, 2: return 4
        case 1, 7: return 2
        case 3, 6, 9: return 1
        case 4, 10: return 8
        default: return nil
        }
    }

    public var description: String {
        let names = ["FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64",
                     "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4"]
        return names.indices.contains(Int(rawValue)) ? names[Int(rawValue)] : "TYPE_\(rawValue)"
    }
}

/// An entry of the model's operator-code table: a builtin operator, or `CUSTOM` with a custom code.
public struct TFLiteOperatorCode: Sendable, Equatable {
    public let builtin: TFLiteBuiltinOperator
    /// The custom operator's name (for `builtin == .custom`).
    public let customCode: String?
    public let version: Int

    /// The schema name of a builtin operator, or the custom code of a custom one.
    public var name: String {
        if builtin == .custom { return customCode.map { "CUSTOM(\($0))" } ?? "CUSTOM" }
        return builtin.name
    }
}

/// An operator of a subgraph: which operator code it runs, its input and output tensor indices (−1 for
/// an omitted optional input), and its options.
public struct TFLiteOperator: Sendable {
    public let opcodeIndex: Int
    public let inputs: [Int]
    public let outputs: [Int]
    /// The schema's `BuiltinOptions` union tag (1 = Conv2DOptions, 2 = DepthwiseConv2DOptions, …).
    public let builtinOptionsType: UInt8
    /// The options table, read field by field with the schema's field order and defaults.
    let builtinOptions: TFLiteOptions?
    /// The raw `custom_options` bytes of a custom operator (usually a flexbuffer).
    public let customOptions: [UInt8]
}

/// A builtin operator's options table; fields are read by their index in the schema's table.
struct TFLiteOptions: Sendable {
    let table: TFLiteTable

    func int32(_ field: Int, default value: Int32 = 0) throws -> Int { Int(try table.int32(field, default: value)) }
    func int8(_ field: Int, default value: Int8 = 0) throws -> Int { Int(try table.int8(field, default: value)) }
    func bool(_ field: Int, default value: Bool = false) throws -> Bool { try table.bool(field, default: value) }
    func float32(_ field: Int, default value: Float = 0) throws -> Float { try table.float32(field, default: value) }
    func int32Vector(_ field: Int) throws -> [Int]? { try table.int32Vector(field)?.map(Int.init) }
}
