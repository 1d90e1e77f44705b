"""The scripted conversation: every route in Sources/KysoAPI/openapi.yaml, its successes and its problems,
in an order that never spends a PIN try on a token needed later (wrong PINs go to kyso-extra-01 only)."""
import base64
import time

from . import daemon, rawhttp
from .scenario_accounts import accounts, closing, forbidden
from .scenario_common import CONTEXT, DIGEST, HELLO, ZERO_ID, ZERO_SHA, settle


def run(session, lab):
    tokens = {t["label"]: t for t in lab["tokens"]}
    pin = tokens["kyso-fpt"]["pin"]
    _, listed = session.ask("tokens", "GET", "/v1/tokens")
    ids = {t["label"]: t["id"] for t in listed["tokens"]}
    reads(session, listed)
    limits(session)
    problems(session, ids)
    signing(session, ids, tokens, pin)
    accounts(session, ids, tokens)
    forbidden(session, ids)
    closing(session)


def reads(session, listed):
    ask = session.ask
    ask("status", "GET", "/v1/status")
    ask("status, query string ignored", "GET", "/v1/status?verbose=1")
    for token in listed["tokens"]:
        ask("token %s" % token["label"], "GET", "/v1/tokens/%s" % token["id"])
        for certificate in token["certificates"]:
            ask("certificate %s/%s" % (token["label"], certificate["objectId"]), "GET", "/v1/certificates/%s" % certificate["sha256"])
    first = listed["tokens"][0]["certificates"][0]["sha256"]
    ask("certificate, upper case", "GET", "/v1/certificates/%s" % first.upper())
    ask("certificate, not a fingerprint", "GET", "/v1/certificates/not-a-fingerprint")
    ask("certificate, unknown", "GET", "/v1/certificates/%s" % ZERO_SHA)
    ask("token, unknown", "GET", "/v1/tokens/%s" % ZERO_ID)
    ask("token, odd id", "GET", "/v1/tokens/..%2Fstatus")
    settle()
    ask("metrics, first", "GET", "/metrics")
    ask("events, snapshot (first event only)", "GET", "/v1/events", stream_events=1)
    ask("events, Last-Event-ID not a number", "GET", "/v1/events", headers=[("Last-Event-ID", "yesterday")])
    ask("events, Last-Event-ID in the future", "GET", "/v1/events", headers=[("Last-Event-ID", "99999999")], stream_events=1)
    ask("bindings, none yet", "GET", "/v1/bindings")


def limits(session):
    """503s: a second event subscriber over maxEventSubscribers 1, a request over maxConnections."""
    path = session.daemon.socket_path
    settle()
    held = [rawhttp.hold(path, rawhttp.build_request("GET", "/v1/events"))]
    try:
        session.ask("events, a second subscriber (limit 1)", "GET", "/v1/events", stream_events=1)
    finally:
        for sock in held:
            sock.close()
    settle()
    held = [rawhttp.hold(path) for _ in range(daemon.MAX_CONNECTIONS)]
    time.sleep(0.5)  # kysod counts a connection when it has accepted it
    try:
        session.ask("a connection over the limit (%d held)" % daemon.MAX_CONNECTIONS, "GET", "/v1/status")
    finally:
        for sock in held:
            sock.close()
    settle()


def problems(session, ids):
    ask = session.ask
    ask("404 unknown path", "GET", "/v1/nothing")
    ask("404 root", "GET", "/")
    ask("404 below a token", "GET", "/v1/tokens/%s/extra" % ids["kyso-fpt"])
    for method, path in [("DELETE", "/v1/tokens"), ("POST", "/v1/status"), ("GET", "/v1/logout"),
                         ("GET", "/v1/tokens/%s/sign" % ids["kyso-fpt"]), ("PUT", "/v1/registrations"),
                         ("POST", "/metrics"), ("POST", "/v1/events"), ("PATCH", "/v1/bindings/KYSOA001"),
                         ("DELETE", "/v1/audit"), ("DELETE", "/v1/bindings/KYSOA001/secrets/password"),
                         ("PUT", "/v1/bindings")]:
        ask("405 %s %s" % (method, path.split("/")[-1] or path), method, path)
    big = b"A" * (70 * 1024)
    ask("413 on a GET", "GET", "/v1/status", body=big, body_label="<70 KiB of A>")
    ask("413 on a sign", "POST", "/v1/tokens/%s/sign" % ids["kyso-fpt"], body=big, body_label="<70 KiB of A>")
    ask("HTTP/1.0 request", "GET", "/v1/status", version="HTTP/1.0")
    ask("not HTTP at all", "GET", "/v1/status", raw=b"HELLO KYSOD\r\n\r\n")
    ask("HTTP/2.0 request line", "GET", "/v1/status", version="HTTP/2.0")
    ask("HEAD", "HEAD", "/v1/tokens")
    ask("OPTIONS", "OPTIONS", "/v1/tokens")
    ask("413, chunked body without a length", "POST", "/v1/tokens/%s/sign" % ids["kyso-fpt"], body=big, chunked=True,
        body_label="<70 KiB of A, chunked>")
    ask("sign, chunked small body", "POST", "/v1/tokens/%s/sign" % ids["kyso-fpt"], body={"data": HELLO}, chunked=True)
    ask("sign, empty body", "POST", "/v1/tokens/%s/sign" % ids["kyso-fpt"], body=b"")
    ask("sign, no body at all", "POST", "/v1/tokens/%s/sign" % ids["kyso-fpt"])
    ask("sign, text/plain body", "POST", "/v1/tokens/%s/sign" % ids["kyso-fpt"], body={"data": HELLO},
        headers=[("Content-Type", "text/plain")])
    ask("GET with a body", "GET", "/v1/tokens/%s" % ZERO_ID, body={"ignored": True})
    ask("two requests on one connection", "GET", "/v1/tokens/%s" % ZERO_ID, then=[("GET", "/v1/certificates/xyz")])
    ask("Connection: close", "GET", "/v1/tokens/%s" % ZERO_ID, headers=[("Connection", "close")])
    # The shapes a path can take: routes as data must match them as the hand-written switch did.
    fpt = ids["kyso-fpt"]
    for path in ["/v1/status/", "//v1/status", "/v1//status", "/v1/tokens/", "/v1/tokens/%s/" % fpt, "/V1/status",
                 "/v1/%74okens", "/v1/tokens/%s/sign/" % fpt, "/v1/tokens/%s/logout/x" % fpt, "/v1", "/v1/",
                 "/metrics/", "/v1/bindings/", "/v1/bindings/KYSOA001/secrets", "/v1/bindings/KYSOA001/secrets/password/x",
                 "/v1/audit/", "/v1/events/", "/v1/status#x", "/v1/status?", "*"]:
        ask("path shape %s" % path, "GET", path, stream_events=1 if path.startswith("/v1/events") else 0)
    ask("path shape, POST /v1/logout/", "POST", "/v1/logout/")
    ask("path shape, DELETE /v1/tokens/", "DELETE", "/v1/tokens/")


