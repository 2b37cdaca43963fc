//! A packet-by-packet reference evaluator, written straight from the semantics over the raw input
//! (no intervals, no compiled form), checked against the fast evaluator and the exposure map on
//! random small VPCs.
#![allow(clippy::type_complexity)] // the generator is tuples of pool indexes

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use proptest::prelude::*;
use reach::input::*;
use reach::{Family, Service, State, Verdict};

const VPC4: &str = "10.0.0.0/16";
const VPC6: &str = "2600:1::/56";
const SUBNETS: [(&str, &str, &str); 3] = [
    ("subnet-0", "10.0.1.0/24", "2600:1:0:1::/64"),
    ("subnet-1", "10.0.2.0/24", "2600:1:0:2::/64"),
    ("subnet-2", "10.0.3.0/24", "2600:1:0:3::/64"),
];
const CIDRS: [&str; 10] = [
    "0.0.0.0/0",
    "203.0.113.0/24",
    "203.0.113.0/25",
    "198.51.100.7/32",
    "10.0.0.0/16",
    "10.0.1.0/24",
    "::/0",
    "2001:db8::/32",
    "2600:1::/56",
    "8.0.0.0/7",
];
const PORTS: [(u16, u16); 6] = [
    (22, 22),
    (0, 65535),
    (1024, 65535),
    (20, 25),
    (32768, 65535),
    (80, 443),
];
const ICMPS: [(i32, i32); 5] = [(-1, -1), (8, -1), (8, 0), (0, 0), (3, 1)];
const PROTOS: [&str; 5] = ["-1", "6", "17", "1", "47"];
const TARGETS4: [&str; 5] = ["igw-a", "nat-a", "eigw-a", "igw-stray", "tgw-a"];
const INTERNET: [&str; 7] = [
    "203.0.113.1",
    "203.0.113.200",
    "198.51.100.7",
    "8.8.8.8",
    "2001:db8::1",
    "2600:2::5",
    "2a00::1",
];

fn services() -> Vec<Service> {
    vec![
        Service::tcp(22),
        Service::tcp(80),
        Service::tcp(3389),
        Service::tcp(1024),
        Service::udp(53),
        Service::icmp(1, 8, 0),
        Service::icmp(1, 3, 1),
        Service {
            protocol: 47,
            value: 0,
        },
    ]
}

// ------------------------------------------------------------------ random networks

#[derive(Clone, Debug)]
struct Gen {
    igw: bool,
    eigw: bool,
    /// Per subnet: explicit route table? default v4 target, default v6 target, an extra route.
    routes: Vec<(bool, Option<usize>, Option<bool>, Option<(usize, usize)>)>,
    main_default: Option<usize>,
    /// Per subnet: custom NACL entries (None = default NACL).
    nacls: Vec<Option<Vec<(u32, bool, usize, bool, usize, usize, usize)>>>,
    /// Per group: inbound, outbound rules (proto, ports, icmp, peer (cidr index or group index + 100)).
    groups: Vec<(
        Vec<(usize, usize, usize, usize)>,
        Vec<(usize, usize, usize, usize)>,
    )>,
    /// Per interface: subnet, groups, public ip, ipv6.
    enis: Vec<(usize, Vec<usize>, bool, bool)>,
}

fn rule() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    // Biased toward open rules so that reachable flows are common.
    (
        prop_oneof![2 => Just(0usize), 2 => Just(1usize), 1 => 0..5usize],
        0..6usize,
        0..5usize,
        prop_oneof![2 => Just(0usize), 1 => Just(6usize), 3 => 0..10usize, 1 => 100..104usize],
    )
}

fn entry() -> impl Strategy<Value = (u32, bool, usize, bool, usize, usize, usize)> {
    (
        1..12u32,
        any::<bool>(),
        0..5usize,
        prop::bool::weighted(0.7),
        0..10usize,
        0..6usize,
        0..5usize,
    )
}

