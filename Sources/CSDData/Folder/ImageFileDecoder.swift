import CJPEG
import CPNG
import CSDImage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes PNG (libpng) and JPEG (libjpeg) files to 8-bit gray or RGB, told apart by their
/// signature, not their name.
///
/// PNG: palette -> RGB; gray 1/2/4-bit scaled to 8-bit; 16-bit -> the high byte (what Pillow
/// does for 16-bit RGB; plain truncation, no rounding); alpha (and palette transparency) dropped,
/// not composited; gamma and colour profiles ignored (as Pillow's pixel values do).
/// JPEG: gray or RGB (YCbCr converted by libjpeg with islow DCT and fancy upsampling, Pillow's
/// defaults); CMYK/YCCK refused; damaged data (premature end, corrupt entropy data) refused.
public enum ImageFileDecoder {
    public enum Format: String, Sendable { case png, jpeg }

    /// The largest decoded image accepted (the `Image` limit).
    static let maxBytes = Int(Int32.max)

    public static func format(of bytes: [UInt8]) -> Format? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    public static func decode(file path: String) throws -> Image {
        try decode(try FileInput(path: path).readAll(), file: path)
    }

    /// `file` names the source in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws -> Image {
        guard let format = format(of: bytes) else {
            throw DatasetError(file: file, "not a PNG or JPEG file (unrecognised signature)")
        }
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: UInt32 = 0, height: UInt32 = 0
        var channels: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = bytes.withUnsafeBufferPointer { data in
            message.withUnsafeMutableBufferPointer { text in
                switch format {
                case .png:
                    return csd_png_decode(data.baseAddress, data.count, maxBytes, &pixels, &width, &height, &channels,
                                          text.baseAddress, text.count)
                case .jpeg:
                    return csd_jpeg_decode(data.baseAddress, data.count, maxBytes, &pixels, &width, &height, &channels,
                                           text.baseAddress, text.count)
                }
            }
        }
        guard status == 0, let pixels else {
            let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw DatasetError(file: file, "\(format == .png ? "PNG" : "JPEG") decode failed: \(reason)")
        }
        defer { free(pixels) }
        let count = Int(width) * Int(height) * Int(channels)
        do {
            return try Image(height: Int(height), width: Int(width), channels: Int(channels),
                             pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
        } catch {
            throw DatasetError(file: file, "decoded image rejected: \(error)")
        }
    }
}
