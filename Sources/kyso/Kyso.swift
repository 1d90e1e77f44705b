import ArgumentParser

@main
struct Kyso: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kyso",
        abstract: "Digital-signature tokens for Vietnamese customs declarants.",
        version: "0.1.0",  // kysod's (Sources/kysod/Kysod.swift); debian/rules checks both against debian/changelog
        subcommands: [
            DoctorCommand.self, CertCommand.self, StatusCommand.self, TokensCommand.self, WatchCommand.self,
            SignCommand.self, LogoutCommand.self,
            RegisterCommand.self, BindCommand.self, BindingsCommand.self, UnbindCommand.self, RebindCommand.self,
            SecretCommand.self, AuditCommand.self, BrowserCommand.self,
        ]
    )
}
