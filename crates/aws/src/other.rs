//! IAM, CloudTrail, Auto Scaling, GuardDuty and SSM values in the aws CLI's JSON shape.

use aws_sdk_autoscaling::types as asg;
use aws_sdk_cloudtrail::types as ct;
use aws_sdk_iam::types as iam;
use serde_json::Value;

use crate::json::{Obj, each, policy_document};

fn attached(p: &[iam::AttachedPolicy]) -> Vec<Value> {
    each(p, |a| {
        Obj::new()
            .s("PolicyName", a.policy_name())
            .s("PolicyArn", a.policy_arn())
            .done()
    })
}

fn inline(p: &[iam::PolicyDetail]) -> Vec<Value> {
    each(p, |d| {
        Obj::new()
            .s("PolicyName", d.policy_name())
            .o("PolicyDocument", policy_document(d.policy_document()))
            .done()
    })
}

fn iam_tags(tags: &[iam::Tag]) -> Vec<Value> {
    each(tags, |t| {
        Obj::new()
            .s("Key", Some(t.key()))
            .s("Value", Some(t.value()))
            .done()
    })
}

fn role(r: &iam::Role) -> Value {
    Obj::new()
        .s("RoleName", Some(r.role_name()))
        .s("RoleId", Some(r.role_id()))
        .s("Arn", Some(r.arn()))
        .s("Path", Some(r.path()))
        .t("CreateDate", Some(r.create_date()))
        .o(
            "AssumeRolePolicyDocument",
            policy_document(r.assume_role_policy_document()),
        )
        .done()
}

fn instance_profile(p: &iam::InstanceProfile) -> Value {
    Obj::new()
        .s("InstanceProfileName", Some(p.instance_profile_name()))
        .s("InstanceProfileId", Some(p.instance_profile_id()))
        .s("Arn", Some(p.arn()))
        .s("Path", Some(p.path()))
        .t("CreateDate", Some(p.create_date()))
        .list("Roles", each(p.roles(), role))
        .done()
}

pub fn instance_profiles(p: &[iam::InstanceProfile]) -> Vec<Value> {
    each(p, instance_profile)
}

pub fn user_detail(u: &iam::UserDetail) -> Value {
    Obj::new()
        .s("UserName", u.user_name())
        .s("UserId", u.user_id())
        .s("Arn", u.arn())
        .s("Path", u.path())
        .t("CreateDate", u.create_date())
        .strings("GroupList", u.group_list())
        .list(
            "AttachedManagedPolicies",
            attached(u.attached_managed_policies()),
        )
        .list("UserPolicyList", inline(u.user_policy_list()))
        .list("Tags", iam_tags(u.tags()))
        .done()
}

pub fn group_detail(g: &iam::GroupDetail) -> Value {
    Obj::new()
        .s("GroupName", g.group_name())
        .s("GroupId", g.group_id())
        .s("Arn", g.arn())
        .list(
            "AttachedManagedPolicies",
            attached(g.attached_managed_policies()),
        )
        .list("GroupPolicyList", inline(g.group_policy_list()))
        .done()
}

pub fn role_detail(r: &iam::RoleDetail) -> Value {
    Obj::new()
        .s("RoleName", r.role_name())
        .s("RoleId", r.role_id())
        .s("Arn", r.arn())
        .s("Path", r.path())
        .t("CreateDate", r.create_date())
        .o(
            "AssumeRolePolicyDocument",
            policy_document(r.assume_role_policy_document()),
        )
        .list(
            "InstanceProfileList",
            instance_profiles(r.instance_profile_list()),
        )
        .list(
            "AttachedManagedPolicies",
            attached(r.attached_managed_policies()),
        )
        .list("RolePolicyList", inline(r.role_policy_list()))
        .o(
            "RoleLastUsed",
            r.role_last_used().map(|l| {
                Obj::new()
                    .t("LastUsedDate", l.last_used_date())
                    .s("Region", l.region())
                    .done()
            }),
        )
        .list("Tags", iam_tags(r.tags()))
        .done()
}

pub fn managed_policy(p: &iam::ManagedPolicyDetail) -> Value {
    Obj::new()
        .s("PolicyName", p.policy_name())
        .s("PolicyId", p.policy_id())
        .s("Arn", p.arn())
        .s("DefaultVersionId", p.default_version_id())
        .i("AttachmentCount", p.attachment_count().map(i64::from))
        .list(
            "PolicyVersionList",
            each(p.policy_version_list(), |v| {
                Obj::new()
                    .o("Document", policy_document(v.document()))
                    .s("VersionId", v.version_id())
                    .b("IsDefaultVersion", Some(v.is_default_version()))
                    .done()
            }),
        )
        .done()
}

