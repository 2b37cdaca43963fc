//! `trailhound collect`: a live snapshot of the account through the AWS SDK, written as the same
//! folder of aws CLI JSON that `scripts/snapshot.sh` makes offline — global services at the top,
//! one subfolder per region. Calls are paginated, run concurrently under a bound, and retried
//! with backoff on throttling; a call that fails (access denied above all) is recorded as a gap in
//! `_gaps.json`, with the permission it needed, and the rest goes on.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::client::{self, Connection};
use crate::{ec2, other};

/// One aws CLI operation that collect performs, with the IAM permission it needs.
#[derive(Debug)]
pub struct Operation {
    pub service: &'static str,
    pub cli: &'static str,
    pub permission: &'static str,
}

macro_rules! operations {
    ($($name:ident = $service:literal $cli:literal $perm:literal;)*) => {
        $(pub const $name: Operation = Operation { service: $service, cli: $cli, permission: $perm };)*
        /// Every operation collect may call: the source of `trailhound iam-policy`.
        pub const OPERATIONS: &[Operation] = &[$($name),*];
    };
}

operations! {
    STS_IDENTITY = "sts" "get-caller-identity" "sts:GetCallerIdentity";
    EC2_REGIONS = "ec2" "describe-regions" "ec2:DescribeRegions";
    EC2_INSTANCES = "ec2" "describe-instances" "ec2:DescribeInstances";
    EC2_INSTANCE_ATTRIBUTE = "ec2" "describe-instance-attribute" "ec2:DescribeInstanceAttribute";
    EC2_ENIS = "ec2" "describe-network-interfaces" "ec2:DescribeNetworkInterfaces";
    EC2_SGS = "ec2" "describe-security-groups" "ec2:DescribeSecurityGroups";
    EC2_SG_RULES = "ec2" "describe-security-group-rules" "ec2:DescribeSecurityGroupRules";
    EC2_ADDRESSES = "ec2" "describe-addresses" "ec2:DescribeAddresses";
    EC2_PROFILE_ASSOCIATIONS = "ec2" "describe-iam-instance-profile-associations" "ec2:DescribeIamInstanceProfileAssociations";
    EC2_NACLS = "ec2" "describe-network-acls" "ec2:DescribeNetworkAcls";
    EC2_SUBNETS = "ec2" "describe-subnets" "ec2:DescribeSubnets";
    EC2_VPCS = "ec2" "describe-vpcs" "ec2:DescribeVpcs";
    EC2_ROUTES = "ec2" "describe-route-tables" "ec2:DescribeRouteTables";
    EC2_IGWS = "ec2" "describe-internet-gateways" "ec2:DescribeInternetGateways";
    EC2_NATS = "ec2" "describe-nat-gateways" "ec2:DescribeNatGateways";
    EC2_EIGWS = "ec2" "describe-egress-only-internet-gateways" "ec2:DescribeEgressOnlyInternetGateways";
    EC2_PEERINGS = "ec2" "describe-vpc-peering-connections" "ec2:DescribeVpcPeeringConnections";
    EC2_KEY_PAIRS = "ec2" "describe-key-pairs" "ec2:DescribeKeyPairs";
    EC2_PREFIX_LISTS = "ec2" "describe-managed-prefix-lists" "ec2:DescribeManagedPrefixLists";
    EC2_PREFIX_ENTRIES = "ec2" "get-managed-prefix-list-entries" "ec2:GetManagedPrefixListEntries";
    EC2_LAUNCH_TEMPLATES = "ec2" "describe-launch-templates" "ec2:DescribeLaunchTemplates";
    EC2_LAUNCH_TEMPLATE_VERSIONS = "ec2" "describe-launch-template-versions" "ec2:DescribeLaunchTemplateVersions";
    EC2_VOLUMES = "ec2" "describe-volumes" "ec2:DescribeVolumes";
    EC2_EBS_DEFAULT = "ec2" "get-ebs-encryption-by-default" "ec2:GetEbsEncryptionByDefault";
    EC2_IMAGES = "ec2" "describe-images" "ec2:DescribeImages";
    EC2_IMAGE_ATTRIBUTE = "ec2" "describe-image-attribute" "ec2:DescribeImageAttribute";
    EC2_SNAPSHOTS = "ec2" "describe-snapshots" "ec2:DescribeSnapshots";
    EC2_SNAPSHOT_ATTRIBUTE = "ec2" "describe-snapshot-attribute" "ec2:DescribeSnapshotAttribute";
    EC2_FLOW_LOGS = "ec2" "describe-flow-logs" "ec2:DescribeFlowLogs";
    EC2_IMDS_DEFAULTS = "ec2" "get-instance-metadata-defaults" "ec2:GetInstanceMetadataDefaults";
    EC2_SERIAL_CONSOLE = "ec2" "get-serial-console-access-status" "ec2:GetSerialConsoleAccessStatus";
    ASG_GROUPS = "autoscaling" "describe-auto-scaling-groups" "autoscaling:DescribeAutoScalingGroups";
    ASG_LAUNCH_CONFIGS = "autoscaling" "describe-launch-configurations" "autoscaling:DescribeLaunchConfigurations";
    CT_TRAILS = "cloudtrail" "describe-trails" "cloudtrail:DescribeTrails";
    CT_STATUS = "cloudtrail" "get-trail-status" "cloudtrail:GetTrailStatus";
    CT_SELECTORS = "cloudtrail" "get-event-selectors" "cloudtrail:GetEventSelectors";
    GD_DETECTORS = "guardduty" "list-detectors" "guardduty:ListDetectors";
    GD_DETECTOR = "guardduty" "get-detector" "guardduty:GetDetector";
    SSM_INSTANCES = "ssm" "describe-instance-information" "ssm:DescribeInstanceInformation";
    IAM_DETAILS = "iam" "get-account-authorization-details" "iam:GetAccountAuthorizationDetails";
    IAM_USERS = "iam" "list-users" "iam:ListUsers";
    IAM_INSTANCE_PROFILES = "iam" "list-instance-profiles" "iam:ListInstanceProfiles";
    IAM_SSH_KEYS = "iam" "list-ssh-public-keys" "iam:ListSSHPublicKeys";
    IAM_SSH_KEY = "iam" "get-ssh-public-key" "iam:GetSSHPublicKey";
    IAM_ACCESS_KEYS = "iam" "list-access-keys" "iam:ListAccessKeys";
    IAM_KEY_LAST_USED = "iam" "get-access-key-last-used" "iam:GetAccessKeyLastUsed";
    IAM_MFA = "iam" "list-mfa-devices" "iam:ListMFADevices";
    IAM_LOGIN_PROFILE = "iam" "get-login-profile" "iam:GetLoginProfile";
    IAM_PASSWORD_POLICY = "iam" "get-account-password-policy" "iam:GetAccountPasswordPolicy";
    IAM_GENERATE_REPORT = "iam" "generate-credential-report" "iam:GenerateCredentialReport";
    IAM_CREDENTIAL_REPORT = "iam" "get-credential-report" "iam:GetCredentialReport";
}

