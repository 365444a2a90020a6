import CSDTensor

extension Image {
    /// Resizes exactly as Pillow 13's `Image.resize((width, height), BILINEAR | BICUBIC)` does on
    /// "L" and "RGB" images, byte for byte.
    ///
    /// Pillow (libImaging/Resample.c, `ImagingResampleInner`) works in two separable passes on
    /// 8-bit data: horizontal first, into a temporary image holding only the rows the vertical
    /// taps will read, then vertical. Each pass is skipped when its axis keeps its size, and the
    /// result of each pass is rounded and clamped to a byte. Each output byte is
    /// `clip8(2^21 + sum(pixel * fixed_point_weight))` in 32-bit integers.
    public func resized(height outHeight: Int, width outWidth: Int,
                        interpolation: Interpolation) throws -> Image {
        guard outHeight >= 1, outWidth >= 1 else {
            throw ImageError.invalidTargetSize(height: outHeight, width: outWidth)
        }
        _ = try Image.byteCount(height: outHeight, width: outWidth, channels: channels)
        return resizedUnchecked(height: outHeight, width: outWidth, interpolation: interpolation)
    }

    func resizedUnchecked(height outHeight: Int, width outWidth: Int,
                          interpolation: Interpolation) -> Image {
        let needHorizontal = outWidth != width
        let needVertical = outHeight != height
        if !needHorizontal && !needVertical { return self }

        let vertical = ResampleCoefficients(inSize: height, outSize: outHeight, interpolation: interpolation)
        guard needHorizontal else {
            return verticalPass(vertical, sourceRowOffset: 0)
        }
        // Only the source rows some vertical tap reads go through the horizontal pass.
        let firstRow = vertical.first[0]
        let endRow = vertical.first[outHeight - 1] + vertical.count[outHeight - 1]
        let horizontal = ResampleCoefficients(inSize: width, outSize: outWidth, interpolation: interpolation)
        let band = horizontalPass(horizontal, rows: firstRow..<endRow)
        guard needVertical else { return band }
        return band.verticalPass(vertical, sourceRowOffset: firstRow)
    }

    /// Rows `rows` of `self`, resampled along x to `coefficients`' output width.
    private func horizontalPass(_ coefficients: ResampleCoefficients, rows: Range<Int>) -> Image {
        let outWidth = coefficients.first.count
        let c = channels
        let inRowBytes = width * c
        let outRowBytes = outWidth * c
        let grain = Image.rowGrain(bytesPerRow: outRowBytes, taps: coefficients.taps)
        return pixels.withUnsafeBufferPointer { src in
            coefficients.weights.withUnsafeBufferPointer { weights in
                Image.build(height: rows.count, width: outWidth, channels: c) { dst in
                    Threads.parallelFor(rows.count, grain: grain) { range in
                        for y in range {
                            let inRow = src.baseAddress! + (rows.lowerBound + y) * inRowBytes
                            let outRow = dst + y * outRowBytes
                            for x in 0..<outWidth {
                                let lo = coefficients.first[x]
                                let n = coefficients.count[x]
                                let k = weights.baseAddress! + x * coefficients.taps
                                for ch in 0..<c {
                                    var acc = ResampleCoefficients.roundingBias
                                    var p = inRow + lo * c + ch
                                    for j in 0..<n {
                                        acc &+= Int32(p.pointee) &* k[j]
                                        p += c
                                    }
                                    outRow[x * c + ch] = ResampleCoefficients.clip8(acc)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Resampled along y; output row i reads source rows `first[i] - sourceRowOffset ...`.
    private func verticalPass(_ coefficients: ResampleCoefficients, sourceRowOffset: Int) -> Image {
        let outHeight = coefficients.first.count
        let rowBytes = width * channels
        let grain = Image.rowGrain(bytesPerRow: rowBytes, taps: coefficients.taps)
        return pixels.withUnsafeBufferPointer { src in
            coefficients.weights.withUnsafeBufferPointer { weights in
                Image.build(height: outHeight, width: width, channels: channels) { dst in
                    Threads.parallelFor(outHeight, grain: grain) { range in
                        // Row-at-a-time accumulation (integer sums, so the order is free)
                        // keeps the inner loop contiguous and vectorisable.
                        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: rowBytes)
                        defer { acc.deallocate() }
                        for y in range {
                            let lo = coefficients.first[y] - sourceRowOffset
                            let k = weights.baseAddress! + y * coefficients.taps
                            acc.initialize(repeating: ResampleCoefficients.roundingBias, count: rowBytes)
                            for j in 0..<coefficients.count[y] {
                                let row = src.baseAddress! + (lo + j) * rowBytes
                                let weight = k[j]
                                for i in 0..<rowBytes { acc[i] &+= Int32(row[i]) &* weight }
                            }
                            let outRow = dst + y * rowBytes
                            for i in 0..<rowBytes { outRow[i] = ResampleCoefficients.clip8(acc[i]) }
                        }
                    }
                }
            }
        }
    }

    /// Rows per parallel chunk: enough multiply-adds (about 32k) to be worth a thread.
    static func rowGrain(bytesPerRow: Int, taps: Int) -> Int {
        max(1, (1 << 15) / max(1, bytesPerRow * taps))
    }
}