def signing(session, ids, tokens, pin):
    fpt, ec, two = ids["kyso-fpt"], ids["kyso-ec-p256"], ids["kyso-two-certs"]
    sign = "/v1/tokens/%s/sign"

    def ask(name, token, body, hints=None):
        return session.ask("sign: " + name, "POST", sign % token, body=body, hints={"sign": hints} if hints else None)
    ask("no PIN", fpt, {"data": HELLO})
    ask("bad JSON", fpt, "not json")
    ask("JSON array", fpt, "[]")
    ask("unknown mechanism rsa-md5", fpt, {"data": HELLO, "mechanism": "rsa-md5", "pin": pin})
    ask("unknown output", fpt, {"data": HELLO, "output": "pdf", "pin": pin})
    ask("data and digest", fpt, {"data": HELLO, "digest": DIGEST, "pin": pin})
    ask("neither data nor digest", fpt, {"pin": pin})
    ask("data not base64", fpt, {"data": "not base64!", "pin": pin})
    ask("digest too short", fpt, {"digest": HELLO, "pin": pin})
    ask("digest with cms", fpt, {"digest": DIGEST, "output": "cms", "pin": pin})
    ask("pss with cms", fpt, {"data": HELLO, "mechanism": "rsa-pss-sha256", "output": "cms", "pin": pin})
    ask("ecdsa on an RSA key", fpt, {"data": HELLO, "mechanism": "ecdsa-sha256", "pin": pin})
    ask("registration context", fpt, {"data": CONTEXT, "pin": pin})
    ask("unknown token", ZERO_ID, {"data": HELLO, "pin": pin})
    ask("unknown certificate", fpt, {"data": HELLO, "certificate": ZERO_SHA, "pin": pin})
    ask("certificate not a fingerprint", fpt, {"data": HELLO, "certificate": "xyz", "pin": pin})
    ask("rsa-pkcs1 raw with PIN", fpt, {"data": HELLO, "pin": pin}, ("rsa-pkcs1-sha256", "raw"))
    ask("cached login, no PIN", fpt, {"data": HELLO}, ("rsa-pkcs1-sha256", "raw"))
    ask("cached login, other PIN", fpt, {"data": HELLO, "pin": "654321"})
    ask("digest raw", fpt, {"digest": DIGEST, "mechanism": "rsa-pkcs1-sha256"}, ("rsa-pkcs1-sha256", "raw"))
    ask("rsa-pss raw", fpt, {"data": HELLO, "mechanism": "rsa-pss-sha256"}, ("rsa-pss-sha256", "raw"))
    ask("rsa-pkcs1 cms", fpt, {"data": HELLO, "output": "cms", "unknownField": 1}, ("rsa-pkcs1-sha256", "cms"))
    session.ask("logout one token", "POST", "/v1/tokens/%s/logout" % fpt)
    ask("after logout, no PIN", fpt, {"data": HELLO})
    session.ask("logout unknown token", "POST", "/v1/tokens/%s/logout" % ZERO_ID)
    ask("rsa-pkcs1 on an EC key", ec, {"data": HELLO, "pin": pin})
    ask("ecdsa raw", ec, {"data": HELLO, "mechanism": "ecdsa-sha256", "pin": pin}, ("ecdsa-sha256", "raw"))
    ask("ecdsa cms", ec, {"data": HELLO, "mechanism": "ecdsa-sha256", "output": "cms"}, ("ecdsa-sha256", "cms"))
    ask("two keys, none named", two, {"data": HELLO, "pin": pin})
    second = tokens["kyso-two-certs"]["certificates"][1]["sha256"]
    ask("two keys, second named", two, {"data": HELLO, "certificate": second, "pin": pin}, ("rsa-pkcs1-sha256", "raw"))
    ask("wrong PIN (kyso-extra-01)", ids["kyso-extra-01"], {"data": HELLO, "pin": "000000"})
    session.ask("token after a wrong PIN", "GET", "/v1/tokens/%s" % ids["kyso-extra-01"])
    session.ask("logout all", "POST", "/v1/logout")
    session.ask("logout all, with a body", "POST", "/v1/logout", body={"ignored": True})