fn networks() -> impl Strategy<Value = Gen> {
    (
        prop::bool::weighted(0.8),
        any::<bool>(),
        prop::collection::vec(
            (
                any::<bool>(),
                prop::option::weighted(0.8, prop_oneof![3 => Just(0usize), 2 => 0..5usize]),
                prop::option::of(any::<bool>()),
                prop::option::weighted(0.3, (0..10usize, 0..5usize)),
            ),
            3,
        ),
        prop::option::of(prop_oneof![2 => Just(0usize), 1 => 0..5usize]),
        prop::collection::vec(
            prop::option::weighted(0.6, prop::collection::vec(entry(), 0..8)),
            3,
        ),
        prop::collection::vec(
            (
                prop::collection::vec(rule(), 0..4),
                prop::collection::vec(rule(), 0..3),
            ),
            3,
        ),
        prop::collection::vec(
            (
                0..3usize,
                prop::collection::vec(0..3usize, 1..3),
                prop::bool::weighted(0.7),
                any::<bool>(),
            ),
            2..5,
        ),
    )
        .prop_map(
            |(igw, eigw, routes, main_default, nacls, groups, enis)| Gen {
                igw,
                eigw,
                routes,
                main_default,
                nacls,
                groups,
                enis,
            },
        )
}

fn proto_name(i: usize) -> &'static str {
    ["-1", "tcp", "udp", "icmp", "47"][i]
}

fn route(dest: &str, target: &str) -> Route {
    Route {
        destination: RouteDestination::Cidr(dest.parse().unwrap()),
        target: target.into(),
        propagated: false,
        active: true,
    }
}

