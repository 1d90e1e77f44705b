"""Credential authorisation: PIN and OTP checked with retry counters, SADs issued and spent."""
import secrets
import time

from . import fields
from .errors import CSCError, invalid, invalid_request, missing


def _secrets(version, body):
    """{"PIN": value, "OTP": value} from v1's members or v2's authData [{id, value}]."""
    if version == "v1":
        return {k: body[k] for k in ("PIN", "OTP") if body.get(k) is not None}
    found = {}
    for item in body.get("authData") or []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("value"), str):
            raise invalid("authData")
        found[item["id"]] = item["value"]
    return found


class Authorization:
    def _check(self, credential_id, kind, given, expected, tries):
        """One PIN or OTP check; the counter resets on success, locks at `tries` wrong answers."""
        key = (credential_id, kind)
        with self.lock:
            if self.failures[key] >= tries:
                raise invalid_request("%s locked" % kind)
            if given is None:
                raise missing("string", kind)
            if expected is not None and secrets.compare_digest(given.encode(), expected.encode()):
                self.failures[key] = 0
                return
            self.failures[key] += 1
            left = tries - self.failures[key]
        # remainingAttempts is this test service's extension: the specification's answer has no count.
        raise CSCError(400, "invalid_%s" % kind.lower(), "The %s is invalid" % kind, remainingAttempts=left)

    def credentials_authorize(self, version, body, user, bearer):
        credential = self._credential(body)
        b = self.behaviour
        if b["authMode"] == "oauth2code":
            raise invalid_request("The credential is authorised through oauth2/authorize (scope credential)")
        count = body.get("numSignatures")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise missing("integer", "numSignatures")
        if count > b["multisign"]:
            raise invalid_request("Numbers of signatures is too high")
        digests = fields.hashes(body, "hash" if version == "v1" else "hashes", required=False)
        if digests is not None and len(digests) != count:
            raise invalid("numSignatures")
        given = _secrets(version, body)
        if b["authMode"] == "explicit":
            if b["pin"] == "true" or (b["pin"] == "optional" and "PIN" in given):
                self._check(credential.id, "PIN", given.get("PIN"), b["pinValue"], b["pinTries"])
            if b["otp"] == "true" or (b["otp"] == "optional" and "OTP" in given):
                with self.lock:
                    expected = self.otps.pop(credential.id, None)  # an OTP works once
                self._check(credential.id, "OTP", given.get("OTP"), expected, b["otpTries"])
        sad = secrets.token_urlsafe(32)
        lifetime = b["sadLifetime"]
        with self.lock:
            self.sads[sad] = {"credential": credential.id, "remaining": count,
                              "hashes": set(digests) if digests is not None else None,
                              "expires": time.monotonic() + lifetime}
        return {"SAD": sad, "expiresIn": lifetime}

    def credentials_sendOTP(self, version, body, user, bearer):
        credential = self._credential(body)
        if self.behaviour["otp"] == "false":
            raise invalid_request("The credential has no online OTP")
        with self.lock:
            self.otps[credential.id] = "%06d" % secrets.randbelow(1000000)
        return None

    def spend_sad(self, credential_id, sad, digests):
        """Takes len(digests) signatures off a SAD, or raises the specification's SAD errors."""
        with self.lock:
            entry = self.sads.get(sad)
            if entry is None or entry["credential"] != credential_id:
                raise invalid("SAD")
            if time.monotonic() > entry["expires"]:
                del self.sads[sad]
                raise invalid_request("SAD expired")
            if entry["hashes"] is not None and not set(digests) <= entry["hashes"]:
                raise invalid_request("Hash is not authorized by the SAD.")
            if len(digests) > entry["remaining"]:
                raise invalid("SAD")
            entry["remaining"] -= len(digests)
            if entry["remaining"] == 0:
                del self.sads[sad]

    def expire_sads(self):
        with self.lock:
            for entry in self.sads.values():
                entry["expires"] = 0
