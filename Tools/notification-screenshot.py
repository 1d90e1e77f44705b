#!/usr/bin/env python3
"""Shows one `kyso notify` notification with a real notification server under Xvfb, and saves a PNG of it.

    Tools/notification-screenshot.py [OUTPUT.png] [--lang vi|en]

Makes a token lab in a temporary folder, starts kysod on it, a session bus of its own (dbus-daemon), Xvfb on a
free display with notification-daemon on that bus, and `kyso notify` in the language asked (Vietnamese by default,
through LANG=vi_VN.UTF-8: no generated locale needed); then adds a token to the lab and restarts kysod, which
finds it (a token plugged in, for kyso notify, which knew the others), waits for the Notify call on the bus (dbus-monitor), captures the screen with xwd and
keeps the corner the notification is drawn in. Needs xvfb, x11-apps (xwd), dbus-daemon, dbus-bin and
notification-daemon (scripts/install-deps) and a debug build. Every process it started is stopped by its pid.
"""
import argparse, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tools"))
from xwdpng import stop_all, xwd_to_png  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("output", nargs="?", default=os.path.join(ROOT, "docs/notification.png"))
parser.add_argument("--lang", default="vi", choices=("vi", "en"))
parser.add_argument("--bin", default=os.path.join(ROOT, ".build/debug"), help="folder with kysod and kyso")
parser.add_argument("--display", default=":78")
args = parser.parse_args()

work = tempfile.mkdtemp(prefix="kyso-notification-")
started = []


def start(command, **kwargs):
    process = subprocess.Popen(command, stdout=kwargs.pop("stdout", subprocess.DEVNULL), stderr=subprocess.DEVNULL, **kwargs)
    started.append(process)
    return process


def wait_for(what, condition, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"notification-screenshot: no {what} within {timeout} s")
        time.sleep(0.1)


try:
    lab = f"{work}/lab"
    subprocess.run([os.path.join(ROOT, "Tools/kyso-lab"), "init", lab], check=True, stdout=subprocess.DEVNULL)
    socket = f"{work}/kysod.sock"

    def kysod():
        return start([f"{args.bin}/kysod", "--socket", socket, "--state-dir", f"{work}/state", "--no-registered-modules",
                      "--module", "/usr/lib/softhsm/libsofthsm2.so", "--no-pcsc"],
                     env=dict(os.environ, SOFTHSM2_CONF=f"{lab}/softhsm2.conf"))
    first = kysod()
    bus = f"unix:path={work}/bus"
    start(["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address={bus}"])
    wait_for("session bus", lambda: os.path.exists(f"{work}/bus"))
    start(["Xvfb", args.display, "-screen", "0", "1024x600x24", "-nolisten", "tcp"])
    wait_for("Xvfb", lambda: os.path.exists(f"/tmp/.X11-unix/X{args.display[1:]}"))
    session = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus, DISPLAY=args.display)
    # NO_AT_BRIDGE: GTK would start the accessibility bus (at-spi), which would outlive this script.
    start(["/usr/lib/notification-daemon/notification-daemon"], env=dict(session, NO_AT_BRIDGE="1", GTK_A11Y="none"))
    monitor_log = open(f"{work}/monitor.log", "w")
    start(["dbus-monitor", "--address", bus, "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
          stdout=monitor_log)
    wait_for("socket", lambda: os.path.exists(socket))
    time.sleep(2)  # the inventory's first scan, and the notification server's start
    notifier_env = dict(session, LANG={"vi": "vi_VN.UTF-8", "en": "en_US.UTF-8"}[args.lang], LANGUAGE="", LC_ALL="", LC_MESSAGES="",
                        XDG_STATE_HOME=f"{work}/state-home")
    start([f"{args.bin}/kyso", "notify", "--socket", socket], env=notifier_env)
    time.sleep(2)  # its first snapshot: the lab's tokens were there before, so nothing is shown for them
    # SoftHSM sees a new token only when initialised again: kysod restarts (kyso notify waits for it) and finds one
    # more token than before, which kyso notify announces as plugged in.
    first.terminate()
    first.wait(timeout=30)
    subprocess.run([os.path.join(ROOT, "Tools/kyso-lab"), "add-token", lab, "--label", "VNPT-CA Token",
                    "--provider", "vnpt"], check=True, stdout=subprocess.DEVNULL)
    kysod()
    wait_for("Notify call", lambda: "member=Notify" in open(f"{work}/monitor.log").read())
    time.sleep(1.5)  # drawn
    screen = subprocess.run(["xwd", "-root", "-silent", "-display", args.display], check=True, capture_output=True).stdout
    with open(args.output, "wb") as f:
        f.write(xwd_to_png(screen, box=(544, 0, 480, 160)))  # notification-daemon draws in the top right corner
    print(f"saved {args.output}")
finally:
    stop_all(started)
    shutil.rmtree(work, ignore_errors=True)
