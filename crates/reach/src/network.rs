//! The compiled network: every object interned by index, every rule turned into intervals of the
//! service axis and the address space, route tables sorted for longest-prefix match, references
//! between security groups resolved once (alive, stale or unknown).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;
use rayon::prelude::*;

use crate::addr::{ASet, AddrSet, Family, internet, net_range};
use crate::hash::FxMap;
use crate::input::{self, NetworkInput};
use crate::service;

pub(crate) type Ix = u32;

pub(crate) const INGRESS: usize = 0;
pub(crate) const EGRESS: usize = 1;

#[derive(Debug)]
pub(crate) struct CVpc {
    pub id: String,
    pub region: String,
    pub cidrs: AddrSet,
    pub main_rt: Option<Ix>,
    pub default_nacl: Option<Ix>,
    pub igws: Vec<String>,
    pub eigws: Vec<String>,
    pub peerings: Vec<Ix>,
    pub subnets: Vec<Ix>,
}

#[derive(Debug)]
pub(crate) struct CSubnet {
    pub id: String,
    pub vpc: Ix,
    pub cidrs: AddrSet,
    pub rt: Option<Ix>,
    pub rt_explicit: bool,
    pub nacl: Option<Ix>,
}

/// What a route sends traffic to, from the target id's prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Local,
    InternetGateway,
    EgressOnlyGateway,
    NatGateway,
    Peering,
    TransitGateway,
    VirtualPrivateGateway,
    /// An ENI, an instance, a gateway load balancer or firewall endpoint: a middlebox.
    Appliance,
    Other,
}

impl TargetKind {
    pub fn of(target: &str) -> TargetKind {
        let t = target.trim();
        if t == "local" {
            TargetKind::Local
        } else if t.starts_with("igw-") {
            TargetKind::InternetGateway
        } else if t.starts_with("eigw-") {
            // `eigw-` is egress-only, never an internet gateway (R4).
            TargetKind::EgressOnlyGateway
        } else if t.starts_with("nat-") {
            TargetKind::NatGateway
        } else if t.starts_with("pcx-") {
            TargetKind::Peering
        } else if t.starts_with("tgw-") {
            TargetKind::TransitGateway
        } else if t.starts_with("vgw-") {
            TargetKind::VirtualPrivateGateway
        } else if t.starts_with("eni-") || t.starts_with("i-") || t.starts_with("vpce-") {
            TargetKind::Appliance
        } else {
            TargetKind::Other
        }
    }

    /// Flows through these are tracked whatever the rules say (SG13).
    pub fn tracks_automatically(self) -> bool {
        matches!(
            self,
            TargetKind::NatGateway
                | TargetKind::EgressOnlyGateway
                | TargetKind::TransitGateway
                | TargetKind::Appliance
        )
    }
}

#[derive(Clone, Debug)]
pub(crate) struct CRoute {
    pub lo: u128,
    pub hi: u128,
    pub len: u8,
    pub dest: String,
    pub target: String,
    pub kind: TargetKind,
    pub propagated: bool,
    pub active: bool,
}

#[derive(Debug)]
pub(crate) struct CRouteTable {
    pub id: String,
    pub vpc: Ix,
    pub main: bool,
    /// Per family, most specific first, static before propagated: the first containing route wins.
    pub routes: [Vec<CRoute>; 2],
}