/// The least-privilege, read-only policy that collect needs.
pub fn iam_policy() -> Value {
    let mut actions: Vec<&str> = OPERATIONS.iter().map(|o| o.permission).collect();
    actions.sort_unstable();
    actions.dedup();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TrailhoundCollectReadOnly",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*"
        }]
    })
}

/// What to collect and where.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    /// Regions to read; empty means every region enabled for the account.
    pub regions: Vec<String>,
    pub connection: Connection,
    pub out: PathBuf,
    /// Calls in flight at once.
    pub concurrency: usize,
}

/// A call that did not give its data.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gap {
    pub region: Option<String>,
    /// `service cli-operation`, e.g. `ec2 describe-instances`.
    pub operation: String,
    /// The IAM permission the call needs.
    pub permission: String,
    /// True when AWS refused the call (missing permission), false for other failures.
    pub access_denied: bool,
    pub error_code: Option<String>,
    pub error: String,
}

#[derive(Debug, Default)]
pub struct CollectReport {
    pub account: Option<String>,
    pub regions: Vec<String>,
    pub files: usize,
    pub gaps: Vec<Gap>,
}

struct Sink {
    out: PathBuf,
    files: AtomicUsize,
    gaps: Mutex<Vec<Gap>>,
    permits: Semaphore,
}

/// Error codes AWS uses to refuse a call for want of a permission.
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "Client.UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "AuthFailure",
];

impl Sink {
    /// Runs one call under the concurrency bound. `absent` lists error codes that mean "there is
    /// none" (no password policy, no login profile) rather than a gap.
    async fn call<T, E, F>(
        &self,
        region: Option<&str>,
        op: &Operation,
        absent: &[&str],
        fut: F,
    ) -> Option<T>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let _permit = self.permits.acquire().await.ok()?;
        match fut.await {
            Ok(v) => Some(v),
            Err(err) => {
                let (code, message) = describe_error(&err);
                if code.as_deref().is_some_and(|c| absent.contains(&c)) {
                    return None;
                }
                let access_denied = code.as_deref().is_some_and(|c| DENIED.contains(&c));
                let gap = Gap {
                    region: region.map(str::to_string),
                    operation: format!("{} {}", op.service, op.cli),
                    permission: op.permission.to_string(),
                    access_denied,
                    error_code: code,
                    error: message,
                };
                if access_denied {
                    eprintln!(
                        "warning: {}{}: access denied; grant {} to collect it (see `trailhound iam-policy`)",
                        region.map(|r| format!("{r}: ")).unwrap_or_default(),
                        gap.operation,
                        gap.permission
                    );
                } else {
                    eprintln!(
                        "warning: {}{} failed: {}",
                        region.map(|r| format!("{r}: ")).unwrap_or_default(),
                        gap.operation,
                        gap.error
                    );
                }
                self.gaps
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(gap);
                None
            }
        }
    }

    fn write(&self, region: Option<&str>, name: &str, value: &Value) {
        let dir = match region {
            Some(r) => self.out.join(r),
            None => self.out.clone(),
        };
        let result = std::fs::create_dir_all(&dir).and_then(|()| {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
            text.push('\n');
            std::fs::write(dir.join(file_name(name)), text)
        });
        match result {
            Ok(()) => {
                self.files.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                eprintln!("warning: cannot write {}: {e}", dir.join(name).display());
                self.gaps
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Gap {
                        region: region.map(str::to_string),
                        operation: name.to_string(),
                        permission: String::new(),
                        access_denied: false,
                        error_code: None,
                        error: format!("cannot write the file: {e}"),
                    });
            }
        }
    }
}

