#!/bin/bash
# stage.sh: one boot of the package test, run as root in the guest by
# xeth-pkgtest.service (tests/package/image.sh) from the pkgtest share.
# stage.env (written by the host) says which stage; TAP goes to the console
# and to out/STAGE/output.log, with the exit code, dmesg and the journal.
#
# The quick test (tests/package/run.ts), on a system with 6.1 alone:
#   smoke    (6.1)   apt install both packages (DKMS builds for 6.1),
#                    modprobe, a link-less mux with ports, enable --now, the
#                    session is live with the ports; xeth-switch@up0 enabled
#                    and listening, sandboxed, driven by a second SWITCHD
#                    (xeth-switchd@xm1, a mux linked to its uplink), a kill
#                    is restarted; stop is clean, apt purge stops
#                    xeth-switch and leaves nothing behind
# --full, on a system with both kernels:
#   install  (6.1)   apt install both packages (DKMS builds for both
#                    kernels), modprobe, a mux with ports, enable --now, the
#                    session is live with the ports; xeth-switch@up0 as in
#                    smoke
# then each on its own copy of the installed system:
#   reboot   (6.1)   module, mux and daemon came back by themselves; a kill
#                    is restarted; systemctl stop is clean; xeth-switch@up0
#                    retries until its address comes, then listens
#   kernel   (6.12)  the other kernel: the module DKMS built for it at
#                    install time loads, the daemon is live; xeth-switch@up0
#                    as in reboot; apt purge stops it and leaves nothing
#                    behind
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
# The SWITCH on another machine, here on this one: the veth up0/up1 stands
# for the tunnel (up0 xeth-switch's uplink, up1 the lower link of the mux
# RMUX), the dummy xsw0's address for the tunnel's own, the veth sw1/h1 for
# a port's wire. The instance is named after its uplink.
XSW_UNIT=xeth-switch@up0.service
XSW_ADDR=10.99.0.2:9797
RMUX=xm1
RUNIT=xeth-switchd@$RMUX.service
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
xsw_prop() { systemctl show -p "$1" --value "$XSW_UNIT"; }

listens() { # listens ADDR:PORT: a TCP socket listens on exactly that
	ss -Hltn "sport = :${1##*:}" | awk -v a="$1" '$4 == a { f = 1 } END { exit !f }'
}

carrier() { # carrier DEV yes|no: DEV has carrier (LOWER_UP), or has not
	local has
	has=$(ip -j link show dev "$1" | jq -r '.[0].flags | index("LOWER_UP") != null') || return 1
	[ "$has" = "$([ "$2" = yes ] && echo true || echo false)" ] || { echo "$1: LOWER_UP $has"; return 1; }
}

packet_socket() { # packet_socket DEV: xeth-switch has a packet socket on DEV
	ss -0np | awk -v d="*:$1" '$4 == d && /"xeth-switch"/ { f = 1 } END { exit !f }' ||
		{ ss -0np; return 1; }
}

controllers() { # controllers N: xeth-switch took a controller N times this boot
	local n
	n=$(journalctl -b -u "$XSW_UNIT" -o cat | grep -c 'controller [^ ]* connected$')
	[ "$n" = "$1" ] || { echo "controllers taken: $n"; return 1; }
}

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
		# shellcheck disable=SC2153 # VERSION comes from stage.env
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
	check "xeth-switch --help prints its options" \
		bash -c "xeth-switch --help | grep -q -- '--listen ADDR:PORT'"
	version=$(xeth-switch --version 2>&1)
	check_eq "xeth-switch --version names it ($version)" xeth-switch "${version%% *}"
	# A template is verified as an instance of it. --man=no: the image has
	# neither man nor man pages (dpkg excludes them); the host renders the
	# package's pages with man.
	local unit out
	for unit in xeth-switch@.service xeth-switchd@.service; do
		out=$(systemd-analyze verify --man=no "/lib/systemd/system/$unit" 2>&1)
		check_eq "systemd-analyze verify $unit: exit 0, nothing to say" "0:" "$?:$out"
	done
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

