//! The exposure map: for every instance, what the internet can reach and from where, with the
//! rule that opens it; and what a group opens but the network does not carry (latent).
//!
//! Work is shared, never repeated per instance: each group's internet-facing rules are boxes
//! (service interval x address set) computed once, and each distinct subnet shape (NACL, route
//! table) gets a "pass" map once: for every service segment, the internet addresses whose packets
//! pass the NACL both ways and whose replies route to the internet gateway. An interface's
//! exposure is then the union of its groups' boxes cut by its subnet's pass map.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use smallvec::{SmallVec, smallvec};

use crate::addr::{ASet, Family, Sources, describe, ip_of};
use crate::hash::FxMap;
use crate::network::{CEni, CNacl, CRouteTable, EGRESS, INGRESS, Ix, Network, Peer, TargetKind};
use crate::service::{self, Response};
use crate::set::{IntervalSet, elementary};

/// Why an open rule is not reachable from the internet.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Block {
    NoSubnet,
    NoGateway(String),
    NoAddress(Family),
    Route(String),
    NaclIn(String, Option<u32>),
    NaclReturn(String),
    NoNacl,
}

/// A rendered [`Block`], shared by every entry it explains.
type Reason = Arc<str>;

impl Block {
    fn text(&self) -> Reason {
        let s: String = match self {
            Block::NoSubnet => "the interface's subnet is not in the snapshot".into(),
            Block::NoGateway(why) => why.clone(),
            Block::NoAddress(Family::V4) => {
                "no public IPv4 or Elastic IP on the interface (R3)".into()
            }
            Block::NoAddress(Family::V6) => "no IPv6 address on the interface (R3)".into(),
            Block::Route(why) => why.clone(),
            Block::NaclIn(acl, Some(n)) => format!("{acl} inbound rule {n} denies (N2)"),
            Block::NaclIn(acl, None) => {
                format!("{acl} has no inbound rule allowing it: implicit deny (N2)")
            }
            Block::NaclReturn(acl) => {
                format!("{acl} outbound allows no reply to the client's ports (N4)")
            }
            Block::NoNacl => "no network ACL known for the subnet".into(),
        };
        s.into()
    }
}

/// For one family, over the service axis: which internet addresses pass, and why the others don't.
#[derive(Debug, Default)]
pub(crate) struct Pass {
    /// Sorted, disjoint service segments covering the whole axis.
    segs: Vec<PassSeg>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PassSeg {
    lo: u32,
    hi: u32,
    pass: ASet,
    blocked: Vec<(ASet, Reason)>,
}

/// One inbound rule of a group with internet addresses: (rule index, addresses, rule text).
type GroupBox = (u32, ASet, Arc<str>);

#[derive(Debug, Default)]
pub struct PassCache {
    /// By (nacl, route table): one `Pass` per family.
    shapes: FxMap<(Option<Ix>, Option<Ix>), [Pass; 2]>,
    /// Per VPC and family: the internet minus the VPC's own CIDRs.
    vpc_internet: Vec<[ASet; 2]>,
    /// Per group and family: each inbound rule's internet addresses as seen from the group's
    /// VPC, `(rule index, addresses)`; rules with none are left out.
    group_boxes: Vec<[Vec<GroupBox>; 2]>,
}

/// A group's internet-facing inbound rule: services x internet addresses.
struct IBox<'a> {
    lo: u32,
    hi: u32,
    set: std::borrow::Cow<'a, ASet>,
    /// The rule as shown (`sg-… (name) inbound #2: tcp 22 from 0.0.0.0/0`).
    text: Arc<str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Reachable from the internet, both ways.
    Exposed,
    /// A group opens it to internet addresses, but the network does not carry it (no public
    /// address, no internet gateway, a route to a NAT, a NACL): one change away from exposed.
    Latent,
}

/// One port range of one interface.
#[derive(Clone, Debug, Serialize)]
pub struct ExposureEntry {
    pub interface: Arc<str>,
    pub family: Family,
    pub state: State,
    /// `tcp 22`, `tcp 0-65535`, `all traffic`, `icmp type 8`, `protocols 7-255 (all)`.
    pub service: Arc<str>,
    /// `all`, `tcp`, `udp`, `icmp`, `icmpv6`, `proto N`, or `protocols A-B` (whole protocols).
    /// An entry never holds part of one protocol and part of another; ask [`Self::covers`] whether
    /// it holds a given port.
    pub protocol: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<(u16, u16)>,
    /// The internet addresses it is open to (shared by the entries that have the same).
    pub sources: Arc<Sources>,
    /// Whether the sources are the whole internet.
    pub anywhere: bool,
    /// The group rules that open it.
    pub rules: Arc<[Arc<str>]>,
    /// Why a latent entry is not exposed.
    #[serde(skip_serializing_if = "no_reasons")]
    pub reasons: Arc<[Arc<str>]>,
    /// Ingress routing sends it through an appliance first (R5).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub via_appliance: bool,
    /// 0 = all ports, 1 = ssh 22, 2 = rdp 3389, 3 = anything else.
    pub risk: u8,
    #[serde(skip)]
    svc: (u32, u32),
}

