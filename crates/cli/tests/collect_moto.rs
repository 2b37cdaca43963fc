//! `trailhound collect` against a real moto server on loopback, checked against the real aws CLI's
//! own output for the same calls. Needs the Python test bed (scripts/testbed.sh).
#![cfg(feature = "aws")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn venv_bin(name: &str) -> PathBuf {
    let python = std::env::var("TRAILHOUND_TESTBED_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/trailhound/testbed-venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let bin = Path::new(&python).parent().unwrap().join(name);
    assert!(
        bin.exists(),
        "{} is missing: run `bash scripts/testbed.sh` (or scripts/test.sh) first",
        bin.display()
    );
    bin
}

struct Moto {
    child: Child,
    url: String,
    _home: tempfile::TempDir,
}

impl Moto {
    fn start(extra_env: &[(&str, &str)]) -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let home = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(venv_bin("moto_server"));
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("HOME", home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _home: home,
        }
    }

    /// A command with dummy credentials and every AWS call sent to this server.
    fn command(&self, program: &Path, key: (&str, &str)) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self._home.path())
            .env("AWS_ACCESS_KEY_ID", key.0)
            .env("AWS_SECRET_ACCESS_KEY", key.1)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }

    fn aws(&self, args: &[&str]) -> Value {
        self.aws_as(("testing", "testing"), args)
    }

    fn aws_as(&self, key: (&str, &str), args: &[&str]) -> Value {
        let out = self
            .command(&venv_bin("aws"), key)
            .args(args)
            .args(["--output", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if out.stdout.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&out.stdout).unwrap()
        }
    }

    fn collect(&self, key: (&str, &str), out_dir: &Path) -> Output {
        self.command(Path::new(env!("CARGO_BIN_EXE_trailhound")), key)
            .args([
                "collect",
                "--regions",
                "us-east-1",
                "--max-attempts",
                "2",
                "--out",
            ])
            .arg(out_dir)
            .output()
            .unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Times are written by us as `...Z` and by the CLI as `...+00:00`: compare the instants.
fn same_scalar(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => match (x.parse::<jiff::Timestamp>(), y.parse::<jiff::Timestamp>()) {
            (Ok(p), Ok(q)) => p == q,
            _ => false,
        },
        _ => false,
    }
}

/// Every field collect wrote holds the value the aws CLI prints at the same place.
fn assert_subset(ours: &Value, cli: &Value, path: &str) {
    match (ours, cli) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let other = b
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}.{k}: the aws CLI has no such field"));
                assert_subset(v, other, &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: list lengths differ");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_subset(x, y, &format!("{path}[{i}]"));
            }
        }
        _ => assert!(
            same_scalar(ours, cli),
            "{path}: ours {ours} vs aws CLI {cli}"
        ),
    }
}

