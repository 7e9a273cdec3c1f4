//! PCI addresses as sysfs names them: `DDDD:BB:DD.F`.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The address of one PCI function: domain, bus, device (slot), function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PciAddress {
    pub domain: u32,
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

/// What every parse error says the input should look like.
const EXPECTED: &str = "expected DDDD:BB:DD.F in hex (domain:bus:device.function, \
                        device at most 1f, function at most 7), e.g. 0000:00:04.0";

impl PciAddress {
    /// Parses `DDDD:BB:DD.F`, or `BB:DD.F` meaning domain 0, in hex and in
    /// either case, as `lspci -D` prints it.
    pub fn parse(s: &str) -> Result<PciAddress, Error> {
        let bad = || {
            Error::described(
                libc::EINVAL,
                format!("invalid PCI address \"{}\": {EXPECTED}", s.escape_default()),
            )
        };
        let (head, function) = s.rsplit_once('.').ok_or_else(bad)?;
        let mut parts = head.rsplit(':');
        let device = parts.next().ok_or_else(bad)?;
        let bus = parts.next().ok_or_else(bad)?;
        let domain = parts.next().unwrap_or("0000");
        if parts.next().is_some() {
            return Err(bad());
        }
        // The widths are those sysfs prints; a domain wider than 4 digits
        // exists (e.g. behind Intel VMD), so up to 8 are accepted.
        let domain = hex(domain, 1, 8).ok_or_else(bad)?;
        let bus = hex(bus, 1, 2).ok_or_else(bad)?;
        let device = hex(device, 1, 2).ok_or_else(bad)?;
        let function = hex(function, 1, 1).ok_or_else(bad)?;
        if device > 0x1f || function > 7 {
            return Err(bad());
        }
        Ok(PciAddress {
            domain,
            bus: bus as u8,
            device: device as u8,
            function: function as u8,
        })
    }
}

/// `s` as hex digits only (no sign, no `0x`), `min..=max` of them.
fn hex(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

impl FromStr for PciAddress {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PciAddress::parse(s)
    }
}

impl fmt::Display for PciAddress {
    /// The canonical form, the name of the device in sysfs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(domain: u32, bus: u8, device: u8, function: u8) -> PciAddress {
        PciAddress {
            domain,
            bus,
            device,
            function,
        }
    }

    #[test]
    fn parses_the_sysfs_form() {
        assert_eq!(PciAddress::parse("0000:00:04.0"), Ok(addr(0, 0, 4, 0)));
        assert_eq!(
            PciAddress::parse("0001:af:1f.7"),
            Ok(addr(1, 0xaf, 0x1f, 7))
        );
        assert_eq!(
            PciAddress::parse("10000:00:00.0"),
            Ok(addr(0x10000, 0, 0, 0))
        );
    }

    #[test]
    fn accepts_upper_case_and_a_missing_domain() {
        assert_eq!(
            PciAddress::parse("0000:AF:1F.7"),
            Ok(addr(0, 0xaf, 0x1f, 7))
        );
        assert_eq!(PciAddress::parse("00:04.0"), Ok(addr(0, 0, 4, 0)));
        assert_eq!("81:00.1".parse(), Ok(addr(0, 0x81, 0, 1)));
    }

    #[test]
    fn prints_the_canonical_form() {
        assert_eq!(addr(0, 0, 4, 0).to_string(), "0000:00:04.0");
        assert_eq!(addr(0x10000, 0xaf, 0x1f, 7).to_string(), "10000:af:1f.7");
        let a = PciAddress::parse("00:1F.3").unwrap();
        assert_eq!(a.to_string(), "0000:00:1f.3");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for s in [
            "",
            "0000:00:04",
            "0000:00:04.",
            "0000:00:20.0",
            "0000:00:04.8",
            "0000:000:04.0",
            "0000:00:004.0",
            "000000000:00:04.0",
            "0:0:0:04.0",
            "0000:00:04.0.0",
            "0000:0g:04.0",
            "0000:+1:04.0",
            "0000:00:04.0 ",
            "../../../etc",
            "0000:00:04.0/..",
        ] {
            let e = PciAddress::parse(s).expect_err(s);
            assert_eq!(e.errno(), libc::EINVAL, "{s}");
        }
    }

    #[test]
    fn the_error_shows_the_input_and_the_expected_form() {
        let e = PciAddress::parse("zz:1").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("invalid PCI address \"zz:1\""), "{text}");
        assert!(text.contains("DDDD:BB:DD.F"), "{text}");
        assert!(text.contains("e.g. 0000:00:04.0"), "{text}");
        // control characters cannot mess up a log line
        let e = PciAddress::parse("a\nb").unwrap_err();
        assert!(e.to_string().contains("\"a\\nb\""), "{e}");
    }
}
