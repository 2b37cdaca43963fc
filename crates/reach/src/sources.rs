//! The inverse question: who can reach this instance on this port? Address ranges (internet,
//! subnets, outside the VPCs), the groups whose members a rule admits, and every known interface
//! that gets through with its own groups counted.

use std::collections::BTreeMap;
use std::net::IpAddr;

use rayon::prelude::*;
use serde::Serialize;

use crate::addr::{ASet, Family, Sources, describe, ip_of};
use crate::eval::{Src, Verdict};
use crate::network::{INGRESS, Ix, Network, Peer, RefState};
use crate::service::Service;

/// Addresses of one kind of place that reach the port.
#[derive(Clone, Debug, Serialize)]
pub struct AddressSource {
    pub family: Family,
    /// `internet`, `a host in subnet-…`, `outside the VPCs`.
    pub location: String,
    pub verdict: Verdict,
    pub sources: Sources,
    /// The allowing rules (security group and NACL) on the way.
    pub allowed_by: Vec<String>,
}

/// A group that an allowing rule names: its members' private addresses are admitted (SG7).
#[derive(Clone, Debug, Serialize)]
pub struct GroupSource {
    pub group: String,
    pub rule: String,
    #[serde(flatten)]
    pub state: RefState,
    pub members: usize,
}

/// A known interface that reaches the port, its own outbound rules counted.
#[derive(Clone, Debug, Serialize)]
pub struct InterfaceSource {
    pub interface: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    pub address: IpAddr,
    pub verdict: Verdict,
    pub allowed_by: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourcesAnswer {
    pub to: String,
    pub service: String,
    pub addresses: Vec<AddressSource>,
    pub groups: Vec<GroupSource>,
    pub interfaces: Vec<InterfaceSource>,
}

impl Network {
    /// Which sources reach `to` (instance or interface) on `svc`: verdicts other than blocked.
    pub fn sources(
        &self,
        to: &str,
        svc: Service,
        client_ports: (u16, u16),
    ) -> Result<SourcesAnswer, String> {
        let dsts: Vec<Ix> = self
            .resolve_target(to)?
            .iter()
            .map(|id| self.eni_ix[id])
            .collect();
        let mut addresses = Vec::new();
        let mut groups = Vec::new();
        for &d in &dsts {
            for f in Family::BOTH {
                // Grouped by place and verdict; the rules are the allowing steps.
                let mut by_place: BTreeMap<(String, Verdict, Vec<String>), ASet> = BTreeMap::new();
                for (set, trace) in self.partition(d, f, svc, &f.all(), false, false, client_ports)
                {
                    if trace.verdict == Verdict::Blocked {
                        continue;
                    }
                    let allowed_by: Vec<String> = trace
                        .steps
                        .iter()
                        .filter(|s| {
                            s.effect == crate::eval::Effect::Allow
                                && matches!(s.element, "security-group" | "network-acl")
                        })
                        .filter(|s| s.leg == crate::eval::Leg::Forward)
                        .map(|s| format!("{}: {}", s.id, s.detail))
                        .collect();
                    let key = (trace.source.clone(), trace.verdict, allowed_by);
                    let e = by_place.entry(key).or_default();
                    *e = e.union(&set);
                }
                for ((location, verdict, allowed_by), set) in by_place {
                    let within = if location == "internet" {
                        self.internet_for(d, f)
                    } else {
                        f.all()
                    };
                    addresses.push(AddressSource {
                        family: f,
                        location,
                        verdict,
                        sources: describe(f, &set, &within),
                        allowed_by,
                    });
                }
            }
            let eni = &self.enis[d as usize];
            for &g in &eni.groups {
                for r in &self.groups[g as usize].rules[INGRESS] {
                    if r.svc.0 > svc.key() || svc.key() > r.svc.1 {
                        continue;
                    }
                    if let Peer::Group { group, id, state } = &r.peer {
                        groups.push(GroupSource {
                            group: id.clone(),
                            rule: self.rule_text(g, INGRESS, r),
                            state: state.clone(),
                            members: group
                                .map(|t| self.groups[t as usize].members.len())
                                .unwrap_or(0),
                        });
                    }
                }
            }
        }
        let mut interfaces: Vec<InterfaceSource> = (0..self.enis.len() as Ix)
            .into_par_iter()
            .flat_map_iter(|s| {
                let mut found = Vec::new();
                for &d in &dsts {
                    if s == d {
                        continue;
                    }
                    for f in Family::BOTH {
                        let (Some(a), Some(_)) = (
                            self.enis[s as usize].primary(f),
                            self.enis[d as usize].primary(f),
                        ) else {
                            continue;
                        };
                        let t = self.trace(d, f, svc, Src::Eni(s, a), client_ports);
                        if t.verdict == Verdict::Blocked {
                            continue;
                        }
                        let e = &self.enis[s as usize];
                        found.push(InterfaceSource {
                            interface: e.id.clone(),
                            instance: e.instance.map(|i| self.instances[i as usize].id.clone()),
                            address: ip_of(f, a),
                            verdict: t.verdict,
                            allowed_by: t
                                .steps
                                .iter()
                                .filter(|s| {
                                    s.effect == crate::eval::Effect::Allow
                                        && s.element == "security-group"
                                })
                                .map(|s| s.detail.clone())
                                .collect(),
                        });
                    }
                }
                found
            })
            .collect();
        interfaces.sort_by(|a, b| (a.verdict, &a.interface).cmp(&(b.verdict, &b.interface)));
        Ok(SourcesAnswer {
            to: to.to_string(),
            service: svc.to_string(),
            addresses,
            groups,
            interfaces,
        })
    }
}