fn build(g: &Gen) -> NetworkInput {
    let mut n = NetworkInput::default();
    n.vpcs.push(Vpc {
        id: "vpc-a".into(),
        owner_id: "1".into(),
        region: "r".into(),
        cidrs_v4: vec![VPC4.parse().unwrap()],
        cidrs_v6: vec![VPC6.parse().unwrap()],
    });
    if g.igw {
        n.internet_gateways.push(Gateway {
            id: "igw-a".into(),
            vpc_ids: vec!["vpc-a".into()],
        });
    }
    if g.eigw {
        n.egress_only_gateways.push(Gateway {
            id: "eigw-a".into(),
            vpc_ids: vec!["vpc-a".into()],
        });
    }
    n.network_acls.push(NetworkAcl {
        id: "acl-default".into(),
        vpc_id: "vpc-a".into(),
        is_default: true,
        subnet_ids: vec![],
        entries: [
            (false, "0.0.0.0/0", 100),
            (false, "::/0", 101),
            (true, "0.0.0.0/0", 100),
            (true, "::/0", 101),
        ]
        .iter()
        .map(|&(egress, cidr, num)| NaclEntry {
            rule_number: num,
            egress,
            protocol: "-1".into(),
            allow: true,
            cidr: cidr.parse().unwrap(),
            port_range: None,
            icmp: None,
        })
        .collect(),
    });
    n.route_tables.push(RouteTable {
        id: "rtb-main".into(),
        vpc_id: "vpc-a".into(),
        main: true,
        routes: g
            .main_default
            .iter()
            .map(|&t| route("0.0.0.0/0", TARGETS4[t]))
            .collect(),
        ..Default::default()
    });
    for (i, &(id, c4, c6)) in SUBNETS.iter().enumerate() {
        n.subnets.push(Subnet {
            id: id.into(),
            vpc_id: "vpc-a".into(),
            cidr_v4: Some(c4.parse().unwrap()),
            cidrs_v6: vec![c6.parse().unwrap()],
        });
        let (explicit, d4, d6, extra) = g.routes[i];
        if explicit {
            let mut routes: Vec<Route> = d4
                .iter()
                .map(|&t| route("0.0.0.0/0", TARGETS4[t]))
                .collect();
            if let Some(v6) = d6 {
                routes.push(route("::/0", if v6 { "igw-a" } else { "eigw-a" }));
            }
            if let Some((c, t)) = extra
                && !CIDRS[c].contains(':')
                && !CIDRS[c].starts_with("10.")
            {
                routes.push(route(CIDRS[c], TARGETS4[t]));
            }
            n.route_tables.push(RouteTable {
                id: format!("rtb-{i}"),
                vpc_id: "vpc-a".into(),
                main: false,
                subnet_ids: vec![id.into()],
                gateway_ids: vec![],
                routes,
            });
        }
        if let Some(list) = &g.nacls[i] {
            n.network_acls.push(NetworkAcl {
                id: format!("acl-{i}"),
                vpc_id: "vpc-a".into(),
                is_default: false,
                subnet_ids: vec![id.into()],
                entries: list
                    .iter()
                    .map(
                        |&(num, egress, proto, allow, cidr, ports, icmp)| NaclEntry {
                            rule_number: num * 10,
                            egress,
                            protocol: PROTOS[proto].into(),
                            allow,
                            cidr: CIDRS[cidr].parse().unwrap(),
                            port_range: Some(PORTS[ports]),
                            icmp: Some(ICMPS[icmp]),
                        },
                    )
                    .collect(),
            });
        }
    }
    for (gi, (ins, outs)) in g.groups.iter().enumerate() {
        let perms = |rules: &Vec<(usize, usize, usize, usize)>| -> Vec<Permission> {
            rules
                .iter()
                .map(|&(proto, ports, icmp, peer)| {
                    let p = proto_name(proto);
                    let (from, to) = match p {
                        "tcp" | "udp" => (Some(PORTS[ports].0 as i32), Some(PORTS[ports].1 as i32)),
                        "icmp" => (Some(ICMPS[icmp].0), Some(ICMPS[icmp].1)),
                        _ => (None, None),
                    };
                    let mut perm = Permission {
                        protocol: p.into(),
                        from_port: from,
                        to_port: to,
                        ..Default::default()
                    };
                    if peer >= 100 {
                        // sg-3 does not exist: a stale reference.
                        perm.groups.push(GroupRef {
                            group_id: format!("sg-{}", peer - 100),
                            ..Default::default()
                        });
                    } else if CIDRS[peer].contains(':') {
                        perm.ipv6.push(CIDRS[peer].parse().unwrap());
                    } else {
                        perm.ipv4.push(CIDRS[peer].parse().unwrap());
                    }
                    perm
                })
                .collect()
        };
        n.security_groups.push(SecurityGroup {
            id: format!("sg-{gi}"),
            name: String::new(),
            vpc_id: "vpc-a".into(),
            owner_id: "1".into(),
            inbound: perms(ins),
            outbound: perms(outs),
        });
    }
    for (ei, (subnet, groups, public, v6)) in g.enis.iter().enumerate() {
        n.interfaces.push(Interface {
            id: format!("eni-{ei}"),
            subnet_id: SUBNETS[*subnet].0.into(),
            vpc_id: "vpc-a".into(),
            instance_id: Some(format!("i-{ei}")),
            private_ipv4: vec![PrivateIpv4 {
                address: Ipv4Addr::new(10, 0, *subnet as u8 + 1, 10 + ei as u8),
                public: public.then(|| PublicIpv4 {
                    address: Ipv4Addr::new(54, 0, 0, ei as u8),
                    elastic: false,
                }),
            }],
            ipv6: if *v6 {
                vec![
                    format!("2600:1:0:{}::{}", subnet + 1, 10 + ei)
                        .parse()
                        .unwrap(),
                ]
            } else {
                vec![]
            },
            group_ids: groups.iter().map(|g| format!("sg-{g}")).collect(),
            interface_type: "interface".into(),
            description: String::new(),
        });
        n.instances.push(Instance {
            id: format!("i-{ei}"),
            name: None,
            state: "running".into(),
            interface_ids: vec![format!("eni-{ei}")],
        });
    }
    n
}

// ------------------------------------------------------------------ the reference

struct Packet {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    /// Destination port (tcp/udp) or ICMP type and code.
    port: u16,
    icmp: (u8, u8),
}

fn proto_number(p: &str) -> Option<u8> {
    match p {
        "-1" => None,
        "tcp" => Some(6),
        "udp" => Some(17),
        "icmp" => Some(1),
        "icmpv6" => Some(58),
        n => n.parse().ok(),
    }
}

