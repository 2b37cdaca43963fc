//! The path evaluator: one flow from one source address to one interface, every element on the way
//! named with the rule that lets it pass or stops it.

use serde::Serialize;

use crate::addr::{Family, ip_of};
use crate::network::{
    CEni, CNacl, CRule, CSubnet, EGRESS, INGRESS, Ix, Network, Peer, RefState, TargetKind,
    implicit_deny_number,
};
use crate::service::{self, Response, Service};

/// The answer for one flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every element lets the flow and its replies through.
    Reachable,
    /// The packets arrive but the replies cannot get back (stateless NACL, a route to a NAT or
    /// egress-only gateway): no TCP connection forms, one-way UDP still lands.
    ReachableReturnBlocked,
    /// An element stops the packets on their way in.
    Blocked,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reachable => "reachable",
            Verdict::ReachableReturnBlocked => "reachable-but-return-blocked",
            Verdict::Blocked => "blocked",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Allow,
    Block,
    /// Informational: how the traffic is carried, not a decision.
    Note,
    /// Outside the snapshot (a transit gateway, an unknown source's own groups): taken as passing.
    Assumed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Leg {
    Forward,
    Return,
}

/// One element on the path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Step {
    pub leg: Leg,
    /// `security-group`, `network-acl`, `route-table`, `internet-gateway`, `public-ip`, …
    pub element: &'static str,
    pub id: String,
    pub effect: Effect,
    pub detail: String,
    /// The semantics statement this decision applies (`SG2`, `N4`, `R4`, …).
    pub statement: &'static str,
}

/// Connection tracking of the flow at the destination (SG10, SG11, SG13).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Tracking {
    pub tracked: bool,
    pub why: String,
    /// Whether removing the allowing rule cuts a connection already open (SG12): only untracked
    /// flows are cut at once; tracked ones live until their idle timeout. NACL changes cut both.
    pub rule_removal_cuts_open_connections: bool,
}

/// One evaluated flow.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Trace {
    pub verdict: Verdict,
    pub family: Family,
    pub source: String,
    pub destination: String,
    pub service: String,
    pub steps: Vec<Step>,
    /// For tcp/udp: the client source ports whose replies get through (N4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_ports: Option<Vec<(u16, u16)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking: Option<Tracking>,
    /// The traffic passes a middlebox (ingress routing or a more specific route); the middlebox's
    /// own forwarding is not evaluated.
    pub via_appliance: bool,
}

/// Where a packet comes from, as the evaluator sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Src {
    /// A host on the internet with this public address.
    Internet(u128),
    /// A known interface, sending from this private address.
    Eni(Ix, u128),
    /// An address inside a known subnet that no known interface holds.
    Host(Ix, u128),
    /// A private address outside every known VPC (on premises, another account).
    External(u128),
}

struct Tracer {
    steps: Vec<Step>,
    forward_blocked: bool,
    return_blocked: bool,
    via_appliance: bool,
    auto_tracked: Option<String>,
}

impl Tracer {
    fn push(
        &mut self,
        leg: Leg,
        element: &'static str,
        id: &str,
        effect: Effect,
        detail: String,
        statement: &'static str,
    ) {
        if effect == Effect::Block {
            match leg {
                Leg::Forward => self.forward_blocked = true,
                Leg::Return => self.return_blocked = true,
            }
        }
        self.steps.push(Step {
            leg,
            element,
            id: id.to_string(),
            effect,
            detail,
            statement,
        });
    }
}

fn dir_word(dir: usize) -> &'static str {
    if dir == INGRESS {
        "inbound"
    } else {
        "outbound"
    }
}

