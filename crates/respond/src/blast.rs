//! The blast radius of a leaked key pair (or of one compromised instance), read from the account
//! model: every instance launched with the key (all regions, all states), what keeps launching
//! with it (launch templates, launch configurations, Auto Scaling groups), AMIs made from affected
//! instances (the key sits in their authorized_keys) and instances launched from those, and per
//! instance what an attacker gets there: network exposure, the role behind IMDS, volumes.

use std::collections::{BTreeMap, BTreeSet};

use cloud::{Account, Instance};
use serde::Serialize;

use crate::iam::{self, RoleAccess};
use crate::identify::IdentifiedKey;

/// Why an instance is in the blast radius.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum Reason {
    /// Launched with the key pair (KeyName).
    LaunchedWithKey(String),
    /// Launched from an AMI made from an affected instance: the key is in its authorized_keys.
    LaunchedFromImage(String),
    /// Named on the command line (`respond instance`).
    Named,
}

/// Reachability of an instance from the internet, as `reach` computes it ([`add_exposure`]).
/// None until computed; the public addresses are in [`AffectedInstance::public_ips`] either way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exposure {
    /// Open from the internet along a full path: `tcp 22 from 0.0.0.0/0`.
    pub internet: Vec<String>,
    /// Opened by a group but not carried by the network (no public address, no route, a NACL):
    /// one change away.
    pub latent: Vec<String>,
    /// SSH (tcp/22) is reachable from the internet: the leaked key logs in from anywhere.
    pub ssh_from_internet: bool,
}