fn icmp_matches(t: i32, c: i32, pkt: &Packet) -> bool {
    t == -1 || (t as u8 == pkt.icmp.0 && (c == -1 || c as u8 == pkt.icmp.1))
}

fn same_family(net: &IpNet, a: &IpAddr) -> bool {
    matches!(
        (net, a),
        (IpNet::V4(_), IpAddr::V4(_)) | (IpNet::V6(_), IpAddr::V6(_))
    )
}

fn contains(net: &IpNet, a: &IpAddr) -> bool {
    same_family(net, a) && net.trunc().contains(a)
}

/// The first NACL entry matching, by ascending number; no match denies.
fn nacl_allows(input: &NetworkInput, subnet: &str, egress: bool, pkt: &Packet) -> bool {
    let acl = input
        .network_acls
        .iter()
        .find(|a| a.subnet_ids.iter().any(|s| s == subnet))
        .or_else(|| input.network_acls.iter().find(|a| a.is_default))
        .unwrap();
    let peer = if egress { pkt.dst } else { pkt.src };
    let mut entries: Vec<&NaclEntry> = acl.entries.iter().filter(|e| e.egress == egress).collect();
    entries.sort_by_key(|e| e.rule_number);
    for e in entries {
        if !contains(&e.cidr, &peer) {
            continue;
        }
        let proto_ok = match proto_number(&e.protocol) {
            None => true,
            Some(p) if p != pkt.proto => false,
            Some(6 | 17) => e
                .port_range
                .is_none_or(|(lo, hi)| lo <= pkt.port && pkt.port <= hi),
            Some(1) => e.icmp.is_none_or(|(t, c)| icmp_matches(t, c, pkt)),
            Some(_) => true,
        };
        if proto_ok {
            return e.allow;
        }
    }
    false
}

/// Whether any rule of any group of `eni` lets the packet through in that direction.
fn sg_allows(
    input: &NetworkInput,
    eni: &Interface,
    egress: bool,
    pkt: &Packet,
    peer_eni: Option<&Interface>,
) -> bool {
    let peer = if egress { pkt.dst } else { pkt.src };
    for gid in &eni.group_ids {
        let Some(g) = input.security_groups.iter().find(|g| &g.id == gid) else {
            continue;
        };
        for p in if egress { &g.outbound } else { &g.inbound } {
            let proto_ok = match proto_number(&p.protocol) {
                None => true,
                Some(x) if x != pkt.proto => false,
                Some(6 | 17) => {
                    let (f, t) = (p.from_port.unwrap(), p.to_port.unwrap());
                    f <= pkt.port as i32 && pkt.port as i32 <= t
                }
                Some(1) => icmp_matches(p.from_port.unwrap(), p.to_port.unwrap_or(-1), pkt),
                Some(_) => true,
            };
            if !proto_ok {
                continue;
            }
            let cidr_hit = p.ipv4.iter().any(|n| contains(&IpNet::V4(*n), &peer))
                || p.ipv6.iter().any(|n| contains(&IpNet::V6(*n), &peer));
            let group_hit = p.groups.iter().any(|r| {
                input.security_groups.iter().any(|x| x.id == r.group_id)
                    && peer_eni.is_some_and(|pe| {
                        pe.group_ids.contains(&r.group_id)
                            && (pe
                                .private_ipv4
                                .iter()
                                .any(|x| IpAddr::V4(x.address) == peer)
                                || pe.ipv6.iter().any(|x| IpAddr::V6(*x) == peer))
                    })
            });
            if cidr_hit || group_hit {
                return true;
            }
        }
    }
    false
}

