//! Plain input: what [`crate::Network::build`] compiles. Field names follow the EC2 API so that a
//! snapshot maps over one to one; tests and benches build these by hand.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

#[derive(Clone, Debug, Default)]
pub struct NetworkInput {
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub network_acls: Vec<NetworkAcl>,
    pub security_groups: Vec<SecurityGroup>,
    pub interfaces: Vec<Interface>,
    pub instances: Vec<Instance>,
    pub internet_gateways: Vec<Gateway>,
    pub egress_only_gateways: Vec<Gateway>,
    pub nat_gateways: Vec<NatGateway>,
    pub peerings: Vec<Peering>,
    pub prefix_lists: Vec<PrefixList>,
}

#[derive(Clone, Debug, Default)]
pub struct Vpc {
    pub id: String,
    pub owner_id: String,
    pub region: String,
    pub cidrs_v4: Vec<Ipv4Net>,
    pub cidrs_v6: Vec<Ipv6Net>,
}

#[derive(Clone, Debug, Default)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub cidr_v4: Option<Ipv4Net>,
    pub cidrs_v6: Vec<Ipv6Net>,
}

#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    /// The VPC's main route table: used by every subnet without an explicit association (R1).
    pub main: bool,
    /// Subnets explicitly associated.
    pub subnet_ids: Vec<String>,
    /// Gateways with an edge association (ingress routing, R5).
    pub gateway_ids: Vec<String>,
    pub routes: Vec<Route>,
}

#[derive(Clone, Debug)]
pub struct Route {
    pub destination: RouteDestination,
    /// `local`, or the id of the target: `igw-`, `eigw-`, `nat-`, `pcx-`, `tgw-`, `vgw-`, `eni-`,
    /// `i-`, `vpce-`, …
    pub target: String,
    /// Propagated routes lose to static ones for the same prefix (R2).
    pub propagated: bool,
    /// False for a blackhole route (its target is gone): matching traffic is dropped.
    pub active: bool,
}

#[derive(Clone, Debug)]
pub enum RouteDestination {
    Cidr(IpNet),
    PrefixList(String),
}

#[derive(Clone, Debug, Default)]
pub struct NetworkAcl {
    pub id: String,
    pub vpc_id: String,
    pub is_default: bool,
    pub subnet_ids: Vec<String>,
    pub entries: Vec<NaclEntry>,
}

#[derive(Clone, Debug)]
pub struct NaclEntry {
    pub rule_number: u32,
    pub egress: bool,
    /// `-1`, a number, or a name.
    pub protocol: String,
    pub allow: bool,
    pub cidr: IpNet,
    pub port_range: Option<(u16, u16)>,
    /// ICMP (type, code), -1 meaning all.
    pub icmp: Option<(i32, i32)>,
}

#[derive(Clone, Debug, Default)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
    pub owner_id: String,
    pub inbound: Vec<Permission>,
    pub outbound: Vec<Permission>,
}

/// One IpPermission: a protocol and port range with any number of peers.
#[derive(Clone, Debug, Default)]
pub struct Permission {
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub ipv4: Vec<Ipv4Net>,
    pub ipv6: Vec<Ipv6Net>,
    pub prefix_lists: Vec<String>,
    pub groups: Vec<GroupRef>,
    /// The rule's id (`sgr-…`) or description, shown with the rule.
    pub label: Option<String>,
}

/// A security group as a rule's peer (UserIdGroupPair).
#[derive(Clone, Debug, Default)]
pub struct GroupRef {
    pub group_id: String,
    pub user_id: Option<String>,
    pub vpc_id: Option<String>,
    pub peering_id: Option<String>,
    /// As described on the pair (`active`, `deleted`, …), when AWS gives it.
    pub peering_status: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Interface {
    pub id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub instance_id: Option<String>,
    pub private_ipv4: Vec<PrivateIpv4>,
    pub ipv6: Vec<Ipv6Addr>,
    pub group_ids: Vec<String>,
    /// `interface`, `nat_gateway`, `network_load_balancer`, …
    pub interface_type: String,
    pub description: String,
}

#[derive(Clone, Debug)]
pub struct PrivateIpv4 {
    pub address: Ipv4Addr,
    pub public: Option<PublicIpv4>,
}

#[derive(Clone, Debug)]
pub struct PublicIpv4 {
    pub address: Ipv4Addr,
    /// An Elastic IP (it has an allocation id) rather than an auto-assigned public IP.
    pub elastic: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Instance {
    pub id: String,
    pub name: Option<String>,
    pub state: String,
    /// The primary interface (device index 0) first.
    pub interface_ids: Vec<String>,
}

/// An internet gateway or egress-only internet gateway and the VPCs it is attached to.
#[derive(Clone, Debug, Default)]
pub struct Gateway {
    pub id: String,
    pub vpc_ids: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct NatGateway {
    pub id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    /// `public` or `private` connectivity.
    pub public: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Peering {
    pub id: String,
    /// `active`, `pending-acceptance`, `deleted`, …
    pub status: String,
    pub requester: PeeringSide,
    pub accepter: PeeringSide,
}

#[derive(Clone, Debug, Default)]
pub struct PeeringSide {
    pub vpc_id: String,
    pub owner_id: String,
    pub region: String,
}

#[derive(Clone, Debug, Default)]
pub struct PrefixList {
    pub id: String,
    pub name: String,
    pub cidrs: Vec<IpNet>,
    pub max_entries: Option<u32>,
}
