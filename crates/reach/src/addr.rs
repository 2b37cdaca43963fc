//! Addresses of both families as interval sets, CIDR conversions, and the public internet's space.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;

use crate::set::IntervalSet;

/// IPv4 and IPv6 are evaluated apart (SG6, N6, R2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(ip: &IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
    pub fn of_net(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }
    pub fn any_cidr(self) -> &'static str {
        match self {
            Family::V4 => "0.0.0.0/0",
            Family::V6 => "::/0",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }
}

/// Addresses of either family as `u128` values; IPv4 lives in `0..=u32::MAX`.
pub type ASet = IntervalSet<u128>;

impl Family {
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn bits(self) -> u32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
    /// Every address of the family.
    pub fn universe(self) -> (u128, u128) {
        match self {
            Family::V4 => (0, u32::MAX as u128),
            Family::V6 => (0, u128::MAX),
        }
    }
    pub fn all(self) -> ASet {
        let (lo, hi) = self.universe();
        ASet::range(lo, hi)
    }
    pub const BOTH: [Family; 2] = [Family::V4, Family::V6];
}

pub fn net_range(net: &IpNet) -> (Family, u128, u128) {
    match net {
        IpNet::V4(n) => (
            Family::V4,
            u32::from(n.network()) as u128,
            u32::from(n.broadcast()) as u128,
        ),
        IpNet::V6(n) => (
            Family::V6,
            u128::from(n.network()),
            u128::from(n.broadcast()),
        ),
    }
}

pub fn ip_value(ip: &IpAddr) -> (Family, u128) {
    match ip {
        IpAddr::V4(a) => (Family::V4, u32::from(*a) as u128),
        IpAddr::V6(a) => (Family::V6, u128::from(*a)),
    }
}

pub fn ip_of(family: Family, value: u128) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::from(value as u32)),
        Family::V6 => IpAddr::V6(Ipv6Addr::from(value)),
    }
}

/// A pair of address sets, one per family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddrSet {
    pub sets: [ASet; 2],
}

impl AddrSet {
    pub fn from_nets<'a>(nets: impl IntoIterator<Item = &'a IpNet>) -> AddrSet {
        let mut r: [Vec<(u128, u128)>; 2] = [Vec::new(), Vec::new()];
        for n in nets {
            let (f, lo, hi) = net_range(n);
            r[f.index()].push((lo, hi));
        }
        let [a, b] = r;
        AddrSet {
            sets: [ASet::from_ranges(a), ASet::from_ranges(b)],
        }
    }

    pub fn from_addrs<'a>(addrs: impl IntoIterator<Item = &'a IpAddr>) -> AddrSet {
        let mut r: [Vec<(u128, u128)>; 2] = [Vec::new(), Vec::new()];
        for a in addrs {
            let (f, v) = ip_value(a);
            r[f.index()].push((v, v));
        }
        let [a, b] = r;
        AddrSet {
            sets: [ASet::from_ranges(a), ASet::from_ranges(b)],
        }
    }

    pub fn get(&self, f: Family) -> &ASet {
        &self.sets[f.index()]
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        let (f, v) = ip_value(ip);
        self.sets[f.index()].contains(v)
    }

    pub fn is_empty(&self) -> bool {
        self.sets.iter().all(|s| s.is_empty())
    }
}

/// IPv4 ranges that are never a host on the public internet (RFC 6890: this network, private,
/// shared CGN space, loopback, link-local, multicast, reserved). Documentation ranges stay in:
/// they stand for internet hosts in examples.
const V4_NOT_INTERNET: &[(u32, u8)] = &[
    (0x0000_0000, 8),  // 0.0.0.0/8
    (0x0A00_0000, 8),  // 10.0.0.0/8
    (0x6440_0000, 10), // 100.64.0.0/10
    (0x7F00_0000, 8),  // 127.0.0.0/8
    (0xA9FE_0000, 16), // 169.254.0.0/16
    (0xAC10_0000, 12), // 172.16.0.0/12
    (0xC0A8_0000, 16), // 192.168.0.0/16
    (0xE000_0000, 3),  // 224.0.0.0/4 and 240.0.0.0/4
];

/// The addresses a host on the internet can have: IPv4 outside the special ranges, IPv6 global
/// unicast (2000::/3).
pub fn internet(f: Family) -> ASet {
    match f {
        Family::V4 => {
            let blocked = ASet::from_ranges(V4_NOT_INTERNET.iter().map(|&(net, len)| {
                let n = IpNet::V4(Ipv4Net::new(Ipv4Addr::from(net), len).expect("valid prefix"));
                let (_, lo, hi) = net_range(&n);
                (lo, hi)
            }));
            f.all().difference(&blocked)
        }
        Family::V6 => {
            let n: IpNet = "2000::/3".parse().expect("valid prefix");
            let (_, lo, hi) = net_range(&n);
            ASet::range(lo, hi)
        }
    }
}

pub fn is_internet(ip: &IpAddr) -> bool {
    let (f, v) = ip_value(ip);
    internet(f).contains(v)
}

