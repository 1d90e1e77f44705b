// The real p11-kit headers; Swift sees PKCS#11 types exactly as C does.
#include <p11-kit/pkcs11.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

// Macros with casts are not imported by Swift; re-export their values (types stay the header's own).
static const CK_RV kyso_CKR_VENDOR_DEFINED = CKR_VENDOR_DEFINED;
static const CK_ULONG kyso_CK_UNAVAILABLE_INFORMATION = CK_UNAVAILABLE_INFORMATION;