pub fn user(u: &iam::User) -> Value {
    Obj::new()
        .s("UserName", Some(u.user_name()))
        .s("UserId", Some(u.user_id()))
        .s("Arn", Some(u.arn()))
        .s("Path", Some(u.path()))
        .t("CreateDate", Some(u.create_date()))
        .t("PasswordLastUsed", u.password_last_used())
        .done()
}

pub fn ssh_key(k: &iam::SshPublicKeyMetadata) -> Value {
    Obj::new()
        .s("UserName", Some(k.user_name()))
        .s("SSHPublicKeyId", Some(k.ssh_public_key_id()))
        .s("Status", Some(k.status().as_str()))
        .t("UploadDate", Some(k.upload_date()))
        .done()
}

pub fn ssh_key_body(k: &iam::SshPublicKey) -> Value {
    Obj::new()
        .s("UserName", Some(k.user_name()))
        .s("SSHPublicKeyId", Some(k.ssh_public_key_id()))
        .s("Fingerprint", Some(k.fingerprint()))
        .s("SSHPublicKeyBody", Some(k.ssh_public_key_body()))
        .s("Status", Some(k.status().as_str()))
        .t("UploadDate", k.upload_date())
        .done()
}

pub fn access_key(k: &iam::AccessKeyMetadata) -> Value {
    Obj::new()
        .s("UserName", k.user_name())
        .s("AccessKeyId", k.access_key_id())
        .s("Status", k.status().map(|x| x.as_str()))
        .t("CreateDate", k.create_date())
        .done()
}

pub fn mfa_device(d: &iam::MfaDevice) -> Value {
    Obj::new()
        .s("UserName", Some(d.user_name()))
        .s("SerialNumber", Some(d.serial_number()))
        .t("EnableDate", Some(d.enable_date()))
        .done()
}

pub fn password_policy(p: &iam::PasswordPolicy) -> Value {
    Obj::new()
        .i(
            "MinimumPasswordLength",
            p.minimum_password_length().map(i64::from),
        )
        .b("RequireSymbols", Some(p.require_symbols()))
        .b("RequireNumbers", Some(p.require_numbers()))
        .b(
            "RequireUppercaseCharacters",
            Some(p.require_uppercase_characters()),
        )
        .b(
            "RequireLowercaseCharacters",
            Some(p.require_lowercase_characters()),
        )
        .b(
            "AllowUsersToChangePassword",
            Some(p.allow_users_to_change_password()),
        )
        .b("ExpirePasswords", Some(p.expire_passwords()))
        .i("MaxPasswordAge", p.max_password_age().map(i64::from))
        .i(
            "PasswordReusePrevention",
            p.password_reuse_prevention().map(i64::from),
        )
        .b("HardExpiry", p.hard_expiry())
        .done()
}

pub fn trail(t: &ct::Trail) -> Value {
    Obj::new()
        .s("Name", t.name())
        .s("S3BucketName", t.s3_bucket_name())
        .s("S3KeyPrefix", t.s3_key_prefix())
        .b(
            "IncludeGlobalServiceEvents",
            t.include_global_service_events(),
        )
        .b("IsMultiRegionTrail", t.is_multi_region_trail())
        .s("HomeRegion", t.home_region())
        .s("TrailARN", t.trail_arn())
        .b("LogFileValidationEnabled", t.log_file_validation_enabled())
        .s(
            "CloudWatchLogsLogGroupArn",
            t.cloud_watch_logs_log_group_arn(),
        )
        .s("CloudWatchLogsRoleArn", t.cloud_watch_logs_role_arn())
        .s("KmsKeyId", t.kms_key_id())
        .b("HasCustomEventSelectors", t.has_custom_event_selectors())
        .b("HasInsightSelectors", t.has_insight_selectors())
        .b("IsOrganizationTrail", t.is_organization_trail())
        .done()
}

pub fn trail_status(
    s: &aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput,
) -> Value {
    Obj::new()
        .b("IsLogging", s.is_logging())
        .s("LatestDeliveryError", s.latest_delivery_error())
        .t("LatestDeliveryTime", s.latest_delivery_time())
        .t("StartLoggingTime", s.start_logging_time())
        .t("StopLoggingTime", s.stop_logging_time())
        .t(
            "LatestCloudWatchLogsDeliveryTime",
            s.latest_cloud_watch_logs_delivery_time(),
        )
        .s(
            "LatestCloudWatchLogsDeliveryError",
            s.latest_cloud_watch_logs_delivery_error(),
        )
        .t("LatestDigestDeliveryTime", s.latest_digest_delivery_time())
        .done()
}

