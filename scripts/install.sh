#!/bin/sh
# Installs Kyso: binaries, systemd units (and the user unit kyso-notify.service), sysusers/tmpfiles entries, udev
# rules, the polkit rule, an example configuration, manual pages in English and Vietnamese and shell completions. Called by `make install`, which passes the directories below; run from
# the repository root. See the Makefile's install section for why each directory is where it is.
#
# With DESTDIR set (package builds, tests) only files under DESTDIR are written. Without it, the
# kyso user, /run/kyso and /etc/kyso are created and systemd and udev reloaded; nothing is enabled
# or started.
set -eu

: "${DESTDIR:=}"
: "${PREFIX:=/usr/local}"
: "${SWIFT:=swift}"
: "${KYSO_BINARIES:=}"             # directory with prebuilt kyso and kysod; empty: build release now
: "${INSTALL_BUILD_FLAGS:=}"       # extra `swift build` flags, e.g. --scratch-path .build-release
: "${SYSCONFDIR:=/etc}"
: "${BINDIR:=$PREFIX/bin}"
: "${UNITDIR:=$PREFIX/lib/systemd/system}"
: "${USERUNITDIR:=$PREFIX/lib/systemd/user}"   # systemd --user reads /usr/local/lib/systemd/user and /usr/lib/systemd/user
: "${MANDIR:=$PREFIX/share/man}"
: "${BASHCOMPLETIONDIR:=$PREFIX/share/bash-completion/completions}"
: "${ZSHCOMPLETIONDIR:=$PREFIX/share/zsh/vendor-completions}"
: "${FISHCOMPLETIONDIR:=$PREFIX/share/fish/vendor_completions.d}"
: "${SYSUSERSDIR:=$PREFIX/lib/sysusers.d}"
: "${TMPFILESDIR:=$PREFIX/lib/tmpfiles.d}"
: "${UDEVRULESDIR:=$PREFIX/lib/udev/rules.d}"
: "${POLKITRULESDIR:=/etc/polkit-1/rules.d}"
: "${DOCDIR:=$PREFIX/share/doc/kyso}"
: "${LIBEXECDIR:=$PREFIX/libexec/kyso}"    # kysod finds kyso-module-host at ../libexec/kyso from its own folder
: "${CHROMIUM_HOSTSDIR:=$SYSCONFDIR/chromium/native-messaging-hosts}"   # Debian's chromium
: "${CHROME_HOSTSDIR:=$SYSCONFDIR/opt/chrome/native-messaging-hosts}"    # Google Chrome
: "${MOZILLA_HOSTSDIR:=/usr/lib/mozilla/native-messaging-hosts}"         # Firefox (Debian's firefox-esr)
: "${BROWSERDIR:=$PREFIX/share/kyso/browser}"                            # the extension and kyso-web.js

bins=$KYSO_BINARIES
if [ -z "$bins" ]; then
    # shellcheck disable=SC2086
    "$SWIFT" build -c release $INSTALL_BUILD_FLAGS
    # shellcheck disable=SC2086
    bins=$("$SWIFT" build -c release $INSTALL_BUILD_FLAGS --show-bin-path)
fi
for program in kyso kysod kyso-module-host kyso-browser-host; do
    [ -x "$bins/$program" ] || { echo "install.sh: $bins/$program is missing or not executable" >&2; exit 1; }
done
for program in kyso kysod; do
    install -D -m 0755 "$bins/$program" "$DESTDIR$BINDIR/$program"
done
# Run by kysod, never by people: one process per PKCS#11 module (docs/module-hosts.md).
install -D -m 0755 "$bins/kyso-module-host" "$DESTDIR$LIBEXECDIR/kyso-module-host"
# Started by the browser for the Kyso extension (native messaging, docs/browser.md); its manifests name it by
# absolute path and the one extension id (Chromium) or add-on id (Firefox) allowed to start it.
install -D -m 0755 "$bins/kyso-browser-host" "$DESTDIR$LIBEXECDIR/kyso-browser-host"
for pair in "chromium:$CHROMIUM_HOSTSDIR" "chromium:$CHROME_HOSTSDIR" "firefox:$MOZILLA_HOSTSDIR"; do
    install -d -m 0755 "$DESTDIR${pair#*:}"
    sed -e "s|/usr/local/libexec/kyso/|$LIBEXECDIR/|" "browser/native-messaging/${pair%%:*}.json" \
        > "$DESTDIR${pair#*:}/vn.kyso.browser_host.json"
    chmod 0644 "$DESTDIR${pair#*:}/vn.kyso.browser_host.json"
done
for file in browser/kyso-web.js browser/extension/manifest.json browser/extension/background.js browser/extension/content.js; do
    install -D -m 0644 "$file" "$DESTDIR$BROWSERDIR/${file#browser/}"
done

# The units name /usr/local/bin/kysod and /usr/local/share/doc/kyso; point them at this prefix.
install -d -m 0755 "$DESTDIR$UNITDIR"
for unit in kysod.service kysod.socket; do
    sed -e "s|/usr/local/bin/|$BINDIR/|g" -e "s|/usr/local/share/doc/kyso/|$DOCDIR/|g" \
        "systemd/$unit" > "$DESTDIR$UNITDIR/$unit"
    chmod 0644 "$DESTDIR$UNITDIR/$unit"