impl Network {
    /// `sg-… (name) inbound #2: tcp 22 from 0.0.0.0/0`.
    pub(crate) fn rule_text(&self, g: Ix, dir: usize, r: &CRule) -> String {
        let grp = &self.groups[g as usize];
        let peer = match &r.peer {
            Peer::Addrs { label, .. } => label.clone(),
            Peer::Group { id, state, .. } => match state {
                RefState::Live => format!("members of {id}"),
                RefState::Stale(why) => format!("{id} (stale: {why})"),
                RefState::Unknown(why) => format!("{id} ({why})"),
            },
        };
        let name = if grp.name.is_empty() {
            String::new()
        } else {
            format!(" ({})", grp.name)
        };
        let label = match &r.label {
            Some(l) => format!(" [{l}]"),
            None => String::new(),
        };
        format!(
            "{}{name} {} #{}: {} {} {peer}{label}",
            grp.id,
            dir_word(dir),
            r.perm + 1,
            service::describe(r.svc.0, r.svc.1),
            if dir == INGRESS { "from" } else { "to" }
        )
    }

    /// The rules of the interface's groups that let this packet through (SG2: any rule of any
    /// group). `peer` is the interface at the other end when there is one and the packet comes
    /// straight from its private address (SG7, SG8).
    pub(crate) fn matching_rules(
        &self,
        eni: &CEni,
        dir: usize,
        f: Family,
        addr: u128,
        svc: u32,
        peer: Option<Ix>,
    ) -> Vec<(Ix, &CRule)> {
        let mut out = Vec::new();
        for &g in &eni.groups {
            for r in &self.groups[g as usize].rules[dir] {
                if svc < r.svc.0 || svc > r.svc.1 {
                    continue;
                }
                let hit = match &r.peer {
                    Peer::Addrs { family, set, .. } => *family == f && set.contains(addr),
                    Peer::Group {
                        group: Some(t),
                        state: RefState::Live,
                        ..
                    } => peer.is_some_and(|p| {
                        let pe = &self.enis[p as usize];
                        pe.groups.contains(t) && pe.private_addrs.get(f).contains(addr)
                    }),
                    Peer::Group { .. } => false,
                };
                if hit {
                    out.push((g, r));
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn sg_step(
        &self,
        t: &mut Tracer,
        leg: Leg,
        eni: &CEni,
        dir: usize,
        f: Family,
        addr: u128,
        svc: Service,
        peer: Option<Ix>,
    ) -> Vec<(Ix, &CRule)> {
        let hits = self.matching_rules(eni, dir, f, addr, svc.key(), peer);
        let groups: Vec<&str> = eni
            .groups
            .iter()
            .map(|&g| self.groups[g as usize].id.as_str())
            .collect();
        let ids = groups.join(",");
        if hits.is_empty() {
            let why = if eni.groups.is_empty() {
                format!("{} has no security group", eni.id)
            } else {
                format!(
                    "no {} rule of {} allows {svc} {} this address",
                    dir_word(dir),
                    groups.join(", "),
                    if dir == INGRESS { "from" } else { "to" }
                )
            };
            let stale: Vec<String> = eni
                .groups
                .iter()
                .flat_map(|&g| {
                    self.groups[g as usize].rules[dir]
                        .iter()
                        .map(move |r| (g, r))
                })
                .filter(|(_, r)| {
                    r.svc.0 <= svc.key()
                        && svc.key() <= r.svc.1
                        && matches!(&r.peer, Peer::Group { state, .. } if *state != RefState::Live)
                })
                .map(|(g, r)| self.rule_text(g, dir, r))
                .collect();
            let detail = if stale.is_empty() {
                why
            } else {
                format!("{why}; references that match nothing: {}", stale.join("; "))
            };
            t.push(leg, "security-group", &ids, Effect::Block, detail, "SG2");
        } else {
            let texts: Vec<String> = hits
                .iter()
                .map(|(g, r)| self.rule_text(*g, dir, r))
                .collect();
            let id = self.groups[hits[0].0 as usize].id.clone();
            let statement = if hits
                .iter()
                .any(|(_, r)| matches!(r.peer, Peer::Group { .. }))
            {
                "SG7"
            } else {
                "SG2"
            };
            t.push(
                leg,
                "security-group",
                &id,
                Effect::Allow,
                texts.join("; "),
                statement,
            );
        }
        hits
    }

    fn nacl_of(&self, sub: &CSubnet) -> Option<&CNacl> {
        sub.nacl.map(|n| &self.nacls[n as usize])
    }

    fn nacl_forward(
        &self,
        t: &mut Tracer,
        sub: &CSubnet,
        dir: usize,
        f: Family,
        addr: u128,
        svc: Service,
    ) {
        let Some(acl) = self.nacl_of(sub) else {
            t.push(
                Leg::Forward,
                "network-acl",
                &sub.id,
                Effect::Block,
                format!("no network ACL known for {} (snapshot incomplete)", sub.id),
                "N1",
            );
            return;
        };
        let word = if dir == INGRESS { "from" } else { "to" };
        match acl.decide(dir, f, addr, svc.key()) {
            Some(e) => t.push(
                Leg::Forward,
                "network-acl",
                &acl.id,
                if e.allow {
                    Effect::Allow
                } else {
                    Effect::Block
                },
                format!(
                    "{} rule {} {} {} {word} {} (first match, N2)",
                    dir_word(dir),
                    e.number,
                    if e.allow { "allows" } else { "denies" },
                    service::describe(e.svc.0, e.svc.1),
                    e.cidr
                ),
                "N2",
            ),
            None => t.push(
                Leg::Forward,
                "network-acl",
                &acl.id,
                Effect::Block,
                format!(
                    "no {} rule matches {svc}: the implicit * rule ({}) denies",
                    dir_word(dir),
                    implicit_deny_number(f)
                ),
                "N2",
            ),
        }
    }

    /// The reply's NACL checks (N4): each `(subnet, direction, address the rule matches)`; the
    /// client ports that pass all of them.
    fn nacl_return(
        &self,
        t: &mut Tracer,
        checks: &[(&CSubnet, usize, u128)],
        f: Family,
        svc: Service,
        client_ports: (u16, u16),
    ) -> Option<Vec<(u16, u16)>> {
        let response = service::response_of(svc);
        let (lo, hi) = match response {
            Response::Ports(p) => (
                service::key(p, client_ports.0),
                service::key(p, client_ports.1),
            ),
            Response::Point(k) => (k, k),
            Response::Protocol(p) => (service::key(p, 0), service::key(p, 0)),
            Response::None => {
                t.push(
                    Leg::Return,
                    "network-acl",
                    "",
                    Effect::Note,
                    format!("{svc} gets no reply: nothing to return"),
                    "N4",
                );
                return None;
            }
        };
        let mut passing = crate::set::IntervalSet::<u32>::range(lo, hi);
        for &(sub, dir, addr) in checks {
            let Some(acl) = self.nacl_of(sub) else {
                t.push(
                    Leg::Return,
                    "network-acl",
                    &sub.id,
                    Effect::Block,
                    format!("no network ACL known for {} (snapshot incomplete)", sub.id),
                    "N1",
                );
                passing = crate::set::IntervalSet::empty();
                continue;
            };
            let pieces = acl.decide_range(dir, f, addr, lo, hi);
            let allowed = crate::set::IntervalSet::from_ranges(
                pieces
                    .iter()
                    .filter(|(_, e)| e.is_some_and(|e| e.allow))
                    .map(|(r, _)| *r),
            );
            let what = match response {
                Response::Ports(_) => "the reply to client ports",
                _ => "the reply",
            };
            let parts: Vec<String> = pieces
                .iter()
                .map(|(r, e)| {
                    let range = match response {
                        Response::Ports(_) => {
                            let (a, b) = (service::value_of(r.0), service::value_of(r.1));
                            if a == b {
                                format!("{a}")
                            } else {
                                format!("{a}-{b}")
                            }
                        }
                        _ => service::describe(r.0, r.1),
                    };
                    match e {
                        Some(e) => format!(
                            "rule {} {} {range}",
                            e.number,
                            if e.allow { "allows" } else { "denies" }
                        ),
                        None => format!(
                            "the implicit * rule ({}) denies {range}",
                            implicit_deny_number(f)
                        ),
                    }
                })
                .collect();
            let effect = if allowed.is_empty() {
                Effect::Block
            } else {
                Effect::Allow
            };
            let detail = format!("{} {what}: {}", dir_word(dir), parts.join("; "));
            t.push(Leg::Return, "network-acl", &acl.id, effect, detail, "N4");
            passing = passing.intersect(&allowed);
        }
        if checks.len() > 1 && passing.is_empty() && !t.return_blocked {
            t.push(
                Leg::Return,
                "network-acl",
                "",
                Effect::Block,
                "the two subnets' network ACLs have no client port in common for the reply".into(),
                "N4",
            );
        }
        if passing.is_empty() {
            t.return_blocked = true;
        }
        match response {
            Response::Ports(_) => Some(
                passing
                    .ranges()
                    .iter()
                    .map(|&(a, b)| (service::value_of(a), service::value_of(b)))
                    .collect(),
            ),
            _ => None,
        }
    }

    fn route_text(&self, rt: &crate::network::CRouteTable, r: &crate::network::CRoute) -> String {
        format!(
            "{} ({}) route {} -> {}{}",
            rt.id,
            if rt.main { "main" } else { "explicit" },
            r.dest,
            r.target,
            if r.active { "" } else { " (blackhole)" }
        )
    }

    /// The reply route from the destination's subnet back to an internet client (R3, R4).
    fn internet_return_route(&self, t: &mut Tracer, sub: &CSubnet, f: Family, client: u128) {
        let vpc = &self.vpcs[sub.vpc as usize];
        let Some(rt) = sub.rt.map(|r| &self.route_tables[r as usize]) else {
            t.push(
                Leg::Return,
                "route-table",
                &sub.id,
                Effect::Block,
                format!("{} has no route table in the snapshot", sub.id),
                "R1",
            );
            return;
        };
        let Some(r) = rt.lookup(f, client) else {
            t.push(
                Leg::Return,
                "route-table",
                &rt.id,
                Effect::Block,
                format!(
                    "{} ({}) has no route back to the client",
                    rt.id,
                    if rt.main { "main" } else { "explicit" }
                ),
                "R3",
            );
            return;
        };
        let text = self.route_text(rt, r);
        let (effect, statement, why) = match r.kind {
            _ if !r.active => (Effect::Block, "R2", "the route is a blackhole".to_string()),
            TargetKind::InternetGateway if vpc.igws.contains(&r.target) => {
                (Effect::Allow, "R3", "replies leave through the internet gateway".to_string())
            }
            TargetKind::InternetGateway => (
                Effect::Block,
                "R3",
                format!("{} is not attached to {}", r.target, vpc.id),
            ),
            TargetKind::NatGateway => (
                Effect::Block,
                "R4",
                "replies go to a NAT gateway, which gives no inbound: a private subnet even with a public IP".into(),
            ),
            TargetKind::EgressOnlyGateway => (
                Effect::Block,
                "R4",
                "eigw- is an egress-only internet gateway, not an internet gateway: no inbound".into(),
            ),
            _ => (
                Effect::Block,
                "R3",
                "replies to the client do not go to the internet gateway".into(),
            ),
        };
        t.push(
            Leg::Return,
            "route-table",
            &rt.id,
            effect,
            format!("{text}: {why}"),
            statement,
        );
    }

    /// Routing between two subnets, both ways: same subnet, same VPC (local or a middlebox), or
    /// across a peering (R6) or a transit gateway.
    fn route_between(
        &self,
        t: &mut Tracer,
        from: &CSubnet,
        to: &CSubnet,
        f: Family,
        from_addr: u128,
        to_addr: u128,
    ) {
        if std::ptr::eq(from, to) {
            t.push(
                Leg::Forward,
                "subnet",
                &from.id,
                Effect::Note,
                "same subnet: delivered locally; network ACLs are not evaluated (N3)".into(),
                "N3",
            );
            return;
        }
        for (leg, a, b, dst) in [
            (Leg::Forward, from, to, to_addr),
            (Leg::Return, to, from, from_addr),
        ] {
            let Some(rt) = a.rt.map(|r| &self.route_tables[r as usize]) else {
                t.push(
                    leg,
                    "route-table",
                    &a.id,
                    Effect::Block,
                    format!("{} has no route table in the snapshot", a.id),
                    "R1",
                );
                continue;
            };
            let Some(r) = rt.lookup(f, dst) else {
                t.push(
                    leg,
                    "route-table",
                    &rt.id,
                    Effect::Block,
                    format!("{} has no route to {}", rt.id, ip_of(f, dst)),
                    "R2",
                );
                continue;
            };
            let text = self.route_text(rt, r);
            let same_vpc = a.vpc == b.vpc;
            if !r.active {
                t.push(
                    leg,
                    "route-table",
                    &rt.id,
                    Effect::Block,
                    format!("{text}: blackhole"),
                    "R2",
                );
                continue;
            }
            match r.kind {
                TargetKind::Local if same_vpc => {
                    t.push(leg, "route-table", &rt.id, Effect::Allow, text, "R2")
                }
                TargetKind::Appliance if same_vpc => {
                    t.via_appliance = true;
                    t.auto_tracked
                        .get_or_insert_with(|| format!("through {}", r.target));
                    t.push(
                        leg,
                        "route-table",
                        &rt.id,
                        Effect::Assumed,
                        format!(
                            "{text}: through a middlebox (its forwarding is not evaluated); security group references no longer match (SG8)"
                        ),
                        "SG8",
                    );
                }
                TargetKind::Peering if !same_vpc => {
                    let Some(&pi) = self.peering_ix.get(&r.target) else {
                        t.push(
                            leg,
                            "peering",
                            &r.target,
                            Effect::Block,
                            format!("{text}: the peering is not in the snapshot"),
                            "R6",
                        );
                        continue;
                    };
                    let p = &self.peerings[pi as usize];
                    let a_id = &self.vpcs[a.vpc as usize].id;
                    let b_id = &self.vpcs[b.vpc as usize].id;
                    if !p.active() {
                        t.push(
                            leg,
                            "peering",
                            &p.id,
                            Effect::Block,
                            format!("{text}: {} is {}", p.id, p.status),
                            "R6",
                        );
                    } else if p.other_side(a_id) != Some(b_id.as_str()) {
                        t.push(
                            leg,
                            "peering",
                            &p.id,
                            Effect::Block,
                            format!(
                                "{text}: {} connects {} and {}, not {b_id}; peering is not transitive",
                                p.id, p.vpc_ids[0], p.vpc_ids[1]
                            ),
                            "R6",
                        );
                    } else {
                        t.push(
                            leg,
                            "route-table",
                            &rt.id,
                            Effect::Allow,
                            format!("{text} (active peering {a_id} <-> {b_id})"),
                            "R6",
                        );
                    }
                }
                TargetKind::TransitGateway if !same_vpc => {
                    t.auto_tracked
                        .get_or_insert_with(|| format!("through transit gateway {}", r.target));
                    t.push(
                        leg,
                        "route-table",
                        &rt.id,
                        Effect::Assumed,
                        format!(
                            "{text}: the transit gateway's own route tables are not in the snapshot"
                        ),
                        "R7",
                    );
                }
                _ => t.push(
                    leg,
                    "route-table",
                    &rt.id,
                    Effect::Block,
                    format!(
                        "{text}: does not lead to {}{}",
                        self.vpcs[b.vpc as usize].id,
                        if same_vpc {
                            ""
                        } else {
                            " (no edge-to-edge routing through a peer's gateways, R6)"
                        }
                    ),
                    if same_vpc { "R2" } else { "R6" },
                ),
            }
        }
    }

    /// SG10, SG11, SG13: is the inbound flow at `eni` tracked?
    fn tracking(
        &self,
        eni: &CEni,
        f: Family,
        svc: Service,
        hits: &[(Ix, &CRule)],
        auto: Option<&str>,
    ) -> Tracking {
        let tracked = |why: String| Tracking {
            tracked: true,
            why,
            rule_removal_cuts_open_connections: false,
        };
        if let Some(a) = auto {
            return tracked(format!("automatically tracked: {a} (SG13)"));
        }
        if !svc.has_ports() {
            return tracked(if svc.is_icmp() {
                "ICMP is always tracked (SG11)".into()
            } else {
                "tracked by address and protocol (SG10)".into()
            });
        }
        let any_in = hits
            .iter()
            .any(|(_, r)| matches!(r.peer, Peer::Addrs { any: true, family, .. } if family == f));
        if !any_in {
            return tracked("allowed by a rule narrower than 0.0.0.0/0 or ::/0 (SG11)".into());
        }
        let whole = service::whole_protocol(svc.protocol);
        let all_out = eni.groups.iter().any(|&g| {
            self.groups[g as usize].rules[EGRESS].iter().any(|r| {
                r.svc.0 <= whole.0
                    && whole.1 <= r.svc.1
                    && matches!(r.peer, Peer::Addrs { any: true, family, .. } if family == f)
            })
        });
        if all_out {
            Tracking {
                tracked: false,
                why: format!(
                    "untracked: allowed from {} and an outbound rule allows all replies to {} on every port (SG11)",
                    f.any_cidr(),
                    f.any_cidr()
                ),
                rule_removal_cuts_open_connections: true,
            }
        } else {
            tracked(format!(
                "allowed from {} but no outbound rule allows every reply: tracked (SG11)",
                f.any_cidr()
            ))
        }
    }

    /// Evaluates one flow to `dst` (an interface index) from `src`.
    pub(crate) fn trace(
        &self,
        dst: Ix,
        f: Family,
        svc: Service,
        src: Src,
        client_ports: (u16, u16),
    ) -> Trace {
        let eni = &self.enis[dst as usize];
        let mut t = Tracer {
            steps: Vec::new(),
            forward_blocked: false,
            return_blocked: false,
            via_appliance: false,
            auto_tracked: None,
        };
        let source = match src {
            Src::Internet(_) => "internet".to_string(),
            Src::Eni(e, _) => {
                let e = &self.enis[e as usize];
                match e.instance {
                    Some(i) => format!("{} ({})", e.id, self.instances[i as usize].id),
                    None => e.id.clone(),
                }
            }
            Src::Host(s, _) => format!("a host in {}", self.subnets[s as usize].id),
            Src::External(_) => "outside the VPCs".to_string(),
        };
        let mut dst_addr = eni.primary(f);
        let mut return_ports = None;
        let mut hits = Vec::new();
        let sub = eni.subnet.map(|s| &self.subnets[s as usize]);
        match (sub, src) {
            (None, _) => t.push(
                Leg::Forward,
                "interface",
                &eni.id,
                Effect::Block,
                "the interface's subnet is not in the snapshot".into(),
                "N1",
            ),
            (Some(sub), Src::Internet(client)) => {
                let vpc = &self.vpcs[sub.vpc as usize];
                let igw = vpc.igws.first();
                match igw {
                    Some(g) => t.push(
                        Leg::Forward,
                        "internet-gateway",
                        g,
                        Effect::Allow,
                        format!("{g} is attached to {}", vpc.id),
                        "R3",
                    ),
                    None if !vpc.eigws.is_empty() => t.push(
                        Leg::Forward,
                        "internet-gateway",
                        &vpc.id,
                        Effect::Block,
                        format!(
                            "no internet gateway on {}: {} is egress-only and gives no inbound",
                            vpc.id,
                            vpc.eigws.join(", ")
                        ),
                        "R4",
                    ),
                    None => t.push(
                        Leg::Forward,
                        "internet-gateway",
                        &vpc.id,
                        Effect::Block,
                        format!("no internet gateway is attached to {}", vpc.id),
                        "R3",
                    ),
                }
                match f {
                    Family::V4 => match eni.private4.iter().find(|p| p.1.is_some()) {
                        Some((private, Some((public, elastic)))) => {
                            dst_addr = Some(*private);
                            t.push(
                                Leg::Forward,
                                "public-ip",
                                &public.to_string(),
                                Effect::Allow,
                                format!(
                                    "{} {public} maps to private {} (1:1 NAT at the gateway)",
                                    if *elastic {
                                        "Elastic IP"
                                    } else {
                                        "public IPv4"
                                    },
                                    ip_of(f, *private)
                                ),
                                "R3",
                            );
                        }
                        _ => t.push(
                            Leg::Forward,
                            "public-ip",
                            &eni.id,
                            Effect::Block,
                            format!("{} has no public IPv4 or Elastic IP", eni.id),
                            "R3",
                        ),
                    },
                    Family::V6 => match eni.ipv6.first() {
                        Some(a) => t.push(
                            Leg::Forward,
                            "ipv6-address",
                            &ip_of(f, *a).to_string(),
                            Effect::Allow,
                            format!("{} has IPv6 address {}", eni.id, ip_of(f, *a)),
                            "R3",
                        ),
                        None => t.push(
                            Leg::Forward,
                            "ipv6-address",
                            &eni.id,
                            Effect::Block,
                            format!("{} has no IPv6 address", eni.id),
                            "R3",
                        ),
                    },
                }
                if let (Some(g), Some(d)) = (igw, dst_addr) {
                    self.ingress_routing(&mut t, g, f, d);
                }
                self.nacl_forward(&mut t, sub, INGRESS, f, client, svc);
                hits = self.sg_step(&mut t, Leg::Forward, eni, INGRESS, f, client, svc, None);
                return_ports =
                    self.nacl_return(&mut t, &[(sub, EGRESS, client)], f, svc, client_ports);
                self.internet_return_route(&mut t, sub, f, client);
            }
            (Some(sub), Src::Eni(s, from)) | (Some(sub), Src::Host(s, from)) => {
                let (src_sub, src_eni) = match src {
                    Src::Eni(e, _) => (self.enis[e as usize].subnet, Some(e)),
                    _ => (Some(s), None),
                };
                let Some(src_sub) = src_sub.map(|s| &self.subnets[s as usize]) else {
                    t.push(
                        Leg::Forward,
                        "interface",
                        &source,
                        Effect::Block,
                        "the source's subnet is not in the snapshot".into(),
                        "N1",
                    );
                    return self.finish(t, f, svc, source, eni, dst_addr, return_ports, hits);
                };
                let Some(to) = dst_addr else {
                    t.push(
                        Leg::Forward,
                        "interface",
                        &eni.id,
                        Effect::Block,
                        format!("{} has no {} address", eni.id, f.as_str()),
                        "SG6",
                    );
                    return self.finish(t, f, svc, source, eni, dst_addr, return_ports, hits);
                };
                // The source's own groups, outbound.
                match src_eni {
                    Some(e) => {
                        let se = &self.enis[e as usize];
                        self.sg_step(&mut t, Leg::Forward, se, EGRESS, f, to, svc, Some(dst));
                    }
                    None => t.push(
                        Leg::Forward,
                        "security-group",
                        "",
                        Effect::Assumed,
                        "the source is not a known interface: its own security groups are assumed to allow".into(),
                        "SG2",
                    ),
                }
                self.route_between(&mut t, src_sub, sub, f, from, to);
                let same_subnet = std::ptr::eq(src_sub, sub);
                if !same_subnet {
                    self.nacl_forward(&mut t, src_sub, EGRESS, f, to, svc);
                    self.nacl_forward(&mut t, sub, INGRESS, f, from, svc);
                }
                // References match only the peer's own private address, and not through a middlebox.
                let peer = if t.via_appliance { None } else { src_eni };
                hits = self.sg_step(&mut t, Leg::Forward, eni, INGRESS, f, from, svc, peer);
                if !same_subnet {
                    return_ports = self.nacl_return(
                        &mut t,
                        &[(sub, EGRESS, from), (src_sub, INGRESS, to)],
                        f,
                        svc,
                        client_ports,
                    );
                }
            }
            (Some(sub), Src::External(from)) => {
                let rt = sub.rt.map(|r| &self.route_tables[r as usize]);
                match rt.and_then(|rt| rt.lookup(f, from).map(|r| (rt, r))) {
                    Some((rt, r))
                        if r.active
                            && matches!(
                                r.kind,
                                TargetKind::TransitGateway
                                    | TargetKind::VirtualPrivateGateway
                                    | TargetKind::Peering
                                    | TargetKind::Other
                            ) =>
                    {
                        if r.kind == TargetKind::TransitGateway {
                            t.auto_tracked = Some(format!("through transit gateway {}", r.target));
                        }
                        t.push(
                            Leg::Return,
                            "route-table",
                            &rt.id,
                            Effect::Assumed,
                            format!(
                                "{}: the network beyond {} is not in the snapshot",
                                self.route_text(rt, r),
                                r.target
                            ),
                            "R2",
                        );
                    }
                    Some((rt, r)) => t.push(
                        Leg::Return,
                        "route-table",
                        &rt.id,
                        Effect::Block,
                        format!(
                            "{}: a private address outside the VPCs is not reachable that way",
                            self.route_text(rt, r)
                        ),
                        "R2",
                    ),
                    None => t.push(
                        Leg::Return,
                        "route-table",
                        &sub.id,
                        Effect::Block,
                        "no route back to this address".into(),
                        "R2",
                    ),
                }
                if dst_addr.is_none() {
                    t.push(
                        Leg::Forward,
                        "interface",
                        &eni.id,
                        Effect::Block,
                        format!("{} has no {} address", eni.id, f.as_str()),
                        "SG6",
                    );
                }
                self.nacl_forward(&mut t, sub, INGRESS, f, from, svc);
                hits = self.sg_step(&mut t, Leg::Forward, eni, INGRESS, f, from, svc, None);
                return_ports =
                    self.nacl_return(&mut t, &[(sub, EGRESS, from)], f, svc, client_ports);
            }
        }
        self.finish(t, f, svc, source, eni, dst_addr, return_ports, hits)
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        mut t: Tracer,
        f: Family,
        svc: Service,
        source: String,
        eni: &CEni,
        dst_addr: Option<u128>,
        return_ports: Option<Vec<(u16, u16)>>,
        hits: Vec<(Ix, &CRule)>,
    ) -> Trace {
        let verdict = if t.forward_blocked {
            Verdict::Blocked
        } else if t.return_blocked {
            Verdict::ReachableReturnBlocked
        } else {
            Verdict::Reachable
        };
        let tracking = (!hits.is_empty() && verdict != Verdict::Blocked)
            .then(|| self.tracking(eni, f, svc, &hits, t.auto_tracked.as_deref()));
        if let Some(tr) = &tracking {
            t.push(
                Leg::Forward,
                "tracking",
                &eni.id,
                Effect::Note,
                tr.why.clone(),
                if tr.tracked { "SG10" } else { "SG11" },
            );
        }
        // In packet order: the way in, the way back, then the tracking note.
        t.steps
            .sort_by_key(|s| (s.element == "tracking", s.leg == Leg::Return));
        let destination = match (eni.instance, dst_addr) {
            (Some(i), Some(a)) => format!(
                "{} ({}) {}",
                eni.id,
                self.instances[i as usize].id,
                ip_of(f, a)
            ),
            (Some(i), None) => format!("{} ({})", eni.id, self.instances[i as usize].id),
            (None, Some(a)) => format!("{} {}", eni.id, ip_of(f, a)),
            (None, None) => eni.id.clone(),
        };
        Trace {
            verdict,
            family: f,
            source,
            destination,
            service: svc.to_string(),
            steps: t.steps,
            return_ports,
            tracking,
            via_appliance: t.via_appliance,
        }
    }

    /// Ingress routing (R5): a route table associated with the internet gateway may send the
    /// traffic to an appliance before it reaches the subnet.
    fn ingress_routing(&self, t: &mut Tracer, igw: &str, f: Family, dst: u128) {
        for &rt in self.edge_rts.get(igw).into_iter().flatten() {
            let rt = &self.route_tables[rt as usize];
            if let Some(r) = rt.lookup(f, dst)
                && r.kind != TargetKind::Local
            {
                t.via_appliance = true;
                t.push(
                    Leg::Forward,
                    "route-table",
                    &rt.id,
                    Effect::Assumed,
                    format!(
                        "ingress routing on {igw}: {} sends it to {} first (the appliance's forwarding is not evaluated)",
                        r.dest, r.target
                    ),
                    "R5",
                );
            }
        }
    }

    /// Which kind of source an address is, seen from the network.
    pub(crate) fn classify(&self, f: Family, addr: u128, internet: bool) -> Src {
        if internet {
            return Src::Internet(addr);
        }
        if let Some(e) = self.eni_of_ip(&ip_of(f, addr)) {
            return Src::Eni(e, addr);
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