pub fn event_selectors(
    s: &aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput,
) -> Value {
    Obj::new()
        .s("TrailARN", s.trail_arn())
        .list(
            "EventSelectors",
            each(s.event_selectors(), |e| {
                Obj::new()
                    .s("ReadWriteType", e.read_write_type().map(|x| x.as_str()))
                    .b("IncludeManagementEvents", e.include_management_events())
                    .strings(
                        "ExcludeManagementEventSources",
                        e.exclude_management_event_sources(),
                    )
                    .list(
                        "DataResources",
                        each(e.data_resources(), |d| {
                            Obj::new()
                                .s("Type", d.r#type())
                                .strings("Values", d.values())
                                .done()
                        }),
                    )
                    .done()
            }),
        )
        .list(
            "AdvancedEventSelectors",
            each(s.advanced_event_selectors(), |a| {
                Obj::new()
                    .s("Name", a.name())
                    .list(
                        "FieldSelectors",
                        each(a.field_selectors(), |f| {
                            Obj::new()
                                .s("Field", Some(f.field()))
                                .strings("Equals", f.equals())
                                .strings("NotEquals", f.not_equals())
                                .strings("StartsWith", f.starts_with())
                                .strings("NotStartsWith", f.not_starts_with())
                                .done()
                        }),
                    )
                    .done()
            }),
        )
        .done()
}

fn lt_spec(l: &asg::LaunchTemplateSpecification) -> Value {
    Obj::new()
        .s("LaunchTemplateId", l.launch_template_id())
        .s("LaunchTemplateName", l.launch_template_name())
        .s("Version", l.version())
        .done()
}

pub fn auto_scaling_group(g: &asg::AutoScalingGroup) -> Value {
    Obj::new()
        .s("AutoScalingGroupName", g.auto_scaling_group_name())
        .s("AutoScalingGroupARN", g.auto_scaling_group_arn())
        .s("LaunchConfigurationName", g.launch_configuration_name())
        .o("LaunchTemplate", g.launch_template().map(lt_spec))
        .o(
            "MixedInstancesPolicy",
            g.mixed_instances_policy()
                .and_then(|m| m.launch_template())
                .map(|l| {
                    Obj::new()
                        .o(
                            "LaunchTemplate",
                            Some(
                                Obj::new()
                                    .o(
                                        "LaunchTemplateSpecification",
                                        l.launch_template_specification().map(lt_spec),
                                    )
                                    .done(),
                            ),
                        )
                        .done()
                }),
        )
        .i("MinSize", g.min_size().map(i64::from))
        .i("MaxSize", g.max_size().map(i64::from))
        .i("DesiredCapacity", g.desired_capacity().map(i64::from))
        .s("VPCZoneIdentifier", g.vpc_zone_identifier())
        .list(
            "Instances",
            each(g.instances(), |i| {
                Obj::new()
                    .s("InstanceId", i.instance_id())
                    .s("LifecycleState", i.lifecycle_state().map(|x| x.as_str()))
                    .s("HealthStatus", i.health_status())
                    .o("LaunchTemplate", i.launch_template().map(lt_spec))
                    .s("LaunchConfigurationName", i.launch_configuration_name())
                    .done()
            }),
        )
        .done()
}

pub fn launch_configuration(l: &asg::LaunchConfiguration) -> Value {
    Obj::new()
        .s("LaunchConfigurationName", l.launch_configuration_name())
        .s("LaunchConfigurationARN", l.launch_configuration_arn())
        .s("KeyName", l.key_name())
        .s("ImageId", l.image_id())
        .s("IamInstanceProfile", l.iam_instance_profile())
        .b("AssociatePublicIpAddress", l.associate_public_ip_address())
        .strings("SecurityGroups", l.security_groups())
        .o(
            "MetadataOptions",
            l.metadata_options().map(|m| {
                Obj::new()
                    .s("HttpTokens", m.http_tokens().map(|x| x.as_str()))
                    .i(
                        "HttpPutResponseHopLimit",
                        m.http_put_response_hop_limit().map(i64::from),
                    )
                    .s("HttpEndpoint", m.http_endpoint().map(|x| x.as_str()))
                    .done()
            }),
        )
        .done()
}

pub fn ssm_instance(i: &aws_sdk_ssm::types::InstanceInformation) -> Value {
    Obj::new()
        .s("InstanceId", i.instance_id())
        .s("PingStatus", i.ping_status().map(|x| x.as_str()))
        .t("LastPingDateTime", i.last_ping_date_time())
        .s("AgentVersion", i.agent_version())
        .s("PlatformType", i.platform_type().map(|x| x.as_str()))
        .s("ResourceType", i.resource_type().map(|x| x.as_str()))
        .done()
}