/// An instance's (or a lone interface's) exposure to the internet.
#[derive(Clone, Debug, Serialize)]
pub struct Exposure {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The instance state (`running`, `stopped`, …): a stopped instance is exposed once started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_state: Option<String>,
    pub interfaces: Vec<String>,
    pub public_ipv4: Vec<IpAddr>,
    pub ipv6: Vec<IpAddr>,
    /// Most dangerous first: exposed before latent; all ports, 22, 3389, then the rest.
    pub entries: Vec<ExposureEntry>,
}

fn no_reasons(r: &Arc<[Arc<str>]>) -> bool {
    r.is_empty()
}

impl ExposureEntry {
    /// Whether this entry's port range holds the service (protocol and port, or ICMP type/code).
    pub fn covers(&self, s: service::Service) -> bool {
        self.svc.0 <= s.key() && s.key() <= self.svc.1
    }
}

/// A piece of one group rule's box: services `lo..=hi`, the exposed addresses, the latent ones
/// with their reasons, and the box it came from.
type Piece = (u32, u32, ASet, SmallVec<[(ASet, Reason); 1]>, usize);

impl Exposure {
    pub fn exposed(&self) -> impl Iterator<Item = &ExposureEntry> {
        self.entries.iter().filter(|e| e.state == State::Exposed)
    }
    pub fn is_exposed(&self) -> bool {
        self.exposed().next().is_some()
    }
}

fn risk_of(lo: u32, hi: u32) -> u8 {
    let covers = |p: u16| {
        [service::TCP].iter().any(|&proto| {
            let k = service::key(proto, p);
            lo <= k && k <= hi
        })
    };
    let tcp_all = service::whole_protocol(service::TCP);
    let udp_all = service::whole_protocol(service::UDP);
    if (lo <= tcp_all.0 && tcp_all.1 <= hi) || (lo <= udp_all.0 && udp_all.1 <= hi) {
        0
    } else if covers(22) {
        1
    } else if covers(3389) {
        2
    } else {
        3
    }
}

/// Cuts an interval of the service axis so that no entry straddles part of a protocol: a head
/// within one protocol, a run of whole protocols, a tail within one protocol. `all traffic` stays
/// whole.
fn split_by_protocol(lo: u32, hi: u32) -> Vec<(u32, u32)> {
    let (pl, ph) = (service::proto_of(lo), service::proto_of(hi));
    if pl == ph || (lo, hi) == service::ALL {
        return vec![(lo, hi)];
    }
    let mut out = Vec::with_capacity(3);
    let mut start = lo;
    if service::value_of(lo) != 0 {
        out.push((lo, service::whole_protocol(pl).1));
        start = service::whole_protocol(pl).1 + 1;
    }
    let end_whole = if service::value_of(hi) == u16::MAX {
        hi
    } else {
        service::whole_protocol(ph).0 - 1
    };
    if start <= end_whole {
        out.push((start, end_whole));
    }
    if end_whole < hi {
        out.push((end_whole + 1, hi));
    }
    out
}

/// `all`, `tcp`, `udp`, `icmp`, `icmpv6`, `proto N`, or `protocols A-B` for a run of whole protocols.
fn protocol_label(lo: u32, hi: u32) -> String {
    if (lo, hi) == service::ALL {
        "all".into()
    } else if service::proto_of(lo) == service::proto_of(hi) {
        service::protocol_name(service::proto_of(lo))
    } else {
        format!(
            "protocols {}-{}",
            service::proto_of(lo),
            service::proto_of(hi)
        )
    }
}

/// The service cuts where a reply's NACL check may change (N4): the protocols and ICMP queries
/// with a reply, and any protocol an outbound entry names.
fn response_cuts(f: Family, acl: Option<&CNacl>, cuts: &mut Vec<u32>) {
    let mut protos = vec![service::TCP, service::UDP, service::ICMP, service::ICMPV6];
    if let Some(acl) = acl {
        for e in &acl.entries[EGRESS][f.index()] {
            if service::proto_of(e.svc.0) == service::proto_of(e.svc.1) {
                protos.push(service::proto_of(e.svc.0));
            }
        }
    }
    for p in protos {
        let (lo, hi) = service::whole_protocol(p);
        cuts.push(lo);
        cuts.push(hi + 1);
    }
    // The queries `response_of` answers: echo and timestamp (icmp), echo (icmpv6).
    for (proto, t) in [
        (service::ICMP, 8u16),
        (service::ICMP, 13),
        (service::ICMPV6, 128),
    ] {
        cuts.push(service::key(proto, t << 8));
        cuts.push(service::key(proto, (t << 8) | 0xFF) + 1);
    }
}

fn representative_service(k: u32) -> service::Service {
    service::Service {
        protocol: service::proto_of(k),
        value: service::value_of(k),
    }
}

