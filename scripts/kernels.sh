# Kernels the VM rig supports: alias -> Debian package names.
# Sourced by bootstrap.sh; tests/vm/kernels.ts resolves the same aliases
# from what is installed (/boot/vmlinuz-*).

# 6.1 LTS: bookworm's default kernel (metapackages track point releases).
XETH_K61_PKGS="linux-image-amd64 linux-headers-amd64"
# 6.12 LTS: bookworm-backports, pinned to the release the VM rig is tested with.
XETH_K612_VERSION="6.12.95+deb12-amd64"
XETH_K612_PKGS="linux-image-${XETH_K612_VERSION} linux-headers-${XETH_K612_VERSION}"

# The headers directory of an installed kernel alias (6.1 or 6.12), newest first.
xeth_kernel_release() {
	local alias=$1 d
	for d in $(ls -1d /usr/src/linux-headers-"${alias}".*-amd64 2>/dev/null | sort -rV); do
		if [ -e "/boot/vmlinuz-${d#/usr/src/linux-headers-}" ]; then
			echo "${d#/usr/src/linux-headers-}"
			return 0
		fi
	done
	return 1
}

# The debug kernels (scripts/build-debug-kernel.sh): where they are cached
# (tests/vm/kernels.ts debugKernelCache has the same default), and the
# release a finished build wrote into its kernel.json.
XETH_DEBUG_CACHE=${XETH_DEBUG_KERNELS:-/var/cache/xeth-debug-kernels}
xeth_debug_release() { # xeth_debug_release KERNEL_JSON
	xeth_debug_field "$1" release
}
xeth_debug_field() { # xeth_debug_field KERNEL_JSON NAME: a string field
	sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p" "$1"
}

# The last debug build of SERIES, when it is of source version SRCVER and
# is not DIR: a build for a new module list or option set starts from a
# copy of its tree, so that kbuild rebuilds only what the change touches.
xeth_debug_seed() { # xeth_debug_seed SERIES SRCVER DIR
	local last
	[ -f "$XETH_DEBUG_CACHE/$1/kernel.json" ] || return 0
	last=$(readlink -f "$XETH_DEBUG_CACHE/$1")
	if [ "$last" != "$(readlink -m "$3")" ] && [ -d "$last/tree" ] &&
		[ "$(xeth_debug_field "$last/kernel.json" source)" = "$2" ]; then
		echo "$last"
	fi
}

# NEW is a copy of the kernel tree OLD. objtool's build (tools/) records
# absolute paths in its command files: kbuild would see its commands
# changed and build objtool again, and then every object, since every
# object depends on objtool. Those paths are moved to NEW.
xeth_tree_moved() { # xeth_tree_moved OLD NEW
	{ grep -rlIF "$1" "$2/tools" || :; } | xargs -r sed -i "s|$1|$2|g"
}
