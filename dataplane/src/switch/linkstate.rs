//! Carrier and speed of an attached interface: what a switch chip would
//! read from its PHY.
//!
//! Carrier comes from the port's own socket (`IFF_RUNNING`), which is
//! right in any network namespace. Speed comes from sysfs, which shows
//! the namespace that mounted it: it is only believed when the interface
//! there has the same ifindex, and is unknown (0) otherwise.

use std::path::Path;

use crate::packet::PacketSocket;

/// Link state of one attached interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkState {
    pub carrier: bool,
    /// Mb/s; 0 unknown (no carrier, or the driver does not say).
    pub speed_mbps: u32,
}

/// The state of `ifname` again, given what it was: its speed is read when
/// carrier comes, or when `speed_due`; kept otherwise (see
/// `engine::SPEED_TICKS`).
pub fn update(socket: &PacketSocket, ifname: &str, was: LinkState, speed_due: bool) -> LinkState {
    let carrier = socket.running(ifname).unwrap_or(false);
    LinkState {
        carrier,
        speed_mbps: match (carrier, was.carrier && !speed_due) {
            (false, _) => 0,
            (true, true) => was.speed_mbps,
            (true, false) => speed_in(Path::new("/sys/class/net"), ifname, socket.ifindex()),
        },
    }
}

/// The state of the interface `ifname` that `socket` is bound to.
pub fn read(socket: &PacketSocket, ifname: &str) -> LinkState {
    update(socket, ifname, LinkState::default(), true)
}

fn speed_in(root: &Path, ifname: &str, ifindex: u32) -> u32 {
    let dir = root.join(ifname);
    let get = |f: &str| {
        std::fs::read_to_string(dir.join(f))
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
    };
    if get("ifindex") != Some(i64::from(ifindex)) {
        return 0;
    }
    get("speed")
        .filter(|s| *s > 0 && *s <= i64::from(u32::MAX))
        .map_or(0, |s| s as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_from_sysfs_only_for_the_same_interface() {
        let root = std::env::temp_dir().join(format!("xeth-linkstate-{}", std::process::id()));
        let mk = |name: &str, ifindex: &str, speed: &str| {
            let d = root.join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("ifindex"), ifindex).unwrap();
            std::fs::write(d.join("speed"), speed).unwrap();
        };
        mk("fast", "7\n", "10000\n");
        mk("unknown", "8\n", "-1\n");
        assert_eq!(speed_in(&root, "fast", 7), 10000);
        assert_eq!(speed_in(&root, "fast", 9), 0, "another namespace's fast");
        assert_eq!(speed_in(&root, "unknown", 8), 0);
        assert_eq!(speed_in(&root, "absent", 1), 0);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
