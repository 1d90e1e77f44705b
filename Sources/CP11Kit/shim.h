// The real p11-kit headers; Swift sees PKCS#11 types exactly as C does.
// remote.h's serving functions sit behind p11-kit's "future unstable API" guard; they are exported by every
// libp11-kit since 0.23 and are what the `p11-kit remote` command itself calls.
#define P11_KIT_FUTURE_UNSTABLE_API 1
#include <p11-kit/pkcs11.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <p11-kit/remote.h>

// Macros with casts are not imported by Swift; re-export their values (types stay the header's own).
static const CK_RV kyso_CKR_VENDOR_DEFINED = CKR_VENDOR_DEFINED;
static const CK_ULONG kyso_CK_UNAVAILABLE_INFORMATION = CK_UNAVAILABLE_INFORMATION;
