"""Reading request members the way the specification's error table words each problem."""
import base64

from .errors import invalid_request, missing


def string(body, name, required=True):
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise missing("string", name)
    return value


def hashes(body, name, required=True):
    values = body.get(name)
    if values is None and not required:
        return None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise missing("array", name)
    if not values:
        raise invalid_request("Empty hash array")
    try:
        return [base64.b64decode(v, validate=True) for v in values]
    except ValueError:
        raise invalid_request("Invalid Base64 hash string parameter")
