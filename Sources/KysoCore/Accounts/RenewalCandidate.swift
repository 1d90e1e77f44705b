/// A declarant binding whose certificate is gone or expired while a newer certificate of the same tax code and
/// holder is present: the user should sign a new statement with it and rebind (`binding.renewal-needed`).
public struct RenewalCandidate: Sendable, Hashable {
    public let binding: AccountBinding
    /// The present certificate that looks like the renewal.
    public let certificate: CertificateProfile
    /// Whether the bound certificate is still present (expired) rather than gone.
    public let boundCertificatePresent: Bool

    public init(binding: AccountBinding, certificate: CertificateProfile, boundCertificatePresent: Bool) {
        self.binding = binding
        self.certificate = certificate
        self.boundCertificatePresent = boundCertificatePresent
    }
}