impl Network {
    fn pass_for(
        &self,
        f: Family,
        acl: Option<&CNacl>,
        rt: Option<&CRouteTable>,
        cp: (u16, u16),
    ) -> Pass {
        let internet = self.internet_space(f);
        let mut acuts = Vec::new();
        internet.push_boundaries(&mut acuts);
        let mut scuts = Vec::new();
        if let Some(acl) = acl {
            for dir in [INGRESS, EGRESS] {
                for e in &acl.entries[dir][f.index()] {
                    acuts.push(e.lo);
                    acuts.extend(e.hi.checked_add(1));
                }
            }
            for e in &acl.entries[INGRESS][f.index()] {
                scuts.push(e.svc.0);
                scuts.push(e.svc.1 + 1);
            }
        }
        response_cuts(f, acl, &mut scuts);
        if let Some(rt) = rt {
            for r in &rt.routes[f.index()] {
                acuts.push(r.lo);
                acuts.extend(r.hi.checked_add(1));
            }
        }
        let (ulo, uhi) = f.universe();
        let acells: Vec<(u128, u128)> = elementary(acuts, (ulo, uhi))
            .into_iter()
            .filter(|&(lo, _)| internet.contains(lo))
            .collect();
        let igws: &[String] = rt
            .map(|rt| &self.vpcs[rt.vpc as usize].igws[..])
            .unwrap_or(&[]);
        // The route verdict per address cell does not depend on the service.
        let route: Vec<Option<Block>> = acells
            .iter()
            .map(|&(lo, _)| {
                let Some(rt) = rt else {
                    return Some(Block::Route(
                        "the subnet has no route table in the snapshot".into(),
                    ));
                };
                match rt.lookup(f, lo) {
                    None => Some(Block::Route(format!(
                        "{} has no route to these addresses (R3)",
                        rt.id
                    ))),
                    Some(r) if !r.active => Some(Block::Route(format!(
                        "{} route {} is a blackhole",
                        rt.id, r.dest
                    ))),
                    Some(r)
                        if r.kind == TargetKind::InternetGateway && igws.contains(&r.target) =>
                    {
                        None
                    }
                    Some(r) => Some(Block::Route(format!(
                        "{} ({}) route {} -> {}: {}",
                        rt.id,
                        if rt.main { "main" } else { "explicit" },
                        r.dest,
                        r.target,
                        match r.kind {
                            TargetKind::NatGateway => "a NAT gateway gives no inbound (R4)",
                            TargetKind::EgressOnlyGateway =>
                                "eigw- is egress-only, not an internet gateway (R4)",
                            TargetKind::InternetGateway =>
                                "that gateway is not attached to the VPC (R3)",
                            _ => "replies do not reach the internet gateway (R3)",
                        }
                    ))),
                }
            })
            .collect();
        let mut return_memo: HashMap<(usize, Response), bool> = HashMap::new();
        let mut segs: Vec<PassSeg> = Vec::new();
        for (slo, shi) in elementary(scuts, service::ALL) {
            let svc = representative_service(slo);
            let response = service::response_of(svc);
            let mut pass = Vec::new();
            let mut blocked: Vec<(Vec<(u128, u128)>, Block)> = Vec::new();
            let mut block = |r: (u128, u128), b: Block| match blocked.iter_mut().find(|x| x.1 == b)
            {
                Some(x) => x.0.push(r),
                None => blocked.push((vec![r], b)),
            };
            for (ai, &(alo, ahi)) in acells.iter().enumerate() {
                if let Some(b) = &route[ai] {
                    block((alo, ahi), b.clone());
                    continue;
                }
                let Some(acl) = acl else {
                    block((alo, ahi), Block::NoNacl);
                    continue;
                };
                match acl.decide(INGRESS, f, alo, slo) {
                    Some(e) if e.allow => {}
                    other => {
                        block(
                            (alo, ahi),
                            Block::NaclIn(acl.id.clone(), other.map(|e| e.number)),
                        );
                        continue;
                    }
                }
                let ok = *return_memo.entry((ai, response)).or_insert_with(|| {
                    let (lo, hi) = match response {
                        Response::Ports(p) => (service::key(p, cp.0), service::key(p, cp.1)),
                        Response::Point(k) => (k, k),
                        Response::Protocol(p) => (service::key(p, 0), service::key(p, 0)),
                        Response::None => return true,
                    };
                    acl.decide_range(EGRESS, f, alo, lo, hi)
                        .iter()
                        .any(|(_, e)| e.is_some_and(|e| e.allow))
                });
                if ok {
                    pass.push((alo, ahi));
                } else {
                    block((alo, ahi), Block::NaclReturn(acl.id.clone()));
                }
            }
            let seg = PassSeg {
                lo: slo,
                hi: shi,
                pass: ASet::from_ranges(pass),
                blocked: blocked
                    .into_iter()
                    .map(|(r, b)| (ASet::from_ranges(r), b.text()))
                    .collect(),
            };
            match segs.last_mut() {
                Some(last) if last.pass == seg.pass && last.blocked == seg.blocked => {
                    last.hi = seg.hi
                }
                _ => segs.push(seg),
            }
        }
        Pass { segs }
    }