/// Fills each live instance's exposure from the reachability evaluator.
pub fn add_exposure(radius: &mut BlastRadius, network: &reach::Network) {
    for inst in radius.instances.iter_mut().filter(|i| i.is_live()) {
        let Ok(e) = network.exposure(&inst.id) else {
            continue;
        };
        let mut out = Exposure {
            internet: Vec::new(),
            latent: Vec::new(),
            ssh_from_internet: false,
        };
        for entry in &e.entries {
            let from: Vec<String> = entry.sources.cidrs.iter().map(|c| c.to_string()).collect();
            let line = format!(
                "{} on {} from {}",
                entry.service,
                entry.interface,
                from.join(",")
            );
            let ssh = &*entry.protocol == "all"
                || (&*entry.protocol == "tcp"
                    && entry.ports.is_some_and(|(a, b)| a <= 22 && 22 <= b));
            match entry.state {
                reach::State::Exposed => {
                    out.ssh_from_internet |= ssh;
                    out.internet.push(line);
                }
                reach::State::Latent => out.latent.push(line),
            }
        }
        inst.exposure = Some(out);
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EniState {
    pub id: String,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub device_index: Option<i64>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    /// `amazon` for an auto-assigned address, the account id for an Elastic IP.
    pub public_ip_owner: Option<String>,
    pub security_groups: Vec<String>,
    /// The NACL governing the subnet.
    pub network_acl_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VolumeState {
    pub id: String,
    pub device: Option<String>,
    pub size_gib: Option<i64>,
    pub encrypted: Option<bool>,
    pub delete_on_termination: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImdsState {
    pub http_endpoint: Option<String>,
    pub http_tokens: Option<String>,
    pub hop_limit: Option<i64>,
    /// A shell on the instance gets role credentials (endpoint not disabled).
    pub credentials_reachable: bool,
    /// IMDSv1 is allowed (SSRF through the instance's applications gets credentials too).
    pub imdsv1: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AffectedInstance {
    pub id: String,
    pub region: String,
    pub account: Option<String>,
    pub name: Option<String>,
    pub state: String,
    pub reasons: Vec<Reason>,
    pub key_name: Option<String>,
    pub launch_time: Option<jiff::Timestamp>,
    pub instance_type: Option<String>,
    pub image_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub public_ips: Vec<String>,
    pub network_interfaces: Vec<EniState>,
    pub instance_profile_arn: Option<String>,
    /// `iip-assoc-…` when the snapshot has it (the plan looks it up at run time otherwise).
    pub profile_association_id: Option<String>,
    pub roles: Vec<String>,
    pub imds: Option<ImdsState>,
    pub volumes: Vec<VolumeState>,
    pub termination_protection: Option<bool>,
    pub shutdown_behavior: Option<String>,
    pub root_device_type: Option<String>,
    pub auto_scaling_group: Option<String>,
    pub ssm_managed: bool,
    /// From `reach`; None until it is computed (see [`Exposure`]).
    pub exposure: Option<Exposure>,
}

impl AffectedInstance {
    pub fn is_live(&self) -> bool {
        !matches!(self.state.as_str(), "terminated" | "shutting-down")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AffectedTemplate {
    pub id: String,
    pub name: Option<String>,
    pub region: String,
    pub default_version: Option<i64>,
    pub latest_version: Option<i64>,
    /// Versions whose KeyName is the key.
    pub versions_with_key: Vec<i64>,
    pub default_has_key: bool,
    pub key_name: String,
    /// Auto Scaling groups launching from it, with the version they ask for.
    pub used_by: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AffectedLaunchConfiguration {
    pub name: String,
    pub region: String,
    pub key_name: String,
    pub used_by: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AffectedGroup {
    pub name: String,
    pub region: String,
    /// `launch-template lt-… ($Default)` or `launch-configuration NAME`.
    pub launches_with: String,
    /// True when new instances it starts get the key.
    pub launches_key: bool,
    pub desired_capacity: Option<i64>,
    /// Affected instances that belong to the group.
    pub instances: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AffectedImage {
    pub id: String,
    pub name: Option<String>,
    pub region: String,
    pub source_instance: String,
    pub public: Option<bool>,
    /// Accounts (or `all`) that may launch it.
    pub shared_with: Vec<String>,
    pub instances_launched: Vec<String>,
}

/// A network ACL that governs an affected instance's subnet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NaclState {
    pub id: String,
    pub region: String,
    pub subnet_ids: Vec<String>,
    pub rule_numbers_in_use: Vec<i32>,
    /// The lowest-numbered allow rule (a deny must come before it to win).
    pub lowest_allow: Option<i32>,
}

/// Everything the key (or instance) opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlastRadius {
    pub instances: Vec<AffectedInstance>,
    pub launch_templates: Vec<AffectedTemplate>,
    pub launch_configurations: Vec<AffectedLaunchConfiguration>,
    pub auto_scaling_groups: Vec<AffectedGroup>,
    pub images: Vec<AffectedImage>,
    pub roles: Vec<RoleAccess>,
    pub network_acls: Vec<NaclState>,
    /// Gaps that make the picture incomplete (calls denied when the snapshot was taken).
    pub gaps: Vec<String>,
}

impl BlastRadius {
    pub fn instance(&self, id: &str) -> Option<&AffectedInstance> {
        self.instances.iter().find(|i| i.id == id)
    }
    pub fn instance_ids(&self) -> BTreeSet<String> {
        self.instances.iter().map(|i| i.id.clone()).collect()
    }
    pub fn group_ids(&self) -> BTreeSet<String> {
        self.instances
            .iter()
            .flat_map(|i| {
                i.network_interfaces
                    .iter()
                    .flat_map(|e| e.security_groups.clone())
            })
            .collect()
    }
    pub fn eni_ids(&self) -> BTreeSet<String> {
        self.instances
            .iter()
            .flat_map(|i| i.network_interfaces.iter().map(|e| e.id.clone()))
            .collect()
    }
    pub fn role_names(&self) -> BTreeSet<String> {
        self.roles.iter().map(|r| r.role_name.clone()).collect()
    }
}

/// The blast radius of an identified key.
pub fn of_key(account: &Account, key: &IdentifiedKey) -> BlastRadius {
    let launch_keys = key.launch_keys();
    let with_key = |region: &str, name: Option<&str>| {
        name.is_some_and(|n| launch_keys.contains(&(region.to_string(), n.to_string())))
    };
    let mut reasons: BTreeMap<String, BTreeSet<Reason>> = BTreeMap::new();
    for inst in &account.instances {
        if with_key(&inst.region, inst.key_name.as_deref()) {
            reasons
                .entry(inst.id.clone())
                .or_default()
                .insert(Reason::LaunchedWithKey(
                    inst.key_name.clone().unwrap_or_default(),
                ));
        }
    }
    let images = images_from(account, &reasons.keys().cloned().collect());
    for img in &images {
        for id in &img.instances_launched {
            reasons
                .entry(id.clone())
                .or_default()
                .insert(Reason::LaunchedFromImage(img.id.clone()));
        }
    }
    let mut radius = build(account, reasons);
    radius.images = images;

    for lt in &account.launch_templates {
        let mut key_name = None;
        let versions: Vec<i64> = lt
            .versions
            .iter()
            .filter(|v| {
                let hit = with_key(&lt.region, v.key_name.as_deref());
                if hit {
                    key_name = v.key_name.clone();
                }
                hit
            })
            .map(|v| v.number)
            .collect();
        if versions.is_empty() {
            continue;
        }
        let default_has_key = lt.versions.iter().any(|v| {
            (v.is_default || Some(v.number) == lt.default_version) && versions.contains(&v.number)
        });
        radius.launch_templates.push(AffectedTemplate {
            id: lt.id.clone(),
            name: lt.name.clone(),
            region: lt.region.clone(),
            default_version: lt.default_version,
            latest_version: lt.latest_version,
            versions_with_key: versions,
            default_has_key,
            key_name: key_name.unwrap_or_default(),
            used_by: Vec::new(),
        });
    }
    for lc in &account.launch_configurations {
        if with_key(&lc.region, lc.key_name.as_deref()) {
            radius
                .launch_configurations
                .push(AffectedLaunchConfiguration {
                    name: lc.name.clone(),
                    region: lc.region.clone(),
                    key_name: lc.key_name.clone().unwrap_or_default(),
                    used_by: Vec::new(),
                });
        }
    }
    for g in &account.auto_scaling_groups {
        let affected_members: Vec<String> = g
            .instances
            .iter()
            .filter(|m| reasons_has(&radius, &m.instance_id))
            .map(|m| m.instance_id.clone())
            .collect();
        let mut launches_with = String::new();
        let mut launches_key = false;
        if let Some(spec) = &g.launch_template {
            let version = spec.version.clone().unwrap_or_else(|| "$Default".into());
            launches_with = format!(
                "launch-template {} ({version})",
                spec.id.clone().or(spec.name.clone()).unwrap_or_default()
            );
            if let Some(t) = radius.launch_templates.iter_mut().find(|t| {
                t.region == g.region
                    && (spec.id.as_deref() == Some(t.id.as_str())
                        || (spec.name.is_some() && spec.name == t.name))
            }) {
                t.used_by.push(format!("{} ({version})", g.name));
                launches_key = match version.as_str() {
                    "$Default" => t.default_has_key,
                    "$Latest" => t
                        .latest_version
                        .is_some_and(|l| t.versions_with_key.contains(&l)),
                    n => n
                        .parse()
                        .is_ok_and(|n: i64| t.versions_with_key.contains(&n)),
                };
            }
        } else if let Some(lc) = &g.launch_configuration_name {
            launches_with = format!("launch-configuration {lc}");
            if let Some(c) = radius
                .launch_configurations
                .iter_mut()
                .find(|c| c.region == g.region && &c.name == lc)
            {
                c.used_by.push(g.name.clone());
                launches_key = true;
            }
        }
        if launches_key || !affected_members.is_empty() {
            radius.auto_scaling_groups.push(AffectedGroup {
                name: g.name.clone(),
                region: g.region.clone(),
                launches_with,
                launches_key,
                desired_capacity: g.desired_capacity,
                instances: affected_members,
            });
        }
    }
    radius
}

fn reasons_has(radius: &BlastRadius, id: &str) -> bool {
    radius.instances.iter().any(|i| i.id == id)
}

/// The blast radius of one compromised instance.
pub fn of_instance(account: &Account, instance_id: &str) -> Option<BlastRadius> {
    account.instance(instance_id)?;
    let mut reasons = BTreeMap::new();
    reasons.insert(instance_id.to_string(), BTreeSet::from([Reason::Named]));
    let mut radius = build(account, reasons);
    for g in &account.auto_scaling_groups {
        if g.instances.iter().any(|m| m.instance_id == instance_id) {
            radius.auto_scaling_groups.push(AffectedGroup {
                name: g.name.clone(),
                region: g.region.clone(),
                launches_with: g
                    .launch_template
                    .as_ref()
                    .map(|s| {
                        format!(
                            "launch-template {}",
                            s.id.clone().or(s.name.clone()).unwrap_or_default()
                        )
                    })
                    .or(g
                        .launch_configuration_name
                        .as_ref()
                        .map(|l| format!("launch-configuration {l}")))
                    .unwrap_or_default(),
                launches_key: false,
                desired_capacity: g.desired_capacity,
                instances: vec![instance_id.to_string()],
            });
        }
    }
    Some(radius)
}

/// AMIs made from the given instances, and the instances launched from those AMIs.
fn images_from(account: &Account, sources: &BTreeSet<String>) -> Vec<AffectedImage> {
    // Volume → instance, for AMIs whose snapshots were taken of an affected instance's volumes.
    let mut volume_owner: BTreeMap<&str, &str> = BTreeMap::new();
    for id in sources {
        if let Some(inst) = account.instance(id) {
            for b in &inst.block_devices {
                if let Some(v) = b.volume_id.as_deref() {
                    volume_owner.insert(v, inst.id.as_str());
                }
            }
        }
    }
    let snapshot_volume: BTreeMap<&str, &str> = account
        .snapshots
        .iter()
        .filter_map(|s| Some((s.id.as_str(), s.volume_id.as_deref()?)))
        .collect();
    let mut out = Vec::new();
    for img in &account.images {
        let source = img
            .source_instance_id
            .clone()
            .filter(|s| sources.contains(s))
            .or_else(|| {
                img.snapshot_ids.iter().find_map(|s| {
                    let vol = snapshot_volume.get(s.as_str())?;
                    volume_owner.get(vol).map(|i| i.to_string())
                })
            });
        let Some(source) = source else { continue };
        let mut launched: Vec<String> = account
            .instances
            .iter()
            .filter(|i| i.region == img.region && i.image_id.as_deref() == Some(img.id.as_str()))
            .map(|i| i.id.clone())
            .filter(|i| i != &source)
            .collect();
        launched.sort();
        let mut shared_with: Vec<String> = img
            .launch_permissions
            .iter()
            .filter_map(|p| {
                p.group
                    .clone()
                    .or(p.user_id.clone())
                    .or(p.organization_arn.clone())
            })
            .collect();
        shared_with.sort();
        out.push(AffectedImage {
            id: img.id.clone(),
            name: img.name.clone(),
            region: img.region.clone(),
            source_instance: source,
            public: img.public,
            shared_with,
            instances_launched: launched,
        });
    }
    out.sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
    out
}

fn build(account: &Account, reasons: BTreeMap<String, BTreeSet<Reason>>) -> BlastRadius {
    let mut instances = Vec::new();
    let mut roles: BTreeMap<String, RoleAccess> = BTreeMap::new();
    for (id, why) in reasons {
        let Some(inst) = account.instance(&id) else {
            continue;
        };
        let affected = affected_instance(account, inst, why.into_iter().collect());
        if affected.is_live() {
            for role in account.roles_of_instance(&inst.id) {
                let entry = roles
                    .entry(role.arn.clone())
                    .or_insert_with(|| iam::role_access(account, role));
                entry.instances.push(inst.id.clone());
                if let Some(p) = &affected.instance_profile_arn
                    && !entry.instance_profiles.contains(p)
                {
                    entry.instance_profiles.push(p.clone());
                }
            }
        }
        instances.push(affected);
    }
    instances.sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
    let acl_ids: BTreeSet<&str> = instances
        .iter()
        .flat_map(|i| {
            i.network_interfaces
                .iter()
                .filter_map(|e| e.network_acl_id.as_deref())
        })
        .collect();
    let network_acls = acl_ids
        .into_iter()
        .filter_map(|id| account.network_acl(id))
        .map(|a| {
            let mut used: Vec<i32> = a.entries.iter().map(|e| e.rule_number).collect();
            used.sort_unstable();
            used.dedup();
            NaclState {
                id: a.id.clone(),
                region: a.region.clone(),
                subnet_ids: a.subnet_ids.clone(),
                rule_numbers_in_use: used,
                lowest_allow: a
                    .entries
                    .iter()
                    .filter(|e| e.action == cloud::NaclAction::Allow)
                    .map(|e| e.rule_number)
                    .min(),
            }
        })
        .collect();
    let gaps = account
        .gaps
        .iter()
        .map(|g| {
            format!(
                "{}{} ({}): {}",
                g.region
                    .as_deref()
                    .map(|r| format!("{r}: "))
                    .unwrap_or_default(),
                g.operation,
                g.permission,
                g.error
            )
        })
        .collect();
    BlastRadius {
        instances,
        launch_templates: Vec::new(),
        launch_configurations: Vec::new(),
        auto_scaling_groups: Vec::new(),
        images: Vec::new(),
        roles: roles.into_values().collect(),
        network_acls,
        gaps,
    }
}

fn affected_instance(account: &Account, inst: &Instance, reasons: Vec<Reason>) -> AffectedInstance {
    let mut enis: Vec<EniState> = account
        .enis_of_instance(&inst.id)
        .into_iter()
        .map(|n| EniState {
            id: n.id.clone(),
            subnet_id: n.subnet_id.clone(),
            vpc_id: n.vpc_id.clone(),
            device_index: n.attachment.as_ref().and_then(|a| a.device_index),
            private_ip: n.private_ip.map(|i| i.to_string()),
            public_ip: n.public_ip.map(|i| i.to_string()),
            public_ip_owner: n.public_ip_owner.clone(),
            security_groups: n.security_group_ids.clone(),
            network_acl_id: n
                .subnet_id
                .as_deref()
                .and_then(|s| account.nacl_of_subnet(s))
                .map(|a| a.id.clone()),
        })
        .collect();
    enis.sort_by_key(|e| (e.device_index.unwrap_or(i64::MAX), e.id.clone()));
    let mut public_ips: Vec<String> = enis.iter().filter_map(|e| e.public_ip.clone()).collect();
    if let Some(ip) = inst.public_ip {
        public_ips.push(ip.to_string());
    }
    public_ips.extend(inst.ipv6_addresses.iter().map(|a| a.to_string()));
    public_ips.sort();
    public_ips.dedup();
    let volumes = inst
        .block_devices
        .iter()
        .filter_map(|b| {
            let id = b.volume_id.clone()?;
            let vol = account.volume(&id);
            Some(VolumeState {
                device: b.device_name.clone(),
                size_gib: vol.and_then(|v| v.size_gib),
                encrypted: vol.and_then(|v| v.encrypted),
                delete_on_termination: b.delete_on_termination,
                id,
            })
        })
        .collect();
    let imds = inst.metadata_options.as_ref().map(|m| ImdsState {
        http_endpoint: m.http_endpoint.clone(),
        http_tokens: m.http_tokens.clone(),
        hop_limit: m.hop_limit,
        credentials_reachable: m.http_endpoint.as_deref() != Some("disabled"),
        imdsv1: m.allows_imdsv1(),
    });
    let auto_scaling_group = account
        .auto_scaling_groups
        .iter()
        .find(|g| g.region == inst.region && g.instances.iter().any(|m| m.instance_id == inst.id))
        .map(|g| g.name.clone());
    AffectedInstance {
        id: inst.id.clone(),
        region: inst.region.clone(),
        account: inst.account.clone(),
        name: inst.tags.get("Name").cloned(),
        state: inst.state.clone(),
        reasons,
        key_name: inst.key_name.clone(),
        launch_time: inst.launch_time,
        instance_type: inst.instance_type.clone(),
        image_id: inst.image_id.clone(),
        vpc_id: inst.vpc_id.clone(),
        subnet_id: inst.subnet_id.clone(),
        public_ips,
        network_interfaces: enis,
        instance_profile_arn: inst.iam_instance_profile.as_ref().map(|p| p.arn.clone()),
        profile_association_id: inst
            .iam_instance_profile
            .as_ref()
            .and_then(|p| p.association_id.clone()),
        roles: account
            .roles_of_instance(&inst.id)
            .into_iter()
            .map(|r| r.name.clone())
            .collect(),
        imds,
        volumes,
        termination_protection: inst.disable_api_termination,
        shutdown_behavior: inst.shutdown_behavior.clone(),
        root_device_type: inst.root_device_type.clone(),
        auto_scaling_group,
        ssm_managed: account.is_ssm_managed(&inst.id),
        exposure: None,
    }
}