#[test]
fn collect_writes_the_aws_cli_format_and_records_gaps() {
    let moto = Moto::start(&[]);
    let vpc = moto.aws(&["ec2", "create-vpc", "--cidr-block", "10.1.0.0/16"]);
    let vpc_id = vpc["Vpc"]["VpcId"].as_str().unwrap().to_string();
    let subnet = moto.aws(&[
        "ec2",
        "create-subnet",
        "--vpc-id",
        &vpc_id,
        "--cidr-block",
        "10.1.1.0/24",
    ]);
    let subnet_id = subnet["Subnet"]["SubnetId"].as_str().unwrap().to_string();
    let sg = moto.aws(&[
        "ec2",
        "create-security-group",
        "--group-name",
        "ssh-open",
        "--description",
        "t",
        "--vpc-id",
        &vpc_id,
    ]);
    let sg_id = sg["GroupId"].as_str().unwrap().to_string();
    moto.aws(&[
        "ec2",
        "authorize-security-group-ingress",
        "--group-id",
        &sg_id,
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "0.0.0.0/0",
    ]);
    moto.aws(&["ec2", "create-key-pair", "--key-name", "created-key"]);
    let keydir = tempfile::tempdir().unwrap();
    let keyfile = keydir.path().join("id");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "imported@test", "-f"])
        .arg(&keyfile)
        .status()
        .unwrap();
    assert!(status.success());
    let public = std::fs::read_to_string(keyfile.with_extension("pub")).unwrap();
    moto.aws(&[
        "ec2",
        "import-key-pair",
        "--key-name",
        "imported-key",
        "--public-key-material",
        public.trim(),
    ]);
    let run = moto.aws(&[
        "ec2",
        "run-instances",
        "--image-id",
        "ami-12c6146b",
        "--count",
        "1",
        "--instance-type",
        "t3.micro",
        "--key-name",
        "created-key",
        "--subnet-id",
        &subnet_id,
        "--security-group-ids",
        &sg_id,
        "--metadata-options",
        "HttpTokens=optional,HttpPutResponseHopLimit=3,HttpEndpoint=enabled",
    ]);
    let instance_id = run["Instances"][0]["InstanceId"]
        .as_str()
        .unwrap()
        .to_string();
    let eip = moto.aws(&["ec2", "allocate-address", "--domain", "vpc"]);
    let allocation_id = eip["AllocationId"].as_str().unwrap().to_string();
    moto.aws(&[
        "ec2",
        "associate-address",
        "--allocation-id",
        &allocation_id,
        "--instance-id",
        &instance_id,
    ]);
    moto.aws(&["iam", "create-role", "--role-name", "web", "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#]);
    moto.aws(&[
        "iam",
        "create-instance-profile",
        "--instance-profile-name",
        "web",
    ]);
    moto.aws(&[
        "iam",
        "add-role-to-instance-profile",
        "--instance-profile-name",
        "web",
        "--role-name",
        "web",
    ]);
    let association = moto.aws(&[
        "ec2",
        "associate-iam-instance-profile",
        "--instance-id",
        &instance_id,
        "--iam-instance-profile",
        "Name=web",
    ]);
    let association_id = association["IamInstanceProfileAssociation"]["AssociationId"]
        .as_str()
        .unwrap()
        .to_string();
    moto.aws(&["iam", "create-user", "--user-name", "dev"]);
    moto.aws(&["iam", "create-access-key", "--user-name", "dev"]);
    moto.aws(&[
        "iam",
        "upload-ssh-public-key",
        "--user-name",
        "dev",
        "--ssh-public-key-body",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDd dev@laptop",
    ]);

    let dir = tempfile::tempdir().unwrap();
    let out = moto.collect(("testing", "testing"), dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let region = dir.path().join("us-east-1");

    let instances = read(&region.join("ec2-describe-instances.json"));
    let ours = instances["Reservations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["Instances"].as_array().unwrap())
        .find(|i| i["InstanceId"] == instance_id.as_str())
        .expect("our instance is in the snapshot");
    assert_eq!(ours["KeyName"], "created-key");
    assert_eq!(ours["MetadataOptions"]["HttpTokens"], "optional");
    assert_eq!(ours["MetadataOptions"]["HttpPutResponseHopLimit"], 3);
    assert_eq!(ours["SecurityGroups"][0]["GroupId"], sg_id.as_str());
    assert_eq!(ours["NetworkInterfaces"][0]["SubnetId"], subnet_id.as_str());

    // Field for field what the aws CLI prints for the same calls.
    let cli_sgs = moto.aws(&["ec2", "describe-security-groups"]);
    assert_subset(
        &read(&region.join("ec2-describe-security-groups.json")),
        &cli_sgs,
        "SecurityGroups",
    );
    let cli_keys = moto.aws(&["ec2", "describe-key-pairs", "--include-public-key"]);
    assert_subset(
        &read(&region.join("ec2-describe-key-pairs.json")),
        &cli_keys,
        "KeyPairs",
    );
    let cli_subnets = moto.aws(&["ec2", "describe-subnets"]);
    assert_subset(
        &read(&region.join("ec2-describe-subnets.json")),
        &cli_subnets,
        "Subnets",
    );
    let cli_ssh = moto.aws(&["iam", "list-ssh-public-keys", "--user-name", "dev"]);
    assert_subset(
        &read(&dir.path().join("iam-list-ssh-public-keys-dev.json")),
        &cli_ssh,
        "SSHPublicKeys",
    );
    let cli_rules = moto.aws(&["ec2", "describe-security-group-rules"]);
    assert_subset(
        &read(&region.join("ec2-describe-security-group-rules.json")),
        &cli_rules,
        "SecurityGroupRules",
    );
    let cli_addresses = moto.aws(&["ec2", "describe-addresses"]);
    assert_subset(
        &read(&region.join("ec2-describe-addresses.json")),
        &cli_addresses,
        "Addresses",
    );
    let cli_associations = moto.aws(&["ec2", "describe-iam-instance-profile-associations"]);
    assert_subset(
        &read(&region.join("ec2-describe-iam-instance-profile-associations.json")),
        &cli_associations,
        "IamInstanceProfileAssociations",
    );
    let ssh_id = cli_ssh["SSHPublicKeys"][0]["SSHPublicKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let cli_ssh_key = moto.aws(&[
        "iam",
        "get-ssh-public-key",
        "--user-name",
        "dev",
        "--ssh-public-key-id",
        &ssh_id,
        "--encoding",
        "SSH",
    ]);
    let ours_ssh_key = read(
        &dir.path()
            .join(format!("iam-get-ssh-public-key-dev-{ssh_id}.json")),
    );
    // The same fields both ways; a time may print its fraction with fewer digits
    // (the SDK drops trailing zeros: .06809 is the CLI's .068090).
    let fields = |v: &Value| {
        v["SSHPublicKey"]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
    };
    assert_eq!(fields(&ours_ssh_key), fields(&cli_ssh_key));
    assert_subset(&ours_ssh_key, &cli_ssh_key, "");

    // The model built from them: rule ids, the Elastic IP, the association id.
    let (model, _) = cloud::load(dir.path()).expect("the collected snapshot loads");
    let group = model
        .security_groups
        .iter()
        .find(|g| g.id == sg_id)
        .unwrap();
    assert!(
        group.ingress.iter().all(|r| r
            .rule_id
            .as_deref()
            .is_some_and(|id| id.starts_with("sgr-"))),
        "{:?}",
        group.ingress
    );
    assert!(model.addresses.iter().any(|e| e.allocation_id.as_deref()
        == Some(allocation_id.as_str())
        && e.instance_id.as_deref() == Some(instance_id.as_str())));
    let inst = model
        .instances
        .iter()
        .find(|i| i.id == instance_id)
        .unwrap();
    assert_eq!(
        inst.iam_instance_profile
            .as_ref()
            .and_then(|p| p.association_id.as_deref()),
        Some(association_id.as_str())
    );
    let attr = read(&region.join(format!(
        "ec2-describe-instance-attribute-{instance_id}-disableApiTermination.json"
    )));
    assert_eq!(attr["DisableApiTermination"]["Value"], false);
    assert_eq!(
        read(&dir.path().join("sts-get-caller-identity.json"))["Account"],
        "123456789012"
    );
    let details = read(
        &dir.path()
            .join("iam-get-account-authorization-details.json"),
    );
    assert!(
        details["UserDetailList"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["UserName"] == "dev")
    );

    // moto does not implement these (see shared/reference/moto-limitations.md): they are gaps, named,
    // and the run says so with exit code 2 while everything else was written.
    let gaps = read(&dir.path().join("_gaps.json"));
    let failed: Vec<&str> = gaps
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["operation"].as_str().unwrap())
        .collect();
    assert!(
        failed.contains(&"ssm describe-instance-information"),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"ec2 get-instance-metadata-defaults"),
        "{failed:?}"
    );
    assert!(
        !failed
            .iter()
            .any(|f| f.starts_with("ec2 describe-instances")),
        "{failed:?}"
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("collected account 123456789012 in 1 regions"),
        "{stderr}"
    );

    // The same snapshot through the account model and the audit, offline and live.
    let bin = Path::new(env!("CARGO_BIN_EXE_trailhound"));
    let offline = moto
        .command(bin, ("testing", "testing"))
        .args(["audit", "--format", "jsonl", "--snapshot"])
        .arg(dir.path())
        .output()
        .unwrap();
    let live = moto
        .command(bin, ("testing", "testing"))
        .args([
            "audit",
            "--format",
            "jsonl",
            "--live",
            "--regions",
            "us-east-1",
        ])
        .output()
        .unwrap();
    for (how, out) in [("offline", &offline), ("live", &live)] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        // moto's unimplemented calls are gaps: the audit says the snapshot is incomplete (exit 2).
        assert_eq!(out.status.code(), Some(2), "{how}: {stderr}");
        assert!(
            stderr.contains("ssm describe-instance-information"),
            "{how}: {stderr}"
        );
        let findings: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let has = |check: &str, resource: &str| {
            findings
                .iter()
                .any(|f| f["check_id"] == check && f["resource_id"] == resource)
        };
        assert!(
            has("ec2-sg-ssh-open-to-world", &sg_id),
            "{how}: {findings:?}"
        );
        assert!(has("ec2-instance-imdsv1", &instance_id), "{how}");
        assert!(has("ec2-instance-imds-hop-limit", &instance_id), "{how}");
        assert!(
            has("ec2-key-pair-unused", "imported-key")
                || findings
                    .iter()
                    .any(|f| f["check_id"] == "ec2-key-pair-unused"),
            "{how}"
        );
        // What moto could not answer is unknown, not "off".
        assert!(
            !findings
                .iter()
                .any(|f| f["check_id"] == "ec2-instance-not-ssm-managed"),
            "{how}"
        );
        assert!(
            !findings
                .iter()
                .any(|f| f["check_id"] == "ec2-account-imds-default-v1"),
            "{how}"
        );
    }
}

