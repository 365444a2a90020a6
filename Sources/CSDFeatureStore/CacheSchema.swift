/// The feature cache file (schema_version 1): one HDF5 file per (model, data set), readable by
/// h5py and every HDF5 tool.
///
///     /                           root attributes = provenance (`CacheProvenance`):
///         schema_version  int64   1
///         model_id        str     e.g. "facebook/dinov2-small"
///         weights_sha256  str     hex SHA-256 of the weights
///         token           str     "cls" | "pooler" | "image_embeds" | "summary" | ...
///         preprocessing   str     JSON object (size, crop, interpolation, mean, std)
///         dataset_id      str
///         dataset_fingerprint str
///         tool_version    str
///         dtype           str     "f32" | "f16" (the features' element type)
///         feature_dim     int64   D
///         matmul_precision str    "fp32" | "bf16" (the backbone's matrix products; absent = fp32)
///     /<split>/                   one group per split ("train", "test", ...), attributes:
///         rows            int64   rows of the split in the source data set
///         committed_rows  int64   rows stored (== rows, or the shard's range length)
///         class_names     str[]   class names in label order
///         row_range_start int64   shard files only: the first source row held
///         row_range_end   int64   shard files only: one past the last
///     /<split>/features           [N, D] float32 or float16 (IEEE, h5py float16)
///     /<split>/labels             [N] int64
///     /<split>/index              [N] int64, each row's position in the source split
///     /<split>/attributes/<name>  [N] float32, optional per-sample values (e.g. stripe width)
///
/// Strings are variable-length UTF-8 (h5py reads `str`), scalars are scalar dataspaces.
/// Datasets are chunked along N (chunks of at most 512 KiB, under HDF5's 1 MiB chunk cache),
/// extendible along N, uncompressed unless gzip was requested. No object timestamps are
/// stored, so equal content gives equal bytes.
///
/// The minimal schema, for features from other tools (README, "extract: the feature cache"): a
/// file without `schema_version` whose groups hold `features` [N, D] (any float type) and
/// `labels` [N] (any integer type) is read with unknown provenance (`FeatureCacheReader`).
///
/// The file is never modified in place: writers journal rows next to it
/// (`FeatureJournal`) and replace it whole, by rename, when a split is complete.
enum CacheSchema {
    static let featuresName = "features"
    static let labelsName = "labels"
    static let indexName = "index"
    static let attributesGroup = "attributes"

    static let rowsAttribute = "rows"
    static let committedRowsAttribute = "committed_rows"
    static let classNamesAttribute = "class_names"
    static let rowRangeStartAttribute = "row_range_start"
    static let rowRangeEndAttribute = "row_range_end"

    /// Group attributes that only describe how a shard fits its split (dropped by a merge).
    static let shardAttributes: Set<String> = [rowRangeStartAttribute, rowRangeEndAttribute]
}
