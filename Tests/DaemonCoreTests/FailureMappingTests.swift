@testable import KysoDaemon
import KysoAPI
import KysoCore
import KysoStore
import Testing

/// The one mapping from failures to HTTP answers.
@Suite("failures become problem details in one place")
struct FailureMappingTests {
    @Test("every problem code has a status and a title; the binding rules' codes are problem codes")
    func everyCode() {
        for code in ProblemCode.allCases {
            let problem = ProblemDetails(OperationFailure(code, "detail"))
            #expect((400...599).contains(problem.status) && !problem.title.isEmpty && problem.type == "urn:kyso:problem:\(code.rawValue)")
        }
        for code in BindingRefusal.Code.allCases { #expect(ProblemCode(rawValue: code.rawValue) != nil, "\(code)") }
    }

    @Test("a binding refusal reads 'Binding refused', 409 for conflicts and 422 otherwise, whatever its code")
    func refusals() {
        let conflict = ProblemDetails(OperationFailure(refusal: BindingRefusal(.userIdTaken, "taken")))
        #expect(conflict.status == 409 && conflict.title == "Binding refused" && conflict.code == "user-id-taken")
        let expired = ProblemDetails(OperationFailure(refusal: BindingRefusal(.certificateExpired, "expired")))
        #expect(expired.status == 422 && expired.title == "Binding refused")
        // The same code outside the binding rules keeps its own title.
        #expect(ProblemDetails(OperationFailure(.certificateExpired)).title == "Certificate not valid now")
    }

    @Test("the audit outcome follows the failure: token, PIN and kysod failures failed, refused requests refused")
    func auditOutcome() {
        // The rule the audit used when it read HTTP statuses: 401, 410 and 5xx were failures.
        for code in ProblemCode.allCases {
            let status = ProblemDetails(OperationFailure(code)).status
            let expected: AuditOutcome = status == 401 || status == 410 || status >= 500 ? .failed : .refused
            #expect(OperationFailure(code).auditOutcome == expected, "\(code)")
        }
    }
}
