/// Why an image could not be read, decoded, encoded or written. Every case names the file (or, for
/// in-memory data, the label the caller gave) and says what to do about it.
public enum ImageIOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Nothing exists at the path.
    case fileNotFound(path: String)
    /// The path is a directory, not an image file.
    case isDirectory(path: String)
    /// The file exists but could not be opened or read (permissions, I/O error, not a regular file).
    case unreadable(path: String, reason: String)
    /// The file is zero bytes long.
    case emptyFile(path: String)
    /// The file is larger than `ImageLimits.maxFileBytes`.
    case fileTooLarge(path: String, bytes: Int, limit: Int)
    /// The bytes are not PNG or JPEG; `detail` names the detected kind (e.g. "GIF", "OpenEXR") or shows the
    /// first bytes; or the file is a PNG/JPEG variant this reader does not handle (e.g. CMYK JPEG).
    case unsupportedFormat(path: String, detail: String)
    /// The data is damaged: bad checksum, invalid header, invalid compressed data.
    case corrupt(path: String, reason: String)
    /// The data ends before the image is complete (e.g. a partially written or partially copied file).
    case truncated(path: String)
    /// The header declares more pixels than `ImageLimits.maxPixels`; rejected before decoding.
    case tooLarge(path: String, width: Int, height: Int, limit: Int)
    /// Writing: a bit depth other than 8 or 16 was requested.
    case unsupportedBitDepth(path: String, bitDepth: Int)
    /// Writing: the image cannot be encoded (zero size, inconsistent shape...).
    case invalidImage(path: String, reason: String)
    /// Not enough memory to decode or encode.
    case outOfMemory(path: String)
    /// Writing the file failed; nothing was left at the destination.
    case writeFailed(path: String, reason: String)
    /// Writing the file failed because its filesystem is full (ENOSPC) or the quota is used up (EDQUOT):
    /// another attempt cannot help until space is freed. Nothing was left at the destination.
    case noSpace(path: String, reason: String)

    /// The file path (or in-memory label) the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let path), .isDirectory(let path), .unreadable(let path, _), .emptyFile(let path),
             .fileTooLarge(let path, _, _), .unsupportedFormat(let path, _), .corrupt(let path, _),
             .truncated(let path), .tooLarge(let path, _, _, _), .unsupportedBitDepth(let path, _),
             .invalidImage(let path, _), .outOfMemory(let path), .writeFailed(let path, _),
             .noSpace(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file; check the path and the frame numbering"
        case .isDirectory(let path):
            return "\(path): is a directory, expected an image file"
        case .unreadable(let path, let reason):
            return "\(path): cannot read the file: \(reason)"
        case .emptyFile(let path):
            return "\(path): the file is empty (0 bytes); it was probably not written completely, re-export it"
        case .fileTooLarge(let path, let bytes, let limit):
            return "\(path): the file is \(bytes) bytes, more than the limit of \(limit) bytes; "
                + "raise the file size limit if this is intended"
        case .unsupportedFormat(let path, let detail):
            return "\(path): unsupported image format (\(detail)); convert it to PNG or JPEG"
        case .corrupt(let path, let reason):
            return "\(path): the image data is corrupt (\(reason)); re-export or re-copy the file"
        case .truncated(let path):
            return "\(path): the file ends before the image is complete (truncated); "
                + "it was probably cut short while being written or copied, re-export or re-copy it"
        case .tooLarge(let path, let width, let height, let limit):
            return "\(path): the image is \(width)x\(height) = \(width * height) pixels, more than the limit of "
                + "\(limit) pixels; downscale it or raise the pixel limit"
        case .unsupportedBitDepth(let path, let bitDepth):
            return "\(path): cannot write \(bitDepth)-bit samples; use 8 or 16"
        case .invalidImage(let path, let reason):
            return "\(path): cannot encode the image: \(reason)"
        case .outOfMemory(let path):
            return "\(path): not enough memory to process the image"
        case .writeFailed(let path, let reason):
            return "\(path): could not write the file: \(reason); nothing was written"
        case .noSpace(let path, let reason):
            return "\(path): could not write the file: \(reason) (free space on its filesystem); nothing was written"
        }
    }
}
