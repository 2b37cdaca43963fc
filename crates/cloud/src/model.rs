//! The account model: plain owned structs with public fields, one flat list per resource kind.
//!
//! Every regional resource carries its `region` and `account` (the 12-digit id when the snapshot
//! says it: folder name, `sts-get-caller-identity.json`, or the resource's owner). IAM resources
//! are global and carry only `account`. Ids are AWS's strings. Fields the snapshot did not hold are
//! `None` (or empty lists): "unknown" is never silently turned into `false`.
//!
//! Lookups by id go through the indexes on [`Account`] (see `index.rs`), built by the loader; call
//! [`Account::reindex`] after changing the lists by hand.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::index::Index;

/// Resource tags, key → value.
pub type Tags = BTreeMap<String, String>;

/// Everything trailhound knows about one or more AWS accounts, across regions.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Account {
    /// Account ids seen in the snapshot (folder names, caller identity, owners), sorted.
    pub account_ids: Vec<String>,
    /// Regions that had a folder (or were named by top-level files), sorted.
    pub regions: Vec<String>,

    // EC2: compute
    pub instances: Vec<Instance>,
    pub network_interfaces: Vec<NetworkInterface>,
    pub key_pairs: Vec<KeyPair>,
    pub launch_templates: Vec<LaunchTemplate>,
    pub launch_configurations: Vec<LaunchConfiguration>,
    pub auto_scaling_groups: Vec<AutoScalingGroup>,
    pub images: Vec<Image>,
    pub volumes: Vec<Volume>,
    pub snapshots: Vec<Snapshot>,
    pub addresses: Vec<Address>,

    // EC2: network
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub security_groups: Vec<SecurityGroup>,
    pub prefix_lists: Vec<ManagedPrefixList>,
    pub network_acls: Vec<NetworkAcl>,
    pub route_tables: Vec<RouteTable>,
    pub internet_gateways: Vec<InternetGateway>,
    pub egress_only_internet_gateways: Vec<EgressOnlyInternetGateway>,
    pub nat_gateways: Vec<NatGateway>,
    pub vpc_peering_connections: Vec<VpcPeeringConnection>,
    pub flow_logs: Vec<FlowLog>,

    /// Per-region account settings (EBS default encryption, IMDS defaults, serial console).
    pub region_settings: Vec<RegionSettings>,

    // IAM (global)
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<Role>,
    pub instance_profiles: Vec<InstanceProfile>,
    pub managed_policies: Vec<ManagedPolicy>,
    pub password_policies: Vec<PasswordPolicy>,
    pub credential_report: Vec<CredentialReportRow>,

    // Logging, detection, management
    pub trails: Vec<Trail>,
    pub guardduty_detectors: Vec<GuardDutyDetector>,
    pub ssm_instances: Vec<SsmInstance>,

    /// Calls that failed or were denied when the snapshot was taken (`_gaps.json`).
    pub gaps: Vec<Gap>,

    #[serde(skip)]
    pub(crate) index: Index,
}

// ---------------------------------------------------------------------------------------------
// Instances and their network interfaces

/// An EC2 instance (`ec2 describe-instances`, plus `describe-instance-attribute`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Instance {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    /// `pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`.
    pub state: String,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    pub launch_time: Option<Timestamp>,
    pub image_id: Option<String>,
    pub availability_zone: Option<String>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub private_ip: Option<Ipv4Addr>,
    pub public_ip: Option<Ipv4Addr>,
    /// Every IPv6 address on the instance's interfaces.
    pub ipv6_addresses: Vec<Ipv6Addr>,
    /// ENI ids, in device-index order.
    pub network_interfaces: Vec<String>,
    /// Security groups of the instance (the union over its ENIs).
    pub security_group_ids: Vec<String>,
    pub iam_instance_profile: Option<InstanceProfileRef>,
    pub metadata_options: Option<MetadataOptions>,
    /// `describe-instance-attribute --attribute disableApiTermination`; None when not collected.
    pub disable_api_termination: Option<bool>,
    /// `stop` or `terminate` (`instanceInitiatedShutdownBehavior`); None when not collected.
    pub shutdown_behavior: Option<String>,
    /// `ebs` or `instance-store`.
    pub root_device_type: Option<String>,
    pub root_device_name: Option<String>,
    /// `windows` for Windows, None for Linux/UNIX (as EC2 reports it).
    pub platform: Option<String>,
    pub platform_details: Option<String>,
    pub block_devices: Vec<BlockDevice>,
    pub tags: Tags,
}

