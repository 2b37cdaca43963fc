//! The containment plan's steps through the AWS SDK: [`AwsRunner`] implements
//! `respond::StepRunner`. EC2 steps are checked with DryRun (DryRunOperation = would succeed,
//! UnauthorizedOperation = not permitted); IAM, Auto Scaling and the instance profile
//! disassociation have no DryRun and are simulated from reads. Every `apply` reads first and
//! adopts an earlier effect, so a step interrupted by a crash can be carried out again.
//! Throttling is retried with exponential backoff on top of the SDK's own retries.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_ec2::types as t;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use respond::engine::{Check, ErrorKind, RunContext, StepError, StepRunner};
use respond::plan::{Action, REVOKE_POLICY_NAME, Step};
use serde_json::{Value, json};

use crate::client::{self, Connection};

const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
];
const DENIED: &[&str] = &[
    "UnauthorizedOperation",
    "AccessDenied",
    "AccessDeniedException",
    "AuthFailure",
    "Client.UnauthorizedOperation",
];

/// The kind of a failed call from its error code.
pub fn classify(code: Option<&str>) -> ErrorKind {
    match code {
        Some(c) if THROTTLING.contains(&c) => ErrorKind::Throttled,
        Some(c) if DENIED.contains(&c) => ErrorKind::Denied,
        Some(c) if c.contains("NotFound") || c == "NoSuchEntity" => ErrorKind::NotFound,
        _ => ErrorKind::Other,
    }
}

fn code_of<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> Option<String> {
    e.code().map(str::to_string)
}

fn to_step_error<E>(op: &str, e: &SdkError<E, HttpResponse>) -> StepError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = code_of(e);
    let message = match (&code, e.message()) {
        (Some(c), Some(m)) => format!("{op}: {c}: {m}"),
        (Some(c), None) => format!("{op}: {c}"),
        _ => format!("{op}: {}", DisplayErrorContext(e)),
    };
    let kind = classify(code.as_deref());
    let hint = match kind {
        ErrorKind::Denied => {
            " (grant the permission, or run the step's aws CLI command as someone who has it)"
        }
        ErrorKind::Throttled => " (still throttled after retries: resume later)",
        _ => "",
    };
    StepError::new(kind, format!("{message}{hint}"))
}

/// Carries out plan steps against AWS.
pub struct AwsRunner {
    rt: tokio::runtime::Runtime,
    conn: Connection,
    configs: HashMap<String, SdkConfig>,
    global: Option<SdkConfig>,
    /// Attempts for throttled calls on top of the SDK's retries.
    pub throttle_attempts: u32,
}