/// Appends the fewest prefixes covering `[lo, hi]` exactly.
fn range_to_prefixes(lo: u128, hi: u128, bits: u32, out: &mut Vec<(u128, u8)>) {
    let block_last = |cur: u128, size_log: u32| {
        if size_log >= 128 {
            u128::MAX
        } else {
            cur + ((1u128 << size_log) - 1)
        }
    };
    let mut cur = lo;
    loop {
        // The largest block aligned at `cur` that stays within `hi`.
        let mut size_log = if cur == 0 {
            bits
        } else {
            cur.trailing_zeros().min(bits)
        };
        while block_last(cur, size_log) > hi {
            size_log -= 1;
        }
        out.push((cur, (bits - size_log) as u8));
        let last = block_last(cur, size_log);
        if last >= hi {
            break;
        }
        cur = last + 1;
    }
}

pub fn prefix_net(f: Family, value: u128, len: u8) -> IpNet {
    match f {
        Family::V4 => {
            IpNet::V4(Ipv4Net::new(Ipv4Addr::from(value as u32), len).expect("len <= 32"))
        }
        Family::V6 => IpNet::V6(Ipv6Net::new(Ipv6Addr::from(value), len).expect("len <= 128")),
    }
}

pub fn to_cidrs(f: Family, s: &ASet) -> Vec<IpNet> {
    let mut p = Vec::new();
    for &(lo, hi) in s.ranges() {
        range_to_prefixes(lo, hi, f.bits(), &mut p);
    }
    p.into_iter().map(|(v, l)| prefix_net(f, v, l)).collect()
}

/// A source address set as a reader wants it: CIDRs, or "anywhere except" CIDRs when shorter.
/// Addresses outside `within` are "don't care", so the whole internet reads as `0.0.0.0/0`
/// rather than thirty CIDRs around the private ranges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sources {
    pub cidrs: Vec<IpNet>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<IpNet>,
}

impl std::fmt::Display for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[IpNet]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        write!(f, "{}", list(&self.cidrs))?;
        if !self.except.is_empty() {
            write!(f, " except {}", list(&self.except))?;
        }
        Ok(())
    }
}

fn cover(f: Family, must: &ASet, dont_care: &ASet) -> Vec<IpNet> {
    to_cidrs(f, &must.union(dont_care))
        .into_iter()
        .filter(|n| {
            let (_, lo, hi) = net_range(n);
            must.intersects_range(lo, hi)
        })
        .collect()
}

/// Describes `set` as seen from `within` (usually the internet).
pub fn describe(f: Family, set: &ASet, within: &ASet) -> Sources {
    if set == within {
        // The common case, and the one a reader wants to see as `0.0.0.0/0` or `::/0`.
        return Sources {
            cidrs: vec![prefix_net(f, 0, 0)],
            except: Vec::new(),
        };
    }
    let set = set.intersect(within);
    let dont_care = f.all().difference(within);
    let include = cover(f, &set, &dont_care);
    let missing = within.difference(&set);
    if missing.is_empty() || include.len() <= 2 {
        return Sources {
            cidrs: include,
            except: Vec::new(),
        };
    }
    let except = cover(f, &missing, &dont_care);
    if except.len() + 1 < include.len() {
        Sources {
            cidrs: vec![prefix_net(f, 0, 0)],
            except,
        }
    } else {
        Sources {
            cidrs: include,
            except: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(f: Family, nets: &[&str]) -> ASet {
        ASet::from_ranges(nets.iter().map(|n| {
            let (_, lo, hi) = net_range(&n.parse().unwrap());
            (lo, hi)
        }))
        .intersect(&f.all())
    }

    fn names(v: &[IpNet]) -> Vec<String> {
        v.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn ranges_become_fewest_cidrs() {
        let s = set(Family::V4, &["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/25"]);
        assert_eq!(
            names(&to_cidrs(Family::V4, &s)),
            ["10.0.0.0/23", "10.0.2.0/25"]
        );
        assert_eq!(
            names(&to_cidrs(Family::V4, &Family::V4.all())),
            ["0.0.0.0/0"]
        );
        assert_eq!(names(&to_cidrs(Family::V6, &Family::V6.all())), ["::/0"]);
        assert_eq!(
            names(&to_cidrs(Family::V4, &ASet::range(1, 6))),
            ["0.0.0.1/32", "0.0.0.2/31", "0.0.0.4/31", "0.0.0.6/32"]
        );
    }

    #[test]
    fn the_whole_internet_reads_as_anywhere() {
        let net = internet(Family::V4);
        assert!(!is_internet(&"10.1.2.3".parse().unwrap()));
        assert!(is_internet(&"203.0.113.9".parse().unwrap()));
        assert!(!is_internet(&"fd00::1".parse().unwrap()));
        assert!(is_internet(&"2600::1".parse().unwrap()));
        assert_eq!(
            describe(Family::V4, &Family::V4.all(), &net).to_string(),
            "0.0.0.0/0"
        );
        let minus = net.difference(&set(Family::V4, &["198.51.100.0/24"]));
        assert_eq!(
            describe(Family::V4, &minus, &net).to_string(),
            "0.0.0.0/0 except 198.51.100.0/24"
        );
        assert_eq!(
            describe(Family::V4, &set(Family::V4, &["203.0.113.7/32"]), &net).to_string(),
            "203.0.113.7/32"
        );
        assert_eq!(
            describe(Family::V6, &Family::V6.all(), &internet(Family::V6)).to_string(),
            "::/0"
        );
    }
}
