//! The containment plan as data: ordered steps in the order of the containment playbook
//! (`shared/reference/containment-playbook.md`), each with why, risk, whether it can be undone,
//! the exact aws CLI equivalent, the rollback, and how it can be checked without changing
//! anything (EC2 DryRun or a simulation).
//!
//! Order: record state → tag → termination protection → shutdown behaviour → keep volumes →
//! Auto Scaling standby → load balancers → memory (optional) → snapshots → isolation groups →
//! per-ENI isolation → NACL deny (optional) → IMDS off → instance profile off → older sessions
//! revoked → stop (optional) → launch templates → launch configurations → key pair deleted →
//! host steps. Snapshots come before anything destructive, the state is recorded before anything
//! changes, and the key pair goes last (deleting it is not containment; templates first).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::blast::{AffectedInstance, BlastRadius};
use crate::identify::IdentifiedKey;

/// Name of the inline policy that revokes older sessions (the console's own name for it).
pub const REVOKE_POLICY_NAME: &str = "AWSRevokeOlderSessions";

/// What the plan is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Target {
    /// A leaked key pair: `names` are `region/name`.
    Key {
        query: String,
        key_pairs: Vec<String>,
    },
    Instance {
        instance_id: String,
    },
}

/// Choices the responder makes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOptions {
    /// Case id: tags, group names and the journal run id carry it.
    pub case_id: String,
    /// Stop the instances (RAM and instance-store data are lost).
    pub stop: bool,
    /// Deny the instances' addresses in their subnets' network ACLs (subnet-wide change).
    pub nacl_deny: bool,
    /// Keep SSH (tcp/22) from this CIDR open in the quarantine group, for the examiner.
    pub examiner_cidr: Option<String>,
}

/// The phase of the playbook a step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Record,
    Protect,
    Traffic,
    Evidence,
    Isolate,
    Credentials,
    Stop,
    Launch,
    Key,
    Host,
}

/// How a step can be checked without changing anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DryRun {
    /// The EC2 API's DryRun flag (DryRunOperation = would succeed, UnauthorizedOperation = not
    /// permitted).
    Ec2,
    /// No DryRun in that API (IAM, Auto Scaling, DisassociateIamInstanceProfile): preconditions
    /// are read and the call is described.
    Simulated,
    /// Only reads: runs as is.
    ReadOnly,
    /// Not carried out by trailhound.
    NotApplicable,
}

/// Whether trailhound carries the step out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Execution {
    Automatic,
    /// Printed for a person (needs the host, or data trailhound does not collect).
    Instructions,
    /// Optional and not chosen (the flag that turns it on is named in `why`).
    NotSelected,
}

/// What a step does, with everything the runner needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Action {
    RecordState {
        region: String,
        instance_ids: Vec<String>,
    },
    TagInstances {
        region: String,
        instance_ids: Vec<String>,
        case_id: String,
    },
    EnableTerminationProtection {
        region: String,
        instance_id: String,
    },
    ShutdownBehaviorStop {
        region: String,
        instance_id: String,
    },
    KeepVolumesOnTermination {
        region: String,
        instance_id: String,
        devices: Vec<String>,
    },
    AutoScalingStandby {
        region: String,
        group: String,
        instance_ids: Vec<String>,
    },
    DeregisterFromLoadBalancers {
        region: String,
        instance_ids: Vec<String>,
    },
    CaptureMemory {
        region: String,
        instance_ids: Vec<String>,
    },
    SnapshotVolumes {
        region: String,
        instance_id: String,
        case_id: String,
    },
    CreateIsolationGroups {
        region: String,
        vpc_id: String,
        all_access_name: String,
        quarantine_name: String,
        examiner_cidr: Option<String>,
    },
    IsolateInterface {
        region: String,
        eni_id: String,
        vpc_id: String,
        all_access_name: String,
        quarantine_name: String,
        /// Id of the step that creates the groups (its result holds their ids).
        groups_step: String,
    },
    NaclDeny {
        region: String,
        network_acl_id: String,
        cidr: String,
        rule_number: i32,
    },
    DisableImds {
        region: String,
        instance_id: String,
    },
    DisassociateInstanceProfile {
        region: String,
        instance_id: String,
        profile_arn: String,
    },
    RevokeOlderSessions {
        role_name: String,
    },
    StopInstance {
        region: String,
        instance_id: String,
    },
    UpdateLaunchTemplate {
        region: String,
        launch_template_id: String,
        key_name: String,
        case_id: String,
    },
    ReplaceLaunchConfiguration {
        region: String,
        name: String,
        groups: Vec<String>,
    },
    DeleteKeyPair {
        region: String,
        key_name: String,
        key_pair_id: Option<String>,
    },
    RemoveFromAuthorizedKeys {
        region: String,
        instance_ids: Vec<String>,
        public_key_blob: Option<String>,
        sshd_fingerprints: Vec<String>,
    },
    RetireImages {
        region: String,
        image_ids: Vec<String>,
    },
    ReviewInstanceForPersistence {
        region: String,
        instance_id: String,
    },
}