#[test]
fn access_denied_calls_name_the_missing_permission() {
    // After three unauthenticated setup calls, moto enforces IAM policies on every request.
    let moto = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    moto.aws(&["iam", "create-user", "--user-name", "auditor"]);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","sts:GetCallerIdentity"],"Resource":"*"}]}"#;
    moto.aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "auditor",
        "--policy-name",
        "ec2-read",
        "--policy-document",
        policy,
    ]);
    let key = moto.aws(&["iam", "create-access-key", "--user-name", "auditor"]);
    let id = key["AccessKey"]["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let secret = key["AccessKey"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_string();

    let dir = tempfile::tempdir().unwrap();
    let out = moto.collect((&id, &secret), dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("iam list-users: access denied; grant iam:ListUsers"),
        "{stderr}"
    );
    // The secret never appears in what collect prints or writes.
    assert!(!stderr.contains(&secret));
    let gaps = read(&dir.path().join("_gaps.json"));
    let denied: Vec<&str> = gaps
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["access_denied"] == true)
        .map(|g| g["permission"].as_str().unwrap())
        .collect();
    assert!(denied.contains(&"iam:ListUsers"), "{denied:?}");
    assert!(
        denied.contains(&"iam:GetAccountAuthorizationDetails"),
        "{denied:?}"
    );
    assert!(
        !denied.iter().any(|p| p.starts_with("ec2:Describe")),
        "{denied:?}"
    );
    // What the policy allows was still collected.
    assert!(
        dir.path()
            .join("us-east-1/ec2-describe-security-groups.json")
            .exists()
    );
}

#[test]
fn iam_policy_lists_every_permission_collect_uses() {
    let out = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .arg("iam-policy")
        .output()
        .unwrap();
    assert!(out.status.success());
    let policy: Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for needed in [
        "ec2:DescribeInstances",
        "iam:ListSSHPublicKeys",
        "cloudtrail:GetTrailStatus",
        "guardduty:ListDetectors",
    ] {
        assert!(
            actions.contains(&needed),
            "{needed} missing from {actions:?}"
        );
    }
    // Read-only: no action that changes anything.
    assert!(actions.iter().all(|a| {
        let verb = a.split(':').nth(1).unwrap();
        ["Describe", "Get", "List", "Generate"]
            .iter()
            .any(|p| verb.starts_with(p))
    }));
    assert_eq!(policy["Statement"][0]["Effect"], "Allow");
}
