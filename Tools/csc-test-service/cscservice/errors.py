"""CSC errors: `{"error", "error_description"}` bodies with the status codes of the specification's tables."""


class CSCError(Exception):
    def __init__(self, status, error, description, **extra):
        super().__init__(description)
        self.status, self.error, self.description, self.extra = status, error, description, extra

    def body(self):
        return dict({"error": self.error, "error_description": self.description}, **self.extra)


def invalid_request(description):
    return CSCError(400, "invalid_request", description)


def missing(kind, name):
    return invalid_request("Missing (or invalid type) %s parameter %s" % (kind, name))


def invalid(name):
    return invalid_request("Invalid parameter %s" % name)


INVALID_TOKEN = (401, "invalid_token", "The token provided is not a valid OAuth access or refresh token.")
EXPIRED_TOKEN = (401, "expired_token", "The access or refresh token is expired or has been revoked.")
# The wording a v2 service gives while an asynchronous request waits (seen in clients of SIGN8's CSC v2 API).
PENDING = "The previous asynchronous signature request has been accepted for processing, " \
          "but the processing has not yet been completed."
