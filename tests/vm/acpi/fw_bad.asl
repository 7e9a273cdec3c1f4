/*
 * Muxes and ports with bad properties (tests/vm/scenarios/fw_bad.sh):
 * each fails its probe with a kernel log line and leaves nothing behind;
 * a good mux (xmok) with room for two ports, and a good port that waits
 * for a mux that ip link makes later.
 */
DefinitionBlock ("", "SSDT", 2, "XETH", "FWBAD", 0x00000001)
{
    Scope (\_SB)
    {
        /* encap 5: unknown encap */
        Device (BM01)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", "bad-encap" },
                    Package () { "encap", 5 },
                }
            })
        }

        /* more ports than xids */
        Device (BM02)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", "bad-ports" },
                    Package () { "ports", 5000 },
                }
            })
        }

        /* name of the wrong type */
        Device (BM03)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", 7 },
                }
            })
        }

        /* a name that is taken */
        Device (BM04)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", "lo" },
                }
            })
        }

        /* priv-flags that are not strings */
        Device (BM05)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", "bad-flags" },
                    Package () { "priv-flags", Package () { 1, 2 } },
                }
            })
        }

        /* a MAC address of 3 bytes */
        Device (BM06)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", "bad-mac" },
                    Package () { "link0-mac-address", Package () { 0x02, 0x00, 0x01 } },
                }
            })
        }

        /* encap of the wrong type */
        Device (BM07)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", "bad-encap2" },
                    Package () { "encap", "vpls" },
                }
            })
        }

        /* a stat name longer than ethtool's 31 characters */
        Device (BM08)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", "bad-stats" },
                    Package () { "stat-names", Package () { "rx-ok", "a-stat-name-of-forty-characters-and-more" } },
                }
            })
        }

        /* a good mux with room for two ports */
        Device (OKMX)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,mux" },
                    Package () { "name", "xmok" },
                    Package () { "ports", 2 },
                }
            })
        }

        /* three ports for two places: one fails */
        Device (BP01)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth1" },
                    Package () { "mux", "xmok" },
                }
            })
        }

        Device (BP02)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth2" },
                    Package () { "mux", "xmok" },
                }
            })
        }

        Device (BP03)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth3" },
                    Package () { "mux", "xmok" },
                }
            })
        }

        /* a name that is taken (by the mux) */
        Device (BP04)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xmok" },
                    Package () { "mux", "xmok" },
                }
            })
        }

        /* a multicast MAC address */
        Device (BP05)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth5" },
                    Package () { "mux", "xmok" },
                    Package () { "mac-address", Package () { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } },
                }
            })
        }

        /* a mux that is not an xeth-mux */
        Device (BP06)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth6" },
                    Package () { "mux", "lo" },
                }
            })
        }

        /* no transmit queue */
        Device (BP07)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth7" },
                    Package () { "mux", "xmok" },
                    Package () { "txqs", 0 },
                }
            })
        }

        /* qsfp-bus of the wrong type */
        Device (BP08)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth8" },
                    Package () { "mux", "xmok" },
                    Package () { "qsfp-bus", "one" },
                }
            })
        }

        /* a good port whose mux rtnl makes later */
        Device (BP09)
        {
            Name (_HID, "PRP0001")
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "xeth,port" },
                    Package () { "name", "xeth9" },
                    Package () { "mux", "later" },
                }
            })
        }
    }
}
