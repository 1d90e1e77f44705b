import CPCSCLite

/// The one place every pcsc-lite return code is checked: success passes, anything else throws
/// a ``PCSCError`` naming `function`.
@inline(__always)
func check(_ returnValue: LONG, _ function: String) throws(PCSCError) {
    guard returnValue != SCARD_S_SUCCESS else { return }
    throw PCSCError(code: PCSCError.Code(rawValue: Int(returnValue)), function: function)
}
