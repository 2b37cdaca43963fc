//! O(1) lookups over an [`Account`]: maps from ids to positions in its lists, built once by the
//! loader (or [`Account::reindex`]).

use foldhash::HashMap;
use rayon::prelude::*;

use crate::model::*;

/// Positions in the account's lists, by id.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    instance: HashMap<String, usize>,
    eni: HashMap<String, usize>,
    enis_of_instance: HashMap<String, Vec<usize>>,
    sg: HashMap<String, usize>,
    subnet: HashMap<String, usize>,
    vpc: HashMap<String, usize>,
    nacl: HashMap<String, usize>,
    nacl_of_subnet: HashMap<String, usize>,
    default_nacl_of_vpc: HashMap<String, usize>,
    route_table: HashMap<String, usize>,
    route_table_of_subnet: HashMap<String, usize>,
    main_route_table_of_vpc: HashMap<String, usize>,
    prefix_list: HashMap<String, usize>,
    igw: HashMap<String, usize>,
    nat: HashMap<String, usize>,
    peering: HashMap<String, usize>,
    /// Key pairs by name, in list order (a name is in few regions and accounts).
    key_pairs_by_name: HashMap<String, Vec<usize>>,
    /// key name → instances launched with it (every region and account).
    instances_by_key: HashMap<String, Vec<usize>>,
    /// security group → instances with an ENI in it.
    instances_by_sg: HashMap<String, Vec<usize>>,
    launch_template: HashMap<String, usize>,
    image: HashMap<String, usize>,
    volume: HashMap<String, usize>,
    user_by_name: HashMap<String, usize>,
    user_by_arn: HashMap<String, usize>,
    group_by_name: HashMap<String, usize>,
    role_by_name: HashMap<String, usize>,
    role_by_arn: HashMap<String, usize>,
    profile_by_arn: HashMap<String, usize>,
    profile_by_name: HashMap<String, usize>,
    policy_by_arn: HashMap<String, usize>,
    ssm_instance: HashMap<String, usize>,
    region_settings: HashMap<(Option<String>, String), usize>,
}

fn positions<T>(items: &[T], key: impl Fn(&T) -> &str) -> HashMap<String, usize> {
    let mut map = HashMap::with_capacity_and_hasher(items.len(), Default::default());
    for (i, item) in items.iter().enumerate() {
        // The first one wins when the same id appears twice (a resource listed in two folders).
        map.entry(key(item).to_string()).or_insert(i);
    }
    map
}

impl Index {
    /// Built in three parts at once (the instance, interface and volume maps are the large ones
    /// on a large account).
    fn build(a: &Account) -> Index {
        let (mut ix, ((eni, instances_by_sg), (enis_of_instance, instances_by_key))) = rayon::join(
            || Index::build_rest(a),
            || {
                rayon::join(
                    || {
                        let eni = positions(&a.network_interfaces, |n| &n.id);
                        let by_sg = instances_by_sg(a, &eni);
                        (eni, by_sg)
                    },
                    || (enis_of_instance(a), instances_by_key(a)),
                )
            },
        );
        ix.eni = eni;
        ix.instances_by_sg = instances_by_sg;
        ix.enis_of_instance = enis_of_instance;
        ix.instances_by_key = instances_by_key;
        ix
    }

