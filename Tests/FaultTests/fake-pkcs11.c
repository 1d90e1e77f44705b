/*
 * A fake PKCS#11 module for Kyso's fault-injection tests (Tests/FaultTests). Test code only.
 *
 * One slot holding one token ("kyso-fake", serial FAKE0001) with one certificate and a private key of the
 * same CKA_ID. It misbehaves on demand so kysod can be shown to survive what real vendor modules do.
 *
 * Built by the tests with `cc -shared -fPIC` into their own temp folder (FakeModule.swift), not as a
 * SwiftPM target: a .dynamic library product in a test folder is not built by `swift test` reliably, and
 * a plain cc build needs nothing but the p11-kit headers the package already requires.
 *
 * Environment, read when the module is initialised:
 *   FAKE_P11_CERT     path of the certificate (DER) the token holds (required)
 *   FAKE_P11_CONTROL  path of a control file, read again on every call that can misbehave:
 *                       sign=hang             C_Sign sleeps 10 minutes
 *                       sign=device-removed   C_Sign returns CKR_DEVICE_REMOVED
 *                       sign=session-invalid  C_Sign returns CKR_SESSION_HANDLE_INVALID
 *                       sign=general-error    C_Sign returns CKR_GENERAL_ERROR
 *                       sign=slow             C_Sign takes 1 s, then behaves
 *                       sign=abort|segfault|exit   C_Sign ends the process: abort(), a NULL write, _exit(3)
 *                       slots=crash           C_GetSlotList calls abort() (also slots=abort)
 *                       slots=segfault|exit   C_GetSlotList writes through NULL, or calls _exit(3)
 *                       init=hang             C_Initialize waits until the control file stops saying so
 *                       slots=empty           C_GetSlotList lists no slot (the token was pulled)
 *                       slots=general-error   C_GetSlotList returns CKR_GENERAL_ERROR
 *                       slots=device-error    C_GetSlotList returns CKR_DEVICE_ERROR
 *                       slots=hang            C_GetSlotList waits until the control file stops saying so
 *                       finalize=hang         C_Finalize waits until the control file stops saying so
 *                     (one setting a line; a missing file or key means "behave"; a behaving C_Sign returns
 *                     256 bytes that are not a valid signature: the tests are about faults, not signing)
 *   FAKE_P11_TRACE    optional file the module appends one line to per interesting call ("C_Sign enter",
 *                     "C_Sign done", "C_GetSlotList", "C_OpenSession", "C_CloseSession", "C_Logout"), so a test
 *                     knows when a call is in flight, a rescan happened, or a session was left open.
 */
#include <p11-kit/pkcs11.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOT_ID 1
#define MAX_SESSIONS 64
#define CERT_HANDLE 1
#define KEY_HANDLE 2

static const unsigned char object_id[] = { 0x01, 0x02, 0x03, 0x04 };
static const char object_label[] = "kyso-fake-key";

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static unsigned char *certificate;
static size_t certificate_length;

struct session {
    int open;
    int logged_in;
    CK_OBJECT_HANDLE found[2];
    CK_ULONG found_count;
    CK_ULONG found_next;
    int signing;
};
static struct session sessions[MAX_SESSIONS + 1];

static void trace(const char *what)
{
    const char *path = getenv("FAKE_P11_TRACE");
    if (path == NULL) return;
    FILE *file = fopen(path, "a");
    if (file == NULL) return;
    fprintf(file, "%s\n", what);
    fclose(file);
}

/* The control file's value for `key`, copied into `value` ("" when unset). */
static void control(const char *key, char *value, size_t size)
{
    value[0] = '\0';
    const char *path = getenv("FAKE_P11_CONTROL");
    if (path == NULL) return;
    FILE *file = fopen(path, "r");
    if (file == NULL) return;
    char line[256];
    size_t key_length = strlen(key);
    while (fgets(line, sizeof line, file) != NULL) {
        if (strncmp(line, key, key_length) == 0 && line[key_length] == '=') {
            snprintf(value, size, "%s", line + key_length + 1);
            value[strcspn(value, "\r\n ")] = '\0';
        }
    }
    fclose(file);
}

static void pad(unsigned char *field, size_t size, const char *text)
{
    memset(field, ' ', size);
    size_t length = strlen(text);
    memcpy(field, text, length < size ? length : size);
}

