import CEXR
import Foundation

extension OpenEXR {
    /// Every string attribute of the header of the part holding the unnamed layer, then those of the other parts that
    /// it lacks, by name (Cryptomatte manifests, provenance, …). Reads the header only.
    public static func stringAttributes(bytes: [UInt8], name: String = "<memory>") throws -> [String: String] {
        var joined: UnsafeMutablePointer<CChar>?
        var size = 0
        var message = [CChar](repeating: 0, count: 512)
        let code = bytes.withUnsafeBufferPointer { sf_exr_string_attributes($0.baseAddress, $0.count, &joined, &size, &message, message.count) }
        defer { sf_exr_free(joined) }
        try check(code, message: message, name: name)
        guard let joined else { return [:] }
        // name NUL value NUL name NUL value NUL …
        let fields = UnsafeBufferPointer(start: UnsafeRawPointer(joined).assumingMemoryBound(to: UInt8.self), count: size)
            .split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var attributes: [String: String] = [:]
        var i = 0
        while i + 1 < fields.count {
            attributes[fields[i]] = fields[i + 1]
            i += 2
        }
        return attributes
    }

    /// The names of every channel, as the file stores them (sorted within a part; a multi-part file's parts in order, the
    /// channels of a named part without layer prefixes as `PART.CHANNEL`). Reads the header only.
    public static func channelNames(bytes: [UInt8], name: String = "<memory>") throws -> [String] {
        var joined: UnsafeMutablePointer<CChar>?
        var message = [CChar](repeating: 0, count: 512)
        let code = bytes.withUnsafeBufferPointer { sf_exr_channel_names($0.baseAddress, $0.count, &joined, &message, message.count) }
        defer { sf_exr_free(joined) }
        try check(code, message: message, name: name)
        guard let joined else { return [] }
        return String(cString: joined).split(separator: "\n").map(String.init)
    }

    /// The channels `names` (as ``channelNames(bytes:name:)`` lists them, from one or more parts sharing a data window) as 32-bit floats, interleaved (`names.count` per pixel) over the data
    /// window, which is returned with them (float channels bit for bit: Cryptomatte IDs survive). A missing channel is
    /// an `ImageIOError.unsupportedFormat` naming it.
    public static func readChannels(bytes: [UInt8], names: [String], name: String = "<memory>",
                                    limits: ImageLimits = .default) throws -> (pixels: [Float], dataWindow: Window, displayWindow: Window) {
        guard !names.isEmpty else { throw ImageIOError.invalidImage(path: name, reason: "no OpenEXR channels were asked for") }
        var info = sf_exr_info()
        var pixels: UnsafeMutablePointer<Float>?
        var message = [CChar](repeating: 0, count: 512)
        let cNames = names.map { strdup($0) }
        defer { cNames.forEach { free($0) } }
        let code = bytes.withUnsafeBufferPointer { buffer in
            cNames.map { UnsafePointer($0) }.withUnsafeBufferPointer { list in
                sf_exr_read_channels(buffer.baseAddress, buffer.count, list.baseAddress, list.count,
                                     UInt64(max(0, limits.maxPixels)), &info, &pixels, &message, message.count)
            }
        }
        defer { sf_exr_free(pixels) }
        let data = Window(minX: Int(info.data_x0), minY: Int(info.data_y0), maxX: Int(info.data_x1), maxY: Int(info.data_y1))
        let display = Window(minX: Int(info.display_x0), minY: Int(info.display_y0), maxX: Int(info.display_x1), maxY: Int(info.display_y1))
        if Int(code) == SF_EXR_TOO_LARGE { throw ImageIOError.tooLarge(path: name, width: data.width, height: data.height, limit: limits.maxPixels) }
        try check(code, message: message, name: name)
        guard let pixels else { throw ImageIOError.corrupt(path: name, reason: "OpenEXR: no pixels") }
        return (Array(UnsafeBufferPointer(start: pixels, count: data.width * data.height * names.count)), data, display)
    }

    /// A CEXR result code as an `ImageIOError` (nothing for SF_EXR_OK).
    static func check(_ code: Int32, message: [CChar], name: String) throws {
        let reason = String(cString: message)
        switch Int(code) {
        case SF_EXR_OK: return
        case SF_EXR_TRUNCATED: throw ImageIOError.truncated(path: name)
        case SF_EXR_UNSUPPORTED, SF_EXR_MISSING_CHANNEL: throw ImageIOError.unsupportedFormat(path: name, detail: "OpenEXR: \(reason)")
        case SF_EXR_OUT_OF_MEMORY: throw ImageIOError.outOfMemory(path: name)
        case SF_EXR_TOO_LARGE: throw ImageIOError.corrupt(path: name, reason: "OpenEXR: \(reason)")
        default: throw ImageIOError.corrupt(path: name, reason: "OpenEXR: \(reason)")
        }
    }
}