    fn pass_cache(&self) -> &PassCache {
        self.pass_cache.get_or_init(|| {
            let mut keys: Vec<(Option<Ix>, Option<Ix>)> =
                self.subnets.iter().map(|s| (s.nacl, s.rt)).collect();
            keys.sort_unstable();
            keys.dedup();
            let shapes = keys
                .into_par_iter()
                .map(|k| {
                    let acl = k.0.map(|n| &self.nacls[n as usize]);
                    let rt = k.1.map(|r| &self.route_tables[r as usize]);
                    let cp = crate::query::DEFAULT_CLIENT_PORTS;
                    (
                        k,
                        [
                            self.pass_for(Family::V4, acl, rt, cp),
                            self.pass_for(Family::V6, acl, rt, cp),
                        ],
                    )
                })
                .collect();
            let vpc_internet: Vec<[ASet; 2]> = self
                .vpcs
                .iter()
                .map(|v| Family::BOTH.map(|f| self.internet_space(f).difference(v.cidrs.get(f))))
                .collect();
            let group_boxes = self
                .groups
                .par_iter()
                .enumerate()
                .map(|(gi, g)| {
                    Family::BOTH.map(|f| {
                        let internet = match g.vpc {
                            Some(v) => &vpc_internet[v as usize][f.index()],
                            None => self.internet_space(f),
                        };
                        g.rules[INGRESS]
                            .iter()
                            .enumerate()
                            .filter_map(|(i, r)| match &r.peer {
                                Peer::Addrs { family, set, .. } if *family == f => {
                                    let set = set.intersect(internet);
                                    (!set.is_empty()).then(|| {
                                        let text = self.rule_text(gi as Ix, INGRESS, r);
                                        (i as u32, set, Arc::from(text))
                                    })
                                }
                                _ => None,
                            })
                            .collect()
                    })
                })
                .collect();
            PassCache {
                shapes,
                vpc_internet,
                group_boxes,
            }
        })
    }