static CK_RV load_certificate(void)
{
    const char *path = getenv("FAKE_P11_CERT");
    if (path == NULL) return CKR_ARGUMENTS_BAD;
    FILE *file = fopen(path, "rb");
    if (file == NULL) return CKR_ARGUMENTS_BAD;
    unsigned char buffer[16384];
    size_t length = fread(buffer, 1, sizeof buffer, file);
    fclose(file);
    if (length == 0) return CKR_ARGUMENTS_BAD;
    certificate = malloc(length);
    if (certificate == NULL) return CKR_HOST_MEMORY;
    memcpy(certificate, buffer, length);
    certificate_length = length;
    return CKR_OK;
}

static struct session *session_for(CK_SESSION_HANDLE handle)
{
    if (handle == 0 || handle > MAX_SESSIONS || !sessions[handle].open) return NULL;
    return &sessions[handle];
}

static void hang_while(const char *key);

static CK_RV fake_Initialize(CK_VOID_PTR args)
{
    (void)args;
    char mode[64];
    control("init", mode, sizeof mode);
    if (strcmp(mode, "hang") == 0) {
        trace("C_Initialize hang");
        hang_while("init");
    }
    trace("C_Initialize");
    pthread_mutex_lock(&lock);
    CK_RV rv = CKR_OK;
    if (initialized) rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
    else if ((rv = load_certificate()) == CKR_OK) initialized = 1;
    pthread_mutex_unlock(&lock);
    return rv;
}

/* Ends the process the way a broken driver does, when `mode` says so (trace line "<who> <mode>" first). */
static void die_if_asked(const char *mode, const char *who)
{
    char line[96];
    if (strcmp(mode, "crash") == 0 || strcmp(mode, "abort") == 0) {
        snprintf(line, sizeof line, "%s abort", who);
        trace(line);
        abort();
    }
    if (strcmp(mode, "segfault") == 0) {
        snprintf(line, sizeof line, "%s segfault", who);
        trace(line);
        *(volatile int *)0 = 1;
    }
    if (strcmp(mode, "exit") == 0) {
        snprintf(line, sizeof line, "%s exit", who);
        trace(line);
        _exit(3);
    }
}

/* Blocks while the control file says `key=hang` (polled every 20 ms), like a call stuck inside a driver that
 * a test can release. */
static void hang_while(const char *key)
{
    char mode[64];
    for (;;) {
        control(key, mode, sizeof mode);
        if (strcmp(mode, "hang") != 0) return;
        usleep(20000);
    }
}

static CK_RV fake_Finalize(CK_VOID_PTR reserved)
{
    (void)reserved;
    char mode[64];
    control("finalize", mode, sizeof mode);
    if (strcmp(mode, "hang") == 0) {
        trace("C_Finalize hang");
        hang_while("finalize");
    }
    pthread_mutex_lock(&lock);
    initialized = 0;
    memset(sessions, 0, sizeof sessions);
    free(certificate);
    certificate = NULL;
    pthread_mutex_unlock(&lock);
    trace("C_Finalize");
    return CKR_OK;
}

static CK_RV fake_GetInfo(CK_INFO_PTR info)
{
    memset(info, 0, sizeof *info);
    info->cryptokiVersion.major = 2;
    info->cryptokiVersion.minor = 40;
    pad(info->manufacturerID, sizeof info->manufacturerID, "Kyso fault lab");
    pad(info->libraryDescription, sizeof info->libraryDescription, "Kyso fake PKCS#11 module");
    info->libraryVersion.major = 1;
    return CKR_OK;
}

static CK_RV fake_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    (void)present;
    char mode[64];
    control("slots", mode, sizeof mode);
    die_if_asked(mode, "C_GetSlotList");
    if (strcmp(mode, "hang") == 0) {
        trace("C_GetSlotList hang");
        hang_while("slots");
        trace("C_GetSlotList released");
    }
    trace("C_GetSlotList");
    if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
    if (strcmp(mode, "general-error") == 0) return CKR_GENERAL_ERROR;
    if (strcmp(mode, "device-error") == 0) return CKR_DEVICE_ERROR;
    if (strcmp(mode, "empty") == 0) { *count = 0; return CKR_OK; }
    if (list == NULL) { *count = 1; return CKR_OK; }
    if (*count < 1) { *count = 1; return CKR_BUFFER_TOO_SMALL; }
    list[0] = SLOT_ID;
    *count = 1;
    return CKR_OK;
}

