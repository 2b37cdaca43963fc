//! aws CLI shapes ([`crate::raw`]) → model types. Region and account are stamped by the loader.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::model::*;
use crate::raw;

fn tags(t: Vec<raw::Tag>) -> Tags {
    t.into_iter().map(|t| (t.key, t.value)).collect()
}

/// `-1` (all), `tcp`, `udp`, `icmp`, `icmpv6`, or the protocol number.
pub fn normalize_protocol(p: Option<&str>) -> String {
    let p = p.unwrap_or("-1").trim().to_ascii_lowercase();
    match p.as_str() {
        "-1" | "all" | "" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        _ => p,
    }
}

fn port(p: Option<i64>) -> Option<i32> {
    p.and_then(|p| i32::try_from(p).ok())
}

pub fn metadata_options(m: raw::MetadataOptions) -> MetadataOptions {
    MetadataOptions {
        http_tokens: m.http_tokens,
        http_endpoint: m.http_endpoint,
        hop_limit: m.http_put_response_hop_limit,
        http_protocol_ipv6: m.http_protocol_ipv6,
        instance_metadata_tags: m.instance_metadata_tags,
    }
}

/// An instance and the interfaces embedded in it (used when `describe-network-interfaces` lacks
/// them).
pub fn instance(i: raw::Instance, owner: Option<&str>) -> (Instance, Vec<raw::NetworkInterface>) {
    let mut enis = i.network_interfaces;
    enis.sort_by_key(|n| n.attachment.as_ref().and_then(|a| a.device_index));
    let mut groups: Vec<String> = i
        .security_groups
        .iter()
        .filter_map(|g| g.group_id.clone())
        .collect();
    let mut ipv6: Vec<std::net::Ipv6Addr> = i.ipv6_address.into_iter().collect();
    for n in &enis {
        groups.extend(n.groups.iter().filter_map(|g| g.group_id.clone()));
        ipv6.extend(n.ipv6_addresses.iter().filter_map(|a| a.ipv6_address));
    }
    let mut seen = BTreeSet::new();
    groups.retain(|g| seen.insert(g.clone()));
    let mut seen = BTreeSet::new();
    ipv6.retain(|a| seen.insert(*a));
    let inst = Instance {
        id: i.instance_id,
        account: owner.map(str::to_string),
        state: i.state.and_then(|s| s.name).unwrap_or_default(),
        instance_type: i.instance_type,
        key_name: i.key_name.filter(|k| !k.is_empty()),
        launch_time: i.launch_time,
        image_id: i.image_id,
        availability_zone: i.placement.and_then(|p| p.availability_zone),
        subnet_id: i.subnet_id.filter(|s| !s.is_empty()),
        vpc_id: i.vpc_id.filter(|s| !s.is_empty()),
        private_ip: i.private_ip_address,
        public_ip: i.public_ip_address,
        ipv6_addresses: ipv6,
        network_interfaces: enis
            .iter()
            .map(|n| n.network_interface_id.clone())
            .collect(),
        security_group_ids: groups,
        iam_instance_profile: i.iam_instance_profile.and_then(|p| {
            Some(InstanceProfileRef {
                arn: p.arn?,
                id: p.id,
                association_id: None,
            })
        }),
        metadata_options: i.metadata_options.map(metadata_options),
        root_device_type: i.root_device_type,
        root_device_name: i.root_device_name,
        platform: i.platform,
        platform_details: i.platform_details,
        block_devices: i
            .block_device_mappings
            .into_iter()
            .map(|b| BlockDevice {
                device_name: b.device_name,
                volume_id: b.ebs.as_ref().and_then(|e| e.volume_id.clone()),
                delete_on_termination: b.ebs.and_then(|e| e.delete_on_termination),
            })
            .collect(),
        tags: tags(i.tags),
        ..Instance::default()
    };
    (inst, enis)
}

pub fn network_interface(n: raw::NetworkInterface) -> NetworkInterface {
    let assoc = n.association;
    NetworkInterface {
        id: n.network_interface_id,
        subnet_id: n.subnet_id,
        vpc_id: n.vpc_id,
        availability_zone: n.availability_zone,
        description: n.description,
        interface_type: n.interface_type,
        owner_id: n.owner_id,
        status: n.status,
        requester_managed: n.requester_managed,
        attachment: n.attachment.map(|a| EniAttachment {
            attachment_id: a.attachment_id,
            instance_id: a.instance_id,
            instance_owner_id: a.instance_owner_id,
            device_index: a.device_index,
            status: a.status,
            delete_on_termination: a.delete_on_termination,
        }),
        private_ip: n.private_ip_address,
        private_ips: n
            .private_ip_addresses
            .into_iter()
            .filter_map(|p| {
                Some(PrivateIp {
                    address: p.private_ip_address?,
                    primary: p.primary.unwrap_or(false),
                    public_ip: p.association.and_then(|a| a.public_ip),
                })
            })
            .collect(),
        ipv6_addresses: n
            .ipv6_addresses
            .into_iter()
            .filter_map(|a| a.ipv6_address)
            .collect(),
        public_ip: assoc.as_ref().and_then(|a| a.public_ip),
        public_ip_owner: assoc.as_ref().and_then(|a| a.ip_owner_id.clone()),
        allocation_id: assoc.and_then(|a| a.allocation_id),
        security_group_ids: n.groups.into_iter().filter_map(|g| g.group_id).collect(),
        source_dest_check: n.source_dest_check,
        from_instance_only: false,
        tags: tags(n.tag_set),
        ..NetworkInterface::default()
    }
}