impl AwsRunner {
    pub fn new(conn: Connection) -> anyhow::Result<AwsRunner> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(AwsRunner {
            rt,
            conn,
            configs: HashMap::new(),
            global: None,
            throttle_attempts: 4,
        })
    }

    fn conf(&mut self, region: Option<&str>) -> SdkConfig {
        match region {
            Some(r) => {
                if !self.configs.contains_key(r) {
                    let c = self.rt.block_on(client::load(&self.conn, Some(r)));
                    self.configs.insert(r.to_string(), c);
                }
                self.configs[r].clone()
            }
            None => {
                if self.global.is_none() {
                    self.global = Some(self.rt.block_on(client::load(&self.conn, None)));
                }
                self.global.clone().unwrap_or_else(|| unreachable!())
            }
        }
    }

    fn ec2(&mut self, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.conf(Some(region)))
    }

    fn asg(&mut self, region: &str) -> aws_sdk_autoscaling::Client {
        aws_sdk_autoscaling::Client::new(&self.conf(Some(region)))
    }

    fn iam(&mut self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.conf(None))
    }

    /// Runs one call, retrying throttling with exponential backoff.
    fn call<T, E, F, Fut>(&self, op: &str, mut f: F) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let attempts = self.throttle_attempts.max(1);
        self.rt.block_on(async {
            let mut delay = Duration::from_millis(250);
            for attempt in 1..=attempts {
                match f().await {
                    Ok(v) => return Ok(v),
                    Err(e) => {
                        let throttled = classify(code_of(&e).as_deref()) == ErrorKind::Throttled;
                        if throttled && attempt < attempts {
                            tokio::time::sleep(delay).await;
                            delay *= 2;
                            continue;
                        }
                        return Err(to_step_error(op, &e));
                    }
                }
            }
            Err(StepError::new(
                ErrorKind::Throttled,
                format!("{op}: throttled"),
            ))
        })
    }

    /// Like `call`, but a failure with one of `codes` is `Ok(None)` (already gone, already there).
    fn call_tolerating<T, E, F, Fut>(
        &self,
        op: &str,
        codes: &[&str],
        f: F,
    ) -> Result<Option<T>, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match self.call(op, f) {
            Ok(v) => Ok(Some(v)),
            Err(e) if codes.iter().any(|c| e.message.contains(&format!(": {c}"))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// An EC2 call made with DryRun=true.
    fn dry<T, E, F, Fut>(&self, op: &str, f: F) -> Check
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match self.call(op, f) {
            Ok(_) => Check::Failed(format!(
                "{op}: the endpoint ignored DryRun and made the change"
            )),
            Err(e) if e.message.contains(": DryRunOperation") => Check::WouldSucceed(String::new()),
            Err(e) if e.kind == ErrorKind::Denied => Check::NotPermitted(e.message),
            Err(e) => Check::Failed(e.message),
        }
    }

    fn instance(&mut self, region: &str, id: &str) -> Result<t::Instance, StepError> {
        let ec2 = self.ec2(region);
        let out = self.call("ec2 DescribeInstances", || {
            ec2.describe_instances().instance_ids(id).send()
        })?;
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(id))
            .cloned()
            .ok_or_else(|| {
                StepError::new(
                    ErrorKind::NotFound,
                    format!("instance {id} not found in {region}"),
                )
            })
    }

    fn groups_of_eni(&mut self, region: &str, eni: &str) -> Result<Vec<String>, StepError> {
        let ec2 = self.ec2(region);
        let out = self.call("ec2 DescribeNetworkInterfaces", || {
            ec2.describe_network_interfaces()
                .network_interface_ids(eni)
                .send()
        })?;
        Ok(out
            .network_interfaces()
            .first()
            .map(|n| {
                n.groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn group_by_name(
        &mut self,
        region: &str,
        vpc: &str,
        name: &str,
    ) -> Result<Option<String>, StepError> {
        let ec2 = self.ec2(region);
        let out = self.call("ec2 DescribeSecurityGroups", || {
            ec2.describe_security_groups()
                .filters(filter("group-name", name))
                .filters(filter("vpc-id", vpc))
                .send()
        })?;
        Ok(out
            .security_groups()
            .first()
            .and_then(|g| g.group_id().map(str::to_string)))
    }

    fn isolation_group_ids(
        &mut self,
        action: &Action,
        ctx: &RunContext,
    ) -> Result<(String, String), StepError> {
        let Action::IsolateInterface {
            region,
            vpc_id,
            all_access_name,
            quarantine_name,
            groups_step,
            ..
        } = action
        else {
            unreachable!()
        };
        if let Some(r) = ctx.results.get(groups_step)
            && let (Some(a), Some(q)) = (r["all_access"].as_str(), r["quarantine"].as_str())
        {
            return Ok((a.to_string(), q.to_string()));
        }
        let a = self.group_by_name(region, vpc_id, all_access_name)?;
        let q = self.group_by_name(region, vpc_id, quarantine_name)?;
        match (a, q) {
            (Some(a), Some(q)) => Ok((a, q)),
            _ => Err(StepError::new(
                ErrorKind::NotFound,
                format!(
                    "the isolation groups of {vpc_id} do not exist: run step {groups_step} first"
                ),
            )),
        }
    }
}

fn filter(name: &str, value: &str) -> t::Filter {
    t::Filter::builder().name(name).values(value).build()
}

fn tag(k: &str, v: &str) -> t::Tag {
    t::Tag::builder().key(k).value(v).build()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The default version's data with KeyName left out, as a request. Fields trailhound does not
/// copy make it refuse rather than drop a setting.
fn without_key(d: &t::ResponseLaunchTemplateData) -> Result<t::RequestLaunchTemplateData, String> {
    let mut unsupported = Vec::new();
    macro_rules! refuse {
        ($($name:literal => $set:expr),* $(,)?) => {
            $(if $set { unsupported.push($name); })*
        };
    }
    refuse!(
        "ElasticGpuSpecifications" => !d.elastic_gpu_specifications().is_empty(),
        "ElasticInferenceAccelerators" => !d.elastic_inference_accelerators().is_empty(),
        "InstanceMarketOptions" => d.instance_market_options().is_some(),
        "CpuOptions" => d.cpu_options().is_some(),
        "CapacityReservationSpecification" => d.capacity_reservation_specification().is_some(),
        "LicenseSpecifications" => !d.license_specifications().is_empty(),
        "HibernationOptions" => d.hibernation_options().is_some(),
        "EnclaveOptions" => d.enclave_options().is_some(),
        "InstanceRequirements" => d.instance_requirements().is_some(),
        "PrivateDnsNameOptions" => d.private_dns_name_options().is_some(),
        "MaintenanceOptions" => d.maintenance_options().is_some(),
        "Operator" => d.operator().is_some(),
        "NetworkPerformanceOptions" => d.network_performance_options().is_some(),
        "SecondaryInterfaces" => !d.secondary_interfaces().is_empty(),
    );
    if !unsupported.is_empty() {
        return Err(format!(
            "the template's default version sets {} which trailhound does not copy: use the step's aws CLI commands (jq del(.KeyName) keeps everything)",
            unsupported.join(", ")
        ));
    }
    let mut b = t::RequestLaunchTemplateData::builder()
        .set_kernel_id(d.kernel_id().map(str::to_string))
        .set_ebs_optimized(d.ebs_optimized())
        .set_image_id(d.image_id().map(str::to_string))
        .set_instance_type(d.instance_type().cloned())
        .set_ram_disk_id(d.ram_disk_id().map(str::to_string))
        .set_disable_api_termination(d.disable_api_termination())
        .set_disable_api_stop(d.disable_api_stop())
        .set_instance_initiated_shutdown_behavior(d.instance_initiated_shutdown_behavior().cloned())
        .set_user_data(d.user_data().map(str::to_string));
    if let Some(p) = d.iam_instance_profile() {
        b = b.iam_instance_profile(
            t::LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .set_arn(p.arn().map(str::to_string))
                .set_name(p.name().map(str::to_string))
                .build(),
        );
    }
    for m in d.block_device_mappings() {
        let ebs = m.ebs().map(|e| {
            t::LaunchTemplateEbsBlockDeviceRequest::builder()
                .set_encrypted(e.encrypted())
                .set_delete_on_termination(e.delete_on_termination())
                .set_iops(e.iops())
                .set_kms_key_id(e.kms_key_id().map(str::to_string))
                .set_snapshot_id(e.snapshot_id().map(str::to_string))
                .set_volume_size(e.volume_size())
                .set_volume_type(e.volume_type().cloned())
                .set_throughput(e.throughput())
                .build()
        });
        b = b.block_device_mappings(
            t::LaunchTemplateBlockDeviceMappingRequest::builder()
                .set_device_name(m.device_name().map(str::to_string))
                .set_virtual_name(m.virtual_name().map(str::to_string))
                .set_no_device(m.no_device().map(str::to_string))
                .set_ebs(ebs)
                .build(),
        );
    }
    for n in d.network_interfaces() {
        b = b.network_interfaces(
            t::LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .set_associate_public_ip_address(n.associate_public_ip_address())
                .set_delete_on_termination(n.delete_on_termination())
                .set_description(n.description().map(str::to_string))
                .set_device_index(n.device_index())
                .set_groups(Some(n.groups().to_vec()))
                .set_subnet_id(n.subnet_id().map(str::to_string))
                .set_network_interface_id(n.network_interface_id().map(str::to_string))
                .set_private_ip_address(n.private_ip_address().map(str::to_string))
                .build(),
        );
    }
    if let Some(m) = d.monitoring() {
        b = b.monitoring(
            t::LaunchTemplatesMonitoringRequest::builder()
                .set_enabled(m.enabled())
                .build(),
        );
    }
    if let Some(p) = d.placement() {
        b = b.placement(
            t::LaunchTemplatePlacementRequest::builder()
                .set_availability_zone(p.availability_zone().map(str::to_string))
                .set_group_name(p.group_name().map(str::to_string))
                .set_tenancy(p.tenancy().cloned())
                .build(),
        );
    }
    for s in d.tag_specifications() {
        b = b.tag_specifications(
            t::LaunchTemplateTagSpecificationRequest::builder()
                .set_resource_type(s.resource_type().cloned())
                .set_tags(Some(s.tags().to_vec()))
                .build(),
        );
    }
    b = b
        .set_security_group_ids(Some(d.security_group_ids().to_vec()).filter(|v| !v.is_empty()))
        .set_security_groups(Some(d.security_groups().to_vec()).filter(|v| !v.is_empty()));
    if let Some(c) = d.credit_specification().and_then(|c| c.cpu_credits()) {
        b = b.credit_specification(
            t::CreditSpecificationRequest::builder()
                .cpu_credits(c)
                .build(),
        );
    }
    if let Some(m) = d.metadata_options() {
        b = b.metadata_options(
            t::LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .set_http_tokens(m.http_tokens().cloned())
                .set_http_put_response_hop_limit(m.http_put_response_hop_limit())
                .set_http_endpoint(m.http_endpoint().cloned())
                .set_http_protocol_ipv6(m.http_protocol_ipv6().cloned())
                .set_instance_metadata_tags(m.instance_metadata_tags().cloned())
                .build(),
        );
    }
    Ok(b.build())
}

fn revoke_document(cutoff: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}
        }]
    })
    .to_string()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl StepRunner for AwsRunner {
    fn capture(&mut self, step: &Step, _ctx: &RunContext) -> Result<Value, StepError> {
        Ok(match &step.action {
            Action::TagInstances {
                region,
                instance_ids,
                ..
            } => {
                let ec2 = self.ec2(region);
                let out = self.call("ec2 DescribeTags", || {
                    ec2.describe_tags()
                        .filters(
                            t::Filter::builder()
                                .name("resource-id")
                                .set_values(Some(instance_ids.clone()))
                                .build(),
                        )
                        .filters(
                            t::Filter::builder()
                                .name("key")
                                .values("Status")
                                .values("trailhound:case")
                                .build(),
                        )
                        .send()
                })?;
                let mut tags = serde_json::Map::new();
                for id in instance_ids {
                    tags.insert(id.clone(), json!({}));
                }
                for d in out.tags() {
                    if let (Some(id), Some(k)) = (d.resource_id(), d.key()) {
                        tags.entry(id.to_string()).or_insert(json!({}))[k] = json!(d.value());
                    }
                }
                json!({ "tags": tags })
            }
            Action::EnableTerminationProtection {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(region);
                let out = self.call("ec2 DescribeInstanceAttribute", || {
                    ec2.describe_instance_attribute()
                        .instance_id(instance_id)
                        .attribute(t::InstanceAttributeName::DisableApiTermination)
                        .send()
                })?;
                json!({ "disable_api_termination": out.disable_api_termination().and_then(|v| v.value()) })
            }
            Action::ShutdownBehaviorStop {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(region);
                let out = self.call("ec2 DescribeInstanceAttribute", || {
                    ec2.describe_instance_attribute()
                        .instance_id(instance_id)
                        .attribute(t::InstanceAttributeName::InstanceInitiatedShutdownBehavior)
                        .send()
                })?;
                json!({ "shutdown_behavior": out.instance_initiated_shutdown_behavior().and_then(|v| v.value()) })
            }
            Action::KeepVolumesOnTermination {
                region,
                instance_id,
                ..
            } => {
                let inst = self.instance(region, instance_id)?;
                let map: serde_json::Map<String, Value> = inst
                    .block_device_mappings()
                    .iter()
                    .filter_map(|m| {
                        Some((
                            m.device_name()?.to_string(),
                            json!(m.ebs()?.delete_on_termination()),
                        ))
                    })
                    .collect();
                json!({ "delete_on_termination": map })
            }
            Action::AutoScalingStandby {
                region,
                instance_ids,
                ..
            } => {
                let asg = self.asg(region);
                let out = self.call("autoscaling DescribeAutoScalingInstances", || {
                    asg.describe_auto_scaling_instances()
                        .set_instance_ids(Some(instance_ids.clone()))
                        .send()
                })?;
                let states: serde_json::Map<String, Value> = out
                    .auto_scaling_instances()
                    .iter()
                    .filter_map(|i| {
                        Some((i.instance_id()?.to_string(), json!(i.lifecycle_state())))
                    })
                    .collect();
                json!({ "lifecycle": states })
            }
            Action::SnapshotVolumes {
                region,
                instance_id,
                ..
            } => {
                let inst = self.instance(region, instance_id)?;
                let vols: Vec<&str> = inst
                    .block_device_mappings()
                    .iter()
                    .filter_map(|m| m.ebs()?.volume_id())
                    .collect();
                json!({ "volumes": vols })
            }
            Action::IsolateInterface { region, eni_id, .. } => {
                json!({ "groups": self.groups_of_eni(region, eni_id)? })
            }
            Action::NaclDeny {
                region,
                network_acl_id,
                ..
            } => {
                let ec2 = self.ec2(region);
                let out = self.call("ec2 DescribeNetworkAcls", || {
                    ec2.describe_network_acls()
                        .network_acl_ids(network_acl_id)
                        .send()
                })?;
                let used: Vec<Value> = out
                    .network_acls()
                    .iter()
                    .flat_map(|a| a.entries())
                    .map(|e| json!({"rule": e.rule_number(), "egress": e.egress(), "cidr": e.cidr_block(), "action": e.rule_action().map(|a| a.as_str())}))
                    .collect();
                json!({ "entries": used })
            }
            Action::DisableImds {
                region,
                instance_id,
            } => {
                let inst = self.instance(region, instance_id)?;
                let m = inst.metadata_options();
                json!({
                    "http_endpoint": m.and_then(|m| m.http_endpoint()).map(|x| x.as_str()),
                    "http_tokens": m.and_then(|m| m.http_tokens()).map(|x| x.as_str()),
                    "hop_limit": m.and_then(|m| m.http_put_response_hop_limit()),
                })
            }
            Action::DisassociateInstanceProfile {
                region,
                instance_id,
                profile_arn,
            } => {
                let (assoc, arn) = self.association(region, instance_id)?;
                json!({ "association_id": assoc, "profile_arn": arn.unwrap_or_else(|| profile_arn.clone()) })
            }
            Action::RevokeOlderSessions { role_name } => {
                let iam = self.iam();
                let existing =
                    self.call_tolerating("iam GetRolePolicy", &["NoSuchEntity"], || {
                        iam.get_role_policy()
                            .role_name(role_name)
                            .policy_name(REVOKE_POLICY_NAME)
                            .send()
                    })?;
                // The cut-off is fixed here, once: a re-run after a crash reuses it.
                let cutoff = respond::utc_now_seconds();
                json!({
                    "existing_policy": existing.map(|p| percent_decode(p.policy_document())),
                    "cutoff": cutoff,
                })
            }
            Action::StopInstance {
                region,
                instance_id,
            } => {
                let inst = self.instance(region, instance_id)?;
                json!({ "state": inst.state().and_then(|s| s.name()).map(|n| n.as_str()) })
            }
            Action::UpdateLaunchTemplate {
                region,
                launch_template_id,
                ..
            } => {
                let ec2 = self.ec2(region);
                let out = self.call("ec2 DescribeLaunchTemplates", || {
                    ec2.describe_launch_templates()
                        .launch_template_ids(launch_template_id)
                        .send()
                })?;
                let lt = out.launch_templates().first();
                json!({ "default_version": lt.and_then(|l| l.default_version_number()), "latest_version": lt.and_then(|l| l.latest_version_number()) })
            }
            Action::DeleteKeyPair {
                region,
                key_name,
                key_pair_id,
            } => {
                // By name (unique in a region); the id guards against a key pair re-created
                // under the same name since the plan was made.
                let ec2 = self.ec2(region);
                let out = self.call_tolerating(
                    "ec2 DescribeKeyPairs",
                    &["InvalidKeyPair.NotFound"],
                    || {
                        ec2.describe_key_pairs()
                            .include_public_key(true)
                            .key_names(key_name)
                            .send()
                    },
                )?;
                match out.as_ref().and_then(|o| {
                    o.key_pairs()
                        .iter()
                        .find(|k| k.key_name() == Some(key_name.as_str()))
                }) {
                    Some(k) => {
                        if let (Some(planned), Some(now)) =
                            (key_pair_id.as_deref(), k.key_pair_id())
                            && planned != now
                        {
                            return Err(StepError::new(
                                ErrorKind::Other,
                                format!(
                                    "key pair {key_name} is now {now}, not the planned {planned}: it was re-created; not deleting it (check it and delete it by hand)"
                                ),
                            ));
                        }
                        json!({
                            "key_name": k.key_name(), "key_pair_id": k.key_pair_id(),
                            "fingerprint": k.key_fingerprint(), "key_type": k.key_type().map(|x| x.as_str()),
                            "public_key": k.public_key(),
                        })
                    }
                    None => json!({ "absent": true }),
                }
            }
            _ => Value::Null,
        })
    }

    fn check(&mut self, step: &Step, ctx: &RunContext) -> Check {
        match &step.action {
            Action::RecordState {
                region,
                instance_ids,
            } => {
                let ec2 = self.ec2(region);
                match self.call("ec2 DescribeInstances", || {
                    ec2.describe_instances()
                        .set_instance_ids(Some(instance_ids.clone()))
                        .send()
                }) {
                    Ok(_) => Check::Read(format!("{} instance(s) readable", instance_ids.len())),
                    Err(e) if e.kind == ErrorKind::Denied => Check::NotPermitted(e.message),
                    Err(e) => Check::Failed(e.message),
                }
            }
            Action::TagInstances {
                region,
                instance_ids,
                case_id,
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 CreateTags", || {
                    ec2.create_tags()
                        .set_resources(Some(instance_ids.clone()))
                        .tags(tag("Status", "Quarantine"))
                        .tags(tag("trailhound:case", case_id))
                        .dry_run(true)
                        .send()
                })
            }
            Action::EnableTerminationProtection {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 ModifyInstanceAttribute", || {
                    ec2.modify_instance_attribute()
                        .instance_id(instance_id)
                        .disable_api_termination(
                            t::AttributeBooleanValue::builder().value(true).build(),
                        )
                        .dry_run(true)
                        .send()
                })
            }
            Action::ShutdownBehaviorStop {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 ModifyInstanceAttribute", || {
                    ec2.modify_instance_attribute()
                        .instance_id(instance_id)
                        .attribute(t::InstanceAttributeName::InstanceInitiatedShutdownBehavior)
                        .value("stop")
                        .dry_run(true)
                        .send()
                })
            }
            Action::KeepVolumesOnTermination {
                region,
                instance_id,
                devices,
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 ModifyInstanceAttribute", || {
                    ec2.modify_instance_attribute()
                        .instance_id(instance_id)
                        .set_block_device_mappings(Some(keep_mappings(devices, false)))
                        .dry_run(true)
                        .send()
                })
            }
            Action::AutoScalingStandby {
                region,
                group,
                instance_ids,
            } => {
                let asg = self.asg(region);
                match self.call("autoscaling DescribeAutoScalingInstances", || {
                    asg.describe_auto_scaling_instances()
                        .set_instance_ids(Some(instance_ids.clone()))
                        .send()
                }) {
                    Ok(out) => {
                        let in_service: Vec<&str> = out
                            .auto_scaling_instances()
                            .iter()
                            .filter(|i| i.lifecycle_state() == Some("InService"))
                            .filter_map(|i| i.instance_id())
                            .collect();
                        Check::Simulated(format!(
                            "would put {} of {} instance(s) of {group} in Standby (Auto Scaling has no DryRun)",
                            in_service.len(),
                            instance_ids.len()
                        ))
                    }
                    Err(e) if e.kind == ErrorKind::Denied => Check::NotPermitted(e.message),
                    Err(e) => Check::Failed(e.message),
                }
            }
            Action::SnapshotVolumes {
                region,
                instance_id,
                case_id,
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 CreateSnapshots", || {
                    ec2.create_snapshots()
                        .instance_specification(
                            t::InstanceSpecification::builder()
                                .instance_id(instance_id)
                                .exclude_boot_volume(false)
                                .build(),
                        )
                        .tag_specifications(
                            t::TagSpecification::builder()
                                .resource_type(t::ResourceType::Snapshot)
                                .tags(tag("trailhound:case", case_id))
                                .build(),
                        )
                        .dry_run(true)
                        .send()
                })
            }
            Action::CreateIsolationGroups {
                region,
                vpc_id,
                quarantine_name,
                ..
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 CreateSecurityGroup", || {
                    ec2.create_security_group()
                        .group_name(quarantine_name)
                        .description("trailhound quarantine")
                        .vpc_id(vpc_id)
                        .dry_run(true)
                        .send()
                })
            }
            Action::IsolateInterface { region, eni_id, .. } => {
                // The groups do not exist before the run: check the permission with the ENI's own groups.
                let groups = match self.groups_of_eni(region, eni_id) {
                    Ok(g) => g,
                    Err(e) if e.kind == ErrorKind::Denied => return Check::NotPermitted(e.message),
                    Err(e) => return Check::Failed(e.message),
                };
                let ec2 = self.ec2(region);
                self.dry("ec2 ModifyNetworkInterfaceAttribute", || {
                    ec2.modify_network_interface_attribute()
                        .network_interface_id(eni_id)
                        .set_groups(Some(groups.clone()))
                        .dry_run(true)
                        .send()
                })
            }
            Action::NaclDeny {
                region,
                network_acl_id,
                cidr,
                rule_number,
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 CreateNetworkAclEntry", || {
                    ec2.create_network_acl_entry()
                        .network_acl_id(network_acl_id)
                        .rule_number(*rule_number)
                        .protocol("-1")
                        .rule_action(t::RuleAction::Deny)
                        .egress(false)
                        .cidr_block(cidr)
                        .dry_run(true)
                        .send()
                })
            }
            Action::DisableImds {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 ModifyInstanceMetadataOptions", || {
                    ec2.modify_instance_metadata_options()
                        .instance_id(instance_id)
                        .http_endpoint(t::InstanceMetadataEndpointState::Disabled)
                        .dry_run(true)
                        .send()
                })
            }
            Action::DisassociateInstanceProfile {
                region,
                instance_id,
                ..
            } => match self.association(region, instance_id) {
                Ok((Some(a), _)) => {
                    Check::Simulated(format!("would disassociate {a} (no DryRun for this call)"))
                }
                Ok((None, _)) => Check::Simulated("no profile associated: nothing to do".into()),
                Err(e) if e.kind == ErrorKind::Denied => Check::NotPermitted(e.message),
                Err(e) => Check::Failed(e.message),
            },
            Action::RevokeOlderSessions { role_name } => {
                let iam = self.iam();
                match self.call("iam GetRole", || iam.get_role().role_name(role_name).send()) {
                    Ok(_) => Check::Simulated(format!(
                        "would put inline policy {REVOKE_POLICY_NAME} on {role_name} (IAM has no DryRun)"
                    )),
                    Err(e) if e.kind == ErrorKind::Denied => Check::NotPermitted(e.message),
                    Err(e) => Check::Failed(e.message),
                }
            }
            Action::StopInstance {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 StopInstances", || {
                    ec2.stop_instances()
                        .instance_ids(instance_id)
                        .dry_run(true)
                        .send()
                })
            }
            Action::UpdateLaunchTemplate {
                region,
                launch_template_id,
                ..
            } => {
                let ec2 = self.ec2(region);
                let current = match self.call("ec2 DescribeLaunchTemplates", || {
                    ec2.describe_launch_templates()
                        .launch_template_ids(launch_template_id)
                        .send()
                }) {
                    Ok(o) => o
                        .launch_templates()
                        .first()
                        .and_then(|l| l.default_version_number()),
                    Err(e) if e.kind == ErrorKind::Denied => return Check::NotPermitted(e.message),
                    Err(e) => return Check::Failed(e.message),
                };
                self.dry("ec2 ModifyLaunchTemplate", || {
                    ec2.modify_launch_template()
                        .launch_template_id(launch_template_id)
                        .set_default_version(current.map(|v| v.to_string()))
                        .dry_run(true)
                        .send()
                })
            }
            Action::DeleteKeyPair {
                region, key_name, ..
            } => {
                let ec2 = self.ec2(region);
                self.dry("ec2 DeleteKeyPair", || {
                    ec2.delete_key_pair()
                        .key_name(key_name)
                        .dry_run(true)
                        .send()
                })
            }
            _ => {
                let _ = ctx;
                Check::NotExecuted
            }
        }
    }

    fn apply(&mut self, step: &Step, before: &Value, ctx: &RunContext) -> Result<Value, StepError> {
        match &step.action {
            Action::RecordState {
                region,
                instance_ids,
            } => self.record_state(region, instance_ids),
            Action::TagInstances {
                region,
                instance_ids,
                case_id,
            } => {
                let ec2 = self.ec2(region);
                self.call("ec2 CreateTags", || {
                    ec2.create_tags()
                        .set_resources(Some(instance_ids.clone()))
                        .tags(tag("Status", "Quarantine"))
                        .tags(tag("trailhound:case", case_id))
                        .send()
                })?;
                Ok(json!({ "tagged": instance_ids }))
            }
            Action::EnableTerminationProtection {
                region,
                instance_id,
            } => {
                self.set_termination(region, instance_id, true)?;
                Ok(json!({ "disable_api_termination": true }))
            }
            Action::ShutdownBehaviorStop {
                region,
                instance_id,
            } => {
                self.set_shutdown(region, instance_id, "stop")?;
                Ok(json!({ "shutdown_behavior": "stop" }))
            }
            Action::KeepVolumesOnTermination {
                region,
                instance_id,
                devices,
            } => {
                let present: Vec<String> = devices
                    .iter()
                    .filter(|d| before["delete_on_termination"].get(d.as_str()).is_some())
                    .cloned()
                    .collect();
                if !present.is_empty() {
                    let ec2 = self.ec2(region);
                    self.call("ec2 ModifyInstanceAttribute", || {
                        ec2.modify_instance_attribute()
                            .instance_id(instance_id)
                            .set_block_device_mappings(Some(keep_mappings(&present, false)))
                            .send()
                    })?;
                }
                Ok(json!({ "kept": present }))
            }
            Action::AutoScalingStandby {
                region,
                group,
                instance_ids,
            } => {
                let asg = self.asg(region);
                let out = self.call("autoscaling DescribeAutoScalingInstances", || {
                    asg.describe_auto_scaling_instances()
                        .set_instance_ids(Some(instance_ids.clone()))
                        .send()
                })?;
                let in_service: Vec<String> = out
                    .auto_scaling_instances()
                    .iter()
                    .filter(|i| i.lifecycle_state() == Some("InService"))
                    .filter_map(|i| i.instance_id().map(str::to_string))
                    .collect();
                if !in_service.is_empty() {
                    self.call("autoscaling EnterStandby", || {
                        asg.enter_standby()
                            .auto_scaling_group_name(group)
                            .set_instance_ids(Some(in_service.clone()))
                            .should_decrement_desired_capacity(true)
                            .send()
                    })?;
                }
                Ok(json!({ "entered_standby": in_service }))
            }
            Action::SnapshotVolumes {
                region,
                instance_id,
                case_id,
            } => {
                let ec2 = self.ec2(region);
                let index = step.index.to_string();
                let existing = self.call("ec2 DescribeSnapshots", || {
                    ec2.describe_snapshots()
                        .owner_ids("self")
                        .filters(filter("tag:trailhound:case", case_id))
                        .filters(filter("tag:trailhound:step", &index))
                        .send()
                })?;
                let found: Vec<String> = existing
                    .snapshots()
                    .iter()
                    .filter_map(|s| s.snapshot_id().map(str::to_string))
                    .collect();
                if !found.is_empty() {
                    return Ok(json!({ "snapshots": found, "adopted": true }));
                }
                let out = self.call("ec2 CreateSnapshots", || {
                    ec2.create_snapshots()
                        .instance_specification(
                            t::InstanceSpecification::builder()
                                .instance_id(instance_id)
                                .exclude_boot_volume(false)
                                .build(),
                        )
                        .copy_tags_from_source(t::CopyTagsFromSource::Volume)
                        .description(format!("trailhound {case_id}: evidence of {instance_id}"))
                        .tag_specifications(
                            t::TagSpecification::builder()
                                .resource_type(t::ResourceType::Snapshot)
                                .tags(tag("trailhound:case", case_id))
                                .tags(tag("trailhound:step", &index))
                                .build(),
                        )
                        .send()
                })?;
                let ids: Vec<Value> = out
                    .snapshots()
                    .iter()
                    .map(|s| json!({"snapshot_id": s.snapshot_id(), "volume_id": s.volume_id()}))
                    .collect();
                Ok(json!({ "snapshots": ids }))
            }
            Action::CreateIsolationGroups {
                region,
                vpc_id,
                all_access_name,
                quarantine_name,
                examiner_cidr,
            } => {
                let case = quarantine_name
                    .trim_start_matches("trailhound-quarantine-")
                    .to_string();
                let q = match self.group_by_name(region, vpc_id, quarantine_name)? {
                    Some(id) => id,
                    None => self.create_group(
                        region,
                        vpc_id,
                        quarantine_name,
                        &format!("trailhound {case}: quarantine, no traffic"),
                        &case,
                    )?,
                };
                let ec2 = self.ec2(region);
                // No traffic out: drop the default allow-all egress (already gone on a re-run).
                self.call_tolerating(
                    "ec2 RevokeSecurityGroupEgress",
                    &["InvalidPermission.NotFound"],
                    || {
                        ec2.revoke_security_group_egress()
                            .group_id(&q)
                            .ip_permissions(all_traffic(true, false))
                            .send()
                    },
                )?;
                if let Some(cidr) = examiner_cidr {
                    self.call_tolerating(
                        "ec2 AuthorizeSecurityGroupIngress",
                        &["InvalidPermission.Duplicate"],
                        || {
                            ec2.authorize_security_group_ingress()
                                .group_id(&q)
                                .ip_permissions(
                                    t::IpPermission::builder()
                                        .ip_protocol("tcp")
                                        .from_port(22)
                                        .to_port(22)
                                        .ip_ranges(
                                            t::IpRange::builder()
                                                .cidr_ip(cidr)
                                                .description("examiner")
                                                .build(),
                                        )
                                        .build(),
                                )
                                .send()
                        },
                    )?;
                }
                let a = match self.group_by_name(region, vpc_id, all_access_name)? {
                    Some(id) => id,
                    None => self.create_group(
                        region,
                        vpc_id,
                        all_access_name,
                        &format!("trailhound {case}: all traffic, to untrack connections"),
                        &case,
                    )?,
                };
                self.call_tolerating(
                    "ec2 AuthorizeSecurityGroupIngress",
                    &["InvalidPermission.Duplicate"],
                    || {
                        ec2.authorize_security_group_ingress()
                            .group_id(&a)
                            .ip_permissions(all_traffic(true, true))
                            .send()
                    },
                )?;
                self.call_tolerating(
                    "ec2 AuthorizeSecurityGroupEgress",
                    &["InvalidPermission.Duplicate"],
                    || {
                        ec2.authorize_security_group_egress()
                            .group_id(&a)
                            .ip_permissions(all_traffic(false, true))
                            .send()
                    },
                )?;
                Ok(json!({ "quarantine": q, "all_access": a }))
            }
            Action::IsolateInterface { region, eni_id, .. } => {
                let (a, q) = self.isolation_group_ids(&step.action, ctx)?;
                let ec2 = self.ec2(region);
                for g in [&a, &q] {
                    self.call("ec2 ModifyNetworkInterfaceAttribute", || {
                        ec2.modify_network_interface_attribute()
                            .network_interface_id(eni_id)
                            .groups(g.as_str())
                            .send()
                    })?;
                }
                Ok(json!({ "via": a, "groups": [q] }))
            }
            Action::NaclDeny {
                region,
                network_acl_id,
                cidr,
                rule_number,
            } => {
                let entries = before["entries"].as_array().cloned().unwrap_or_default();
                let ec2 = self.ec2(region);
                let mut used = serde_json::Map::new();
                for egress in [false, true] {
                    let taken = |n: i32| {
                        entries
                            .iter()
                            .find(|e| e["rule"] == json!(n) && e["egress"] == json!(egress))
                    };
                    let mut n = *rule_number;
                    // An identical entry from an earlier attempt is adopted; another one moves us on.
                    while let Some(e) = taken(n) {
                        if e["cidr"] == json!(cidr) && e["action"] == json!("deny") {
                            break;
                        }
                        n += 1;
                    }
                    if taken(n).is_none() {
                        self.call_tolerating(
                            "ec2 CreateNetworkAclEntry",
                            &["NetworkAclEntryAlreadyExists"],
                            || {
                                ec2.create_network_acl_entry()
                                    .network_acl_id(network_acl_id)
                                    .rule_number(n)
                                    .protocol("-1")
                                    .rule_action(t::RuleAction::Deny)
                                    .egress(egress)
                                    .cidr_block(cidr)
                                    .send()
                            },
                        )?;
                    }
                    used.insert(
                        if egress {
                            "egress_rule"
                        } else {
                            "ingress_rule"
                        }
                        .into(),
                        json!(n),
                    );
                }
                Ok(Value::Object(used))
            }
            Action::DisableImds {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(region);
                self.call("ec2 ModifyInstanceMetadataOptions", || {
                    ec2.modify_instance_metadata_options()
                        .instance_id(instance_id)
                        .http_endpoint(t::InstanceMetadataEndpointState::Disabled)
                        .send()
                })?;
                Ok(json!({ "http_endpoint": "disabled" }))
            }
            Action::DisassociateInstanceProfile {
                region,
                instance_id,
                ..
            } => {
                let (assoc, _) = self.association(region, instance_id)?;
                let Some(assoc) = assoc else {
                    return Ok(json!({ "disassociated": null, "note": "no association left" }));
                };
                let ec2 = self.ec2(region);
                self.call("ec2 DisassociateIamInstanceProfile", || {
                    ec2.disassociate_iam_instance_profile()
                        .association_id(&assoc)
                        .send()
                })?;
                Ok(json!({ "disassociated": assoc }))
            }
            Action::RevokeOlderSessions { role_name } => {
                let cutoff = before["cutoff"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(respond::utc_now_seconds);
                let iam = self.iam();
                let doc = revoke_document(&cutoff);
                self.call("iam PutRolePolicy", || {
                    iam.put_role_policy()
                        .role_name(role_name)
                        .policy_name(REVOKE_POLICY_NAME)
                        .policy_document(&doc)
                        .send()
                })?;
                Ok(json!({ "policy": REVOKE_POLICY_NAME, "token_issued_before": cutoff }))
            }
            Action::StopInstance {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(region);
                self.call("ec2 StopInstances", || {
                    ec2.stop_instances().instance_ids(instance_id).send()
                })?;
                Ok(json!({ "stopping": instance_id }))
            }
            Action::UpdateLaunchTemplate {
                region,
                launch_template_id,
                key_name,
                case_id,
            } => {
                let ec2 = self.ec2(region);
                let description = format!("trailhound {case_id}: without key pair {key_name}");
                let versions = self.call("ec2 DescribeLaunchTemplateVersions", || {
                    ec2.describe_launch_template_versions()
                        .launch_template_id(launch_template_id)
                        .send()
                })?;
                let adopted = versions
                    .launch_template_versions()
                    .iter()
                    .find(|v| v.version_description() == Some(description.as_str()))
                    .and_then(|v| v.version_number());
                let new_version = match adopted {
                    Some(n) => n,
                    None => {
                        let default = self.call("ec2 DescribeLaunchTemplateVersions", || {
                            ec2.describe_launch_template_versions()
                                .launch_template_id(launch_template_id)
                                .versions("$Default")
                                .send()
                        })?;
                        let data = default
                            .launch_template_versions()
                            .first()
                            .and_then(|v| v.launch_template_data())
                            .ok_or_else(|| {
                                StepError::new(
                                    ErrorKind::NotFound,
                                    format!("{launch_template_id}: no default version data"),
                                )
                            })?;
                        let request = without_key(data).map_err(|m| {
                            StepError::new(ErrorKind::Other, format!("{launch_template_id}: {m}"))
                        })?;
                        let out = self.call("ec2 CreateLaunchTemplateVersion", || {
                            ec2.create_launch_template_version()
                                .launch_template_id(launch_template_id)
                                .version_description(&description)
                                .launch_template_data(request.clone())
                                .send()
                        })?;
                        out.launch_template_version()
                            .and_then(|v| v.version_number())
                            .ok_or_else(|| {
                                StepError::new(
                                    ErrorKind::Other,
                                    "CreateLaunchTemplateVersion returned no version number",
                                )
                            })?
                    }
                };
                self.call("ec2 ModifyLaunchTemplate", || {
                    ec2.modify_launch_template()
                        .launch_template_id(launch_template_id)
                        .default_version(new_version.to_string())
                        .send()
                })?;
                Ok(json!({ "new_default_version": new_version, "adopted": adopted.is_some() }))
            }
            Action::DeleteKeyPair {
                region, key_name, ..
            } => {
                if before["absent"] == json!(true) {
                    return Ok(json!({ "deleted": false, "note": "already gone" }));
                }
                let ec2 = self.ec2(region);
                self.call_tolerating("ec2 DeleteKeyPair", &["InvalidKeyPair.NotFound"], || {
                    ec2.delete_key_pair().key_name(key_name).send()
                })?;
                Ok(json!({ "deleted": true }))
            }
            _ => Ok(json!({ "executed": false })),
        }
    }

    fn undo(
        &mut self,
        step: &Step,
        before: &Value,
        result: &Value,
        _ctx: &RunContext,
    ) -> Result<Value, StepError> {
        match &step.action {
            Action::TagInstances {
                region,
                instance_ids,
                ..
            } => {
                let ec2 = self.ec2(region);
                for id in instance_ids {
                    let old = &before["tags"][id];
                    for key in ["Status", "trailhound:case"] {
                        match old.get(key).and_then(|v| v.as_str()) {
                            Some(v) => {
                                self.call("ec2 CreateTags", || {
                                    ec2.create_tags().resources(id).tags(tag(key, v)).send()
                                })?;
                            }
                            None => {
                                self.call("ec2 DeleteTags", || {
                                    ec2.delete_tags()
                                        .resources(id)
                                        .tags(t::Tag::builder().key(key).build())
                                        .send()
                                })?;
                            }
                        }
                    }
                }
                Ok(json!({ "restored_tags": before["tags"] }))
            }
            Action::EnableTerminationProtection {
                region,
                instance_id,
            } => {
                let was = before["disable_api_termination"].as_bool().unwrap_or(false);
                self.set_termination(region, instance_id, was)?;
                Ok(json!({ "disable_api_termination": was }))
            }
            Action::ShutdownBehaviorStop {
                region,
                instance_id,
            } => {
                let was = before["shutdown_behavior"]
                    .as_str()
                    .unwrap_or("stop")
                    .to_string();
                self.set_shutdown(region, instance_id, &was)?;
                Ok(json!({ "shutdown_behavior": was }))
            }
            Action::KeepVolumesOnTermination {
                region,
                instance_id,
                ..
            } => {
                let kept = strings(&result["kept"]);
                let restore: Vec<String> = kept
                    .into_iter()
                    .filter(|d| before["delete_on_termination"][d.as_str()] == json!(true))
                    .collect();
                if !restore.is_empty() {
                    let ec2 = self.ec2(region);
                    self.call("ec2 ModifyInstanceAttribute", || {
                        ec2.modify_instance_attribute()
                            .instance_id(instance_id)
                            .set_block_device_mappings(Some(keep_mappings(&restore, true)))
                            .send()
                    })?;
                }
                Ok(json!({ "delete_on_termination_restored": restore }))
            }
            Action::AutoScalingStandby { region, group, .. } => {
                let entered = strings(&result["entered_standby"]);
                if !entered.is_empty() {
                    let asg = self.asg(region);
                    self.call("autoscaling ExitStandby", || {
                        asg.exit_standby()
                            .auto_scaling_group_name(group)
                            .set_instance_ids(Some(entered.clone()))
                            .send()
                    })?;
                }
                Ok(json!({ "exited_standby": entered }))
            }
            Action::CreateIsolationGroups { region, .. } => {
                let ec2 = self.ec2(region);
                for key in ["all_access", "quarantine"] {
                    if let Some(id) = result[key].as_str() {
                        self.call_tolerating(
                            "ec2 DeleteSecurityGroup",
                            &["InvalidGroup.NotFound"],
                            || ec2.delete_security_group().group_id(id).send(),
                        )?;
                    }
                }
                Ok(json!({ "deleted_groups": [result["all_access"], result["quarantine"]] }))
            }
            Action::IsolateInterface { region, eni_id, .. } => {
                let groups = strings(&before["groups"]);
                if groups.is_empty() {
                    return Err(StepError::new(
                        ErrorKind::Other,
                        format!("{eni_id}: no recorded groups to restore"),
                    ));
                }
                let ec2 = self.ec2(region);
                self.call("ec2 ModifyNetworkInterfaceAttribute", || {
                    ec2.modify_network_interface_attribute()
                        .network_interface_id(eni_id)
                        .set_groups(Some(groups.clone()))
                        .send()
                })?;
                Ok(json!({ "groups": groups }))
            }
            Action::NaclDeny {
                region,
                network_acl_id,
                ..
            } => {
                let ec2 = self.ec2(region);
                for (key, egress) in [("ingress_rule", false), ("egress_rule", true)] {
                    if let Some(n) = result[key].as_i64() {
                        self.call_tolerating(
                            "ec2 DeleteNetworkAclEntry",
                            &["InvalidNetworkAclEntry.NotFound"],
                            || {
                                ec2.delete_network_acl_entry()
                                    .network_acl_id(network_acl_id)
                                    .rule_number(n as i32)
                                    .egress(egress)
                                    .send()
                            },
                        )?;
                    }
                }
                Ok(json!({ "deleted_entries": result }))
            }
            Action::DisableImds {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(region);
                let endpoint = before["http_endpoint"]
                    .as_str()
                    .unwrap_or("enabled")
                    .to_string();
                let tokens = before["http_tokens"].as_str().map(str::to_string);
                let hop = before["hop_limit"].as_i64().map(|h| h as i32);
                self.call("ec2 ModifyInstanceMetadataOptions", || {
                    ec2.modify_instance_metadata_options()
                        .instance_id(instance_id)
                        .http_endpoint(t::InstanceMetadataEndpointState::from(endpoint.as_str()))
                        .set_http_tokens(tokens.as_deref().map(t::HttpTokensState::from))
                        .set_http_put_response_hop_limit(hop)
                        .send()
                })?;
                Ok(before.clone())
            }
            Action::DisassociateInstanceProfile {
                region,
                instance_id,
                ..
            } => {
                if before["association_id"].is_null() {
                    return Ok(json!({ "note": "there was no association" }));
                }
                let arn = before["profile_arn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if let (Some(_), Some(current_arn)) = self.association(region, instance_id)?
                    && current_arn == arn
                {
                    return Ok(json!({ "note": "already associated" }));
                }
                let ec2 = self.ec2(region);
                self.call("ec2 AssociateIamInstanceProfile", || {
                    ec2.associate_iam_instance_profile()
                        .instance_id(instance_id)
                        .iam_instance_profile(
                            t::IamInstanceProfileSpecification::builder()
                                .arn(&arn)
                                .build(),
                        )
                        .send()
                })?;
                Ok(json!({ "associated": arn }))
            }
            Action::RevokeOlderSessions { role_name } => {
                let iam = self.iam();
                match before["existing_policy"].as_str() {
                    Some(doc) => {
                        self.call("iam PutRolePolicy", || {
                            iam.put_role_policy()
                                .role_name(role_name)
                                .policy_name(REVOKE_POLICY_NAME)
                                .policy_document(doc)
                                .send()
                        })?;
                        Ok(json!({ "restored_policy": true }))
                    }
                    None => {
                        self.call_tolerating("iam DeleteRolePolicy", &["NoSuchEntity"], || {
                            iam.delete_role_policy()
                                .role_name(role_name)
                                .policy_name(REVOKE_POLICY_NAME)
                                .send()
                        })?;
                        Ok(json!({ "deleted_policy": REVOKE_POLICY_NAME }))
                    }
                }
            }
            Action::StopInstance {
                region,
                instance_id,
            } => {
                if before["state"] != json!("running") {
                    return Ok(json!({ "note": "was not running" }));
                }
                let ec2 = self.ec2(region);
                self.call("ec2 StartInstances", || {
                    ec2.start_instances().instance_ids(instance_id).send()
                })?;
                Ok(json!({ "starting": instance_id }))
            }
            Action::UpdateLaunchTemplate {
                region,
                launch_template_id,
                ..
            } => {
                let Some(v) = before["default_version"].as_i64() else {
                    return Err(StepError::new(
                        ErrorKind::Other,
                        format!("{launch_template_id}: no recorded default version"),
                    ));
                };
                let ec2 = self.ec2(region);
                self.call("ec2 ModifyLaunchTemplate", || {
                    ec2.modify_launch_template()
                        .launch_template_id(launch_template_id)
                        .default_version(v.to_string())
                        .send()
                })?;
                Ok(json!({ "default_version": v }))
            }
            _ => Ok(json!({ "note": "nothing to undo" })),
        }
    }
}

fn keep_mappings(
    devices: &[String],
    delete: bool,
) -> Vec<t::InstanceBlockDeviceMappingSpecification> {
    devices
        .iter()
        .map(|d| {
            t::InstanceBlockDeviceMappingSpecification::builder()
                .device_name(d)
                .ebs(
                    t::EbsInstanceBlockDeviceSpecification::builder()
                        .delete_on_termination(delete)
                        .build(),
                )
                .build()
        })
        .collect()
}

/// All protocols to/from anywhere (IPv4 and, when `v6`, IPv6).
fn all_traffic(v4: bool, v6: bool) -> t::IpPermission {
    let mut b = t::IpPermission::builder().ip_protocol("-1");
    if v4 {
        b = b.ip_ranges(t::IpRange::builder().cidr_ip("0.0.0.0/0").build());
    }
    if v6 {
        b = b.ipv6_ranges(t::Ipv6Range::builder().cidr_ipv6("::/0").build());
    }
    b.build()
}

impl AwsRunner {
    fn association(
        &mut self,
        region: &str,
        instance_id: &str,
    ) -> Result<(Option<String>, Option<String>), StepError> {
        let ec2 = self.ec2(region);
        let out = self.call("ec2 DescribeIamInstanceProfileAssociations", || {
            ec2.describe_iam_instance_profile_associations()
                .filters(filter("instance-id", instance_id))
                .send()
        })?;
        let a = out.iam_instance_profile_associations().iter().find(|a| {
            matches!(
                a.state(),
                Some(t::IamInstanceProfileAssociationState::Associated)
                    | Some(t::IamInstanceProfileAssociationState::Associating)
            )
        });
        Ok((
            a.and_then(|a| a.association_id().map(str::to_string)),
            a.and_then(|a| a.iam_instance_profile())
                .and_then(|p| p.arn().map(str::to_string)),
        ))
    }

    fn set_termination(
        &mut self,
        region: &str,
        instance_id: &str,
        on: bool,
    ) -> Result<(), StepError> {
        let ec2 = self.ec2(region);
        self.call("ec2 ModifyInstanceAttribute", || {
            ec2.modify_instance_attribute()
                .instance_id(instance_id)
                .disable_api_termination(t::AttributeBooleanValue::builder().value(on).build())
                .send()
        })?;
        Ok(())
    }

    fn set_shutdown(
        &mut self,
        region: &str,
        instance_id: &str,
        value: &str,
    ) -> Result<(), StepError> {
        let ec2 = self.ec2(region);
        self.call("ec2 ModifyInstanceAttribute", || {
            ec2.modify_instance_attribute()
                .instance_id(instance_id)
                .attribute(t::InstanceAttributeName::InstanceInitiatedShutdownBehavior)
                .value(value)
                .send()
        })?;
        Ok(())
    }

    fn create_group(
        &mut self,
        region: &str,
        vpc: &str,
        name: &str,
        description: &str,
        case: &str,
    ) -> Result<String, StepError> {
        let ec2 = self.ec2(region);
        let out = self.call("ec2 CreateSecurityGroup", || {
            ec2.create_security_group()
                .group_name(name)
                .description(description)
                .vpc_id(vpc)
                .tag_specifications(
                    t::TagSpecification::builder()
                        .resource_type(t::ResourceType::SecurityGroup)
                        .tags(tag("trailhound:case", case))
                        .build(),
                )
                .send()
        })?;
        out.group_id()
            .map(str::to_string)
            .ok_or_else(|| StepError::new(ErrorKind::Other, "CreateSecurityGroup returned no id"))
    }

    /// Evidence before any change: instances, ENIs and their groups, attributes, profile
    /// associations, Auto Scaling membership and the console output.
    fn record_state(&mut self, region: &str, ids: &[String]) -> Result<Value, StepError> {
        let ec2 = self.ec2(region);
        let out = self.call("ec2 DescribeInstances", || {
            ec2.describe_instances()
                .set_instance_ids(Some(ids.to_vec()))
                .send()
        })?;
        let mut instances = Vec::new();
        for inst in out.reservations().iter().flat_map(|r| r.instances()) {
            let id = inst.instance_id().unwrap_or_default().to_string();
            let enis: Vec<Value> = inst
                .network_interfaces()
                .iter()
                .map(|n| json!({
                    "id": n.network_interface_id(),
                    "device_index": n.attachment().and_then(|a| a.device_index()),
                    "private_ip": n.private_ip_address(),
                    "public_ip": n.association().and_then(|a| a.public_ip()),
                    "groups": n.groups().iter().filter_map(|g| g.group_id()).collect::<Vec<_>>(),
                }))
                .collect();
            let term = self.call("ec2 DescribeInstanceAttribute", || {
                ec2.describe_instance_attribute()
                    .instance_id(&id)
                    .attribute(t::InstanceAttributeName::DisableApiTermination)
                    .send()
            })?;
            let shutdown = self.call("ec2 DescribeInstanceAttribute", || {
                ec2.describe_instance_attribute()
                    .instance_id(&id)
                    .attribute(t::InstanceAttributeName::InstanceInitiatedShutdownBehavior)
                    .send()
            })?;
            // Console output is evidence but not worth failing the record for (stopped instances).
            let console = self
                .call("ec2 GetConsoleOutput", || {
                    ec2.get_console_output()
                        .instance_id(&id)
                        .latest(true)
                        .send()
                })
                .ok()
                .and_then(|c| c.output().map(str::to_string));
            let m = inst.metadata_options();
            instances.push(json!({
                "instance_id": id,
                "state": inst.state().and_then(|s| s.name()).map(|n| n.as_str()),
                "key_name": inst.key_name(),
                "image_id": inst.image_id(),
                "network_interfaces": enis,
                "instance_profile_arn": inst.iam_instance_profile().and_then(|p| p.arn()),
                "metadata_options": {
                    "http_endpoint": m.and_then(|m| m.http_endpoint()).map(|x| x.as_str()),
                    "http_tokens": m.and_then(|m| m.http_tokens()).map(|x| x.as_str()),
                    "hop_limit": m.and_then(|m| m.http_put_response_hop_limit()),
                },
                "disable_api_termination": term.disable_api_termination().and_then(|v| v.value()),
                "shutdown_behavior": shutdown.instance_initiated_shutdown_behavior().and_then(|v| v.value()),
                "block_devices": inst.block_device_mappings().iter().map(|b| json!({
                    "device": b.device_name(),
                    "volume_id": b.ebs().and_then(|e| e.volume_id()),
                    "delete_on_termination": b.ebs().and_then(|e| e.delete_on_termination()),
                })).collect::<Vec<_>>(),
                "console_output_base64": console,
            }));
        }
        let profiles = self.call("ec2 DescribeIamInstanceProfileAssociations", || {
            ec2.describe_iam_instance_profile_associations()
                .filters(
                    t::Filter::builder()
                        .name("instance-id")
                        .set_values(Some(ids.to_vec()))
                        .build(),
                )
                .send()
        })?;
        let associations: Vec<Value> = profiles
            .iam_instance_profile_associations()
            .iter()
            .map(|a| {
                json!({
                    "association_id": a.association_id(),
                    "instance_id": a.instance_id(),
                    "arn": a.iam_instance_profile().and_then(|p| p.arn()),
                    "state": a.state().map(|s| s.as_str()),
                })
            })
            .collect();
        let asg = self.asg(region);
        let groups = self
            .call("autoscaling DescribeAutoScalingInstances", || {
                asg.describe_auto_scaling_instances().set_instance_ids(Some(ids.to_vec())).send()
            })
            .map(|o| {
                o.auto_scaling_instances()
                    .iter()
                    .map(|i| json!({"instance_id": i.instance_id(), "group": i.auto_scaling_group_name(), "lifecycle": i.lifecycle_state()}))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        Ok(json!({
            "region": region,
            "recorded_at": respond::utc_now_seconds(),
            "instances": instances,
            "profile_associations": associations,
            "auto_scaling": groups,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_classified() {
        assert_eq!(classify(Some("RequestLimitExceeded")), ErrorKind::Throttled);
        assert_eq!(classify(Some("Throttling")), ErrorKind::Throttled);
        assert_eq!(classify(Some("UnauthorizedOperation")), ErrorKind::Denied);
        assert_eq!(classify(Some("AccessDenied")), ErrorKind::Denied);
        assert_eq!(
            classify(Some("InvalidInstanceID.NotFound")),
            ErrorKind::NotFound
        );
        assert_eq!(classify(Some("NoSuchEntity")), ErrorKind::NotFound);
        assert_eq!(classify(Some("DryRunOperation")), ErrorKind::Other);
        assert_eq!(classify(None), ErrorKind::Other);
    }

    #[test]
    fn launch_template_copy_drops_only_the_key() {
        let data = t::ResponseLaunchTemplateData::builder()
            .key_name("leaked")
            .image_id("ami-1")
            .instance_type(t::InstanceType::T3Micro)
            .security_group_ids("sg-1")
            .metadata_options(
                t::LaunchTemplateInstanceMetadataOptions::builder()
                    .http_tokens(t::LaunchTemplateHttpTokensState::Required)
                    .build(),
            )
            .build();
        let copy = without_key(&data).unwrap();
        assert_eq!(copy.key_name(), None);
        assert_eq!(copy.image_id(), Some("ami-1"));
        assert_eq!(copy.instance_type(), Some(&t::InstanceType::T3Micro));
        assert_eq!(copy.security_group_ids(), ["sg-1"]);
        assert_eq!(
            copy.metadata_options().and_then(|m| m.http_tokens()),
            Some(&t::LaunchTemplateHttpTokensState::Required)
        );
        let spot = t::ResponseLaunchTemplateData::builder()
            .key_name("leaked")
            .cpu_options(t::LaunchTemplateCpuOptions::builder().core_count(2).build())
            .build();
        let err = without_key(&spot).unwrap_err();
        assert!(err.contains("CpuOptions"), "{err}");
    }

    #[test]
    fn revoke_policy_denies_older_tokens() {
        let doc: Value = serde_json::from_str(&revoke_document("2025-01-01T00:00:00Z")).unwrap();
        assert_eq!(doc["Statement"][0]["Effect"], "Deny");
        assert_eq!(
            doc["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
            "2025-01-01T00:00:00Z"
        );
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D"), "{\"a\":1}");
    }
}