static CK_RV fake_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
    if (slot != SLOT_ID) return CKR_SLOT_ID_INVALID;
    memset(info, 0, sizeof *info);
    pad(info->slotDescription, sizeof info->slotDescription, "Kyso fake slot");
    pad(info->manufacturerID, sizeof info->manufacturerID, "Kyso fault lab");
    info->flags = CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
    return CKR_OK;
}

static CK_RV fake_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    if (slot != SLOT_ID) return CKR_SLOT_ID_INVALID;
    memset(info, 0, sizeof *info);
    pad(info->label, sizeof info->label, "kyso-fake");
    pad(info->manufacturerID, sizeof info->manufacturerID, "Kyso fault lab");
    pad(info->model, sizeof info->model, "fake");
    pad(info->serialNumber, sizeof info->serialNumber, "FAKE0001");
    info->flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
    info->ulMaxSessionCount = MAX_SESSIONS;
    info->ulMaxPinLen = 16;
    info->ulMinPinLen = 4;
    return CKR_OK;
}

static CK_RV fake_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
    if (slot != SLOT_ID) return CKR_SLOT_ID_INVALID;
    if (list == NULL) { *count = 2; return CKR_OK; }
    if (*count < 2) { *count = 2; return CKR_BUFFER_TOO_SMALL; }
    list[0] = CKM_RSA_PKCS;
    list[1] = CKM_SHA256_RSA_PKCS;
    *count = 2;
    return CKR_OK;
}

static CK_RV fake_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR handle)
{
    (void)flags; (void)app; (void)notify;
    if (slot != SLOT_ID) return CKR_SLOT_ID_INVALID;
    pthread_mutex_lock(&lock);
    for (CK_SESSION_HANDLE h = 1; h <= MAX_SESSIONS; h++) {
        if (!sessions[h].open) {
            memset(&sessions[h], 0, sizeof sessions[h]);
            sessions[h].open = 1;
            *handle = h;
            pthread_mutex_unlock(&lock);
            trace("C_OpenSession");
            return CKR_OK;
        }
    }
    pthread_mutex_unlock(&lock);
    return CKR_SESSION_COUNT;
}

static CK_RV fake_CloseSession(CK_SESSION_HANDLE handle)
{
    pthread_mutex_lock(&lock);
    struct session *s = session_for(handle);
    if (s != NULL) s->open = 0;
    pthread_mutex_unlock(&lock);
    if (s != NULL) trace("C_CloseSession");
    return s == NULL ? CKR_SESSION_HANDLE_INVALID : CKR_OK;
}

static CK_RV fake_CloseAllSessions(CK_SLOT_ID slot)
{
    (void)slot;
    pthread_mutex_lock(&lock);
    for (int h = 1; h <= MAX_SESSIONS; h++) sessions[h].open = 0;
    pthread_mutex_unlock(&lock);
    return CKR_OK;
}

static CK_RV fake_GetSessionInfo(CK_SESSION_HANDLE handle, CK_SESSION_INFO_PTR info)
{
    struct session *s = session_for(handle);
    if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
    memset(info, 0, sizeof *info);
    info->slotID = SLOT_ID;
    info->state = s->logged_in ? CKS_RO_USER_FUNCTIONS : CKS_RO_PUBLIC_SESSION;
    info->flags = CKF_SERIAL_SESSION;
    return CKR_OK;
}

static CK_RV fake_Login(CK_SESSION_HANDLE handle, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG length)
{
    (void)user;
    struct session *s = session_for(handle);
    if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
    if (pin == NULL || length != 6 || memcmp(pin, "123456", 6) != 0) return CKR_PIN_INCORRECT;
    s->logged_in = 1;
    return CKR_OK;
}

static CK_RV fake_Logout(CK_SESSION_HANDLE handle)
{
    struct session *s = session_for(handle);
    if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
    if (!s->logged_in) return CKR_USER_NOT_LOGGED_IN;
    s->logged_in = 0;
    trace("C_Logout");
    return CKR_OK;
}

/* Copies one attribute value following the PKCS#11 size-then-value convention. */
static CK_RV put(CK_ATTRIBUTE_PTR attribute, const void *value, CK_ULONG length)
{
    if (attribute->pValue == NULL) { attribute->ulValueLen = length; return CKR_OK; }
    if (attribute->ulValueLen < length) { attribute->ulValueLen = CK_UNAVAILABLE_INFORMATION; return CKR_BUFFER_TOO_SMALL; }
    memcpy(attribute->pValue, value, length);
    attribute->ulValueLen = length;
    return CKR_OK;
}

