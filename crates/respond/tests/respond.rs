//! Key identification, blast radius, plan order and contents, timeline, and the engine's journal
//! discipline (run, crash, resume, rollback) over the hand-built scenario in `common`.

mod common;

use std::collections::BTreeMap;

use common::*;
use respond::blast::{self, Reason};
use respond::engine::{self, Check, ErrorKind, RunContext, StepError, StepRunner};
use respond::identify::{self, KeyQuery, MatchedBy};
use respond::journal::{Journal, Status};
use respond::plan::{self, Action, Execution, Phase, PlanOptions, Step};
use respond::timeline::{self, Kind, Scope};
use serde_json::{Value, json};

fn names(k: &respond::IdentifiedKey) -> Vec<String> {
    k.key_pairs
        .iter()
        .map(|p| format!("{}/{}", p.region, p.name))
        .collect()
}

fn ident(arg: &str) -> respond::IdentifiedKey {
    identify::identify(&scenario(), &KeyQuery::parse(arg), None).unwrap()
}

const BOTH: [&str; 2] = ["eu-west-1/prod-deploy-eu", "us-east-1/prod-deploy"];

#[test]
fn query_shapes() {
    assert_eq!(
        KeyQuery::parse("prod-deploy"),
        KeyQuery::Name("prod-deploy".into())
    );
    assert_eq!(
        KeyQuery::parse("key-0aaa1111aaaa1111a"),
        KeyQuery::KeyPairId("key-0aaa1111aaaa1111a".into())
    );
    assert!(matches!(
        KeyQuery::parse(CREATED_SHA1),
        KeyQuery::Fingerprint(_)
    ));
    assert!(matches!(
        KeyQuery::parse(IMPORTED_MD5),
        KeyQuery::Fingerprint(_)
    ));
    assert!(matches!(
        KeyQuery::parse(LEAKED_SHA256),
        KeyQuery::Fingerprint(_)
    ));
    assert!(matches!(
        KeyQuery::parse(OTHER_EC2),
        KeyQuery::Fingerprint(_)
    ));
    let path = fixture("leaked_rsa.pub");
    assert_eq!(
        KeyQuery::parse(path.to_str().unwrap()),
        KeyQuery::File(path)
    );
    // A name that merely starts like an id stays a name.
    assert_eq!(
        KeyQuery::parse("key-prod"),
        KeyQuery::Name("key-prod".into())
    );
}

#[test]
fn identify_by_name_is_one_region() {
    let k = ident("prod-deploy");
    assert_eq!(names(&k), vec!["us-east-1/prod-deploy"]);
    assert_eq!(k.key_pairs[0].matched_by, vec![MatchedBy::Name]);
    assert_eq!(k.sshd_fingerprints, vec![LEAKED_SHA256]);
    assert!(k.orphan_names.is_empty());
}

#[test]
fn identify_by_id() {
    let k = ident("key-0bbb2222bbbb2222b");
    assert_eq!(names(&k), vec!["eu-west-1/prod-deploy-eu"]);
    assert_eq!(k.key_pairs[0].matched_by, vec![MatchedBy::KeyPairId]);
}

#[test]
fn identify_by_ec2_fingerprints_finds_each_form() {
    // EC2's created-RSA SHA-1 names the us-east-1 pair only; the imported MD5 the eu-west-1 one.
    let k = ident(CREATED_SHA1);
    assert_eq!(names(&k), vec!["us-east-1/prod-deploy"]);
    assert_eq!(k.key_pairs[0].matched_by, vec![MatchedBy::Ec2Fingerprint]);
    // The imported MD5 is computable from either pair's public key: both regions match.
    let k = ident(&IMPORTED_MD5.to_uppercase());
    assert_eq!(names(&k), BOTH);
    let eu = k
        .key_pairs
        .iter()
        .find(|p| p.region == "eu-west-1")
        .unwrap();
    assert_eq!(
        eu.matched_by,
        vec![MatchedBy::Ec2Fingerprint, MatchedBy::PublicKeyFingerprint]
    );
}

#[test]
fn identify_by_openssh_fingerprints() {
    assert_eq!(names(&ident(LEAKED_SHA256)), BOTH);
    assert_eq!(names(&ident(LEAKED_OPENSSH_MD5)), BOTH);
    // ED25519: the EC2 value is the SHA-256, with or without padding or prefix.
    let k = ident(&format!("SHA256:{}", OTHER_EC2.trim_end_matches('=')));
    assert_eq!(names(&k), vec!["us-east-1/other"]);
    assert_eq!(
        k.sshd_fingerprints,
        vec![format!("SHA256:{}", OTHER_EC2.trim_end_matches('='))]
    );
}