    /// Every map but those [`Index::build`] builds beside it.
    fn build_rest(a: &Account) -> Index {
        let mut ix = Index {
            instance: positions(&a.instances, |i| &i.id),
            sg: positions(&a.security_groups, |g| &g.id),
            subnet: positions(&a.subnets, |s| &s.id),
            vpc: positions(&a.vpcs, |v| &v.id),
            nacl: positions(&a.network_acls, |n| &n.id),
            route_table: positions(&a.route_tables, |r| &r.id),
            prefix_list: positions(&a.prefix_lists, |p| &p.id),
            igw: positions(&a.internet_gateways, |g| &g.id),
            nat: positions(&a.nat_gateways, |g| &g.id),
            peering: positions(&a.vpc_peering_connections, |p| &p.id),
            launch_template: positions(&a.launch_templates, |t| &t.id),
            image: positions(&a.images, |i| &i.id),
            volume: positions(&a.volumes, |v| &v.id),
            user_by_name: positions(&a.users, |u| &u.name),
            user_by_arn: positions(&a.users, |u| &u.arn),
            group_by_name: positions(&a.groups, |g| &g.name),
            role_by_name: positions(&a.roles, |r| &r.name),
            role_by_arn: positions(&a.roles, |r| &r.arn),
            profile_by_arn: positions(&a.instance_profiles, |p| &p.arn),
            profile_by_name: positions(&a.instance_profiles, |p| &p.name),
            policy_by_arn: positions(&a.managed_policies, |p| &p.arn),
            ssm_instance: positions(&a.ssm_instances, |s| &s.instance_id),
            ..Index::default()
        };
        for (i, acl) in a.network_acls.iter().enumerate() {
            for s in &acl.subnet_ids {
                ix.nacl_of_subnet.entry(s.clone()).or_insert(i);
            }
            if acl.is_default
                && let Some(vpc) = &acl.vpc_id
            {
                ix.default_nacl_of_vpc.entry(vpc.clone()).or_insert(i);
            }
        }
        for (i, rt) in a.route_tables.iter().enumerate() {
            for s in &rt.subnet_ids {
                ix.route_table_of_subnet.entry(s.clone()).or_insert(i);
            }
            if rt.main {
                ix.main_route_table_of_vpc
                    .entry(rt.vpc_id.clone())
                    .or_insert(i);
            }
        }
        for (i, k) in a.key_pairs.iter().enumerate() {
            push_to(&mut ix.key_pairs_by_name, &k.name, i);
        }
        for (i, s) in a.region_settings.iter().enumerate() {
            ix.region_settings
                .entry((s.account.clone(), s.region.clone()))
                .or_insert(i);
        }
        ix
    }
}

/// Appends `i` to `key`'s list, copying the key only when it is new (most lists get several).
fn push_to(map: &mut HashMap<String, Vec<usize>>, key: &str, i: usize) {
    match map.get_mut(key) {
        Some(list) => list.push(i),
        None => {
            map.insert(key.to_owned(), vec![i]);
        }
    }
}

fn enis_of_instance(a: &Account) -> HashMap<String, Vec<usize>> {
    let mut map: HashMap<String, Vec<usize>> = HashMap::default();
    for (i, n) in a.network_interfaces.iter().enumerate() {
        if let Some(inst) = n.attachment.as_ref().and_then(|t| t.instance_id.as_ref()) {
            push_to(&mut map, inst, i);
        }
    }
    map
}

fn instances_by_key(a: &Account) -> HashMap<String, Vec<usize>> {
    let mut map: HashMap<String, Vec<usize>> = HashMap::default();
    for (i, inst) in a.instances.iter().enumerate() {
        if let Some(k) = &inst.key_name {
            push_to(&mut map, k, i);
        }
    }
    map
}

/// Security group → instances with an ENI in it (`eni`: the interfaces' positions). Built a
/// stretch of instances per task and joined in order, so each list stays in instance order.
fn instances_by_sg(a: &Account, eni: &HashMap<String, usize>) -> HashMap<String, Vec<usize>> {
    const STRETCH: usize = 8192;
    a.instances
        .par_chunks(STRETCH)
        .enumerate()
        .map(|(chunk, instances)| {
            let mut map: HashMap<String, Vec<usize>> = HashMap::default();
            for (i, inst) in instances.iter().enumerate() {
                let mut groups: Vec<&String> = inst.security_group_ids.iter().collect();
                for e in &inst.network_interfaces {
                    if let Some(&e) = eni.get(e) {
                        groups.extend(&a.network_interfaces[e].security_group_ids);
                    }
                }
                groups.sort();
                groups.dedup();
                for g in groups {
                    push_to(&mut map, g, chunk * STRETCH + i);
                }
            }
            map
        })
        .reduce(HashMap::default, |mut earlier, later| {
            for (g, list) in later {
                match earlier.get_mut(g.as_str()) {
                    Some(l) => l.extend(list),
                    None => {
                        earlier.insert(g, list);
                    }
                }
            }
            earlier
        })
}

