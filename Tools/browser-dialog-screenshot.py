#!/usr/bin/env python3
"""Shows kyso-browser-host's PIN dialog once, with a real pinentry under Xvfb, and saves a PNG of the screen.

    Tools/browser-dialog-screenshot.py [OUTPUT.png] [--pinentry /usr/bin/pinentry-gtk-2]

Makes a token lab in a temporary folder, starts kysod on it, Xvfb on a free display, and the host as a browser
would, with https://ecus.customs.gov.vn already allowed; sends a sign request for the lab's VNPT-CA certificate,
waits for the dialog, captures the screen (xwd, converted here with the standard library), then cancels the
dialog. Needs xvfb, x11-apps (xwd) and a pinentry with a GUI (scripts/install-deps). Every process it started is
stopped by its pid.
"""
import argparse, base64, hashlib, json, os, shutil, signal, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tools"))
from xwdpng import stop_all, xwd_to_png  # noqa: E402
parser = argparse.ArgumentParser()
parser.add_argument("output", nargs="?", default=os.path.join(ROOT, "docs/browser-dialog.png"))
parser.add_argument("--pinentry", default="/usr/bin/pinentry-gtk-2")
parser.add_argument("--bin", default=os.path.join(ROOT, ".build/debug"), help="folder with kysod and kyso-browser-host")
parser.add_argument("--display", default=":77")
args = parser.parse_args()


work = tempfile.mkdtemp(prefix="kyso-dialog-")
started = []
try:
    subprocess.run([os.path.join(ROOT, "Tools/kyso-lab"), "init", f"{work}/lab"], check=True, stdout=subprocess.DEVNULL)
    os.makedirs(f"{work}/config/kyso")
    with open(f"{work}/config/kyso/browser-origins.json", "w") as f:
        json.dump({"origins": [{"origin": "https://ecus.customs.gov.vn", "allowedAt": "2026-01-01T00:00:00Z"}]}, f)
    socket = f"{work}/kysod.sock"
    kysod = subprocess.Popen([f"{args.bin}/kysod", "--socket", socket, "--state-dir", f"{work}/state", "--no-registered-modules",
                              "--module", "/usr/lib/softhsm/libsofthsm2.so", "--no-pcsc"],
                             env=dict(os.environ, SOFTHSM2_CONF=f"{work}/lab/softhsm2.conf"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(kysod)
    xvfb = subprocess.Popen(["Xvfb", args.display, "-screen", "0", "960x600x24"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(xvfb)
    lab = json.loads(subprocess.run([os.path.join(ROOT, "Tools/kyso-lab"), "list", f"{work}/lab"], check=True, capture_output=True).stdout)
    certificate = next(t for t in lab["tokens"] if t["label"] == "kyso-vnpt")["certificates"][0]["sha256"]
    deadline = time.monotonic() + 20
    while not os.path.exists(socket) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # the inventory's first scan
    env = dict(os.environ, DISPLAY=args.display, KYSO_SOCKET=socket, KYSO_PINENTRY=args.pinentry,
               XDG_CONFIG_HOME=f"{work}/config", LANG="C.UTF-8")
    host = subprocess.Popen([f"{args.bin}/kyso-browser-host", "chrome-extension://abkaccflcihnolnnnookekkklafdcega/"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, start_new_session=True)
    started.append(host)
    digest = hashlib.sha256("Tờ khai hải quan số 100000000001".encode()).digest()
    request = json.dumps({"id": "1", "type": "sign", "origin": "https://ecus.customs.gov.vn", "certificate": certificate,
                          "hash": base64.b64encode(digest).decode()}).encode()
    host.stdin.write(struct.pack("=I", len(request)) + request)
    host.stdin.flush()
    time.sleep(4)
    screen = subprocess.run(["xwd", "-root", "-silent", "-display", args.display], check=True, capture_output=True).stdout
    with open(args.output, "wb") as f:
        f.write(xwd_to_png(screen))
    # Cancel: the pinentry is in the host's session (start_new_session), so the group's signal reaches it too.
    os.killpg(host.pid, signal.SIGTERM)
    print(f"saved {args.output}")
finally:
    stop_all(started)
    shutil.rmtree(work, ignore_errors=True)