/// The instance profile an instance runs with.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct InstanceProfileRef {
    pub arn: String,
    /// The profile's id (`AIPA...`).
    pub id: Option<String>,
    /// `iip-assoc-...`, when the snapshot holds the association.
    pub association_id: Option<String>,
}

/// Instance metadata service settings (instances, launch templates, launch configurations).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct MetadataOptions {
    /// `required` (IMDSv2 only) or `optional` (IMDSv1 allowed).
    pub http_tokens: Option<String>,
    /// `enabled` or `disabled`.
    pub http_endpoint: Option<String>,
    pub hop_limit: Option<i64>,
    pub http_protocol_ipv6: Option<String>,
    pub instance_metadata_tags: Option<String>,
}

impl MetadataOptions {
    /// True when IMDSv1 is reachable: the endpoint is not disabled and tokens are not required.
    pub fn allows_imdsv1(&self) -> bool {
        self.http_endpoint.as_deref() != Some("disabled")
            && self.http_tokens.as_deref() != Some("required")
    }
}

/// An EBS volume mapped on an instance.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct BlockDevice {
    pub device_name: Option<String>,
    pub volume_id: Option<String>,
    pub delete_on_termination: Option<bool>,
}

/// An elastic network interface (`ec2 describe-network-interfaces`; interfaces only seen inside
/// `describe-instances` are added from there with `from_instance_only` set).
#[derive(Clone, Debug, Default, Serialize)]
pub struct NetworkInterface {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub availability_zone: Option<String>,
    pub description: Option<String>,
    /// `interface`, `nat_gateway`, `vpc_endpoint`, `lambda`, ...
    pub interface_type: Option<String>,
    pub owner_id: Option<String>,
    pub status: Option<String>,
    pub requester_managed: Option<bool>,
    pub attachment: Option<EniAttachment>,
    /// The primary private IPv4 address.
    pub private_ip: Option<Ipv4Addr>,
    pub private_ips: Vec<PrivateIp>,
    pub ipv6_addresses: Vec<Ipv6Addr>,
    /// Public IPv4 of the primary address (auto-assigned or Elastic IP).
    pub public_ip: Option<Ipv4Addr>,
    /// `amazon` for an auto-assigned public IP, an account id for an Elastic IP.
    pub public_ip_owner: Option<String>,
    /// The Elastic IP allocation, when known.
    pub allocation_id: Option<String>,
    pub security_group_ids: Vec<String>,
    pub source_dest_check: Option<bool>,
    /// True when the interface was only seen embedded in `describe-instances`.
    pub from_instance_only: bool,
    pub tags: Tags,
}

/// Where an ENI is attached.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct EniAttachment {
    pub attachment_id: Option<String>,
    pub instance_id: Option<String>,
    pub instance_owner_id: Option<String>,
    pub device_index: Option<i64>,
    pub status: Option<String>,
    pub delete_on_termination: Option<bool>,
}

/// One private IPv4 address of an ENI and its public association.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PrivateIp {
    pub address: Ipv4Addr,
    pub primary: bool,
    pub public_ip: Option<Ipv4Addr>,
}

// ---------------------------------------------------------------------------------------------
// Security groups, prefix lists, NACLs

/// A security group with its rules, one [`SgRule`] per source (AWS groups several sources in one
/// permission; the model splits them so each rule has exactly one source).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub vpc_id: Option<String>,
    pub owner_id: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
    pub tags: Tags,
}

/// One normalised security group rule.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct SgRule {
    /// `-1` (all), `tcp`, `udp`, `icmp`, `icmpv6`, or another IP protocol number as a string.
    pub protocol: String,
    /// For tcp/udp the first port; for icmp the ICMP type (-1 = all). None for protocol `-1`.
    pub from_port: Option<i32>,
    /// For tcp/udp the last port; for icmp the ICMP code (-1 = all). None for protocol `-1`.
    pub to_port: Option<i32>,
    pub source: RuleSource,
    pub description: Option<String>,
    /// `sgr-...`, when `describe-security-group-rules` was in the snapshot.
    pub rule_id: Option<String>,
}

