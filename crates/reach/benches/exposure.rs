//! The full exposure map on a generated account: 100k instances, 10k security groups, 2k subnets
//! (50 VPCs x 40 subnets, half public, half behind NAT; custom NACLs with deny rules; groups with
//! internet, office, VPC and group-reference rules; some IPv6). Baselines in the same run:
//! cloning the input, and compiling the network.
//!
//! cargo bench -p reach --bench exposure

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

// The trailhound binary's allocator (crates/cli/src/main.rs): the map's cost is mostly allocation.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use reach::input::*;

const VPCS: usize = 50;
const SUBNETS_PER_VPC: usize = 40;
const GROUPS_PER_VPC: usize = 200;
const INSTANCES_PER_VPC: usize = 2000;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn route(dest: &str, target: &str) -> Route {
    Route {
        destination: RouteDestination::Cidr(dest.parse().unwrap()),
        target: target.into(),
        propagated: false,
        active: true,
    }
}

fn entry(
    n: u32,
    egress: bool,
    proto: &str,
    allow: bool,
    cidr: &str,
    ports: Option<(u16, u16)>,
) -> NaclEntry {
    NaclEntry {
        rule_number: n,
        egress,
        protocol: proto.into(),
        allow,
        cidr: cidr.parse().unwrap(),
        port_range: ports,
        icmp: None,
    }
}

