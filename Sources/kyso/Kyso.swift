import ArgumentParser
import KysoAPI

@main
struct Kyso: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kyso",
        abstract: "Digital-signature tokens for Vietnamese customs declarants.",
        version: KysoVersion.current,  // kysod's too; debian/rules checks both against debian/changelog
        subcommands: [
            DoctorCommand.self, CertCommand.self, StatusCommand.self, TokensCommand.self, WatchCommand.self,
            SignCommand.self, LogoutCommand.self,
            RegisterCommand.self, BindCommand.self, BindingsCommand.self, UnbindCommand.self, RebindCommand.self,
            SecretCommand.self, AccountCommand.self, AuditCommand.self, BrowserCommand.self, RemoteCommand.self,
        ]
    )
}