#[test]
fn identify_by_key_files() {
    let k = ident(fixture("leaked_rsa.pub").to_str().unwrap());
    assert_eq!(names(&k), BOTH);
    assert!(
        k.key_pairs
            .iter()
            .all(|p| p.matched_by.contains(&MatchedBy::KeyFilePublicKey))
    );
    assert_eq!(k.public_key_blobs.len(), 1);
    // The private key also proves the EC2-created SHA-1.
    let k = ident(fixture("leaked_rsa").to_str().unwrap());
    assert_eq!(names(&k), BOTH);
    let us = k
        .key_pairs
        .iter()
        .find(|p| p.region == "us-east-1")
        .unwrap();
    assert!(us.matched_by.contains(&MatchedBy::KeyFileEc2Fingerprint));
    let k = ident(fixture("other_ed25519.pub").to_str().unwrap());
    assert_eq!(names(&k), vec!["us-east-1/other"]);
    assert_eq!(
        k.key_pairs[0].matched_by,
        vec![MatchedBy::KeyFileEc2Fingerprint]
    );
}

#[test]
fn identify_negative_cases() {
    let a = scenario();
    for arg in [
        "no-such-key",
        "key-0fff9999ffff9999f",
        "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99",
        "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let err = identify::identify(&a, &KeyQuery::parse(arg), None).unwrap_err();
        assert!(err.to_string().contains(arg), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a key\n").unwrap();
    let err = identify::identify(&a, &KeyQuery::parse(junk.to_str().unwrap()), None).unwrap_err();
    assert!(err.to_string().contains("junk.pem"), "{err}");
    // A key nobody uses: file readable, nothing matches.
    let other = dir.path().join("new");
    std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    let err = identify::identify(&a, &KeyQuery::parse(other.to_str().unwrap()), None).unwrap_err();
    assert!(err.to_string().contains("no key pair matches"), "{err}");
}

#[test]
fn deleted_key_pair_found_through_instances() {
    let mut a = scenario();
    a.key_pairs.retain(|k| k.name != "prod-deploy");
    a.reindex();
    let k = identify::identify(&a, &KeyQuery::Name("prod-deploy".into()), None).unwrap();
    assert!(k.key_pairs.is_empty());
    assert_eq!(k.orphan_names.len(), 1);
    assert_eq!(
        k.orphan_names[0].instances,
        vec!["i-0db1", "i-0old", "i-0web1"]
    );
    let radius = blast::of_key(&a, &k);
    assert_eq!(
        radius.instances.len(),
        4,
        "three with the key and the AMI clone"
    );
}

#[test]
fn blast_radius_of_the_leaked_key() {
    let a = scenario();
    let k = ident(fixture("leaked_rsa.pub").to_str().unwrap());
    let r = blast::of_key(&a, &k);
    let ids: Vec<&str> = r.instances.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["i-0eu1", "i-0clone", "i-0db1", "i-0old", "i-0web1"]);
    assert!(!ids.contains(&"i-0unrelated"), "other key, other AMI");
    let clone = r.instance("i-0clone").unwrap();
    assert_eq!(
        clone.reasons,
        vec![Reason::LaunchedFromImage("ami-clone".into())]
    );
    let web = r.instance("i-0web1").unwrap();
    assert_eq!(web.network_interfaces.len(), 2);
    assert_eq!(
        web.network_interfaces[0].network_acl_id.as_deref(),
        Some("acl-1")
    );
    assert_eq!(web.public_ips, vec!["203.0.113.10"]);
    assert_eq!(web.auto_scaling_group.as_deref(), Some("web-asg"));
    assert!(web.imds.as_ref().unwrap().imdsv1);
    assert!(web.exposure.is_none(), "reach is not wired in yet");
    // Roles: only live instances count, terminated ones hand out nothing.
    let roles: Vec<(&str, bool, usize)> = r
        .roles
        .iter()
        .map(|x| (x.role_name.as_str(), x.admin, x.instances.len()))
        .collect();
    assert_eq!(roles, [("db-role", false, 1), ("web-role", true, 1)]);
    let db = r.roles.iter().find(|x| x.role_name == "db-role").unwrap();
    let grants: Vec<&str> = db.notable.iter().map(|g| g.action.as_str()).collect();
    assert_eq!(grants, ["ssm:SendCommand", "s3:GetObject"]);
    assert_eq!(r.launch_templates.len(), 1);
    assert!(r.launch_templates[0].default_has_key);
    assert_eq!(r.launch_templates[0].used_by, vec!["web-asg ($Default)"]);
    assert_eq!(r.launch_configurations[0].used_by, vec!["legacy-asg"]);
    let groups: Vec<(&str, bool)> = r
        .auto_scaling_groups
        .iter()
        .map(|g| (g.name.as_str(), g.launches_key))
        .collect();
    assert_eq!(groups, [("web-asg", true), ("legacy-asg", true)]);
    assert_eq!(r.images.len(), 1);
    assert_eq!(r.images[0].instances_launched, vec!["i-0clone"]);
}

#[test]
fn blast_radius_of_a_key_name_leaves_other_regions_alone() {
    let a = scenario();
    let r = blast::of_key(&a, &ident("prod-deploy"));
    assert!(r.instance("i-0eu1").is_none(), "another name in eu-west-1");
    assert!(r.instance("i-0web1").is_some());
}

fn options(stop: bool, nacl: bool) -> PlanOptions {
    PlanOptions {
        case_id: "case-1".into(),
        stop,
        nacl_deny: nacl,
        examiner_cidr: Some("198.51.100.7/32".into()),
    }
}

fn key_plan(stop: bool, nacl: bool) -> respond::Plan {
    let a = scenario();
    let k = ident(fixture("leaked_rsa.pub").to_str().unwrap());
    let r = blast::of_key(&a, &k);
    plan::for_key(&k, &r, &options(stop, nacl))
}

/// The playbook's order, as the position of each kind of step.
fn rank(a: &Action) -> usize {
    match a {
        Action::RecordState { .. } => 0,
        Action::TagInstances { .. } => 1,
        Action::EnableTerminationProtection { .. }
        | Action::ShutdownBehaviorStop { .. }
        | Action::KeepVolumesOnTermination { .. } => 2,
        Action::AutoScalingStandby { .. } => 3,
        Action::DeregisterFromLoadBalancers { .. } | Action::CaptureMemory { .. } => 4,
        Action::SnapshotVolumes { .. } => 5,
        Action::CreateIsolationGroups { .. } => 6,
        Action::IsolateInterface { .. } => 7,
        Action::NaclDeny { .. } => 8,
        Action::DisableImds { .. } => 9,
        Action::DisassociateInstanceProfile { .. } => 10,
        Action::RevokeOlderSessions { .. } => 11,
        Action::StopInstance { .. } => 12,
        Action::UpdateLaunchTemplate { .. } | Action::ReplaceLaunchConfiguration { .. } => 13,
        Action::DeleteKeyPair { .. } => 14,
        Action::RemoveFromAuthorizedKeys { .. }
        | Action::RetireImages { .. }
        | Action::ReviewInstanceForPersistence { .. } => 15,
    }
}

#[test]
fn plan_follows_the_playbook_order() {
    for (stop, nacl) in [(false, false), (true, true)] {
        let p = key_plan(stop, nacl);
        let ranks: Vec<usize> = p.steps.iter().map(|s| rank(&s.action)).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
        let phases: Vec<Phase> = p.steps.iter().map(|s| s.phase).collect();
        assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{phases:?}");
        for (i, s) in p.steps.iter().enumerate() {
            assert_eq!(s.index, i + 1);
            assert!(!s.cli.is_empty(), "{} has no aws CLI equivalent", s.id);
            assert!(!s.why.is_empty() && !s.risk.is_empty());
            if s.reversible && s.execution == Execution::Automatic {
                assert!(
                    !s.rollback.is_empty(),
                    "{} says reversible without a rollback",
                    s.id
                );
            }
        }
        // Snapshots before isolation, the key pair after the launch template, record first.
        let pos = |prefix: &str| {
            p.steps
                .iter()
                .position(|s| s.id.starts_with(prefix))
                .unwrap()
        };
        assert_eq!(pos("record-state"), 0);
        assert!(pos("snapshot:") < pos("isolate:"));
        assert!(pos("profile-off:") < pos("revoke-sessions:"));
        assert!(pos("launch-template:") < pos("delete-key-pair:"));
        let last_auto = p
            .steps
            .iter()
            .rposition(|s| s.execution == Execution::Automatic)
            .unwrap();
        assert!(
            p.steps[last_auto].id.starts_with("delete-key-pair:"),
            "the key pair goes last"
        );
    }
}

#[test]
fn plan_contents() {
    let p = key_plan(false, false);
    let ids: Vec<&str> = p.steps.iter().map(|s| s.id.as_str()).collect();
    // Terminated instances get no steps; the stopped one is not put in standby or stopped.
    assert!(!ids.iter().any(|i| i.contains("i-0old")));
    assert!(!ids.contains(&"stop:i-0db1"));
    assert!(ids.contains(&"asg-standby:web-asg"));
    // Every ENI of every live instance is isolated, in both VPCs.
    for eni in ["eni-web1a", "eni-web1b", "eni-db1", "eni-eu1", "eni-clone"] {
        assert!(ids.contains(&format!("isolate:{eni}").as_str()), "{eni}");
    }
    assert!(ids.contains(&"isolation-groups:vpc-1") && ids.contains(&"isolation-groups:vpc-eu"));
    // Volumes already kept on termination are left out of the mapping.
    let keep = p.step("keep-volumes:i-0web1").unwrap();
    assert!(keep.cli[0].contains("/dev/xvda") && !keep.cli[0].contains("/dev/xvdb"));
    // Stop and NACL deny are listed but not selected without their flags.
    assert_eq!(
        p.step("stop:i-0web1").unwrap().execution,
        Execution::NotSelected
    );
    assert_eq!(
        p.step("nacl-deny:acl-1:10.0.1.10/32").unwrap().execution,
        Execution::NotSelected
    );
    let with = key_plan(true, true);
    assert_eq!(
        with.step("stop:i-0web1").unwrap().execution,
        Execution::Automatic
    );
    let nacl: Vec<&Step> = with
        .steps
        .iter()
        .filter(|s| s.id.starts_with("nacl-deny:acl-1"))
        .collect();
    let rules: Vec<String> = nacl
        .iter()
        .map(|s| match &s.action {
            Action::NaclDeny { rule_number, .. } => rule_number.to_string(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        rules,
        ["1", "3", "4", "5"],
        "distinct rule numbers per ACL, around those in use"
    );
    // The examiner keeps SSH.
    assert!(
        p.step("isolation-groups:vpc-1")
            .unwrap()
            .cli
            .iter()
            .any(|c| c.contains("--port 22 --cidr 198.51.100.7/32"))
    );
    // Both key pairs are deleted; rollbacks restore the recorded groups.
    assert!(
        ids.contains(&"delete-key-pair:us-east-1/prod-deploy")
            && ids.contains(&"delete-key-pair:eu-west-1/prod-deploy-eu")
    );
    assert!(p.step("isolate:eni-web1a").unwrap().rollback[0].ends_with("--groups sg-web sg-ssh"));
    // Revoking sessions names how many affected instances share the role.
    assert!(p.step("revoke-sessions:web-role").unwrap().cli[0].contains("aws:TokenIssueTime"));
    // The key file's absolute path depends on where the repository is checked out.
    let mut p = p;
    if let respond::plan::Target::Key { query, .. } = &mut p.target {
        *query = query
            .replace(env!("CARGO_MANIFEST_DIR"), "$CARGO_MANIFEST_DIR")
            .replace('\\', "/");
    }
    insta::assert_yaml_snapshot!("key_plan", p);
}

#[test]
fn instance_plan_keeps_the_key() {
    let a = scenario();
    let r = blast::of_instance(&a, "i-0web1").unwrap();
    assert_eq!(r.instances.len(), 1);
    assert_eq!(r.auto_scaling_groups.len(), 1);
    let p = plan::for_instance("i-0web1", &r, &options(false, false));
    assert!(!p.steps.iter().any(|s| matches!(
        s.action,
        Action::DeleteKeyPair { .. } | Action::UpdateLaunchTemplate { .. }
    )));
    assert!(p.step("review-host:i-0web1").is_some());
    assert!(blast::of_instance(&a, "i-0nope").is_none());
    insta::assert_yaml_snapshot!("instance_plan", p);
}

fn record(name: &str, time: &str, arn: &str, request: Value, response: Value) -> String {
    json!({
        "eventVersion": "1.08", "eventTime": time, "eventSource": "ec2.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.66",
        "userIdentity": {"type": "AssumedRole", "arn": arn},
        "requestParameters": request, "responseElements": response,
        "eventID": format!("id-{name}-{time}"), "recipientAccountId": ACCOUNT
    })
    .to_string()
}

#[test]
fn timeline_from_trail_and_auth_logs() {
    let a = scenario();
    let k = ident(fixture("leaked_rsa.pub").to_str().unwrap());
    let r = blast::of_key(&a, &k);
    let scope = Scope::new(Some(&k), &r);
    let user = "arn:aws:iam::111122223333:user/alice";
    let records = [
        record(
            "ImportKeyPair",
            "2025-03-01T09:00:00Z",
            user,
            json!({"keyName": "prod-deploy-eu"}),
            json!({"keyPairId": "key-0bbb2222bbbb2222b"}),
        ),
        record(
            "RunInstances",
            "2025-03-01T10:00:00Z",
            user,
            json!({"keyName": "prod-deploy", "instanceType": "t3.micro"}),
            json!({"instancesSet": {"items": [{"instanceId": "i-0web1"}]}}),
        ),
        record(
            "RunInstances",
            "2025-03-01T10:01:00Z",
            user,
            json!({"keyName": "unrelated"}),
            json!(null),
        ),
        record(
            "ListBuckets",
            "2025-03-02T12:00:00Z",
            "arn:aws:sts::111122223333:assumed-role/web-role/i-0web1",
            json!(null),
            json!(null),
        ),
        record(
            "ListBuckets",
            "2025-03-02T12:00:01Z",
            "arn:aws:sts::111122223333:assumed-role/web-role/i-0unrelated",
            json!(null),
            json!(null),
        ),
        record(
            "AuthorizeSecurityGroupIngress",
            "2025-03-02T11:00:00Z",
            user,
            json!({"groupId": "sg-ssh"}),
            json!(null),
        ),
        record(
            "SendSSHPublicKey",
            "2025-03-02T11:30:00Z",
            user,
            json!({"instanceId": "i-0clone"}),
            json!(null),
        ),
        record(
            "ModifyInstanceAttribute",
            "2025-03-02T11:40:00Z",
            user,
            json!({"instanceId": "i-0db1"}),
            json!(null),
        ),
        record(
            "DescribeInstances",
            "2025-03-02T11:41:00Z",
            user,
            json!({"instancesSet": {"items": [{"instanceId": "i-0db1"}]}}),
            json!(null),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let trail_file = dir.path().join("trail.json");
    std::fs::write(
        &trail_file,
        format!("{{\"Records\":[{}]}}", records.join(",")),
    )
    .unwrap();
    let auth = dir.path().join("auth.log");
    std::fs::write(
        &auth,
        format!(
            "Mar  2 11:20:00 ip-10-0-1-10 sshd[1]: Accepted publickey for ec2-user from 203.0.113.99 port 5555 ssh2: RSA {LEAKED_SHA256}\n\
             Mar  2 11:21:00 ip-10-0-1-10 sshd[2]: Accepted publickey for ec2-user from 203.0.113.99 port 5556 ssh2: ED25519 SHA256:someoneelse\n\
             Mar  2 11:22:00 ip-10-0-1-10 sshd[3]: Failed publickey for ec2-user from 203.0.113.99 port 5557 ssh2: RSA {LEAKED_SHA256}\n\
             garbage line\n"
        ),
    )
    .unwrap();
    let sources = trail::discover(&[trail_file.to_str().unwrap()]).sources;
    let (mut entries, report) = timeline::from_trail(&sources, &scope);
    assert_eq!(report.records, 9);
    let (logins, problems) = timeline::from_auth_logs(&[auth.as_path()], &scope, 2025);
    assert_eq!(logins.len(), 1);
    assert!(logins[0].time_assumed);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let missing = dir.path().join("missing.log");
    let (none, problems) = timeline::from_auth_logs(&[missing.as_path()], &scope, 2025);
    assert!(none.is_empty() && problems[0].to_string().contains("missing.log"));
    entries.extend(logins);
    timeline::order(&mut entries);
    let got: Vec<(String, Kind, String)> = entries
        .iter()
        .map(|e| (e.time.to_string(), e.kind, e.event.clone()))
        .collect();
    let want = [
        ("2025-03-01T09:00:00Z", Kind::KeyPair, "ImportKeyPair"),
        ("2025-03-01T10:00:00Z", Kind::Launch, "RunInstances"),
        (
            "2025-03-02T11:00:00Z",
            Kind::SecurityGroup,
            "AuthorizeSecurityGroupIngress",
        ),
        ("2025-03-02T11:20:00Z", Kind::SshLogin, "Accepted publickey"),
        (
            "2025-03-02T11:30:00Z",
            Kind::RemoteAccess,
            "SendSSHPublicKey",
        ),
        (
            "2025-03-02T11:40:00Z",
            Kind::Instance,
            "ModifyInstanceAttribute",
        ),
        ("2025-03-02T12:00:00Z", Kind::RoleSession, "ListBuckets"),
    ];
    let want: Vec<(String, Kind, String)> = want
        .iter()
        .map(|(t, k, e)| (t.to_string(), *k, e.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(entries[1].subject, "key prod-deploy: i-0web1");
}

// ---------------------------------------------------------------------------------------------
// Engine over a fake AWS: state is a map of "resource attribute" → value.

#[derive(Default)]
struct Fake {
    state: BTreeMap<String, Value>,
    applied: Vec<String>,
    undone: Vec<String>,
    fail_on: Option<String>,
}

impl Fake {
    fn key(step: &Step) -> String {
        step.id.clone()
    }
}

impl StepRunner for Fake {
    fn capture(&mut self, step: &Step, _: &RunContext) -> Result<Value, StepError> {
        Ok(json!({"value": self.state.get(&Fake::key(step)).cloned().unwrap_or(json!("original"))}))
    }
    fn check(&mut self, step: &Step, _: &RunContext) -> Check {
        if step.dry_run == respond::plan::DryRun::Simulated {
            Check::Simulated("fake".into())
        } else {
            Check::WouldSucceed(String::new())
        }
    }
    fn apply(
        &mut self,
        step: &Step,
        _before: &Value,
        ctx: &RunContext,
    ) -> Result<Value, StepError> {
        if self.fail_on.as_deref() == Some(step.id.as_str()) {
            return Err(StepError::new(
                ErrorKind::Denied,
                "UnauthorizedOperation: not allowed",
            ));
        }
        if let Action::IsolateInterface { groups_step, .. } = &step.action {
            assert!(
                ctx.results.contains_key(groups_step),
                "groups made before isolation"
            );
        }
        self.state.insert(Fake::key(step), json!("changed"));
        self.applied.push(step.id.clone());
        Ok(json!({"did": step.id}))
    }
    fn undo(
        &mut self,
        step: &Step,
        before: &Value,
        _result: &Value,
        _: &RunContext,
    ) -> Result<Value, StepError> {
        self.state.insert(Fake::key(step), before["value"].clone());
        self.undone.push(step.id.clone());
        Ok(json!({"restored": before["value"]}))
    }
}

#[test]
fn engine_runs_resumes_and_rolls_back() {
    let p = key_plan(false, false);
    let mut j = Journal::in_memory().unwrap();
    j.create_run("case-1", &p).unwrap();
    let isolate = p.step("isolate:eni-web1a").unwrap().index;
    // A denied call stops the run with a consistent journal.
    let mut fake = Fake {
        fail_on: Some("isolate:eni-web1a".into()),
        ..Fake::default()
    };
    let err = engine::execute(&mut j, "case-1", &mut fake, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("resume case-1"), "{err}");
    let steps = j.steps("case-1").unwrap();
    assert!(
        steps[..isolate - 1]
            .iter()
            .all(|s| matches!(s.status, Status::Done | Status::Skipped))
    );
    assert_eq!(steps[isolate - 1].status, Status::Failed);
    assert!(steps[isolate..].iter().all(|s| s.status == Status::Pending));
    // Simulate a crash in the middle of the next step: journaled running, effect applied.
    fake.fail_on = None;
    let next = isolate + 1;
    let next_step = &p.steps[next - 1];
    j.start("case-1", next, &json!({"value": "original"}))
        .unwrap();
    fake.state.insert(next_step.id.clone(), json!("changed"));
    // Resume: done steps are not repeated, the failed one is retried, the interrupted one re-run
    // with its first before-state.
    let before_resume = fake.applied.len();
    let summary = engine::execute(&mut j, "case-1", &mut fake, &mut |_| {}).unwrap();
    assert_eq!(summary.recovered, vec![next]);
    assert!(summary.applied.contains(&isolate));
    let rerun: Vec<&String> = fake.applied[before_resume..].iter().collect();
    assert!(
        p.steps[..isolate - 1]
            .iter()
            .all(|s| !rerun.contains(&&s.id)),
        "no finished step repeated"
    );
    let steps = j.steps("case-1").unwrap();
    assert!(
        steps
            .iter()
            .all(|s| matches!(s.status, Status::Done | Status::Skipped)),
        "{steps:?}"
    );
    assert_eq!(steps[next - 1].before, Some(json!({"value": "original"})));
    assert_eq!(steps[next - 1].attempts, 2);
    assert!(
        steps
            .iter()
            .filter(|s| s.status == Status::Done)
            .all(|s| s.attempts == 1 || s.index == next || s.index == isolate)
    );
    // Instructions and unselected steps are skipped, never executed.
    for s in &p.steps {
        if s.execution != Execution::Automatic {
            assert_eq!(steps[s.index - 1].status, Status::Skipped);
            assert!(!fake.applied.contains(&s.id));
        }
    }
    // A second resume does nothing.
    let again = engine::execute(&mut j, "case-1", &mut fake, &mut |_| {}).unwrap();
    assert!(again.applied.is_empty() && again.recovered.is_empty());
    // Rollback: reversible done steps, last first; the state is back.
    let rb = engine::rollback(&mut j, "case-1", &mut fake).unwrap();
    let mut expected: Vec<usize> = p
        .steps
        .iter()
        .filter(|s| s.reversible && s.execution == Execution::Automatic)
        .map(|s| s.index)
        .collect();
    expected.reverse();
    assert_eq!(rb.rolled_back, expected);
    assert!(
        fake.undone
            .iter()
            .all(|id| !id.starts_with("snapshot:") && !id.starts_with("delete-key-pair:"))
    );
    for s in &p.steps {
        if s.reversible && s.execution == Execution::Automatic {
            assert_eq!(fake.state[&s.id], json!("original"), "{}", s.id);
        }
    }
    let steps = j.steps("case-1").unwrap();
    assert_eq!(steps[isolate - 1].status, Status::RolledBack);
    // Rolling back twice undoes nothing more.
    let rb = engine::rollback(&mut j, "case-1", &mut fake).unwrap();
    assert!(rb.rolled_back.is_empty());
}

#[test]
fn crash_hook_fires_after_the_named_step() {
    let p = key_plan(false, false);
    let mut j = Journal::in_memory().unwrap();
    j.create_run("r", &p).unwrap();
    let mut fake = Fake::default();
    let mut seen = Vec::new();
    engine::execute(&mut j, "r", &mut fake, &mut |i| seen.push(i)).unwrap();
    let automatic: Vec<usize> = p
        .steps
        .iter()
        .filter(|s| s.execution == Execution::Automatic)
        .map(|s| s.index)
        .collect();
    assert_eq!(
        seen, automatic,
        "the hook sees each step once it is journaled done"
    );
}

#[test]
fn dry_run_checks_every_automatic_step() {
    let p = key_plan(false, false);
    let checks = engine::dry_run(&p, &mut Fake::default());
    assert_eq!(checks.len(), p.steps.len());
    for (i, c) in &checks {
        let s = &p.steps[i - 1];
        match s.execution {
            Execution::Automatic => assert_ne!(c, &Check::NotExecuted),
            _ => assert_eq!(c, &Check::NotExecuted),
        }
    }
}

#[test]
fn summary_and_jsonl_render() {
    let a = scenario();
    let k = ident("prod-deploy");
    let r = blast::of_key(&a, &k);
    let p = plan::for_key(&k, &r, &options(false, false));
    let resp = respond::Response {
        key: Some(k),
        blast_radius: r,
        timeline: Vec::new(),
        plan: p,
        checks: Vec::new(),
    };
    let text = respond::render::summary(&resp);
    assert!(text.contains("BLAST RADIUS: 4 instance(s)"), "{text}");
    assert!(text.contains("web-role ADMIN"));
    assert!(text.contains(
        "$ aws ec2 delete-key-pair --region us-east-1 --key-name prod-deploy   # key-0aaa1111aaaa1111a"
    ));
    assert!(!text.contains("BEGIN"), "no key material");
    let lines = respond::render::jsonl(&resp);
    assert_eq!(lines[0]["record"], "key");
    assert!(
        lines
            .iter()
            .any(|l| l["record"] == "step" && l["id"] == "record-state:us-east-1")
    );
}
