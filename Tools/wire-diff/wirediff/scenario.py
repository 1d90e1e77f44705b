"""The scripted conversation: every route in Sources/KysoAPI/openapi.yaml, its successes and its problems,
in an order that never spends a PIN try on a token needed later (wrong PINs go to kyso-extra-01 only)."""
import base64
import time

from . import daemon, rawhttp

ZERO_ID = "0000000000000000"
ZERO_SHA = "0" * 64
HELLO = base64.b64encode(b"hello").decode()
DIGEST = base64.b64encode(bytes(range(32))).decode()
CONTEXT = base64.b64encode(b"kyso-registration-v1\x00and more").decode()
CHALLENGE = base64.b64encode(b"wire-diff challenge").decode()


def settle():
    """Before /metrics: kysod counts a request, and notices a closed connection, just after its answer, so a
    /metrics asked at once may or may not include the one before (kysod_connections, kysod_requests_total)."""
    time.sleep(0.5)


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


def _registration(certificate, tax_code, pin, role="declarant", user="KYSOA001", challenge=CHALLENGE):
    body = {"role": role, "taxCode": tax_code, "certificate": certificate, "pin": pin}
    if role == "declarant":
        body.update(userId=user, terminalId="T00001")
    if challenge:
        body["challenge"] = challenge
    return body