/// The error code and a one-line message. Some endpoints answer in a shape the SDK does not
/// parse for this service (XML where JSON was expected, an extra wrapper); the code and message are
/// then read from the body, and a bare 403 still counts as access denied.
fn describe_error<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    err: &SdkError<E, HttpResponse>,
) -> (Option<String>, String) {
    if let Some(code) = err.code() {
        let message = err.message().unwrap_or_default();
        return (Some(code.to_string()), format!("{code}: {message}"));
    }
    let Some(raw) = err.raw_response() else {
        return (None, DisplayErrorContext(err).to_string());
    };
    let status = raw.status().as_u16();
    let body = raw
        .body()
        .bytes()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{name}>"))? + start;
        Some(body[start..end].to_string())
    };
    let code = tag("Code").or_else(|| (status == 403).then(|| "AccessDenied".to_string()));
    let message = tag("Message").unwrap_or_else(|| format!("HTTP {status}"));
    (
        code.clone(),
        format!("{}: {message}", code.as_deref().unwrap_or("error")),
    )
}

/// Resource names become part of file names: keep them to safe characters.
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+' | '=') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Collects the account into `opts.out`.
pub async fn collect(opts: &CollectOptions) -> anyhow::Result<CollectReport> {
    std::fs::create_dir_all(&opts.out)?;
    let sink = Sink {
        out: opts.out.clone(),
        files: AtomicUsize::new(0),
        gaps: Mutex::new(Vec::new()),
        permits: Semaphore::new(opts.concurrency.max(1)),
    };
    let base = client::load(&opts.connection, None).await;
    let sts = aws_sdk_sts::Client::new(&base);
    let identity = sink
        .call(None, &STS_IDENTITY, &[], sts.get_caller_identity().send())
        .await;
    let account = identity
        .as_ref()
        .and_then(|i| i.account().map(str::to_string));
    if let Some(i) = &identity {
        sink.write(
            None,
            "sts-get-caller-identity.json",
            &json!({ "UserId": i.user_id(), "Account": i.account(), "Arn": i.arn() }),
        );
    }
    let regions = if opts.regions.is_empty() {
        enabled_regions(&sink, &base).await
    } else {
        opts.regions.clone()
    };
    {
        let sink = &sink;
        let mut jobs: Vec<std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>>> = Vec::new();
        jobs.push(Box::pin(collect_iam(sink, &base)));
        for region in &regions {
            let conf = client::load(&opts.connection, Some(region)).await;
            jobs.push(Box::pin(async move {
                collect_region(sink, &conf, region).await
            }));
        }
        futures::future::join_all(jobs).await;
    }
    let mut gaps = sink.gaps.into_inner().unwrap_or_else(|e| e.into_inner());
    gaps.sort();
    let mut text = serde_json::to_string_pretty(&gaps)?;
    text.push('\n');
    std::fs::write(opts.out.join("_gaps.json"), text)?;
    Ok(CollectReport {
        account,
        regions,
        files: sink.files.into_inner(),
        gaps,
    })
}

