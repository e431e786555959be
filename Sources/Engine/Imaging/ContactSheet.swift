/// A contact sheet: frames laid out left to right, top to bottom in a grid on a dark background, each
/// scaled to the same cell width (aspect kept), so a sequence can be judged at a glance.
public enum ContactSheet {
    /// The sheet of `frames` (RGB or gray; alpha is dropped) with `columns` per row, each `cellWidth`
    /// pixels wide, `gap` pixels apart. Throws for no frames or non-positive sizes.
    public static func compose(_ frames: [Image], columns: Int, cellWidth: Int, gap: Int = 8,
                               background: Float = 0.12) throws -> Image {
        guard !frames.isEmpty, columns > 0, cellWidth > 0, gap >= 0 else {
            throw ImagingError.invalidLayout("a contact sheet needs frames, columns > 0 and a cell width > 0")
        }
        let cells = try frames.map { frame -> Image in
            let h = max(1, Int((Double(frame.height) * Double(cellWidth) / Double(max(1, frame.width))).rounded()))
            return try frame.toRGB().resized(width: cellWidth, height: h)
        }
        let cellHeight = cells.map(\.height).max() ?? 1
        let rows = (cells.count + columns - 1) / columns
        let usedColumns = min(columns, cells.count)
        let width = gap + usedColumns * (cellWidth + gap)
        let height = gap + rows * (cellHeight + gap)
        var pixels = [Float](repeating: background, count: width * height * 3)
        for (i, cell) in cells.enumerated() {
            let x0 = gap + (i % columns) * (cellWidth + gap)
            let y0 = gap + (i / columns) * (cellHeight + gap) + (cellHeight - cell.height) / 2
            let row = cell.width * 3
            for y in 0..<cell.height {
                let from = y * row, to = ((y0 + y) * width + x0) * 3
                pixels.replaceSubrange(to..<(to + row), with: cell.pixels[from..<(from + row)])
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }
}
