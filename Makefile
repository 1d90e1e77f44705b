# Kyso: the two everyday commands are `make demo` and `make test`.
SWIFT ?= swift
LAB ?= .lab
BIN = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)
SOFTHSM_MODULE ?= /usr/lib/softhsm/libsofthsm2.so
PREFIX ?= /usr/local

.PHONY: demo test build deps lab clean

deps:
	./scripts/install-deps

build: deps
	$(SWIFT) build

# The demo on software tokens (scripts/demo): lab, doctor, kysod, and a virtual card inserted and pulled.
demo: build
	LAB=$(LAB) ./scripts/demo

# Everything CI runs: unit tests, SoftHSM2 tests, virtual cards in a private pcscd, a minute of fuzzing.
HEAVY_SUITES = BrowserTests\.|RemoteSigningTests\.|TokenServerTests
# How many tests of one process run at once. Unbounded, swift-testing starts every async test together: on two cores
# dozens of kysods, pcscds and openssl runs then share the CPU, the tests' blocking waits hold the cooperative pool,
# and requests outlive kysod's 10 s header timeout (CI on a slower machine: 7 failures, time limits and closed
# connections). Three at a time: the core suites passed in 264 s beside two other Swift builds (load 9-11), where
# unbounded they took 135-155 s on a quiet machine. A test's time limit counts its run, not its wait for a turn.
TEST_WIDTH ?= 3
SWIFT_TEST = PCSCLITE_CSOCK_NAME=/tmp/kyso-test-pcscd-$$$$/pcscd.comm $(SWIFT) test --skip-build --experimental-maximum-parallelization-width $(TEST_WIDTH)
test: deps
	./scripts/check-boundaries
	Tools/test-kyso-lab.sh
	$(SWIFT) build --build-tests
	# One private pcscd socket per test process: libpcsclite fixes its socket at the first PC/SC call.
	# Three runs, so the heaviest suites do not share two cores with everything else (each test has a time limit):
	# the unit, daemon, security, store and PC/SC suites; the fault injection; then the end-to-end integrations
	# (Chromium and Firefox, the CSC test service, sshd).
	$(SWIFT_TEST) --skip '$(HEAVY_SUITES)|FaultTests\.'
	$(SWIFT_TEST) --filter 'FaultTests\.'
	$(SWIFT_TEST) --filter '$(HEAVY_SUITES)'
	# The HTTP and JSON edge under libFuzzer and ASan for 60 s (its own build in .build-fuzz); fails on a finding.
	SWIFT=$(SWIFT) Tools/fuzz/run.sh 60

lab: deps
	Tools/kyso-lab init $(LAB) --force

clean:
	rm -rf .build $(LAB)

# --- make install (packaging engineer) -------------------------------------------------------------
# `make install` builds release binaries and installs them with the systemd units, sysusers/tmpfiles
# entries, udev rules, polkit rule and an example configuration (scripts/install.sh does the work).
# DESTDIR stages into a tree (packages, tests) and then nothing else on this machine is touched;
# without DESTDIR it also creates the kyso user, /run/kyso and /etc/kyso, and reloads systemd and udev.
# It never enables or starts anything.
#
# Everything systemd reads goes under $(PREFIX)/lib: systemd 252 (Debian 12) searches
# /usr/local/lib/{systemd/system,sysusers.d,tmpfiles.d,udev/rules.d} as well as /usr/lib/..., so the
# default PREFIX=/usr/local keeps a hand-installed Kyso apart from dpkg's files and leaves /etc/systemd
# and /etc/udev to the admin's overrides; a package build uses PREFIX=/usr. polkit reads only
# /etc/polkit-1/rules.d and /usr/share/polkit-1/rules.d, so its directory is set on its own (a package
# sets POLKITRULESDIR=/usr/share/polkit-1/rules.d).
#
# KYSO_BINARIES=DIR installs the kyso, kysod, kyso-module-host and kyso-browser-host already built in DIR instead of
# building them; the browser host's native-messaging manifests go to /etc/chromium, /etc/opt/chrome and /usr/lib/mozilla;
# INSTALL_BUILD_FLAGS adds `swift build` flags (e.g. --scratch-path .build-release).
DESTDIR ?=
KYSO_BINARIES ?=
INSTALL_BUILD_FLAGS ?=
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
POLKITRULESDIR ?= /etc/polkit-1/rules.d

.PHONY: install
install:
	DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SWIFT="$(SWIFT)" KYSO_BINARIES="$(KYSO_BINARIES)" \
	INSTALL_BUILD_FLAGS="$(INSTALL_BUILD_FLAGS)" SYSCONFDIR="$(SYSCONFDIR)" UNITDIR="$(UNITDIR)" \
	SYSUSERSDIR="$(SYSUSERSDIR)" TMPFILESDIR="$(TMPFILESDIR)" UDEVRULESDIR="$(UDEVRULESDIR)" \
	POLKITRULESDIR="$(POLKITRULESDIR)" ./scripts/install.sh

# --- make bench (performance) ----------------------------------------------------------------------
# Release build, then kyso-bench: its own lab in a temp folder, kysod against p11tool, pkcs11-tool and
# direct C_Sign, side by side in one run; prints the table and writes bench-results.json.
# BENCH_FLAGS=--quick for a ≈2-minute run; see docs/benchmarks.md for the figures and what they mean.
BENCH_FLAGS ?=
BENCH_JSON ?= bench-results.json

.PHONY: bench
bench: deps
	$(SWIFT) build -c release --product kysod
	$(SWIFT) build -c release --product kyso
	$(SWIFT) build -c release --product kyso-module-host
	$(SWIFT) build -c release --product kyso-bench
	"$$($(SWIFT) build -c release --show-bin-path)/kyso-bench" --json "$(BENCH_JSON)" $(BENCH_FLAGS)

# --- make deb, make package-test (Debian package) --------------------------------------------------
# `make deb` builds kyso_VERSION_ARCH.deb with dpkg-buildpackage (debian/) on a copy of the tree in build/deb/src,
# so the .deb, .changes and .buildinfo land in build/deb and nothing in or above the repository changes. The copy
# is updated in place (mtimes kept) and the release build lives in .build-release, so a second run recompiles only
# what changed. Then lintian, which fails the target on an error.
# `make package-test` installs that .deb with apt into a fresh Debian 12 root (debootstrap, cached in
# build/debootstrap), checks the files, then removes and purges it (scripts/package-test; several minutes).
DEB_DIR ?= build/deb

.PHONY: deb package-test
deb:
	./scripts/install-deps --packaging
	DEB_DIR="$(DEB_DIR)" SWIFT="$(SWIFT)" scripts/build-deb

package-test:
	./scripts/install-deps --packaging
	DEB_DIR="$(DEB_DIR)" scripts/package-test
