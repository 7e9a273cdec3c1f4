//! Test helper: a veth pair in a network namespace of its own, removed on
//! drop (also when the test fails). Used by the packet, punt and switch
//! tests and, through `#[path]`, by `benches/punt_latency.rs`; std and libc
//! only.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;

/// True when the process runs as root (the veth tests need it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// A network namespace holding a veth pair `a`-`b`, IPv6 off so that no
/// stray frames appear.
pub struct VethNs {
    /// Name of the namespace.
    pub ns: String,
    /// One end of the pair.
    pub a: String,
    /// The other end.
    pub b: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl VethNs {
    /// A new namespace with both ends inside. `tag` (at most 4 characters)
    /// tells concurrent tests apart.
    pub fn new(tag: &str) -> Result<VethNs, String> {
        assert!(tag.len() <= 4, "tag too long for an ifname");
        let pid = std::process::id() % 100_000;
        let net = VethNs {
            ns: format!("xethpunt-{pid}-{tag}"),
            a: format!("xp{pid}{tag}a"),
            b: format!("xp{pid}{tag}b"),
        };
        // Leftovers of an earlier run with the same pid.
        let _ = ip(&["netns", "del", &net.ns]);
        ip(&["netns", "add", &net.ns])?;
        // From here on, drop cleans up whatever was made.
        let ns = net.ns.as_str();
        for key in ["all", "default"] {
            let _ = Command::new("ip")
                .args(["netns", "exec", ns, "sysctl", "-qw"])
                .arg(format!("net.ipv6.conf.{key}.disable_ipv6=1"))
                .output();
        }
        ip(&[
            "-n", ns, "link", "add", &net.a, "mtu", "9500", "type", "veth", "peer", "name", &net.b,
            "mtu", "9500",
        ])?;
        ip(&["-n", ns, "link", "set", &net.a, "up"])?;
        ip(&["-n", ns, "link", "set", &net.b, "up"])?;
        Ok(net)
    }

    /// Runs `f` on a thread that entered the namespace (sockets it opens
    /// stay in the namespace after the thread ends).
    pub fn run_in<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/run/netns/{}", self.ns);
        std::thread::scope(|s| {
            s.spawn(|| {
                let ns = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
                enter_netns(&ns).unwrap_or_else(|e| panic!("setns {path}: {e}"));
                f()
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }
}

/// Moves the calling thread into the network namespace `ns`.
fn enter_netns(ns: &File) -> std::io::Result<()> {
    // SAFETY: ns is an open file borrowed for the call; setns only changes
    // which network namespace this thread (not the process) creates
    // sockets in, and touches no memory of ours.
    let r = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

impl Drop for VethNs {
    fn drop(&mut self) {
        // Deleting the namespace deletes the veth pair inside it.
        let _ = ip(&["netns", "del", &self.ns]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_is_made_and_removed() {
        if !is_root() {
            eprintln!("SKIP: needs root to make network namespaces");
            return;
        }
        let path;
        {
            let net = VethNs::new("t").unwrap();
            path = format!("/run/netns/{}", net.ns);
            assert!(std::path::Path::new(&path).exists());
            let b = net.b.clone();
            let idx = net.run_in(move || nix::net::if_::if_nametoindex(b.as_str()));
            assert!(idx.is_ok(), "{idx:?}");
            // Not in the caller's namespace.
            assert!(nix::net::if_::if_nametoindex(net.b.as_str()).is_err());
        }
        assert!(!std::path::Path::new(&path).exists());
    }

    #[test]
    fn setns_to_a_non_namespace_fails() {
        let f = File::open("/proc/self/status").unwrap();
        assert!(enter_netns(&f).is_err());
    }
}
