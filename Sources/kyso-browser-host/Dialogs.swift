import Crypto
import Foundation
import KysoCore
import KysoBrowser

/// The texts of Kyso's dialogs, in Vietnamese first (declarants read it) with English below. Everything the
/// page controls (its origin only: never a page-supplied label) is shown as is; pinentry draws it as plain text.
enum Dialogs {
    static let title = "Kyso — chữ ký số"

    static func consent(_ origin: String) -> Pinentry.Texts {
        Pinentry.Texts(
            title: title,
            description: """
                Trang web \(origin) muốn xem các chứng thư số trên token của bạn (tên, mã số thuế, CA).
                Chỉ cho phép nếu bạn tin trang này. Mỗi lần ký vẫn cần bạn nhập PIN.

                The site \(origin) asks to see the certificates on your token. Allow it only if you trust it.
                """,
            ok: "Cho phép / Allow", cancel: "Từ chối / Refuse")
    }

    /// Every signature: who asks, with which certificate, and what exactly is signed.
    static func signature(origin: String, certificate: PageCertificate, what: String, pinPad: Bool) -> Pinentry.Texts {
        Pinentry.Texts(
            title: title,
            description: """
                Trang web: \(origin)
                Chứng thư: \(holder(certificate))
                Mã số thuế: \(certificate.taxCode ?? "(không có)")
                CA: \(certificate.ca)
                Ký / Signing: \(what)

                \(pinPad ? "Nhập PIN trên bàn phím của đầu đọc. / Enter the PIN on the reader's keypad." : "Nhập PIN của token để ký. / Enter the token's PIN to sign.")
                """,
            prompt: pinPad ? nil : "PIN:",
            ok: "Ký / Sign", cancel: "Huỷ / Cancel")
    }

    /// The holder, and the organisation when it says more (a company's certificate often has CN = O).
    static func holder(_ certificate: PageCertificate) -> String {
        let name = certificate.holder ?? "(không tên)"
        guard let organization = certificate.organization, organization != certificate.holder else { return name }
        return "\(name) — \(organization)"
    }

    static func signing(hash: [UInt8]) -> String { "SHA-256 " + Hex.lowercase(hash) }

    static func signing(data: [UInt8], output: String) -> String {
        "\(data.count) byte (SHA-256 \(signing(hash: Array(SHA256.hash(data: data))).dropFirst(8))), \(output == "cms" ? "CMS" : "raw")"
    }

    static func authentication(origin: String) -> String {
        "đăng nhập vào \(origin) / sign in to \(origin)"
    }
}
