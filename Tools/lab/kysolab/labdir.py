"""The lab folder: its layout, its lock and its manifest DIR/lab.json.

The manifest is what `list` prints. Every command that changes the lab rewrites it under
the lab lock (flock on DIR/.lock) and atomically (write then rename), so a test reading
it while `add-token` runs never sees half a file.
"""
import contextlib
import fcntl
import json
import os

MANIFEST = "lab.json"
OWN_ENTRIES = ("tokens", "pki", "certs", MANIFEST, "softhsm2.conf", ".lock")


class Layout:
    def __init__(self, lab_dir):
        self.dir = os.path.abspath(lab_dir)
        self.tokens = os.path.join(self.dir, "tokens")
        self.pki = os.path.join(self.dir, "pki")
        self.certs = os.path.join(self.dir, "certs")
        self.manifest = os.path.join(self.dir, MANIFEST)
        self.conf = os.path.join(self.dir, "softhsm2.conf")

    def existing_own_entries(self):
        return [e for e in OWN_ENTRIES if os.path.lexists(os.path.join(self.dir, e))]

    @contextlib.contextmanager
    def locked(self):
        """Exclusive lab lock; a fresh open file per holder, so threads exclude each other too."""
        fd = os.open(os.path.join(self.dir, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def read_manifest(self):
        with open(self.manifest, encoding="utf-8") as f:
            return json.load(f)

    def write_manifest(self, manifest):
        tmp = self.manifest + ".tmp-%d" % os.getpid()
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=2)
            f.write("\n")
        os.replace(tmp, self.manifest)
