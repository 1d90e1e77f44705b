"""What both halves of the conversation share."""
import base64
import time

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
