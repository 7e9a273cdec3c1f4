//! Receive latency of a punt with a TPACKET_V2 and a TPACKET_V3 ring.
//!
//! Run as root: `cargo run --release --example punt_latency`.
//!
//! Makes a veth pair in a network namespace of its own, opens a punt on
//! one end and a plain packet socket on the other, and sends VLAN-
//! encapsulated exceptions carrying the time they were sent. The punt's
//! sink computes the time from just before `sendmmsg` on the sender to the
//! sink call on the punt thread. Two patterns: sparse frames (one per
//! millisecond, as exceptions usually come) and bursts (32 frames every 2
//! ms). Prints median, p99 and maximum per ring layout; asserts nothing.

// The crate's own test helper; its unit tests come along and see nothing
// of the crate from here, hence the allow.
#[path = "../src/packet/testnet.rs"]
#[allow(unused_imports)]
mod testnet;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use xeth_dataplane::encap::{encap_into, encapsulated_len, Encap};
use xeth_dataplane::packet::{Iface, PacketSocket, RingConfig, SendScratch};
use xeth_dataplane::punt::{Config, FrameSink, Punt, RxFrame};

static BASE: OnceLock<Instant> = OnceLock::new();

fn now_ns() -> u64 {
    BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Records, per frame, now minus the send time in the payload.
struct Timing(Arc<Mutex<Vec<u64>>>);

impl FrameSink for Timing {
    fn receive(&mut self, f: &RxFrame<'_>) {
        let now = now_ns();
        let Some(ts) = f.frame.get(14..22) else {
            return;
        };
        let sent = u64::from_be_bytes(ts.try_into().unwrap());
        self.0.lock().unwrap().push(now.saturating_sub(sent));
    }
}

const XID: u32 = 3999;

fn frame(seq: u32) -> Vec<u8> {
    let mut inner = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5];
    inner.extend([0u8; 8]); // send time, filled in later
    inner.extend(seq.to_be_bytes());
    inner.resize(64, 0);
    let mut out = vec![0u8; encapsulated_len(Encap::Vlan, XID, inner.len()).unwrap()];
    encap_into(Encap::Vlan, XID, true, &inner, &mut out).unwrap();
    out
}

/// Offset of the send time in an encapsulated frame: one 802.1Q tag.
const TS_OFF: usize = 4 + 14;

struct Pattern {
    name: &'static str,
    rounds: usize,
    burst: usize,
    gap: Duration,
}

const PATTERNS: [Pattern; 2] = [
    Pattern {
        name: "sparse: 1 frame every 1 ms",
        rounds: 1000,
        burst: 1,
        gap: Duration::from_millis(1),
    },
    Pattern {
        name: "bursts: 32 frames every 2 ms",
        rounds: 100,
        burst: 32,
        gap: Duration::from_millis(2),
    },
];

fn measure(net: &testnet::VethNs, ring: RingConfig, p: &Pattern) -> Vec<u64> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let a = net.a.clone();
    let b = net.b.clone();
    let sink = Timing(got.clone());
    let (punt, peer) = net.run_in(move || {
        let mut cfg = Config::new(Iface::Name(a), Encap::Vlan);
        cfg.ring = ring;
        let punt = Punt::open_with_sink(cfg, Box::new(sink)).expect("open punt");
        let small = RingConfig {
            block_size: 4096,
            block_count: 1,
            frame_size: 2048,
            ..RingConfig::default()
        };
        let (peer, _ring) = PacketSocket::open(&Iface::Name(b), &small).expect("open peer");
        (punt, peer)
    });
    let mut scratch = SendScratch::default();
    let mut frames: Vec<Vec<u8>> = (0..p.burst as u32).map(frame).collect();
    let mut send = |frames: &mut Vec<Vec<u8>>| {
        let t = now_ns().to_be_bytes();
        for f in frames.iter_mut() {
            f[TS_OFF..TS_OFF + 8].copy_from_slice(&t);
        }
        let refs: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
        let mut done = 0;
        while done < refs.len() {
            done += peer.send_batch(&refs[done..], &mut scratch).expect("send");
        }
    };
    // Warm up (page faults, caches), then forget it.
    for _ in 0..20 {
        send(&mut frames);
        std::thread::sleep(p.gap);
    }
    std::thread::sleep(Duration::from_millis(50));
    got.lock().unwrap().clear();
    for _ in 0..p.rounds {
        send(&mut frames);
        std::thread::sleep(p.gap);
    }
    let want = p.rounds * p.burst;
    let t = Instant::now();
    while got.lock().unwrap().len() < want && t.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let stats = punt.stats();
    punt.close();
    let mut v = std::mem::take(&mut *got.lock().unwrap());
    if v.len() < want {
        eprintln!(
            "  ({} of {want} frames arrived; ring drops {})",
            v.len(),
            stats.rx_ring_drops
        );
    }
    v.sort_unstable();
    v
}

fn pct(v: &[u64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 * q) as usize).min(v.len() - 1);
    v[i] as f64 / 1000.0
}

fn main() {
    if !testnet::is_root() {
        eprintln!("punt_latency needs root (network namespace, packet sockets)");
        std::process::exit(2);
    }
    now_ns();
    let net = testnet::VethNs::new("lat").expect("veth pair in a namespace");
    let rings = [
        ("TPACKET_V2", RingConfig::default()),
        ("TPACKET_V3, retire 1 ms", RingConfig::v3()),
        (
            "TPACKET_V3, kernel's retire timer",
            RingConfig {
                retire_ms: 0,
                ..RingConfig::v3()
            },
        ),
    ];
    println!("punt receive latency, sendmmsg on the veth peer to the punt's sink (us)");
    for p in &PATTERNS {
        println!("{}", p.name);
        for (name, ring) in &rings {
            let v = measure(&net, *ring, p);
            // One machine-readable line per figure for `deno task bench`.
            println!(
                "bench: {{\"punt_latency_us\": {{\"{} / {}\": {{\"median\": {:.1}, \"p99\": {:.1}}}}}}}",
                p.name,
                name,
                pct(&v, 0.5),
                pct(&v, 0.99)
            );
            println!(
                "  {name:<34} median {:>8.1}  p99 {:>8.1}  max {:>8.1}  ({} frames)",
                pct(&v, 0.5),
                pct(&v, 0.99),
                pct(&v, 1.0),
                v.len()
            );
        }
    }
}
