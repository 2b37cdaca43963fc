//! `trailhound respond` against a real moto server on loopback: a leaked key pair with instances
//! in two subnets, several ENIs, groups, an instance profile, a launch template and an Auto
//! Scaling group. The plan is carried out with `--execute --yes`, killed mid-plan by the test
//! hook, resumed, checked against moto's state, and rolled back. Needs the Python test bed
//! (scripts/testbed.sh).
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
    home: tempfile::TempDir,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let home = tempfile::tempdir().unwrap();
        let child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("HOME", home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            home,
        }
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null());
        cmd
    }

    fn aws(&self, args: &[&str]) -> Value {
        let out = self
            .command(&venv_bin("aws"))
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

    fn trailhound(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(Path::new(env!("CARGO_BIN_EXE_trailhound")));
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../respond/tests/fixtures")
        .join(name)
}

struct Scenario {
    vpc: String,
    web_sg: String,
    app_sg: String,
    /// Instance → its ENIs with their groups before containment.
    enis: Vec<(String, String, Vec<String>)>,
    instances: Vec<String>,
    asg_instance: String,
    /// The instances with an instance profile (the Auto Scaling one has none).
    with_profile: Vec<String>,
    template: String,
}

fn groups_of(v: &Value) -> Vec<String> {
    let mut g: Vec<String> = v["Groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| s(&g["GroupId"]))
        .collect();
    g.sort();
    g
}

fn build(moto: &Moto) -> Scenario {
    let vpc = s(&moto.aws(&["ec2", "create-vpc", "--cidr-block", "10.1.0.0/16"])["Vpc"]["VpcId"]);
    let subnet = |cidr: &str| {
        s(&moto.aws(&[
            "ec2",
            "create-subnet",
            "--vpc-id",
            &vpc,
            "--cidr-block",
            cidr,
        ])["Subnet"]["SubnetId"])
    };
    let (subnet_a, subnet_b) = (subnet("10.1.1.0/24"), subnet("10.1.2.0/24"));
    let group = |name: &str| {
        s(&moto.aws(&[
            "ec2",
            "create-security-group",
            "--group-name",
            name,
            "--description",
            name,
            "--vpc-id",
            &vpc,
        ])["GroupId"])
    };
    let (web_sg, app_sg) = (group("web"), group("app"));
    moto.aws(&[
        "ec2",
        "authorize-security-group-ingress",
        "--group-id",
        &web_sg,
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "0.0.0.0/0",
    ]);
    let public_key = format!("fileb://{}", fixture("leaked_rsa.pub").display());
    moto.aws(&[
        "ec2",
        "import-key-pair",
        "--key-name",
        "leaked",
        "--public-key-material",
        &public_key,
    ]);
    moto.aws(&[
        "iam",
        "create-role",
        "--role-name",
        "web-role",
        "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    ]);
    moto.aws(&[
        "iam",
        "put-role-policy",
        "--role-name",
        "web-role",
        "--policy-name",
        "everything",
        "--policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ]);
    moto.aws(&[
        "iam",
        "create-instance-profile",
        "--instance-profile-name",
        "web-profile",
    ]);
    moto.aws(&[
        "iam",
        "add-role-to-instance-profile",
        "--instance-profile-name",
        "web-profile",
        "--role-name",
        "web-role",
    ]);
    let run = |subnet: &str, sg: &str| {
        let id = s(&moto.aws(&[
            "ec2",
            "run-instances",
            "--image-id",
            "ami-12c6146b",
            "--instance-type",
            "t3.micro",
            "--key-name",
            "leaked",
            "--subnet-id",
            subnet,
            "--security-group-ids",
            sg,
            "--metadata-options",
            "HttpTokens=optional,HttpEndpoint=enabled",
        ])["Instances"][0]["InstanceId"]);
        // On AWS, RunInstances with a profile creates an association that
        // DescribeIamInstanceProfileAssociations lists; moto records one only for
        // AssociateIamInstanceProfile, so the profile is associated that way.
        moto.aws(&[
            "ec2",
            "associate-iam-instance-profile",
            "--instance-id",
            &id,
            "--iam-instance-profile",
            "Name=web-profile",
        ]);
        id
    };
    let web = run(&subnet_a, &web_sg);
    let app = run(&subnet_b, &app_sg);
    // A second interface on the web instance, in the other subnet.
    let extra = s(&moto.aws(&[
        "ec2",
        "create-network-interface",
        "--subnet-id",
        &subnet_b,
        "--groups",
        &app_sg,
        &web_sg,
    ])["NetworkInterface"]["NetworkInterfaceId"]);
    moto.aws(&[
        "ec2",
        "attach-network-interface",
        "--network-interface-id",
        &extra,
        "--instance-id",
        &web,
        "--device-index",
        "1",
    ]);
    let template = s(&moto.aws(&[
        "ec2",
        "create-launch-template",
        "--launch-template-name",
        "web",
        "--launch-template-data",
        r#"{"ImageId":"ami-12c6146b","InstanceType":"t3.micro","KeyName":"leaked","MetadataOptions":{"HttpTokens":"required"}}"#,
    ])["LaunchTemplate"]["LaunchTemplateId"]);
    let lt_spec = format!("LaunchTemplateId={template},Version=$Default");
    moto.aws(&[
        "autoscaling",
        "create-auto-scaling-group",
        "--auto-scaling-group-name",
        "web-asg",
        "--launch-template",
        &lt_spec,
        "--min-size",
        "0",
        "--max-size",
        "2",
        "--desired-capacity",
        "1",
        "--vpc-zone-identifier",
        &subnet_a,
    ]);
    let asg = moto.aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        "web-asg",
    ]);
    let asg_instance = s(&asg["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]);
    let mut with_profile = vec![web.clone(), app.clone()];
    with_profile.sort();
    let mut instances = vec![web, app, asg_instance.clone()];
    instances.sort();
    let described = moto.aws(&["ec2", "describe-network-interfaces"]);
    let mut enis = Vec::new();
    for n in described["NetworkInterfaces"].as_array().unwrap() {
        let Some(inst) = n["Attachment"]["InstanceId"].as_str() else {
            continue;
        };
        if instances.iter().any(|i| i == inst) {
            enis.push((inst.to_string(), s(&n["NetworkInterfaceId"]), groups_of(n)));
        }
    }
    assert_eq!(
        enis.len(),
        4,
        "three instances, one with two ENIs: {enis:?}"
    );
    for id in &with_profile {
        assert_eq!(associations(moto, id), 1, "{id} starts with its profile");
    }
    Scenario {
        vpc,
        web_sg,
        app_sg,
        enis,
        instances,
        asg_instance,
        with_profile,
        template,
    }
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn eni_groups(moto: &Moto, eni: &str) -> Vec<String> {
    let v = moto.aws(&[
        "ec2",
        "describe-network-interfaces",
        "--network-interface-ids",
        eni,
    ]);
    groups_of(&v["NetworkInterfaces"][0])
}

/// Each ENI's own security groups. moto's describe-network-interfaces reports an attached ENI's
/// groups joined with the groups its instance was launched with, where AWS reports the ENI's own
/// (what ModifyNetworkInterfaceAttribute set); moto's `group-id` filter reads the ENI's own.
fn own_groups_by_eni(moto: &Moto) -> std::collections::HashMap<String, Vec<String>> {
    let mut own: std::collections::HashMap<String, Vec<String>> = Default::default();
    let groups = moto.aws(&["ec2", "describe-security-groups"]);
    for g in groups["SecurityGroups"].as_array().unwrap() {
        let id = s(&g["GroupId"]);
        let members = moto.aws(&[
            "ec2",
            "describe-network-interfaces",
            "--filters",
            &format!("Name=group-id,Values={id}"),
        ]);
        for n in members["NetworkInterfaces"].as_array().unwrap() {
            own.entry(s(&n["NetworkInterfaceId"]))
                .or_default()
                .push(id.clone());
        }
    }
    for v in own.values_mut() {
        v.sort();
    }
    own
}

fn instance(moto: &Moto, id: &str) -> Value {
    moto.aws(&["ec2", "describe-instances", "--instance-ids", id])["Reservations"][0]["Instances"]
        [0]
    .clone()
}

fn termination_protection(moto: &Moto, id: &str) -> bool {
    moto.aws(&[
        "ec2",
        "describe-instance-attribute",
        "--instance-id",
        id,
        "--attribute",
        "disableApiTermination",
    ])["DisableApiTermination"]["Value"]
        .as_bool()
        .unwrap()
}

fn associations(moto: &Moto, id: &str) -> usize {
    let filter = format!("Name=instance-id,Values={id}");
    moto.aws(&[
        "ec2",
        "describe-iam-instance-profile-associations",
        "--filters",
        &filter,
    ])["IamInstanceProfileAssociations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["State"] == "associated")
        .count()
}

fn default_version(moto: &Moto, template: &str) -> Value {
    moto.aws(&[
        "ec2",
        "describe-launch-template-versions",
        "--launch-template-id",
        template,
        "--versions",
        "$Default",
    ])["LaunchTemplateVersions"][0]
        .clone()
}

fn lifecycle(moto: &Moto, id: &str) -> String {
    s(&moto.aws(&[
        "autoscaling",
        "describe-auto-scaling-instances",
        "--instance-ids",
        id,
    ])["AutoScalingInstances"][0]["LifecycleState"])
}

#[test]
fn respond_key_executes_crashes_resumes_and_rolls_back() {
    let moto = Moto::start();
    let sc = build(&moto);
    let work = tempfile::tempdir().unwrap();
    let snapshot = work.path().join("snapshot");
    let journal = work.path().join("journal.sqlite");
    let out = moto.trailhound(
        &[
            "collect",
            "--regions",
            "us-east-1",
            "--max-attempts",
            "2",
            "--out",
            snapshot.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.code().is_some(), "{out:?}");
    let snap = snapshot.to_str().unwrap();
    let jpath = journal.to_str().unwrap();

    // The dry-run summary: the key by its public key file, blast radius and plan.
    let key_file = fixture("leaked_rsa.pub");
    let key_arg = key_file.to_str().unwrap();
    let planned = moto.trailhound(
        &[
            "respond",
            "key",
            key_arg,
            "--snapshot",
            snap,
            "--case",
            "c1",
            "--format",
            "json",
        ],
        &[],
    );
    // Snapshot gaps (moto lacks some calls) make the exit 2, the output is complete.
    assert!(matches!(planned.status.code(), Some(0 | 2)), "{planned:?}");
    let planned: Value = serde_json::from_slice(&planned.stdout).unwrap();
    let mut affected: Vec<String> = planned["blast_radius"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(&i["id"]))
        .collect();
    affected.sort();
    assert_eq!(affected, sc.instances);
    assert_eq!(planned["key"]["key_pairs"][0]["name"], "leaked");
    let exposures = planned["blast_radius"]["instances"].as_array().unwrap();
    assert!(
        exposures.iter().all(|i| !i["exposure"].is_null()),
        "reach filled every exposure"
    );
    assert_eq!(planned["blast_radius"]["roles"][0]["admin"], true);
    assert_eq!(
        planned["blast_radius"]["launch_templates"][0]["id"],
        sc.template.as_str()
    );
    let steps = planned["plan"]["steps"].as_array().unwrap();
    let index_of = |prefix: &str| {
        steps
            .iter()
            .find(|st| s(&st["id"]).starts_with(prefix))
            .map(|st| st["index"].as_u64().unwrap())
            .unwrap_or_else(|| panic!("no step {prefix}"))
    };
    // Kill the run right after the first ENI is isolated.
    let crash_after = index_of("isolate:");
    let crashed = moto.trailhound(
        &[
            "respond",
            "key",
            key_arg,
            "--snapshot",
            snap,
            "--case",
            "c1",
            "--execute",
            "--yes",
            "--journal",
            jpath,
            "--format",
            "jsonl",
        ],
        &[(
            "TRAILHOUND_RESPOND_CRASH_AFTER_STEP",
            &crash_after.to_string(),
        )],
    );
    assert_eq!(
        crashed.status.code(),
        Some(137),
        "{}",
        String::from_utf8_lossy(&crashed.stderr)
    );
    let status = json_of(&moto.trailhound(
        &[
            "respond",
            "status",
            "c1",
            "--journal",
            jpath,
            "--format",
            "json",
        ],
        &[],
    ));
    let statuses: Vec<String> = status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| s(&x["status"]))
        .collect();
    let n = crash_after as usize;
    assert!(
        statuses[..n].iter().all(|x| x == "done" || x == "skipped"),
        "{statuses:?}"
    );
    assert!(statuses[n..].iter().all(|x| x == "pending"), "{statuses:?}");

    let resumed = moto.trailhound(
        &["respond", "resume", "c1", "--yes", "--journal", jpath],
        &[],
    );
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let status = json_of(&moto.trailhound(
        &[
            "respond",
            "status",
            "c1",
            "--journal",
            jpath,
            "--format",
            "json",
        ],
        &[],
    ));
    for st in status["steps"].as_array().unwrap() {
        let state = s(&st["status"]);
        assert!(state == "done" || state == "skipped", "{st}");
        if state == "done" {
            assert_eq!(st["attempts"], 1, "no step ran twice: {st}");
        }
    }
    let started = |idx: u64| {
        status["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["index"] == idx && t["to"] == "running")
            .count()
    };
    assert_eq!(
        started(crash_after),
        1,
        "the step done before the crash was not repeated"
    );
    assert_eq!(started(1), 1);

    // moto's state after containment.
    let quarantine = moto.aws(&[
        "ec2",
        "describe-security-groups",
        "--filters",
        "Name=group-name,Values=trailhound-quarantine-c1",
    ]);
    let quarantine = s(&quarantine["SecurityGroups"][0]["GroupId"]);
    let own = own_groups_by_eni(&moto);
    for (_, eni, _) in &sc.enis {
        assert_eq!(own.get(eni), Some(&vec![quarantine.clone()]), "{eni}");
    }
    let q = moto.aws(&[
        "ec2",
        "describe-security-groups",
        "--group-ids",
        &quarantine,
    ]);
    assert_eq!(
        q["SecurityGroups"][0]["IpPermissions"],
        serde_json::json!([])
    );
    assert_eq!(
        q["SecurityGroups"][0]["IpPermissionsEgress"],
        serde_json::json!([])
    );
    for id in &sc.instances {
        assert!(termination_protection(&moto, id), "{id}");
        let inst = instance(&moto, id);
        assert_eq!(inst["MetadataOptions"]["HttpEndpoint"], "disabled", "{id}");
        assert_eq!(associations(&moto, id), 0, "{id} still has its profile");
    }
    let snapshots = moto.aws(&[
        "ec2",
        "describe-snapshots",
        "--owner-ids",
        "self",
        "--filters",
        "Name=tag:trailhound:case,Values=c1",
    ]);
    assert!(
        snapshots["Snapshots"].as_array().unwrap().len() >= sc.instances.len(),
        "{snapshots}"
    );
    let lt = default_version(&moto, &sc.template);
    assert!(lt["VersionNumber"].as_i64().unwrap() > 1);
    assert!(lt["LaunchTemplateData"].get("KeyName").is_none(), "{lt}");
    assert_eq!(
        lt["LaunchTemplateData"]["ImageId"], "ami-12c6146b",
        "the rest is kept"
    );
    let keys = moto.aws(&["ec2", "describe-key-pairs"]);
    assert!(
        keys["KeyPairs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["KeyName"] != "leaked"),
        "{keys}"
    );
    assert_eq!(lifecycle(&moto, &sc.asg_instance), "Standby");
    let policy = moto.aws(&[
        "iam",
        "get-role-policy",
        "--role-name",
        "web-role",
        "--policy-name",
        "AWSRevokeOlderSessions",
    ]);
    assert!(
        policy["PolicyDocument"]
            .to_string()
            .contains("aws:TokenIssueTime")
    );

    // Rollback: the original groups are back, and what else can be undone is undone.
    let rolled = moto.trailhound(
        &["respond", "rollback", "c1", "--yes", "--journal", jpath],
        &[],
    );
    assert!(
        rolled.status.success(),
        "{}",
        String::from_utf8_lossy(&rolled.stderr)
    );
    for (inst, eni, before) in &sc.enis {
        assert_eq!(&eni_groups(&moto, eni), before, "{inst} {eni}");
    }
    for id in &sc.instances {
        assert!(!termination_protection(&moto, id), "{id}");
        assert_eq!(
            instance(&moto, id)["MetadataOptions"]["HttpEndpoint"],
            "enabled"
        );
        let expected = usize::from(sc.with_profile.contains(id));
        assert_eq!(
            associations(&moto, id),
            expected,
            "{id}: its profile as before"
        );
    }
    assert_eq!(default_version(&moto, &sc.template)["VersionNumber"], 1);
    assert_eq!(lifecycle(&moto, &sc.asg_instance), "InService");
    let gone = moto
        .command(&venv_bin("aws"))
        .args([
            "iam",
            "get-role-policy",
            "--role-name",
            "web-role",
            "--policy-name",
            "AWSRevokeOlderSessions",
        ])
        .output()
        .unwrap();
    assert!(!gone.status.success(), "the revoke policy is removed");
    let groups = moto.aws(&[
        "ec2",
        "describe-security-groups",
        "--filters",
        &format!("Name=vpc-id,Values={}", sc.vpc),
    ]);
    assert!(
        groups["SecurityGroups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| !s(&g["GroupName"]).starts_with("trailhound-")),
        "isolation groups deleted"
    );
    // The key pair cannot come back: deleting it is not reversible.
    let keys = moto.aws(&["ec2", "describe-key-pairs"]);
    assert!(
        keys["KeyPairs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["KeyName"] != "leaked")
    );
    let status = json_of(&moto.trailhound(
        &[
            "respond",
            "status",
            "c1",
            "--journal",
            jpath,
            "--format",
            "json",
        ],
        &[],
    ));
    assert!(
        status["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["status"] == "rolled_back")
    );
    let _ = (&sc.web_sg, &sc.app_sg);
}

#[test]
fn respond_refuses_to_execute_without_yes_off_a_terminal() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let snapshot = work.path().join("snapshot");
    std::fs::create_dir_all(&snapshot).unwrap();
    let public_key = format!("fileb://{}", fixture("leaked_rsa.pub").display());
    moto.aws(&[
        "ec2",
        "import-key-pair",
        "--key-name",
        "leaked",
        "--public-key-material",
        &public_key,
    ]);
    let keys = moto.aws(&["ec2", "describe-key-pairs", "--include-public-key"]);
    std::fs::write(
        snapshot.join("ec2-describe-key-pairs.json"),
        keys.to_string(),
    )
    .unwrap();
    let journal = work.path().join("j.sqlite");
    let out = moto.trailhound(
        &[
            "respond",
            "key",
            "leaked",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--execute",
            "--journal",
            journal.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    // Nothing was changed and no run was journaled.
    assert_eq!(
        moto.aws(&["ec2", "describe-key-pairs"])["KeyPairs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let status = moto.trailhound(
        &["respond", "status", "--journal", journal.to_str().unwrap()],
        &[],
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains("no runs"));
}
