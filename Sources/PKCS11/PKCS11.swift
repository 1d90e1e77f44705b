enum PKCS11Placeholder {}
