# Helpers for the firmware scenarios (fw_*.sh: muxes and ports that an
# ACPI table describes, tests/vm/acpi/), sourced after lib.sh.

MUXDRV=/sys/bus/platform/drivers/xeth-mux
PORTDRV=/sys/bus/platform/drivers/xeth-port

# fw_dev NODE: the platform device of an ACPI node (\_SB_.XMUX -> PRP0001:01)
fw_dev() {
	local d p
	for d in /sys/bus/platform/devices/*; do
		p=$(cat "$d/firmware_node/path" 2>/dev/null) || continue
		[ "$p" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}
# bound DRIVER_DIR DEV: DEV is bound to the driver
bound() { [ -e "$1/$2" ]; }
# bound_to DEV: the driver DEV is bound to, or "none"
bound_to() {
	local l
	l=$(readlink "/sys/bus/platform/devices/$1/driver") || { echo none; return; }
	echo "${l##*/}"
}
# xeth_links: every xeth link (mux and proxies), sorted, on one line
xeth_links() {
	ip -d -j link show | jq -r '[.[] | select(.linkinfo.info_kind // "" | startswith("xeth")) | .ifname] | sort | join(" ")'
}
# has_links WANT: xeth_links is WANT
has_links() { [ "$(xeth_links)" = "$1" ]; }
# info DEV JQPATH: a field of ip -d -j link show DEV
info() { ip -d -j link show "$1" | jq -r ".[0].$2"; }
# bind DRIVER_DIR DEV / unbind DRIVER_DIR DEV (status of the write)
bind() { echo "$2" >"$1/bind"; }
unbind() { echo "$2" >"$1/unbind"; }
# splats: kernel log lines that no scenario may leave
splats() {
	dmesg | grep -E 'BUG|WARNING|Oops|general protection|refcount_t|unregister_netdevice: waiting|blocked for more than|circular locking' || true
}
