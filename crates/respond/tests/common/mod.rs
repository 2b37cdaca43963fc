//! A hand-built account: one RSA key created by EC2 in us-east-1 and imported into eu-west-1
//! under another name, an unrelated ED25519 key, instances in every state, an AMI made from an
//! affected instance, a launch template, a launch configuration and Auto Scaling groups.
//! The key files in `fixtures/` were made for these tests only.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use cloud::*;
use serde_json::json;

pub const CREATED_SHA1: &str = "c0:8c:bc:cf:11:2e:89:2c:4a:e2:27:a2:37:70:a7:13:5e:3d:cc:9f";
pub const IMPORTED_MD5: &str = "bf:1d:2d:f9:e2:65:84:71:79:1a:db:d5:a5:cb:57:b4";
pub const LEAKED_SHA256: &str = "SHA256:lKcHK21s+gtBpzrmbesd/QO55k/55leVTCdCBeJWYPM";
pub const LEAKED_OPENSSH_MD5: &str = "MD5:14:90:2b:0a:97:7c:8e:b1:80:18:90:6b:35:d9:82:24";
pub const OTHER_EC2: &str = "LMyhQEJdfo/72W5ZSVrBkvLlbZ22tDr4UcBuiA3EKic=";
pub const ACCOUNT: &str = "111122223333";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn public_line(name: &str) -> String {
    std::fs::read_to_string(fixture(name))
        .unwrap()
        .trim()
        .to_string()
}

fn tags(name: &str) -> Tags {
    BTreeMap::from([("Name".to_string(), name.to_string())])
}

#[allow(clippy::too_many_arguments)]
fn eni(
    id: &str,
    instance: &str,
    index: i64,
    subnet: &str,
    vpc: &str,
    region: &str,
    groups: &[&str],
    ip: &str,
    public: Option<&str>,
) -> NetworkInterface {
    NetworkInterface {
        id: id.into(),
        region: region.into(),
        account: Some(ACCOUNT.into()),
        subnet_id: Some(subnet.into()),
        vpc_id: Some(vpc.into()),
        attachment: Some(EniAttachment {
            instance_id: Some(instance.into()),
            device_index: Some(index),
            ..EniAttachment::default()
        }),
        private_ip: Some(ip.parse().unwrap()),
        public_ip: public.map(|p| p.parse().unwrap()),
        public_ip_owner: public.map(|_| "amazon".to_string()),
        security_group_ids: groups.iter().map(|s| s.to_string()).collect(),
        ..NetworkInterface::default()
    }
}

#[allow(clippy::too_many_arguments)]
fn instance(
    id: &str,
    region: &str,
    state: &str,
    key: &str,
    subnet: &str,
    vpc: &str,
    enis: &[&str],
    profile: Option<&str>,
    image: &str,
) -> Instance {
    Instance {
        id: id.into(),
        region: region.into(),
        account: Some(ACCOUNT.into()),
        state: state.into(),
        instance_type: Some("t3.micro".into()),
        key_name: Some(key.into()),
        launch_time: Some("2025-03-01T10:00:00Z".parse().unwrap()),
        image_id: Some(image.into()),
        subnet_id: Some(subnet.into()),
        vpc_id: Some(vpc.into()),
        network_interfaces: enis.iter().map(|s| s.to_string()).collect(),
        iam_instance_profile: profile.map(|p| InstanceProfileRef {
            arn: format!("arn:aws:iam::{ACCOUNT}:instance-profile/{p}"),
            id: None,
            association_id: None,
        }),
        metadata_options: Some(MetadataOptions {
            http_tokens: Some("optional".into()),
            http_endpoint: Some("enabled".into()),
            hop_limit: Some(1),
            ..MetadataOptions::default()
        }),
        disable_api_termination: Some(false),
        shutdown_behavior: Some("terminate".into()),
        root_device_type: Some("ebs".into()),
        tags: tags(id),
        ..Instance::default()
    }
}

fn volume(id: &str, region: &str, instance: &str) -> Volume {
    Volume {
        id: id.into(),
        region: region.into(),
        size_gib: Some(8),
        encrypted: Some(true),
        attachments: vec![VolumeAttachment {
            instance_id: Some(instance.into()),
            ..VolumeAttachment::default()
        }],
        ..Volume::default()
    }
}

