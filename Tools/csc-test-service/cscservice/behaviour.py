"""What the test service is told to do: the knobs the CLI sets and POST /control/behaviour changes."""

DEFAULTS = {
    "authMode": "explicit",     # implicit | explicit | oauth2code (announced only: no browser flow here)
    "pin": "true",              # credentials/info PIN.presence: true | false | optional
    "pinValue": "123456",
    "pinTries": 3,
    "otp": "false",             # OTP.presence: true | false | optional (type online: credentials/sendOTP)
    "otpTries": 3,
    "approval": "none",         # none | grant | refuse | never | manual: the holder on the phone
    "approvalDelayMs": 300,
    "sadLifetime": 300,         # seconds a SAD is good for (credentials/authorize expiresIn)
    "tokenLifetime": 3600,      # seconds an access token is good for
    "multisign": 5,             # most signatures one SAD may authorise
    "delayMs": {},              # {method or "*": milliseconds before answering}
    "fail": {},                 # {method or "*": {"status": 503, "count": N or null for always}}
    "keyEnabled": True,
}

CHOICES = {
    "authMode": ("implicit", "explicit", "oauth2code"),
    "pin": ("true", "false", "optional"),
    "otp": ("true", "false", "optional"),
    "approval": ("none", "grant", "refuse", "never", "manual"),
}


def merged(current, change):
    """A new behaviour with `change` applied; ValueError names the first bad key or value."""
    result = dict(current)
    for key, value in change.items():
        if key not in DEFAULTS:
            raise ValueError("unknown behaviour %r" % key)
        if key in CHOICES and value not in CHOICES[key]:
            raise ValueError("%s must be one of %s" % (key, ", ".join(CHOICES[key])))
        result[key] = value
    return result


def injected(behaviour, method):
    """(delay ms, failure status or None) for one call; consumes a counted failure."""
    delay = behaviour["delayMs"].get(method, behaviour["delayMs"].get("*", 0))
    failure = behaviour["fail"].get(method) or behaviour["fail"].get("*")
    status = None
    if failure:
        count = failure.get("count")
        if count is None or count > 0:
            status = failure.get("status", 503)
            if count is not None:
                failure["count"] = count - 1
    return delay, status