def accounts(session, ids, tokens):
    ask = session.ask
    two = tokens["kyso-two-certs"]
    first, second = two["certificates"][0]["sha256"], two["certificates"][1]["sha256"]
    tax, pin = two["certificates"][0]["taxCode"], two["pin"]
    registration = {"registration": True}

    def register(name, body):
        # Each registration its own challenge: two statements made in the same second would otherwise be the same
        # bytes in one run and not in the other, and their names (statement#k) would differ by timing.
        if isinstance(body, dict) and body.get("challenge") == CHALLENGE:
            body = dict(body, challenge=base64.b64encode(("wire-diff: " + name).encode()).decode())
        return ask("register: " + name, "POST", "/v1/registrations", body=body, hints=registration)[1]
    register("user id too short", _registration(first, tax, pin, user="KYSO"))
    register("admin, other tax code", _registration(first, "0100109106", pin, role="admin"))
    register("certificate not present", _registration(ZERO_SHA, tax, pin))
    register("bad JSON", "not json")
    register("no PIN", _registration(first, tax, None))
    register("challenge not base64", dict(_registration(first, tax, pin), challenge="%%%"))
    register("unknown role", dict(_registration(first, tax, pin), role="boss"))
    registered = register("declarant, first certificate", _registration(first, tax, pin))
    register("declarant, no challenge (nonce)", _registration(first, tax, pin, user="KYSON001", challenge=None))

    statement = base64.b64decode(registered["statement"])
    altered = statement.replace(b"T00001", b"T00002")
    session.run.alias_statement(altered, "altered statement")

    def bind(name, body, method="POST", path="/v1/bindings"):
        return ask("bind: " + name, method, path, body=body)
    secrets = {"terminalAccessKey": "tak0abc123", "password": "pw#2026x"}
    bind("altered statement", dict(secrets, statement=base64.b64encode(altered).decode(), signature=registered["signature"]))
    bind("statement not base64", {"statement": "not base64!"})
    bind("sealing not a string", {"statement": "", "signature": "", "sealing": 7})
    bind("declarant", dict(secrets, statement=registered["statement"], signature=registered["signature"]))
    bind("same statement again", dict(secrets, statement=registered["statement"], signature=registered["signature"]))
    ask("certificate with its account", "GET", "/v1/certificates/%s" % first)
    vnpt = tokens["kyso-vnpt"]["certificates"][0]
    vnpt_pin = tokens["kyso-vnpt"]["pin"]
    register("tax code of another business", _registration(vnpt["sha256"], tax, vnpt_pin, user="KYSOT001"))
    spare = tokens["kyso-extra-01"]
    register("wrong PIN (kyso-extra-01)", _registration(spare["certificates"][0]["sha256"], spare["certificates"][0]["taxCode"],
                                                         "000000", user="KYSOW001"))
    fpt = tokens["kyso-fpt"]["certificates"][0]
    taken = register("user id bound elsewhere", _registration(fpt["sha256"], fpt["taxCode"], tokens["kyso-fpt"]["pin"]))
    bind("user id bound elsewhere", {"statement": taken["statement"], "signature": taken["signature"]})
    odd = register("for bad secrets", _registration(fpt["sha256"], fpt["taxCode"], tokens["kyso-fpt"]["pin"], user="KYSOI001"))
    bind("access key not letters and digits", {"statement": odd["statement"], "signature": odd["signature"],
                                                "terminalAccessKey": "bad key!"})
    bind("password too long", {"statement": odd["statement"], "signature": odd["signature"], "password": "123456789"})
    ask("bindings, one", "GET", "/v1/bindings")
    ask("binding", "GET", "/v1/bindings/KYSOA001")
    ask("binding, lower case", "GET", "/v1/bindings/kysoa001")
    ask("binding, unknown", "GET", "/v1/bindings/NOBODY01")
    ask("binding, not an account", "GET", "/v1/bindings/nobody")
    ask("token with its account", "GET", "/v1/tokens/%s" % ids["kyso-two-certs"])
    ask("reveal access key", "GET", "/v1/bindings/KYSOA001/secrets/terminalAccessKey")
    ask("reveal password (POST, no body)", "POST", "/v1/bindings/KYSOA001/secrets/password")
    ask("reveal, unknown kind", "GET", "/v1/bindings/KYSOA001/secrets/pin")
    ask("reveal, unknown account", "GET", "/v1/bindings/NOBODY01/secrets/password")

    renewed = register("declarant, second certificate", _registration(second, tax, pin))
    bind("move", {"statement": renewed["statement"], "signature": renewed["signature"]}, "PUT", "/v1/bindings/KYSOA001")
    bind("move again", {"statement": renewed["statement"], "signature": renewed["signature"]}, "PUT", "/v1/bindings/KYSOA001")
    bind("move, not an object", "[]", "PUT", "/v1/bindings/KYSOA001")
    bind("move, unbound account", {"statement": renewed["statement"], "signature": renewed["signature"]}, "PUT", "/v1/bindings/KYSOZ001")
    other = register("another user on the bound certificate", _registration(second, tax, pin, user="KYSOB002"))
    bind("certificate bound to another account", {"statement": other["statement"], "signature": other["signature"]})

    admin = register("admin", _registration(vnpt["sha256"], vnpt["taxCode"], vnpt_pin, role="admin"))
    bind("admin with a password", {"statement": admin["statement"], "signature": admin["signature"], "password": "pw"})
    bind("admin", {"statement": admin["statement"], "signature": admin["signature"]})
    again = register("admin again", _registration(vnpt["sha256"], vnpt["taxCode"], vnpt_pin, role="admin"))
    bind("admin again", {"statement": again["statement"], "signature": again["signature"]})
    ask("binding, admin", "GET", "/v1/bindings/%s" % vnpt["taxCode"])

    viettel = tokens["kyso-viettel"]["certificates"][0]
    pin = tokens["kyso-viettel"]["pin"]
    sealed = register("declarant on Viettel", _registration(viettel["sha256"], viettel["taxCode"], pin, user="KYSOS001"))
    base = {"statement": sealed["statement"], "signature": sealed["signature"], "terminalAccessKey": "SEALED01", "sealing": "token"}
    bind("sealed to token, no PIN", base)
    bind("sealing unknown", dict(base, sealing="cloud", pin=pin))
    bind("sealed to token", dict(base, pin=pin))
    path = "/v1/bindings/KYSOS001/secrets/terminalAccessKey"
    ask("reveal sealed, GET", "GET", path)
    ask("reveal sealed, no PIN", "POST", path, body={})
    ask("reveal sealed, bad JSON", "POST", path, body="not json")
    ask("reveal sealed, wrong PIN", "POST", path, body={"pin": "000000"})
    ask("reveal sealed, with PIN", "POST", path, body={"pin": pin})
    vnpt_declarant = register("declarant on VNPT", _registration(vnpt["sha256"], vnpt["taxCode"], vnpt_pin, user="KYSOV001"))
    bind("sealed to a key that cannot encipher", {"statement": vnpt_declarant["statement"], "signature": vnpt_declarant["signature"],
                                                  "terminalAccessKey": "SEALED02", "sealing": "token", "pin": pin})
    ask("bindings, three", "GET", "/v1/bindings")
    time.sleep(0.5)  # signature audit records are written just after their answers
    ask("audit, limit 3", "GET", "/v1/audit?limit=3")
    ask("unbind", "DELETE", "/v1/bindings/KYSOA001")
    ask("unbind again", "DELETE", "/v1/bindings/KYSOA001")
    bind("a statement bound once, again", dict(secrets, statement=registered["statement"], signature=registered["signature"]))
    ask("unbind, not an account", "DELETE", "/v1/bindings/nobody")
    ask("reveal after unbind", "GET", "/v1/bindings/KYSOA001/secrets/password")
    ask("unbind admin", "DELETE", "/v1/bindings/%s" % vnpt["taxCode"])


