"""The CSC API methods over the service's state (tokens, SADs, asynchronous requests, counters).

One lock guards the state; signing (pkcs11-tool) runs outside it. Request bodies follow CSC API
v1.0.4.0 (`hash`, `hashAlgo`, `PIN`, `OTP`) or v2.0.0.2 (`hashes`, `hashAlgorithmOID`, `authData`,
`operationMode`) by the path's version.
"""
import collections
import secrets
import threading
import time

from . import fields
from .authorization import Authorization
from .errors import EXPIRED_TOKEN, INVALID_TOKEN, CSCError, invalid, invalid_request
from .signing import Signing

SPECS = {"v1": "1.0.4.0", "v2": "2.0.0.2"}
METHODS = ["auth/login", "auth/revoke", "credentials/list", "credentials/info", "credentials/authorize",
           "credentials/sendOTP", "signatures/signHash", "oauth2/token"]


class Service(Authorization, Signing):
    def __init__(self, credentials, behaviour, users, clients):
        self.credentials = credentials          # {credentialID: Credential}, all owned by `users`' one holder
        self.behaviour = dict(behaviour)
        self.users, self.clients = users, clients
        self.lock = threading.Lock()
        self.tokens = {}                        # access token -> (user or None, expires)
        self.sads = {}                          # SAD -> dict(credential, remaining, hashes, expires)
        self.failures = collections.Counter()   # (credentialID, "PIN"|"OTP") -> wrong answers in a row
        self.otps = {}                          # credentialID -> OTP last "sent to the phone"
        self.requests = {}                      # responseID -> asynchronous signHash request
        self.calls = collections.Counter()
        self.sign_hash_calls = 0
        self.signed = collections.Counter()     # base64 hash -> times signed

    # --- service authorisation -------------------------------------------------------------------------

    def _issue(self, user):
        token = secrets.token_urlsafe(24)
        lifetime = self.behaviour["tokenLifetime"]
        with self.lock:
            self.tokens[token] = (user, time.monotonic() + lifetime)
        return token, lifetime

    def auth_login(self, version, body, basic):
        if not basic or self.users.get(basic[0]) != basic[1]:
            raise CSCError(401, "authentication_error", "An error occurred during authentication process")
        token, lifetime = self._issue(basic[0])
        return {"access_token": token, "expires_in": lifetime}

    def oauth2_token(self, version, form, basic):
        client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
        if not client_id or self.clients.get(client_id) != secret:
            raise CSCError(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type")
        if grant == "client_credentials":
            user = None
        elif grant == "password":
            user = form.get("username")
            if self.users.get(user) != form.get("password"):
                raise CSCError(400, "invalid_grant", "The resource owner credentials are invalid")
        else:
            raise CSCError(400, "unsupported_grant_type", "Invalid parameter grant_type.")
        token, lifetime = self._issue(user)
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}

    def holder(self, bearer):
        """The user a bearer token stands for (None for a client-credentials token)."""
        with self.lock:
            entry = self.tokens.get(bearer or "")
        if entry is None:
            raise CSCError(*INVALID_TOKEN)
        if time.monotonic() > entry[1]:
            raise CSCError(*EXPIRED_TOKEN)
        return entry[0]

    def auth_revoke(self, version, body, user, bearer):
        with self.lock:
            self.tokens.pop(fields.string(body, "token"), None)
        return None

    # --- credentials -----------------------------------------------------------------------------------

    def info(self, version, body):
        methods = METHODS + (["signatures/signPolling"] if version == "v2" else [])
        return {"specs": SPECS[version], "name": "Kyso TEST CSC Service", "logo": "https://localhost/logo.png",
                "region": "VN", "lang": "vi-VN", "description": "Kyso lab remote signing service (TEST only)",
                "authType": ["basic", "oauth2client"] if version == "v1" else ["basic", "oauth2"],
                "methods": methods}

    def _credential(self, body):
        credential = self.credentials.get(fields.string(body, "credentialID"))
        if credential is None:
            raise invalid("credentialID")
        return credential

    def credentials_list(self, version, body, user, bearer):
        asked = body.get("userID")
        if user is not None and asked is not None:
            raise invalid_request("userID parameter MUST be null")
        if user is None and asked not in self.users:
            raise invalid("userID")
        ids = list(self.credentials)
        start = 0
        if body.get("pageToken") is not None:
            if not str(body["pageToken"]).isdigit() or int(body["pageToken"]) > len(ids):
                raise invalid("pageToken")
            start = int(body["pageToken"])
        size = body.get("maxResults") or len(ids) or 1
        if not isinstance(size, int) or size < 1:
            raise invalid("maxResults")
        page = {"credentialIDs": ids[start:start + size]}
        if start + size < len(ids):
            page["nextPageToken"] = str(start + size)
        return page

    def credentials_info(self, version, body, user, bearer):
        credential = self._credential(body)
        certificates = body.get("certificates", "single")
        if certificates not in ("none", "single", "chain"):
            raise invalid("certificates")
        b = self.behaviour
        answer = {"description": "%s (%s)" % (credential.certificate.subject.rfc4514_string(), credential.token_label),
                  "key": credential.key_info(b["keyEnabled"]),
                  "cert": credential.cert_info(certificates, bool(body.get("certInfo"))),
                  "SCAL": "2" if b["approval"] != "none" else "1",
                  "multisign": b["multisign"], "lang": "vi-VN"}
        if version == "v1":
            answer["authMode"] = b["authMode"]
            # PIN and OTP are REQUIRED members of the v1 answer, whatever authInfo says.
            answer["PIN"] = {"presence": b["pin"], "format": "N", "label": "PIN", "description": "Mã PIN chữ ký số"}
            answer["OTP"] = {"presence": b["otp"], "type": "online", "provider": "kyso-test-sms", "format": "N",
                             "label": "OTP", "ID": "SMS-TEST", "description": "Mã OTP gửi qua SMS"}
        else:
            objects = []
            if b["pin"] != "false":
                objects.append({"type": "Password", "id": "PIN", "format": "N", "label": "PIN"})
            if b["otp"] != "false":
                objects.append({"type": "OTP", "id": "OTP", "format": "N", "label": "OTP"})
            answer["auth"] = {"mode": b["authMode"], "objects": objects}
        return answer
