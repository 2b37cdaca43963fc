//! The aws CLI's JSON shapes (the subset the model reads). Every field is optional or defaults to
//! empty, and unknown fields are ignored, so older and newer CLI versions both load.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{Ipv4Net, Ipv6Net};
use jiff::Timestamp;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Parses an optional string field with `FromStr`; absent, null and `""` are None. Reads the
/// text without allocating when it can (a visitor, not an intermediate `String`).
fn de_parse<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: std::fmt::Display,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T> serde::de::Visitor<'de> for V<T>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Option<T>, E> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse()
                .map(Some)
                .map_err(|e| E::custom(format!("{s:?}: {e}")))
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<T>, D2::Error> {
            d.deserialize_str(self)
        }
    }
    d.deserialize_option(V(std::marker::PhantomData))
}

/// A number that some producers write as a string.
fn de_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<i64>, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<i64>, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("{v} is too large")))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Option<i64>, E> {
            Ok(Some(v as i64))
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Option<i64>, E> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse()
                .map(Some)
                .map_err(|_| E::custom(format!("{s:?} is not an integer")))
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<i64>, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(V)
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

// ------------------------------------------------------------------------------------ sts

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct CallerIdentity {
    pub account: Option<String>,
    pub arn: Option<String>,
}

// ------------------------------------------------------------------------------------ instances

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstances {
    pub reservations: Vec<Reservation>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Reservation {
    pub owner_id: Option<String>,
    pub instances: Vec<Instance>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupIdentifier {
    pub group_id: Option<String>,
    pub group_name: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceState {
    pub name: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Placement {
    pub availability_zone: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct IamProfileRef {
    pub arn: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct MetadataOptions {
    pub http_tokens: Option<String>,
    pub http_endpoint: Option<String>,
    #[serde(deserialize_with = "de_int")]
    pub http_put_response_hop_limit: Option<i64>,
    pub http_protocol_ipv6: Option<String>,
    pub instance_metadata_tags: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceBlockDevice {
    pub device_name: Option<String>,
    pub ebs: Option<InstanceEbs>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceEbs {
    pub volume_id: Option<String>,
    pub delete_on_termination: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instance {
    pub instance_id: String,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub launch_time: Option<Timestamp>,
    pub state: Option<InstanceState>,
    pub placement: Option<Placement>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    #[serde(deserialize_with = "de_parse")]
    pub private_ip_address: Option<Ipv4Addr>,
    #[serde(deserialize_with = "de_parse")]
    pub public_ip_address: Option<Ipv4Addr>,
    #[serde(deserialize_with = "de_parse")]
    pub ipv6_address: Option<Ipv6Addr>,
    pub platform: Option<String>,
    pub platform_details: Option<String>,
    pub root_device_type: Option<String>,
    pub root_device_name: Option<String>,
    pub iam_instance_profile: Option<IamProfileRef>,
    pub metadata_options: Option<MetadataOptions>,
    pub security_groups: Vec<GroupIdentifier>,
    pub block_device_mappings: Vec<InstanceBlockDevice>,
    pub network_interfaces: Vec<NetworkInterface>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AttributeValue<T> {
    pub value: Option<T>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceAttribute {
    pub instance_id: Option<String>,
    pub disable_api_termination: Option<AttributeValue<bool>>,
    pub instance_initiated_shutdown_behavior: Option<AttributeValue<String>>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeProfileAssociations {
    pub iam_instance_profile_associations: Vec<ProfileAssociation>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ProfileAssociation {
    pub association_id: Option<String>,
    pub instance_id: Option<String>,
    pub iam_instance_profile: Option<IamProfileRef>,
    pub state: Option<String>,
}

// ------------------------------------------------------------------------------------ ENIs

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeNetworkInterfaces {
    pub network_interfaces: Vec<NetworkInterface>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpAssociation {
    #[serde(deserialize_with = "de_parse")]
    pub public_ip: Option<Ipv4Addr>,
    pub ip_owner_id: Option<String>,
    pub allocation_id: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct EniAttachment {
    pub attachment_id: Option<String>,
    pub instance_id: Option<String>,
    pub instance_owner_id: Option<String>,
    #[serde(deserialize_with = "de_int")]
    pub device_index: Option<i64>,
    pub status: Option<String>,
    pub delete_on_termination: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Address {
    #[serde(deserialize_with = "de_parse")]
    pub ipv6_address: Option<Ipv6Addr>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrivateIpAddress {
    pub primary: Option<bool>,
    #[serde(deserialize_with = "de_parse")]
    pub private_ip_address: Option<Ipv4Addr>,
    pub association: Option<IpAssociation>,
}

/// Both `describe-network-interfaces` items and the interfaces embedded in instances.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkInterface {
    pub network_interface_id: String,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub availability_zone: Option<String>,
    pub description: Option<String>,
    pub interface_type: Option<String>,
    pub owner_id: Option<String>,
    #[serde(deserialize_with = "de_parse")]
    pub private_ip_address: Option<Ipv4Addr>,
    pub source_dest_check: Option<bool>,
    pub requester_managed: Option<bool>,
    pub status: Option<String>,
    pub association: Option<IpAssociation>,
    pub attachment: Option<EniAttachment>,
    pub groups: Vec<GroupIdentifier>,
    pub ipv6_addresses: Vec<Ipv6Address>,
    pub private_ip_addresses: Vec<PrivateIpAddress>,
    pub tag_set: Vec<Tag>,
}

// ------------------------------------------------------------------------------------ SGs

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeSecurityGroups {
    pub security_groups: Vec<SecurityGroup>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityGroup {
    pub group_id: String,
    pub group_name: Option<String>,
    pub description: Option<String>,
    pub vpc_id: Option<String>,
    pub owner_id: Option<String>,
    pub ip_permissions: Vec<IpPermission>,
    pub ip_permissions_egress: Vec<IpPermission>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpPermission {
    pub ip_protocol: Option<String>,
    #[serde(deserialize_with = "de_int")]
    pub from_port: Option<i64>,
    #[serde(deserialize_with = "de_int")]
    pub to_port: Option<i64>,
    pub ip_ranges: Vec<IpRange>,
    pub ipv6_ranges: Vec<Ipv6Range>,
    pub prefix_list_ids: Vec<PrefixListId>,
    pub user_id_group_pairs: Vec<UserIdGroupPair>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpRange {
    #[serde(deserialize_with = "de_parse")]
    pub cidr_ip: Option<Ipv4Net>,
    pub description: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Range {
    #[serde(deserialize_with = "de_parse")]
    pub cidr_ipv6: Option<Ipv6Net>,
    pub description: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixListId {
    pub prefix_list_id: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserIdGroupPair {
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub user_id: Option<String>,
    pub vpc_id: Option<String>,
    pub vpc_peering_connection_id: Option<String>,
    pub peering_status: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeSecurityGroupRules {
    pub security_group_rules: Vec<SecurityGroupRule>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityGroupRule {
    pub security_group_rule_id: Option<String>,
    pub group_id: String,
    pub is_egress: bool,
    pub ip_protocol: Option<String>,
    #[serde(deserialize_with = "de_int")]
    pub from_port: Option<i64>,
    #[serde(deserialize_with = "de_int")]
    pub to_port: Option<i64>,
    #[serde(deserialize_with = "de_parse")]
    pub cidr_ipv4: Option<Ipv4Net>,
    #[serde(deserialize_with = "de_parse")]
    pub cidr_ipv6: Option<Ipv6Net>,
    pub prefix_list_id: Option<String>,
    pub referenced_group_info: Option<UserIdGroupPair>,
    pub description: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribePrefixLists {
    pub prefix_lists: Vec<PrefixList>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixList {
    pub prefix_list_id: String,
    pub prefix_list_name: Option<String>,
    pub address_family: Option<String>,
    pub state: Option<String>,
    pub owner_id: Option<String>,
    #[serde(deserialize_with = "de_int")]
    pub max_entries: Option<i64>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixListEntries {
    pub entries: Vec<PrefixListEntry>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixListEntry {
    #[serde(deserialize_with = "de_parse")]
    pub cidr: Option<ipnet::IpNet>,
    pub description: Option<String>,
}

// ------------------------------------------------------------------------------------ NACLs

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeNetworkAcls {
    pub network_acls: Vec<NetworkAcl>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkAcl {
    pub network_acl_id: String,
    pub vpc_id: Option<String>,
    pub is_default: Option<bool>,
    pub owner_id: Option<String>,
    pub associations: Vec<NaclAssociation>,
    pub entries: Vec<NaclEntry>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct NaclAssociation {
    pub subnet_id: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct NaclEntry {
    #[serde(deserialize_with = "de_int")]
    pub rule_number: Option<i64>,
    pub protocol: Option<String>,
    pub rule_action: Option<String>,
    pub egress: Option<bool>,
    #[serde(deserialize_with = "de_parse")]
    pub cidr_block: Option<Ipv4Net>,
    #[serde(deserialize_with = "de_parse")]
    pub ipv6_cidr_block: Option<Ipv6Net>,
    pub port_range: Option<PortRange>,
    pub icmp_type_code: Option<IcmpTypeCode>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PortRange {
    #[serde(deserialize_with = "de_int")]
    pub from: Option<i64>,
    #[serde(deserialize_with = "de_int")]
    pub to: Option<i64>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct IcmpTypeCode {
    #[serde(deserialize_with = "de_int")]
    pub code: Option<i64>,
    #[serde(deserialize_with = "de_int")]
    pub r#type: Option<i64>,
}

// ------------------------------------------------------------------------------------ VPCs

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeSubnets {
    pub subnets: Vec<Subnet>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct CidrState {
    pub state: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6CidrAssociation {
    #[serde(deserialize_with = "de_parse")]
    pub ipv6_cidr_block: Option<Ipv6Net>,
    pub ipv6_cidr_block_state: Option<CidrState>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct CidrAssociation {
    #[serde(deserialize_with = "de_parse")]
    pub cidr_block: Option<Ipv4Net>,
    pub cidr_block_state: Option<CidrState>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Subnet {
    pub subnet_id: String,
    pub vpc_id: String,
    #[serde(deserialize_with = "de_parse")]
    pub cidr_block: Option<Ipv4Net>,
    pub availability_zone: Option<String>,
    pub map_public_ip_on_launch: Option<bool>,
    pub assign_ipv6_address_on_creation: Option<bool>,
    pub default_for_az: Option<bool>,
    pub state: Option<String>,
    pub owner_id: Option<String>,
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrAssociation>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeVpcs {
    pub vpcs: Vec<Vpc>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Vpc {
    pub vpc_id: String,
    #[serde(deserialize_with = "de_parse")]
    pub cidr_block: Option<Ipv4Net>,
    pub is_default: Option<bool>,
    pub state: Option<String>,
    pub owner_id: Option<String>,
    pub cidr_block_association_set: Vec<CidrAssociation>,
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrAssociation>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeRouteTables {
    pub route_tables: Vec<RouteTable>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTable {
    pub route_table_id: String,
    pub vpc_id: String,
    pub owner_id: Option<String>,
    pub associations: Vec<RouteTableAssociation>,
    pub routes: Vec<Route>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTableAssociation {
    pub main: Option<bool>,
    pub subnet_id: Option<String>,
    pub gateway_id: Option<String>,
    pub association_state: Option<CidrState>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Route {
    #[serde(deserialize_with = "de_parse")]
    pub destination_cidr_block: Option<Ipv4Net>,
    #[serde(deserialize_with = "de_parse")]
    pub destination_ipv6_cidr_block: Option<Ipv6Net>,
    pub destination_prefix_list_id: Option<String>,
    pub gateway_id: Option<String>,
    pub nat_gateway_id: Option<String>,
    pub egress_only_internet_gateway_id: Option<String>,
    pub vpc_peering_connection_id: Option<String>,
    pub transit_gateway_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub instance_id: Option<String>,
    pub carrier_gateway_id: Option<String>,
    pub local_gateway_id: Option<String>,
    pub core_network_arn: Option<String>,
    pub origin: Option<String>,
    pub state: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct GatewayAttachment {
    pub state: Option<String>,
    pub vpc_id: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInternetGateways {
    pub internet_gateways: Vec<InternetGateway>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct InternetGateway {
    pub internet_gateway_id: String,
    pub owner_id: Option<String>,
    pub attachments: Vec<GatewayAttachment>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeEgressOnlyGateways {
    pub egress_only_internet_gateways: Vec<EgressOnlyGateway>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct EgressOnlyGateway {
    pub egress_only_internet_gateway_id: String,
    pub attachments: Vec<GatewayAttachment>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeNatGateways {
    pub nat_gateways: Vec<NatGateway>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct NatGateway {
    pub nat_gateway_id: String,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub state: Option<String>,
    pub connectivity_type: Option<String>,
    pub nat_gateway_addresses: Vec<NatGatewayAddress>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct NatGatewayAddress {
    #[serde(deserialize_with = "de_parse")]
    pub public_ip: Option<Ipv4Addr>,
    #[serde(deserialize_with = "de_parse")]
    pub private_ip: Option<Ipv4Addr>,
    pub allocation_id: Option<String>,
    pub network_interface_id: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribePeerings {
    pub vpc_peering_connections: Vec<Peering>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeeringStatus {
    pub code: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Peering {
    pub vpc_peering_connection_id: String,
    pub status: Option<PeeringStatus>,
    pub accepter_vpc_info: Option<PeeringVpc>,
    pub requester_vpc_info: Option<PeeringVpc>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeeringVpc {
    pub vpc_id: Option<String>,
    pub owner_id: Option<String>,
    pub region: Option<String>,
    #[serde(deserialize_with = "de_parse")]
    pub cidr_block: Option<Ipv4Net>,
    pub cidr_block_set: Vec<CidrAssociation>,
    pub ipv6_cidr_block_set: Vec<Ipv6CidrAssociation>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeAddresses {
    pub addresses: Vec<Address>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Address {
    #[serde(deserialize_with = "de_parse")]
    pub public_ip: Option<Ipv4Addr>,
    pub allocation_id: Option<String>,
    pub association_id: Option<String>,
    pub instance_id: Option<String>,
    pub network_interface_id: Option<String>,
    #[serde(deserialize_with = "de_parse")]
    pub private_ip_address: Option<Ipv4Addr>,
    pub domain: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeFlowLogs {
    pub flow_logs: Vec<FlowLog>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct FlowLog {
    pub flow_log_id: String,
    pub resource_id: Option<String>,
    pub traffic_type: Option<String>,
    pub log_destination_type: Option<String>,
    pub log_destination: Option<String>,
    pub log_group_name: Option<String>,
    pub flow_log_status: Option<String>,
    pub deliver_logs_status: Option<String>,
}

// ------------------------------------------------------------------------------------ keys etc.

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeKeyPairs {
    pub key_pairs: Vec<KeyPair>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyPair {
    pub key_pair_id: Option<String>,
    pub key_fingerprint: Option<String>,
    pub key_name: String,
    pub key_type: Option<String>,
    pub public_key: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_time: Option<Timestamp>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeLaunchTemplates {
    pub launch_templates: Vec<LaunchTemplate>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct LaunchTemplate {
    pub launch_template_id: String,
    pub launch_template_name: Option<String>,
    #[serde(deserialize_with = "de_int")]
    pub default_version_number: Option<i64>,
    #[serde(deserialize_with = "de_int")]
    pub latest_version_number: Option<i64>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_time: Option<Timestamp>,
    pub created_by: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeLaunchTemplateVersions {
    pub launch_template_versions: Vec<LaunchTemplateVersion>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct LaunchTemplateVersion {
    pub launch_template_id: Option<String>,
    #[serde(deserialize_with = "de_int")]
    pub version_number: Option<i64>,
    pub default_version: Option<bool>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_time: Option<Timestamp>,
    pub launch_template_data: Option<LaunchTemplateData>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct LaunchTemplateData {
    pub key_name: Option<String>,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub metadata_options: Option<MetadataOptions>,
    pub iam_instance_profile: Option<IamProfileRef>,
    pub security_group_ids: Vec<String>,
    pub security_groups: Vec<String>,
    pub network_interfaces: Vec<TemplateEni>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct TemplateEni {
    #[serde(deserialize_with = "de_int")]
    pub device_index: Option<i64>,
    pub subnet_id: Option<String>,
    pub associate_public_ip_address: Option<bool>,
    pub groups: Vec<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeVolumes {
    pub volumes: Vec<Volume>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Volume {
    pub volume_id: String,
    #[serde(deserialize_with = "de_int")]
    pub size: Option<i64>,
    pub state: Option<String>,
    pub encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub volume_type: Option<String>,
    pub availability_zone: Option<String>,
    pub snapshot_id: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_time: Option<Timestamp>,
    pub attachments: Vec<VolumeAttachment>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeAttachment {
    pub instance_id: Option<String>,
    pub device: Option<String>,
    pub state: Option<String>,
    pub delete_on_termination: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct EbsDefault {
    pub ebs_encryption_by_default: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImdsDefaults {
    pub account_level: Option<MetadataOptions>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct SerialConsole {
    pub serial_console_access_enabled: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeImages {
    pub images: Vec<Image>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Image {
    pub image_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub owner_id: Option<String>,
    pub public: Option<bool>,
    pub state: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub creation_date: Option<Timestamp>,
    pub block_device_mappings: Vec<ImageBlockDevice>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageBlockDevice {
    pub ebs: Option<ImageEbs>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageEbs {
    pub snapshot_id: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Permission {
    pub group: Option<String>,
    pub user_id: Option<String>,
    pub organization_arn: Option<String>,
    pub organizational_unit_arn: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageAttribute {
    pub image_id: Option<String>,
    pub launch_permissions: Vec<Permission>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeSnapshots {
    pub snapshots: Vec<Snapshot>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Snapshot {
    pub snapshot_id: String,
    pub volume_id: Option<String>,
    pub state: Option<String>,
    pub encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub owner_id: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub start_time: Option<Timestamp>,
    #[serde(deserialize_with = "de_int")]
    pub volume_size: Option<i64>,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct SnapshotAttribute {
    pub snapshot_id: Option<String>,
    pub create_volume_permissions: Vec<Permission>,
}

// ------------------------------------------------------------------------------------ autoscaling

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeAutoScalingGroups {
    pub auto_scaling_groups: Vec<AutoScalingGroup>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct LaunchTemplateSpec {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    pub version: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct MixedInstancesPolicy {
    pub launch_template: Option<MixedLaunchTemplate>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct MixedLaunchTemplate {
    pub launch_template_specification: Option<LaunchTemplateSpec>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AutoScalingGroup {
    pub auto_scaling_group_name: String,
    #[serde(rename = "AutoScalingGroupARN")]
    pub auto_scaling_group_arn: Option<String>,
    pub launch_configuration_name: Option<String>,
    pub launch_template: Option<LaunchTemplateSpec>,
    pub mixed_instances_policy: Option<MixedInstancesPolicy>,
    #[serde(deserialize_with = "de_int")]
    pub min_size: Option<i64>,
    #[serde(deserialize_with = "de_int")]
    pub max_size: Option<i64>,
    #[serde(deserialize_with = "de_int")]
    pub desired_capacity: Option<i64>,
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: Option<String>,
    pub instances: Vec<AsgInstance>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AsgInstance {
    pub instance_id: String,
    pub lifecycle_state: Option<String>,
    pub health_status: Option<String>,
    pub launch_template: Option<LaunchTemplateSpec>,
    pub launch_configuration_name: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeLaunchConfigurations {
    pub launch_configurations: Vec<LaunchConfiguration>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct LaunchConfiguration {
    pub launch_configuration_name: String,
    #[serde(rename = "LaunchConfigurationARN")]
    pub launch_configuration_arn: Option<String>,
    pub key_name: Option<String>,
    pub image_id: Option<String>,
    pub iam_instance_profile: Option<String>,
    pub associate_public_ip_address: Option<bool>,
    pub security_groups: Vec<String>,
    pub metadata_options: Option<MetadataOptions>,
}

// ------------------------------------------------------------------------------------ cloudtrail

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct DescribeTrails {
    #[serde(rename = "trailList")]
    pub trail_list: Vec<Trail>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Trail {
    pub name: String,
    pub s3_bucket_name: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub include_global_service_events: Option<bool>,
    pub is_multi_region_trail: Option<bool>,
    pub home_region: Option<String>,
    #[serde(rename = "TrailARN")]
    pub trail_arn: Option<String>,
    pub log_file_validation_enabled: Option<bool>,
    pub cloud_watch_logs_log_group_arn: Option<String>,
    pub cloud_watch_logs_role_arn: Option<String>,
    pub kms_key_id: Option<String>,
    pub has_custom_event_selectors: Option<bool>,
    pub has_insight_selectors: Option<bool>,
    pub is_organization_trail: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct TrailStatus {
    pub is_logging: Option<bool>,
    pub latest_delivery_error: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub latest_delivery_time: Option<Timestamp>,
    #[serde(deserialize_with = "crate::time::de")]
    pub start_logging_time: Option<Timestamp>,
    #[serde(deserialize_with = "crate::time::de")]
    pub stop_logging_time: Option<Timestamp>,
    #[serde(deserialize_with = "crate::time::de")]
    pub latest_cloud_watch_logs_delivery_time: Option<Timestamp>,
    pub latest_cloud_watch_logs_delivery_error: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub latest_digest_delivery_time: Option<Timestamp>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct EventSelectors {
    #[serde(rename = "TrailARN")]
    pub trail_arn: Option<String>,
    pub event_selectors: Vec<EventSelector>,
    pub advanced_event_selectors: Vec<AdvancedEventSelector>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct EventSelector {
    pub read_write_type: Option<String>,
    pub include_management_events: Option<bool>,
    pub exclude_management_event_sources: Vec<String>,
    pub data_resources: Vec<DataResource>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DataResource {
    pub r#type: Option<String>,
    pub values: Vec<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AdvancedEventSelector {
    pub name: Option<String>,
    pub field_selectors: Vec<FieldSelector>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub not_equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

// ------------------------------------------------------------------------------------ guardduty, ssm

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListDetectors {
    pub detector_ids: Vec<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct Detector {
    pub status: Option<String>,
    pub finding_publishing_frequency: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub created_at: Option<Timestamp>,
    #[serde(deserialize_with = "crate::time::de")]
    pub updated_at: Option<Timestamp>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeInstanceInformation {
    pub instance_information_list: Vec<SsmInstance>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct SsmInstance {
    pub instance_id: String,
    pub ping_status: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub last_ping_date_time: Option<Timestamp>,
    pub agent_version: Option<String>,
    pub platform_type: Option<String>,
    pub resource_type: Option<String>,
}

// ------------------------------------------------------------------------------------ IAM

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AuthorizationDetails {
    pub user_detail_list: Vec<UserDetail>,
    pub group_detail_list: Vec<GroupDetail>,
    pub role_detail_list: Vec<RoleDetail>,
    pub policies: Vec<ManagedPolicyDetail>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AttachedPolicy {
    pub policy_name: Option<String>,
    pub policy_arn: String,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PolicyDetail {
    pub policy_name: String,
    pub policy_document: Value,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserDetail {
    pub user_name: String,
    pub user_id: Option<String>,
    pub arn: String,
    pub path: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_date: Option<Timestamp>,
    pub group_list: Vec<String>,
    pub attached_managed_policies: Vec<AttachedPolicy>,
    pub user_policy_list: Vec<PolicyDetail>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupDetail {
    pub group_name: String,
    pub group_id: Option<String>,
    pub arn: String,
    pub attached_managed_policies: Vec<AttachedPolicy>,
    pub group_policy_list: Vec<PolicyDetail>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct RoleLastUsed {
    #[serde(deserialize_with = "crate::time::de")]
    pub last_used_date: Option<Timestamp>,
    pub region: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct RoleDetail {
    pub role_name: String,
    pub role_id: Option<String>,
    pub arn: String,
    pub path: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_date: Option<Timestamp>,
    pub assume_role_policy_document: Value,
    pub instance_profile_list: Vec<InstanceProfile>,
    pub attached_managed_policies: Vec<AttachedPolicy>,
    pub role_policy_list: Vec<PolicyDetail>,
    pub role_last_used: Option<RoleLastUsed>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PolicyVersion {
    pub document: Value,
    pub version_id: Option<String>,
    pub is_default_version: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ManagedPolicyDetail {
    pub policy_name: String,
    pub policy_id: Option<String>,
    pub arn: String,
    pub default_version_id: Option<String>,
    #[serde(deserialize_with = "de_int")]
    pub attachment_count: Option<i64>,
    pub policy_version_list: Vec<PolicyVersion>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListInstanceProfiles {
    pub instance_profiles: Vec<InstanceProfile>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceProfile {
    pub instance_profile_name: String,
    pub instance_profile_id: Option<String>,
    pub arn: String,
    pub path: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_date: Option<Timestamp>,
    pub roles: Vec<ProfileRole>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ProfileRole {
    pub role_name: String,
    pub arn: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListUsers {
    pub users: Vec<User>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct User {
    pub user_name: String,
    pub user_id: Option<String>,
    pub arn: String,
    pub path: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_date: Option<Timestamp>,
    #[serde(deserialize_with = "crate::time::de")]
    pub password_last_used: Option<Timestamp>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct ListSshPublicKeys {
    #[serde(rename = "SSHPublicKeys")]
    pub keys: Vec<SshPublicKey>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct GetSshPublicKey {
    #[serde(rename = "SSHPublicKey")]
    pub key: Option<SshPublicKey>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct SshPublicKey {
    pub user_name: Option<String>,
    #[serde(rename = "SSHPublicKeyId")]
    pub ssh_public_key_id: String,
    pub status: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub upload_date: Option<Timestamp>,
    pub fingerprint: Option<String>,
    #[serde(rename = "SSHPublicKeyBody")]
    pub ssh_public_key_body: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListAccessKeys {
    pub access_key_metadata: Vec<AccessKey>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AccessKey {
    pub user_name: Option<String>,
    pub access_key_id: String,
    pub status: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_date: Option<Timestamp>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AccessKeyLastUsedOut {
    pub user_name: Option<String>,
    pub access_key_last_used: Option<AccessKeyLastUsed>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct AccessKeyLastUsed {
    #[serde(deserialize_with = "crate::time::de")]
    pub last_used_date: Option<Timestamp>,
    pub service_name: Option<String>,
    pub region: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct ListMfaDevices {
    #[serde(rename = "MFADevices")]
    pub devices: Vec<MfaDevice>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct MfaDevice {
    pub user_name: Option<String>,
    pub serial_number: String,
    #[serde(deserialize_with = "crate::time::de")]
    pub enable_date: Option<Timestamp>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetLoginProfile {
    pub login_profile: Option<LoginProfile>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct LoginProfile {
    pub user_name: Option<String>,
    #[serde(deserialize_with = "crate::time::de")]
    pub create_date: Option<Timestamp>,
    pub password_reset_required: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetPasswordPolicy {
    pub password_policy: Option<PasswordPolicy>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct PasswordPolicy {
    #[serde(deserialize_with = "de_int")]
    pub minimum_password_length: Option<i64>,
    pub require_symbols: Option<bool>,
    pub require_numbers: Option<bool>,
    pub require_uppercase_characters: Option<bool>,
    pub require_lowercase_characters: Option<bool>,
    pub allow_users_to_change_password: Option<bool>,
    pub expire_passwords: Option<bool>,
    #[serde(deserialize_with = "de_int")]
    pub max_password_age: Option<i64>,
    #[serde(deserialize_with = "de_int")]
    pub password_reuse_prevention: Option<i64>,
    pub hard_expiry: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase", default)]
pub struct CredentialReport {
    pub content: Option<String>,
    pub report_format: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct GapEntry {
    pub account: Option<String>,
    pub region: Option<String>,
    pub operation: String,
    pub permission: String,
    pub access_denied: bool,
    pub error_code: Option<String>,
    pub error: String,
}
