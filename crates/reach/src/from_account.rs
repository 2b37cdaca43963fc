//! From the account model (`cloud::Account`, loaded from a snapshot folder) to [`NetworkInput`].

use std::collections::HashMap;
use std::net::Ipv4Addr;

use ipnet::IpNet;

use crate::input::*;
use crate::network::Network;

fn attached(state: &Option<String>) -> bool {
    // Attachments without a state are taken as attached: the snapshot listed them.
    matches!(
        state.as_deref(),
        None | Some("available" | "attached" | "attaching")
    )
}

impl Network {
    /// Compiles the network of every account and region in the model.
    pub fn from_account(a: &cloud::Account) -> Network {
        Network::build(&input_from_account(a))
    }
}

/// The plain input for an account model.
pub fn input_from_account(a: &cloud::Account) -> NetworkInput {
    let mut input = NetworkInput::default();
    for v in &a.vpcs {
        input.vpcs.push(Vpc {
            id: v.id.clone(),
            owner_id: v.owner_id.clone().or(v.account.clone()).unwrap_or_default(),
            region: v.region.clone(),
            cidrs_v4: v.cidrs_v4.clone(),
            cidrs_v6: v.cidrs_v6.clone(),
        });
    }
    for s in &a.subnets {
        input.subnets.push(Subnet {
            id: s.id.clone(),
            vpc_id: s.vpc_id.clone(),
            cidr_v4: s.cidr_v4,
            cidrs_v6: s.cidrs_v6.clone(),
        });
    }
    for rt in &a.route_tables {
        input.route_tables.push(RouteTable {
            id: rt.id.clone(),
            vpc_id: rt.vpc_id.clone(),
            main: rt.main,
            subnet_ids: rt.subnet_ids.clone(),
            gateway_ids: rt.gateway_ids.clone(),
            routes: rt
                .routes
                .iter()
                .map(|r| Route {
                    destination: match &r.destination {
                        cloud::RouteDestination::Cidr4(n) => RouteDestination::Cidr(IpNet::V4(*n)),
                        cloud::RouteDestination::Cidr6(n) => RouteDestination::Cidr(IpNet::V6(*n)),
                        cloud::RouteDestination::PrefixList(p) => {
                            RouteDestination::PrefixList(p.clone())
                        }
                    },
                    target: if r.target == cloud::RouteTarget::Local {
                        "local".into()
                    } else {
                        r.target_id.clone()
                    },
                    propagated: r.origin.as_deref() == Some("EnableVgwRoutePropagation"),
                    active: r.state == cloud::RouteState::Active,
                })
                .collect(),
        });
    }
    for acl in &a.network_acls {
        input.network_acls.push(NetworkAcl {
            id: acl.id.clone(),
            vpc_id: acl.vpc_id.clone().unwrap_or_default(),
            is_default: acl.is_default,
            subnet_ids: acl.subnet_ids.clone(),
            entries: acl
                .entries
                .iter()
                .filter_map(|e| {
                    let cidr = e.cidr_v4.map(IpNet::V4).or(e.cidr_v6.map(IpNet::V6))?;
                    Some(NaclEntry {
                        rule_number: e.rule_number.clamp(0, 32767) as u32,
                        egress: e.egress,
                        protocol: e.protocol.clone(),
                        allow: e.action == cloud::NaclAction::Allow,
                        cidr,
                        port_range: e
                            .port_range
                            .map(|(lo, hi)| (lo.clamp(0, 65535) as u16, hi.clamp(0, 65535) as u16)),
                        icmp: e.icmp_type_code,
                    })
                })
                .collect(),
        });
    }
    for g in &a.security_groups {
        let perms = |rules: &[cloud::SgRule]| -> Vec<Permission> {
            rules
                .iter()
                .map(|r| {
                    let mut p = Permission {
                        protocol: r.protocol.clone(),
                        from_port: r.from_port,
                        to_port: r.to_port,
                        label: r.rule_id.clone().or(r.description.clone()),
                        ..Default::default()
                    };
                    match &r.source {
                        cloud::RuleSource::Cidr4(n) => p.ipv4.push(*n),
                        cloud::RuleSource::Cidr6(n) => p.ipv6.push(*n),
                        cloud::RuleSource::PrefixList(id) => p.prefix_lists.push(id.clone()),
                        cloud::RuleSource::Group {
                            group_id,
                            user_id,
                            vpc_id,
                            peering_connection_id,
                            peering_status,
                            group_name,
                        } => p.groups.push(GroupRef {
                            // A default-VPC-less reference by name only: keep the name so it reads
                            // as stale rather than vanishing.
                            group_id: group_id.clone().or(group_name.clone()).unwrap_or_default(),
                            user_id: user_id.clone(),
                            vpc_id: vpc_id.clone(),
                            peering_id: peering_connection_id.clone(),
                            peering_status: peering_status.clone(),
                        }),
                    }
                    p
                })
                .collect()
        };
        input.security_groups.push(SecurityGroup {
            id: g.id.clone(),
            name: g.name.clone(),
            vpc_id: g.vpc_id.clone().unwrap_or_default(),
            owner_id: g.owner_id.clone().or(g.account.clone()).unwrap_or_default(),
            inbound: perms(&g.ingress),
            outbound: perms(&g.egress),
        });
    }
    let elastic: HashMap<Ipv4Addr, bool> = a
        .addresses
        .iter()
        .filter_map(|x| x.public_ip.map(|ip| (ip, x.allocation_id.is_some())))
        .collect();
    let gone: std::collections::HashSet<&str> = a
        .instances
        .iter()
        .filter(|i| i.state == "terminated")
        .map(|i| i.id.as_str())
        .collect();
    for e in &a.network_interfaces {
        // A terminated instance's interfaces are gone with it.
        if e.attachment
            .as_ref()
            .and_then(|x| x.instance_id.as_deref())
            .is_some_and(|i| gone.contains(i))
        {
            continue;
        }
        let mut private: Vec<PrivateIpv4> = e
            .private_ips
            .iter()
            .map(|p| {
                let public = p.public_ip.or(if p.primary { e.public_ip } else { None });
                PrivateIpv4 {
                    address: p.address,
                    public: public.map(|ip| PublicIpv4 {
                        address: ip,
                        elastic: elastic.get(&ip).copied().unwrap_or(false)
                            || (p.primary
                                && (e.allocation_id.is_some()
                                    || e.public_ip_owner
                                        .as_deref()
                                        .is_some_and(|o| o != "amazon"))),
                    }),
                }
            })
            .collect();
        // The primary address first.
        private.sort_by_key(|p| Some(p.address) != e.private_ip);
        if private.is_empty()
            && let Some(ip) = e.private_ip
        {
            private.push(PrivateIpv4 {
                address: ip,
                public: e.public_ip.map(|p| PublicIpv4 {
                    address: p,
                    elastic: e.allocation_id.is_some(),
                }),
            });
        }
        input.interfaces.push(Interface {
            id: e.id.clone(),
            subnet_id: e.subnet_id.clone().unwrap_or_default(),
            vpc_id: e.vpc_id.clone().unwrap_or_default(),
            instance_id: e.attachment.as_ref().and_then(|x| x.instance_id.clone()),
            private_ipv4: private,
            ipv6: e.ipv6_addresses.clone(),
            group_ids: e.security_group_ids.clone(),
            interface_type: e
                .interface_type
                .clone()
                .unwrap_or_else(|| "interface".into()),
            description: e.description.clone().unwrap_or_default(),
        });
    }
    for i in &a.instances {
        if i.state == "terminated" {
            continue;
        }
        input.instances.push(Instance {
            id: i.id.clone(),
            name: i.tags.get("Name").cloned(),
            state: i.state.clone(),
            interface_ids: a
                .enis_of_instance(&i.id)
                .iter()
                .map(|e| e.id.clone())
                .collect(),
        });
    }
    for g in &a.internet_gateways {
        input.internet_gateways.push(Gateway {
            id: g.id.clone(),
            vpc_ids: g
                .attachments
                .iter()
                .filter(|x| attached(&x.state))
                .map(|x| x.vpc_id.clone())
                .collect(),
        });
    }
    for g in &a.egress_only_internet_gateways {
        input.egress_only_gateways.push(Gateway {
            id: g.id.clone(),
            vpc_ids: g
                .attachments
                .iter()
                .filter(|x| attached(&x.state))
                .map(|x| x.vpc_id.clone())
                .collect(),
        });
    }
    for n in &a.nat_gateways {
        input.nat_gateways.push(NatGateway {
            id: n.id.clone(),
            vpc_id: n.vpc_id.clone().unwrap_or_default(),
            subnet_id: n.subnet_id.clone().unwrap_or_default(),
            public: n.connectivity_type.as_deref() != Some("private"),
        });
    }
    for p in &a.vpc_peering_connections {
        let side = |s: &cloud::PeeringSide| PeeringSide {
            vpc_id: s.vpc_id.clone().unwrap_or_default(),
            owner_id: s.owner_id.clone().unwrap_or_default(),
            region: s.region.clone().unwrap_or_default(),
        };
        input.peerings.push(Peering {
            id: p.id.clone(),
            status: p.status.clone().unwrap_or_default(),
            requester: side(&p.requester),
            accepter: side(&p.accepter),
        });
    }
    // A list whose entries were not collected is left out: rules naming it then match nothing,
    // with a warning.
    for pl in a.prefix_lists.iter().filter(|p| p.entries_known) {
        input.prefix_lists.push(PrefixList {
            id: pl.id.clone(),
            name: pl.name.clone().unwrap_or_default(),
            cidrs: pl.entries.iter().map(|e| e.cidr).collect(),
            max_entries: pl.max_entries.map(|m| m.clamp(0, u32::MAX as i64) as u32),
        });
    }
    input
}
