/// The tool version recorded in every cache's provenance and every probe result.
public enum ToolVersion {
    public static let current = "csd 0.3.0"
}