fn route_target(input: &NetworkInput, subnet: &str, to: &IpAddr) -> Option<(String, bool)> {
    let rt = input
        .route_tables
        .iter()
        .find(|r| r.subnet_ids.iter().any(|s| s == subnet))
        .or_else(|| input.route_tables.iter().find(|r| r.main))?;
    let mut best: Option<(u8, String, bool)> = None;
    let vpc = &input.vpcs[0];
    let locals: Vec<IpNet> = vpc
        .cidrs_v4
        .iter()
        .map(|n| IpNet::V4(*n))
        .chain(vpc.cidrs_v6.iter().map(|n| IpNet::V6(*n)))
        .collect();
    let candidates = rt
        .routes
        .iter()
        .map(|r| match &r.destination {
            RouteDestination::Cidr(n) => (*n, r.target.clone(), r.active),
            RouteDestination::PrefixList(_) => unreachable!(),
        })
        .chain(locals.into_iter().map(|n| (n, "local".to_string(), true)));
    for (net, target, active) in candidates {
        if contains(&net, to) && best.as_ref().is_none_or(|b| net.prefix_len() > b.0) {
            best = Some((net.prefix_len(), target, active));
        }
    }
    best.map(|b| (b.1, b.2))
}

/// The reply's protocol, port and ICMP type for the stateless check; None when there is no reply.
fn reply(pkt: &Packet, client_port: u16) -> Option<Packet> {
    let (port, icmp) = match pkt.proto {
        6 | 17 => (client_port, (0, 0)),
        1 => match pkt.icmp.0 {
            8 => (0, (0, 0)),
            13 => (0, (14, 0)),
            _ => return None,
        },
        _ => (0, (0, 0)),
    };
    Some(Packet {
        src: pkt.dst,
        dst: pkt.src,
        proto: pkt.proto,
        port,
        icmp,
    })
}

