//! Quotas (L1, L2, SG1, SG6, SG9, N7): a snapshot that exceeds them was taken under a raised
//! quota, under older limits, or is torn; either way the reader should know. Also the scope of a
//! group change on an instance (SG1).

use serde::Serialize;

use crate::addr::Family;
use crate::network::{EGRESS, INGRESS, Network};

/// Quotas of one era of the VPC documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Rules per group, per direction and per IP family (SG6).
    pub rules_per_group: usize,
    /// Groups per interface by default, and the most it can be raised to.
    pub groups_per_interface: usize,
    pub groups_per_interface_max: usize,
    /// Groups per interface x rules per group may not exceed this (SG1).
    pub rules_per_interface: usize,
    /// NACL rules per direction and family (N7).
    pub nacl_rules: usize,
}

impl Limits {
    /// L1: the documentation since 2019-03.
    pub const CURRENT: Limits = Limits {
        rules_per_group: 60,
        groups_per_interface: 5,
        groups_per_interface_max: 16,
        rules_per_interface: 1000,
        nacl_rules: 20,
    };
    /// L2: the documentation before 2018 (50 rules, product 250).
    pub const PRE_2018: Limits = Limits {
        rules_per_group: 50,
        groups_per_interface: 5,
        groups_per_interface_max: 5,
        rules_per_interface: 250,
        nacl_rules: 20,
    };

    /// The rules per group allowed when an interface may carry `groups` groups: the product
    /// stays within the budget ("raise groups to 10, rules drop to 100" today; "to 25" in L2).
    pub fn rules_per_group_with(&self, groups: usize) -> usize {
        if groups <= self.groups_per_interface {
            self.rules_per_group
        } else {
            (self.rules_per_interface / groups.max(1)).min(self.rules_per_group)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LimitNote {
    pub id: String,
    pub statement: &'static str,
    pub detail: String,
}

/// Which interfaces a group change reaches (SG1): `ModifyInstanceAttribute --groups` changes only
/// the primary interface; the others keep their groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupChangeScope {
    pub instance: String,
    pub primary: String,
    /// Interfaces that `ModifyInstanceAttribute --groups` leaves alone: change each with
    /// `ModifyNetworkInterfaceAttribute`.
    pub untouched: Vec<String>,
}

impl Network {
    /// Quota notes for the snapshot under `limits`.
    pub fn check_limits(&self, limits: &Limits) -> Vec<LimitNote> {
        let mut notes = Vec::new();
        for g in &self.groups {
            for dir in [INGRESS, EGRESS] {
                for f in Family::BOTH {
                    let n = g.quota_rules[dir][f.index()];
                    if n > limits.rules_per_group {
                        notes.push(LimitNote {
                            id: g.id.clone(),
                            statement: if limits.rules_per_group == 60 { "L1" } else { "L2" },
                            detail: format!(
                                "{} {} {} rules (prefix lists counted at their max entries, SG9) exceed the quota of {}",
                                n,
                                if dir == INGRESS { "inbound" } else { "outbound" },
                                f.as_str(),
                                limits.rules_per_group
                            ),
                        });
                    }
                }
            }
        }
        for e in &self.enis {
            let n = e.groups.len() + e.missing_groups.len();
            if n > limits.groups_per_interface_max {
                notes.push(LimitNote {
                    id: e.id.clone(),
                    statement: "SG1",
                    detail: format!(
                        "{n} security groups: more than the maximum of {}",
                        limits.groups_per_interface_max
                    ),
                });
            } else if n > limits.groups_per_interface {
                let allowed = limits.rules_per_group_with(n);
                let over: Vec<&str> = e
                    .groups
                    .iter()
                    .map(|&g| &self.groups[g as usize])
                    .filter(|g| g.quota_rules.iter().flatten().any(|&r| r > allowed))
                    .map(|g| g.id.as_str())
                    .collect();
                notes.push(LimitNote {
                    id: e.id.clone(),
                    statement: "SG1",
                    detail: format!(
                        "{n} security groups: above the default {}, so at most {allowed} rules per group ({} per interface){}",
                        limits.groups_per_interface,
                        limits.rules_per_interface,
                        if over.is_empty() {
                            String::new()
                        } else {
                            format!("; over it: {}", over.join(", "))
                        }
                    ),
                });
            }
        }
        for acl in &self.nacls {
            for (dir, lists) in acl.entries.iter().enumerate() {
                for f in Family::BOTH {
                    let n = lists[f.index()].len();
                    if n > limits.nacl_rules {
                        notes.push(LimitNote {
                            id: acl.id.clone(),
                            statement: "N7",
                            detail: format!(
                                "{n} {} {} rules exceed the quota of {}",
                                if dir == INGRESS {
                                    "inbound"
                                } else {
                                    "outbound"
                                },
                                f.as_str(),
                                limits.nacl_rules
                            ),
                        });
                    }
                }
            }
        }
        notes
    }

    /// SG1: what `ModifyInstanceAttribute --groups` on this instance changes.
    pub fn group_change_scope(&self, instance: &str) -> Result<GroupChangeScope, String> {
        let &i = self
            .instance_ix
            .get(instance)
            .ok_or_else(|| format!("instance {instance} is not in the snapshot"))?;
        let enis = &self.instances[i as usize].enis;
        let Some((&primary, rest)) = enis.split_first() else {
            return Err(format!(
                "instance {instance} has no network interface in the snapshot"
            ));
        };
        Ok(GroupChangeScope {
            instance: instance.to_string(),
            primary: self.enis[primary as usize].id.clone(),
            untouched: rest
                .iter()
                .map(|&e| self.enis[e as usize].id.clone())
                .collect(),
        })
    }
}