impl SgRule {
    /// True when the rule admits `port` of `protocol` (`tcp`/`udp`): all-traffic rules, and
    /// tcp/udp rules whose range holds the port.
    pub fn covers_port(&self, protocol: &str, port: u16) -> bool {
        if self.protocol == "-1" {
            return true;
        }
        if self.protocol != protocol {
            return false;
        }
        match (self.from_port, self.to_port) {
            (Some(from), Some(to)) => from <= i32::from(port) && i32::from(port) <= to,
            // tcp/udp without ports never happens on AWS; treat as all ports.
            _ => true,
        }
    }
}

/// Where a security group rule admits traffic from (ingress) or to (egress).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum RuleSource {
    Cidr4(Ipv4Net),
    Cidr6(Ipv6Net),
    /// Another security group (possibly in another account or a peered VPC).
    Group {
        group_id: Option<String>,
        group_name: Option<String>,
        user_id: Option<String>,
        vpc_id: Option<String>,
        peering_connection_id: Option<String>,
        peering_status: Option<String>,
    },
    PrefixList(String),
}

impl Default for RuleSource {
    fn default() -> Self {
        RuleSource::Cidr4(Ipv4Net::default())
    }
}

impl RuleSource {
    /// True for `0.0.0.0/0` and `::/0`.
    pub fn is_anywhere(&self) -> bool {
        match self {
            RuleSource::Cidr4(n) => n.prefix_len() == 0,
            RuleSource::Cidr6(n) => n.prefix_len() == 0,
            _ => false,
        }
    }
}

/// A customer- or AWS-managed prefix list with its entries.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ManagedPrefixList {
    pub id: String,
    pub name: Option<String>,
    /// `IPv4` or `IPv6`.
    pub address_family: Option<String>,
    pub owner_id: Option<String>,
    pub state: Option<String>,
    pub max_entries: Option<i64>,
    pub region: String,
    pub account: Option<String>,
    /// Entries from `get-managed-prefix-list-entries`; `entries_known` is false when that file
    /// was absent.
    pub entries: Vec<PrefixListEntry>,
    pub entries_known: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PrefixListEntry {
    pub cidr: IpNet,
    pub description: Option<String>,
}