impl CRouteTable {
    pub fn lookup(&self, f: Family, addr: u128) -> Option<&CRoute> {
        self.routes[f.index()]
            .iter()
            .find(|r| r.lo <= addr && addr <= r.hi)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct CEntry {
    pub number: u32,
    pub allow: bool,
    pub lo: u128,
    pub hi: u128,
    pub cidr: IpNet,
    pub svc: (u32, u32),
}

#[derive(Debug)]
pub(crate) struct CNacl {
    pub id: String,
    /// `[direction][family]`, ascending rule number (N2).
    pub entries: [[Vec<CEntry>; 2]; 2],
}

impl CNacl {
    /// The first entry matching the packet; `None` is the implicit `*` deny (N2).
    pub fn decide(&self, dir: usize, f: Family, addr: u128, svc: u32) -> Option<&CEntry> {
        self.entries[dir][f.index()]
            .iter()
            .find(|e| e.lo <= addr && addr <= e.hi && e.svc.0 <= svc && svc <= e.svc.1)
    }

    /// First-match decisions over a service interval for one address: each piece of `[lo, hi]`
    /// with the entry that decides it (`None` = implicit deny).
    pub fn decide_range(
        &self,
        dir: usize,
        f: Family,
        addr: u128,
        lo: u32,
        hi: u32,
    ) -> Vec<((u32, u32), Option<&CEntry>)> {
        let mut remaining = crate::set::IntervalSet::<u32>::range(lo, hi);
        let mut out = Vec::new();
        for e in &self.entries[dir][f.index()] {
            if remaining.is_empty() {
                break;
            }
            if !(e.lo <= addr && addr <= e.hi) {
                continue;
            }
            let covered = remaining.intersect_range(e.svc.0, e.svc.1);
            if covered.is_empty() {
                continue;
            }
            for &r in covered.ranges() {
                out.push((r, Some(e)));
            }
            remaining = remaining.difference(&covered);
        }
        for &r in remaining.ranges() {
            out.push((r, None));
        }
        out.sort_by_key(|(r, _)| *r);
        out
    }
}

pub fn implicit_deny_number(f: Family) -> u32 {
    match f {
        Family::V4 => 32767,
        Family::V6 => 32768,
    }
}

/// Whether a rule that names a security group can match anything.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", content = "why", rename_all = "lowercase")]
pub enum RefState {
    Live,
    /// The group or the peering is gone, or the peering cannot carry references: matches nothing
    /// (SG7, R6).
    Stale(String),
    /// The group belongs to an account that is not in the snapshot.
    Unknown(String),
}

#[derive(Clone, Debug)]
pub(crate) enum Peer {
    Addrs {
        family: Family,
        set: ASet,
        label: String,
        any: bool,
    },
    Group {
        group: Option<Ix>,
        id: String,
        state: RefState,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct CRule {
    /// Position of the IpPermission in its list.
    pub perm: u16,
    pub label: Option<std::sync::Arc<str>>,
    pub svc: (u32, u32),
    pub peer: Peer,
}

#[derive(Debug)]
pub(crate) struct CGroup {
    pub id: String,
    pub name: String,
    pub vpc: Option<Ix>,
    /// `[INGRESS]`, `[EGRESS]`.
    pub rules: [Vec<CRule>; 2],
    pub members: Vec<Ix>,
    /// Private addresses of member ENIs: what a reference to this group matches (SG7).
    pub member_addrs: AddrSet,
    /// Rule counts per [direction][family] as AWS counts them toward the quota (SG6, SG9).
    pub quota_rules: [[usize; 2]; 2],
}

#[derive(Debug)]
pub(crate) struct CEni {
    pub id: String,
    pub subnet: Option<Ix>,
    pub instance: Option<Ix>,
    /// Private IPv4 addresses, each with its public or Elastic IP.
    pub private4: Vec<(u128, Option<(Ipv4Addr, bool)>)>,
    pub ipv6: Vec<u128>,
    pub groups: Vec<Ix>,
    pub missing_groups: Vec<String>,
    pub private_addrs: AddrSet,
}

impl CEni {
    pub fn primary(&self, f: Family) -> Option<u128> {
        match f {
            Family::V4 => self.private4.first().map(|p| p.0),
            Family::V6 => self.ipv6.first().copied(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct CInstance {
    pub id: String,
    pub name: Option<String>,
    pub state: String,
    pub enis: Vec<Ix>,
}

#[derive(Debug)]
pub(crate) struct CPeering {
    pub id: String,
    pub status: String,
    pub vpc_ids: [String; 2],
    pub cross_region: bool,
}

impl CPeering {
    pub fn active(&self) -> bool {
        self.status == "active"
    }
    pub fn other_side(&self, vpc_id: &str) -> Option<&str> {
        if self.vpc_ids[0] == vpc_id {
            Some(&self.vpc_ids[1])
        } else if self.vpc_ids[1] == vpc_id {
            Some(&self.vpc_ids[0])
        } else {
            None
        }
    }
}

/// The compiled network. Build it once with [`Network::build`]; every query reads it.
#[derive(Debug)]
pub struct Network {
    pub(crate) vpcs: Vec<CVpc>,
    pub(crate) subnets: Vec<CSubnet>,
    pub(crate) route_tables: Vec<CRouteTable>,
    pub(crate) nacls: Vec<CNacl>,
    pub(crate) groups: Vec<CGroup>,
    pub(crate) enis: Vec<CEni>,
    pub(crate) instances: Vec<CInstance>,
    pub(crate) peerings: Vec<CPeering>,
    pub(crate) group_ix: FxMap<String, Ix>,
    pub(crate) eni_ix: FxMap<String, Ix>,
    pub(crate) instance_ix: FxMap<String, Ix>,
    pub(crate) peering_ix: FxMap<String, Ix>,
    pub(crate) eni_by_private: FxMap<IpAddr, Ix>,
    pub(crate) internet: [ASet; 2],
    /// Route tables with an edge association, by gateway id (R5).
    pub(crate) edge_rts: HashMap<String, Vec<Ix>>,
    /// Per subnet shape, what the internet may pass (computed on first use).
    pub(crate) pass_cache: std::sync::OnceLock<crate::exposure::PassCache>,
    /// Inconsistencies found while compiling (a subnet with no VPC, an unknown group, …).
    pub warnings: Vec<String>,
}

fn parse_proto(s: &str, what: &str, warnings: &mut Vec<String>) -> Option<Option<u8>> {
    match service::parse_protocol(s) {
        Ok(p) => Some(p),
        Err(e) => {
            warnings.push(format!("{what}: {e}; rule ignored"));
            None
        }
    }
}

impl Network {
    /// Compiles the input. Inconsistent references never fail the build: they become warnings and
    /// the element that needs them blocks with the reason.
    pub fn build(input: &NetworkInput) -> Network {
        let mut w = Vec::new();
        let mut vpcs: Vec<CVpc> = Vec::with_capacity(input.vpcs.len());
        let mut vpc_ix = FxMap::default();
        for v in &input.vpcs {
            let nets: Vec<IpNet> = v
                .cidrs_v4
                .iter()
                .map(|n| IpNet::V4(n.trunc()))
                .chain(v.cidrs_v6.iter().map(|n| IpNet::V6(n.trunc())))
                .collect();
            vpc_ix.insert(v.id.clone(), vpcs.len() as Ix);
            vpcs.push(CVpc {
                id: v.id.clone(),
                region: v.region.clone(),
                cidrs: AddrSet::from_nets(&nets),
                main_rt: None,
                default_nacl: None,
                igws: Vec::new(),
                eigws: Vec::new(),
                peerings: Vec::new(),
                subnets: Vec::new(),
            });
        }

        let mut subnets = Vec::with_capacity(input.subnets.len());
        let mut subnet_ix = FxMap::default();
        for s in &input.subnets {
            let Some(&vpc) = vpc_ix.get(&s.vpc_id) else {
                w.push(format!(
                    "subnet {}: its VPC {} is not in the snapshot; skipped",
                    s.id, s.vpc_id
                ));
                continue;
            };
            let nets: Vec<IpNet> = s
                .cidr_v4
                .iter()
                .map(|n| IpNet::V4(n.trunc()))
                .chain(s.cidrs_v6.iter().map(|n| IpNet::V6(n.trunc())))
                .collect();
            let ix = subnets.len() as Ix;
            subnet_ix.insert(s.id.clone(), ix);
            vpcs[vpc as usize].subnets.push(ix);
            subnets.push(CSubnet {
                id: s.id.clone(),
                vpc,
                cidrs: AddrSet::from_nets(&nets),
                rt: None,
                rt_explicit: false,
                nacl: None,
            });
        }

        // Prefix lists expand to their current CIDRs (SG9).
        let prefix_lists: HashMap<&str, &input::PrefixList> = input
            .prefix_lists
            .iter()
            .map(|p| (p.id.as_str(), p))
            .collect();

        // Gateways.
        for g in &input.internet_gateways {
            for v in &g.vpc_ids {
                match vpc_ix.get(v) {
                    Some(&ix) => vpcs[ix as usize].igws.push(g.id.clone()),
                    None => w.push(format!(
                        "internet gateway {}: attached VPC {v} is not in the snapshot",
                        g.id
                    )),
                }
            }
        }
        for g in &input.egress_only_gateways {
            for v in &g.vpc_ids {
                if let Some(&ix) = vpc_ix.get(v) {
                    vpcs[ix as usize].eigws.push(g.id.clone());
                }
            }
        }

        // Route tables (R1, R2).
        let mut route_tables = Vec::with_capacity(input.route_tables.len());
        let mut edge_rts: HashMap<String, Vec<Ix>> = HashMap::new();
        for rt in &input.route_tables {
            let Some(&vpc) = vpc_ix.get(&rt.vpc_id) else {
                w.push(format!(
                    "route table {}: its VPC {} is not in the snapshot; skipped",
                    rt.id, rt.vpc_id
                ));
                continue;
            };
            let ix = route_tables.len() as Ix;
            let mut routes: [Vec<CRoute>; 2] = [Vec::new(), Vec::new()];
            let mut local_seen = [false, false];
            let mut add =
                |net: &IpNet, label: String, r: &input::Route, routes: &mut [Vec<CRoute>; 2]| {
                    let (f, lo, hi) = net_range(net);
                    let kind = TargetKind::of(&r.target);
                    if kind == TargetKind::Local {
                        local_seen[f.index()] = true;
                    }
                    routes[f.index()].push(CRoute {
                        lo,
                        hi,
                        len: net.prefix_len(),
                        dest: label,
                        target: r.target.clone(),
                        kind,
                        propagated: r.propagated,
                        active: r.active,
                    });
                };
            for r in &rt.routes {
                match &r.destination {
                    input::RouteDestination::Cidr(n) => add(&n.trunc(), n.trunc().to_string(), r, &mut routes),
                    input::RouteDestination::PrefixList(id) => match prefix_lists.get(id.as_str()) {
                        Some(pl) => {
                            for n in &pl.cidrs {
                                add(&n.trunc(), format!("{id} ({})", n.trunc()), r, &mut routes)
                            }
                        }
                        None => w.push(format!(
                            "route table {}: prefix list {id} is not in the snapshot; its route is ignored",
                            rt.id
                        )),
                    },
                }
            }
            // The local route for each VPC CIDR is always there (R2), listed or not.
            let v = &vpcs[vpc as usize];
            for f in Family::BOTH {
                if !local_seen[f.index()] {
                    for &(lo, hi) in v.cidrs.get(f).ranges() {
                        for net in crate::addr::to_cidrs(f, &ASet::range(lo, hi)) {
                            let (_, lo, hi) = net_range(&net);
                            routes[f.index()].push(CRoute {
                                lo,
                                hi,
                                len: net.prefix_len(),
                                dest: net.to_string(),
                                target: "local".into(),
                                kind: TargetKind::Local,
                                propagated: false,
                                active: true,
                            });
                        }
                    }
                }
            }
            for list in &mut routes {
                // Longest prefix first; for the same prefix, static before propagated (R2).
                list.sort_by(|a, b| b.len.cmp(&a.len).then(a.propagated.cmp(&b.propagated)));
            }
            if rt.main {
                if vpcs[vpc as usize].main_rt.is_some() {
                    w.push(format!(
                        "VPC {}: more than one main route table; using the first",
                        rt.vpc_id
                    ));
                } else {
                    vpcs[vpc as usize].main_rt = Some(ix);
                }
            }
            for s in &rt.subnet_ids {
                match subnet_ix.get(s) {
                    Some(&si) => {
                        let sub: &mut CSubnet = &mut subnets[si as usize];
                        if sub.rt_explicit {
                            w.push(format!(
                                "subnet {s}: associated with more than one route table"
                            ));
                        } else {
                            sub.rt = Some(ix);
                            sub.rt_explicit = true;
                        }
                    }
                    None => w.push(format!(
                        "route table {}: associated subnet {s} is not in the snapshot",
                        rt.id
                    )),
                }
            }
            for g in &rt.gateway_ids {
                edge_rts.entry(g.clone()).or_default().push(ix);
            }
            route_tables.push(CRouteTable {
                id: rt.id.clone(),
                vpc,
                main: rt.main,
                routes,
            });
        }
        for s in &mut subnets {
            if s.rt.is_none() {
                s.rt = vpcs[s.vpc as usize].main_rt;
            }
        }

        // NACLs (N1, N2, N6).
        let mut nacls = Vec::with_capacity(input.network_acls.len());
        for acl in &input.network_acls {
            let ix = nacls.len() as Ix;
            let mut entries: [[Vec<CEntry>; 2]; 2] = Default::default();
            for e in &acl.entries {
                let what = format!("network ACL {} rule {}", acl.id, e.rule_number);
                let Some(proto) = parse_proto(&e.protocol, &what, &mut w) else {
                    continue;
                };
                let cidr = e.cidr.trunc();
                let (f, lo, hi) = net_range(&cidr);
                let svc = service::nacl_interval(proto, e.port_range, e.icmp, f == Family::V6);
                let dir = if e.egress { EGRESS } else { INGRESS };
                if e.rule_number >= 32767 {
                    // The `*` rules are implicit and cannot change; ours stands in for them.
                    continue;
                }
                entries[dir][f.index()].push(CEntry {
                    number: e.rule_number,
                    allow: e.allow,
                    lo,
                    hi,
                    cidr,
                    svc,
                });
            }
            for d in &mut entries {
                for l in d {
                    l.sort_by_key(|e| e.number);
                }
            }
            match vpc_ix.get(&acl.vpc_id) {
                Some(&v) if acl.is_default => {
                    if vpcs[v as usize].default_nacl.is_none() {
                        vpcs[v as usize].default_nacl = Some(ix)
                    }
                }
                Some(_) => {}
                None => w.push(format!(
                    "network ACL {}: its VPC {} is not in the snapshot",
                    acl.id, acl.vpc_id
                )),
            }
            for s in &acl.subnet_ids {
                if let Some(&si) = subnet_ix.get(s) {
                    let sub: &mut CSubnet = &mut subnets[si as usize];
                    if sub.nacl.is_some() {
                        // Exactly one NACL per subnet (N1): a snapshot saying otherwise is torn.
                        w.push(format!(
                            "subnet {s}: associated with more than one network ACL; using the first"
                        ));
                    } else {
                        sub.nacl = Some(ix);
                    }
                }
            }
            nacls.push(CNacl {
                id: acl.id.clone(),
                entries,
            });
        }
        for s in &mut subnets {
            if s.nacl.is_none() {
                s.nacl = vpcs[s.vpc as usize].default_nacl;
                if s.nacl.is_none() {
                    w.push(format!(
                        "subnet {}: no network ACL found (not even the VPC default); traffic across it is treated as denied",
                        s.id
                    ));
                }
            }
        }

        // Peerings.
        let mut peerings = Vec::with_capacity(input.peerings.len());
        let mut peering_ix = FxMap::default();
        for p in &input.peerings {
            let ix = peerings.len() as Ix;
            let sides = [&p.requester, &p.accepter];
            let vpcs_ix = sides.map(|s| vpc_ix.get(&s.vpc_id).copied());
            for v in vpcs_ix.iter().flatten() {
                vpcs[*v as usize].peerings.push(ix);
            }
            let region = |s: &input::PeeringSide, v: Option<Ix>| {
                if s.region.is_empty() {
                    v.map(|v| vpcs[v as usize].region.clone())
                        .unwrap_or_default()
                } else {
                    s.region.clone()
                }
            };
            let (ra, rb) = (region(sides[0], vpcs_ix[0]), region(sides[1], vpcs_ix[1]));
            peering_ix.insert(p.id.clone(), ix);
            peerings.push(CPeering {
                id: p.id.clone(),
                status: p.status.to_ascii_lowercase(),
                vpc_ids: sides.map(|s| s.vpc_id.clone()),
                cross_region: !ra.is_empty() && !rb.is_empty() && ra != rb,
            });
        }

        // Groups, first without members.
        let mut groups = Vec::with_capacity(input.security_groups.len());
        let mut group_ix =
            FxMap::with_capacity_and_hasher(input.security_groups.len(), Default::default());
        for g in &input.security_groups {
            group_ix.insert(g.id.clone(), groups.len() as Ix);
            groups.push(CGroup {
                id: g.id.clone(),
                name: g.name.clone(),
                vpc: vpc_ix.get(&g.vpc_id).copied(),
                rules: [Vec::new(), Vec::new()],
                members: Vec::new(),
                member_addrs: AddrSet::default(),
                quota_rules: [[0; 2]; 2],
            });
        }

        // ENIs and their group memberships.
        let mut enis = Vec::with_capacity(input.interfaces.len());
        let mut eni_ix =
            FxMap::with_capacity_and_hasher(input.interfaces.len(), Default::default());
        let mut eni_by_private =
            FxMap::with_capacity_and_hasher(input.interfaces.len(), Default::default());
        for e in &input.interfaces {
            let ix = enis.len() as Ix;
            let subnet = subnet_ix.get(&e.subnet_id).copied();
            if subnet.is_none() {
                w.push(format!(
                    "interface {}: its subnet {} is not in the snapshot",
                    e.id, e.subnet_id
                ));
            }
            let mut gs = Vec::new();
            let mut missing = Vec::new();
            for g in &e.group_ids {
                match group_ix.get(g) {
                    Some(&gi) => {
                        gs.push(gi);
                        groups[gi as usize].members.push(ix);
                    }
                    None => missing.push(g.clone()),
                }
            }
            if !missing.is_empty() {
                w.push(format!(
                    "interface {}: security group(s) {} not in the snapshot; their rules are not counted",
                    e.id,
                    missing.join(", ")
                ));
            }
            let mut addrs: Vec<IpAddr> = Vec::new();
            let private4 = e
                .private_ipv4
                .iter()
                .map(|p| {
                    addrs.push(IpAddr::V4(p.address));
                    eni_by_private.insert(IpAddr::V4(p.address), ix);
                    (
                        u32::from(p.address) as u128,
                        p.public.as_ref().map(|pb| (pb.address, pb.elastic)),
                    )
                })
                .collect();
            let ipv6 = e
                .ipv6
                .iter()
                .map(|a| {
                    addrs.push(IpAddr::V6(*a));
                    eni_by_private.insert(IpAddr::V6(*a), ix);
                    u128::from(*a)
                })
                .collect();
            eni_ix.insert(e.id.clone(), ix);
            enis.push(CEni {
                id: e.id.clone(),
                subnet,
                instance: None,
                private4,
                ipv6,
                groups: gs,
                missing_groups: missing,
                private_addrs: AddrSet::from_addrs(&addrs),
            });
        }
        groups.par_iter_mut().for_each(|g| {
            g.member_addrs = AddrSet {
                sets: Family::BOTH.map(|f| {
                    ASet::from_ranges(
                        g.members
                            .iter()
                            .flat_map(|&m| enis[m as usize].private_addrs.get(f).ranges())
                            .copied(),
                    )
                }),
            };
        });

        // Group rules, now that references can be resolved.
        for (gi, g) in input.security_groups.iter().enumerate() {
            let own_vpc = groups[gi].vpc;
            for (dir, perms) in [(INGRESS, &g.inbound), (EGRESS, &g.outbound)] {
                let mut rules = Vec::new();
                let mut quota = [0usize; 2];
                for (pi, p) in perms.iter().enumerate() {
                    let what = format!("security group {} rule {}", g.id, pi + 1);
                    let Some(proto) = parse_proto(&p.protocol, &what, &mut w) else {
                        continue;
                    };
                    let svc = service::sg_interval(proto, p.from_port, p.to_port);
                    if svc.0 > svc.1 {
                        continue;
                    }
                    let perm = pi as u16;
                    let label: Option<std::sync::Arc<str>> = p.label.as_deref().map(Into::into);
                    for n in &p.ipv4 {
                        let net = IpNet::V4(n.trunc());
                        let (_, lo, hi) = net_range(&net);
                        quota[0] += 1;
                        rules.push(CRule {
                            perm,
                            label: label.clone(),
                            svc,
                            peer: Peer::Addrs {
                                family: Family::V4,
                                set: ASet::range(lo, hi),
                                label: net.to_string(),
                                any: net.prefix_len() == 0,
                            },
                        });
                    }
                    for n in &p.ipv6 {
                        let net = IpNet::V6(n.trunc());
                        let (_, lo, hi) = net_range(&net);
                        quota[1] += 1;
                        rules.push(CRule {
                            perm,
                            label: label.clone(),
                            svc,
                            peer: Peer::Addrs {
                                family: Family::V6,
                                set: ASet::range(lo, hi),
                                label: net.to_string(),
                                any: net.prefix_len() == 0,
                            },
                        });
                    }
                    for pl in &p.prefix_lists {
                        match prefix_lists.get(pl.as_str()) {
                            Some(list) => {
                                let set = AddrSet::from_nets(&list.cidrs);
                                let max = list.max_entries.unwrap_or(list.cidrs.len() as u32) as usize;
                                for f in Family::BOTH {
                                    if !set.get(f).is_empty() {
                                        quota[f.index()] += max;
                                        rules.push(CRule {
                                            perm,
                                            label: label.clone(),
                                            svc,
                                            peer: Peer::Addrs {
                                                family: f,
                                                set: set.get(f).clone(),
                                                label: pl.clone(),
                                                any: false,
                                            },
                                        });
                                    }
                                }
                            }
                            None => w.push(format!(
                                "{what}: prefix list {pl} is not in the snapshot; it matches nothing here"
                            )),
                        }
                    }
                    for r in &p.groups {
                        quota[0] += 1;
                        let target = group_ix.get(&r.group_id).copied();
                        let state =
                            resolve_reference(g, own_vpc, r, target, &groups, &vpcs, &peerings);
                        rules.push(CRule {
                            perm,
                            label: label.clone(),
                            svc,
                            peer: Peer::Group {
                                group: target,
                                id: r.group_id.clone(),
                                state,
                            },
                        });
                    }
                }
                groups[gi].rules[dir] = rules;
                groups[gi].quota_rules[dir] = quota;
            }
        }

        let mut instances = Vec::with_capacity(input.instances.len());
        let mut instance_ix =
            FxMap::with_capacity_and_hasher(input.instances.len(), Default::default());
        for i in &input.instances {
            let ix = instances.len() as Ix;
            let mut es = Vec::new();
            for e in &i.interface_ids {
                match eni_ix.get(e) {
                    Some(&ei) => {
                        enis[ei as usize].instance = Some(ix);
                        es.push(ei);
                    }
                    None => w.push(format!(
                        "instance {}: interface {e} is not in the snapshot",
                        i.id
                    )),
                }
            }
            instance_ix.insert(i.id.clone(), ix);
            instances.push(CInstance {
                id: i.id.clone(),
                name: i.name.clone(),
                state: i.state.clone(),
                enis: es,
            });
        }

        Network {
            vpcs,
            subnets,
            route_tables,
            nacls,
            groups,
            enis,
            instances,
            peerings,
            group_ix,
            eni_ix,
            instance_ix,
            peering_ix,
            eni_by_private,
            internet: [internet(Family::V4), internet(Family::V6)],
            edge_rts,
            pass_cache: std::sync::OnceLock::new(),
            warnings: w,
        }
    }

    pub(crate) fn subnet_of_addr(&self, f: Family, addr: u128) -> Option<Ix> {
        self.subnets
            .iter()
            .position(|s| s.cidrs.get(f).contains(addr))
            .map(|i| i as Ix)
    }

    pub(crate) fn vpc_of_addr(&self, f: Family, addr: u128) -> Option<Ix> {
        self.vpcs
            .iter()
            .position(|v| v.cidrs.get(f).contains(addr))
            .map(|i| i as Ix)
    }

    pub(crate) fn eni_of_ip(&self, ip: &IpAddr) -> Option<Ix> {
        self.eni_by_private.get(ip).copied()
    }

    /// The internet seen from an interface: internet addresses outside its own VPC's CIDRs
    /// (those belong to the VPC; no host on the internet has them).
    pub(crate) fn internet_for(&self, eni: Ix, f: Family) -> ASet {
        let internet = self.internet_space(f);
        match self.enis[eni as usize].subnet {
            Some(s) => internet.difference(
                self.vpcs[self.subnets[s as usize].vpc as usize]
                    .cidrs
                    .get(f),
            ),
            None => internet.clone(),
        }
    }

    pub(crate) fn internet_space(&self, f: Family) -> &ASet {
        &self.internet[f.index()]
    }

    /// Interface ids of an instance, or the interface itself.
    pub fn resolve_target(&self, id: &str) -> Result<Vec<String>, String> {
        if let Some(&i) = self.instance_ix.get(id) {
            let inst = &self.instances[i as usize];
            if inst.enis.is_empty() {
                return Err(format!(
                    "instance {id} has no network interface in the snapshot"
                ));
            }
            return Ok(inst
                .enis
                .iter()
                .map(|&e| self.enis[e as usize].id.clone())
                .collect());
        }
        if self.eni_ix.contains_key(id) {
            return Ok(vec![id.to_string()]);
        }
        Err(format!(
            "{id} is neither an instance nor a network interface in the snapshot (give an i-… or eni-… id)"
        ))
    }

    pub fn instance_ids(&self) -> impl Iterator<Item = &str> {
        self.instances.iter().map(|i| i.id.as_str())
    }

    pub fn interface_count(&self) -> usize {
        self.enis.len()
    }

    pub fn instance_count(&self) -> usize {
        self.instances.len()
    }
}

fn resolve_reference(
    owner: &input::SecurityGroup,
    own_vpc: Option<Ix>,
    r: &input::GroupRef,
    target: Option<Ix>,
    groups: &[CGroup],
    vpcs: &[CVpc],
    peerings: &[CPeering],
) -> RefState {
    if let Some(status) = &r.peering_status
        && !status.eq_ignore_ascii_case("active")
    {
        return RefState::Stale(format!(
            "peering {} is {status}",
            r.peering_id.as_deref().unwrap_or("(unnamed)")
        ));
    }
    let Some(t) = target else {
        let other_account = r
            .user_id
            .as_deref()
            .is_some_and(|u| !u.is_empty() && u != owner.owner_id);
        return if other_account {
            RefState::Unknown(format!(
                "{}/{} belongs to an account not in the snapshot",
                r.user_id.as_deref().unwrap_or_default(),
                r.group_id
            ))
        } else {
            RefState::Stale(format!("{} no longer exists", r.group_id))
        };
    };
    let (Some(a), Some(b)) = (own_vpc, groups[t as usize].vpc) else {
        return RefState::Unknown(format!("the VPC of {} is not in the snapshot", r.group_id));
    };
    if a == b {
        return RefState::Live;
    }
    let (a_id, b_id) = (&vpcs[a as usize].id, &vpcs[b as usize].id);
    let mut best: Option<&CPeering> = None;
    for &p in &vpcs[a as usize].peerings {
        let p = &peerings[p as usize];
        if p.other_side(a_id) == Some(b_id.as_str()) && (best.is_none() || p.active()) {
            best = Some(p);
        }
    }
    match best {
        Some(p) if p.active() && !p.cross_region => RefState::Live,
        Some(p) if p.active() => RefState::Stale(format!(
            "{} crosses regions: security group references do not work over an inter-region peering",
            p.id
        )),
        Some(p) => RefState::Stale(format!(
            "peering {} between {a_id} and {b_id} is {}",
            p.id, p.status
        )),
        None => RefState::Stale(format!("no peering between {a_id} and {b_id}")),
    }
}
