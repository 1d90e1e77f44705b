#!/usr/bin/env python3
"""Runs Debian's Chromium headless with the Kyso extension on a test page served on loopback, and prints what
the pages reported.

The pages run their scenario themselves and POST each result to /result/NAME; this script waits until every
name in --expect has reported (or --timeout passes), stops Chromium and prints {"results": {...}} as JSON.
The page is opened at http://localhost:PORT/... (an origin Kyso serves for development); the same server is
also http://127.0.0.1:PORT, an origin Kyso refuses.
"""
import argparse, http.server, json, os, signal, subprocess, sys, threading, time, urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("--chromium", default="/usr/bin/chromium")
parser.add_argument("--extension", required=True)
parser.add_argument("--profile", required=True, help="Chromium's --user-data-dir (NativeMessagingHosts/ inside)")
parser.add_argument("--pages", required=True, help="folder of the test pages")
parser.add_argument("--library", required=True, help="kyso-web.js")
parser.add_argument("--page", required=True, help="path and query of the first page, e.g. /sign.html?x=1")
parser.add_argument("--expect", required=True, help="comma-separated result names to wait for")
parser.add_argument("--timeout", type=float, default=40)
args = parser.parse_args()

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
command.append(page)
log = open(os.path.join(args.profile, "chromium.log"), "wb")
started = time.monotonic()
chromium = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
expected = set(args.expect.split(","))
with arrived:
    arrived.wait_for(lambda: expected <= results.keys() or chromium.poll() is not None,
                     timeout=args.timeout)
elapsed = time.monotonic() - started
os.killpg(chromium.pid, signal.SIGTERM)
try:
    chromium.wait(timeout=10)
except subprocess.TimeoutExpired:
    os.killpg(chromium.pid, signal.SIGKILL); chromium.wait()
server.shutdown()
print(json.dumps({"results": results, "port": port, "seconds": round(elapsed, 2)}, ensure_ascii=False))
if not expected <= results.keys():
    tail = open(os.path.join(args.profile, "chromium.log"), "rb").read()[-3000:].decode("utf-8", "replace")
    print(f"missing results {sorted(expected - results.keys())} after {elapsed:.1f} s; Chromium's log ends:\n{tail}", file=sys.stderr)
    sys.exit(1)