# The tunnel's address, on a dummy link: gone after a reboot, as a
# WireGuard address is until wg-quick brings it back.
switch_address() {
	ip link add xsw0 type dummy && ip addr add "${XSW_ADDR%:*}/32" dev xsw0 && ip link set xsw0 up
}

remote_links() { # the tunnel's stand-in and a port's wire
	ip link add up0 type veth peer name up1 && ip link set up0 up && ip link set up1 up &&
		ip link add sw1 type veth peer name h1 && ip link set h1 up && ip link set sw1 arp off up
}

check_switch_sandbox() {
	local pid uid
	pid=$(xsw_prop MainPID)
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
	check "xeth-switch runs as its own user $(ps -o user= -p "$pid"), not root (DynamicUser=)" \
		bash -c "[ -n '$uid' ] && [ '$uid' != 0 ]"
	# CAP_NET_RAW (13) alone, ambient so that the user has it; no new
	# privileges, seccomp filtering (2), a read-only root.
	check_eq "its capability bounding set: CAP_NET_RAW" 0000000000002000 \
		"$(awk '/^CapBnd:/ { print $2 }' "/proc/$pid/status")"
	check_eq "its effective capabilities: CAP_NET_RAW" 0000000000002000 \
		"$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")"
	check_eq "no new privileges" 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$pid/status")"
	check_eq "seccomp filter" 2 "$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")"
	check_eq "it sees / read-only" ro \
		"$(awk '$5 == "/" { split($6, o, ","); print o[1] }' "/proc/$pid/mountinfo" | tail -n 1)"
	# 2.0 on systemd's scale of 10 ("OK"); what it cannot drop is the
	# host's network and CAP_NET_RAW, the two it works with.
	local level
	level=$(systemd-analyze security "$XSW_UNIT" 2>&1 | grep -o 'Overall exposure level for [^:]*: [0-9.]*')
	check "systemd-analyze security $XSW_UNIT: exposure ${level##* }, 2.0 or less" \
		systemd-analyze security --threshold=20 "$XSW_UNIT"
}

# xeth-switch@up0 from the example configuration as shipped, and its
# controller xeth-switchd@xm1, whose mux mux-setup links to up1, with the
# port rp1 attached to sw1 on xeth-switch's side. Both start before the
# veths exist, as at a boot where the tunnel comes up last: each takes its
# link when it appears.
start_remote_switch() {
	check "the tunnel's address ${XSW_ADDR%:*} on the dummy xsw0" switch_address
	mkdir -p /etc/xeth-switch
	# The image's dpkg keeps no /usr/share/doc but copyright: the example
	# comes from the package itself.
	check "/etc/xeth-switch/up0.conf: the shipped example, unchanged" bash -c \
		"dpkg-deb --fsys-tarfile /root/debs/xeth-switchd_*.deb |
			tar -xO ./usr/share/doc/xeth-switchd/examples/xeth-switch.conf >/etc/xeth-switch/up0.conf"
	check "systemctl enable --now $XSW_UNIT (no up0 yet)" systemctl enable --now "$XSW_UNIT"
	wait_for "$XSW_UNIT is active" systemctl is-active --quiet "$XSW_UNIT"
	wait_for "it listens on $XSW_ADDR (ss -ltn)" listens "$XSW_ADDR"
	check "the journal has its start on up0" \
		bash -c "journalctl -b -u $XSW_UNIT -o cat | grep -q 'behind up0 (vlan), listening on $XSW_ADDR'"
	check_switch_sandbox

	cat >"/etc/xeth-switchd/$RMUX.conf" <<-EOF
		XETH_SWITCHD_OPTS="--switch remote=$XSW_ADDR --encap vlan --attach rp1=sw1 --stats-interval 1"
		XETH_MUX_CREATE=yes
		XETH_MUX_ENCAP=vlan
		XETH_MUX_LINKS=up1
		XETH_MUX_PORTS="rp1=1"
	EOF
	check_fails "systemctl start $RUNIT (its controller) fails: mux-setup finds no up1" \
		systemctl start "$RUNIT"
	check "veths up0/up1 (the tunnel) and sw1/h1 (a port's wire)" remote_links
	wait_for "$RUNIT is active once systemd restarted it" systemctl is-active --quiet "$RUNIT"
	check "mux-setup linked $RMUX to up1 on that try" \
		bash -c "ip -j link show dev up1 | jq -e '.[0].master == \"$RMUX\"' >/dev/null"
	wait_for "xeth-switch opened its uplink up0 (a packet socket)" packet_socket up0
	check "ip link set rp1 up" ip link set rp1 up
	wait_for "xeth-switch took SWITCHD as its controller" controllers 1
	wait_for "xeth-switch opened the port's wire sw1 (a packet socket)" packet_socket sw1
	# A port's carrier comes from its wire on the far side, which
	# xeth-switch reads through that socket.
	wait_for "rp1 has sw1's carrier" carrier rp1 yes
	check "ip link set h1 down" ip link set h1 down
	wait_for "rp1 loses it with sw1's" carrier rp1 no
	check "ip link set h1 up" ip link set h1 up
	wait_for "rp1 has it again" carrier rp1 yes

	local pid
	pid=$(xsw_prop MainPID)
	note "killing xeth-switch (pid $pid) with SIGKILL: Restart=on-failure"
	kill -KILL "$pid"
	wait_for "systemd restarted it" bash -c "[ \"\$(systemctl show -p NRestarts --value $XSW_UNIT)\" = 1 ]"
	wait_for "it listens on $XSW_ADDR again" listens "$XSW_ADDR"
	wait_for "SWITCHD connected to it again" controllers 2

	check_switch_instances
}

