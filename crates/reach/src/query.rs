//! Point queries: from the internet, a CIDR, an address, a group's members, an instance or an
//! interface, to an instance or interface on one service. Address ranges are cut where any rule,
//! route or subnet could decide differently, and each piece is evaluated once.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::addr::{ASet, Family, Sources, describe, ip_of, ip_value, net_range};
use crate::eval::{Src, Trace, Verdict};
use crate::network::{INGRESS, Ix, Network, Peer};
use crate::service::Service;
use crate::set::elementary;

/// Where the traffic comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum From {
    /// Any host on the internet (both families).
    Internet,
    Cidr(IpNet),
    Ip(IpAddr),
    /// The interfaces currently in this security group.
    Group(String),
    Instance(String),
    Interface(String),
}

impl std::str::FromStr for From {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("internet") {
            Ok(From::Internet)
        } else if s.starts_with("sg-") {
            Ok(From::Group(s.to_string()))
        } else if s.starts_with("i-") {
            Ok(From::Instance(s.to_string()))
        } else if s.starts_with("eni-") {
            Ok(From::Interface(s.to_string()))
        } else if let Ok(n) = s.parse::<IpNet>() {
            Ok(From::Cidr(n))
        } else if let Ok(a) = s.parse::<IpAddr>() {
            Ok(From::Ip(a))
        } else {
            Err(format!(
                "--from {s:?}: give `internet`, a CIDR, an IP address, an sg-…, i-… or eni-… id"
            ))
        }
    }
}

impl std::fmt::Display for From {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            From::Internet => write!(f, "internet"),
            From::Cidr(n) => write!(f, "{n}"),
            From::Ip(a) => write!(f, "{a}"),
            From::Group(s) | From::Instance(s) | From::Interface(s) => write!(f, "{s}"),
        }
    }
}

/// The client ports a reply may go to when nothing narrower is known (N4: 1024-65535 covers
/// Linux, Windows, NAT gateways and load balancers).
pub const DEFAULT_CLIENT_PORTS: (u16, u16) = (1024, 65535);

#[derive(Clone, Debug)]
pub struct Query {
    /// An instance (`i-…`) or interface (`eni-…`).
    pub to: String,
    pub service: Service,
    pub from: From,
    pub client_ports: (u16, u16),
}

/// One evaluated piece of the question.
#[derive(Clone, Debug, Serialize)]
pub struct PathResult {
    /// The source addresses this path holds for, when the source is a range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Sources>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_address: Option<IpAddr>,
    #[serde(flatten)]
    pub trace: Trace,
}

#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    pub to: String,
    pub from: String,
    pub service: String,
    /// The best verdict over all paths: reachable if any path is.
    pub verdict: Verdict,
    pub paths: Vec<PathResult>,
}

impl Network {
    /// Answers one query: the verdict and every path with its elements.
    pub fn check(&self, q: &Query) -> Result<Answer, String> {
        let dsts: Vec<Ix> = self
            .resolve_target(&q.to)?
            .iter()
            .map(|id| self.eni_ix[id])
            .collect();
        let mut paths = Vec::new();
        let svc = q.service;
        let cp = q.client_ports;
        match &q.from {
            From::Internet => {
                for &d in &dsts {
                    for f in Family::BOTH {
                        let within = self.internet_for(d, f);
                        for (set, trace) in self.partition(d, f, svc, &within, true, true, cp) {
                            paths.push(PathResult {
                                sources: Some(describe(f, &set, &within)),
                                source_address: None,
                                trace,
                            });
                        }
                    }
                }
            }
            From::Cidr(n) => {
                let (f, lo, hi) = net_range(&n.trunc());
                let within = ASet::range(lo, hi);
                for &d in &dsts {
                    for (set, trace) in self.partition(d, f, svc, &within, false, true, cp) {
                        paths.push(PathResult {
                            sources: Some(describe(f, &set, &within)),
                            source_address: None,
                            trace,
                        });
                    }
                }
            }
            From::Ip(a) => {
                let (f, v) = ip_value(a);
                for &d in &dsts {
                    let src = self.classify(f, v, false);
                    paths.push(PathResult {
                        sources: None,
                        source_address: Some(*a),
                        trace: self.trace(d, f, svc, src, cp),
                    });
                }
            }
            From::Group(g) => {
                let gi = *self
                    .group_ix
                    .get(g)
                    .ok_or_else(|| format!("security group {g} is not in the snapshot"))?;
                let members = &self.groups[gi as usize].members;
                if members.is_empty() {
                    return Err(format!(
                        "security group {g} has no member interface: nothing sends from it"
                    ));
                }
                for &m in members {
                    self.eni_paths(m, &dsts, svc, cp, &mut paths);
                }
            }
            From::Instance(i) | From::Interface(i) => {
                for id in self.resolve_target(i)? {
                    self.eni_paths(self.eni_ix[&id], &dsts, svc, cp, &mut paths);
                }
            }
        }
        let verdict = paths
            .iter()
            .map(|p| p.trace.verdict)
            .min()
            .unwrap_or(Verdict::Blocked);
        Ok(Answer {
            to: q.to.clone(),
            from: q.from.to_string(),
            service: svc.to_string(),
            verdict,
            paths,
        })
    }

