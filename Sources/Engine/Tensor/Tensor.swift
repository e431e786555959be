/// A dense float32 feature map in CHW layout (NCHW with N = 1), stored contiguously.
///
/// The engine works on one image at a time, so the batch dimension is implicit. Element
/// `(c, y, x)` lives at `data[(c * height + y) * width + x]`. Kernels take the storage through
/// `withUnsafe(Mutable)BufferPointer` and never allocate per element.
public struct Tensor: Equatable, Sendable {
    public private(set) var channels: Int
    public private(set) var height: Int
    public private(set) var width: Int
    public var data: [Float]

    /// A zero-filled tensor.
    public init(channels: Int, height: Int, width: Int) {
        precondition(channels >= 0 && height >= 0 && width >= 0, "negative tensor dimension")
        self.channels = channels
        self.height = height
        self.width = width
        self.data = [Float](repeating: 0, count: channels * height * width)
    }

    /// Wraps existing storage; `data.count` must equal `channels * height * width`.
    public init(channels: Int, height: Int, width: Int, data: [Float]) {
        precondition(data.count == channels * height * width, "tensor storage does not match its shape")
        self.channels = channels
        self.height = height
        self.width = width
        self.data = data
    }

    /// Number of elements.
    @inlinable public var count: Int { channels * height * width }
    /// Elements per channel plane.
    @inlinable public var planeSize: Int { height * width }

    @inlinable public subscript(c: Int, y: Int, x: Int) -> Float {
        get { data[(c * height + y) * width + x] }
        set { data[(c * height + y) * width + x] = newValue }
    }

    /// Whether two tensors have the same shape.
    @inlinable public func hasSameShape(as other: Tensor) -> Bool {
        channels == other.channels && height == other.height && width == other.width
    }
}

extension Tensor {
    /// Gives the tensor a new shape, keeping (and not clearing) its storage when the element count is
    /// unchanged, so that kernels writing every element can reuse an output buffer across calls.
    /// When the count changes the storage is reallocated zero-filled.
    public mutating func reshapeReusingStorage(channels: Int, height: Int, width: Int) {
        precondition(channels >= 0 && height >= 0 && width >= 0, "negative tensor dimension")
        let newCount = channels * height * width
        if data.count != newCount {
            data = [Float](repeating: 0, count: newCount)
        }
        self.channels = channels
        self.height = height
        self.width = width
    }
}

extension Tensor {
    /// The `width × height` window at (`x`, `y`) of every channel (it must lie inside).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Tensor {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height, "Tensor crop out of bounds")
        var out = Tensor(channels: channels, height: h, width: w)
        for c in 0..<channels {
            for r in 0..<h {
                let from = (c * height + y + r) * width + x, to = (c * h + r) * w
                out.data.replaceSubrange(to ..< to + w, with: data[from ..< from + w])
            }
        }
        return out
    }
}
