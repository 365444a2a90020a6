/// Everything that turns decoded images into a backbone's input tensor, as one value.
///
/// It is `Codable` so a feature cache can record exactly how its inputs were made (the cache's
/// provenance, docs/ARCHITECTURE.md); two caches built with different preprocessing then
/// compare unequal.
///
/// The pipeline (see `Preprocessing+Apply.swift`): convert to RGB, then
/// - `.pillow` resampler (DINOv2, CLIP; transformers' PIL image processors): resize on uint8 with
///   Pillow, center crop on uint8, rescale, normalise;
/// - `.torch` resampler (RADIO): rescale to float, resize with torch's bilinear, center crop,
///   normalise.
public struct Preprocessing: Codable, Hashable, Sendable {
    /// How the image is resized before cropping.
    public enum Resize: Hashable, Sendable {
        /// The shorter side becomes `n`, the longer `trunc(n * long / short)` (transformers'
        /// `{"shortest_edge": n}` with `default_to_square=False`).
        case shortestEdge(Int)
        /// Exactly `height x width`, aspect ratio not kept.
        case exact(height: Int, width: Int)
    }

    /// Which reference implementation resamples.
    public enum Resampler: String, Codable, Hashable, Sendable {
        /// Pillow's `Image.resize` on uint8 (antialiased when shrinking), before rescaling.
        case pillow
        /// torch's `F.interpolate(align_corners=False, antialias=False)` on float32, after rescaling.
        case torch
    }

    public struct Size: Codable, Hashable, Sendable {
        public var height: Int
        public var width: Int
        public init(height: Int, width: Int) {
            self.height = height
            self.width = width
        }
        /// A square.
        public init(_ side: Int) { self.init(height: side, width: side) }
    }

    /// `nil`: no resize.
    public var resize: Resize?
    public var interpolation: Interpolation
    public var resampler: Resampler
    /// `nil`: no crop.
    public var crop: Size?
    /// Pixels are multiplied by this (in float64, then rounded to float32, as transformers does).
    public var rescaleFactor: Double
    /// Per RGB channel; subtracted, then divided by `std`, in float32. Mean 0 and std 1 leave the
    /// values unchanged (RADIO normalises inside the model).
    public var mean: [Double]
    public var std: [Double]
    /// When set, the output height and width must be multiples of it (a model's patch size).
    public var outputMultiple: Int?

    public init(resize: Resize?, interpolation: Interpolation, resampler: Resampler, crop: Size?,
                rescaleFactor: Double = 1.0 / 255.0, mean: [Double], std: [Double],
                outputMultiple: Int? = nil) {
        self.resize = resize
        self.interpolation = interpolation
        self.resampler = resampler
        self.crop = crop
        self.rescaleFactor = rescaleFactor
        self.mean = mean
        self.std = std
        self.outputMultiple = outputMultiple
    }

    /// ImageNet statistics (DINOv2's `preprocessor_config.json`).
    public static let imageNetMean = [0.485, 0.456, 0.406]
    public static let imageNetStd = [0.229, 0.224, 0.225]
    /// OpenAI CLIP statistics (transformers' `OPENAI_CLIP_MEAN` / `OPENAI_CLIP_STD`).
    public static let clipMean = [0.48145466, 0.4578275, 0.40821073]
    public static let clipStd = [0.26862954, 0.26130258, 0.27577711]

    /// facebook/dinov2-*: shortest edge 256, bicubic, center crop 224, ImageNet mean/std.
    public static let dinov2 = Preprocessing(
        resize: .shortestEdge(256), interpolation: .bicubic, resampler: .pillow, crop: Size(224),
        mean: imageNetMean, std: imageNetStd)

    /// openai/clip-vit-*: shortest edge 224, bicubic, center crop 224, CLIP mean/std.
    public static let clip = Preprocessing(
        resize: .shortestEdge(224), interpolation: .bicubic, resampler: .pillow, crop: Size(224),
        mean: clipMean, std: clipStd)

    /// RADIO: resize to `size x size` with torch's bilinear on [0, 1] floats, no crop, no
    /// normalisation (the model's input conditioner does it). `size` must be a multiple of
    /// `patchSize`; RADIO's preferred sizes are 432 (v2, v2.1), 768 (v2.5), 512 (C-RADIOv3/v4).
    public static func radio(size: Int, patchSize: Int = 16) -> Preprocessing {
        radio(height: size, width: size, patchSize: patchSize)
    }

    public static func radio(height: Int, width: Int, patchSize: Int = 16) -> Preprocessing {
        Preprocessing(resize: .exact(height: height, width: width), interpolation: .bilinear,
                      resampler: .torch, crop: nil, mean: [0, 0, 0], std: [1, 1, 1],
                      outputMultiple: patchSize)
    }

    /// The same preprocessing with another resize, e.g. `.dinov2.resizing(to: .shortestEdge(518))`.
    public func resizing(to resize: Resize?) -> Preprocessing {
        var copy = self
        copy.resize = resize
        return copy
    }

    /// The same preprocessing with another crop, e.g. `.dinov2.cropping(to: Size(518))`.
    public func cropping(to crop: Size?) -> Preprocessing {
        var copy = self
        copy.crop = crop
        return copy
    }
}

extension Preprocessing.Resize {
    /// The size an `inHeight x inWidth` image is resized to (before any crop).
    ///
    /// Shortest edge follows transformers' `get_resize_output_image_size(default_to_square=False)`:
    /// `new_long = int(n * long / short)` with a float64 quotient, truncated; a square image
    /// becomes `n x n`. (`max_size` is never passed by the PIL backend's shortest-edge path.)
    public func outputSize(height inHeight: Int, width inWidth: Int) -> Preprocessing.Size {
        switch self {
        case let .exact(height, width):
            return .init(height: height, width: width)
        case let .shortestEdge(n):
            let short = min(inHeight, inWidth), long = max(inHeight, inWidth)
            // Python divides the exact product; in doubles that is the same below 2^53. Clamped
            // so an absurd request fails the size check instead of overflowing.
            let newLong = Int(min(Double(n) * Double(long) / Double(short), Double(Int32.max)))
            return inWidth <= inHeight ? .init(height: newLong, width: n) : .init(height: n, width: newLong)
        }
    }
}

// Encoded like transformers' size dictionaries: {"shortestEdge": 256} or {"height": h, "width": w}.
extension Preprocessing.Resize: Codable {
    private enum Keys: String, CodingKey { case shortestEdge, height, width }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if let n = try c.decodeIfPresent(Int.self, forKey: .shortestEdge) {
            self = .shortestEdge(n)
        } else {
            self = .exact(height: try c.decode(Int.self, forKey: .height),
                          width: try c.decode(Int.self, forKey: .width))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .shortestEdge(n):
            try c.encode(n, forKey: .shortestEdge)
        case let .exact(height, width):
            try c.encode(height, forKey: .height)
            try c.encode(width, forKey: .width)
        }
    }
}