static CK_RV attribute_of(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR attribute)
{
    CK_OBJECT_CLASS class_ = object == CERT_HANDLE ? CKO_CERTIFICATE : CKO_PRIVATE_KEY;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_CERTIFICATE_TYPE x509 = CKC_X_509;
    CK_KEY_TYPE rsa = CKK_RSA;
    switch (attribute->type) {
    case CKA_CLASS: return put(attribute, &class_, sizeof class_);
    case CKA_ID: return put(attribute, object_id, sizeof object_id);
    case CKA_LABEL: return put(attribute, object_label, strlen(object_label));
    case CKA_TOKEN: return put(attribute, &yes, sizeof yes);
    case CKA_PRIVATE: return put(attribute, &no, sizeof no);
    case CKA_VALUE:
        if (object != CERT_HANDLE) break;
        return put(attribute, certificate, certificate_length);
    case CKA_CERTIFICATE_TYPE:
        if (object != CERT_HANDLE) break;
        return put(attribute, &x509, sizeof x509);
    case CKA_KEY_TYPE:
        if (object != KEY_HANDLE) break;
        return put(attribute, &rsa, sizeof rsa);
    case CKA_SIGN:
        if (object != KEY_HANDLE) break;
        return put(attribute, &yes, sizeof yes);
    }
    attribute->ulValueLen = CK_UNAVAILABLE_INFORMATION;
    return CKR_ATTRIBUTE_TYPE_INVALID;
}

static CK_RV fake_GetAttributeValue(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR template, CK_ULONG count)
{
    if (session_for(handle) == NULL) return CKR_SESSION_HANDLE_INVALID;
    if (object != CERT_HANDLE && object != KEY_HANDLE) return CKR_OBJECT_HANDLE_INVALID;
    CK_RV result = CKR_OK;
    for (CK_ULONG i = 0; i < count; i++) {
        CK_RV rv = attribute_of(object, &template[i]);
        if (rv != CKR_OK) result = rv;
    }
    return result;
}

/* Whether `object` has every attribute of `template` with the same value. */
static int matches(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR template, CK_ULONG count)
{
    for (CK_ULONG i = 0; i < count; i++) {
        unsigned char buffer[16384];
        CK_ATTRIBUTE probe = { template[i].type, buffer, sizeof buffer };
        if (attribute_of(object, &probe) != CKR_OK) return 0;
        if (probe.ulValueLen != template[i].ulValueLen || memcmp(buffer, template[i].pValue, probe.ulValueLen) != 0) return 0;
    }
    return 1;
}

static CK_RV fake_FindObjectsInit(CK_SESSION_HANDLE handle, CK_ATTRIBUTE_PTR template, CK_ULONG count)
{
    struct session *s = session_for(handle);
    if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
    s->found_count = 0;
    s->found_next = 0;
    if (matches(CERT_HANDLE, template, count)) s->found[s->found_count++] = CERT_HANDLE;
    if (matches(KEY_HANDLE, template, count)) s->found[s->found_count++] = KEY_HANDLE;
    return CKR_OK;
}

static CK_RV fake_FindObjects(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE_PTR objects, CK_ULONG max, CK_ULONG_PTR count)
{
    struct session *s = session_for(handle);
    if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
    *count = 0;
    while (*count < max && s->found_next < s->found_count) objects[(*count)++] = s->found[s->found_next++];
    return CKR_OK;
}

static CK_RV fake_FindObjectsFinal(CK_SESSION_HANDLE handle)
{
    return session_for(handle) == NULL ? CKR_SESSION_HANDLE_INVALID : CKR_OK;
}

static CK_RV fake_SignInit(CK_SESSION_HANDLE handle, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key)
{
    (void)mechanism;
    struct session *s = session_for(handle);
    if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
    if (key != KEY_HANDLE) return CKR_KEY_HANDLE_INVALID;
    if (!s->logged_in) return CKR_USER_NOT_LOGGED_IN;
    s->signing = 1;
    return CKR_OK;
}