def forbidden(session, ids):
    ask = session.ask
    ask("uid 65534: tokens (read granted)", "GET", "/v1/tokens", as_nobody=True)
    ask("uid 65534: sign", "POST", "/v1/tokens/%s/sign" % ids["kyso-fpt"], body={"data": HELLO}, as_nobody=True)
    ask("uid 65534: logout", "POST", "/v1/logout", as_nobody=True)
    ask("uid 65534: audit", "GET", "/v1/audit", as_nobody=True)
    ask("uid 65534: bind", "POST", "/v1/bindings", body={"statement": "", "signature": ""}, as_nobody=True)
    ask("uid 65534: 404", "GET", "/v1/nothing", as_nobody=True)


def closing(session):
    ask = session.ask
    time.sleep(0.5)
    ask("audit", "GET", "/v1/audit")
    ask("audit, limit not a number", "GET", "/v1/audit?limit=abc")
    ask("audit, limit 0 (clamped)", "GET", "/v1/audit?limit=0")
    ask("events, replay from 0", "GET", "/v1/events", headers=[("Last-Event-ID", "0")], stream_events=100000)
    ask("status, last", "GET", "/v1/status")
    ask("tokens, last", "GET", "/v1/tokens")
    settle()
    ask("metrics, last", "GET", "/metrics")


def after_restart(session, restart, renewed_lab):
    """kysod stopped and started again on its state, with kyso-viettel renewed onto kyso-viettel-2027 and the
    old token gone: what the store kept, binding.renewal-needed, a secret sealed to the absent token, the move."""
    ask = session.ask
    restart()
    ask("restarted: status", "GET", "/v1/status")
    ask("restarted: tokens", "GET", "/v1/tokens")
    ask("restarted: bindings", "GET", "/v1/bindings")
    ask("restarted: binding sealed to the absent token", "GET", "/v1/bindings/KYSOS001")
    path = "/v1/bindings/KYSOS001/secrets/terminalAccessKey"
    ask("restarted: reveal sealed, token absent (GET)", "GET", path)
    ask("restarted: reveal sealed, token absent (POST)", "POST", path, body={"pin": "123456"})
    ask("restarted: events, replay from 0", "GET", "/v1/events", headers=[("Last-Event-ID", "0")], stream_events=100000)
    renewed = [t for t in renewed_lab["tokens"] if t["label"] == "kyso-viettel-2027"][0]
    certificate = renewed["certificates"][0]
    body = _registration(certificate["sha256"], certificate["taxCode"], renewed["pin"], user="KYSOS001",
                         challenge=base64.b64encode(b"wire-diff: renewal").decode())
    moved = ask("restarted: register on the renewed certificate", "POST", "/v1/registrations", body=body,
                hints={"registration": True})[1]
    ask("restarted: move to the renewed certificate", "PUT", "/v1/bindings/KYSOS001",
        body={"statement": moved["statement"], "signature": moved["signature"]})
    ask("restarted: binding after the move", "GET", "/v1/bindings/KYSOS001")
    ask("restarted: sealed secret after the move", "GET", path)
    ask("restarted: unbind", "DELETE", "/v1/bindings/KYSOS001")
    time.sleep(0.5)
    ask("restarted: audit", "GET", "/v1/audit?limit=1000")
    settle()
    ask("restarted: metrics", "GET", "/metrics")
