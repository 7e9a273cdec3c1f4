#!/bin/bash
# stage.sh: one boot of the package test, run as root in the guest by
# xeth-pkgtest.service (tests/package/image.sh) from the pkgtest share.
# stage.env (written by the host) says which stage; TAP goes to the console
# and to out/STAGE/output.log, with the exit code, dmesg and the journal.
#
# The quick test (tests/package/run.ts), on a system with 6.1 alone:
#   smoke    (6.1)   apt install both packages (DKMS builds for 6.1),
#                    modprobe, a link-less mux with ports, enable --now, the
#                    session is live with the ports, stop is clean, apt purge
#                    leaves nothing behind
# --full, on a system with both kernels:
#   install  (6.1)   apt install both packages (DKMS builds for both
#                    kernels), modprobe, a mux with ports, enable --now, the
#                    session is live with the ports
# then each on its own copy of the installed system:
#   reboot   (6.1)   module, mux and daemon came back by themselves; a kill
#                    is restarted; systemctl stop is clean
#   kernel   (6.12)  the other kernel: the module DKMS built for it at
#                    install time loads, the daemon is live; apt purge
#                    leaves nothing behind
SHARE=/mnt/pkgtest
# The host boots the first stage while it builds the packages, and writes
# stage.env after them. A host that never does kills this guest.
while [ ! -e "$SHARE/stage.env" ]; do sleep 1; done
# shellcheck source=/dev/null
. "$SHARE/stage.env"
OUT=$SHARE/out/$STAGE
mkdir -p "$OUT"
# shellcheck source=tests/vm/lib.sh
. "$SHARE/lib.sh"
# Debian's ip must find the plugins in its own directory, as on a switch.
unset IP_LIB_DIR
export DEBIAN_FRONTEND=noninteractive

MUX=xm0
UNIT=xeth-switchd@$MUX.service
# Waits are for readiness, not timing: generous, and a miss says what was
# still pending.
WAIT=${XETH_PKGTEST_WAIT:-300}

note() { echo "# $*"; }

wait_for() { # wait_for DESCRIPTION CMD...: passes once CMD succeeds
	local desc=$1 out t0=$SECONDS
	shift
	while ! out=$("$@" 2>&1); do
		if ((SECONDS - t0 >= WAIT)); then
			not_ok "$desc" "still failing after ${WAIT}s: $*" "$out"
			return 1
		fi
		sleep 1
	done
	ok "$desc ($((SECONDS - t0))s)"
}

# Each show starts Deno, seconds under TCG: one per try.
session_live() { # the daemon answers, live
	local s
	s=$(xeth-switchd show session --mux "$MUX" --json) || return 1
	jq -e '.state == "live"' <<<"$s" >/dev/null || { echo "session: $s"; return 1; }
}

holds_ports() { # its mirror holds both ports
	local l
	l=$(xeth-switchd show links --mux "$MUX" --json) || return 1
	jq -e '[.[] | select(.kind == "port") | .name] | sort == ["xeth1","xeth2"]' <<<"$l" >/dev/null ||
		{ echo "links: $l"; return 1; }
}

stamp() { # prefixes each line with the seconds since boot
	local line
	while IFS= read -r line; do
		printf '[%8s] %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$line"
	done
}

prop() { systemctl show -p "$1" --value "$UNIT"; }

check_kernel() {
	check_eq "running kernel $EXPECT_KERNEL" "$EXPECT_KERNEL" "$(uname -r)"
}

check_daemon_back() {
	check_eq "$UNIT is enabled" enabled "$(systemctl is-enabled "$UNIT" 2>&1)"
	wait_for "$UNIT is active" systemctl is-active --quiet "$UNIT"
	wait_for "show session: live" session_live
	wait_for "show links: the mirror holds xeth1 and xeth2" holds_ports
}

check_module_from_dkms() {
	check "xeth is loaded" grep -q '^xeth ' /proc/modules
	local path
	path=$(modinfo -n xeth 2>&1)
	# DKMS compresses the module as its kernel's are (xz on 6.12)
	check_eq "the loaded xeth is DKMS's for $(uname -r)" \
		"/lib/modules/$(uname -r)/updates/dkms/xeth.ko" "${path%.xz}"
}