macro_rules! by_id {
    ($(#[$doc:meta])* $name:ident, $field:ident, $list:ident, $ty:ty) => {
        $(#[$doc])*
        pub fn $name(&self, id: &str) -> Option<&$ty> {
            self.index.$field.get(id).map(|&i| &self.$list[i])
        }
    };
}

impl Account {
    /// Rebuilds the lookup indexes; call after editing the lists by hand.
    pub fn reindex(&mut self) {
        self.index = Index::build(self);
    }

    by_id!(/// An instance by id.
        instance, instance, instances, Instance);
    by_id!(/// An ENI by id.
        network_interface, eni, network_interfaces, NetworkInterface);
    by_id!(/// A security group by id.
        security_group, sg, security_groups, SecurityGroup);
    by_id!(/// A subnet by id.
        subnet, subnet, subnets, Subnet);
    by_id!(/// A VPC by id.
        vpc, vpc, vpcs, Vpc);
    by_id!(/// A network ACL by id.
        network_acl, nacl, network_acls, NetworkAcl);
    by_id!(/// A route table by id.
        route_table, route_table, route_tables, RouteTable);
    by_id!(/// A managed prefix list by id.
        prefix_list, prefix_list, prefix_lists, ManagedPrefixList);
    by_id!(/// An internet gateway by id.
        internet_gateway, igw, internet_gateways, InternetGateway);
    by_id!(/// A NAT gateway by id.
        nat_gateway, nat, nat_gateways, NatGateway);
    by_id!(/// A VPC peering connection by id.
        vpc_peering_connection, peering, vpc_peering_connections, VpcPeeringConnection);
    by_id!(/// A launch template by id.
        launch_template, launch_template, launch_templates, LaunchTemplate);
    by_id!(/// An owned AMI by id.
        image, image, images, Image);
    by_id!(/// An EBS volume by id.
        volume, volume, volumes, Volume);
    by_id!(/// An IAM user by name (first account that has it).
        user, user_by_name, users, User);
    by_id!(/// An IAM user by ARN.
        user_by_arn, user_by_arn, users, User);
    by_id!(/// An IAM group by name.
        group, group_by_name, groups, Group);
    by_id!(/// An IAM role by name.
        role, role_by_name, roles, Role);
    by_id!(/// An IAM role by ARN.
        role_by_arn, role_by_arn, roles, Role);
    by_id!(/// An instance profile by ARN.
        instance_profile_by_arn, profile_by_arn, instance_profiles, InstanceProfile);
    by_id!(/// An instance profile by name.
        instance_profile, profile_by_name, instance_profiles, InstanceProfile);
    by_id!(/// A managed policy by ARN.
        managed_policy, policy_by_arn, managed_policies, ManagedPolicy);
    by_id!(/// The SSM registration of an instance, if it has one.
        ssm_instance, ssm_instance, ssm_instances, SsmInstance);

    /// The ENIs attached to an instance (from `describe-network-interfaces` attachments, falling
    /// back to the ids listed on the instance).
    pub fn enis_of_instance(&self, instance_id: &str) -> Vec<&NetworkInterface> {
        if let Some(list) = self.index.enis_of_instance.get(instance_id) {
            let mut enis: Vec<&NetworkInterface> =
                list.iter().map(|&i| &self.network_interfaces[i]).collect();
            enis.sort_by_key(|n| n.attachment.as_ref().and_then(|a| a.device_index));
            return enis;
        }
        self.instance(instance_id)
            .map(|inst| {
                inst.network_interfaces
                    .iter()
                    .filter_map(|id| self.network_interface(id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Security groups that apply to an instance: the union over its ENIs (or the instance's own
    /// list when its ENIs are unknown), in id order.
    pub fn security_groups_of_instance(&self, instance_id: &str) -> Vec<&SecurityGroup> {
        let mut ids: Vec<&String> = self
            .enis_of_instance(instance_id)
            .into_iter()
            .flat_map(|n| &n.security_group_ids)
            .collect();
        if let Some(inst) = self.instance(instance_id) {
            ids.extend(&inst.security_group_ids);
        }
        ids.sort();
        ids.dedup();
        ids.into_iter()
            .filter_map(|id| self.security_group(id))
            .collect()
    }

    /// The network ACL that governs a subnet: its explicit association, else the VPC's default.
    pub fn nacl_of_subnet(&self, subnet_id: &str) -> Option<&NetworkAcl> {
        if let Some(&i) = self.index.nacl_of_subnet.get(subnet_id) {
            return Some(&self.network_acls[i]);
        }
        let vpc = &self.subnet(subnet_id)?.vpc_id;
        self.index
            .default_nacl_of_vpc
            .get(vpc)
            .map(|&i| &self.network_acls[i])
    }

    /// The route table that governs a subnet: its explicit association, else the VPC's main table.
    pub fn route_table_of_subnet(&self, subnet_id: &str) -> Option<&RouteTable> {
        if let Some(&i) = self.index.route_table_of_subnet.get(subnet_id) {
            return Some(&self.route_tables[i]);
        }
        let vpc = &self.subnet(subnet_id)?.vpc_id;
        self.main_route_table_of_vpc(vpc)
    }

    /// The VPC's main route table.
    pub fn main_route_table_of_vpc(&self, vpc_id: &str) -> Option<&RouteTable> {
        self.index
            .main_route_table_of_vpc
            .get(vpc_id)
            .map(|&i| &self.route_tables[i])
    }

    /// Instances launched with a key pair of this name, in every region and account (filter on
    /// `region`/`account` for one key pair; see [`Account::instances_using_key_pair`]).
    pub fn instances_by_key_name(&self, key_name: &str) -> Vec<&Instance> {
        self.index
            .instances_by_key
            .get(key_name)
            .map(|v| v.iter().map(|&i| &self.instances[i]).collect())
            .unwrap_or_default()
    }

    /// Instances launched with this key pair (same name, region and account).
    pub fn instances_using_key_pair(&self, key: &KeyPair) -> Vec<&Instance> {
        self.instances_by_key_name(&key.name)
            .into_iter()
            .filter(|i| {
                i.region == key.region && (key.account.is_none() || i.account == key.account)
            })
            .collect()
    }

    /// A key pair by name in a region (and account, when known).
    pub fn key_pair(&self, account: Option<&str>, region: &str, name: &str) -> Option<&KeyPair> {
        let named = self
            .index
            .key_pairs_by_name
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.key_pairs[i])
            .filter(|k| k.region == region);
        // The first of that account; else, the account unknown on either side, the first there.
        named
            .clone()
            .find(|k| k.account.as_deref() == account)
            .or_else(|| {
                named
                    .clone()
                    .find(|k| account.is_none() || k.account.is_none())
            })
    }

    /// Instances with an ENI (or the instance-level list) in this security group.
    pub fn instances_in_security_group(&self, group_id: &str) -> Vec<&Instance> {
        self.index
            .instances_by_sg
            .get(group_id)
            .map(|v| v.iter().map(|&i| &self.instances[i]).collect())
            .unwrap_or_default()
    }

    /// The instance profile an instance runs with.
    pub fn instance_profile_of_instance(&self, instance_id: &str) -> Option<&InstanceProfile> {
        let r = self.instance(instance_id)?.iam_instance_profile.as_ref()?;
        self.instance_profile_by_arn(&r.arn)
    }

    /// The roles of an instance profile (normally one).
    pub fn roles_of_profile(&self, profile: &InstanceProfile) -> Vec<&Role> {
        profile
            .role_arns
            .iter()
            .filter_map(|arn| self.role_by_arn(arn))
            .chain(
                profile
                    .roles
                    .iter()
                    .filter(|name| {
                        !profile
                            .role_arns
                            .iter()
                            .any(|arn| arn.rsplit('/').next() == Some(name.as_str()))
                    })
                    .filter_map(|name| self.role(name)),
            )
            .collect()
    }

    /// The roles an instance's credentials carry (instance → profile → roles).
    pub fn roles_of_instance(&self, instance_id: &str) -> Vec<&Role> {
        self.instance_profile_of_instance(instance_id)
            .map(|p| self.roles_of_profile(p))
            .unwrap_or_default()
    }

    /// The managed policies attached to a role that the snapshot holds documents for.
    pub fn attached_policies_of_role(&self, role: &Role) -> Vec<&ManagedPolicy> {
        role.attached_policies
            .iter()
            .filter_map(|p| self.managed_policy(&p.arn))
            .collect()
    }

    /// Per-region settings (EBS default encryption, IMDS defaults).
    pub fn region_settings(&self, account: Option<&str>, region: &str) -> Option<&RegionSettings> {
        let key = (account.map(str::to_string), region.to_string());
        if let Some(&i) = self.index.region_settings.get(&key) {
            return Some(&self.region_settings[i]);
        }
        self.region_settings
            .iter()
            .find(|s| s.region == region && (account.is_none() || s.account.is_none()))
    }

    /// The password policy of an account (the only one when `account` is None).
    pub fn password_policy(&self, account: Option<&str>) -> Option<&PasswordPolicy> {
        self.password_policies
            .iter()
            .find(|p| account.is_none() || p.account.as_deref() == account)
    }

    /// The credential report row of a user.
    pub fn credential_report_row(&self, user: &str) -> Option<&CredentialReportRow> {
        self.credential_report.iter().find(|r| r.user == user)
    }

    /// True when the instance is registered with SSM and its agent is online.
    pub fn is_ssm_managed(&self, instance_id: &str) -> bool {
        self.ssm_instance(instance_id)
            .is_some_and(|s| s.ping_status.as_deref().is_none_or(|p| p == "Online"))
    }
}