/// Candidate client ports: every boundary of the port pool, and its neighbours, in range.
fn client_port_candidates() -> Vec<u16> {
    let mut v = vec![1024, 65535];
    for (lo, hi) in PORTS {
        for p in [lo as i32 - 1, lo as i32, hi as i32, hi as i32 + 1] {
            if (1024..=65535).contains(&p) {
                v.push(p as u16);
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

fn verdict(forward: bool, back: bool) -> Verdict {
    if !forward {
        Verdict::Blocked
    } else if !back {
        Verdict::ReachableReturnBlocked
    } else {
        Verdict::Reachable
    }
}

fn packet(src: IpAddr, dst: IpAddr, svc: Service) -> Packet {
    Packet {
        src,
        dst,
        proto: svc.protocol,
        port: svc.value,
        icmp: ((svc.value >> 8) as u8, svc.value as u8),
    }
}

/// The reference for an internet client with one client port.
fn from_internet(
    input: &NetworkInput,
    dst: &Interface,
    client: IpAddr,
    svc: Service,
    client_port: u16,
) -> Verdict {
    let igw = input
        .internet_gateways
        .iter()
        .any(|g| g.vpc_ids.contains(&"vpc-a".to_string()));
    let dst_addr: Option<IpAddr> = match client {
        IpAddr::V4(_) => dst
            .private_ipv4
            .iter()
            .find(|p| p.public.is_some())
            .map(|p| IpAddr::V4(p.address)),
        IpAddr::V6(_) => dst.ipv6.first().map(|a| IpAddr::V6(*a)),
    };
    let Some(dst_addr) = dst_addr else {
        return Verdict::Blocked;
    };
    let pkt = packet(client, dst_addr, svc);
    let forward = igw
        && nacl_allows(input, &dst.subnet_id, false, &pkt)
        && sg_allows(input, dst, false, &pkt, None);
    let back = reply(&pkt, client_port)
        .is_none_or(|r| nacl_allows(input, &dst.subnet_id, true, &r))
        && route_target(input, &dst.subnet_id, &client)
            .is_some_and(|(t, active)| active && t == "igw-a" && igw);
    verdict(forward, back)
}

/// The reference between two interfaces of the VPC with one client port.
fn between(
    input: &NetworkInput,
    src: &Interface,
    dst: &Interface,
    f: Family,
    svc: Service,
    client_port: u16,
) -> Option<Verdict> {
    let addr = |e: &Interface| -> Option<IpAddr> {
        match f {
            Family::V4 => e.private_ipv4.first().map(|p| IpAddr::V4(p.address)),
            Family::V6 => e.ipv6.first().map(|a| IpAddr::V6(*a)),
        }
    };
    let (s, d) = (addr(src)?, addr(dst)?);
    let pkt = packet(s, d, svc);
    let same = src.subnet_id == dst.subnet_id;
    let forward = sg_allows(input, src, true, &pkt, Some(dst))
        && (same
            || (nacl_allows(input, &src.subnet_id, true, &pkt)
                && nacl_allows(input, &dst.subnet_id, false, &pkt)))
        && sg_allows(input, dst, false, &pkt, Some(src));
    let back = same
        || reply(&pkt, client_port).is_none_or(|r| {
            nacl_allows(input, &dst.subnet_id, true, &r)
                && nacl_allows(input, &src.subnet_id, false, &r)
        });
    Some(verdict(forward, back))
}

fn fast(n: &reach::Network, to: &str, svc: Service, from: &str, port: u16) -> Verdict {
    let a = n
        .check(&reach::Query {
            to: to.into(),
            service: svc,
            from: from.parse().unwrap(),
            client_ports: (port, port),
        })
        .unwrap();
    a.paths[0].trace.verdict
}

fn in_sources(s: &reach::Sources, a: &IpAddr) -> bool {
    s.cidrs.iter().any(|n| n.contains(a)) && !s.except.iter().any(|n| n.contains(a))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn fast_evaluator_agrees_with_packet_by_packet_reference(g in networks()) {
        let input = build(&g);
        let n = reach::Network::build(&input);
        let ports = client_port_candidates();
        let map = n.exposure_map();
        for dst in &input.interfaces {
            let inst = dst.instance_id.clone().unwrap();
            let exposure = map.iter().find(|x| x.instance.as_deref() == Some(inst.as_str()));
            for svc in services() {
                for client in INTERNET {
                    let ip: IpAddr = client.parse().unwrap();
                    let mut any_port = false;
                    for &p in &ports {
                        let want = from_internet(&input, dst, ip, svc, p);
                        let got = fast(&n, &inst, svc, client, p);
                        prop_assert_eq!(got, want, "internet {} -> {} {} client port {}", client, inst, svc, p);
                        any_port |= want == Verdict::Reachable;
                    }
                    // The exposure map with the default client ports (1024-65535).
                    let exposed = exposure.is_some_and(|x| {
                        x.entries.iter().any(|e| {
                            e.state == State::Exposed
                                && e.covers(svc)
                                && e.family == Family::of(&ip)
                                && in_sources(&e.sources, &ip)
                        })
                    });
                    prop_assert_eq!(exposed, any_port, "exposure map: {} -> {} {}\n{:#?}", client, inst, svc, exposure);
                }
                for src in &input.interfaces {
                    if src.id == dst.id {
                        continue;
                    }
                    for f in Family::BOTH {
                        for &p in &[1024u16, 40000] {
                            let Some(want) = between(&input, src, dst, f, svc, p) else { continue };
                            let a = n.check(&reach::Query {
                                to: dst.id.clone(),
                                service: svc,
                                from: src.id.parse().unwrap(),
                                client_ports: (p, p),
                            }).unwrap();
                            let got = a.paths.iter().find(|x| x.trace.family == f).map(|x| x.trace.verdict);
                            prop_assert_eq!(got, Some(want), "{} -> {} {} {:?} port {}", src.id, dst.id, svc, f, p);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ranges_split_where_decisions_change(g in networks()) {
        // A query over 0.0.0.0/0 gives pieces; every sampled address must get the verdict a
        // single-address query gives.
        let input = build(&g);
        let n = reach::Network::build(&input);
        for dst in &input.interfaces {
            let inst = dst.instance_id.clone().unwrap();
            for svc in [Service::tcp(22), Service::udp(53)] {
                let whole = n.check(&reach::Query {
                    to: inst.clone(),
                    service: svc,
                    from: "0.0.0.0/0".parse().unwrap(),
                    client_ports: reach::DEFAULT_CLIENT_PORTS,
                }).unwrap();
                for client in ["203.0.113.1", "203.0.113.200", "198.51.100.7", "8.8.8.8", "10.0.2.10", "10.0.1.77", "172.16.0.1"] {
                    let ip: IpAddr = client.parse().unwrap();
                    let piece = whole.paths.iter().find(|p| p.sources.as_ref().is_some_and(|s| {
                        s.cidrs.iter().any(|c| c.contains(&ip)) && !s.except.iter().any(|c| c.contains(&ip))
                    }));
                    let single = n.check(&reach::Query {
                        to: inst.clone(),
                        service: svc,
                        from: client.parse().unwrap(),
                        client_ports: reach::DEFAULT_CLIENT_PORTS,
                    }).unwrap();
                    prop_assert!(piece.is_some(), "{} not in any piece", client);
                    prop_assert_eq!(piece.unwrap().trace.verdict, single.paths[0].trace.verdict, "{} -> {} {}", client, inst, svc);
                }
            }
        }
    }
}

#[test]
fn reference_sanity() {
    // The reference itself on a known case: open 22 in a public subnet.
    let g = Gen {
        igw: true,
        eigw: false,
        routes: vec![
            (true, Some(0), Some(true), None),
            (false, None, None, None),
            (false, None, None, None),
        ],
        main_default: None,
        nacls: vec![None, None, None],
        groups: vec![
            (vec![(1, 0, 0, 0)], vec![]),
            (vec![], vec![]),
            (vec![], vec![]),
        ],
        enis: vec![(0, vec![0], true, false), (1, vec![1], false, false)],
    };
    let input = build(&g);
    let ip: IpAddr = "203.0.113.1".parse().unwrap();
    assert_eq!(
        from_internet(&input, &input.interfaces[0], ip, Service::tcp(22), 40000),
        Verdict::Reachable
    );
    assert_eq!(
        from_internet(&input, &input.interfaces[0], ip, Service::tcp(23), 40000),
        Verdict::Blocked
    );
    assert_eq!(
        from_internet(&input, &input.interfaces[1], ip, Service::tcp(22), 40000),
        Verdict::Blocked
    );
    let _ = Ipv6Addr::LOCALHOST;
}

/// An entry as JSON, less its interface (which `instance_summaries` leaves empty).
fn entry_text(e: &reach::ExposureEntry) -> String {
    let mut v = serde_json::to_value(e).unwrap();
    v.as_object_mut().unwrap().remove("interface");
    v.to_string()
}

/// `instance_summaries` is handed, per instance of the exposure map and in its order, the
/// entries the map lists for it, in the same order.
fn summaries_match_the_map(input: &NetworkInput) -> Result<(), TestCaseError> {
    let n = reach::Network::build(input);
    let want: Vec<(String, Vec<String>)> = n
        .exposure_map()
        .iter()
        .filter_map(|x| {
            Some((
                x.instance.clone()?,
                x.entries.iter().map(entry_text).collect(),
            ))
        })
        .collect();
    let got = n.instance_summaries(|entries| entries.iter().map(|e| entry_text(e)).collect());
    prop_assert_eq!(got, want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn instance_summaries_see_what_the_exposure_map_lists(g in networks()) {
        let mut input = build(&g);
        summaries_match_the_map(&input)?;
        // Again with two interfaces per instance: the entries of both, ordered as the map orders
        // them (ties between interfaces broken by interface id).
        input.instances.clear();
        for pair in (0..input.interfaces.len()).collect::<Vec<_>>().chunks(2) {
            let id = format!("i-pair-{}", pair[0]);
            let mut ids = Vec::new();
            // The second interface first: the primary is not always the lowest id.
            for &ei in pair.iter().rev() {
                input.interfaces[ei].instance_id = Some(id.clone());
                ids.push(input.interfaces[ei].id.clone());
            }
            input.instances.push(Instance { id, name: None, state: "running".into(), interface_ids: ids });
        }
        summaries_match_the_map(&input)?;
    }
}
