/// Conversion between `Image` and the input tensor of the Caffe-trained VGG networks.
///
/// The tensor is CHW with 3 channels in **B, G, R** order, on a 0...255 scale, with the ImageNet mean
/// pixel subtracted: `t[0] = 255·B − 103.939`, `t[1] = 255·G − 116.779`, `t[2] = 255·R − 123.68`.
public enum VGGPreprocessing {
    /// The mean pixel subtracted from each channel, in tensor (B, G, R) order.
    public static let meanBGR: [Float] = [103.939, 116.779, 123.68]

    /// The VGG input for `image`. Gray is replicated to RGB and alpha is dropped.
    public static func tensor(from image: Image) -> Tensor {
        let rgb = image.toRGB()
        let plane = rgb.pixelCount
        var data = [Float](repeating: 0, count: 3 * plane)
        rgb.pixels.withUnsafeBufferPointer { src in
            data.withUnsafeMutableBufferPointer { dst in
                for p in 0..<plane {
                    dst[p] = src[3 * p + 2] * 255 - meanBGR[0]            // B
                    dst[plane + p] = src[3 * p + 1] * 255 - meanBGR[1]    // G
                    dst[2 * plane + p] = src[3 * p] * 255 - meanBGR[2]    // R
                }
            }
        }
        return Tensor(channels: 3, height: rgb.height, width: rgb.width, data: data)
    }

    /// The RGB image a VGG-space tensor represents: the mean added back, BGR → RGB, divided by 255 and
    /// clamped to [0, 1] (NaN becomes 0). Throws `ImagingError.invalidLayout` unless the tensor has 3 channels.
    /// The tensors of `width`×`height` images: channel c (BGR) between −mean_c and 255 − mean_c, the
    /// values `image(from:)` keeps without clamping.
    public static func pixelBox(width: Int, height: Int) -> Box {
        Box(planeSize: width * height, lower: meanBGR.map { -$0 }, upper: meanBGR.map { 255 - $0 })
    }

    public static func image(from tensor: Tensor) throws -> Image {
        guard tensor.channels == 3 else {
            throw ImagingError.invalidLayout("a VGG tensor has 3 channels, this one has \(tensor.channels)")
        }
        let plane = tensor.planeSize
        var pixels = [Float](repeating: 0, count: 3 * plane)
        func unit(_ v: Float) -> Float { v > 0 ? min(v, 1) : 0 }
        tensor.data.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for p in 0..<plane {
                    dst[3 * p] = unit((src[2 * plane + p] + meanBGR[2]) / 255)
                    dst[3 * p + 1] = unit((src[plane + p] + meanBGR[1]) / 255)
                    dst[3 * p + 2] = unit((src[p] + meanBGR[0]) / 255)
                }
            }
        }
        return Image(width: tensor.width, height: tensor.height, channels: 3, pixels: pixels)
    }
}
