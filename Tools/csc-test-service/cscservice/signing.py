"""signatures/signHash and v2's signatures/signPolling, with the holder's approval on a (pretend) phone.

With approval other than "none", a signature waits for the holder, as VNPT SmartCA's does: a v2 request
with operationMode "A" gets a responseID at once and is polled; a synchronous request (v1, or v2 "S")
is held open until the holder decides or the request's validity ends. The key signs only after a
grant, and a request signs at most once however often it is polled.
"""
import base64
import secrets
import threading
import time

from . import fields, signer
from .errors import PENDING, CSCError, invalid, invalid_request

DEFAULT_VALIDITY_MS = 120000  # how long an undecided request and its outcome are kept


class Signing:
    def _sign(self, credential, mechanism, hash_oid, digests):
        signatures = [credential.signer.sign(mechanism, hash_oid, d) for d in digests]
        with self.lock:
            for digest in digests:
                self.signed[base64.b64encode(digest).decode()] += 1
        return [base64.b64encode(s).decode() for s in signatures]

    def signatures_signHash(self, version, body, user, bearer):
        credential = self._credential(body)
        if not self.behaviour["keyEnabled"]:
            raise invalid_request("The credential identified by credentialID is disabled")
        sad = fields.string(body, "SAD")
        digests = fields.hashes(body, "hash" if version == "v1" else "hashes")
        try:
            mechanism, hash_oid = signer.resolve(credential.key_type, fields.string(body, "signAlgo"),
                                                 body.get("hashAlgo" if version == "v1" else "hashAlgorithmOID"))
        except signer.SignAlgoError as error:
            raise invalid_request(str(error))
        if any(len(d) != signer.HASH_LENGTHS[hash_oid] for d in digests):
            raise invalid_request("Invalid digest value length")
        mode = body.get("operationMode", "S") if version == "v2" else "S"
        if mode not in ("S", "A"):
            raise invalid("operationMode")
        validity = body.get("validity_period", DEFAULT_VALIDITY_MS) if mode == "A" else DEFAULT_VALIDITY_MS
        if not isinstance(validity, int) or validity < 1:
            raise invalid("validity_period")
        self.spend_sad(credential.id, sad, digests)
        with self.lock:
            self.sign_hash_calls += 1
        approval = self.behaviour["approval"]
        if approval == "none" and mode == "S":
            return {"signatures": self._sign(credential, mechanism, hash_oid, digests)}
        request = {"credential": credential, "mechanism": mechanism, "hash": hash_oid, "digests": digests,
                   "planned": {"none": "grant", "grant": "grant", "refuse": "refuse"}.get(approval),
                   "decideAt": time.monotonic() + (0 if approval == "none" else
                                                   self.behaviour["approvalDelayMs"] / 1000),
                   "decision": None, "outcome": None, "lock": threading.Lock(),
                   "expires": time.monotonic() + validity / 1000}
        response_id = secrets.token_urlsafe(18)
        with self.lock:
            self.requests[response_id] = request
        if mode == "A":
            return {"responseID": response_id}
        while True:  # synchronous: hold the call until the holder decides
            try:
                return {"signatures": self._outcome(response_id)}
            except CSCError as error:
                if error.description != PENDING:
                    raise
            time.sleep(0.05)

    def _outcome(self, response_id):
        with self.lock:
            request = self.requests.get(response_id)
        if request is None:
            raise invalid("responseID")
        now = time.monotonic()
        with request["lock"]:  # one poller signs; the others see its outcome
            if request["decision"] is None and request["planned"] and now >= request["decideAt"]:
                request["decision"] = request["planned"]
            if request["decision"] is None:
                if now > request["expires"]:
                    with self.lock:
                        self.requests.pop(response_id, None)
                    raise CSCError(400, "access_denied", "The holder did not approve the signature in time")
                raise invalid_request(PENDING)
            if request["decision"] == "refuse":
                raise CSCError(400, "access_denied", "The holder refused the signature")
            if request["outcome"] is None:
                request["outcome"] = self._sign(request["credential"], request["mechanism"], request["hash"],
                                                request["digests"])
            return request["outcome"]

    def signatures_signPolling(self, version, body, user, bearer):
        return {"signatures": self._outcome(fields.string(body, "responseID"))}

    def decide(self, response_id, decision):
        """The holder answers on the phone (control endpoint): grant or refuse one or every waiting request."""
        with self.lock:
            chosen = [self.requests[response_id]] if response_id in self.requests else \
                [] if response_id else list(self.requests.values())
        for request in chosen:
            with request["lock"]:
                if request["decision"] is None:
                    request["decision"] = decision
        return len(chosen)
