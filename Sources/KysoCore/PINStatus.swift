public import KysoText

/// What a token's flags say about its user PIN, in the words a declarant needs before typing it.
///
/// Built from the PKCS#11 `CKF_USER_PIN_*` flags, which tokens update after every login attempt. Kyso
/// reads them before each login so that no request of its own can lock a token by accident.
public struct PINStatus: Hashable, Sendable, Codable {
    public enum State: String, Hashable, Sendable, Codable {
        /// No failed attempts the token admits to.
        case ok
        /// At least one wrong PIN since the last success (`CKF_USER_PIN_COUNT_LOW`).
        case countLow
        /// One try left: the next wrong PIN locks the token (`CKF_USER_PIN_FINAL_TRY`).
        case finalTry
        /// Locked (`CKF_USER_PIN_LOCKED`): only the SO PIN or the vendor's tool can unlock it.
        case locked
        /// The user PIN was never set (`CKF_USER_PIN_INITIALIZED` missing).
        case notInitialized
    }

    public let state: State
    /// The token asks for a new PIN before use (`CKF_USER_PIN_TO_BE_CHANGED`).
    public let mustChange: Bool
    /// The PIN is entered on the device itself (`CKF_PROTECTED_AUTHENTICATION_PATH`), never sent by Kyso.
    public let protectedAuthenticationPath: Bool
    /// Whether signing needs a login at all (`CKF_LOGIN_REQUIRED`).
    public let loginRequired: Bool

    public init(
        locked: Bool, finalTry: Bool, countLow: Bool, initialized: Bool = true, mustChange: Bool = false,
        protectedAuthenticationPath: Bool = false, loginRequired: Bool = true
    ) {
        // The most severe flag wins: a token may set COUNT_LOW and FINAL_TRY together.
        if locked { state = .locked }
        else if !initialized { state = .notInitialized }
        else if finalTry { state = .finalTry }
        else if countLow { state = .countLow }
        else { state = .ok }
        self.mustChange = mustChange
        self.protectedAuthenticationPath = protectedAuthenticationPath
        self.loginRequired = loginRequired
    }

    /// One sentence for people, in English (the API's default; `words(_:)` for another language).
    public var words: String { words(Messages.forLanguage(.en)) }

    /// One sentence for people: the state, then each further condition as a clause of its own.
    public func words(_ text: Messages) -> String {
        var clauses = [text("pin.state.\(state.rawValue)")]
        if mustChange { clauses.append(text("pin.mustChange")) }
        if protectedAuthenticationPath { clauses.append(text("pin.protectedPath")) }
        if !loginRequired { clauses.append(text("pin.noLogin")) }
        return clauses.joined(separator: "; ")
    }
}