/// Splits one AWS permission (several sources) into one rule per source.
fn rules(p: raw::IpPermission) -> Vec<SgRule> {
    let protocol = normalize_protocol(p.ip_protocol.as_deref());
    let (from_port, to_port) = if protocol == "-1" {
        (None, None)
    } else {
        (port(p.from_port), port(p.to_port))
    };
    let rule = |source: RuleSource, description: Option<String>| SgRule {
        protocol: protocol.clone(),
        from_port,
        to_port,
        source,
        description,
        rule_id: None,
    };
    let mut out = Vec::new();
    for r in p.ip_ranges {
        if let Some(c) = r.cidr_ip {
            out.push(rule(RuleSource::Cidr4(c), r.description));
        }
    }
    for r in p.ipv6_ranges {
        if let Some(c) = r.cidr_ipv6 {
            out.push(rule(RuleSource::Cidr6(c), r.description));
        }
    }
    for r in p.prefix_list_ids {
        if let Some(id) = r.prefix_list_id {
            out.push(rule(RuleSource::PrefixList(id), r.description));
        }
    }
    for g in p.user_id_group_pairs {
        out.push(rule(
            RuleSource::Group {
                group_id: g.group_id,
                group_name: g.group_name,
                user_id: g.user_id,
                vpc_id: g.vpc_id,
                peering_connection_id: g.vpc_peering_connection_id,
                peering_status: g.peering_status,
            },
            g.description,
        ));
    }
    out
}

pub fn security_group(g: raw::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        id: g.group_id,
        name: g.group_name.unwrap_or_default(),
        description: g.description,
        vpc_id: g.vpc_id,
        owner_id: g.owner_id,
        ingress: g.ip_permissions.into_iter().flat_map(rules).collect(),
        egress: g
            .ip_permissions_egress
            .into_iter()
            .flat_map(rules)
            .collect(),
        tags: tags(g.tags),
        ..SecurityGroup::default()
    }
}

fn rule_from_sgr(r: raw::SecurityGroupRule) -> Option<(String, bool, SgRule)> {
    let protocol = normalize_protocol(r.ip_protocol.as_deref());
    let (from_port, to_port) = if protocol == "-1" {
        (None, None)
    } else {
        (port(r.from_port), port(r.to_port))
    };
    let source = if let Some(c) = r.cidr_ipv4 {
        RuleSource::Cidr4(c)
    } else if let Some(c) = r.cidr_ipv6 {
        RuleSource::Cidr6(c)
    } else if let Some(p) = r.prefix_list_id {
        RuleSource::PrefixList(p)
    } else {
        let g = r.referenced_group_info?;
        RuleSource::Group {
            group_id: g.group_id,
            group_name: g.group_name,
            user_id: g.user_id,
            vpc_id: g.vpc_id,
            peering_connection_id: g.vpc_peering_connection_id,
            peering_status: g.peering_status,
        }
    };
    Some((
        r.group_id,
        r.is_egress,
        SgRule {
            protocol,
            from_port,
            to_port,
            source,
            description: r.description,
            rule_id: r.security_group_rule_id,
        },
    ))
}

/// Same rule, ignoring what only one of the two calls reports (ids, names, descriptions).
fn same_rule(a: &SgRule, b: &SgRule) -> bool {
    let source = match (&a.source, &b.source) {
        (RuleSource::Group { group_id: x, .. }, RuleSource::Group { group_id: y, .. }) => x == y,
        (x, y) => x == y,
    };
    source && a.protocol == b.protocol && a.from_port == b.from_port && a.to_port == b.to_port
}

/// Gives rules their `sgr-` ids from `describe-security-group-rules`; rules of groups that
/// `describe-security-groups` did not list make groups of their own.
pub fn apply_security_group_rules(
    groups: &mut Vec<SecurityGroup>,
    list: Vec<raw::SecurityGroupRule>,
) {
    let mut pos: std::collections::HashMap<String, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.clone(), i))
        .collect();
    for r in list {
        let Some((gid, egress, rule)) = rule_from_sgr(r) else {
            continue;
        };
        let i = *pos.entry(gid.clone()).or_insert_with(|| {
            groups.push(SecurityGroup {
                id: gid.clone(),
                ..SecurityGroup::default()
            });
            groups.len() - 1
        });
        let g = &mut groups[i];
        let side = if egress {
            &mut g.egress
        } else {
            &mut g.ingress
        };
        let unmatched = side
            .iter()
            .position(|x| x.rule_id.is_none() && same_rule(x, &rule));
        let already = side.iter().any(|x| same_rule(x, &rule));
        match unmatched.map(|i| &mut side[i]) {
            Some(x) => {
                x.rule_id = rule.rule_id;
                if let (
                    RuleSource::Group { group_name, .. },
                    RuleSource::Group {
                        group_name: other, ..
                    },
                ) = (&mut x.source, rule.source)
                    && group_name.is_none()
                {
                    *group_name = other;
                }
            }
            None if !already => side.push(rule),
            None => {}
        }
    }
}

