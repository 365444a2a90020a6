/// The checks every family's config gets before any size is used: a hostile or broken
/// `config.json` (a patch of 0, heads that do not divide the width, a negative epsilon, a width
/// of a billion) stops with the file and field named, instead of a division by zero or an
/// allocation the machine cannot make.
enum EncoderShapeCheck {
    /// Upper bounds far above any released ViT (ViT-22B: width 6144, 48 layers, 48 heads).
    static let maximumWidth = 65536, maximumLayers = 1024, maximumSide = 16384
    /// Class and register tokens (DINOv2 and RADIO use 1 to 16).
    static let maximumPrefixTokens = 1024

    /// Width, depth, heads and patch, as read from the fields named.
    static func check(file: String, width: (String, Int), layers: (String, Int), heads: (String, Int),
                      patch: (String, Int)) throws {
        for (field, value, maximum) in [(width.0, width.1, maximumWidth), (heads.0, heads.1, maximumWidth),
                                        (patch.0, patch.1, maximumSide)] where !(1...maximum).contains(value) {
            throw BackboneConfigError(file: file, "field '\(field)': \(value) is not a size between 1 and \(maximum)")
        }
        guard (0...maximumLayers).contains(layers.1) else {
            throw BackboneConfigError(file: file, "field '\(layers.0)': \(layers.1) is not a layer count between 0 and \(maximumLayers)")
        }
        guard width.1 % heads.1 == 0 else {
            throw BackboneConfigError(file: file, "field '\(heads.0)': \(heads.1) does not divide \(width.0) \(width.1)")
        }
    }

    /// The MLP width, the norm's epsilon and (where there is one) the image side.
    static func check(file: String, mlp: (String, Int), epsilon: (String, Float), image: (String, Int)? = nil,
                      patch: Int) throws {
        guard (1...(16 * maximumWidth)).contains(mlp.1) else {
            throw BackboneConfigError(file: file, "field '\(mlp.0)': the MLP width \(mlp.1) is not between 1 and \(16 * maximumWidth)")
        }
        guard epsilon.1.isFinite, epsilon.1 > 0 else {
            throw BackboneConfigError(file: file, "field '\(epsilon.0)': \(epsilon.1) is not a positive finite number")
        }
        if let image, !(patch...maximumSide).contains(image.1) {
            throw BackboneConfigError(file: file, "field '\(image.0)': \(image.1) is not an image side between patch_size (\(patch)) and \(maximumSide)")
        }
    }

    /// A count of tokens or a width read from `field`, within `range` before anything is sized by it.
    static func count(file: String, _ field: String, _ value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else {
            throw BackboneConfigError(file: file, "field '\(field)': \(value) is not between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// The MLP's width over the model's (default 4), checked before it multiplies anything.
    static func mlpRatio(_ c: ConfigObject, _ key: String) throws -> Double {
        let ratio = try c.double(key, default: 4)
        guard ratio.isFinite, ratio > 0, ratio <= 16 else {
            throw BackboneConfigError(file: c.file, "field '\(key)': \(ratio) is not a ratio between 0 and 16")
        }
        return ratio
    }
}
