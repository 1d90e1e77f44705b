#!/usr/bin/env python3
"""Runs Debian's Chromium (or Firefox ESR) headless with the Kyso extension on a test page served on loopback,
and prints what the pages reported.

The pages run their scenario themselves and POST each result to /result/NAME; this script waits until every
name in --expect has reported (or --timeout passes), stops the browser and prints {"results": {...}} as JSON.
The page is opened at http://localhost:PORT/... (an origin Kyso serves for development); the same server is
also http://127.0.0.1:PORT, an origin Kyso refuses.
"""
import argparse, http.server, json, os, signal, socket, subprocess, sys, threading, time, urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("--browser", choices=["chromium", "firefox"], default="chromium")
parser.add_argument("--chromium", default="/usr/bin/chromium")
parser.add_argument("--firefox", default="/usr/bin/firefox-esr")
parser.add_argument("--extension", required=True)
parser.add_argument("--profile", required=True, help="the browser's profile folder (Chromium: NativeMessagingHosts/ inside)")
parser.add_argument("--pages", required=True, help="folder of the test pages")
parser.add_argument("--library", required=True, help="kyso-web.js")
parser.add_argument("--page", required=True, help="path and query of the first page, e.g. /sign.html?x=1")
parser.add_argument("--expect", required=True, help="comma-separated result names to wait for")
parser.add_argument("--timeout", type=float, default=40)
args = parser.parse_args()

# The test process may block or ignore SIGTERM, and children inherit that: restore it, so the browser stops
# when told to rather than after the grace period below.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
signal.signal(signal.SIGTERM, signal.SIG_DFL)

results = {}
arrived = threading.Condition()

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        path = urllib.parse.urlparse(self.path).path
        file = args.library if path == "/kyso-web.js" else os.path.join(args.pages, os.path.basename(path))
        if not os.path.isfile(file):
            self.send_response(404); self.end_headers(); return
        body = open(file, "rb").read()
        kind = "text/javascript" if file.endswith(".js") else "text/html"
        self.send_response(200)
        # Without a charset Vietnamese text would be read as Latin-1 before it reached the extension.
        self.send_header("content-type", kind + "; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.send_header("cache-control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        name = self.path.rsplit("/", 1)[-1]
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204); self.end_headers()
        with arrived:
            results[name] = json.loads(body)
            arrived.notify_all()

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
port = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()

page = f"http://localhost:{port}{args.page}"
page += ("&" if "?" in page else "?") + urllib.parse.urlencode({"refused": f"http://127.0.0.1:{port}/refused.html"})
def chromium_command():
    command = [
        args.chromium, "--headless=new", f"--user-data-dir={args.profile}",
        # Debian's Chromium loads an unpacked extension from the command line only with this feature off.
        "--disable-features=DisableLoadExtensionCommandLineSwitch",
        f"--load-extension={args.extension}", f"--disable-extensions-except={args.extension}",
        "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--password-store=basic",
    ]
    if os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return command + [page]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


marionette_port = free_port()


def firefox_command():
    # Firefox loads an unsigned extension only as a temporary add-on, which takes its remote protocol
    # (Marionette's Addon:Install); the page is opened through it after the install.
    prefs = {
        "marionette.port": marionette_port, "browser.shell.checkDefaultBrowser": False,
        "datareporting.policy.dataSubmissionEnabled": False, "toolkit.telemetry.reportingpolicy.firstRun": False,
        "browser.startup.homepage_override.mstone": "ignore", "app.update.disabledForTesting": True,
        "extensions.autoDisableScopes": 0, "browser.aboutwelcome.enabled": False,
    }
    with open(os.path.join(args.profile, "user.js"), "w") as f:
        for name, value in prefs.items():
            f.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
    return [args.firefox, "--headless", "--marionette", "--no-remote", "--profile", args.profile]


class Marionette:
    """Marionette's protocol: each message is `LENGTH:JSON`; commands are [0, id, name, parameters]."""

    def __init__(self, port, deadline):
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.buffer, self.next_id = b"", 0
        self.receive()  # the greeting

    def receive(self):
        while b":" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        length, _, rest = self.buffer.partition(b":")
        while len(rest) < int(length):
            rest += self.sock.recv(65536)
        self.buffer = rest[int(length):]
        return json.loads(rest[:int(length)])

    def call(self, name, parameters):
        self.next_id += 1
        body = json.dumps([0, self.next_id, name, parameters]).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body)
        _, _, error, result = self.receive()
        if error:
            raise RuntimeError(f"{name}: {error}")
        return result


log = open(os.path.join(args.profile, "browser.log"), "wb")
started = time.monotonic()
command = chromium_command() if args.browser == "chromium" else firefox_command()
browser = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
if args.browser == "firefox":
    marionette = Marionette(marionette_port, started + args.timeout)
    marionette.call("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": False}}})
    marionette.call("Addon:Install", {"path": args.extension, "temporary": True})
    marionette.call("WebDriver:Navigate", {"url": page})
expected = set(args.expect.split(","))
with arrived:
    arrived.wait_for(lambda: expected <= results.keys() or browser.poll() is not None,
                     timeout=args.timeout)
elapsed = time.monotonic() - started
os.killpg(browser.pid, signal.SIGTERM)
try:
    browser.wait(timeout=10)
except subprocess.TimeoutExpired:
    os.killpg(browser.pid, signal.SIGKILL); browser.wait()
stopped = time.monotonic() - started - elapsed
server.shutdown()
print(json.dumps({"results": results, "port": port, "seconds": round(elapsed, 2), "stopSeconds": round(stopped, 2)}, ensure_ascii=False))
if not expected <= results.keys():
    tail = open(os.path.join(args.profile, "browser.log"), "rb").read()[-3000:].decode("utf-8", "replace")
    print(f"missing results {sorted(expected - results.keys())} after {elapsed:.1f} s; the browser's log ends:\n{tail}", file=sys.stderr)
    sys.exit(1)
