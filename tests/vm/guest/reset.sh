# Puts the guest back as it booted between two scenarios of a batch
# (sourced by guest/runner.sh). reset_snapshot records the boot state;
# reset_guest undoes what a scenario left and prints what it could not.
#
# What a scenario may leave: processes (daemons it started), network
# namespaces, links, the xeth module, sysctls of the network stack,
# mounts and files in the scratch directories (/tmp, /run, /root).

_reset_links=""
_reset_mounts=""
_reset_sysctl=/dev/shm/xrig-sysctl

_reset_link_names() {
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

_reset_net_sysctls() { # "key = value" of the stack's settings, but per device
	sysctl -a 2>/dev/null | awk -F' = ' '
		$1 ~ /^net\.ipv[46]\.(conf|neigh)\./ {
			split($1, k, ".")
			if (k[4] != "all" && k[4] != "default") next
		}
		$1 ~ /^net\.(core|ipv4|ipv6|unix|mpls)\./ { print }'
}

# Empties the scratch directories but for the project and the results
# share: a clone in /tmp (as CI makes) is bound there, and the results
# share under it is the host's own directory.
_reset_scratch() {
	local dir e
	for dir in "$@"; do
		for e in "$dir"/* "$dir"/.[!.]*; do
			[ -e "$e" ] || continue
			case "$XETH_ROOT/ $XETH_OUT/" in
			"$e"/* | *" $e"/*) continue ;;
			esac
			rm -rf --one-file-system "$e" 2>/dev/null
		done
	done
}

reset_snapshot() {
	_reset_links=$(_reset_link_names | sort)
	_reset_mounts=$(awk '{ print $2 }' /proc/mounts | sort)
	mkdir -p /dev/shm
	_reset_net_sysctls >"$_reset_sysctl"
}

_reset_ancestors() { # this (sub)shell and its parents, up to init
	local p=$BASHPID
	while [ "$p" -gt 1 ]; do
		echo "$p"
		p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || break
		[ -n "$p" ] || break
	done
	echo 1
}

reset_processes() { # kills every user process but ours and our parents'
	local keep p n c
	keep=" $(_reset_ancestors | tr '\n' ' ') "
	for n in 1 2; do
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			case "$keep" in *" $p "*) continue ;; esac
			# kernel threads have no command line (procfs files all
			# have size 0: read it)
			c=
			read -r -d '' c <"/proc/$p/cmdline" 2>/dev/null
			[ -n "$c" ] || continue
			kill -9 "$p" 2>/dev/null
		done
		sleep 0.2
	done
}

reset_guest() {
	local l left m
	reset_processes
	ip -all netns delete 2>/dev/null
	# Deleting a mux or a lower takes its uppers along: go round until
	# nothing new is left.
	for _ in 1 2 3; do
		left=0
		for l in $(_reset_link_names); do
			grep -qxF "$l" <<<"$_reset_links" && continue
			ip link del "$l" 2>/dev/null || left=1
		done
		[ $left = 0 ] && break
	done
	for l in $(_reset_link_names); do
		grep -qxF "$l" <<<"$_reset_links" || echo "link $l is left over"
	done
	# sockets of killed daemons close as their processes go
	for _ in 1 2 3 4 5; do
		grep -q '^xeth ' /proc/modules || break
		rmmod xeth 2>/dev/null && break
		sleep 1
	done
	if grep -q '^xeth ' /proc/modules; then
		echo "rmmod xeth: $(rmmod xeth 2>&1) ($(awk '$1 == "xeth" { print "refcount " $3 }' /proc/modules))"
	fi
	# mounts a scenario made (a tmpfs for a daemon, say): innermost first
	for m in $(awk '{ print $2 }' /proc/mounts | sort -r); do
		grep -qxF "$m" <<<"$_reset_mounts" || umount -l "$m" 2>/dev/null
	done
	_reset_scratch /tmp /run /root
	_reset_net_sysctls | diff - "$_reset_sysctl" | sed -n 's/^> \(.*\) = \(.*\)$/\1=\2/p' |
		while IFS= read -r kv; do
			sysctl -q -w "$kv" >/dev/null 2>&1 || echo "cannot restore sysctl $kv"
		done
	ip link set lo up
}
