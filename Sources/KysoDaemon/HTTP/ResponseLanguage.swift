import KysoText

/// The language of the request being answered, from its Accept-Language (English when it names none Kyso has).
/// A task-local, set once by the Router around the handler, so every answer built while handling the request
/// (problem details, PIN words, certificate warnings) is in it without each handler passing it along.
enum ResponseLanguage {
    @TaskLocal static var current: Language = .en

    static var text: Messages { Messages.forLanguage(current) }
}

/// Wire values with texts for people in them, worded for the request's language before they are encoded.
protocol LanguageDependent: Encodable {
    func worded(_ text: Messages) -> Self
}