impl Action {
    /// What happens when a step is found `running` after a crash. Every automatic action is
    /// written to be safe to carry out again: the runner reads first and adopts an earlier
    /// effect rather than repeating it.
    pub fn crash_recovery(&self) -> &'static str {
        match self {
            Action::RecordState { .. } => "re-run: reads only",
            Action::TagInstances { .. }
            | Action::EnableTerminationProtection { .. }
            | Action::ShutdownBehaviorStop { .. }
            | Action::KeepVolumesOnTermination { .. }
            | Action::IsolateInterface { .. }
            | Action::DisableImds { .. }
            | Action::StopInstance { .. } => "re-run: setting the same value again is idempotent",
            Action::AutoScalingStandby { .. } => "re-run: instances already in Standby are skipped",
            Action::SnapshotVolumes { .. } => {
                "adopted: snapshots tagged with the case and step are found instead of taken twice"
            }
            Action::CreateIsolationGroups { .. } => {
                "adopted: groups with the case's names in the VPC are reused"
            }
            Action::NaclDeny { .. } => "adopted: an identical entry at the rule number is kept",
            Action::DisassociateInstanceProfile { .. } => {
                "re-run: no association left means done (the profile ARN is in the before-state)"
            }
            Action::RevokeOlderSessions { .. } => {
                "re-run: the same policy with the cut-off time recorded before the first attempt"
            }
            Action::UpdateLaunchTemplate { .. } => {
                "adopted: a version carrying the case's description is reused"
            }
            Action::DeleteKeyPair { .. } => "re-run: a key pair already gone means done",
            _ => "not executed by trailhound",
        }
    }

    pub fn region(&self) -> Option<&str> {
        match self {
            Action::RecordState { region, .. }
            | Action::TagInstances { region, .. }
            | Action::EnableTerminationProtection { region, .. }
            | Action::ShutdownBehaviorStop { region, .. }
            | Action::KeepVolumesOnTermination { region, .. }
            | Action::AutoScalingStandby { region, .. }
            | Action::DeregisterFromLoadBalancers { region, .. }
            | Action::CaptureMemory { region, .. }
            | Action::SnapshotVolumes { region, .. }
            | Action::CreateIsolationGroups { region, .. }
            | Action::IsolateInterface { region, .. }
            | Action::NaclDeny { region, .. }
            | Action::DisableImds { region, .. }
            | Action::DisassociateInstanceProfile { region, .. }
            | Action::StopInstance { region, .. }
            | Action::UpdateLaunchTemplate { region, .. }
            | Action::ReplaceLaunchConfiguration { region, .. }
            | Action::DeleteKeyPair { region, .. }
            | Action::RemoveFromAuthorizedKeys { region, .. }
            | Action::RetireImages { region, .. }
            | Action::ReviewInstanceForPersistence { region, .. } => Some(region),
            Action::RevokeOlderSessions { .. } => None,
        }
    }
}

/// One step of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// 1-based position.
    pub index: usize,
    /// Stable id: `<kind>:<resource>`.
    pub id: String,
    pub phase: Phase,
    pub title: String,
    pub action: Action,
    pub why: String,
    pub risk: String,
    pub reversible: bool,
    pub execution: Execution,
    pub dry_run: DryRun,
    /// The aws CLI commands that do the same, in order (shell syntax).
    pub cli: Vec<String>,
    /// How to undo it (aws CLI), when it can be undone.
    pub rollback: Vec<String>,
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub target: Target,
    pub options: PlanOptions,
    pub steps: Vec<Step>,
    /// Things the plan could not do from the snapshot, for the responder to handle.
    pub notes: Vec<String>,
}

