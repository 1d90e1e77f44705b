"""The account half of the conversation: registrations, bindings, secrets, the second uid, the closing reads,
and kysod restarted on its state with a renewed lab."""
import base64
import time

from .scenario_common import CHALLENGE, HELLO, ZERO_SHA, settle


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
