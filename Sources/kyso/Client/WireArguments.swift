public import ArgumentParser
public import KysoAPI
public import KysoCore

// The domain's and the API's own enums as command-line values: the CLI declares none of its own.
extension AccountRole: ExpressibleByArgument {}
extension SecretKind: ExpressibleByArgument {}
extension SealingMode: ExpressibleByArgument {}
extension SignatureMechanism: ExpressibleByArgument {}
extension RemoteSecretKind: ExpressibleByArgument {}
