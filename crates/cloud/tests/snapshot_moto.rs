//! A scenario built in a real moto server with the aws CLI, dumped by `scripts/snapshot.sh`, and
//! loaded: the model must hold what the scenario made. Needs the Python test bed
//! (`TRAILHOUND_TESTBED_PYTHON`, see scripts/testbed.sh); skipped with a message without it.

use std::path::Path;
use std::process::Command;

use cloud::{NaclAction, RouteTarget, RuleSource};
use testbed::Moto;

/// One Linux AMI instead of moto's default catalogue, whose ~1,300 images come with snapshots
/// listed as owned by the account (see shared/reference/moto-limitations.md).
const AMIS: &str = r#"[{"ami_id": "ami-0a1b2c3d4e5f00001", "state": "available", "public": true,
  "owner_id": "137112412989", "image_location": "amazon/al2023", "sriov": "simple",
  "root_device_type": "ebs", "root_device_name": "/dev/xvda", "description": "Amazon Linux",
  "image_type": "machine", "platform": null, "architecture": "x86_64",
  "name": "al2023-ami", "virtualization_type": "hvm", "hypervisor": "xen"}]"#;

#[test]
fn scenario_dumped_by_snapshot_sh_loads_into_the_model() {
    if testbed::python().is_none() {
        eprintln!(
            "skipping scenario_dumped_by_snapshot_sh_loads_into_the_model: {} is not set \
             (run `bash scripts/testbed.sh` and export it, or use scripts/test.sh)",
            testbed::PYTHON_VAR
        );
        return;
    }
    let amis = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(amis.path(), AMIS).unwrap();
    let moto = Moto::start(&[("MOTO_AMIS_PATH", amis.path().to_str().unwrap())]);
    let s = Scenario::build(&moto);

    let dir = tempfile::tempdir().unwrap();
    // Keep the dump for inspection when asked (debugging a failure).
    let dir_path = match std::env::var_os("TRAILHOUND_KEEP_SNAPSHOT") {
        Some(p) => std::path::PathBuf::from(p),
        None => dir.path().to_path_buf(),
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/snapshot.sh");
    let out = moto
        .command("bash")
        .arg(&script)
        .args(["--regions", "us-east-1", "--out"])
        .arg(&dir_path)
        .env("AWS_CLI", testbed::venv_bin("aws"))
        // moto answers unimplemented calls with HTTP 500; do not retry them.
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // moto lacks a few read calls: they are gaps, and the script says so with exit code 2.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("wrote "), "{stderr}");

    let (a, report) = cloud::load(&dir_path).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.unrecognised.is_empty(), "{:?}", report.unrecognised);
    assert_eq!(a.account_ids, [testbed::ACCOUNT]);
    assert_eq!(a.regions, ["us-east-1"]);

    // Gaps are moto's unimplemented calls, recorded with their permission.
    let gap_ops: Vec<&str> = a.gaps.iter().map(|g| g.operation.as_str()).collect();
    assert!(
        gap_ops.contains(&"ssm describe-instance-information"),
        "{gap_ops:?}"
    );
    let imds_gap = a
        .gaps
        .iter()
        .find(|g| g.operation == "ec2 get-instance-metadata-defaults")
        .expect("IMDS defaults are a gap on moto");
    assert_eq!(imds_gap.permission, "ec2:GetInstanceMetadataDefaults");
    assert_eq!(imds_gap.region.as_deref(), Some("us-east-1"));
    assert!(
        !gap_ops
            .iter()
            .any(|g| g.starts_with("ec2 describe-instances"))
    );

    // The instance: key, subnet, groups, profile, IMDS, attributes.
    let web = a.instance(&s.instance).expect("the web instance");
    assert_eq!(web.region, "us-east-1");
    assert_eq!(web.account.as_deref(), Some(testbed::ACCOUNT));
    assert_eq!(web.state, "running");
    assert_eq!(web.key_name.as_deref(), Some("ops-key"));
    assert_eq!(web.subnet_id.as_deref(), Some(s.public_subnet.as_str()));
    assert_eq!(web.security_group_ids, [s.web_sg.as_str()]);
    assert!(web.launch_time.is_some());
    assert!(web.metadata_options.as_ref().unwrap().allows_imdsv1());
    assert_eq!(web.disable_api_termination, Some(true));
    assert_eq!(web.shutdown_behavior.as_deref(), Some("stop"));
    assert_eq!(web.network_interfaces.len(), 1);
    let enis = a.enis_of_instance(&s.instance);
    assert_eq!(enis.len(), 1);
    assert!(!enis[0].from_instance_only);
    assert_eq!(enis[0].security_group_ids, [s.web_sg.as_str()]);
    let groups: Vec<&str> = a
        .security_groups_of_instance(&s.instance)
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    assert_eq!(groups, ["web"]);

    // instance → profile → role → policies.
    let profile = a.instance_profile_of_instance(&s.instance).unwrap();
    assert_eq!(profile.name, "web-profile");
    let roles = a.roles_of_instance(&s.instance);
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].name, "web-role");
    let policies = a.attached_policies_of_role(roles[0]);
    assert_eq!(policies.len(), 1);
    assert_eq!(
        policies[0].document.as_ref().unwrap()["Statement"][0]["Action"],
        "ec2:DescribeInstances"
    );
    assert_eq!(
        roles[0].trust_policy.as_ref().unwrap()["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );

    // Security groups: IPv4 and IPv6 sources, a group reference, and rule ids.
    let web_sg = a.security_group(&s.web_sg).unwrap();
    assert_eq!(web_sg.vpc_id.as_deref(), Some(s.vpc.as_str()));
    let ssh = web_sg
        .ingress
        .iter()
        .find(|r| r.from_port == Some(22))
        .expect("ssh rule");
    assert!(matches!(ssh.source, RuleSource::Cidr4(n) if n.prefix_len() == 0));
    assert!(
        ssh.rule_id
            .as_deref()
            .is_some_and(|r| r.starts_with("sgr-"))
    );
    let https6 = web_sg
        .ingress
        .iter()
        .find(|r| r.from_port == Some(443))
        .expect("https rule");
    assert!(matches!(https6.source, RuleSource::Cidr6(n) if n.prefix_len() == 0));
    let db_sg = a.security_group(&s.db_sg).unwrap();
    assert!(
        db_sg.ingress.iter().any(|r| r.covers_port("tcp", 5432)
            && matches!(&r.source, RuleSource::Group { group_id: Some(g), .. } if *g == s.web_sg)),
        "{:?}",
        db_sg.ingress
    );
    let in_web: Vec<&str> = a
        .instances_in_security_group(&s.web_sg)
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(in_web, [s.instance.as_str()]);

    // Network: subnets, IPv6, NACL order, route tables (explicit and main).
    let public = a.subnet(&s.public_subnet).unwrap();
    assert_eq!(public.cidr_v4.unwrap().to_string(), "10.20.1.0/24");
    assert_eq!(public.vpc_id, s.vpc);
    assert_eq!(
        a.vpc(&s.vpc).unwrap().cidrs_v4[0].to_string(),
        "10.20.0.0/16"
    );
    let nacl = a.nacl_of_subnet(&s.public_subnet).unwrap();
    assert_eq!(nacl.id, s.nacl);
    assert!(!nacl.is_default);
    let ingress: Vec<(i32, NaclAction, &str)> = nacl
        .entries
        .iter()
        .filter(|e| !e.egress && e.rule_number < 32767)
        .map(|e| (e.rule_number, e.action, e.protocol.as_str()))
        .collect();
    assert_eq!(
        ingress,
        [
            (90, NaclAction::Deny, "tcp"),
            (100, NaclAction::Allow, "tcp")
        ]
    );
    assert!(nacl.entries[0].cidr_v6.is_some());
    assert_eq!(nacl.entries[1].port_range, Some((22, 22)));
    let private_nacl = a.nacl_of_subnet(&s.private_subnet).unwrap();
    assert!(private_nacl.is_default);
    let rt = a.route_table_of_subnet(&s.public_subnet).unwrap();
    assert_eq!(rt.id, s.route_table);
    assert!(
        rt.routes
            .iter()
            .any(|r| r.target == RouteTarget::InternetGateway && r.target_id == s.igw)
    );
    let main = a.route_table_of_subnet(&s.private_subnet).unwrap();
    assert!(main.main);
    assert!(main.routes.iter().all(|r| r.target == RouteTarget::Local));
    let igw = a.internet_gateway(&s.igw).unwrap();
    assert_eq!(igw.attachments[0].vpc_id, s.vpc);

    // Key pair and who uses it.
    let kp = a.key_pair(None, "us-east-1", "ops-key").unwrap();
    assert!(kp.fingerprint.is_some() && kp.create_time.is_some());
    assert_eq!(
        a.instances_using_key_pair(kp)
            .iter()
            .filter(|i| i.id == s.instance)
            .count(),
        1
    );

    // Launch template and the Auto Scaling group built on it.
    let lt = a.launch_template(&s.launch_template).unwrap();
    assert_eq!(lt.name.as_deref(), Some("web-lt"));
    assert_eq!(lt.versions.len(), 1);
    assert_eq!(lt.versions[0].key_name.as_deref(), Some("ops-key"));
    assert_eq!(
        lt.versions[0]
            .metadata_options
            .as_ref()
            .unwrap()
            .http_tokens
            .as_deref(),
        Some("required")
    );
    let asg = a
        .auto_scaling_groups
        .iter()
        .find(|g| g.name == "web-asg")
        .unwrap();
    assert_eq!(
        asg.launch_template.as_ref().unwrap().id.as_deref(),
        Some(s.launch_template.as_str())
    );
    assert_eq!(asg.subnet_ids, [s.private_subnet.as_str()]);
    assert_eq!(asg.instances.len(), 1);
    let asg_instance = a.instance(&asg.instances[0].instance_id).unwrap();
    assert_eq!(asg_instance.key_name.as_deref(), Some("ops-key"));

    // IAM user: SSH key (with its fingerprint from get-ssh-public-key), access key, no password.
    let dev = a.user("dev").unwrap();
    assert_eq!(
        dev.arn,
        format!("arn:aws:iam::{}:user/dev", testbed::ACCOUNT)
    );
    assert!(dev.ssh_keys_known && dev.access_keys_known && dev.mfa_known);
    assert_eq!(dev.ssh_public_keys.len(), 1);
    assert!(dev.ssh_public_keys[0].is_active());
    assert!(dev.ssh_public_keys[0].upload_date.is_some());
    assert!(dev.ssh_public_keys[0].fingerprint.is_some());
    assert!(
        dev.ssh_public_keys[0]
            .body
            .as_deref()
            .is_some_and(|b| b.starts_with("ssh-rsa "))
    );
    assert_eq!(dev.access_keys.len(), 1);
    assert_eq!(dev.access_keys[0].id, s.access_key);
    assert!(dev.access_keys[0].is_active());
    assert!(dev.access_keys[0].create_date.is_some());
    assert!(dev.login_profile_known && dev.login_profile.is_none());
    let row = a
        .credential_report_row("dev")
        .expect("credential report row");
    assert_eq!(row.access_key_1.active, Some(true));
    assert_eq!(row.password_enabled, Some(false));
    assert_eq!(a.password_policy(None).unwrap().minimum_length, Some(14));

    // CloudTrail trail, its status and selectors; EBS default; volumes and snapshots.
    let trail = a.trails.iter().find(|t| t.name == "main").unwrap();
    assert_eq!(trail.is_multi_region, Some(true));
    assert_eq!(trail.status.as_ref().unwrap().is_logging, Some(true));
    assert!(trail.selectors_known);
    let settings = a.region_settings(None, "us-east-1").unwrap();
    assert_eq!(settings.ebs_encryption_by_default, Some(false));
    assert!(settings.imds_defaults.is_none(), "a gap on moto");
    assert!(a.volumes.iter().any(|v| {
        v.attachments
            .iter()
            .any(|t| t.instance_id.as_deref() == Some(&s.instance))
    }));
    assert_eq!(a.guardduty_detectors.len(), 1);
    assert_eq!(a.guardduty_detectors[0].status.as_deref(), Some("ENABLED"));
}

/// Ids of what the scenario made.
struct Scenario {
    vpc: String,
    public_subnet: String,
    private_subnet: String,
    igw: String,
    route_table: String,
    nacl: String,
    web_sg: String,
    db_sg: String,
    instance: String,
    launch_template: String,
    access_key: String,
}

impl Scenario {
    fn build(m: &Moto) -> Scenario {
        let vpc = m.id(
            &m.aws(&["ec2", "create-vpc", "--cidr-block", "10.20.0.0/16"]),
            "/Vpc/VpcId",
        );
        let subnet = |cidr: &str| {
            m.id(
                &m.aws(&[
                    "ec2",
                    "create-subnet",
                    "--vpc-id",
                    &vpc,
                    "--cidr-block",
                    cidr,
                    "--availability-zone",
                    "us-east-1a",
                ]),
                "/Subnet/SubnetId",
            )
        };
        let public_subnet = subnet("10.20.1.0/24");
        let private_subnet = subnet("10.20.2.0/24");
        let igw = m.id(
            &m.aws(&["ec2", "create-internet-gateway"]),
            "/InternetGateway/InternetGatewayId",
        );
        m.aws(&[
            "ec2",
            "attach-internet-gateway",
            "--internet-gateway-id",
            &igw,
            "--vpc-id",
            &vpc,
        ]);
        let route_table = m.id(
            &m.aws(&["ec2", "create-route-table", "--vpc-id", &vpc]),
            "/RouteTable/RouteTableId",
        );
        m.aws(&[
            "ec2",
            "create-route",
            "--route-table-id",
            &route_table,
            "--destination-cidr-block",
            "0.0.0.0/0",
            "--gateway-id",
            &igw,
        ]);
        m.aws(&[
            "ec2",
            "associate-route-table",
            "--route-table-id",
            &route_table,
            "--subnet-id",
            &public_subnet,
        ]);

        // A custom NACL on the public subnet: deny RDP over IPv6 (rule 90), allow SSH (rule 100).
        let nacl = m.id(
            &m.aws(&["ec2", "create-network-acl", "--vpc-id", &vpc]),
            "/NetworkAcl/NetworkAclId",
        );
        m.aws(&[
            "ec2",
            "create-network-acl-entry",
            "--network-acl-id",
            &nacl,
            "--ingress",
            "--rule-number",
            "100",
            "--protocol",
            "tcp",
            "--port-range",
            "From=22,To=22",
            "--cidr-block",
            "0.0.0.0/0",
            "--rule-action",
            "allow",
        ]);
        m.aws(&[
            "ec2",
            "create-network-acl-entry",
            "--network-acl-id",
            &nacl,
            "--ingress",
            "--rule-number",
            "90",
            "--protocol",
            "6",
            "--port-range",
            "From=3389,To=3389",
            "--ipv6-cidr-block",
            "::/0",
            "--rule-action",
            "deny",
        ]);
        let acls = m.aws(&[
            "ec2",
            "describe-network-acls",
            "--filters",
            &format!("Name=association.subnet-id,Values={public_subnet}"),
        ]);
        let association = acls["NetworkAcls"][0]["Associations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["SubnetId"] == public_subnet.as_str())
            .and_then(|a| a["NetworkAclAssociationId"].as_str())
            .unwrap()
            .to_string();
        m.aws(&[
            "ec2",
            "replace-network-acl-association",
            "--association-id",
            &association,
            "--network-acl-id",
            &nacl,
        ]);

        // Security groups: web open to SSH (IPv4) and HTTPS (IPv6); db open to web only.
        let sg = |name: &str| {
            m.id(
                &m.aws(&[
                    "ec2",
                    "create-security-group",
                    "--group-name",
                    name,
                    "--description",
                    name,
                    "--vpc-id",
                    &vpc,
                ]),
                "/GroupId",
            )
        };
        let web_sg = sg("web");
        let db_sg = sg("db");
        m.aws(&[
            "ec2",
            "authorize-security-group-ingress",
            "--group-id",
            &web_sg,
            "--ip-permissions",
            "IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}]",
            "IpProtocol=tcp,FromPort=443,ToPort=443,Ipv6Ranges=[{CidrIpv6=::/0}]",
        ]);
        m.aws(&[
            "ec2",
            "authorize-security-group-ingress",
            "--group-id",
            &db_sg,
            "--protocol",
            "tcp",
            "--port",
            "5432",
            "--source-group",
            &web_sg,
        ]);

        m.aws(&["ec2", "create-key-pair", "--key-name", "ops-key"]);

        // Role, policy and instance profile.
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        m.aws(&[
            "iam",
            "create-role",
            "--role-name",
            "web-role",
            "--assume-role-policy-document",
            trust,
        ]);
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}"#;
        let policy_arn = m.id(
            &m.aws(&[
                "iam",
                "create-policy",
                "--policy-name",
                "describe",
                "--policy-document",
                doc,
            ]),
            "/Policy/Arn",
        );
        m.aws(&[
            "iam",
            "attach-role-policy",
            "--role-name",
            "web-role",
            "--policy-arn",
            &policy_arn,
        ]);
        m.aws(&[
            "iam",
            "create-instance-profile",
            "--instance-profile-name",
            "web-profile",
        ]);
        m.aws(&[
            "iam",
            "add-role-to-instance-profile",
            "--instance-profile-name",
            "web-profile",
            "--role-name",
            "web-role",
        ]);

        let run = m.aws(&[
            "ec2",
            "run-instances",
            "--image-id",
            "ami-0a1b2c3d4e5f00001",
            "--count",
            "1",
            "--instance-type",
            "t3.micro",
            "--key-name",
            "ops-key",
            "--subnet-id",
            &public_subnet,
            "--security-group-ids",
            &web_sg,
            "--iam-instance-profile",
            "Name=web-profile",
            "--metadata-options",
            "HttpTokens=optional,HttpEndpoint=enabled",
        ]);
        let instance = m.id(&run, "/Instances/0/InstanceId");
        m.aws(&[
            "ec2",
            "modify-instance-attribute",
            "--instance-id",
            &instance,
            "--disable-api-termination",
        ]);

        let lt = m.aws(&[
            "ec2",
            "create-launch-template",
            "--launch-template-name",
            "web-lt",
            "--launch-template-data",
            r#"{"ImageId":"ami-0a1b2c3d4e5f00001","InstanceType":"t3.micro","KeyName":"ops-key","MetadataOptions":{"HttpTokens":"required"}}"#,
        ]);
        let launch_template = m.id(&lt, "/LaunchTemplate/LaunchTemplateId");
        m.aws(&[
            "autoscaling",
            "create-auto-scaling-group",
            "--auto-scaling-group-name",
            "web-asg",
            "--launch-template",
            &format!("LaunchTemplateId={launch_template},Version=$Latest"),
            "--min-size",
            "1",
            "--max-size",
            "1",
            "--desired-capacity",
            "1",
            "--vpc-zone-identifier",
            &private_subnet,
        ]);

        // An IAM user with an SSH key and an access key (the secret is never written anywhere).
        m.aws(&["iam", "create-user", "--user-name", "dev"]);
        let keydir = tempfile::tempdir().unwrap();
        let keyfile = keydir.path().join("id");
        let status = Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "rsa",
                "-b",
                "2048",
                "-N",
                "",
                "-C",
                "dev@laptop",
                "-f",
            ])
            .arg(&keyfile)
            .status()
            .unwrap();
        assert!(status.success());
        let public = std::fs::read_to_string(keyfile.with_extension("pub")).unwrap();
        m.aws(&[
            "iam",
            "upload-ssh-public-key",
            "--user-name",
            "dev",
            "--ssh-public-key-body",
            public.trim(),
        ]);
        let access_key = m.id(
            &m.aws(&["iam", "create-access-key", "--user-name", "dev"]),
            "/AccessKey/AccessKeyId",
        );
        m.aws(&[
            "iam",
            "update-account-password-policy",
            "--minimum-password-length",
            "14",
        ]);

        // Logging and detection.
        m.aws(&["s3api", "create-bucket", "--bucket", "trail-logs"]);
        m.aws(&[
            "cloudtrail",
            "create-trail",
            "--name",
            "main",
            "--s3-bucket-name",
            "trail-logs",
            "--is-multi-region-trail",
        ]);
        m.aws(&["cloudtrail", "start-logging", "--name", "main"]);
        m.aws(&["guardduty", "create-detector", "--enable"]);

        Scenario {
            vpc,
            public_subnet,
            private_subnet,
            igw,
            route_table,
            nacl,
            web_sg,
            db_sg,
            instance,
            launch_template,
            access_key,
        }
    }
}
