#!/bin/sh
# autostart-unit.sh - vkit-autostart.service as built for installation: it runs the installed vctl's "start --autostart" once at boot, systemd-analyze finds nothing wrong in it, and its command line works (vctl.sh checks which VMs it starts).
. "$top_srcdir/tests/lib/tap.sh"

unit=${top_builddir:-.}/tools/vkit-autostart.service
[ -f "$unit" ] || skip_all "no $unit (configure --without-systemdsystemunitdir)"
tap_setup_tmp

exec_line=$(sed -n 's/^ExecStart=//p' "$unit")
case $exec_line in /*/vctl" start --autostart") r=0 ;; *) r=1 ;; esac
ok $r "ExecStart is the installed vctl's start --autostart ($exec_line)"
! grep -q '@[A-Za-z_]*@' "$unit"
ok $? "no @variable@ is left unsubstituted"
grep -qx 'Type=oneshot' "$unit" && grep -qx 'RemainAfterExit=yes' "$unit"
ok $? "a oneshot that stays active, so it runs once per boot"
grep -qx 'WantedBy=multi-user.target' "$unit" && grep -q '^After=.*network-online.target' "$unit"
ok $? "enabled into multi-user.target, after the network (bridges) is up"

# The same unit, but with the vctl just built, so that systemd can check
# that its command exists.
vctl=$(cd "$(dirname "$VCTL")" && pwd)/vctl
sed "s|^ExecStart=[^ ]*|ExecStart=$vctl|" "$unit" >"$TMP/vkit-autostart.service"
if command -v systemd-analyze >/dev/null; then
	# --man=no: Documentation= names a man page that is not installed yet.
	systemd-analyze verify --man=no "$TMP/vkit-autostart.service" >"$TMP/verify.out" 2>&1 &&
		! grep -qiE 'unknown|invalid|fail|not executable|ignoring' "$TMP/verify.out"
	ok $? "systemd-analyze verify finds nothing to say"
	sed 's/^/# /' "$TMP/verify.out"
	# The check above can fail: a misspelt key is reported.
	sed 's/^Type=/Typ=/' "$TMP/vkit-autostart.service" >"$TMP/typo.service"
	systemd-analyze verify --man=no "$TMP/typo.service" 2>&1 | grep -q "Unknown key 'Typ'"
	ok $? "systemd-analyze verify reports a misspelt key (the check can fail)"
else
	skip "systemd-analyze not found (apt-get install systemd)"
	skip "systemd-analyze not found (apt-get install systemd)"
fi

# Its command line, as systemd would run it (no VM is marked here).
cmd=$(sed -n 's/^ExecStart=//p' "$TMP/vkit-autostart.service")
# shellcheck disable=SC2086
$cmd >"$TMP/run.out" 2>&1
ok $? "the unit's command exits 0 when no VM is marked"
[ ! -s "$TMP/run.out" ]
ok $? "and says nothing"
sed 's/^/# /' "$TMP/run.out"
done_testing
