#!/bin/bash
# vfio: QEMU's edu PCI device bound to the real vfio-pci driver behind a
# virtual IOMMU, driven through the real data plane library by
# tests/vm/tools/vfio_edu.ts (ffi/vfio.ts over libxeth_dataplane.so):
# registers, DMA, MSI and INTx, and the errors an operator can meet.
#
# settings.json gives this scenario a q35 machine with intel-iommu, and four
# edu devices: 00:10.0 (the one under test), 00:11.0 and 00:11.1 (one slot,
# so one IOMMU group), and one behind a PCIe expander bridge that bypasses
# the IOMMU (no IOMMU group). Its bridge is a plain PCI bridge without MSI:
# a PCIe port there would make the kernel WARN, finding no MSI domain for a
# port outside the IOMMU while interrupt remapping is on.
. "$(dirname "$0")/../lib.sh"

EDU=0000:00:10.0
SHARED=0000:00:11.0 # bound to vfio-pci, but its group is not viable:
OTHER=0000:00:11.1  # its slot-mate is bound to uio_pci_generic
BOGUS=zz:1
ABSENT=0000:00:1e.7

EINVAL=22 ENOENT=2 ENXIO=6 ENODEV=19 EACCES=13 EBUSY=16

TOOL=$XETH_ROOT/tests/vm/tools/vfio_edu.ts
vfio_edu() { deno run --quiet --allow-ffi --allow-read --allow-env "$TOOL" "$@"; }

sysdev() { echo "/sys/bus/pci/devices/$1"; }
driver_of() { # the driver ADDR is bound to, or nothing
	local l
	l=$(readlink "$(sysdev "$1")/driver") && basename "$l"
}
group_of() { basename "$(readlink "$(sysdev "$1")/iommu_group")"; }
is_edu() {
	[ "$(cat "$(sysdev "$1")/vendor")" = 0x1234 ] &&
		[ "$(cat "$(sysdev "$1")/device")" = 0x11e8 ]
}
bind() { # bind ADDR DRIVER: the way an operator binds a device
	echo "$2" >"$(sysdev "$1")/driver_override" &&
		echo "$1" >/sys/bus/pci/drivers_probe &&
		[ "$(driver_of "$1")" = "$2" ]
}

# expect_error DESC JSON ERRNO REGEX: a line of `vfio_edu.ts open` says the
# open failed with ERRNO and a message matching REGEX (grep -E).
expect_error() {
	local desc=$1 out=$2 errno=$3 re=$4 json got msg
	json=$(grep '^{' <<<"$out" | tail -n 1)
	got=$(jq -r '.errno // "none"' <<<"$json" 2>/dev/null)
	msg=$(jq -r '.message // ""' <<<"$json" 2>/dev/null)
	if [ "$got" = "$errno" ] && grep -Eq -- "$re" <<<"$msg"; then
		ok "$desc"
	else
		not_ok "$desc" "expected errno $errno and a message matching: $re" \
			"got: ${out:-(no output)}"
	fi
}

# result_for ADDR: the line of $OPENED about ADDR
result_for() { grep '^{' <<<"$OPENED" | jq -c --arg a "$1" 'select(.address == $a)'; }

for m in vfio_iommu_type1 vfio-pci uio_pci_generic; do
	check "modprobe $m" modprobe "$m"
done

# The edu that bypasses the IOMMU: the one edu without a group.
NOGROUP=
for d in /sys/bus/pci/devices/*; do
	a=${d##*/}
	if is_edu "$a" && [ ! -e "$d/iommu_group" ]; then NOGROUP=$a; fi
done

ALL_CASES="devices open_errors bind exercise faults"

# the machine settings.json describes
case_devices() {
	check "the guest has IOMMU groups (intel_iommu=on)" \
		bash -c '[ -n "$(ls /sys/kernel/iommu_groups)" ]'
	for a in $EDU $SHARED $OTHER; do
		check "$a is an edu device (1234:11e8)" is_edu "$a"
	done
	check_eq "$SHARED and $OTHER share an IOMMU group" "$(group_of $SHARED)" \
		"$(group_of $OTHER)"
	check_eq "$EDU starts bound to no driver" "" "$(driver_of $EDU)"
}