check_stop_clean() {
	check "systemctl stop $UNIT" systemctl stop "$UNIT"
	check_eq "stopped, not failed" inactive "$(prop ActiveState)"
	check_eq "the stop was a success" success "$(prop Result)"
	check_eq "the daemon exited 0 on SIGTERM" 0 "$(prop ExecMainStatus)"
	check "its control socket is gone" test ! -e "/run/xeth-switchd/$MUX.sock"
	check "the journal has its last words" \
		bash -c "journalctl -b -u $UNIT -o cat | grep -qw stopped"
}

install_packages() {
	mkdir -p /root/debs && cp "$SHARE"/debs/*.deb /root/debs/
	local t0=$SECONDS
	if (cd /root/debs && apt install -y ./xeth-dkms_*.deb ./xeth-switchd_*.deb) 2>&1 |
		stamp >"$OUT/apt-install.log"; [ "${PIPESTATUS[0]}" = 0 ]; then
		ok "apt install ./xeth-dkms*.deb ./xeth-switchd*.deb ($((SECONDS - t0))s)"
	else
		not_ok "apt install ./xeth-dkms*.deb ./xeth-switchd*.deb" "$(tail -n 30 "$OUT/apt-install.log")"
		return 1
	fi
	local rel
	for rel in ${KERNELS//,/ }; do
		check "DKMS built and installed xeth $VERSION for $rel" \
			bash -c "dkms status -m xeth -v $VERSION -k $rel | grep -q ': installed'"
		check "xeth.ko in /lib/modules/$rel/updates/dkms" \
			bash -c "ls /lib/modules/$rel/updates/dkms/xeth.ko*"
	done
	local version
	version=$(xeth-switchd --version 2>&1)
	check_eq "xeth-switchd --version prints SWITCHD's version" "xeth-switchd $VERSION" \
		"${version%%,*}"
	check_eq "xeth-switchd --version finds the installed data plane" \
		"from /usr/lib/xeth-switchd/libxeth_dataplane.so" "${version##*) }"
}

# A mux without lower links (link-less) and two ports, through Debian's ip
# and the installed plugins; the conf brings them back after a reboot.
setup_mux() {
	check "modprobe xeth" modprobe xeth
	check_module_from_dkms
	check "ip link add $MUX type xeth-mux encap vlan" ip link add "$MUX" type xeth-mux encap vlan
	check "ip finds the plugins in /usr/lib/x86_64-linux-gnu/ip (encap printed)" \
		bash -c "ip -d link show $MUX | grep -qw 'xeth-mux encap vlan'"
	check "ip link add xeth1 link $MUX type xeth-port xid 1" \
		ip link add xeth1 link "$MUX" type xeth-port xid 1
	check "ip link add xeth2 link $MUX type xeth-port xid 2" \
		ip link add xeth2 link "$MUX" type xeth-port xid 2
	check "ip link set $MUX up" ip link set "$MUX" up
	mkdir -p /etc/xeth-switchd
	cat >"/etc/xeth-switchd/$MUX.conf" <<-EOF
		XETH_SWITCHD_OPTS="--switch software --encap vlan"
		XETH_MUX_CREATE=yes
		XETH_MUX_ENCAP=vlan
		XETH_MUX_PORTS="xeth1=1 xeth2=2"
	EOF
}

start_daemon() {
	check "systemctl enable --now $UNIT" systemctl enable --now "$UNIT"
	check_daemon_back
	check "the journal has the daemon's start" \
		bash -c "journalctl -b -u $UNIT -o cat | grep -q 'attaching to @$MUX'"
	local pid
	pid=$(prop MainPID)
	# CAP_NET_ADMIN (12) and CAP_NET_RAW (13) only, no new privileges,
	# seccomp filtering (2): the unit's sandbox is in force.
	check_eq "capability bounding set: CAP_NET_ADMIN CAP_NET_RAW" 0000000000003000 \
		"$(awk '/^CapBnd:/ { print $2 }' "/proc/$pid/status")"
	check_eq "no new privileges" 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$pid/status")"
	check_eq "seccomp filter" 2 "$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")"
	check_eq "the daemon sees / read-only (ProtectSystem=strict)" ro \
		"$(awk '$5 == "/" { split($6, o, ","); print o[1] }' "/proc/$pid/mountinfo" | tail -n 1)"
}

stage_install() {
	check_kernel
	install_packages || return
	setup_mux
	start_daemon
}

stage_smoke() {
	check_kernel
	install_packages || return
	setup_mux
	start_daemon
	check "xeth-switchd show links prints a table with the ports" \
		bash -c "xeth-switchd show links --mux $MUX | grep -qw xeth2"
	check_stop_clean
	purge_packages
}

stage_reboot() {
	check_kernel
	check_module_from_dkms
	check "mux-setup created $MUX again" \
		bash -c "journalctl -b -u $UNIT -o cat | grep -q 'mux-setup: created $MUX'"
	check "ip -d link show $MUX: an xeth-mux" \
		bash -c "ip -d link show $MUX | grep -qw 'xeth-mux encap vlan'"
	check_daemon_back
	local pid
	pid=$(prop MainPID)
	note "killing the daemon (pid $pid) with SIGKILL: Restart=on-failure"
	kill -KILL "$pid"
	wait_for "systemd restarted it" bash -c "[ \"\$(systemctl show -p NRestarts --value $UNIT)\" = 1 ]"
	wait_for "show session: live again after the restart" session_live
	check_stop_clean
}

purge_packages() {
	local t0=$SECONDS
	if apt purge -y xeth-switchd xeth-dkms 2>&1 | stamp >"$OUT/apt-purge.log"; [ "${PIPESTATUS[0]}" = 0 ]; then
		ok "apt purge xeth-switchd xeth-dkms ($((SECONDS - t0))s)"
	else
		not_ok "apt purge xeth-switchd xeth-dkms" "$(tail -n 30 "$OUT/apt-purge.log")"
	fi
	check_eq "dpkg knows neither package" "" \
		"$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' xeth-switchd xeth-dkms 2>/dev/null | grep -v '^not-installed')"
	check_eq "dkms lists no xeth" "" "$(dkms status 2>/dev/null | grep xeth)"
	check_eq "no xeth.ko left in /lib/modules" "" "$(find /lib/modules -name 'xeth.ko*')"
	check_fails "modinfo xeth finds no module" modinfo xeth
	local path
	for path in /usr/src/xeth-"$VERSION" /var/lib/dkms/xeth /usr/bin/xeth-switchd \
		/usr/lib/xeth-switchd /lib/systemd/system/xeth-switchd@.service \
		/etc/xeth-switchd /var/cache/xeth-switchd /run/xeth-switchd \
		/etc/systemd/system/multi-user.target.wants/$UNIT \
		/usr/share/doc/xeth-switchd /usr/share/doc/xeth-dkms; do
		check "purged: $path" test ! -e "$path"
	done
	check_eq "purged: no ip link plugin" "" "$(ls /usr/lib/x86_64-linux-gnu/ip/ 2>/dev/null | grep xeth)"
	check_fails "systemd no longer knows xeth-switchd@.service" systemctl cat "$UNIT"
	# The loaded module outlives its files until it is removed, cleanly.
	check "ip link del $MUX" ip link del "$MUX"
	check "rmmod xeth" rmmod xeth
}

stage_kernel() {
	check_kernel
	check_module_from_dkms
	check_daemon_back
	check "xeth-switchd show links prints a table with the ports" \
		bash -c "xeth-switchd show links --mux $MUX | grep -qw xeth2"
	check_stop_clean
	purge_packages
}

stage_none() {
	not_ok "the host built no packages to install"
}

run_stage() {
	note "stage $STAGE on $(uname -r), $(cut -d' ' -f1 /proc/uptime)s after boot"
	"stage_$STAGE"
	finish
}

run_stage 2>&1 | tee "$OUT/output.log"
rc=${PIPESTATUS[0]}
dmesg >"$OUT/dmesg.log"
journalctl -b --no-pager >"$OUT/journal.log" 2>&1
systemd-analyze blame >"$OUT/blame.log" 2>&1
echo "$rc" >"$OUT/rc"
