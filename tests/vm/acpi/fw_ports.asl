/*
 * A link-less xeth mux with four ports and room for five, as a switch's
 * firmware would describe them (tests/vm/scenarios/fw_ports.sh). ACPI
 * PRP0001 devices: the "compatible" property matches them to xeth's
 * platform drivers, as a device-tree node would.
 */
DefinitionBlock ("", "SSDT", 2, "XETH", "FWPORTS", 0x00000001)
{
    Scope (\_SB)
    {
        /* a port before its mux in the table: it waits for it */
        Device (XP04)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "mux", "xm0" },
                    /* no name: xeth%d; no mac-address: random */
                }
            })
        }

        Device (XMUX)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", "xm0" },
                    Package () { "encap", 1 },
                    Package () { "ports", 5 },
                    Package () { "txqs", 2 },
                    Package () { "rxqs", 3 },
                    Package () { "priv-flags", Package () {
                        "fec-rs", "fec-baser", "loopback-phy" } },
                    Package () { "stat-names", Package () {
                        "rx-good", "tx-good", "rx-fcs-errors", "fw-stat-4" } },
                    /* not the default 0x50, 0x51: QEMU's pc machine has
                     * its SPD EEPROMs there */
                    Package () { "qsfp-i2c-addrs", Package () { 0x60, 0x61 } },
                }
            })
        }

        Device (XP01)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth1" },
                    Package () { "mux", "xm0" },
                    Package () { "mac-address", Package () {
                        0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 } },
                    /* i2c-0: the guest's PIIX4 SMBus, where QEMU's i2c-ddc
                     * device (settings.json) answers at 0x60 */
                    Package () { "qsfp-bus", 0 },
                }
            })
        }

        Device (XP02)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth2" },
                    Package () { "mux", "xm0" },
                    Package () { "mac-address", Package () {
                        0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 } },
                }
            })
        }

        Device (XP03)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth3" },
                    Package () { "mux", "xm0" },
                    Package () { "mac-address", Package () {
                        0x02, 0x00, 0x5e, 0x10, 0x00, 0x03 } },
                    Package () { "txqs", 4 },
                    Package () { "rxqs", 2 },
                    Package () { "qsfp-bus", 7 },   /* no such bus */
                }
            })
        }
    }
}