# every failing open, in one Deno process: a guest under TCG starts it slowly
case_open_errors() {
	check "bind $OTHER to uio_pci_generic" bind $OTHER uio_pci_generic
	check "bind $SHARED to vfio-pci" bind $SHARED vfio-pci
	OPENED=$(vfio_edu open $BOGUS $ABSENT $EDU $OTHER $SHARED ${NOGROUP:+$NOGROUP} 2>&1)
	expect_error "a malformed PCI address is EINVAL with the expected form" \
		"$(result_for $BOGUS)" $EINVAL 'invalid PCI address "zz:1": expected DDDD:BB:DD.F'
	expect_error "an address with no device is ENOENT" \
		"$(result_for $ABSENT)" $ENOENT "no PCI device $ABSENT .*lspci -D"
	expect_error "an unbound device is ENODEV with the commands that bind it" \
		"$(result_for $EDU)" $ENODEV \
		"$EDU is not bound to any driver, not vfio-pci; bind it with: modprobe vfio-pci; echo vfio-pci > /sys/bus/pci/devices/$EDU/driver_override; echo $EDU > /sys/bus/pci/drivers_probe"
	expect_error "a device bound to another driver is ENODEV naming it" \
		"$(result_for $OTHER)" $ENODEV \
		"$OTHER is bound to uio_pci_generic, not vfio-pci; unbind it \\(echo $OTHER > /sys/bus/pci/devices/$OTHER/driver/unbind\\)"
	expect_error "a group that is not viable is EBUSY naming the device that spoils it" \
		"$(result_for $SHARED)" $EBUSY \
		"IOMMU group $(group_of $SHARED) of $SHARED is not viable: $OTHER is bound to uio_pci_generic;"
	if [ -n "$NOGROUP" ]; then
		expect_error "a device without an IOMMU group is ENXIO saying how to get one" \
			"$(result_for "$NOGROUP")" $ENXIO \
			"$NOGROUP has no IOMMU group.*intel_iommu=on.*intel-iommu"
	else
		ok "a device without an IOMMU group is ENXIO # SKIP no edu without an IOMMU group (the pxb-pcie with bypass_iommu is missing)"
	fi
}

case_bind() {
	local nobody
	check "bind $EDU to vfio-pci" bind $EDU vfio-pci
	GROUP=$(group_of $EDU)
	check "/dev/vfio/$GROUP appears" test -c "/dev/vfio/$GROUP"
	nobody=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		env HOME=/tmp "$(command -v deno)" run --quiet --allow-ffi --allow-read \
		--allow-env "$TOOL" open $EDU 2>&1)
	expect_error "an unprivileged user gets EACCES and what to do" "$nobody" $EACCES \
		"permission denied opening /dev/vfio/$GROUP \\(IOMMU group of $EDU\\): run as root"
}

# the device itself: one line per check from the tool
case_exercise() {
	local ran line
	needs bind
	ran=0
	while IFS= read -r line; do
		case "$line" in
		"PASS "*) ok "${line#PASS }" ;;
		"FAIL "*)
			line=${line#FAIL }
			not_ok "${line%% :: *}" "${line#* :: }"
			;;
		"EXIT "*) ran=1 && check_eq "vfio_edu.ts exercise exits 0" "EXIT 0" "$line" ;;
		*) echo "# $line" ;;
		esac
	done < <(vfio_edu exercise $EDU 2>&1; echo "EXIT $?")
	check_eq "vfio_edu.ts exercise ran to the end" 1 "$ran"
}

# after the DMA of the exercise
case_faults() {
	needs exercise
	check_fails "the IOMMU reported no DMA faults" \
		bash -c 'dmesg | grep -Ei "DMAR:.*fault|DMAR: \[DMA (Read|Write)"'
	check_eq "$EDU is still bound to vfio-pci" vfio-pci "$(driver_of $EDU)"
}

run_cases
finish