# Instances other than one per uplink: a name of one's own with
# XETH_SWITCH_UPLINK; none without a file; no restart after a usage error.
check_switch_instances() {
	cat >/etc/xeth-switch/spare.conf <<-EOF
		XETH_SWITCH_UPLINK=up9
		XETH_SWITCH_OPTS="--listen ${XSW_ADDR%:*}:9798"
	EOF
	check "systemctl start xeth-switch@spare" systemctl start xeth-switch@spare
	wait_for "xeth-switch@spare listens on ${XSW_ADDR%:*}:9798" listens "${XSW_ADDR%:*}:9798"
	check_eq "its uplink is the file's XETH_SWITCH_UPLINK, not the instance name" \
		"/usr/bin/xeth-switch --uplink up9 --listen ${XSW_ADDR%:*}:9798 " \
		"$(tr '\0' ' ' <"/proc/$(systemctl show -p MainPID --value xeth-switch@spare)/cmdline")"
	check "systemctl stop xeth-switch@spare" systemctl stop xeth-switch@spare

	check_fails "systemctl start xeth-switch@nofile fails: no /etc/xeth-switch/nofile.conf" \
		systemctl start xeth-switch@nofile
	check_eq "on its assertion (AssertPathExists=)" no \
		"$(systemctl show -p AssertResult --value xeth-switch@nofile)"

	echo 'XETH_SWITCH_OPTS="--listen"' >/etc/xeth-switch/bad.conf
	# The start itself succeeds (Type=exec: the program ran); it exits then.
	systemctl start xeth-switch@bad
	wait_for "xeth-switch@bad (a usage error) failed" \
		bash -c "[ \"\$(systemctl show -p SubState --value xeth-switch@bad)\" = failed ]"
	check_eq "exit status 2, not restarted (RestartPreventExitStatus=2)" "2 0" \
		"$(systemctl show -p ExecMainStatus --value xeth-switch@bad) $(systemctl show -p NRestarts --value xeth-switch@bad)"
}

