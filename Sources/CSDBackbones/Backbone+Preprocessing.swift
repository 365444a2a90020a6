import CSDImage

extension Backbone {
    /// The preprocessing of this family's reference processor, at `imageSize` (nil: 224, or the
    /// model's own size when smaller, as for the tiny random models of demos and tests).
    public func preprocessing(imageSize: Int?) -> Preprocessing {
        let size = imageSize ?? min(224, nativeImageSize)
        switch family {
        case .dinov2:
            // DINOv2's processor resizes the short side to 256 for a 224 crop: keep that ratio.
            let resize = Int((Double(size) * 256 / 224).rounded())
            return Preprocessing.dinov2.resizing(to: .shortestEdge(resize)).cropping(to: .init(size))
        case .clip:
            return Preprocessing.clip.resizing(to: .shortestEdge(size)).cropping(to: .init(size))
        case .radio:
            let multiple = max(patchSize, (size / patchSize) * patchSize)
            return Preprocessing.radio(size: multiple, patchSize: patchSize)
        }
    }

    /// The side of the square image the model sees at `imageSize` (nil: the default above).
    public func inputSize(imageSize: Int?) -> Int {
        let size = imageSize ?? min(224, nativeImageSize)
        return family == .radio ? max(patchSize, (size / patchSize) * patchSize) : size
    }
}