static CK_RV fake_Sign(CK_SESSION_HANDLE handle, CK_BYTE_PTR data, CK_ULONG length, CK_BYTE_PTR signature, CK_ULONG_PTR signature_length)
{
    (void)data; (void)length;
    trace("C_Sign enter");
    char mode[64];
    control("sign", mode, sizeof mode);
    if (strcmp(mode, "hang") == 0) {
        /* A token that stopped answering mid-operation: the call never comes back on its own. */
        sleep(600);
        return CKR_DEVICE_ERROR;
    }
    die_if_asked(mode, "C_Sign");
    if (strcmp(mode, "device-removed") == 0) return CKR_DEVICE_REMOVED;
    if (strcmp(mode, "session-invalid") == 0) return CKR_SESSION_HANDLE_INVALID;
    if (strcmp(mode, "general-error") == 0) return CKR_GENERAL_ERROR;
    if (strcmp(mode, "slow") == 0) sleep(1);
    struct session *s = session_for(handle);
    if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
    if (!s->signing) return CKR_OPERATION_NOT_INITIALIZED;
    if (signature == NULL) { *signature_length = 256; return CKR_OK; }
    if (*signature_length < 256) { *signature_length = 256; return CKR_BUFFER_TOO_SMALL; }
    memset(signature, 0x5a, 256);
    *signature_length = 256;
    s->signing = 0;
    trace("C_Sign done");
    return CKR_OK;
}

static CK_RV fake_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
    (void)flags; (void)slot; (void)reserved;
    return CKR_FUNCTION_NOT_SUPPORTED;
}

/* Every other entry point: not supported. Called through a pointer of another type, which returns CK_RV in the
 * same register on every ABI this test runs on. */
static CK_RV not_supported(void) { return CKR_FUNCTION_NOT_SUPPORTED; }
#define NS(name) .name = (void *)not_supported

static CK_RV fake_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static CK_FUNCTION_LIST functions = {
    .version = { 2, 40 },
    .C_Initialize = fake_Initialize,
    .C_Finalize = fake_Finalize,
    .C_GetInfo = fake_GetInfo,
    .C_GetFunctionList = fake_GetFunctionList,
    .C_GetSlotList = fake_GetSlotList,
    .C_GetSlotInfo = fake_GetSlotInfo,
    .C_GetTokenInfo = fake_GetTokenInfo,
    .C_GetMechanismList = fake_GetMechanismList,
    NS(C_GetMechanismInfo), NS(C_InitToken), NS(C_InitPIN), NS(C_SetPIN),
    .C_OpenSession = fake_OpenSession,
    .C_CloseSession = fake_CloseSession,
    .C_CloseAllSessions = fake_CloseAllSessions,
    .C_GetSessionInfo = fake_GetSessionInfo,
    NS(C_GetOperationState), NS(C_SetOperationState),
    .C_Login = fake_Login,
    .C_Logout = fake_Logout,
    NS(C_CreateObject), NS(C_CopyObject), NS(C_DestroyObject), NS(C_GetObjectSize),
    .C_GetAttributeValue = fake_GetAttributeValue,
    NS(C_SetAttributeValue),
    .C_FindObjectsInit = fake_FindObjectsInit,
    .C_FindObjects = fake_FindObjects,
    .C_FindObjectsFinal = fake_FindObjectsFinal,
    NS(C_EncryptInit), NS(C_Encrypt), NS(C_EncryptUpdate), NS(C_EncryptFinal),
    NS(C_DecryptInit), NS(C_Decrypt), NS(C_DecryptUpdate), NS(C_DecryptFinal),
    NS(C_DigestInit), NS(C_Digest), NS(C_DigestUpdate), NS(C_DigestKey), NS(C_DigestFinal),
    .C_SignInit = fake_SignInit,
    .C_Sign = fake_Sign,
    NS(C_SignUpdate), NS(C_SignFinal), NS(C_SignRecoverInit), NS(C_SignRecover),
    NS(C_VerifyInit), NS(C_Verify), NS(C_VerifyUpdate), NS(C_VerifyFinal), NS(C_VerifyRecoverInit), NS(C_VerifyRecover),
    NS(C_DigestEncryptUpdate), NS(C_DecryptDigestUpdate), NS(C_SignEncryptUpdate), NS(C_DecryptVerifyUpdate),
    NS(C_GenerateKey), NS(C_GenerateKeyPair), NS(C_WrapKey), NS(C_UnwrapKey), NS(C_DeriveKey),
    NS(C_SeedRandom), NS(C_GenerateRandom), NS(C_GetFunctionStatus), NS(C_CancelFunction),
    .C_WaitForSlotEvent = fake_WaitForSlotEvent,
};

static CK_RV fake_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    *list = &functions;
    return CKR_OK;
}

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    return fake_GetFunctionList(list);
}