    fn eni_paths(
        &self,
        src: Ix,
        dsts: &[Ix],
        svc: Service,
        cp: (u16, u16),
        out: &mut Vec<PathResult>,
    ) {
        for &d in dsts {
            if d == src {
                continue;
            }
            let mut any = false;
            for f in Family::BOTH {
                let (Some(a), Some(_)) = (
                    self.enis[src as usize].primary(f),
                    self.enis[d as usize].primary(f),
                ) else {
                    continue;
                };
                any = true;
                out.push(PathResult {
                    sources: None,
                    source_address: Some(ip_of(f, a)),
                    trace: self.trace(d, f, svc, Src::Eni(src, a), cp),
                });
            }
            if !any {
                // No common family: show why on IPv4.
                let a = self.enis[src as usize].primary(Family::V4).unwrap_or(0);
                out.push(PathResult {
                    sources: None,
                    source_address: Some(ip_of(Family::V4, a)),
                    trace: self.trace(d, Family::V4, svc, Src::Eni(src, a), cp),
                });
            }
        }
    }

    /// Every address where a decision about traffic from it to `dst` may change.
    fn cuts(
        &self,
        dst: Ix,
        f: Family,
        within: &ASet,
        internet: bool,
        resolve_enis: bool,
    ) -> Vec<u128> {
        let mut cuts = Vec::new();
        within.push_boundaries(&mut cuts);
        self.internet_space(f).push_boundaries(&mut cuts);
        let eni = &self.enis[dst as usize];
        for &g in &eni.groups {
            for r in &self.groups[g as usize].rules[INGRESS] {
                match &r.peer {
                    Peer::Addrs { family, set, .. } if *family == f => {
                        set.push_boundaries(&mut cuts)
                    }
                    Peer::Group { group: Some(t), .. } => self.groups[*t as usize]
                        .member_addrs
                        .get(f)
                        .push_boundaries(&mut cuts),
                    _ => {}
                }
            }
        }
        if let Some(s) = eni.subnet {
            let sub = &self.subnets[s as usize];
            if let Some(n) = sub.nacl {
                for dir in &self.nacls[n as usize].entries {
                    for e in &dir[f.index()] {
                        cuts.push(e.lo);
                        cuts.extend(e.hi.checked_add(1));
                    }
                }
            }
            if let Some(rt) = sub.rt {
                for r in &self.route_tables[rt as usize].routes[f.index()] {
                    cuts.push(r.lo);
                    cuts.extend(r.hi.checked_add(1));
                }
            }
        }
        if !internet {
            for v in &self.vpcs {
                v.cidrs.get(f).push_boundaries(&mut cuts);
            }
            for s in &self.subnets {
                if within.intersect(s.cidrs.get(f)).is_empty() {
                    continue;
                }
                s.cidrs.get(f).push_boundaries(&mut cuts);
            }
            if resolve_enis {
                for ip in self.eni_by_private.keys() {
                    let (fam, v) = ip_value(ip);
                    if fam == f && within.contains(v) {
                        cuts.push(v);
                        cuts.extend(v.checked_add(1));
                    }
                }
            }
        }
        cuts
    }

    /// Evaluates every piece of `within` and groups the addresses by identical path.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn partition(
        &self,
        dst: Ix,
        f: Family,
        svc: Service,
        within: &ASet,
        internet: bool,
        resolve_enis: bool,
        cp: (u16, u16),
    ) -> Vec<(ASet, Trace)> {
        let mut groups: Vec<(Trace, Vec<(u128, u128)>)> = Vec::new();
        let mut index: HashMap<Trace, usize> = HashMap::new();
        let (ulo, uhi) = f.universe();
        let cuts = self.cuts(dst, f, within, internet, resolve_enis);
        for (lo, hi) in elementary(cuts, (ulo, uhi)) {
            if !within.contains(lo) {
                continue;
            }
            let src = if resolve_enis {
                self.classify(f, lo, internet)
            } else {
                self.classify_without_enis(f, lo, internet)
            };
            let trace = self.trace(dst, f, svc, src, cp);
            match index.get(&trace) {
                Some(&i) => groups[i].1.push((lo, hi)),
                None => {
                    index.insert(trace.clone(), groups.len());
                    groups.push((trace, vec![(lo, hi)]));
                }
            }
        }
        groups
            .into_iter()
            .map(|(t, r)| (ASet::from_ranges(r), t))
            .collect()
    }

    pub(crate) fn classify_without_enis(&self, f: Family, addr: u128, internet: bool) -> Src {
        if internet {
            return Src::Internet(addr);
        }
        if let Some(s) = self.subnet_of_addr(f, addr) {
            return Src::Host(s, addr);
        }
        if self.internet_space(f).contains(addr) && self.vpc_of_addr(f, addr).is_none() {
            return Src::Internet(addr);
        }
        Src::External(addr)
    }
}
