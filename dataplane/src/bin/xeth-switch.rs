//! `xeth-switch`: the software SWITCH as a program of its own, on another
//! machine than SWITCHD. Its Linux side is an uplink interface that
//! carries a linked mux's encapsulated frames (one end of a GRETAP or
//! VXLAN tunnel inside WireGuard); SWITCHD programs it over TCP
//! (`xeth_dataplane::remote`), `--switch remote=HOST:PORT` on its side.

use std::process::ExitCode;
use std::sync::Arc;

use xeth_dataplane::encap::Encap;
use xeth_dataplane::remote::server::Server;
use xeth_dataplane::switch::{SoftwareSwitch, Uplink};

const USAGE: &str = "usage: xeth-switch --uplink IFACE --listen ADDR:PORT [--encap vlan|vpls]

Runs a software SWITCH whose Linux side is IFACE, an interface that carries
the frames of a linked xeth mux on the controller's machine (the far end of
its lower link: a GRETAP or VXLAN tunnel, inside WireGuard). The controller,
SWITCHD with --switch remote=HOST:PORT, programs it over TCP on ADDR:PORT;
one controller at a time. Listen on the tunnel's address only: the program
connection has no security of its own, WireGuard gives it.

options:
  --uplink IFACE     the interface towards the mux's machine
  --listen ADDR:PORT where SWITCHD connects (for example 10.99.0.2:9797)
  --encap vlan|vpls  the mux's encapsulation (default vlan)
  --version          print the version and exit";

struct Args {
    uplink: String,
    listen: String,
    encap: Encap,
}

fn parse(args: &[String]) -> Result<Option<Args>, String> {
    let (mut uplink, mut listen, mut encap) = (None, None, Encap::Vlan);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--uplink" => uplink = Some(value("--uplink")?),
            "--listen" => listen = Some(value("--listen")?),
            "--encap" => {
                encap = match value("--encap")?.as_str() {
                    "vlan" => Encap::Vlan,
                    "vpls" => Encap::Vpls,
                    other => return Err(format!("--encap {other}: vlan or vpls")),
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Some(Args {
        uplink: uplink.ok_or("--uplink IFACE is required")?,
        listen: listen.ok_or("--listen ADDR:PORT is required")?,
        encap,
    }))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version") {
        println!("xeth-switch {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let a = match parse(&args) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("xeth-switch: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sw = match SoftwareSwitch::open_on(&a.uplink, a.encap, Uplink::Tunnel) {
        Ok(sw) => Arc::new(sw),
        Err(e) => {
            eprintln!("xeth-switch: cannot start the switch on {}: {e}", a.uplink);
            return ExitCode::FAILURE;
        }
    };
    let server = match Server::bind(&a.listen, sw, &a.uplink, a.encap) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("xeth-switch: cannot listen on {}: {e}", a.listen);
            return ExitCode::FAILURE;
        }
    };
    let at = server
        .local_addr()
        .map_or(a.listen.clone(), |s| s.to_string());
    eprintln!(
        "xeth-switch: switching for the mux behind {} ({}), listening on {at}",
        a.uplink,
        if a.encap == Encap::Vlan {
            "vlan"
        } else {
            "vpls"
        }
    );
    match server.serve(|line| eprintln!("xeth-switch: {line}")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xeth-switch: {e}");
            ExitCode::FAILURE
        }
    }
}