pub fn prefix_list(p: raw::PrefixList) -> ManagedPrefixList {
    ManagedPrefixList {
        id: p.prefix_list_id,
        name: p.prefix_list_name,
        address_family: p.address_family,
        owner_id: p.owner_id,
        state: p.state,
        max_entries: p.max_entries,
        ..ManagedPrefixList::default()
    }
}

pub fn network_acl(a: raw::NetworkAcl) -> NetworkAcl {
    let mut entries: Vec<NaclEntry> = a
        .entries
        .into_iter()
        .map(|e| NaclEntry {
            rule_number: e
                .rule_number
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or(32767),
            egress: e.egress.unwrap_or(false),
            protocol: normalize_protocol(e.protocol.as_deref()),
            action: if e.rule_action.as_deref() == Some("allow") {
                NaclAction::Allow
            } else {
                NaclAction::Deny
            },
            cidr_v4: e.cidr_block,
            cidr_v6: e.ipv6_cidr_block,
            port_range: e
                .port_range
                .and_then(|r| Some((port(r.from)?, port(r.to)?))),
            icmp_type_code: e
                .icmp_type_code
                .and_then(|c| Some((port(c.r#type)?, port(c.code)?))),
        })
        .collect();
    entries.sort_by_key(|e| (e.egress, e.rule_number));
    NetworkAcl {
        id: a.network_acl_id,
        vpc_id: a.vpc_id,
        is_default: a.is_default.unwrap_or(false),
        owner_id: a.owner_id,
        subnet_ids: a
            .associations
            .into_iter()
            .filter_map(|s| s.subnet_id)
            .collect(),
        entries,
        tags: tags(a.tags),
        ..NetworkAcl::default()
    }
}

fn live(state: &Option<raw::CidrState>) -> bool {
    state
        .as_ref()
        .and_then(|s| s.state.as_deref())
        .is_none_or(|s| s == "associated" || s == "associating")
}

pub fn subnet(s: raw::Subnet) -> Subnet {
    Subnet {
        id: s.subnet_id,
        vpc_id: s.vpc_id,
        owner_id: s.owner_id,
        cidr_v4: s.cidr_block,
        cidrs_v6: s
            .ipv6_cidr_block_association_set
            .into_iter()
            .filter(|a| live(&a.ipv6_cidr_block_state))
            .filter_map(|a| a.ipv6_cidr_block)
            .collect(),
        availability_zone: s.availability_zone,
        map_public_ip_on_launch: s.map_public_ip_on_launch.unwrap_or(false),
        assign_ipv6_on_creation: s.assign_ipv6_address_on_creation.unwrap_or(false),
        default_for_az: s.default_for_az.unwrap_or(false),
        state: s.state,
        tags: tags(s.tags),
        ..Subnet::default()
    }
}

pub fn vpc(v: raw::Vpc) -> Vpc {
    let mut cidrs: Vec<ipnet::Ipv4Net> = v.cidr_block.into_iter().collect();
    for a in v.cidr_block_association_set {
        if live(&a.cidr_block_state)
            && let Some(c) = a.cidr_block
            && !cidrs.contains(&c)
        {
            cidrs.push(c);
        }
    }
    Vpc {
        id: v.vpc_id,
        owner_id: v.owner_id,
        cidrs_v4: cidrs,
        cidrs_v6: v
            .ipv6_cidr_block_association_set
            .into_iter()
            .filter(|a| live(&a.ipv6_cidr_block_state))
            .filter_map(|a| a.ipv6_cidr_block)
            .collect(),
        is_default: v.is_default.unwrap_or(false),
        state: v.state,
        tags: tags(v.tags),
        ..Vpc::default()
    }
}

fn route(r: raw::Route) -> Option<Route> {
    let destination = if let Some(c) = r.destination_cidr_block {
        RouteDestination::Cidr4(c)
    } else if let Some(c) = r.destination_ipv6_cidr_block {
        RouteDestination::Cidr6(c)
    } else {
        RouteDestination::PrefixList(r.destination_prefix_list_id?)
    };
    let (target, target_id) = if let Some(id) = r.instance_id {
        (RouteTarget::Instance, id)
    } else if let Some(id) = r.nat_gateway_id {
        (RouteTarget::NatGateway, id)
    } else if let Some(id) = r.egress_only_internet_gateway_id {
        (RouteTarget::EgressOnlyInternetGateway, id)
    } else if let Some(id) = r.vpc_peering_connection_id {
        (RouteTarget::VpcPeering, id)
    } else if let Some(id) = r.transit_gateway_id {
        (RouteTarget::TransitGateway, id)
    } else if let Some(id) = r.network_interface_id {
        (RouteTarget::NetworkInterface, id)
    } else if let Some(id) = r.gateway_id {
        (gateway_kind(&id), id)
    } else if let Some(id) = r.carrier_gateway_id {
        (RouteTarget::Other("carrier-gateway".into()), id)
    } else if let Some(id) = r.local_gateway_id {
        (RouteTarget::Other("local-gateway".into()), id)
    } else if let Some(id) = r.core_network_arn {
        (RouteTarget::Other("core-network".into()), id)
    } else {
        (RouteTarget::Other("unknown".into()), String::new())
    };
    Some(Route {
        destination,
        target,
        target_id,
        state: if r.state.as_deref() == Some("blackhole") {
            RouteState::Blackhole
        } else {
            RouteState::Active
        },
        origin: r.origin,
    })
}

/// What a `GatewayId` names, by its prefix.
fn gateway_kind(id: &str) -> RouteTarget {
    if id == "local" {
        RouteTarget::Local
    } else if id.starts_with("igw-") {
        RouteTarget::InternetGateway
    } else if id.starts_with("eigw-") {
        RouteTarget::EgressOnlyInternetGateway
    } else if id.starts_with("vpce-") {
        RouteTarget::VpcEndpoint
    } else if id.starts_with("nat-") {
        RouteTarget::NatGateway
    } else {
        RouteTarget::Other(id.split('-').next().unwrap_or(id).to_string())
    }
}

pub fn route_table(r: raw::RouteTable) -> RouteTable {
    let live_assocs: Vec<raw::RouteTableAssociation> = r
        .associations
        .into_iter()
        .filter(|a| live(&a.association_state))
        .collect();
    RouteTable {
        id: r.route_table_id,
        vpc_id: r.vpc_id,
        owner_id: r.owner_id,
        main: live_assocs.iter().any(|a| a.main == Some(true)),
        subnet_ids: live_assocs
            .iter()
            .filter_map(|a| a.subnet_id.clone())
            .collect(),
        gateway_ids: live_assocs
            .iter()
            .filter_map(|a| a.gateway_id.clone())
            .collect(),
        routes: r.routes.into_iter().filter_map(route).collect(),
        tags: tags(r.tags),
        ..RouteTable::default()
    }
}

fn attachments(a: Vec<raw::GatewayAttachment>) -> Vec<GatewayAttachment> {
    a.into_iter()
        .filter_map(|a| {
            Some(GatewayAttachment {
                vpc_id: a.vpc_id?,
                state: a.state,
            })
        })
        .collect()
}

pub fn internet_gateway(g: raw::InternetGateway) -> InternetGateway {
    InternetGateway {
        id: g.internet_gateway_id,
        owner_id: g.owner_id,
        attachments: attachments(g.attachments),
        tags: tags(g.tags),
        ..InternetGateway::default()
    }
}

pub fn egress_only_gateway(g: raw::EgressOnlyGateway) -> EgressOnlyInternetGateway {
    EgressOnlyInternetGateway {
        id: g.egress_only_internet_gateway_id,
        attachments: attachments(g.attachments),
        tags: tags(g.tags),
        ..EgressOnlyInternetGateway::default()
    }
}

pub fn nat_gateway(g: raw::NatGateway) -> NatGateway {
    NatGateway {
        id: g.nat_gateway_id,
        subnet_id: g.subnet_id,
        vpc_id: g.vpc_id,
        state: g.state,
        connectivity_type: g.connectivity_type,
        addresses: g
            .nat_gateway_addresses
            .into_iter()
            .map(|a| NatGatewayAddress {
                public_ip: a.public_ip,
                private_ip: a.private_ip,
                allocation_id: a.allocation_id,
                network_interface_id: a.network_interface_id,
            })
            .collect(),
        tags: tags(g.tags),
        ..NatGateway::default()
    }
}

fn peering_side(v: Option<raw::PeeringVpc>) -> PeeringSide {
    let Some(v) = v else {
        return PeeringSide::default();
    };
    let mut cidrs: Vec<ipnet::Ipv4Net> = v.cidr_block.into_iter().collect();
    for c in v.cidr_block_set.into_iter().filter_map(|c| c.cidr_block) {
        if !cidrs.contains(&c) {
            cidrs.push(c);
        }
    }
    PeeringSide {
        vpc_id: v.vpc_id,
        owner_id: v.owner_id,
        region: v.region,
        cidrs_v4: cidrs,
        cidrs_v6: v
            .ipv6_cidr_block_set
            .into_iter()
            .filter_map(|c| c.ipv6_cidr_block)
            .collect(),
    }
}

pub fn peering(p: raw::Peering) -> VpcPeeringConnection {
    VpcPeeringConnection {
        id: p.vpc_peering_connection_id,
        status: p.status.and_then(|s| s.code),
        requester: peering_side(p.requester_vpc_info),
        accepter: peering_side(p.accepter_vpc_info),
        tags: tags(p.tags),
        ..VpcPeeringConnection::default()
    }
}

pub fn address(a: raw::Address) -> Address {
    Address {
        public_ip: a.public_ip,
        allocation_id: a.allocation_id,
        association_id: a.association_id,
        instance_id: a.instance_id.filter(|s| !s.is_empty()),
        network_interface_id: a.network_interface_id,
        private_ip: a.private_ip_address,
        domain: a.domain,
        tags: tags(a.tags),
        ..Address::default()
    }
}

pub fn flow_log(f: raw::FlowLog) -> FlowLog {
    FlowLog {
        id: f.flow_log_id,
        resource_id: f.resource_id,
        traffic_type: f.traffic_type,
        log_destination_type: f.log_destination_type,
        log_destination: f.log_destination,
        log_group_name: f.log_group_name,
        status: f.flow_log_status,
        deliver_logs_status: f.deliver_logs_status,
        ..FlowLog::default()
    }
}

pub fn key_pair(k: raw::KeyPair) -> KeyPair {
    KeyPair {
        name: k.key_name,
        id: k.key_pair_id,
        key_type: k.key_type,
        fingerprint: k.key_fingerprint,
        create_time: k.create_time,
        public_key: k.public_key.map(|p| p.trim().to_string()),
        tags: tags(k.tags),
        ..KeyPair::default()
    }
}

pub fn launch_template(t: raw::LaunchTemplate) -> LaunchTemplate {
    LaunchTemplate {
        id: t.launch_template_id,
        name: t.launch_template_name,
        default_version: t.default_version_number,
        latest_version: t.latest_version_number,
        create_time: t.create_time,
        created_by: t.created_by,
        tags: tags(t.tags),
        ..LaunchTemplate::default()
    }
}

pub fn launch_template_version(v: raw::LaunchTemplateVersion) -> LaunchTemplateVersion {
    let d = v.launch_template_data.unwrap_or_default();
    LaunchTemplateVersion {
        number: v.version_number.unwrap_or(0),
        is_default: v.default_version.unwrap_or(false),
        create_time: v.create_time,
        key_name: d.key_name,
        image_id: d.image_id,
        instance_type: d.instance_type,
        metadata_options: d.metadata_options.map(metadata_options),
        iam_instance_profile: d.iam_instance_profile.map(|p| ProfileSpec {
            arn: p.arn,
            name: p.name,
        }),
        security_group_ids: d.security_group_ids,
        security_group_names: d.security_groups,
        network_interfaces: d
            .network_interfaces
            .into_iter()
            .map(|n| TemplateNetworkInterface {
                device_index: n.device_index,
                subnet_id: n.subnet_id,
                associate_public_ip: n.associate_public_ip_address,
                security_group_ids: n.groups,
            })
            .collect(),
    }
}

fn lt_spec(s: raw::LaunchTemplateSpec) -> LaunchTemplateSpec {
    LaunchTemplateSpec {
        id: s.launch_template_id,
        name: s.launch_template_name,
        version: s.version,
    }
}

pub fn auto_scaling_group(g: raw::AutoScalingGroup) -> AutoScalingGroup {
    let template = g.launch_template.or_else(|| {
        g.mixed_instances_policy
            .and_then(|m| m.launch_template)
            .and_then(|l| l.launch_template_specification)
    });
    AutoScalingGroup {
        name: g.auto_scaling_group_name,
        arn: g.auto_scaling_group_arn,
        launch_configuration_name: g.launch_configuration_name,
        launch_template: template.map(lt_spec),
        min_size: g.min_size,
        max_size: g.max_size,
        desired_capacity: g.desired_capacity,
        subnet_ids: g
            .vpc_zone_identifier
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        instances: g
            .instances
            .into_iter()
            .map(|i| AsgInstance {
                instance_id: i.instance_id,
                lifecycle_state: i.lifecycle_state,
                health_status: i.health_status,
                launch_template: i.launch_template.map(lt_spec),
                launch_configuration_name: i.launch_configuration_name,
            })
            .collect(),
        ..AutoScalingGroup::default()
    }
}

pub fn launch_configuration(l: raw::LaunchConfiguration) -> LaunchConfiguration {
    LaunchConfiguration {
        name: l.launch_configuration_name,
        arn: l.launch_configuration_arn,
        key_name: l.key_name.filter(|k| !k.is_empty()),
        image_id: l.image_id,
        iam_instance_profile: l.iam_instance_profile,
        associate_public_ip: l.associate_public_ip_address,
        security_groups: l.security_groups,
        metadata_options: l.metadata_options.map(metadata_options),
        ..LaunchConfiguration::default()
    }
}

pub fn permission(p: raw::Permission) -> Permission {
    Permission {
        group: p.group,
        user_id: p.user_id,
        organization_arn: p.organization_arn,
        organizational_unit_arn: p.organizational_unit_arn,
    }
}

/// `Created by CreateImage(i-0abc...) for ami-...` → `i-0abc...`.
pub fn instance_in_description(d: &str) -> Option<String> {
    let start = d.find("CreateImage(")? + "CreateImage(".len();
    let rest = &d[start..];
    let id: String = rest.chars().take_while(|c| *c != ')').collect();
    id.starts_with("i-").then_some(id)
}

pub fn image(i: raw::Image) -> Image {
    let tags = tags(i.tags);
    let source = i
        .description
        .as_deref()
        .and_then(instance_in_description)
        .or_else(|| tags.get("aws:ec2:source-instance-id").cloned())
        .or_else(|| tags.get("SourceInstanceId").cloned());
    Image {
        id: i.image_id,
        name: i.name,
        description: i.description,
        owner_id: i.owner_id,
        public: i.public,
        state: i.state,
        creation_date: i.creation_date,
        source_instance_id: source,
        snapshot_ids: i
            .block_device_mappings
            .into_iter()
            .filter_map(|b| b.ebs.and_then(|e| e.snapshot_id))
            .collect(),
        tags,
        ..Image::default()
    }
}

pub fn volume(v: raw::Volume) -> Volume {
    Volume {
        id: v.volume_id,
        size_gib: v.size,
        state: v.state,
        encrypted: v.encrypted,
        kms_key_id: v.kms_key_id,
        volume_type: v.volume_type,
        availability_zone: v.availability_zone,
        snapshot_id: v.snapshot_id.filter(|s| !s.is_empty()),
        create_time: v.create_time,
        attachments: v
            .attachments
            .into_iter()
            .map(|a| VolumeAttachment {
                instance_id: a.instance_id,
                device: a.device,
                state: a.state,
                delete_on_termination: a.delete_on_termination,
            })
            .collect(),
        tags: tags(v.tags),
        ..Volume::default()
    }
}

pub fn snapshot(s: raw::Snapshot) -> Snapshot {
    Snapshot {
        id: s.snapshot_id,
        volume_id: s.volume_id,
        state: s.state,
        encrypted: s.encrypted,
        kms_key_id: s.kms_key_id,
        owner_id: s.owner_id,
        start_time: s.start_time,
        volume_size_gib: s.volume_size,
        description: s.description,
        tags: tags(s.tags),
        ..Snapshot::default()
    }
}

pub fn trail(t: raw::Trail) -> Trail {
    Trail {
        name: t.name,
        arn: t.trail_arn,
        home_region: t.home_region,
        s3_bucket: t.s3_bucket_name,
        s3_key_prefix: t.s3_key_prefix,
        is_multi_region: t.is_multi_region_trail,
        include_global_service_events: t.include_global_service_events,
        log_file_validation: t.log_file_validation_enabled,
        kms_key_id: t.kms_key_id,
        cloudwatch_logs_log_group_arn: t.cloud_watch_logs_log_group_arn,
        cloudwatch_logs_role_arn: t.cloud_watch_logs_role_arn,
        is_organization: t.is_organization_trail,
        has_custom_event_selectors: t.has_custom_event_selectors,
        has_insight_selectors: t.has_insight_selectors,
        ..Trail::default()
    }
}

pub fn trail_status(s: raw::TrailStatus) -> TrailStatus {
    TrailStatus {
        is_logging: s.is_logging,
        latest_delivery_time: s.latest_delivery_time,
        latest_delivery_error: s.latest_delivery_error,
        start_logging_time: s.start_logging_time,
        stop_logging_time: s.stop_logging_time,
        latest_cloudwatch_logs_delivery_time: s.latest_cloud_watch_logs_delivery_time,
        latest_cloudwatch_logs_delivery_error: s.latest_cloud_watch_logs_delivery_error,
        latest_digest_delivery_time: s.latest_digest_delivery_time,
    }
}

pub fn apply_selectors(t: &mut Trail, s: raw::EventSelectors) {
    t.selectors_known = true;
    t.event_selectors = s
        .event_selectors
        .into_iter()
        .map(|e| EventSelector {
            read_write_type: e.read_write_type,
            include_management_events: e.include_management_events,
            exclude_management_event_sources: e.exclude_management_event_sources,
            data_resources: e
                .data_resources
                .into_iter()
                .map(|d| DataResource {
                    resource_type: d.r#type.unwrap_or_default(),
                    values: d.values,
                })
                .collect(),
        })
        .collect();
    t.advanced_event_selectors = s
        .advanced_event_selectors
        .into_iter()
        .map(|a| AdvancedEventSelector {
            name: a.name,
            field_selectors: a
                .field_selectors
                .into_iter()
                .map(|f| FieldSelector {
                    field: f.field,
                    equals: f.equals,
                    not_equals: f.not_equals,
                    starts_with: f.starts_with,
                    not_starts_with: f.not_starts_with,
                    ends_with: f.ends_with,
                    not_ends_with: f.not_ends_with,
                })
                .collect(),
        })
        .collect();
}

pub fn ssm_instance(s: raw::SsmInstance) -> SsmInstance {
    SsmInstance {
        instance_id: s.instance_id,
        ping_status: s.ping_status,
        last_ping: s.last_ping_date_time,
        agent_version: s.agent_version,
        platform_type: s.platform_type,
        resource_type: s.resource_type,
        ..SsmInstance::default()
    }
}

// ------------------------------------------------------------------------------------ IAM

/// IAM policy documents: the aws CLI prints them as JSON; the raw API gives URL-encoded text.
pub fn policy_document(v: Value) -> Value {
    match v {
        Value::String(s) => {
            let decoded = percent_decode(&s);
            serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
        }
        v => v,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn attached(p: Vec<raw::AttachedPolicy>) -> Vec<AttachedPolicy> {
    p.into_iter()
        .map(|a| AttachedPolicy {
            name: a.policy_name,
            arn: a.policy_arn,
        })
        .collect()
}

fn inline(p: Vec<raw::PolicyDetail>) -> Vec<InlinePolicy> {
    p.into_iter()
        .map(|d| InlinePolicy {
            name: d.policy_name,
            document: policy_document(d.policy_document),
        })
        .collect()
}

fn non_null(v: Value) -> Option<Value> {
    (!v.is_null()).then_some(v)
}

pub fn instance_profile(p: raw::InstanceProfile) -> InstanceProfile {
    InstanceProfile {
        name: p.instance_profile_name,
        id: p.instance_profile_id,
        arn: p.arn,
        path: p.path,
        create_date: p.create_date,
        role_arns: p.roles.iter().filter_map(|r| r.arn.clone()).collect(),
        roles: p.roles.into_iter().map(|r| r.role_name).collect(),
        ..InstanceProfile::default()
    }
}

pub fn user(u: raw::User) -> User {
    User {
        name: u.user_name,
        id: u.user_id,
        arn: u.arn,
        path: u.path,
        create_date: u.create_date,
        password_last_used: u.password_last_used,
        tags: tags(u.tags),
        ..User::default()
    }
}

/// Users, groups, roles, instance profiles and managed policies from
/// `get-account-authorization-details`.
pub fn authorization_details(d: raw::AuthorizationDetails, out: &mut Account) {
    for u in d.user_detail_list {
        out.users.push(User {
            name: u.user_name,
            id: u.user_id,
            arn: u.arn,
            path: u.path,
            create_date: u.create_date,
            groups: u.group_list,
            attached_policies: attached(u.attached_managed_policies),
            inline_policies: inline(u.user_policy_list),
            tags: tags(u.tags),
            ..User::default()
        });
    }
    for g in d.group_detail_list {
        out.groups.push(Group {
            name: g.group_name,
            id: g.group_id,
            arn: g.arn,
            attached_policies: attached(g.attached_managed_policies),
            inline_policies: inline(g.group_policy_list),
            ..Group::default()
        });
    }
    for r in d.role_detail_list {
        for p in r.instance_profile_list {
            let p = instance_profile(p);
            if !out.instance_profiles.iter().any(|x| x.arn == p.arn) {
                out.instance_profiles.push(p);
            }
        }
        out.roles.push(Role {
            name: r.role_name,
            id: r.role_id,
            arn: r.arn,
            path: r.path,
            create_date: r.create_date,
            trust_policy: non_null(policy_document(r.assume_role_policy_document)),
            attached_policies: attached(r.attached_managed_policies),
            inline_policies: inline(r.role_policy_list),
            last_used: r.role_last_used.map(|l| RoleLastUsed {
                date: l.last_used_date,
                region: l.region,
            }),
            tags: tags(r.tags),
            ..Role::default()
        });
    }
    for p in d.policies {
        let default = p.default_version_id.clone();
        let document = p
            .policy_version_list
            .into_iter()
            .find(|v| {
                v.is_default_version == Some(true) || (default.is_some() && v.version_id == default)
            })
            .and_then(|v| non_null(policy_document(v.document)));
        out.managed_policies.push(ManagedPolicy {
            name: p.policy_name,
            id: p.policy_id,
            arn: p.arn,
            default_version_id: p.default_version_id,
            attachment_count: p.attachment_count,
            document,
            ..ManagedPolicy::default()
        });
    }
}

pub fn ssh_key(k: raw::SshPublicKey) -> SshPublicKey {
    SshPublicKey {
        id: k.ssh_public_key_id,
        status: k.status.unwrap_or_default(),
        upload_date: k.upload_date,
        fingerprint: k.fingerprint,
        body: k.ssh_public_key_body,
    }
}

pub fn access_key(k: raw::AccessKey) -> AccessKey {
    AccessKey {
        id: k.access_key_id,
        status: k.status.unwrap_or_default(),
        create_date: k.create_date,
        last_used: None,
    }
}

pub fn password_policy(p: raw::PasswordPolicy) -> PasswordPolicy {
    PasswordPolicy {
        minimum_length: p.minimum_password_length,
        require_symbols: p.require_symbols,
        require_numbers: p.require_numbers,
        require_uppercase: p.require_uppercase_characters,
        require_lowercase: p.require_lowercase_characters,
        allow_users_to_change: p.allow_users_to_change_password,
        expire_passwords: p.expire_passwords,
        max_age_days: p.max_password_age,
        reuse_prevention: p.password_reuse_prevention,
        hard_expiry: p.hard_expiry,
        ..PasswordPolicy::default()
    }
}

/// The credential report: base64 CSV in `Content`.
pub fn credential_report(r: raw::CredentialReport) -> Result<Vec<CredentialReportRow>, String> {
    use base64::Engine;
    let Some(content) = r.content else {
        return Ok(Vec::new());
    };
    if let Some(f) = r.report_format.as_deref()
        && !f.eq_ignore_ascii_case("text/csv")
    {
        return Err(format!("report format {f} is not text/csv"));
    }
    let compact: String = content.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| format!("not base64: {e}"))?;
    parse_credential_csv(&String::from_utf8_lossy(&bytes))
}

/// Parses the credential report's CSV text.
pub fn parse_credential_csv(text: &str) -> Result<Vec<CredentialReportRow>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("credential report header: {e}"))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let user_col = col("user").ok_or("credential report has no `user` column")?;
    let cols: Vec<Option<usize>> = [
        "arn",
        "user_creation_time",
        "password_enabled",
        "password_last_used",
        "password_last_changed",
        "password_next_rotation",
        "mfa_active",
        "access_key_1_active",
        "access_key_1_last_rotated",
        "access_key_1_last_used_date",
        "access_key_1_last_used_region",
        "access_key_1_last_used_service",
        "access_key_2_active",
        "access_key_2_last_rotated",
        "access_key_2_last_used_date",
        "access_key_2_last_used_region",
        "access_key_2_last_used_service",
        "cert_1_active",
        "cert_2_active",
    ]
    .iter()
    .map(|c| col(c))
    .collect();
    let mut rows = Vec::new();
    for (n, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("credential report row {}: {e}", n + 2))?;
        let get = |i: usize| -> Option<&str> {
            let v = cols[i].and_then(|c| rec.get(c))?.trim();
            (!matches!(v, "" | "N/A" | "no_information" | "not_supported")).then_some(v)
        };
        let flag = |i: usize| get(i).map(|v| v.eq_ignore_ascii_case("true"));
        let time = |i: usize| -> Result<Option<jiff::Timestamp>, String> {
            match get(i) {
                None => Ok(None),
                Some(v) => crate::time::parse_time(v)
                    .map_err(|e| format!("credential report row {}: {e}", n + 2)),
            }
        };
        let key = |base: usize| -> Result<CredentialReportKey, String> {
            Ok(CredentialReportKey {
                active: flag(base),
                last_rotated: time(base + 1)?,
                last_used_date: time(base + 2)?,
                last_used_region: get(base + 3).map(str::to_string),
                last_used_service: get(base + 4).map(str::to_string),
            })
        };
        rows.push(CredentialReportRow {
            account: None,
            user: rec.get(user_col).unwrap_or_default().to_string(),
            arn: get(0).unwrap_or_default().to_string(),
            user_creation_time: time(1)?,
            password_enabled: flag(2),
            password_last_used: time(3)?,
            password_last_changed: time(4)?,
            password_next_rotation: time(5)?,
            mfa_active: flag(6),
            access_key_1: key(7)?,
            access_key_2: key(12)?,
            cert_1_active: flag(17),
            cert_2_active: flag(18),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_normalise() {
        assert_eq!(normalize_protocol(Some("6")), "tcp");
        assert_eq!(normalize_protocol(Some("TCP")), "tcp");
        assert_eq!(normalize_protocol(Some("all")), "-1");
        assert_eq!(normalize_protocol(None), "-1");
        assert_eq!(normalize_protocol(Some("58")), "icmpv6");
        assert_eq!(normalize_protocol(Some("50")), "50");
    }

    #[test]
    fn gateway_prefixes() {
        assert_eq!(gateway_kind("local"), RouteTarget::Local);
        assert_eq!(gateway_kind("igw-1"), RouteTarget::InternetGateway);
        assert_eq!(gateway_kind("vpce-1"), RouteTarget::VpcEndpoint);
        assert_eq!(gateway_kind("vgw-1"), RouteTarget::Other("vgw".into()));
    }

    #[test]
    fn image_source_instance_from_description() {
        assert_eq!(
            instance_in_description("Created by CreateImage(i-0abc123) for ami-1").as_deref(),
            Some("i-0abc123")
        );
        assert_eq!(instance_in_description("golden image"), None);
    }

    #[test]
    fn policy_documents_decode() {
        let v = policy_document(Value::String(
            "%7B%22Version%22%3A%222012-10-17%22%7D".into(),
        ));
        assert_eq!(v["Version"], "2012-10-17");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn credential_report_rows() {
        let csv = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2024-05-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
bob,arn:aws:iam::111122223333:user/bob,2023-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2023-01-02T00:00:00+00:00,2024-05-04T02:00:00+00:00,us-east-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n";
        let rows = parse_credential_csv(csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].user, "<root_account>");
        assert_eq!(rows[0].password_enabled, None);
        assert_eq!(rows[0].mfa_active, Some(true));
        assert_eq!(rows[1].password_enabled, Some(false));
        assert_eq!(rows[1].access_key_1.active, Some(true));
        assert_eq!(
            rows[1].access_key_1.last_used_service.as_deref(),
            Some("ec2")
        );
        assert_eq!(rows[1].access_key_2.last_rotated, None);
        assert!(parse_credential_csv("nope\n1\n").is_err());
    }
}