/// A network ACL.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NetworkAcl {
    pub id: String,
    pub vpc_id: Option<String>,
    pub is_default: bool,
    pub owner_id: Option<String>,
    pub region: String,
    pub account: Option<String>,
    /// Subnets explicitly associated.
    pub subnet_ids: Vec<String>,
    /// Entries sorted by (egress, rule_number): evaluation order within each direction.
    pub entries: Vec<NaclEntry>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct NaclEntry {
    /// 1..=32766; 32767 is the implicit `*` deny.
    pub rule_number: i32,
    pub egress: bool,
    /// Normalised like [`SgRule::protocol`].
    pub protocol: String,
    pub action: NaclAction,
    pub cidr_v4: Option<Ipv4Net>,
    pub cidr_v6: Option<Ipv6Net>,
    /// Inclusive port range (tcp/udp).
    pub port_range: Option<(i32, i32)>,
    /// ICMP (type, code); -1 = all.
    pub icmp_type_code: Option<(i32, i32)>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NaclAction {
    Allow,
    #[default]
    Deny,
}

// ---------------------------------------------------------------------------------------------
// VPC plumbing

#[derive(Clone, Debug, Default, Serialize)]
pub struct Vpc {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub owner_id: Option<String>,
    /// Every associated IPv4 CIDR (primary first).
    pub cidrs_v4: Vec<Ipv4Net>,
    pub cidrs_v6: Vec<Ipv6Net>,
    pub is_default: bool,
    pub state: Option<String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub region: String,
    pub account: Option<String>,
    pub owner_id: Option<String>,
    pub cidr_v4: Option<Ipv4Net>,
    pub cidrs_v6: Vec<Ipv6Net>,
    pub availability_zone: Option<String>,
    pub map_public_ip_on_launch: bool,
    pub assign_ipv6_on_creation: bool,
    pub default_for_az: bool,
    pub state: Option<String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    pub region: String,
    pub account: Option<String>,
    pub owner_id: Option<String>,
    /// The VPC's main route table (used by subnets without an explicit association).
    pub main: bool,
    /// Subnets explicitly associated.
    pub subnet_ids: Vec<String>,
    /// Gateways associated (edge association for ingress routing).
    pub gateway_ids: Vec<String>,
    pub routes: Vec<Route>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Route {
    pub destination: RouteDestination,
    pub target: RouteTarget,
    /// The target's id (`local` for the local route).
    pub target_id: String,
    pub state: RouteState,
    /// `CreateRouteTable`, `CreateRoute`, `EnableVgwRoutePropagation`.
    pub origin: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum RouteDestination {
    Cidr4(Ipv4Net),
    Cidr6(Ipv6Net),
    PrefixList(String),
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum RouteTarget {
    InternetGateway,
    EgressOnlyInternetGateway,
    NatGateway,
    VpcPeering,
    TransitGateway,
    NetworkInterface,
    Instance,
    Local,
    VpcEndpoint,
    /// Anything else (virtual private gateway, carrier gateway, ...), with the id's prefix.
    Other(String),
}

#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RouteState {
    #[default]
    Active,
    Blackhole,
}

/// A gateway's attachment to a VPC.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct GatewayAttachment {
    pub vpc_id: String,
    /// `available`/`attached`, `attaching`, `detaching`, `detached`.
    pub state: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct InternetGateway {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub owner_id: Option<String>,
    pub attachments: Vec<GatewayAttachment>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct EgressOnlyInternetGateway {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub attachments: Vec<GatewayAttachment>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct NatGateway {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub state: Option<String>,
    /// `public` or `private`.
    pub connectivity_type: Option<String>,
    pub addresses: Vec<NatGatewayAddress>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct NatGatewayAddress {
    pub public_ip: Option<Ipv4Addr>,
    pub private_ip: Option<Ipv4Addr>,
    pub allocation_id: Option<String>,
    pub network_interface_id: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct VpcPeeringConnection {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    /// `active`, `pending-acceptance`, `deleted`, ...
    pub status: Option<String>,
    pub requester: PeeringSide,
    pub accepter: PeeringSide,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct PeeringSide {
    pub vpc_id: Option<String>,
    pub owner_id: Option<String>,
    pub region: Option<String>,
    pub cidrs_v4: Vec<Ipv4Net>,
    pub cidrs_v6: Vec<Ipv6Net>,
}

/// An Elastic IP (`ec2 describe-addresses`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Address {
    pub public_ip: Option<Ipv4Addr>,
    pub allocation_id: Option<String>,
    pub association_id: Option<String>,
    pub instance_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub private_ip: Option<Ipv4Addr>,
    /// `vpc` or `standard`.
    pub domain: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub tags: Tags,
}

/// A VPC flow log.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FlowLog {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    /// The VPC, subnet or ENI it watches.
    pub resource_id: Option<String>,
    /// `ACCEPT`, `REJECT`, `ALL`.
    pub traffic_type: Option<String>,
    pub log_destination_type: Option<String>,
    pub log_destination: Option<String>,
    pub log_group_name: Option<String>,
    /// `ACTIVE` when flowing.
    pub status: Option<String>,
    pub deliver_logs_status: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Keys, templates, scaling, images, storage

/// An EC2 key pair (`ec2 describe-key-pairs --include-public-key`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct KeyPair {
    pub name: String,
    pub id: Option<String>,
    pub region: String,
    pub account: Option<String>,
    /// `rsa` or `ed25519`.
    pub key_type: Option<String>,
    /// As EC2 prints it (MD5 of the DER public key for imported keys, SHA-1 of the private key for
    /// keys EC2 created, SHA-256 base64 for ed25519).
    pub fingerprint: Option<String>,
    pub create_time: Option<Timestamp>,
    /// The OpenSSH public key line, when collected with `--include-public-key`.
    pub public_key: Option<String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct LaunchTemplate {
    pub id: String,
    pub name: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub default_version: Option<i64>,
    pub latest_version: Option<i64>,
    pub create_time: Option<Timestamp>,
    pub created_by: Option<String>,
    /// From `describe-launch-template-versions-<id>.json`, sorted by number; empty when absent.
    pub versions: Vec<LaunchTemplateVersion>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct LaunchTemplateVersion {
    pub number: i64,
    pub is_default: bool,
    pub create_time: Option<Timestamp>,
    pub key_name: Option<String>,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub metadata_options: Option<MetadataOptions>,
    pub iam_instance_profile: Option<ProfileSpec>,
    pub security_group_ids: Vec<String>,
    pub security_group_names: Vec<String>,
    pub network_interfaces: Vec<TemplateNetworkInterface>,
}

/// An instance profile named by ARN or name (launch templates, launch configurations).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ProfileSpec {
    pub arn: Option<String>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct TemplateNetworkInterface {
    pub device_index: Option<i64>,
    pub subnet_id: Option<String>,
    pub associate_public_ip: Option<bool>,
    pub security_group_ids: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct LaunchConfiguration {
    pub name: String,
    pub arn: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub key_name: Option<String>,
    pub image_id: Option<String>,
    /// Name or ARN, as Auto Scaling keeps it.
    pub iam_instance_profile: Option<String>,
    pub associate_public_ip: Option<bool>,
    pub security_groups: Vec<String>,
    pub metadata_options: Option<MetadataOptions>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct AutoScalingGroup {
    pub name: String,
    pub arn: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub launch_configuration_name: Option<String>,
    /// The group's launch template (directly or through a mixed instances policy).
    pub launch_template: Option<LaunchTemplateSpec>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub desired_capacity: Option<i64>,
    pub subnet_ids: Vec<String>,
    pub instances: Vec<AsgInstance>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LaunchTemplateSpec {
    pub id: Option<String>,
    pub name: Option<String>,
    /// A number, `$Default` or `$Latest`.
    pub version: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct AsgInstance {
    pub instance_id: String,
    pub lifecycle_state: Option<String>,
    pub health_status: Option<String>,
    pub launch_template: Option<LaunchTemplateSpec>,
    pub launch_configuration_name: Option<String>,
}

/// Who may launch an AMI or create a volume from a snapshot.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Permission {
    /// `all` means public.
    pub group: Option<String>,
    pub user_id: Option<String>,
    pub organization_arn: Option<String>,
    pub organizational_unit_arn: Option<String>,
}

/// An AMI owned by the account.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub region: String,
    pub account: Option<String>,
    pub owner_id: Option<String>,
    pub public: Option<bool>,
    pub state: Option<String>,
    pub creation_date: Option<Timestamp>,
    /// The instance it was made from, when the description (`Created by CreateImage(i-...)`) or a
    /// tag (`SourceInstanceId`, `aws:ec2:source-instance-id`) says so.
    pub source_instance_id: Option<String>,
    pub snapshot_ids: Vec<String>,
    /// From `describe-image-attribute-<id>-launchPermission.json`; `launch_permissions_known`
    /// is false when that file was absent.
    pub launch_permissions: Vec<Permission>,
    pub launch_permissions_known: bool,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Volume {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub size_gib: Option<i64>,
    pub state: Option<String>,
    pub encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub volume_type: Option<String>,
    pub availability_zone: Option<String>,
    pub snapshot_id: Option<String>,
    pub create_time: Option<Timestamp>,
    pub attachments: Vec<VolumeAttachment>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct VolumeAttachment {
    pub instance_id: Option<String>,
    pub device: Option<String>,
    pub state: Option<String>,
    pub delete_on_termination: Option<bool>,
}

/// An EBS snapshot owned by the account.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub volume_id: Option<String>,
    pub state: Option<String>,
    pub encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub owner_id: Option<String>,
    pub start_time: Option<Timestamp>,
    pub volume_size_gib: Option<i64>,
    pub description: Option<String>,
    /// From `describe-snapshot-attribute-<id>-createVolumePermission.json`.
    pub create_volume_permissions: Vec<Permission>,
    pub permissions_known: bool,
    pub tags: Tags,
}

/// Account settings that apply per region.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegionSettings {
    pub region: String,
    pub account: Option<String>,
    /// `ec2 get-ebs-encryption-by-default`.
    pub ebs_encryption_by_default: Option<bool>,
    /// `ec2 get-instance-metadata-defaults` (account level); None when not collected.
    pub imds_defaults: Option<MetadataOptions>,
    /// `ec2 get-serial-console-access-status`.
    pub serial_console_access: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// IAM

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct AttachedPolicy {
    pub name: Option<String>,
    pub arn: String,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct InlinePolicy {
    pub name: String,
    /// The policy document as JSON (decoded from IAM's URL encoding when needed).
    pub document: Value,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct User {
    pub name: String,
    pub id: Option<String>,
    pub arn: String,
    pub path: Option<String>,
    pub account: Option<String>,
    pub create_date: Option<Timestamp>,
    /// The console password (login profile); None both when there is none and when unknown —
    /// `login_profile_known` tells which.
    pub login_profile: Option<LoginProfile>,
    pub login_profile_known: bool,
    pub password_last_used: Option<Timestamp>,
    pub mfa_devices: Vec<MfaDevice>,
    pub mfa_known: bool,
    pub access_keys: Vec<AccessKey>,
    pub access_keys_known: bool,
    pub ssh_public_keys: Vec<SshPublicKey>,
    pub ssh_keys_known: bool,
    pub groups: Vec<String>,
    pub attached_policies: Vec<AttachedPolicy>,
    pub inline_policies: Vec<InlinePolicy>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LoginProfile {
    pub create_date: Option<Timestamp>,
    pub password_reset_required: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct MfaDevice {
    pub serial_number: String,
    pub enable_date: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub create_date: Option<Timestamp>,
    pub last_used: Option<AccessKeyLastUsed>,
}

impl AccessKey {
    pub fn is_active(&self) -> bool {
        self.status.eq_ignore_ascii_case("active")
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct AccessKeyLastUsed {
    /// None: never used.
    pub date: Option<Timestamp>,
    pub service_name: Option<String>,
    pub region: Option<String>,
}

/// An SSH public key uploaded to IAM (for CodeCommit or EC2 Instance Connect style tooling).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct SshPublicKey {
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub upload_date: Option<Timestamp>,
    /// Only from `iam get-ssh-public-key` output (not part of the list call).
    pub fingerprint: Option<String>,
    pub body: Option<String>,
}

impl SshPublicKey {
    pub fn is_active(&self) -> bool {
        self.status.eq_ignore_ascii_case("active")
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Group {
    pub name: String,
    pub id: Option<String>,
    pub arn: String,
    pub account: Option<String>,
    pub attached_policies: Vec<AttachedPolicy>,
    pub inline_policies: Vec<InlinePolicy>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Role {
    pub name: String,
    pub id: Option<String>,
    pub arn: String,
    pub path: Option<String>,
    pub account: Option<String>,
    pub create_date: Option<Timestamp>,
    pub trust_policy: Option<Value>,
    pub attached_policies: Vec<AttachedPolicy>,
    pub inline_policies: Vec<InlinePolicy>,
    pub last_used: Option<RoleLastUsed>,
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct RoleLastUsed {
    pub date: Option<Timestamp>,
    pub region: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct InstanceProfile {
    pub name: String,
    pub id: Option<String>,
    pub arn: String,
    pub path: Option<String>,
    pub account: Option<String>,
    pub create_date: Option<Timestamp>,
    /// Role names (a profile holds at most one role on AWS).
    pub roles: Vec<String>,
    pub role_arns: Vec<String>,
}

/// A customer-managed (or AWS-managed, when listed) policy with its default version's document.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub id: Option<String>,
    pub arn: String,
    pub account: Option<String>,
    pub default_version_id: Option<String>,
    pub attachment_count: Option<i64>,
    pub document: Option<Value>,
}

/// `iam get-account-password-policy`; absent when the account has none.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PasswordPolicy {
    pub account: Option<String>,
    pub minimum_length: Option<i64>,
    pub require_symbols: Option<bool>,
    pub require_numbers: Option<bool>,
    pub require_uppercase: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub allow_users_to_change: Option<bool>,
    pub expire_passwords: Option<bool>,
    pub max_age_days: Option<i64>,
    pub reuse_prevention: Option<i64>,
    pub hard_expiry: Option<bool>,
}

/// One row of the IAM credential report. `N/A`, `no_information` and `not_supported` become None.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CredentialReportRow {
    pub account: Option<String>,
    /// `<root_account>` for the root user.
    pub user: String,
    pub arn: String,
    pub user_creation_time: Option<Timestamp>,
    pub password_enabled: Option<bool>,
    pub password_last_used: Option<Timestamp>,
    pub password_last_changed: Option<Timestamp>,
    pub password_next_rotation: Option<Timestamp>,
    pub mfa_active: Option<bool>,
    pub access_key_1: CredentialReportKey,
    pub access_key_2: CredentialReportKey,
    pub cert_1_active: Option<bool>,
    pub cert_2_active: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CredentialReportKey {
    pub active: Option<bool>,
    pub last_rotated: Option<Timestamp>,
    pub last_used_date: Option<Timestamp>,
    pub last_used_region: Option<String>,
    pub last_used_service: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// CloudTrail, GuardDuty, SSM, gaps

/// A CloudTrail trail, with its status and event selectors when collected.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Trail {
    pub name: String,
    pub arn: Option<String>,
    /// The region folder the trail was listed in.
    pub region: String,
    pub home_region: Option<String>,
    pub account: Option<String>,
    pub s3_bucket: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub is_multi_region: Option<bool>,
    pub include_global_service_events: Option<bool>,
    pub log_file_validation: Option<bool>,
    pub kms_key_id: Option<String>,
    pub cloudwatch_logs_log_group_arn: Option<String>,
    pub cloudwatch_logs_role_arn: Option<String>,
    pub is_organization: Option<bool>,
    pub has_custom_event_selectors: Option<bool>,
    pub has_insight_selectors: Option<bool>,
    pub status: Option<TrailStatus>,
    pub event_selectors: Vec<EventSelector>,
    pub advanced_event_selectors: Vec<AdvancedEventSelector>,
    /// True when `get-event-selectors-<name>.json` was in the snapshot.
    pub selectors_known: bool,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct TrailStatus {
    pub is_logging: Option<bool>,
    pub latest_delivery_time: Option<Timestamp>,
    pub latest_delivery_error: Option<String>,
    pub start_logging_time: Option<Timestamp>,
    pub stop_logging_time: Option<Timestamp>,
    pub latest_cloudwatch_logs_delivery_time: Option<Timestamp>,
    pub latest_cloudwatch_logs_delivery_error: Option<String>,
    pub latest_digest_delivery_time: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct EventSelector {
    /// `All`, `ReadOnly`, `WriteOnly`.
    pub read_write_type: Option<String>,
    pub include_management_events: Option<bool>,
    pub exclude_management_event_sources: Vec<String>,
    pub data_resources: Vec<DataResource>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DataResource {
    pub resource_type: String,
    pub values: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct AdvancedEventSelector {
    pub name: Option<String>,
    pub field_selectors: Vec<FieldSelector>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub not_equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct GuardDutyDetector {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    /// `ENABLED` or `DISABLED`; None when only the id was listed.
    pub status: Option<String>,
    pub finding_publishing_frequency: Option<String>,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
}

/// An instance registered with Systems Manager (`ssm describe-instance-information`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SsmInstance {
    pub instance_id: String,
    pub region: String,
    pub account: Option<String>,
    /// `Online`, `ConnectionLost`, `Inactive`.
    pub ping_status: Option<String>,
    pub last_ping: Option<Timestamp>,
    pub agent_version: Option<String>,
    pub platform_type: Option<String>,
    pub resource_type: Option<String>,
}

/// A call that did not give its data when the snapshot was taken (`_gaps.json`).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Gap {
    pub account: Option<String>,
    pub region: Option<String>,
    /// `service cli-operation`, e.g. `ec2 describe-instances`.
    pub operation: String,
    /// The IAM permission the call needs, e.g. `ec2:DescribeInstances`.
    pub permission: String,
    pub access_denied: bool,
    pub error_code: Option<String>,
    pub error: String,
}
