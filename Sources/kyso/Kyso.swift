import ArgumentParser
import KysoAPI

/// The root command; started by KysoEntry once the language is chosen (Language+Kyso.swift).
struct Kyso: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
        commandName: "kyso",
        abstract: tr("kyso.abstract"),
        discussion: tr("kyso.discussion"),
        version: KysoVersion.current,  // kysod's too; debian/rules checks both against debian/changelog
        subcommands: [
            DoctorCommand.self, CertCommand.self, StatusCommand.self, TokensCommand.self, WatchCommand.self,
            SignCommand.self, LogoutCommand.self,
            RegisterCommand.self, BindCommand.self, BindingsCommand.self, UnbindCommand.self, RebindCommand.self,
            SecretCommand.self, AccountCommand.self, AuditCommand.self, BackupCommand.self, RestoreCommand.self, BrowserCommand.self,
            RemoteCommand.self, NotifyCommand.self,
        ]
    )
    }
}