async fn enabled_regions(sink: &Sink, conf: &SdkConfig) -> Vec<String> {
    let ec2 = aws_sdk_ec2::Client::new(conf);
    let out = sink
        .call(None, &EC2_REGIONS, &[], ec2.describe_regions().send())
        .await;
    let mut regions: Vec<String> = out
        .map(|o| {
            o.regions()
                .iter()
                .filter_map(|r| r.region_name().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if regions.is_empty() {
        // Without DescribeRegions, fall back to the configured region.
        regions.extend(conf.region().map(|r| r.to_string()));
    }
    regions.sort();
    regions
}

/// Collects paginated results, flattened with `f`.
macro_rules! pages {
    ($sink:expr, $region:expr, $op:expr, $builder:expr, |$page:ident| $items:expr) => {{
        let fut = async {
            let mut stream = $builder.into_paginator().send();
            let mut all = Vec::new();
            while let Some(page) = stream.next().await {
                let $page = page?;
                all.extend($items);
            }
            Ok(all)
        };
        $sink.call($region, &$op, &[], fut).await
    }};
}

async fn collect_region(sink: &Sink, conf: &SdkConfig, region: &str) {
    let ec2 = &aws_sdk_ec2::Client::new(conf);
    let r = Some(region);
    let instances = async {
        let Some(reservations) = pages!(sink, r, EC2_INSTANCES, ec2.describe_instances(), |p| p
            .reservations()
            .to_vec())
        else {
            return;
        };
        let value: Vec<Value> = reservations
            .iter()
            .map(|res| {
                json!({
                    "ReservationId": res.reservation_id(),
                    "OwnerId": res.owner_id(),
                    "Instances": res.instances().iter().map(ec2::instance).collect::<Vec<_>>(),
                })
            })
            .collect();
        sink.write(
            r,
            "ec2-describe-instances.json",
            &json!({ "Reservations": value }),
        );
        let ids: Vec<String> = reservations
            .iter()
            .flat_map(|res| res.instances())
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect();
        let attribute_calls = ids.iter().flat_map(|id| {
            [
                aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination,
                aws_sdk_ec2::types::InstanceAttributeName::InstanceInitiatedShutdownBehavior,
            ]
            .into_iter()
            .map(move |attr| {
                async move {
                    let out = sink
                        .call(r, &EC2_INSTANCE_ATTRIBUTE, &[], ec2.describe_instance_attribute().instance_id(id).attribute(attr.clone()).send())
                        .await?;
                    let value = match attr {
                        aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination => json!({
                            "InstanceId": out.instance_id(),
                            "DisableApiTermination": { "Value": out.disable_api_termination().and_then(|v| v.value()) },
                        }),
                        _ => json!({
                            "InstanceId": out.instance_id(),
                            "InstanceInitiatedShutdownBehavior": { "Value": out.instance_initiated_shutdown_behavior().and_then(|v| v.value()) },
                        }),
                    };
                    sink.write(r, &format!("ec2-describe-instance-attribute-{id}-{}.json", attr.as_str()), &value);
                    Some(())
                }
            })
        });
        futures::future::join_all(attribute_calls).await;
    };
    let simple = async {
        macro_rules! list {
            ($op:expr, $file:literal, $key:literal, $builder:expr, |$p:ident| $items:expr, $conv:path) => {
                if let Some(items) = pages!(sink, r, $op, $builder, |$p| $items) {
                    let v: Vec<Value> = items.iter().map($conv).collect();
                    sink.write(r, $file, &json!({ $key: v }));
                }
            };
        }
        list!(
            EC2_ENIS,
            "ec2-describe-network-interfaces.json",
            "NetworkInterfaces",
            ec2.describe_network_interfaces(),
            |p| p.network_interfaces().to_vec(),
            ec2::network_interface
        );
        list!(
            EC2_SGS,
            "ec2-describe-security-groups.json",
            "SecurityGroups",
            ec2.describe_security_groups(),
            |p| p.security_groups().to_vec(),
            ec2::security_group
        );
        list!(
            EC2_SG_RULES,
            "ec2-describe-security-group-rules.json",
            "SecurityGroupRules",
            ec2.describe_security_group_rules(),
            |p| p.security_group_rules().to_vec(),
            ec2::security_group_rule
        );
        list!(
            EC2_PROFILE_ASSOCIATIONS,
            "ec2-describe-iam-instance-profile-associations.json",
            "IamInstanceProfileAssociations",
            ec2.describe_iam_instance_profile_associations(),
            |p| p.iam_instance_profile_associations().to_vec(),
            ec2::profile_association
        );
        list!(
            EC2_NACLS,
            "ec2-describe-network-acls.json",
            "NetworkAcls",
            ec2.describe_network_acls(),
            |p| p.network_acls().to_vec(),
            ec2::network_acl
        );
        list!(
            EC2_SUBNETS,
            "ec2-describe-subnets.json",
            "Subnets",
            ec2.describe_subnets(),
            |p| p.subnets().to_vec(),
            ec2::subnet
        );
        list!(
            EC2_VPCS,
            "ec2-describe-vpcs.json",
            "Vpcs",
            ec2.describe_vpcs(),
            |p| p.vpcs().to_vec(),
            ec2::vpc
        );
        list!(
            EC2_ROUTES,
            "ec2-describe-route-tables.json",
            "RouteTables",
            ec2.describe_route_tables(),
            |p| p.route_tables().to_vec(),
            ec2::route_table
        );
        list!(
            EC2_IGWS,
            "ec2-describe-internet-gateways.json",
            "InternetGateways",
            ec2.describe_internet_gateways(),
            |p| p.internet_gateways().to_vec(),
            ec2::internet_gateway
        );
        list!(
            EC2_NATS,
            "ec2-describe-nat-gateways.json",
            "NatGateways",
            ec2.describe_nat_gateways(),
            |p| p.nat_gateways().to_vec(),
            ec2::nat_gateway
        );
        list!(
            EC2_EIGWS,
            "ec2-describe-egress-only-internet-gateways.json",
            "EgressOnlyInternetGateways",
            ec2.describe_egress_only_internet_gateways(),
            |p| p.egress_only_internet_gateways().to_vec(),
            ec2::egress_only_gateway
        );
        list!(
            EC2_PEERINGS,
            "ec2-describe-vpc-peering-connections.json",
            "VpcPeeringConnections",
            ec2.describe_vpc_peering_connections(),
            |p| p.vpc_peering_connections().to_vec(),
            ec2::peering
        );
        list!(
            EC2_VOLUMES,
            "ec2-describe-volumes.json",
            "Volumes",
            ec2.describe_volumes(),
            |p| p.volumes().to_vec(),
            ec2::volume
        );
        list!(
            EC2_FLOW_LOGS,
            "ec2-describe-flow-logs.json",
            "FlowLogs",
            ec2.describe_flow_logs(),
            |p| p.flow_logs().to_vec(),
            ec2::flow_log
        );
        if let Some(out) = sink
            .call(
                r,
                &EC2_KEY_PAIRS,
                &[],
                ec2.describe_key_pairs().include_public_key(true).send(),
            )
            .await
        {
            let v: Vec<Value> = out.key_pairs().iter().map(ec2::key_pair).collect();
            sink.write(r, "ec2-describe-key-pairs.json", &json!({ "KeyPairs": v }));
        }
        // DescribeAddresses is not paginated: one call returns every Elastic IP.
        if let Some(out) = sink
            .call(r, &EC2_ADDRESSES, &[], ec2.describe_addresses().send())
            .await
        {
            let v: Vec<Value> = out.addresses().iter().map(ec2::address).collect();
            sink.write(r, "ec2-describe-addresses.json", &json!({ "Addresses": v }));
        }
        if let Some(out) = sink
            .call(
                r,
                &EC2_EBS_DEFAULT,
                &[],
                ec2.get_ebs_encryption_by_default().send(),
            )
            .await
        {
            sink.write(
                r,
                "ec2-get-ebs-encryption-by-default.json",
                &json!({ "EbsEncryptionByDefault": out.ebs_encryption_by_default() }),
            );
        }
        if let Some(out) = sink
            .call(
                r,
                &EC2_IMDS_DEFAULTS,
                &[],
                ec2.get_instance_metadata_defaults().send(),
            )
            .await
        {
            let level = out.account_level().map(|a| {
                json!({
                    "HttpTokens": a.http_tokens().map(|x| x.as_str()),
                    "HttpPutResponseHopLimit": a.http_put_response_hop_limit(),
                    "HttpEndpoint": a.http_endpoint().map(|x| x.as_str()),
                    "InstanceMetadataTags": a.instance_metadata_tags().map(|x| x.as_str()),
                })
            });
            sink.write(
                r,
                "ec2-get-instance-metadata-defaults.json",
                &json!({ "AccountLevel": level }),
            );
        }
        if let Some(out) = sink
            .call(
                r,
                &EC2_SERIAL_CONSOLE,
                &[],
                ec2.get_serial_console_access_status().send(),
            )
            .await
        {
            sink.write(
                r,
                "ec2-get-serial-console-access-status.json",
                &json!({ "SerialConsoleAccessEnabled": out.serial_console_access_enabled() }),
            );
        }
    };
    let prefix_lists = async {
        let Some(lists) = pages!(
            sink,
            r,
            EC2_PREFIX_LISTS,
            ec2.describe_managed_prefix_lists(),
            |p| p.prefix_lists().to_vec()
        ) else {
            return;
        };
        let v: Vec<Value> = lists.iter().map(ec2::prefix_list).collect();
        sink.write(
            r,
            "ec2-describe-managed-prefix-lists.json",
            &json!({ "PrefixLists": v }),
        );
        let entries = lists
            .iter()
            .filter_map(|l| l.prefix_list_id())
            .map(|id| async move {
                let items = pages!(
                    sink,
                    r,
                    EC2_PREFIX_ENTRIES,
                    ec2.get_managed_prefix_list_entries().prefix_list_id(id),
                    |p| p.entries().to_vec()
                )?;
                let v: Vec<Value> = items.iter().map(ec2::prefix_list_entry).collect();
                sink.write(
                    r,
                    &format!("ec2-get-managed-prefix-list-entries-{id}.json"),
                    &json!({ "Entries": v }),
                );
                Some(())
            });
        futures::future::join_all(entries).await;
    };
    let launch_templates = async {
        let Some(templates) = pages!(
            sink,
            r,
            EC2_LAUNCH_TEMPLATES,
            ec2.describe_launch_templates(),
            |p| p.launch_templates().to_vec()
        ) else {
            return;
        };
        let v: Vec<Value> = templates.iter().map(ec2::launch_template).collect();
        sink.write(
            r,
            "ec2-describe-launch-templates.json",
            &json!({ "LaunchTemplates": v }),
        );
        let versions =
            templates
                .iter()
                .filter_map(|t| t.launch_template_id())
                .map(|id| async move {
                    let items = pages!(
                        sink,
                        r,
                        EC2_LAUNCH_TEMPLATE_VERSIONS,
                        ec2.describe_launch_template_versions()
                            .launch_template_id(id),
                        |p| p.launch_template_versions().to_vec()
                    )?;
                    let v: Vec<Value> = items.iter().map(ec2::launch_template_version).collect();
                    sink.write(
                        r,
                        &format!("ec2-describe-launch-template-versions-{id}.json"),
                        &json!({ "LaunchTemplateVersions": v }),
                    );
                    Some(())
                });
        futures::future::join_all(versions).await;
    };
    let images = async {
        let Some(images) = pages!(
            sink,
            r,
            EC2_IMAGES,
            ec2.describe_images().owners("self"),
            |p| p.images().to_vec()
        ) else {
            return;
        };
        let v: Vec<Value> = images.iter().map(ec2::image).collect();
        sink.write(r, "ec2-describe-images.json", &json!({ "Images": v }));
        let perms = images
            .iter()
            .filter_map(|i| i.image_id())
            .map(|id| async move {
                let out = sink
                    .call(
                        r,
                        &EC2_IMAGE_ATTRIBUTE,
                        &[],
                        ec2.describe_image_attribute()
                            .image_id(id)
                            .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
                            .send(),
                    )
                    .await?;
                let v: Vec<Value> = out
                    .launch_permissions()
                    .iter()
                    .map(ec2::launch_permission)
                    .collect();
                sink.write(
                    r,
                    &format!("ec2-describe-image-attribute-{id}-launchPermission.json"),
                    &json!({ "ImageId": id, "LaunchPermissions": v }),
                );
                Some(())
            });
        futures::future::join_all(perms).await;
    };
    let snapshots = async {
        let Some(snaps) = pages!(
            sink,
            r,
            EC2_SNAPSHOTS,
            ec2.describe_snapshots().owner_ids("self"),
            |p| p.snapshots().to_vec()
        ) else {
            return;
        };
        let v: Vec<Value> = snaps.iter().map(ec2::snapshot).collect();
        sink.write(r, "ec2-describe-snapshots.json", &json!({ "Snapshots": v }));
        let perms = snaps
            .iter()
            .filter_map(|s| s.snapshot_id())
            .map(|id| async move {
                let out = sink
                    .call(
                        r,
                        &EC2_SNAPSHOT_ATTRIBUTE,
                        &[],
                        ec2.describe_snapshot_attribute()
                            .snapshot_id(id)
                            .attribute(
                                aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission,
                            )
                            .send(),
                    )
                    .await?;
                let v: Vec<Value> = out
                    .create_volume_permissions()
                    .iter()
                    .map(ec2::create_volume_permission)
                    .collect();
                sink.write(
                    r,
                    &format!("ec2-describe-snapshot-attribute-{id}-createVolumePermission.json"),
                    &json!({ "SnapshotId": id, "CreateVolumePermissions": v }),
                );
                Some(())
            });
        futures::future::join_all(perms).await;
    };
    tokio::join!(
        instances,
        simple,
        prefix_lists,
        launch_templates,
        images,
        snapshots,
        collect_autoscaling(sink, conf, region),
        collect_cloudtrail(sink, conf, region),
        collect_guardduty(sink, conf, region),
        collect_ssm(sink, conf, region),
    );
}

async fn collect_autoscaling(sink: &Sink, conf: &SdkConfig, region: &str) {
    let client = aws_sdk_autoscaling::Client::new(conf);
    let r = Some(region);
    if let Some(groups) = pages!(
        sink,
        r,
        ASG_GROUPS,
        client.describe_auto_scaling_groups(),
        |p| p.auto_scaling_groups().to_vec()
    ) {
        let v: Vec<Value> = groups.iter().map(other::auto_scaling_group).collect();
        sink.write(
            r,
            "autoscaling-describe-auto-scaling-groups.json",
            &json!({ "AutoScalingGroups": v }),
        );
    }
    if let Some(configs) = pages!(
        sink,
        r,
        ASG_LAUNCH_CONFIGS,
        client.describe_launch_configurations(),
        |p| p.launch_configurations().to_vec()
    ) {
        let v: Vec<Value> = configs.iter().map(other::launch_configuration).collect();
        sink.write(
            r,
            "autoscaling-describe-launch-configurations.json",
            &json!({ "LaunchConfigurations": v }),
        );
    }
}

async fn collect_cloudtrail(sink: &Sink, conf: &SdkConfig, region: &str) {
    let client = aws_sdk_cloudtrail::Client::new(conf);
    let r = Some(region);
    let Some(out) = sink
        .call(
            r,
            &CT_TRAILS,
            &[],
            client.describe_trails().include_shadow_trails(false).send(),
        )
        .await
    else {
        return;
    };
    let trails = out.trail_list();
    let v: Vec<Value> = trails.iter().map(other::trail).collect();
    sink.write(
        r,
        "cloudtrail-describe-trails.json",
        &json!({ "trailList": v }),
    );
    for t in trails {
        let (Some(name), Some(arn)) = (t.name(), t.trail_arn()) else {
            continue;
        };
        if let Some(status) = sink
            .call(
                r,
                &CT_STATUS,
                &[],
                client.get_trail_status().name(arn).send(),
            )
            .await
        {
            sink.write(
                r,
                &format!("cloudtrail-get-trail-status-{name}.json"),
                &other::trail_status(&status),
            );
        }
        if let Some(sel) = sink
            .call(
                r,
                &CT_SELECTORS,
                &[],
                client.get_event_selectors().trail_name(arn).send(),
            )
            .await
        {
            sink.write(
                r,
                &format!("cloudtrail-get-event-selectors-{name}.json"),
                &other::event_selectors(&sel),
            );
        }
    }
}

async fn collect_guardduty(sink: &Sink, conf: &SdkConfig, region: &str) {
    let client = aws_sdk_guardduty::Client::new(conf);
    let r = Some(region);
    let Some(ids) = pages!(sink, r, GD_DETECTORS, client.list_detectors(), |p| p
        .detector_ids()
        .to_vec())
    else {
        return;
    };
    sink.write(
        r,
        "guardduty-list-detectors.json",
        &json!({ "DetectorIds": ids }),
    );
    for id in &ids {
        if let Some(d) = sink
            .call(
                r,
                &GD_DETECTOR,
                &[],
                client.get_detector().detector_id(id).send(),
            )
            .await
        {
            let v = json!({
                "Status": d.status().map(|s| s.as_str()),
                "FindingPublishingFrequency": d.finding_publishing_frequency().map(|f| f.as_str()),
                "CreatedAt": d.created_at(),
                "UpdatedAt": d.updated_at(),
                "ServiceRole": d.service_role(),
            });
            sink.write(r, &format!("guardduty-get-detector-{id}.json"), &v);
        }
    }
}

async fn collect_ssm(sink: &Sink, conf: &SdkConfig, region: &str) {
    let client = aws_sdk_ssm::Client::new(conf);
    let r = Some(region);
    if let Some(list) = pages!(
        sink,
        r,
        SSM_INSTANCES,
        client.describe_instance_information(),
        |p| p.instance_information_list().to_vec()
    ) {
        let v: Vec<Value> = list.iter().map(other::ssm_instance).collect();
        sink.write(
            r,
            "ssm-describe-instance-information.json",
            &json!({ "InstanceInformationList": v }),
        );
    }
}

async fn collect_iam(sink: &Sink, conf: &SdkConfig) {
    let iam = aws_sdk_iam::Client::new(conf);
    let details = async {
        let fut = async {
            let mut stream = iam
                .get_account_authorization_details()
                .into_paginator()
                .send();
            let (mut users, mut groups, mut roles, mut policies) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            while let Some(page) = stream.next().await {
                let page = page?;
                users.extend(page.user_detail_list().iter().map(other::user_detail));
                groups.extend(page.group_detail_list().iter().map(other::group_detail));
                roles.extend(page.role_detail_list().iter().map(other::role_detail));
                policies.extend(page.policies().iter().map(other::managed_policy));
            }
            Ok(
                json!({ "UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies }),
            )
        };
        if let Some(v) = sink.call(None, &IAM_DETAILS, &[], fut).await {
            sink.write(None, "iam-get-account-authorization-details.json", &v);
        }
    };
    let profiles = async {
        if let Some(list) = pages!(
            sink,
            None,
            IAM_INSTANCE_PROFILES,
            iam.list_instance_profiles(),
            |p| p.instance_profiles().to_vec()
        ) {
            sink.write(
                None,
                "iam-list-instance-profiles.json",
                &json!({ "InstanceProfiles": other::instance_profiles(&list) }),
            );
        }
    };
    let users = async {
        let Some(users) = pages!(sink, None, IAM_USERS, iam.list_users(), |p| p
            .users()
            .to_vec())
        else {
            return;
        };
        let v: Vec<Value> = users.iter().map(other::user).collect();
        sink.write(None, "iam-list-users.json", &json!({ "Users": v }));
        let per_user = users
            .iter()
            .map(|u| collect_user(sink, &iam, u.user_name()));
        futures::future::join_all(per_user).await;
    };
    let account = async {
        if let Some(p) = sink
            .call(
                None,
                &IAM_PASSWORD_POLICY,
                &["NoSuchEntity"],
                iam.get_account_password_policy().send(),
            )
            .await
            && let Some(policy) = p.password_policy()
        {
            sink.write(
                None,
                "iam-get-account-password-policy.json",
                &json!({ "PasswordPolicy": other::password_policy(policy) }),
            );
        }
        credential_report(sink, &iam).await;
    };
    tokio::join!(details, profiles, users, account);
}

async fn collect_user(sink: &Sink, iam: &aws_sdk_iam::Client, user: &str) {
    let ssh = async {
        if let Some(keys) = pages!(
            sink,
            None,
            IAM_SSH_KEYS,
            iam.list_ssh_public_keys().user_name(user),
            |p| p.ssh_public_keys().to_vec()
        ) {
            let v: Vec<Value> = keys.iter().map(other::ssh_key).collect();
            sink.write(
                None,
                &format!("iam-list-ssh-public-keys-{user}.json"),
                &json!({ "SSHPublicKeys": v }),
            );
            // The list has no fingerprint: the body and its fingerprint tie the key to sshd logins.
            for key in &keys {
                let id = key.ssh_public_key_id();
                if let Some(out) = sink
                    .call(
                        None,
                        &IAM_SSH_KEY,
                        &[],
                        iam.get_ssh_public_key()
                            .user_name(user)
                            .ssh_public_key_id(id)
                            .encoding(aws_sdk_iam::types::EncodingType::Ssh)
                            .send(),
                    )
                    .await
                    && let Some(k) = out.ssh_public_key()
                {
                    sink.write(
                        None,
                        &format!("iam-get-ssh-public-key-{user}-{id}.json"),
                        &json!({ "SSHPublicKey": other::ssh_key_body(k) }),
                    );
                }
            }
        }
    };
    let access = async {
        let Some(keys) = pages!(
            sink,
            None,
            IAM_ACCESS_KEYS,
            iam.list_access_keys().user_name(user),
            |p| p.access_key_metadata().to_vec()
        ) else {
            return;
        };
        let v: Vec<Value> = keys.iter().map(other::access_key).collect();
        sink.write(
            None,
            &format!("iam-list-access-keys-{user}.json"),
            &json!({ "AccessKeyMetadata": v }),
        );
        for key in keys.iter().filter_map(|k| k.access_key_id()) {
            if let Some(out) = sink
                .call(
                    None,
                    &IAM_KEY_LAST_USED,
                    &[],
                    iam.get_access_key_last_used().access_key_id(key).send(),
                )
                .await
            {
                let last = out.access_key_last_used().map(|l| {
                    json!({
                        "LastUsedDate": l.last_used_date().and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
                        "ServiceName": l.service_name(),
                        "Region": l.region(),
                    })
                });
                sink.write(
                    None,
                    &format!("iam-get-access-key-last-used-{key}.json"),
                    &json!({ "UserName": out.user_name(), "AccessKeyLastUsed": last }),
                );
            }
        }
    };
    let mfa = async {
        if let Some(devices) = pages!(
            sink,
            None,
            IAM_MFA,
            iam.list_mfa_devices().user_name(user),
            |p| p.mfa_devices().to_vec()
        ) {
            let v: Vec<Value> = devices.iter().map(other::mfa_device).collect();
            sink.write(
                None,
                &format!("iam-list-mfa-devices-{user}.json"),
                &json!({ "MFADevices": v }),
            );
        }
    };
    let login = async {
        // NoSuchEntity: the user has no console password, which is a fact, not a gap.
        if let Some(out) = sink
            .call(
                None,
                &IAM_LOGIN_PROFILE,
                &["NoSuchEntity"],
                iam.get_login_profile().user_name(user).send(),
            )
            .await
            && let Some(p) = out.login_profile()
        {
            let created = p
                .create_date()
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .ok();
            sink.write(
                None,
                &format!("iam-get-login-profile-{user}.json"),
                &json!({ "LoginProfile": { "UserName": p.user_name(), "CreateDate": created, "PasswordResetRequired": p.password_reset_required() } }),
            );
        }
    };
    tokio::join!(ssh, access, mfa, login);
}

/// The credential report is generated asynchronously: ask, wait while it is in progress, fetch.
async fn credential_report(sink: &Sink, iam: &aws_sdk_iam::Client) {
    for _ in 0..10 {
        let Some(state) = sink
            .call(
                None,
                &IAM_GENERATE_REPORT,
                &[],
                iam.generate_credential_report().send(),
            )
            .await
        else {
            return;
        };
        if state.state().map(|s| s.as_str()) == Some("COMPLETE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    if let Some(out) = sink
        .call(
            None,
            &IAM_CREDENTIAL_REPORT,
            &[],
            iam.get_credential_report().send(),
        )
        .await
    {
        use base64_text::encode;
        let content = out.content().map(|b| encode(b.as_ref()));
        sink.write(
            None,
            "iam-get-credential-report.json",
            &json!({
                "Content": content,
                "ReportFormat": out.report_format().map(|f| f.as_str()),
                "GeneratedTime": out.generated_time().and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
            }),
        );
    }
}

/// The aws CLI prints blobs as base64; so do we.
mod base64_text {
    pub fn encode(bytes: &[u8]) -> String {
        aws_smithy_types::base64::encode(bytes)
    }
}

/// Runs `collect` on a runtime of its own, for the synchronous CLI.
pub fn collect_blocking(opts: &CollectOptions) -> anyhow::Result<CollectReport> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(collect(opts))
}

/// Where a snapshot folder ends up, for messages.
pub fn describe(out: &Path, report: &CollectReport) -> String {
    format!(
        "collected account {} in {} regions: {} files in {}, {} gaps{}",
        report.account.as_deref().unwrap_or("(unknown)"),
        report.regions.len(),
        report.files,
        out.display(),
        report.gaps.len(),
        if report.gaps.is_empty() {
            String::new()
        } else {
            " (listed in _gaps.json)".into()
        }
    )
}
