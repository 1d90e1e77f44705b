import KysoAPI

// The account endpoints' wire requests read into the services' commands.

extension RegistrationOrder {
    init(_ request: RegistrationRequest, caller: UInt32) {
        self.init(role: request.role, taxCode: request.taxCode, userId: request.userId, terminalId: request.terminalId,
                  challenge: request.challenge.map(Array.init), certificate: request.certificate,
                  authorization: KeyAuthorization(caller: caller, pin: request.pin, allowFinalTry: request.allowFinalTry ?? false, otp: request.otp))
    }
}

extension BindingOrder {
    init(_ request: BindingCreateRequest, caller: UInt32) {
        self.init(statement: Array(request.statement), signature: Array(request.signature), terminalAccessKey: request.terminalAccessKey,
                  password: request.password, sealing: request.sealing ?? .auto,
                  authorization: KeyAuthorization(caller: caller, pin: request.pin, allowFinalTry: request.allowFinalTry ?? false))
    }
}
