/// The version of Kyso's programs: `kysod --version`, `kyso --version` and `GET /v1/status` say the same.
public enum KysoVersion {
    public static let current = "0.1.0"
}