    /// The internet-facing inbound rules of `groups` for an interface in `vpc`.
    fn internet_boxes(
        &self,
        vpc: Option<Ix>,
        groups: &[Ix],
        f: Family,
        internet: &ASet,
    ) -> Vec<IBox<'_>> {
        let mut out = Vec::new();
        let cache = self.pass_cache();
        for &g in groups {
            let group = &self.groups[g as usize];
            if vpc.is_some() && group.vpc == vpc {
                // The usual case: the group's own VPC, computed once per group.
                for (i, set, text) in &cache.group_boxes[g as usize][f.index()] {
                    let r = &group.rules[INGRESS][*i as usize];
                    out.push(IBox {
                        lo: r.svc.0,
                        hi: r.svc.1,
                        set: std::borrow::Cow::Borrowed(set),
                        text: text.clone(),
                    });
                }
                continue;
            }
            for r in &group.rules[INGRESS] {
                if let Peer::Addrs { family, set, .. } = &r.peer
                    && *family == f
                {
                    let set = set.intersect(internet);
                    if !set.is_empty() {
                        out.push(IBox {
                            lo: r.svc.0,
                            hi: r.svc.1,
                            set: std::borrow::Cow::Owned(set),
                            text: self.rule_text(g, INGRESS, r).into(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Why nothing reaches this interface from the internet at all, if so.
    fn interface_block(&self, eni: &CEni, f: Family) -> Option<Reason> {
        let Some(s) = eni.subnet else {
            return Some(Block::NoSubnet.text());
        };
        let vpc = &self.vpcs[self.subnets[s as usize].vpc as usize];
        if vpc.igws.is_empty() {
            return Some(
                Block::NoGateway(if vpc.eigws.is_empty() {
                    format!("no internet gateway is attached to {} (R3)", vpc.id)
                } else {
                    format!(
                        "{} has only egress-only gateway {}: no inbound (R4)",
                        vpc.id,
                        vpc.eigws.join(", ")
                    )
                })
                .text(),
            );
        }
        (!addressed(eni, f)).then(|| Block::NoAddress(f).text())
    }

    fn interface_via_appliance(&self, eni: &CEni, f: Family) -> bool {
        let Some(s) = eni.subnet else { return false };
        let vpc = &self.vpcs[self.subnets[s as usize].vpc as usize];
        let dst = match f {
            Family::V4 => eni.private4.iter().find(|p| p.1.is_some()).map(|p| p.0),
            Family::V6 => eni.ipv6.first().copied(),
        };
        let Some(dst) = dst else { return false };
        vpc.igws.iter().any(|g| {
            self.edge_rts.get(g).into_iter().flatten().any(|&rt| {
                self.route_tables[rt as usize]
                    .lookup(f, dst)
                    .is_some_and(|r| r.kind != TargetKind::Local)
            })
        })
    }

    /// Everything one interface's exposure in one family depends on besides its id; `None` when
    /// none of its groups opens anything to the internet in that family.
    fn key(&self, e: Ix, f: Family) -> Option<Key> {
        let eni = &self.enis[e as usize];
        let cache = self.pass_cache();
        let vpc = eni.subnet.map(|s| self.subnets[s as usize].vpc);
        // A group of the interface's own VPC with no internet-facing rule adds no box; the
        // others are kept whatever they hold.
        let groups: SmallVec<[Ix; 4]> = eni
            .groups
            .iter()
            .copied()
            .filter(|&g| {
                let own_vpc = vpc.is_some() && self.groups[g as usize].vpc == vpc;
                !(own_vpc && cache.group_boxes[g as usize][f.index()].is_empty())
            })
            .collect();
        if groups.is_empty() {
            return None;
        }
        Some(Key {
            f,
            place: eni.subnet.map(|s| {
                let sub = &self.subnets[s as usize];
                (sub.vpc, sub.nacl, sub.rt)
            }),
            addressed: addressed(eni, f),
            via: self.interface_via_appliance(eni, f),
            groups,
        })
    }

    /// The entries of one interface in one family, named `iface`.
    fn interface_entries(
        &self,
        e: Ix,
        key: &Key,
        iface: &Arc<str>,
        labels: &mut Labels,
        out: &mut Vec<ExposureEntry>,
    ) {
        let eni = &self.enis[e as usize];
        let f = key.f;
        let vpc = key.place.map(|p| p.0);
        let within = match vpc {
            Some(v) => {
                std::borrow::Cow::Borrowed(&self.pass_cache().vpc_internet[v as usize][f.index()])
            }
            None => std::borrow::Cow::Owned(self.internet_for(e, f)),
        };
        let boxes = self.internet_boxes(vpc, &key.groups, f, &within);
        if boxes.is_empty() {
            return;
        }
        // (service lo, hi, exposed set, latent set with reasons, rule)
        let mut pieces: Vec<Piece> = Vec::new();
        match self.interface_block(eni, f) {
            Some(b) => {
                for (bi, bx) in boxes.iter().enumerate() {
                    pieces.push((
                        bx.lo,
                        bx.hi,
                        ASet::empty(),
                        smallvec![(bx.set.as_ref().clone(), b.clone())],
                        bi,
                    ));
                }
            }
            None => {
                let sub = &self.subnets[eni.subnet.expect("checked") as usize];
                let pass = &self.pass_cache().shapes[&(sub.nacl, sub.rt)][f.index()];
                for (bi, bx) in boxes.iter().enumerate() {
                    let start = pass.segs.partition_point(|s| s.hi < bx.lo);
                    for seg in &pass.segs[start..] {
                        if seg.lo > bx.hi {
                            break;
                        }
                        let lo = seg.lo.max(bx.lo);
                        let hi = seg.hi.min(bx.hi);
                        let exposed = bx.set.intersect(&seg.pass);
                        let latent: SmallVec<[(ASet, Reason); 1]> = seg
                            .blocked
                            .iter()
                            .map(|(s, b)| (bx.set.intersect(s), b.clone()))
                            .filter(|(s, _)| !s.is_empty())
                            .collect();
                        pieces.push((lo, hi, exposed, latent, bi));
                    }
                }
            }
        }
        self.merge_pieces(iface, f, vpc, &within, &boxes, pieces, key.via, labels, out);
    }

    /// Cuts the pieces at every service boundary, unions what overlaps, and joins neighbours with
    /// the same sources and rules into one entry.
    #[allow(clippy::too_many_arguments)]
    fn merge_pieces(
        &self,
        iface: &Arc<str>,
        f: Family,
        vpc: Option<Ix>,
        within: &ASet,
        boxes: &[IBox<'_>],
        pieces: Vec<Piece>,
        via: bool,
        labels: &mut Labels,
        out: &mut Vec<ExposureEntry>,
    ) {
        let mut cuts = Vec::with_capacity(pieces.len() * 2);
        for p in &pieces {
            cuts.push(p.0);
            cuts.push(p.1.saturating_add(1));
        }
        // (state, sources, rules, reasons) per elementary segment, joined when equal.
        type Acc = (State, ASet, SmallVec<[usize; 4]>, SmallVec<[Reason; 2]>);
        let mut runs: Vec<(u32, u32, Acc)> = Vec::new();
        for (lo, hi) in elementary(cuts, service::ALL) {
            let mut exposed = ASet::empty();
            let mut exposed_rules: SmallVec<[usize; 4]> = SmallVec::new();
            let mut latent = ASet::empty();
            let mut latent_rules: SmallVec<[usize; 4]> = SmallVec::new();
            let mut reasons: SmallVec<[Reason; 2]> = SmallVec::new();
            for p in pieces.iter().filter(|p| p.0 <= lo && hi <= p.1) {
                if !p.2.is_empty() {
                    exposed = exposed.union(&p.2);
                    exposed_rules.push(p.4);
                }
                for (s, b) in &p.3 {
                    latent = latent.union(s);
                    latent_rules.push(p.4);
                    if !reasons.contains(b) {
                        reasons.push(b.clone());
                    }
                }
            }
            // What is exposed through one rule is not latent through another.
            let latent = latent.difference(&exposed);
            let mut accs: SmallVec<[Acc; 2]> = SmallVec::new();
            if !exposed.is_empty() {
                exposed_rules.dedup();
                accs.push((State::Exposed, exposed, exposed_rules, SmallVec::new()));
            }
            if !latent.is_empty() {
                latent_rules.sort_unstable();
                latent_rules.dedup();
                reasons.sort();
                accs.push((State::Latent, latent, latent_rules, reasons));
            }
            for acc in accs {
                // Join with an equal run that ends right before this segment.
                if let Some(run) = runs
                    .iter_mut()
                    .rev()
                    .take(2)
                    .find(|r| r.1.checked_add(1) == Some(lo) && r.2 == acc)
                {
                    run.1 = hi;
                } else {
                    runs.push((lo, hi, acc));
                }
            }
        }
        for (lo, hi, (state, set, rules, reasons)) in runs {
            let sources = labels.sources(f, vpc, &set, within);
            let anywhere = set == *within;
            let rules: Arc<[Arc<str>]> = rules.iter().map(|&i| boxes[i].text.clone()).collect();
            let reasons: Arc<[Arc<str>]> = if reasons.is_empty() {
                labels.none.clone()
            } else {
                reasons.into_iter().collect()
            };
            for (lo, hi) in split_by_protocol(lo, hi) {
                let (service, protocol) = labels.service(lo, hi);
                out.push(ExposureEntry {
                    interface: iface.clone(),
                    family: f,
                    state,
                    service,
                    protocol,
                    ports: service::ports_of(lo, hi),
                    sources: sources.clone(),
                    anywhere,
                    rules: rules.clone(),
                    reasons: reasons.clone(),
                    via_appliance: via && state == State::Exposed,
                    risk: risk_of(lo, hi),
                    svc: (lo, hi),
                });
            }
        }
    }

    /// An instance's (or a lone interface's) exposure; `entries_of` appends one interface's
    /// entries, both families.
    fn exposure_of(
        &self,
        instance: Option<Ix>,
        enis: &[Ix],
        mut entries_of: impl FnMut(Ix, &mut Vec<ExposureEntry>),
    ) -> Exposure {
        let mut entries = Vec::new();
        for &e in enis {
            entries_of(e, &mut entries);
        }
        entries.sort_by(entry_order);
        let mut public_ipv4 = Vec::new();
        let mut ipv6 = Vec::new();
        for &e in enis {
            let eni = &self.enis[e as usize];
            public_ipv4.extend(
                eni.private4
                    .iter()
                    .filter_map(|p| p.1.map(|(a, _)| IpAddr::V4(a))),
            );
            ipv6.extend(eni.ipv6.iter().map(|&a| ip_of(Family::V6, a)));
        }
        let inst = instance.map(|i| &self.instances[i as usize]);
        Exposure {
            instance: inst.map(|i| i.id.clone()),
            name: inst.and_then(|i| i.name.clone()),
            instance_state: inst.map(|i| i.state.clone()),
            interfaces: enis
                .iter()
                .map(|&e| self.enis[e as usize].id.clone())
                .collect(),
            public_ipv4,
            ipv6,
            entries,
        }
    }

    /// One interface's entries, computed on the spot.
    fn entries_now(&self, e: Ix, labels: &mut Labels, out: &mut Vec<ExposureEntry>) {
        let iface: Arc<str> = self.enis[e as usize].id.as_str().into();
        for f in Family::BOTH {
            if let Some(key) = self.key(e, f) {
                self.interface_entries(e, &key, &iface, labels, out);
            }
        }
    }

    /// What the internet can reach on one instance (`i-…`) or interface (`eni-…`), per port range:
    /// exposed or latent, from which addresses, through which group rule.
    pub fn exposure(&self, id: &str) -> Result<Exposure, String> {
        let mut labels = Labels::default();
        let mut now = |e, out: &mut Vec<ExposureEntry>| self.entries_now(e, &mut labels, out);
        if let Some(&i) = self.instance_ix.get(id) {
            return Ok(self.exposure_of(Some(i), &self.instances[i as usize].enis, &mut now));
        }
        if let Some(&e) = self.eni_ix.get(id) {
            return Ok(self.exposure_of(self.enis[e as usize].instance, &[e], &mut now));
        }
        Err(format!(
            "{id} is neither an instance nor a network interface in the snapshot"
        ))
    }

    /// The exposure of every instance, and of every interface not attached to one, most exposed
    /// first. Instances with nothing open to the internet are left out.
    ///
    /// Interfaces with the same [`Key`] (subnet shape, groups that open something, address,
    /// ingress routing) have the same entries but for their id: each distinct key is computed
    /// once, and its entries are shared (their texts and sets are reference counted).
    pub fn exposure_map(&self) -> Vec<Exposure> {
        self.exposure_items(|item, templates, slots| {
            let shared = |e: Ix, out: &mut Vec<ExposureEntry>| {
                let mut iface: Option<Arc<str>> = None;
                out.reserve(
                    slots[e as usize]
                        .iter()
                        .filter_map(|&id| templates.get(id as usize))
                        .map(Vec::len)
                        .sum(),
                );
                for id in slots[e as usize] {
                    let Some(entries) = templates.get(id as usize) else {
                        continue;
                    };
                    for t in entries {
                        let iface = iface
                            .get_or_insert_with(|| self.enis[e as usize].id.as_str().into())
                            .clone();
                        out.push(ExposureEntry {
                            interface: iface,
                            ..t.clone()
                        });
                    }
                }
            };
            self.exposure_of(item.1, self.item_enis(item), shared)
        })
    }

    /// What `summary` makes of each instance's entries, for the instances [`Network::exposure_map`]
    /// lists, in its order: `(instance id, summary)`. The entries come in the order an
    /// [`Exposure`] lists them, but shared, not copied per instance: their `interface` is empty.
    /// Cheaper than the map when only a digest of each instance's exposure is wanted.
    pub fn instance_summaries<T: Send>(
        &self,
        summary: impl Fn(&[&ExposureEntry]) -> T + Sync,
    ) -> Vec<(String, T)> {
        self.exposure_items(|item, templates, slots| {
            let instance = item.1?;
            // Each entry with its interface's id, in the order `exposure_of` collects them; then
            // sorted as it sorts them (its entries carry that id as their interface).
            let mut entries: Vec<(&ExposureEntry, &str)> = Vec::new();
            for &e in self.item_enis(item) {
                let iface = self.enis[e as usize].id.as_str();
                for id in slots[e as usize] {
                    if let Some(template) = templates.get(id as usize) {
                        entries.extend(template.iter().map(|t| (t, iface)));
                    }
                }
            }
            entries.sort_by(|(a, ai), (b, bi)| entry_order_on(a, ai, b, bi));
            let entries: Vec<&ExposureEntry> = entries.into_iter().map(|(e, _)| e).collect();
            Some((
                self.instances[instance as usize].id.clone(),
                summary(&entries),
            ))
        })
        .into_iter()
        .flatten()
        .collect()
    }

    /// The interfaces of an exposure item: its instance's, or the lone interface.
    fn item_enis<'a>(&'a self, item: &'a Item) -> &'a [Ix] {
        match item.1 {
            Some(i) => &self.instances[i as usize].enis,
            None => std::slice::from_ref(&item.2),
        }
    }

    /// The items of the exposure map (every instance, then every interface not attached to one,
    /// that has entries), in its order, each made by `make` from the item, the entries of every
    /// distinct interface key (without interface names) and per interface its keys' indexes
    /// into them (per family; `u32::MAX` for none).
    fn exposure_items<T: Send>(
        &self,
        make: impl Fn(&Item, &[Vec<ExposureEntry>], &[[u32; 2]]) -> T + Sync,
    ) -> Vec<T> {
        self.pass_cache();
        let keys: Vec<[Option<Key>; 2]> = (0..self.enis.len() as Ix)
            .into_par_iter()
            .map(|e| Family::BOTH.map(|f| self.key(e, f)))
            .collect();
        const NONE: u32 = u32::MAX;
        let mut ids: FxMap<&Key, u32> = FxMap::default();
        let mut reps: Vec<(Ix, &Key)> = Vec::new();
        let slots: Vec<[u32; 2]> = keys
            .iter()
            .enumerate()
            .map(|(e, ks)| {
                ks.each_ref().map(|k| match k {
                    None => NONE,
                    Some(k) => *ids.entry(k).or_insert_with(|| {
                        reps.push((e as Ix, k));
                        reps.len() as u32 - 1
                    }),
                })
            })
            .collect();
        drop(ids);
        let unnamed: Arc<str> = Arc::from("");
        let templates: Vec<Vec<ExposureEntry>> = reps
            .par_iter()
            .map_init(Labels::default, |labels, &(e, key)| {
                let mut out = Vec::new();
                self.interface_entries(e, key, &unnamed, labels, &mut out);
                // In the order of an instance's entries, so that most instances' are sorted
                // already.
                out.sort_by(entry_order);
                out
            })
            .collect();
        // An exposure's rank is its first entry's (state, risk, not anywhere): the least of its
        // interfaces' sorted templates' first entries.
        let first: Vec<Option<(u8, u8, bool)>> = templates
            .iter()
            .map(|t| t.first().map(|e| (e.state as u8, e.risk, !e.anywhere)))
            .collect();
        let rank = |enis: &[Ix]| {
            enis.iter()
                .flat_map(|&e| slots[e as usize])
                .filter_map(|id| *first.get(id as usize)?)
                .min()
        };
        // Every instance, then every interface not attached to one, that has entries: (rank,
        // instance, the interface when there is no instance).
        let mut items: Vec<Item> = (0..self.instances.len() as Ix)
            .filter_map(|i| Some((rank(&self.instances[i as usize].enis)?, Some(i), 0)))
            .chain(
                (0..self.enis.len() as Ix)
                    .filter(|&e| self.enis[e as usize].instance.is_none())
                    .filter_map(|e| Some((rank(&[e])?, None, e))),
            )
            .collect();
        // Each interface's place in the order of ids (equal ids, equal places), so that the
        // exposures are ordered by numbers rather than strings.
        let mut by_id: Vec<Ix> = (0..self.enis.len() as Ix).collect();
        let id = |e: Ix| self.enis[e as usize].id.as_str();
        if !by_id.is_sorted_by(|&a, &b| id(a) <= id(b)) {
            by_id.par_sort_by(|&a, &b| id(a).cmp(id(b)));
        }
        let mut place = vec![0u32; self.enis.len()];
        for (k, w) in by_id.iter().enumerate() {
            place[*w as usize] = if k > 0 && id(by_id[k - 1]) == id(*w) {
                place[by_id[k - 1] as usize]
            } else {
                k as u32
            };
        }
        let places = |item: &Item| {
            self.item_enis(item)
                .iter()
                .map(|&e| place[e as usize])
                .collect::<SmallVec<[u32; 2]>>()
        };
        // Most exposed first, then by interface ids; sorted before the exposures are built, so
        // that they are built in place.
        items.par_sort_by(|a, b| a.0.cmp(&b.0).then_with(|| places(a).cmp(&places(b))));
        let made = items
            .par_iter()
            .map(|item| make(item, &templates, &slots))
            .collect();
        // A large account's templates are a hundred thousand lists of entries: freed on every
        // core, not on one while the other waits.
        templates.into_par_iter().for_each(drop);
        made
    }
}

/// Most dangerous first: exposed before latent; all ports, 22, 3389, then the rest.
fn entry_order(a: &ExposureEntry, b: &ExposureEntry) -> std::cmp::Ordering {
    entry_order_on(a, &a.interface, b, &b.interface)
}

/// [`entry_order`] with each entry's interface given apart (a shared template's is empty).
fn entry_order_on(
    a: &ExposureEntry,
    a_interface: &str,
    b: &ExposureEntry,
    b_interface: &str,
) -> std::cmp::Ordering {
    (a.state, a.risk, !a.anywhere, a.svc, a.family, a_interface).cmp(&(
        b.state,
        b.risk,
        !b.anywhere,
        b.svc,
        b.family,
        b_interface,
    ))
}

/// Whether the interface has an address the internet can reach it on in this family.
fn addressed(eni: &CEni, f: Family) -> bool {
    match f {
        Family::V4 => eni.private4.iter().any(|p| p.1.is_some()),
        Family::V6 => !eni.ipv6.is_empty(),
    }
}

/// What one interface's exposure in one family depends on besides its id: interfaces with equal
/// keys have equal entries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    f: Family,
    /// The subnet's VPC, NACL and route table.
    place: Option<(Ix, Option<Ix>, Option<Ix>)>,
    /// A public IPv4 (or Elastic IP) / an IPv6 address.
    addressed: bool,
    /// Ingress routing sends it through an appliance (R5).
    via: bool,
    /// The interface's groups, in order, less those of its VPC with no internet-facing rule.
    groups: SmallVec<[Ix; 4]>,
}

/// An exposure to build: (its rank, the instance, the interface when there is no instance).
type Item = ((u8, u8, bool), Option<Ix>, Ix);

type SourcesBySet = FxMap<ASet, Arc<Sources>>;

/// Texts shared between entries: service and protocol labels, source descriptions.
#[derive(Default)]
struct Labels {
    services: FxMap<(u32, u32), (Arc<str>, Arc<str>)>,
    /// Per family: `0.0.0.0/0` or `::/0`.
    anywhere: [Option<Arc<Sources>>; 2],
    /// Per family, by the interface's VPC (which fixes the `within` set), then by the set.
    sources: [FxMap<Option<Ix>, SourcesBySet>; 2],
    none: Arc<[Arc<str>]>,
}

impl Labels {
    fn service(&mut self, lo: u32, hi: u32) -> (Arc<str>, Arc<str>) {
        self.services
            .entry((lo, hi))
            .or_insert_with(|| {
                (
                    service::describe(lo, hi).into(),
                    protocol_label(lo, hi).into(),
                )
            })
            .clone()
    }

    /// `describe(f, set, within)`, where `within` is what `vpc` sees of the internet.
    fn sources(&mut self, f: Family, vpc: Option<Ix>, set: &ASet, within: &ASet) -> Arc<Sources> {
        if set == within {
            return self.anywhere[f.index()]
                .get_or_insert_with(|| Arc::new(describe(f, set, within)))
                .clone();
        }
        let by_set = self.sources[f.index()].entry(vpc).or_default();
        if let Some(s) = by_set.get(set) {
            return s.clone();
        }
        let s = Arc::new(describe(f, set, within));
        by_set.insert(set.clone(), s.clone());
        s
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Network>();
    let _ = IntervalSet::<u32>::empty();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{TCP, key, whole_protocol};

    #[test]
    fn entries_never_straddle_part_of_a_protocol() {
        assert_eq!(
            split_by_protocol(service::ALL.0, service::ALL.1),
            vec![service::ALL]
        );
        let (a, b) = (key(TCP, 23), key(200, 5));
        assert_eq!(
            split_by_protocol(a, b),
            vec![
                (a, whole_protocol(TCP).1),
                (key(7, 0), whole_protocol(199).1),
                (key(200, 0), b)
            ]
        );
        assert_eq!(
            split_by_protocol(key(0, 0), key(TCP, 21)),
            vec![(0, whole_protocol(5).1), (key(TCP, 0), key(TCP, 21))]
        );
        assert_eq!(
            protocol_label(key(7, 0), whole_protocol(199).1),
            "protocols 7-199"
        );
        assert_eq!(risk_of(key(TCP, 23), key(TCP, 65535)), 2);
    }
}