done
# kyso notify, per user: installed, enabled by nobody (`systemctl --user enable --now kyso-notify.service`).
install -d -m 0755 "$DESTDIR$USERUNITDIR"
sed -e "s|/usr/local/bin/|$BINDIR/|g" -e "s|/usr/local/share/doc/kyso/|$DOCDIR/|g" \
    systemd/kyso-notify.service > "$DESTDIR$USERUNITDIR/kyso-notify.service"
chmod 0644 "$DESTDIR$USERUNITDIR/kyso-notify.service"
install -D -m 0644 systemd/sysusers.d/kyso.conf "$DESTDIR$SYSUSERSDIR/kyso.conf"
install -D -m 0644 systemd/tmpfiles.d/kyso.conf "$DESTDIR$TMPFILESDIR/kyso.conf"
install -D -m 0644 udev/70-kyso-tokens.rules "$DESTDIR$UDEVRULESDIR/70-kyso-tokens.rules"
# polkit rules are read by polkitd (its own user), hence world-readable.
for rule in systemd/polkit/*.rules; do
    [ -e "$rule" ] || continue
    install -D -m 0644 "$rule" "$DESTDIR$POLKITRULESDIR/$(basename "$rule")"
done

# /etc/kyso is root:kyso 0750 (tmpfiles.d fixes the group), so files in it can be 0644: only root
# and group kyso get through the directory, and the configuration holds no secrets.
install -d -m 0750 "$DESTDIR$SYSCONFDIR/kyso"
install -m 0644 config/kysod.example.json "$DESTDIR$SYSCONFDIR/kyso/kysod.json.example"
# kysod.service passes --config /etc/kyso/kysod.json, so one must exist: all defaults, never overwritten.
if [ ! -e "$DESTDIR$SYSCONFDIR/kyso/kysod.json" ]; then
    printf '{\n  "_comment": "kysod configuration. Every key is optional and the defaults are safe; see kysod.json.example beside this file."\n}\n' \
        > "$DESTDIR$SYSCONFDIR/kyso/kysod.json"
    chmod 0644 "$DESTDIR$SYSCONFDIR/kyso/kysod.json"
fi
install -D -m 0644 README.md "$DESTDIR$DOCDIR/README.md"

# Manual pages, written now from the binaries being installed (their --experimental-dump-help, in each language), so
# they always say what this kyso's and kysod's --help say: kyso(1) and kysod(8), English and Vietnamese.
for lang in en vi; do
    dir="$DESTDIR$MANDIR"
    [ "$lang" = en ] || dir="$dir/$lang"
    Tools/man/kyso-man --program "$bins/kyso" --section 1 --lang "$lang" --output "$dir/man1/kyso.1"
    Tools/man/kyso-man --program "$bins/kysod" --section 8 --lang "$lang" --output "$dir/man8/kysod.8"
    chmod 0644 "$dir/man1/kyso.1" "$dir/man8/kysod.8"
done
# Shell completions from argument-parser, where Debian's bash-completion, zsh and fish look for them. A completion
# file is sourced, not run: argument-parser's #!/bin/bash line goes.
install -d -m 0755 "$DESTDIR$BASHCOMPLETIONDIR" "$DESTDIR$ZSHCOMPLETIONDIR" "$DESTDIR$FISHCOMPLETIONDIR"
for pair in "bash:$BASHCOMPLETIONDIR/kyso" "zsh:$ZSHCOMPLETIONDIR/_kyso" "fish:$FISHCOMPLETIONDIR/kyso.fish"; do
    # Into a variable first: a kyso that fails stops the install (sh has no pipefail).
    # In English whatever the installer's locale: the files serve every user of the machine.
    script=$(LANG=C.UTF-8 LANGUAGE='' LC_ALL='' LC_MESSAGES='' "$bins/kyso" --generate-completion-script "${pair%%:*}")
    [ -n "$script" ] || { echo "install.sh: kyso gave no ${pair%%:*} completion script" >&2; exit 1; }
    printf '%s\n' "$script" | sed '1{/^#!/d}' > "$DESTDIR${pair#*:}"
done
chmod 0644 "$DESTDIR$BASHCOMPLETIONDIR/kyso" "$DESTDIR$ZSHCOMPLETIONDIR/_kyso" "$DESTDIR$FISHCOMPLETIONDIR/kyso.fish"

if [ -n "$DESTDIR" ]; then
    exit 0
fi
systemd-sysusers "$SYSUSERSDIR/kyso.conf"
systemd-tmpfiles --create "$TMPFILESDIR/kyso.conf"
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    udevadm control --reload || true
fi
echo "Kyso installed. Start it: systemctl enable --now kysod.socket kysod.service"
echo "Let a user read the API: usermod -aG kyso USER (then log in again)"
echo "Desktop notifications, per user: systemctl --user enable --now kyso-notify.service"
