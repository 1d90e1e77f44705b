// The real p11-kit headers; Swift sees PKCS#11 types exactly as C does.
#include <p11-kit/pkcs11.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