pub fn scenario() -> Account {
    let mut a = Account::default();
    a.account_ids = vec![ACCOUNT.into()];
    a.regions = vec!["eu-west-1".into(), "us-east-1".into()];
    let leaked = public_line("leaked_rsa.pub");
    a.key_pairs = vec![
        KeyPair {
            name: "prod-deploy".into(),
            id: Some("key-0aaa1111aaaa1111a".into()),
            region: "us-east-1".into(),
            account: Some(ACCOUNT.into()),
            key_type: Some("rsa".into()),
            fingerprint: Some(CREATED_SHA1.into()),
            create_time: Some("2024-01-01T00:00:00Z".parse().unwrap()),
            public_key: Some(leaked.clone()),
            tags: Tags::new(),
        },
        KeyPair {
            name: "prod-deploy-eu".into(),
            id: Some("key-0bbb2222bbbb2222b".into()),
            region: "eu-west-1".into(),
            account: Some(ACCOUNT.into()),
            key_type: Some("rsa".into()),
            fingerprint: Some(IMPORTED_MD5.into()),
            create_time: Some("2024-02-01T00:00:00Z".parse().unwrap()),
            public_key: Some(leaked),
            tags: Tags::new(),
        },
        KeyPair {
            name: "other".into(),
            id: Some("key-0ccc3333cccc3333c".into()),
            region: "us-east-1".into(),
            account: Some(ACCOUNT.into()),
            key_type: Some("ed25519".into()),
            fingerprint: Some(OTHER_EC2.into()),
            create_time: None,
            public_key: None,
            tags: Tags::new(),
        },
    ];
    let mut web = instance(
        "i-0web1",
        "us-east-1",
        "running",
        "prod-deploy",
        "subnet-a",
        "vpc-1",
        &["eni-web1a", "eni-web1b"],
        Some("web-profile"),
        "ami-base",
    );
    web.public_ip = Some("203.0.113.10".parse().unwrap());
    web.block_devices = vec![
        BlockDevice {
            device_name: Some("/dev/xvda".into()),
            volume_id: Some("vol-1".into()),
            delete_on_termination: Some(true),
        },
        BlockDevice {
            device_name: Some("/dev/xvdb".into()),
            volume_id: Some("vol-2".into()),
            delete_on_termination: Some(false),
        },
    ];
    let mut db = instance(
        "i-0db1",
        "us-east-1",
        "stopped",
        "prod-deploy",
        "subnet-b",
        "vpc-1",
        &["eni-db1"],
        Some("db-profile"),
        "ami-base",
    );
    db.metadata_options = Some(MetadataOptions {
        http_tokens: Some("required".into()),
        http_endpoint: Some("enabled".into()),
        hop_limit: Some(2),
        ..MetadataOptions::default()
    });
    db.block_devices = vec![BlockDevice {
        device_name: Some("/dev/xvda".into()),
        volume_id: Some("vol-3".into()),
        delete_on_termination: Some(true),
    }];
    db.disable_api_termination = Some(true);
    db.shutdown_behavior = Some("stop".into());
    let old = instance(
        "i-0old",
        "us-east-1",
        "terminated",
        "prod-deploy",
        "subnet-a",
        "vpc-1",
        &[],
        None,
        "ami-base",
    );
    let mut eu = instance(
        "i-0eu1",
        "eu-west-1",
        "running",
        "prod-deploy-eu",
        "subnet-eu",
        "vpc-eu",
        &["eni-eu1"],
        None,
        "ami-eu",
    );
    eu.block_devices = vec![BlockDevice {
        device_name: Some("/dev/sda1".into()),
        volume_id: Some("vol-eu".into()),
        delete_on_termination: Some(true),
    }];
    let mut clone = instance(
        "i-0clone",
        "us-east-1",
        "running",
        "other",
        "subnet-a",
        "vpc-1",
        &["eni-clone"],
        None,
        "ami-clone",
    );
    clone.block_devices = vec![BlockDevice {
        device_name: Some("/dev/xvda".into()),
        volume_id: Some("vol-4".into()),
        delete_on_termination: Some(true),
    }];
    let unrelated = instance(
        "i-0unrelated",
        "us-east-1",
        "running",
        "other",
        "subnet-a",
        "vpc-1",
        &["eni-un"],
        Some("web-profile"),
        "ami-base",
    );
    a.instances = vec![web, db, old, eu, clone, unrelated];
    a.network_interfaces = vec![
        eni(
            "eni-web1a",
            "i-0web1",
            0,
            "subnet-a",
            "vpc-1",
            "us-east-1",
            &["sg-web", "sg-ssh"],
            "10.0.1.10",
            Some("203.0.113.10"),
        ),
        eni(
            "eni-web1b",
            "i-0web1",
            1,
            "subnet-b",
            "vpc-1",
            "us-east-1",
            &["sg-internal"],
            "10.0.2.10",
            None,
        ),
        eni(
            "eni-db1",
            "i-0db1",
            0,
            "subnet-b",
            "vpc-1",
            "us-east-1",
            &["sg-db"],
            "10.0.2.20",
            None,
        ),
        eni(
            "eni-eu1",
            "i-0eu1",
            0,
            "subnet-eu",
            "vpc-eu",
            "eu-west-1",
            &["sg-eu"],
            "10.9.0.5",
            None,
        ),
        eni(
            "eni-clone",
            "i-0clone",
            0,
            "subnet-a",
            "vpc-1",
            "us-east-1",
            &["sg-web"],
            "10.0.1.30",
            None,
        ),
        eni(
            "eni-un",
            "i-0unrelated",
            0,
            "subnet-a",
            "vpc-1",
            "us-east-1",
            &["sg-web"],
            "10.0.1.40",
            None,
        ),
    ];
    a.subnets = vec![
        Subnet {
            id: "subnet-a".into(),
            vpc_id: "vpc-1".into(),
            region: "us-east-1".into(),
            ..Subnet::default()
        },
        Subnet {
            id: "subnet-b".into(),
            vpc_id: "vpc-1".into(),
            region: "us-east-1".into(),
            ..Subnet::default()
        },
        Subnet {
            id: "subnet-eu".into(),
            vpc_id: "vpc-eu".into(),
            region: "eu-west-1".into(),
            ..Subnet::default()
        },
    ];
    a.network_acls = vec![
        NetworkAcl {
            id: "acl-1".into(),
            vpc_id: Some("vpc-1".into()),
            is_default: true,
            region: "us-east-1".into(),
            subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            entries: vec![
                NaclEntry {
                    rule_number: 2,
                    egress: false,
                    protocol: "6".into(),
                    action: NaclAction::Deny,
                    ..NaclEntry::default()
                },
                NaclEntry {
                    rule_number: 100,
                    egress: false,
                    protocol: "-1".into(),
                    action: NaclAction::Allow,
                    ..NaclEntry::default()
                },
            ],
            ..NetworkAcl::default()
        },
        NetworkAcl {
            id: "acl-eu".into(),
            vpc_id: Some("vpc-eu".into()),
            is_default: true,
            region: "eu-west-1".into(),
            subnet_ids: vec!["subnet-eu".into()],
            ..NetworkAcl::default()
        },
    ];
    a.volumes = vec![
        volume("vol-1", "us-east-1", "i-0web1"),
        volume("vol-2", "us-east-1", "i-0web1"),
        volume("vol-3", "us-east-1", "i-0db1"),
        volume("vol-eu", "eu-west-1", "i-0eu1"),
        volume("vol-4", "us-east-1", "i-0clone"),
    ];
    a.images = vec![
        Image {
            id: "ami-clone".into(),
            name: Some("web-golden".into()),
            region: "us-east-1".into(),
            source_instance_id: Some("i-0web1".into()),
            ..Image::default()
        },
        Image {
            id: "ami-base".into(),
            name: Some("base".into()),
            region: "us-east-1".into(),
            ..Image::default()
        },
    ];
    a.roles = vec![
        Role {
            name: "web-role".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role/web-role"),
            inline_policies: vec![InlinePolicy {
                name: "everything".into(),
                document: json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
            }],
            ..Role::default()
        },
        Role {
            name: "db-role".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role/db-role"),
            attached_policies: vec![AttachedPolicy {
                name: Some("s3-read".into()),
                arn: format!("arn:aws:iam::{ACCOUNT}:policy/s3-read"),
            }],
            ..Role::default()
        },
    ];
    a.managed_policies = vec![ManagedPolicy {
        name: "s3-read".into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:policy/s3-read"),
        document: Some(
            json!({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "ssm:SendCommand"], "Resource": "*"}]}),
        ),
        ..ManagedPolicy::default()
    }];
    a.instance_profiles = ["web", "db"]
        .iter()
        .map(|n| InstanceProfile {
            name: format!("{n}-profile"),
            arn: format!("arn:aws:iam::{ACCOUNT}:instance-profile/{n}-profile"),
            roles: vec![format!("{n}-role")],
            role_arns: vec![format!("arn:aws:iam::{ACCOUNT}:role/{n}-role")],
            ..InstanceProfile::default()
        })
        .collect();
    a.launch_templates = vec![LaunchTemplate {
        id: "lt-0web".into(),
        name: Some("web".into()),
        region: "us-east-1".into(),
        default_version: Some(2),
        latest_version: Some(2),
        versions: vec![
            LaunchTemplateVersion {
                number: 1,
                key_name: Some("prod-deploy".into()),
                ..LaunchTemplateVersion::default()
            },
            LaunchTemplateVersion {
                number: 2,
                is_default: true,
                key_name: Some("prod-deploy".into()),
                ..LaunchTemplateVersion::default()
            },
        ],
        ..LaunchTemplate::default()
    }];
    a.launch_configurations = vec![LaunchConfiguration {
        name: "legacy-lc".into(),
        region: "us-east-1".into(),
        key_name: Some("prod-deploy".into()),
        ..LaunchConfiguration::default()
    }];
    a.auto_scaling_groups = vec![
        AutoScalingGroup {
            name: "web-asg".into(),
            region: "us-east-1".into(),
            launch_template: Some(LaunchTemplateSpec {
                id: Some("lt-0web".into()),
                name: Some("web".into()),
                version: Some("$Default".into()),
            }),
            desired_capacity: Some(1),
            instances: vec![AsgInstance {
                instance_id: "i-0web1".into(),
                lifecycle_state: Some("InService".into()),
                ..AsgInstance::default()
            }],
            ..AutoScalingGroup::default()
        },
        AutoScalingGroup {
            name: "legacy-asg".into(),
            region: "us-east-1".into(),
            launch_configuration_name: Some("legacy-lc".into()),
            desired_capacity: Some(0),
            ..AutoScalingGroup::default()
        },
    ];
    a.reindex();
    a
}