# The same package again runs an upgrade's maintainer scripts (postinst
# configure with the installed version): running instances are restarted
# on the new files.
check_upgrade() {
	local xsw_before xsw_after sw_before sw_after t0=$SECONDS
	xsw_before=$(xsw_prop MainPID)
	sw_before=$(prop MainPID)
	if dpkg -i /root/debs/xeth-switchd_*.deb 2>&1 | stamp >"$OUT/dpkg-upgrade.log"; [ "${PIPESTATUS[0]}" = 0 ]; then
		ok "dpkg -i xeth-switchd*.deb over itself, an upgrade ($((SECONDS - t0))s)"
	else
		not_ok "dpkg -i xeth-switchd*.deb over itself" "$(tail -n 30 "$OUT/dpkg-upgrade.log")"
	fi
	xsw_after=$(xsw_prop MainPID)
	sw_after=$(prop MainPID)
	check "it restarted $XSW_UNIT (pid $xsw_before, then $xsw_after)" \
		bash -c "[ '$xsw_after' != '$xsw_before' ] && [ '$xsw_after' != 0 ]"
	check "it restarted $UNIT (pid $sw_before, then $sw_after)" \
		bash -c "[ '$sw_after' != '$sw_before' ] && [ '$sw_after' != 0 ]"
	wait_for "$XSW_UNIT listens on $XSW_ADDR again" listens "$XSW_ADDR"
	wait_for "show session: live again" session_live
}

# After a boot: the enabled instance started before its address existed
# (a tunnel that comes up later) and kept trying until it could listen.
check_switch_back() {
	check_eq "$XSW_UNIT is enabled" enabled "$(systemctl is-enabled "$XSW_UNIT" 2>&1)"
	wait_for "it could not listen yet, and said why" \
		bash -c "journalctl -b -u $XSW_UNIT -o cat | grep -q 'cannot listen on $XSW_ADDR'"
	check "the tunnel's address comes back" switch_address
	wait_for "$XSW_UNIT listens on $XSW_ADDR once it can" listens "$XSW_ADDR"
	check "systemd restarted it until then (NRestarts $(xsw_prop NRestarts))" \
		test "$(xsw_prop NRestarts)" -ge 1
	check_eq "$XSW_UNIT is active" active "$(xsw_prop ActiveState)"
}

stage_install() {
	check_kernel
	install_packages || return
	setup_mux
	start_daemon
	start_remote_switch
}

stage_smoke() {
	check_kernel
	install_packages || return
	setup_mux
	start_daemon
	check "xeth-switchd show links prints a table with the ports" \
		bash -c "xeth-switchd show links --mux $MUX | grep -qw xeth2"
	start_remote_switch
	check_upgrade
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
	check_switch_back
}

purge_packages() {
	local t0=$SECONDS since
	since=$(date +%s)
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
	# The removal stopped xeth-switch (prerm), cleanly.
	check_fails "no xeth-switch process is left" pgrep -x xeth-switch
	check_fails "nothing listens on $XSW_ADDR" listens "$XSW_ADDR"
	check "the journal has $XSW_UNIT stopped cleanly during the removal" \
		bash -c "journalctl -u $XSW_UNIT --since @$since -o cat | grep -q 'Deactivated successfully'"
	local path
	for path in /usr/src/xeth-"$VERSION" /var/lib/dkms/xeth /usr/bin/xeth-switchd \
		/usr/lib/xeth-switchd /lib/systemd/system/xeth-switchd@.service \
		/etc/xeth-switchd /var/cache/xeth-switchd /run/xeth-switchd \
		/etc/systemd/system/multi-user.target.wants/$UNIT \
		/usr/bin/xeth-switch /lib/systemd/system/xeth-switch@.service /etc/xeth-switch \
		/etc/systemd/system/multi-user.target.wants/$XSW_UNIT \
		/usr/share/doc/xeth-switchd /usr/share/doc/xeth-dkms; do
		check "purged: $path" test ! -e "$path"
	done
	check_eq "purged: no ip link plugin" "" "$(find /usr/lib/x86_64-linux-gnu/ip/ -name '*xeth*' 2>/dev/null)"
	check_fails "systemd no longer knows xeth-switchd@.service" systemctl cat "$UNIT"
	check_fails "systemd no longer knows xeth-switch@.service" systemctl cat "$XSW_UNIT"
	# The loaded module outlives its files until its muxes and it are
	# removed, cleanly. The smoke stage's linked mux goes first.
	if ip link show dev "$RMUX" >/dev/null 2>&1; then
		check "ip link del $RMUX" ip link del "$RMUX"
	fi
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
	check_switch_back
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