pub fn generate() -> NetworkInput {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut n = NetworkInput::default();
    let offices = [
        "198.51.100.0/24",
        "203.0.113.0/24",
        "192.0.2.0/24",
        "100.70.0.0/16",
    ];
    for v in 0..VPCS {
        let vpc = format!("vpc-{v:04}");
        let (a, b) = (10 + v / 200, v % 200);
        n.vpcs.push(Vpc {
            id: vpc.clone(),
            owner_id: "111122223333".into(),
            region: "us-east-1".into(),
            cidrs_v4: vec![format!("{a}.{b}.0.0/16").parse().unwrap()],
            cidrs_v6: vec![format!("2600:1f18:{v:x}::/56").parse().unwrap()],
        });
        n.internet_gateways.push(Gateway {
            id: format!("igw-{v:04}"),
            vpc_ids: vec![vpc.clone()],
        });
        n.network_acls.push(NetworkAcl {
            id: format!("acl-{v:04}-default"),
            vpc_id: vpc.clone(),
            is_default: true,
            subnet_ids: vec![],
            entries: vec![
                entry(100, false, "-1", true, "0.0.0.0/0", None),
                entry(101, false, "-1", true, "::/0", None),
                entry(100, true, "-1", true, "0.0.0.0/0", None),
                entry(101, true, "-1", true, "::/0", None),
            ],
        });
        let mut custom = NetworkAcl {
            id: format!("acl-{v:04}-web"),
            vpc_id: vpc.clone(),
            is_default: false,
            subnet_ids: vec![],
            entries: vec![
                entry(50, false, "6", false, "203.0.113.0/24", Some((22, 22))),
                entry(60, false, "6", false, "192.0.2.128/25", Some((0, 65535))),
                entry(100, false, "6", true, "0.0.0.0/0", Some((22, 22))),
                entry(110, false, "6", true, "0.0.0.0/0", Some((80, 443))),
                entry(120, false, "6", true, "0.0.0.0/0", Some((1024, 65535))),
                entry(130, false, "17", true, "0.0.0.0/0", Some((1024, 65535))),
                entry(140, false, "-1", true, "10.0.0.0/8", None),
                entry(150, false, "-1", true, "::/0", None),
                entry(100, true, "6", true, "0.0.0.0/0", Some((32768, 65535))),
                entry(110, true, "6", true, "0.0.0.0/0", Some((80, 443))),
                entry(120, true, "-1", true, "10.0.0.0/8", None),
                entry(130, true, "-1", true, "::/0", None),
            ],
        };
        n.route_tables.push(RouteTable {
            id: format!("rtb-{v:04}-main"),
            vpc_id: vpc.clone(),
            main: true,
            routes: vec![route(&format!("{a}.{b}.0.0/16"), "local")],
            ..Default::default()
        });
        let mut public = RouteTable {
            id: format!("rtb-{v:04}-public"),
            vpc_id: vpc.clone(),
            routes: vec![
                route("0.0.0.0/0", &format!("igw-{v:04}")),
                route("::/0", &format!("igw-{v:04}")),
                route("10.0.0.0/8", &format!("tgw-{v:04}")),
            ],
            ..Default::default()
        };
        let mut private = RouteTable {
            id: format!("rtb-{v:04}-private"),
            vpc_id: vpc.clone(),
            routes: vec![
                route("0.0.0.0/0", &format!("nat-{v:04}")),
                route("::/0", &format!("eigw-{v:04}")),
            ],
            ..Default::default()
        };
        for s in 0..SUBNETS_PER_VPC {
            let id = format!("subnet-{v:04}-{s:02}");
            n.subnets.push(Subnet {
                id: id.clone(),
                vpc_id: vpc.clone(),
                cidr_v4: Some(format!("{a}.{b}.{s}.0/24").parse().unwrap()),
                cidrs_v6: vec![format!("2600:1f18:{v:x}:{s:x}::/64").parse().unwrap()],
            });
            if s % 2 == 0 {
                public.subnet_ids.push(id.clone());
                if s % 4 == 0 {
                    custom.subnet_ids.push(id);
                }
            } else {
                private.subnet_ids.push(id);
            }
        }
        n.route_tables.push(public);
        n.route_tables.push(private);
        n.network_acls.push(custom);

        for g in 0..GROUPS_PER_VPC {
            let mut inbound = Vec::new();
            for _ in 0..1 + rng.below(8) {
                let (proto, from, to) = match rng.below(10) {
                    0 => ("tcp", 22, 22),
                    1 => ("tcp", 3389, 3389),
                    2 => ("tcp", 443, 443),
                    3 => ("tcp", 80, 80),
                    4 => ("tcp", 0, 65535),
                    5 => ("-1", 0, 0),
                    6 => ("udp", 53, 53),
                    7 => ("icmp", 8, -1),
                    _ => {
                        let p = 1024 + rng.below(60000) as i32;
                        ("tcp", p, p + rng.below(100) as i32)
                    }
                };
                let mut p = Permission {
                    protocol: proto.into(),
                    from_port: (proto != "-1").then_some(from),
                    to_port: (proto != "-1").then_some(to),
                    ..Default::default()
                };
                match rng.below(10) {
                    0..=2 => p.ipv4.push("0.0.0.0/0".parse().unwrap()),
                    3 => p.ipv6.push("::/0".parse().unwrap()),
                    4 | 5 => p
                        .ipv4
                        .push(offices[rng.below(offices.len())].parse().unwrap()),
                    6 => p.ipv4.push("10.0.0.0/8".parse().unwrap()),
                    _ => p.groups.push(GroupRef {
                        group_id: format!("sg-{v:04}-{:03}", rng.below(GROUPS_PER_VPC + 5)),
                        ..Default::default()
                    }),
                }
                inbound.push(p);
            }
            n.security_groups.push(SecurityGroup {
                id: format!("sg-{v:04}-{g:03}"),
                name: format!("group-{g}"),
                vpc_id: vpc.clone(),
                owner_id: "111122223333".into(),
                inbound,
                outbound: vec![Permission {
                    protocol: "-1".into(),
                    ipv4: vec!["0.0.0.0/0".parse().unwrap()],
                    ..Default::default()
                }],
            });
        }
        for i in 0..INSTANCES_PER_VPC {
            let s = rng.below(SUBNETS_PER_VPC);
            let host = 4 + (i % 250) as u8;
            let id = format!("{v:04}{i:05}");
            let groups = (0..1 + rng.below(3))
                .map(|_| format!("sg-{v:04}-{:03}", rng.below(GROUPS_PER_VPC)))
                .collect();
            n.interfaces.push(Interface {
                id: format!("eni-{id}"),
                subnet_id: format!("subnet-{v:04}-{s:02}"),
                vpc_id: vpc.clone(),
                instance_id: Some(format!("i-{id}")),
                private_ipv4: vec![PrivateIpv4 {
                    address: Ipv4Addr::new(a as u8, b as u8, s as u8, host),
                    public: rng.chance(30).then(|| PublicIpv4 {
                        address: Ipv4Addr::from(
                            0x3400_0000u32 + (v * INSTANCES_PER_VPC + i) as u32,
                        ),
                        elastic: rng.chance(20),
                    }),
                }],
                ipv6: if rng.chance(10) {
                    vec![Ipv6Addr::new(
                        0x2600, 0x1f18, v as u16, s as u16, 0, 0, 0, i as u16,
                    )]
                } else {
                    vec![]
                },
                group_ids: groups,
                interface_type: "interface".into(),
                description: String::new(),
            });
            n.instances.push(Instance {
                id: format!("i-{id}"),
                name: None,
                state: "running".into(),
                interface_ids: vec![format!("eni-{id}")],
            });
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let input = generate();
    assert_eq!(input.instances.len(), 100_000);
    assert_eq!(input.security_groups.len(), 10_000);
    assert_eq!(input.subnets.len(), 2_000);
    let mut g = c.benchmark_group("exposure");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("baseline: clone the input", |b| {
        b.iter(|| black_box(input.clone()))
    });
    g.bench_function("baseline: compile the network", |b| {
        b.iter(|| black_box(reach::Network::build(&input)))
    });
    let network = reach::Network::build(&input);
    let map = network.exposure_map();
    eprintln!(
        "exposure map: {} instances with entries, {} exposed, {} entries",
        map.len(),
        map.iter().filter(|x| x.is_exposed()).count(),
        map.iter().map(|x| x.entries.len()).sum::<usize>()
    );
    drop(map);
    g.bench_function("compile + full exposure map (100k instances)", |b| {
        b.iter(|| {
            let n = reach::Network::build(&input);
            black_box(n.exposure_map())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
