/*
 * An xeth mux whose lower links firmware names: one by its permanent MAC
 * (the guest's virtio-net NIC, given that MAC in tests/vm/settings.json),
 * one by name (a veth the scenario makes), with two ports; every other
 * property is the default (tests/vm/scenarios/fw_linked.sh).
 */
DefinitionBlock ("", "SSDT", 2, "XETH", "FWLINKED", 0x00000001)
{
    Scope (\_SB)
    {
        Device (XMUX)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "link0-mac-address", Package () {
                        0x02, 0x00, 0x5e, 0x0f, 0x00, 0x01 } },
                    Package () { "link-akas", Package () { "swl1" } },
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
                    Package () { "mac-address", Package () {
                        0x02, 0x00, 0x5e, 0x20, 0x00, 0x01 } },
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
                    Package () { "mac-address", Package () {
                        0x02, 0x00, 0x5e, 0x20, 0x00, 0x02 } },
                }
            })
        }
    }
}