impl Plan {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// A case id from a time: `th-YYYYMMDD-HHMMSS-xxxx` (xxxx from the nanoseconds and the pid).
pub fn new_case_id(now: jiff::Timestamp) -> String {
    let t = jiff::tz::TimeZone::UTC.to_datetime(now);
    let salt = (now.subsec_nanosecond() as u32 ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("th-{}-{salt:04x}", t.strftime("%Y%m%d-%H%M%S"))
}

fn q(s: &str) -> String {
    // Single-quote for the shell when needed.
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `vpc-0abc` → `VPC_0ABC`, for shell variable names.
fn var(prefix: &str, vpc: &str) -> String {
    format!(
        "{prefix}_{}",
        vpc.to_ascii_uppercase().replace(['-', '.'], "_")
    )
}

struct Builder {
    steps: Vec<Step>,
    notes: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
impl Builder {
    fn push(
        &mut self,
        id: String,
        phase: Phase,
        title: String,
        action: Action,
        why: impl Into<String>,
        risk: impl Into<String>,
        reversible: bool,
        execution: Execution,
        dry_run: DryRun,
        cli: Vec<String>,
        rollback: Vec<String>,
    ) {
        let index = self.steps.len() + 1;
        self.steps.push(Step {
            index,
            id,
            phase,
            title,
            action,
            why: why.into(),
            risk: risk.into(),
            reversible,
            execution,
            dry_run,
            cli,
            rollback,
        });
    }
}

/// The plan for a leaked key pair.
pub fn for_key(key: &IdentifiedKey, radius: &BlastRadius, options: &PlanOptions) -> Plan {
    let target = Target::Key {
        query: key.query.text(),
        key_pairs: key
            .key_pairs
            .iter()
            .map(|k| format!("{}/{}", k.region, k.name))
            .collect(),
    };
    build(target, Some(key), radius, options)
}

/// The plan for one compromised instance (no key pair or launch template steps).
pub fn for_instance(instance_id: &str, radius: &BlastRadius, options: &PlanOptions) -> Plan {
    build(
        Target::Instance {
            instance_id: instance_id.to_string(),
        },
        None,
        radius,
        options,
    )
}

fn by_region<'a>(list: &[&'a AffectedInstance]) -> BTreeMap<String, Vec<&'a AffectedInstance>> {
    let mut out: BTreeMap<String, Vec<&AffectedInstance>> = BTreeMap::new();
    for i in list {
        out.entry(i.region.clone()).or_default().push(i);
    }
    out
}

fn build(
    target: Target,
    key: Option<&IdentifiedKey>,
    radius: &BlastRadius,
    options: &PlanOptions,
) -> Plan {
    let case = options.case_id.as_str();
    let mut b = Builder {
        steps: Vec::new(),
        notes: Vec::new(),
    };
    let live: Vec<&AffectedInstance> = radius.instances.iter().filter(|i| i.is_live()).collect();
    let gone: Vec<&AffectedInstance> = radius.instances.iter().filter(|i| !i.is_live()).collect();
    if !gone.is_empty() {
        b.notes.push(format!(
            "{} terminated instance(s) are in the blast radius but need no containment: {}",
            gone.len(),
            gone.iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let regions = by_region(&live);

    // 1. Record the state before anything changes.
    for (region, insts) in &regions {
        let ids: Vec<String> = insts.iter().map(|i| i.id.clone()).collect();
        let joined = ids.join(" ");
        let csv = ids.join(",");
        let mut cli = vec![
            format!(
                "aws ec2 describe-instances --region {region} --instance-ids {joined} > {case}-{region}-instances.json"
            ),
            format!(
                "aws ec2 describe-network-interfaces --region {region} --filters Name=attachment.instance-id,Values={csv} > {case}-{region}-enis.json"
            ),
            format!(
                "aws ec2 describe-iam-instance-profile-associations --region {region} --filters Name=instance-id,Values={csv} > {case}-{region}-profiles.json"
            ),
            format!(
                "aws autoscaling describe-auto-scaling-instances --region {region} --instance-ids {joined} > {case}-{region}-asg.json"
            ),
        ];
        for id in &ids {
            cli.push(format!("aws ec2 describe-instance-attribute --region {region} --instance-id {id} --attribute disableApiTermination > {case}-{id}-termination.json"));
            cli.push(format!("aws ec2 describe-instance-attribute --region {region} --instance-id {id} --attribute instanceInitiatedShutdownBehavior > {case}-{id}-shutdown.json"));
            cli.push(format!("aws ec2 get-console-output --region {region} --instance-id {id} --latest --output text > {case}-{id}-console.txt"));
        }
        b.push(
            format!("record-state:{region}"),
            Phase::Record,
            format!("Record the state of {} instance(s) in {region}", ids.len()),
            Action::RecordState { region: region.clone(), instance_ids: ids },
            "Evidence and the basis of rollback: security groups per ENI, attributes, IMDS settings, profile associations, Auto Scaling membership and the console output, saved before anything changes (the journal keeps it too).",
            "None: reads only.",
            false,
            Execution::Automatic,
            DryRun::ReadOnly,
            cli,
            Vec::new(),
        );
    }

    // 2. Tag, protect from loss.
    for (region, insts) in &regions {
        let ids: Vec<String> = insts.iter().map(|i| i.id.clone()).collect();
        b.push(
            format!("tag:{region}"),
            Phase::Protect,
            format!("Tag {} instance(s) Status=Quarantine", ids.len()),
            Action::TagInstances { region: region.clone(), instance_ids: ids.clone(), case_id: case.to_string() },
            "Tells everyone (and automation keyed on tags) that these instances are under investigation, and ties them to the case.",
            "Low: tag-driven automation may react to the new tags.",
            true,
            Execution::Automatic,
            DryRun::Ec2,
            vec![format!("aws ec2 create-tags --region {region} --resources {} --tags Key=Status,Value=Quarantine Key=trailhound:case,Value={case}", ids.join(" "))],
            vec![format!("aws ec2 delete-tags --region {region} --resources {} --tags Key=Status Key=trailhound:case", ids.join(" "))],
        );
    }
    for i in &live {
        let (region, id) = (&i.region, &i.id);
        let was = i.termination_protection;
        b.push(
            format!("termination-protection:{id}"),
            Phase::Protect,
            format!("Turn on termination protection for {id}"),
            Action::EnableTerminationProtection { region: region.clone(), instance_id: id.clone() },
            "Keeps the instance, its disks and its memory from being terminated by the attacker or by a well-meaning colleague.",
            if i.auto_scaling_group.is_some() {
                "Low. Auto Scaling ignores termination protection: the standby step below handles that."
            } else {
                "Low: a legitimate termination needs the protection turned off first."
            },
            true,
            Execution::Automatic,
            DryRun::Ec2,
            vec![format!("aws ec2 modify-instance-attribute --region {region} --instance-id {id} --disable-api-termination")],
            if was == Some(true) { vec!["(already on before the run: nothing to undo)".to_string()] } else {
                vec![format!("aws ec2 modify-instance-attribute --region {region} --instance-id {id} --no-disable-api-termination")]
            },
        );
        let before = i
            .shutdown_behavior
            .clone()
            .unwrap_or_else(|| "<recorded value>".into());
        b.push(
            format!("shutdown-behavior:{id}"),
            Phase::Protect,
            format!("Make an OS shutdown of {id} stop it, not terminate it"),
            Action::ShutdownBehaviorStop { region: region.clone(), instance_id: id.clone() },
            "With shutdown behaviour `terminate`, `shutdown -h now` on the host destroys the instance and bypasses termination protection.",
            "Low.",
            true,
            Execution::Automatic,
            DryRun::Ec2,
            vec![format!("aws ec2 modify-instance-attribute --region {region} --instance-id {id} --instance-initiated-shutdown-behavior stop")],
            vec![format!("aws ec2 modify-instance-attribute --region {region} --instance-id {id} --instance-initiated-shutdown-behavior {before}")],
        );
        let devices: Vec<String> = i
            .volumes
            .iter()
            .filter(|v| v.delete_on_termination != Some(false))
            .filter_map(|v| v.device.clone())
            .collect();
        if !devices.is_empty() {
            let mapping = |keep: bool| {
                let items: Vec<String> = devices
                    .iter()
                    .map(|d| {
                        format!(
                            "{{\"DeviceName\":\"{d}\",\"Ebs\":{{\"DeleteOnTermination\":{keep}}}}}"
                        )
                    })
                    .collect();
                format!("'[{}]'", items.join(","))
            };
            b.push(
                format!("keep-volumes:{id}"),
                Phase::Protect,
                format!("Keep the EBS volumes of {id} if it is terminated ({})", devices.join(", ")),
                Action::KeepVolumesOnTermination { region: region.clone(), instance_id: id.clone(), devices: devices.clone() },
                "Disk evidence survives a termination that gets past the protection.",
                "Low: volumes left behind after a later termination must be deleted by hand.",
                true,
                Execution::Automatic,
                DryRun::Ec2,
                vec![format!("aws ec2 modify-instance-attribute --region {region} --instance-id {id} --block-device-mappings {}", mapping(false))],
                vec![format!("aws ec2 modify-instance-attribute --region {region} --instance-id {id} --block-device-mappings {}", mapping(true))],
            );
        }
    }
    // Auto Scaling: termination protection does not stop a group from replacing the instance.
    let mut asg_members: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for i in &live {
        if let Some(g) = &i.auto_scaling_group
            && i.state == "running"
        {
            asg_members
                .entry((i.region.clone(), g.clone()))
                .or_default()
                .push(i.id.clone());
        }
    }
    for ((region, group), ids) in &asg_members {
        let joined = ids.join(" ");
        b.push(
            format!("asg-standby:{group}"),
            Phase::Protect,
            format!("Put {} instance(s) of Auto Scaling group {group} in Standby", ids.len()),
            Action::AutoScalingStandby { region: region.clone(), group: group.clone(), instance_ids: ids.clone() },
            "Auto Scaling ignores termination protection and would replace or terminate an unhealthy instance; Standby takes it out of service and out of health checks while keeping it (detach-instances is the alternative).",
            "Medium: the group's capacity drops by the instances put in Standby (desired capacity is decremented, so no replacement is launched with the leaked key).",
            true,
            Execution::Automatic,
            DryRun::Simulated,
            vec![format!("aws autoscaling enter-standby --region {region} --auto-scaling-group-name {} --instance-ids {joined} --should-decrement-desired-capacity", q(group))],
            vec![format!("aws autoscaling exit-standby --region {region} --auto-scaling-group-name {} --instance-ids {joined}", q(group))],
        );
    }
    for (region, insts) in &regions {
        let ids: Vec<String> = insts.iter().map(|i| i.id.clone()).collect();
        let mut cli = vec![format!(
            "aws elbv2 describe-target-groups --region {region} --query 'TargetGroups[].TargetGroupArn' --output text   # then, for each group:"
        )];
        for id in &ids {
            cli.push(format!("aws elbv2 describe-target-health --region {region} --target-group-arn <ARN> --query \"TargetHealthDescriptions[?Target.Id=='{id}']\""));
            cli.push(format!("aws elbv2 deregister-targets --region {region} --target-group-arn <ARN> --targets Id={id}"));
            cli.push(format!("aws elb deregister-instances-from-load-balancer --region {region} --load-balancer-name <NAME> --instances {id}   # Classic Load Balancers"));
        }
        b.push(
            format!("load-balancers:{region}"),
            Phase::Traffic,
            format!("Deregister {} instance(s) from load balancers", ids.len()),
            Action::DeregisterFromLoadBalancers { region: region.clone(), instance_ids: ids },
            "Stops customer traffic (and the data in it) from reaching a compromised host. trailhound does not collect load balancers: look the registrations up and deregister by hand.",
            "Medium: capacity behind the load balancer drops.",
            true,
            Execution::Instructions,
            DryRun::NotApplicable,
            cli,
            vec![format!("aws elbv2 register-targets --region {region} --target-group-arn <ARN> --targets Id=<instance-id>")],
        );
    }
    for (region, insts) in &regions {
        b.push(
            format!("memory:{region}"),
            Phase::Evidence,
            "Capture memory (optional, before isolation)".to_string(),
            Action::CaptureMemory { region: region.clone(), instance_ids: insts.iter().map(|i| i.id.clone()).collect() },
            "Volatile evidence (processes, network connections, keys in memory) is lost on stop; capture it through SSM Run Command or an agent before isolation cuts the path, or through an examiner-only path.",
            "The capture tool runs on the compromised host; an attacker may see it.",
            false,
            Execution::Instructions,
            DryRun::NotApplicable,
            vec![format!("aws ssm send-command --region {region} --instance-ids {} --document-name AWS-RunShellScript --parameters 'commands=[\"<your memory capture tool, writing to S3>\"]'", insts.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join(" "))],
            Vec::new(),
        );
    }

    // 5. Disk evidence, before anything destructive.
    for i in &live {
        let (region, id) = (&i.region, &i.id);
        if i.volumes.is_empty() && i.root_device_type.as_deref() == Some("instance-store") {
            b.notes.push(format!("{id} has only instance-store storage: snapshots cannot preserve it, and stopping it loses it"));
            continue;
        }
        let index = b.steps.len() + 1;
        b.push(
            format!("snapshot:{id}"),
            Phase::Evidence,
            format!("Snapshot every EBS volume of {id} ({} volume(s))", i.volumes.len()),
            Action::SnapshotVolumes { region: region.clone(), instance_id: id.clone(), case_id: case.to_string() },
            "Crash-consistent disk evidence of all volumes at once, taken before isolation, stop or anything else that changes the instance.",
            "None for the instance (no reboot, unlike CreateImage); snapshots cost storage until the case closes. Instance-store data is not included.",
            false,
            Execution::Automatic,
            DryRun::Ec2,
            vec![format!(
                "aws ec2 create-snapshots --region {region} --instance-specification InstanceId={id},ExcludeBootVolume=false --copy-tags-from-source volume --description {} --tag-specifications 'ResourceType=snapshot,Tags=[{{Key=trailhound:case,Value={case}}},{{Key=trailhound:step,Value={index}}}]'",
                q(&format!("trailhound {case}: evidence of {id}"))
            )],
            vec!["(snapshots are evidence and stay; delete them when the case is closed)".to_string()],
        );
    }

    // 6. Network isolation, per ENI, through an all-access group and then the quarantine group.
    // (region, vpc) → [(eni, its groups before)]
    type EnisOfVpc = BTreeMap<(String, String), Vec<(String, Vec<String>)>>;
    let mut vpcs: EnisOfVpc = BTreeMap::new();
    for i in &live {
        for e in &i.network_interfaces {
            if let Some(vpc) = &e.vpc_id {
                vpcs.entry((i.region.clone(), vpc.clone()))
                    .or_default()
                    .push((e.id.clone(), e.security_groups.clone()));
            }
        }
    }
    let all_access_name = format!("trailhound-all-access-{case}");
    let quarantine_name = format!("trailhound-quarantine-{case}");
    let mut groups_step_of: BTreeMap<(String, String), String> = BTreeMap::new();
    for (region, vpc) in vpcs.keys() {
        let qv = var("QUARANTINE_SG", vpc);
        let av = var("ALL_ACCESS_SG", vpc);
        let mut cli = vec![
            format!(
                "{qv}=$(aws ec2 create-security-group --region {region} --vpc-id {vpc} --group-name {quarantine_name} --description {} --tag-specifications 'ResourceType=security-group,Tags=[{{Key=trailhound:case,Value={case}}}]' --query GroupId --output text)",
                q(&format!("trailhound {case}: quarantine, no traffic"))
            ),
            format!(
                "aws ec2 revoke-security-group-egress --region {region} --group-id \"${qv}\" --ip-permissions 'IpProtocol=-1,IpRanges=[{{CidrIp=0.0.0.0/0}}]'"
            ),
        ];
        if let Some(cidr) = &options.examiner_cidr {
            cli.push(format!("aws ec2 authorize-security-group-ingress --region {region} --group-id \"${qv}\" --protocol tcp --port 22 --cidr {cidr}"));
        }
        cli.extend([
            format!("{av}=$(aws ec2 create-security-group --region {region} --vpc-id {vpc} --group-name {all_access_name} --description {} --tag-specifications 'ResourceType=security-group,Tags=[{{Key=trailhound:case,Value={case}}}]' --query GroupId --output text)", q(&format!("trailhound {case}: all traffic, to untrack connections"))),
            format!("aws ec2 authorize-security-group-ingress --region {region} --group-id \"${av}\" --ip-permissions 'IpProtocol=-1,IpRanges=[{{CidrIp=0.0.0.0/0}}],Ipv6Ranges=[{{CidrIpv6=::/0}}]'"),
            format!("aws ec2 authorize-security-group-egress --region {region} --group-id \"${av}\" --ip-permissions 'IpProtocol=-1,Ipv6Ranges=[{{CidrIpv6=::/0}}]'"),
        ]);
        let id = format!("isolation-groups:{vpc}");
        groups_step_of.insert((region.clone(), vpc.clone()), id.clone());
        b.push(
            id,
            Phase::Isolate,
            format!("Create the all-access and quarantine groups in {vpc}"),
            Action::CreateIsolationGroups {
                region: region.clone(),
                vpc_id: vpc.clone(),
                all_access_name: all_access_name.clone(),
                quarantine_name: quarantine_name.clone(),
                examiner_cidr: options.examiner_cidr.clone(),
            },
            format!(
                "A quarantine group with no rules (default egress revoked){} and an all-access group (all protocols from and to 0.0.0.0/0 and ::/0) used for a moment so existing tracked connections become untracked and then drop.",
                options.examiner_cidr.as_deref().map(|c| format!(" except SSH from the examiner {c}")).unwrap_or_default()
            ),
            "None until an ENI uses them.",
            true,
            Execution::Automatic,
            DryRun::Ec2,
            cli,
            vec![
                format!("aws ec2 delete-security-group --region {region} --group-id \"${qv}\""),
                format!("aws ec2 delete-security-group --region {region} --group-id \"${av}\""),
            ],
        );
    }
    for ((region, vpc), enis) in &vpcs {
        let groups_step = groups_step_of[&(region.clone(), vpc.clone())].clone();
        for (eni, original) in enis {
            let qv = var("QUARANTINE_SG", vpc);
            let av = var("ALL_ACCESS_SG", vpc);
            b.push(
                format!("isolate:{eni}"),
                Phase::Isolate,
                format!("Isolate {eni}: all-access group, then the quarantine group"),
                Action::IsolateInterface {
                    region: region.clone(),
                    eni_id: eni.clone(),
                    vpc_id: vpc.clone(),
                    all_access_name: all_access_name.clone(),
                    quarantine_name: quarantine_name.clone(),
                    groups_step: groups_step.clone(),
                },
                "Every ENI, not just the primary one (modify-instance-attribute --groups touches only eth0). Changing groups does not cut tracked connections: passing through a group that allows everything makes them untracked, and the quarantine group then drops them.",
                "High for the workload: the instance loses all network access. For the seconds between the two calls it is open to all traffic. ICMP and connections through NLB, NAT gateway, Transit Gateway, Gateway Load Balancer, PrivateLink and Global Accelerator stay tracked and may survive: use the NACL deny or stop for those.",
                true,
                Execution::Automatic,
                DryRun::Ec2,
                vec![
                    format!("aws ec2 modify-network-interface-attribute --region {region} --network-interface-id {eni} --groups \"${av}\""),
                    format!("aws ec2 modify-network-interface-attribute --region {region} --network-interface-id {eni} --groups \"${qv}\""),
                ],
                vec![format!(
                    "aws ec2 modify-network-interface-attribute --region {region} --network-interface-id {eni} --groups {}",
                    if original.is_empty() { "<recorded groups>".to_string() } else { original.join(" ") }
                )],
            );
        }
    }

    // 7. NACL deny (optional; subnet-wide).
    let mut nacl_targets: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for i in &live {
        for e in &i.network_interfaces {
            if let (Some(acl), Some(ip)) = (&e.network_acl_id, &e.private_ip) {
                nacl_targets
                    .entry((i.region.clone(), acl.clone()))
                    .or_default()
                    .insert(format!("{ip}/32"));
            }
        }
    }
    let mut next_rule: BTreeMap<String, i32> = BTreeMap::new();
    for ((region, acl), cidrs) in &nacl_targets {
        for cidr in cidrs {
            let state = radius.network_acls.iter().find(|a| &a.id == acl);
            let n = next_rule.entry(acl.clone()).or_insert(1);
            while state.is_some_and(|a| a.rule_numbers_in_use.contains(n)) {
                *n += 1;
            }
            let rule = *n;
            *n += 1;
            let behind_allow = state
                .and_then(|a| a.lowest_allow)
                .is_some_and(|low| low < rule);
            let execution = if options.nacl_deny {
                Execution::Automatic
            } else {
                Execution::NotSelected
            };
            b.push(
                format!("nacl-deny:{acl}:{cidr}"),
                Phase::Isolate,
                format!("Deny {cidr} in network ACL {acl} (rule {rule}, both directions)"),
                Action::NaclDeny { region: region.clone(), network_acl_id: acl.clone(), cidr: cidr.clone(), rule_number: rule },
                format!(
                    "Network ACLs are stateless: a deny cuts connections that stay tracked through the group change.{}",
                    if options.nacl_deny { "" } else { " Not selected: pass --nacl-deny." }
                ),
                format!(
                    "The ACL is shared by the whole subnet: a wrong CIDR blocks other hosts. Traffic between hosts of the same subnet is not filtered by ACLs.{}",
                    if behind_allow { " An allow rule has a lower number than this deny and wins for the traffic it matches: renumber that rule." } else { "" }
                ),
                true,
                execution,
                DryRun::Ec2,
                vec![
                    format!("aws ec2 create-network-acl-entry --region {region} --network-acl-id {acl} --ingress --rule-number {rule} --protocol -1 --cidr-block {cidr} --rule-action deny"),
                    format!("aws ec2 create-network-acl-entry --region {region} --network-acl-id {acl} --egress --rule-number {rule} --protocol -1 --cidr-block {cidr} --rule-action deny"),
                ],
                vec![
                    format!("aws ec2 delete-network-acl-entry --region {region} --network-acl-id {acl} --ingress --rule-number {rule}"),
                    format!("aws ec2 delete-network-acl-entry --region {region} --network-acl-id {acl} --egress --rule-number {rule}"),
                ],
            );
        }
    }

    // 8. Credentials: IMDS off, profile off, older sessions revoked.
    for i in &live {
        let (region, id) = (&i.region, &i.id);
        let Some(imds) = &i.imds else { continue };
        if imds.http_endpoint.as_deref() == Some("disabled") {
            continue;
        }
        let mut restore = format!(
            "aws ec2 modify-instance-metadata-options --region {region} --instance-id {id} --http-endpoint enabled"
        );
        if let Some(t) = &imds.http_tokens {
            restore.push_str(&format!(" --http-tokens {t}"));
        }
        if let Some(h) = imds.hop_limit {
            restore.push_str(&format!(" --http-put-response-hop-limit {h}"));
        }
        b.push(
            format!("imds-off:{id}"),
            Phase::Credentials,
            format!("Turn off the instance metadata service of {id}"),
            Action::DisableImds { region: region.clone(), instance_id: id.clone() },
            "A shell on the host fetches role credentials from IMDS; requiring IMDSv2 tokens only stops SSRF, not a shell. Off, no new credentials are handed out.",
            "Medium: software on the host that reads metadata or role credentials fails (SSM agent, CloudWatch agent, SDKs).",
            true,
            Execution::Automatic,
            DryRun::Ec2,
            vec![format!("aws ec2 modify-instance-metadata-options --region {region} --instance-id {id} --http-endpoint disabled")],
            vec![restore],
        );
    }
    for i in &live {
        let (region, id) = (&i.region, &i.id);
        let Some(arn) = &i.instance_profile_arn else {
            continue;
        };
        b.push(
            format!("profile-off:{id}"),
            Phase::Credentials,
            format!("Disassociate the instance profile from {id}"),
            Action::DisassociateInstanceProfile { region: region.clone(), instance_id: id.clone(), profile_arn: arn.clone() },
            format!("Takes the role ({}) away from the instance, so even with IMDS back on no credentials are issued.", if i.roles.is_empty() { "unknown".to_string() } else { i.roles.join(", ") }),
            "Medium: software relying on the role stops working. EC2 has no DryRun for this call: it is simulated.",
            true,
            Execution::Automatic,
            DryRun::Simulated,
            vec![
                format!("ASSOC=$(aws ec2 describe-iam-instance-profile-associations --region {region} --filters Name=instance-id,Values={id} Name=state,Values=associated --query 'IamInstanceProfileAssociations[0].AssociationId' --output text)"),
                format!("aws ec2 disassociate-iam-instance-profile --region {region} --association-id \"$ASSOC\""),
            ],
            vec![format!("aws ec2 associate-iam-instance-profile --region {region} --instance-id {id} --iam-instance-profile Arn={arn}")],
        );
    }
    for role in &radius.roles {
        let name = &role.role_name;
        let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}}}]}"#;
        b.push(
            format!("revoke-sessions:{name}"),
            Phase::Credentials,
            format!("Revoke sessions of role {name} issued before now"),
            Action::RevokeOlderSessions { role_name: name.clone() },
            format!(
                "Credentials already taken from IMDS stay valid for hours; an inline deny on aws:TokenIssueTime voids every session issued before the cut-off. Done after the profile is removed, or the attacker just fetches new ones.{}",
                if role.admin { " The role is admin-equivalent." } else { "" }
            ),
            format!(
                "High: every user of the role is cut off, not only the affected instances ({} affected instance(s) use it); other instances get fresh credentials on their next refresh. IAM has no DryRun: it is simulated.",
                role.instances.len()
            ),
            true,
            Execution::Automatic,
            DryRun::Simulated,
            vec![format!("aws iam put-role-policy --role-name {} --policy-name {REVOKE_POLICY_NAME} --policy-document '{document}'", q(name))],
            vec![format!("aws iam delete-role-policy --role-name {} --policy-name {REVOKE_POLICY_NAME}", q(name))],
        );
    }

    // 9. Stop (optional).
    for i in &live {
        if i.state != "running" && i.state != "pending" {
            continue;
        }
        let (region, id) = (&i.region, &i.id);
        let eip = i
            .network_interfaces
            .iter()
            .any(|e| e.public_ip_owner.as_deref().is_some_and(|o| o != "amazon"));
        let execution = if options.stop {
            Execution::Automatic
        } else {
            Execution::NotSelected
        };
        b.push(
            format!("stop:{id}"),
            Phase::Stop,
            format!("Stop {id}"),
            Action::StopInstance { region: region.clone(), instance_id: id.clone() },
            format!(
                "Ends every connection and process at once, including tracked flows isolation cannot cut.{}",
                if options.stop { "" } else { " Not selected: pass --stop." }
            ),
            format!(
                "High: memory and instance-store data are lost for good; an auto-assigned public IPv4 is released{}.{}",
                if eip { " (an Elastic IP stays: disassociate it to remove the public address)" } else { "" },
                if i.root_device_type.as_deref() == Some("instance-store") { " The root device is instance store: the instance cannot be stopped, only terminated." } else { "" }
            ),
            true,
            execution,
            DryRun::Ec2,
            vec![format!("aws ec2 stop-instances --region {region} --instance-ids {id}")],
            vec![format!("aws ec2 start-instances --region {region} --instance-ids {id}")],
        );
    }

    // 10. What keeps launching with the key, then the key pair itself.
    if let Some(key) = key {
        for t in &radius.launch_templates {
            let (region, lt) = (&t.region, &t.id);
            if !t.default_has_key
                && !t
                    .latest_version
                    .is_some_and(|l| t.versions_with_key.contains(&l))
            {
                continue;
            }
            let default = t
                .default_version
                .map(|v| v.to_string())
                .unwrap_or_else(|| "<recorded default>".into());
            let pinned: Vec<&String> = t
                .used_by
                .iter()
                .filter(|u| !u.ends_with("($Default)") && !u.ends_with("($Latest)"))
                .collect();
            b.push(
                format!("launch-template:{lt}"),
                Phase::Launch,
                format!("New default version of launch template {} without the key pair", t.name.as_deref().unwrap_or(lt)),
                Action::UpdateLaunchTemplate { region: region.clone(), launch_template_id: lt.clone(), key_name: t.key_name.clone(), case_id: case.to_string() },
                "Auto Scaling groups and people launching from the template would keep starting instances the leaked key opens (and fail once the key pair is deleted). The new version copies the default version's data without KeyName.",
                if pinned.is_empty() {
                    "Low: new instances have no EC2 key pair; use SSM Session Manager or EC2 Instance Connect.".to_string()
                } else {
                    format!("Low. Groups pinned to a version number keep launching the old one until updated: {}.", pinned.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                },
                true,
                Execution::Automatic,
                DryRun::Ec2,
                vec![
                    format!("aws ec2 describe-launch-template-versions --region {region} --launch-template-id {lt} --versions '$Default' --query 'LaunchTemplateVersions[0].LaunchTemplateData' > {case}-{lt}.json"),
                    format!("jq 'del(.KeyName)' {case}-{lt}.json > {case}-{lt}-nokey.json"),
                    format!("NEW=$(aws ec2 create-launch-template-version --region {region} --launch-template-id {lt} --version-description {} --launch-template-data file://{case}-{lt}-nokey.json --query LaunchTemplateVersion.VersionNumber --output text)", q(&format!("trailhound {case}: without key pair {}", t.key_name))),
                    format!("aws ec2 modify-launch-template --region {region} --launch-template-id {lt} --default-version \"$NEW\""),
                ],
                vec![format!("aws ec2 modify-launch-template --region {region} --launch-template-id {lt} --default-version {default}")],
            );
        }
        for c in &radius.launch_configurations {
            let region = &c.region;
            b.push(
                format!("launch-configuration:{}", c.name),
                Phase::Launch,
                format!("Replace launch configuration {} with one without the key pair", c.name),
                Action::ReplaceLaunchConfiguration { region: region.clone(), name: c.name.clone(), groups: c.used_by.clone() },
                "Launch configurations cannot be changed: a copy without KeyName must be created and the groups pointed at it (or moved to a launch template).",
                "Low.",
                true,
                Execution::Instructions,
                DryRun::NotApplicable,
                std::iter::once(format!("aws autoscaling create-launch-configuration --region {region} --launch-configuration-name {}-nokey --instance-id <an instance of the group> ...   # same settings, no --key-name", c.name))
                    .chain(c.used_by.iter().map(|g| format!("aws autoscaling update-auto-scaling-group --region {region} --auto-scaling-group-name {} --launch-configuration-name {}-nokey", q(g), c.name)))
                    .collect(),
                c.used_by.iter().map(|g| format!("aws autoscaling update-auto-scaling-group --region {region} --auto-scaling-group-name {} --launch-configuration-name {}", q(g), c.name)).collect(),
            );
        }
        for kp in &key.key_pairs {
            let region = &kp.region;
            let selector = match &kp.id {
                Some(id) => format!("--key-name {}   # {id}", q(&kp.name)),
                None => format!("--key-name {}", q(&kp.name)),
            };
            b.push(
                format!("delete-key-pair:{region}/{}", kp.name),
                Phase::Key,
                format!("Delete key pair {} in {region}", kp.name),
                Action::DeleteKeyPair { region: region.clone(), key_name: kp.name.clone(), key_pair_id: kp.id.clone() },
                "Last, once nothing launches with it: nobody can start new instances with the leaked key. It is not containment: the key stays in the authorized_keys of every instance and AMI made with it.",
                "Launches naming the key fail (templates and configurations are updated above). EC2 keeps no copy of the private key: this cannot be undone, only re-imported from the public key (new id; an EC2-created RSA key then shows an MD5 fingerprint).",
                false,
                Execution::Automatic,
                DryRun::Ec2,
                vec![format!("aws ec2 delete-key-pair --region {region} {selector}")],
                vec![format!("aws ec2 import-key-pair --region {region} --key-name {} --public-key-material fileb://<public key file>   # only if it must come back", q(&kp.name))],
            );
        }
        // 11. Host: the key stays in authorized_keys.
        let public_blob = key_blob(key);
        for (region, insts) in &regions {
            let ids: Vec<String> = insts.iter().map(|i| i.id.clone()).collect();
            let script = match &public_blob {
                Some(blob) => format!("for f in /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys; do [ -f \"$f\" ] && cp -p \"$f\" \"$f.{case}\" && grep -vF {blob} \"$f.{case}\" > \"$f\"; done"),
                None => "for f in /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys; do [ -f \"$f\" ] && ssh-keygen -lf \"$f\"; done   # find the lines with the key's fingerprint and remove them".to_string(),
            };
            b.push(
                format!("authorized-keys:{region}"),
                Phase::Host,
                format!("Remove the key from authorized_keys on {} instance(s)", ids.len()),
                Action::RemoveFromAuthorizedKeys {
                    region: region.clone(),
                    instance_ids: ids.clone(),
                    public_key_blob: public_blob.clone(),
                    sshd_fingerprints: key.sshd_fingerprints.clone(),
                },
                "Deleting the key pair leaves the public key in authorized_keys: the leaked private key still logs in wherever the network allows. Needs the host (SSM Run Command), so it is left to a person, after isolation and evidence, on instances that are to keep running.",
                "Medium: locks out anyone who legitimately used the key; keep another way in (SSM Session Manager, EC2 Instance Connect). Isolation and IMDS off also cut the SSM agent: run this before them or after restoring.",
                false,
                Execution::Instructions,
                DryRun::NotApplicable,
                vec![format!(
                    "aws ssm send-command --region {region} --instance-ids {} --document-name AWS-RunShellScript --comment {} --parameters {}",
                    ids.join(" "),
                    q(&format!("trailhound {case}: remove leaked key")),
                    q(&format!("commands=[{}]", serde_json::Value::String(script)))
                )],
                Vec::new(),
            );
        }
        let mut images: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for img in &radius.images {
            images
                .entry(img.region.clone())
                .or_default()
                .push(img.id.clone());
        }
        for (region, ids) in images {
            b.push(
                format!("retire-images:{region}"),
                Phase::Host,
                format!("Retire {} AMI(s) that carry the key", ids.len()),
                Action::RetireImages { region: region.clone(), image_ids: ids.clone() },
                "AMIs made from affected instances have the key in authorized_keys: every launch from them is open to the leaked key.",
                "Medium: launches from these AMIs stop; rebuild them from a clean source with a new key.",
                false,
                Execution::Instructions,
                DryRun::NotApplicable,
                ids.iter().map(|id| format!("aws ec2 deregister-image --region {region} --image-id {id}   # or: aws ec2 disable-image --image-id {id}")).collect(),
                Vec::new(),
            );
        }
    } else {
        for i in &live {
            b.push(
                format!("review-host:{}", i.id),
                Phase::Host,
                format!("Look for persistence on {}", i.id),
                Action::ReviewInstanceForPersistence { region: i.region.clone(), instance_id: i.id.clone() },
                "An attacker with a shell may have added SSH keys (authorized_keys of every user), users, sudoers entries, cron jobs or systemd units: `trailhound host` on a mounted snapshot volume checks the SSH side offline.",
                "None: reads a copy of the disk.",
                false,
                Execution::Instructions,
                DryRun::NotApplicable,
                vec![format!("aws ec2 create-volume --region {} --snapshot-id <snapshot from the snapshot step> --availability-zone <examiner AZ>   # attach to an examiner instance, mount read-only, then: trailhound host --root /mnt/evidence", i.region)],
                Vec::new(),
            );
        }
    }
    if live.is_empty() {
        b.notes
            .push("no running or stopped instance is affected: nothing to isolate".to_string());
    }
    Plan {
        target,
        options: options.clone(),
        steps: b.steps,
        notes: b.notes,
    }
}

/// The base64 blob of the key's public key, when a key pair's PublicKey gives it (for a safe
/// `grep -vF` over authorized_keys).
fn key_blob(key: &IdentifiedKey) -> Option<String> {
    key.public_key_blobs.first().cloned()
}
