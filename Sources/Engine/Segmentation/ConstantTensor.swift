/// Converting a tensor's constant data (weights, biases, sizes) to float32 at load time.
///
/// Quantized integers become `scale · (q − zeroPoint)`, with per-channel parameters along
/// `quantizedDimension` when the tensor has several scales; FLOAT16 is widened; INT32 without
/// quantization (sizes, axes, shapes) is converted value by value.
enum ConstantTensor {
    /// The tensor's constant values as float32. Throws when the data length does not match the shape or
    /// the element type has no float meaning.
    static func floats(_ tensor: TFLiteTensor, in model: TFLiteModel, dequantize: Bool = true) throws -> [Float] {
        let bytes = model.data(of: tensor)
        guard let width = tensor.type.byteWidth, tensor.type != .bool else {
            throw TFLiteError.unsupportedTensorType(model: model.name, tensor: tensor.name, type: tensor.type.description)
        }
        let count = tensor.elementCount
        guard bytes.count == count * width else {
            throw TFLiteError.corrupt(model: model.name, detail: "tensor \"\(tensor.name)\" has \(bytes.count) bytes of "
                                      + "data for shape \(tensor.shape) of \(tensor.type) (\(count * width) expected)")
        }
        var raw = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { src in
            raw.withUnsafeMutableBufferPointer { dst in
                switch tensor.type {
                case .float32:
                    for i in 0..<count { dst[i] = Float(bitPattern: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
                case .float16:
                    for i in 0..<count { dst[i] = halfToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) }
                case .int32:
                    for i in 0..<count { dst[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
                case .uint8:
                    for i in 0..<count { dst[i] = Float(src[i]) }
                case .int8:
                    for i in 0..<count { dst[i] = Float(Int8(bitPattern: src[i])) }
                case .int16:
                    for i in 0..<count { dst[i] = Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
                default: // INT64 and FLOAT64
                    if tensor.type == .int64 {
                        for i in 0..<count { dst[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
                    } else {
                        for i in 0..<count { dst[i] = Float(Double(bitPattern: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)) }
                    }
                }
            }
        }
        guard dequantize, let q = tensor.quantization, tensor.type != .float32, tensor.type != .float16 else { return raw }
        if q.scale.count == 1 {
            let s = q.scale[0], z = Float(q.zeroPoint[0])
            return raw.map { s * ($0 - z) }
        }
        // Per-channel: the channel of flat index i is (i / inner) % extent, inner = product of the
        // dimensions after the quantized one.
        let d = q.quantizedDimension
        let extent = tensor.shape[d], inner = tensor.shape[(d + 1)...].reduce(1, *)
        for i in 0..<count {
            let ch = (i / inner) % extent
            raw[i] = q.scale[ch] * (raw[i] - Float(q.zeroPoint[ch]))
        }
        return raw
    }

    /// The tensor's constant values as integers (for sizes, axes and shapes).
    static func integers(_ tensor: TFLiteTensor, in model: TFLiteModel) throws -> [Int] {
        guard tensor.type == .int32 || tensor.type == .int64 else {
            throw TFLiteError.unsupportedTensorType(model: model.name, tensor: tensor.name, type: tensor.type.description)
        }
        return try floats(tensor, in: model, dequantize: false).map { Int($0) }
    }

    /// IEEE 754 binary16 → binary32, including subnormals, infinities and NaN.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^−24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}
