"""One token lab for both daemons, a private copy of it per run, and kysod started as the tests start it."""
import json
import os
import shutil
import signal
import socket
import subprocess
import time

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"

# What kysod is given, for both builds alike: the flags Tests/DaemonTests/Support.swift passes, and a
# configuration that lets uid 65534 (nobody) read, so that a second uid can be refused what it may not do,
# with limits small enough for the script to reach (503 too-many-connections, too-many-subscribers), and
# every refusal recorded one by one: past the per-minute threshold (60) refusals are counted per minute, and a
# run that straddles a minute would count them differently from one that does not.
ARGUMENTS = ["--no-registered-modules", "--module", SOFTHSM, "--no-pcsc", "--poll-interval", "0.2"]
MAX_CONNECTIONS = 8
CONFIGURATION = {"group": "nogroup", "access": {"read": {"users": ["nobody"]}},
                 "limits": {"maxConnections": MAX_CONNECTIONS, "maxEventSubscribers": 1},
                 "audit": {"refusalsRecordedPerMinute": 100000}}


class HarnessError(Exception):
    pass


def make_lab(repository, directory):
    """`Tools/kyso-lab init` with one extra token (kyso-extra-01) that the wrong-PIN requests may spend."""
    tool = os.path.join(repository, "Tools", "kyso-lab")
    subprocess.run([tool, "init", directory, "--extra", "1"], check=True, stdout=subprocess.DEVNULL)
    return manifest(repository, directory)


def manifest(repository, directory):
    tool = os.path.join(repository, "Tools", "kyso-lab")
    return json.loads(subprocess.run([tool, "list", directory], check=True, capture_output=True).stdout)


def renewed_lab(repository, template, destination):
    """The lab after a renewal: kyso-viettel's certificate renewed onto a new token, kyso-viettel-2027, and the
    old token gone, for the second half of each run (kysod restarted on its state: binding.renewal-needed)."""
    copy_lab(template, destination)
    destination = os.path.abspath(destination)
    tool = os.path.join(repository, "Tools", "kyso-lab")
    for arguments in (["add-token", destination, "--label", "kyso-viettel-2027", "--renewal-of", "kyso-viettel"],
                      ["remove-token", destination, "kyso-viettel"]):
        subprocess.run([tool] + arguments, check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, SOFTHSM2_CONF=os.path.join(destination, "softhsm2.conf")))
    return destination


def copy_lab(template, destination):
    """An identical copy of the token store (so both daemons see the same tokens, serials and keys) with its
    own softhsm2.conf, as Lab.copy() in Tests/KysoTestSupport does."""
    destination = os.path.abspath(destination)
    shutil.copytree(template, destination, symlinks=True)
    # lab.json names files by absolute path: point them into the copy, so that kyso-lab commands on the copy
    # never touch the template (as Lab.copy() does).
    manifest_path = os.path.join(destination, "lab.json")
    template = os.path.abspath(template)
    with open(manifest_path) as source:
        text = source.read()
    text = text.replace(template + "/", destination + "/").replace('"%s"' % template, '"%s"' % destination)
    with open(manifest_path, "w") as out:
        out.write(text)
    conf = os.path.join(destination, "softhsm2.conf")
    with open(conf, "w") as out:
        out.write("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n\n"
                  % os.path.join(destination, "tokens"))
    return conf


class Daemon:
    """kysod in `directory`: socket run/kysod.sock, state in state/, log in kysod.log; ready on READY=1."""

    def __init__(self, binary, directory, softhsm_conf, ready_timeout=120.0, name="kysod"):
        self.binary = binary
        self.directory = directory
        os.makedirs(os.path.join(directory, "run"), exist_ok=True)
        # The folders stay reachable for uid 65534: the socket's own mode and group are what kysod checks.
        for folder in (directory, os.path.join(directory, "run")):
            os.chmod(folder, 0o755)
        self.socket_path = os.path.join(directory, "run", "kysod.sock")
        self.log_path = os.path.join(directory, name + ".log")
        config = os.path.join(directory, "kysod.json")
        with open(config, "w") as out:
            json.dump(CONFIGURATION, out)
        notify_path = os.path.join(directory, name + "-notify.sock")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(0.1)
        env = dict(os.environ, SOFTHSM2_CONF=softhsm_conf, NOTIFY_SOCKET=notify_path)
        arguments = [binary, "--socket", self.socket_path, "--state-dir", os.path.join(directory, "state"),
                     "--config", config] + ARGUMENTS
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(arguments, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.started = time.time()
        deadline = time.monotonic() + ready_timeout
        try:
            while True:
                try:
                    if b"READY=1" in notify.recv(4096):
                        break
                except socket.timeout:
                    pass
                if self.process.poll() is not None:
                    raise HarnessError("%s exited (%s) before READY=1:\n%s" % (binary, self.process.returncode, self.tail()))
                if time.monotonic() > deadline:
                    self.stop()
                    raise HarnessError("%s not ready within %.0f s:\n%s" % (binary, ready_timeout, self.tail()))
        finally:
            notify.close()

    @property
    def pid(self):
        return self.process.pid

    def children(self):
        """kysod's child processes now (its module hosts), from /proc."""
        found = set()
        task_root = "/proc/%d/task" % self.pid
        try:
            for task in os.listdir(task_root):
                with open(os.path.join(task_root, task, "children")) as source:
                    found.update(int(pid) for pid in source.read().split())
        except OSError:
            pass
        return found

    def tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as source:
                return b"\n".join(source.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout=20.0):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode
