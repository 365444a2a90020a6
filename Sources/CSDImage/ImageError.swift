import Foundation

/// Why an image or a preprocessing request was rejected. Every check throws one of these
/// instead of trapping, so a bad file in a data set stops with a message, not a crash.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    case emptyImage(height: Int, width: Int)
    case unsupportedChannelCount(Int)
    case pixelCountMismatch(expected: Int, actual: Int)
    case tooLarge(height: Int, width: Int, channels: Int)
    case invalidTargetSize(height: Int, width: Int)
    case invalidPreprocessing(String)
    case emptyBatch
    case mismatchedOutputSizes(index: Int, height: Int, width: Int, expectedHeight: Int, expectedWidth: Int)
    case sizeNotMultiple(height: Int, width: Int, multiple: Int)

    public var description: String {
        switch self {
        case let .emptyImage(h, w):
            return "image has no pixels: height \(h), width \(w) (both must be at least 1)"
        case let .unsupportedChannelCount(c):
            return "image has \(c) channels; only 1 (grayscale) or 3 (RGB) are supported"
        case let .pixelCountMismatch(expected, actual):
            return "pixel buffer holds \(actual) bytes, height x width x channels needs \(expected)"
        case let .tooLarge(h, w, c):
            return "image \(h) x \(w) x \(c) is too large (more than 2^31 - 1 bytes)"
        case let .invalidTargetSize(h, w):
            return "target size \(h) x \(w) is invalid: both sides must be at least 1"
        case let .invalidPreprocessing(why):
            return "invalid preprocessing: \(why)"
        case .emptyBatch:
            return "cannot build a batch from no images"
        case let .mismatchedOutputSizes(i, h, w, eh, ew):
            return "image \(i) preprocesses to \(h) x \(w) but the batch is \(eh) x \(ew); "
                + "use a center crop or an exact resize so every image has the same size"
        case let .sizeNotMultiple(h, w, m):
            return "output size \(h) x \(w) is not a multiple of \(m) (the model's patch size)"
        }
    }
}

extension ImageError: LocalizedError {
    public var errorDescription: String? { description }
}
