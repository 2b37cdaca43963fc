//! The bundled incident: a few quiet days in account 111122223333, then an intruder holding a
//! leaked key pair and a CI user's stolen access key. Every id here matches the account snapshot.

use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

use crate::event::{Actor, Call, Rng, record};

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-1";
pub const OTHER_REGION: &str = "eu-west-1";
pub const ATTACKER_IP: &str = "198.51.100.77";
pub const VPC: &str = "vpc-0a11b22c33d44e55f";
pub const PUBLIC_SUBNET: &str = "subnet-0a1b1111111111111";
pub const PRIVATE_SUBNET: &str = "subnet-0c2d2222222222222";
pub const SG_WEB: &str = "sg-0e5b0c0a0000000a1";
pub const SG_DB: &str = "sg-0db000000000000b2";
pub const SG_BASTION: &str = "sg-03d900000000000c3";
pub const WEB_1: &str = "i-0a1b2c3d4e5f60001";
pub const WEB_2: &str = "i-0a1b2c3d4e5f60002";
pub const DB_1: &str = "i-0a1b2c3d4e5f60003";
pub const WIN_BASTION: &str = "i-0a1b2c3d4e5f60004";
pub const ROGUE: &str = "i-0badc0ffee0000001";
pub const LEAKED_KEY: &str = "backup-key";
pub const DEPLOY_KEY: &str = "deploy-2024";
pub const TRAIL: &str = "org-audit-trail";

/// The people and machines of the account.
pub struct Cast {
    pub alice: Actor,
    pub bob: Actor,
    pub ci: Actor,
    pub web_role: Vec<Actor>,
    pub intruder_ci: Actor,
    pub stolen_role: Actor,
}

pub fn cast() -> Cast {
    let console = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
    let cli = "aws-cli/2.15.40 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.describe-instances";
    let sdk = "Boto3/1.34.90 md/Botocore#1.34.90 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.90";
    let terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.8.2 (+https://www.terraform.io) terraform-provider-aws/5.47.0 aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.156.0";
    let web_ips = ["3.85.10.21", "3.85.10.22"];
    Cast {
        alice: Actor::iam_user(
            ACCOUNT,
            "alice",
            "AIDAALICE0000000000001",
            "ASIAALICE00000000001",
            "192.0.2.10",
            console,
        )
        .with_mfa_session("2024-05-01T08:00:00Z"),
        bob: Actor::iam_user(
            ACCOUNT,
            "bob",
            "AIDABOB00000000000002",
            "AKIABOB0000000000002",
            "192.0.2.11",
            cli,
        ),
        ci: Actor::iam_user(
            ACCOUNT,
            "ci-deployer",
            "AIDACIDEPLOYER0000003",
            "AKIACIDEPLOYER000003",
            "203.0.113.50",
            terraform,
        ),
        web_role: [WEB_1, WEB_2]
            .iter()
            .zip(web_ips)
            .map(|(id, ip)| {
                Actor::role_session(
                    ACCOUNT,
                    "web-app-role",
                    "AROAWEBAPPROLE0000001",
                    id,
                    "ASIAWEBAPP0000000001",
                    false,
                    ip,
                    sdk,
                )
            })
            .collect(),
        intruder_ci: Actor::iam_user(
            ACCOUNT,
            "ci-deployer",
            "AIDACIDEPLOYER0000003",
            "AKIACIDEPLOYER000003",
            ATTACKER_IP,
            "aws-cli/2.13.1 Python/3.11.4 Linux/6.2.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off",
        ),
        // The web instance's role credentials, taken from IMDS and used from the intruder's machine.
        stolen_role: Actor::role_session(
            ACCOUNT,
            "web-app-role",
            "AROAWEBAPPROLE0000001",
            WEB_1,
            "ASIAWEBAPP0000000001",
            false,
            ATTACKER_IP,
            cli,
        ),
    }
}

/// Helper to append calls with a running clock.
pub struct Story<'a> {
    pub rng: &'a mut Rng,
    pub records: Vec<Value>,
}

impl Story<'_> {
    #[allow(clippy::too_many_arguments)]
    pub fn call(
        &mut self,
        actor: &Actor,
        time: Timestamp,
        region: &str,
        service: &str,
        name: &str,
        request: Value,
        response: Value,
        read_only: bool,
    ) {
        let source = format!("{service}.amazonaws.com");
        self.records.push(record(
            self.rng,
            ACCOUNT,
            Call {
                actor,
                time,
                region,
                source: &source,
                name,
                request,
                response,
                error: None,
                read_only,
            },
        ));
    }

    #[allow(clippy::too_many_arguments)]
    pub fn failed(
        &mut self,
        actor: &Actor,
        time: Timestamp,
        service: &str,
        name: &str,
        request: Value,
        code: &str,
        message: &str,
    ) {
        let source = format!("{service}.amazonaws.com");
        self.records.push(record(
            self.rng,
            ACCOUNT,
            Call {
                actor,
                time,
                region: REGION,
                source: &source,
                name,
                request,
                response: Value::Null,
                error: Some((code, message)),
                read_only: false,
            },
        ));
    }
}

fn instances_set(ids: &[&str]) -> Value {
    json!({ "items": ids.iter().map(|id| json!({ "instanceId": id })).collect::<Vec<_>>() })
}

/// Routine activity: reads, deployments, console logins, instance roles at work.
pub fn background(story: &mut Story<'_>, cast: &Cast, start: Timestamp, days: i64) {
    for day in 0..days {
        let morning = start + (day * 24).hours() + 8.hours();
        story.call(
            &cast.alice,
            morning,
            REGION,
            "signin",
            "ConsoleLogin",
            Value::Null,
            json!({ "ConsoleLogin": "Success" }),
            false,
        );
        if let Some(last) = story.records.last_mut() {
            last["additionalEventData"] = json!({ "MFAUsed": "Yes", "MobileVersion": "No", "LoginTo": "https://console.aws.amazon.com/console/home" });
            last["userIdentity"] = json!({ "type": "IAMUser", "principalId": "AIDAALICE0000000000001", "arn": format!("arn:aws:iam::{ACCOUNT}:user/alice"), "accountId": ACCOUNT, "userName": "alice" });
            last["eventType"] = json!("AwsConsoleSignIn");
        }
        for minute in (0..600).step_by(7) {
            let t = morning + minute.minutes() + (story.rng.below(50) as i64).seconds();
            let who = story.rng.below(4);
            match who {
                0 => story.call(
                    &cast.alice,
                    t,
                    REGION,
                    "ec2",
                    "DescribeInstances",
                    json!({ "instancesSet": {}, "filterSet": {} }),
                    Value::Null,
                    true,
                ),
                1 => {
                    let region = *story.rng.pick(&[REGION, OTHER_REGION]);
                    story.call(&cast.bob, t, region, "ec2", "DescribeSecurityGroups", json!({ "securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {} }), Value::Null, true);
                }
                2 => {
                    let role = story.rng.pick(&cast.web_role).clone();
                    story.call(&role, t, REGION, "ssm", "UpdateInstanceInformation", json!({ "instanceId": role.identity["arn"].as_str().unwrap_or("").rsplit('/').next(), "agentVersion": "3.3.40.0", "platformType": "Linux" }), Value::Null, false);
                }
                _ => {
                    let role = story.rng.pick(&cast.web_role).clone();
                    story.call(
                        &role,
                        t,
                        REGION,
                        "kms",
                        "Decrypt",
                        json!({ "encryptionAlgorithm": "SYMMETRIC_DEFAULT" }),
                        Value::Null,
                        true,
                    );
                }
            }
        }
        // The nightly deployment replaces nothing but tags and checks the fleet.
        let deploy = morning + 10.hours();
        story.call(
            &cast.ci,
            deploy,
            REGION,
            "sts",
            "GetCallerIdentity",
            json!({}),
            Value::Null,
            true,
        );
        story.call(
            &cast.ci,
            deploy + 5.seconds(),
            REGION,
            "ec2",
            "DescribeKeyPairs",
            json!({ "keySet": {}, "keyPairIdSet": {}, "filterSet": {} }),
            Value::Null,
            true,
        );
        story.call(&cast.ci, deploy + 9.seconds(), REGION, "ec2", "CreateTags", json!({ "resourcesSet": { "items": [{ "resourceId": WEB_1 }, { "resourceId": WEB_2 }] }, "tagSet": { "items": [{ "key": "deployed", "value": format!("build-{}", 4100 + day) }] } }), json!({ "_return": true }), false);
        // Bob checks the database host through Session Manager, as the team does.
        let session = morning + 3.hours();
        let session_id = format!("bob-{}", story.rng.hex(17));
        story.call(&cast.bob, session, REGION, "ssm", "StartSession", json!({ "target": DB_1 }), json!({ "sessionId": session_id, "tokenValue": "Value hidden due to security reasons.", "streamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/bob" }), false);
    }
}

/// The intrusion, minute by minute, starting at `t0`.
pub fn attack(story: &mut Story<'_>, cast: &Cast, t0: Timestamp) {
    let ci = &cast.intruder_ci;
    let at = |m: i64, s: i64| t0 + m.minutes() + s.seconds();
    story.call(
        ci,
        at(0, 0),
        REGION,
        "sts",
        "GetCallerIdentity",
        json!({}),
        Value::Null,
        true,
    );
    story.call(
        ci,
        at(0, 40),
        REGION,
        "ec2",
        "DescribeInstances",
        json!({ "instancesSet": {}, "filterSet": {} }),
        Value::Null,
        true,
    );
    story.call(
        ci,
        at(1, 5),
        REGION,
        "ec2",
        "DescribeKeyPairs",
        json!({ "keySet": {}, "keyPairIdSet": {}, "filterSet": {} }),
        Value::Null,
        true,
    );
    story.failed(ci, at(2, 0), "iam", "CreateAccessKey", json!({ "userName": "alice" }), "AccessDenied", "User: arn:aws:iam::111122223333:user/ci-deployer is not authorized to perform: iam:CreateAccessKey on resource: user alice because no identity-based policy allows the iam:CreateAccessKey action");
    story.call(ci, at(3, 10), REGION, "ec2", "ImportKeyPair", json!({ "keyName": LEAKED_KEY, "publicKeyMaterial": "<sensitiveDataRemoved>" }), json!({ "requestId": "0f2e6d1a-8c1b-4b9e-9a53-1f0c2d3e4f50", "keyName": LEAKED_KEY, "keyFingerprint": "5b:8a:1f:3c:9d:27:e4:60:aa:0b:71:c2:d9:45:8e:13", "keyPairId": "key-0b4c4c4c4e0000001" }), false);
    story.call(ci, at(4, 30), REGION, "ec2", "RunInstances",
        json!({ "instancesSet": { "items": [{ "imageId": "ami-0c55b159cbfafe1f0", "minCount": 1, "maxCount": 1, "keyName": LEAKED_KEY }] }, "instanceType": "t3.medium", "blockDeviceMapping": {}, "monitoring": { "enabled": false }, "disableApiTermination": false, "subnetId": PUBLIC_SUBNET, "groupSet": { "items": [{ "groupId": SG_WEB }] } }),
        json!({ "requestId": "7c1d1a9e-0b1f-4c55-8d3e-3b2a1c0d9e8f", "reservationId": "r-0a09e000000000001", "ownerId": ACCOUNT, "groupSet": {}, "instancesSet": { "items": [{ "instanceId": ROGUE, "imageId": "ami-0c55b159cbfafe1f0", "instanceState": { "code": 0, "name": "pending" }, "keyName": LEAKED_KEY, "instanceType": "t3.medium", "subnetId": PUBLIC_SUBNET, "vpcId": VPC, "privateIpAddress": "10.0.1.200" }] } }),
        false);
    story.call(ci, at(6, 0), REGION, "ec2", "AuthorizeSecurityGroupIngress",
        json!({ "groupId": SG_WEB, "ipPermissions": { "items": [{ "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {}, "ipRanges": { "items": [{ "cidrIp": "0.0.0.0/0" }] }, "ipv6Ranges": {}, "prefixListIds": {} }] } }),
        json!({ "requestId": "a3c5e7f9-1b2d-4f6a-8c0e-2d4f6a8c0e1b", "_return": true, "securityGroupRuleSet": { "items": [{ "groupOwnerId": ACCOUNT, "groupId": SG_WEB, "securityGroupRuleId": "sgr-0a77ac00000000001", "isEgress": false, "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0" }] } }),
        false);
    story.call(
        ci,
        at(8, 20),
        REGION,
        "ec2",
        "GetPasswordData",
        json!({ "instanceId": WIN_BASTION }),
        Value::Null,
        true,
    );
    story.call(ci, at(9, 0), REGION, "ec2-instance-connect", "SendSSHPublicKey",
        json!({ "instanceId": WEB_1, "instanceOSUser": "ec2-user", "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOiKgBv6VdUnmUO7jTJ8dqw4m5LrGk0bS2cX1yN8m2Qx" }),
        json!({ "requestId": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "success": true }),
        false);
    // web-1's SSM agent keeps reporting from the instance itself, with the same role session...
    story.call(
        &cast.web_role[0],
        at(11, 30),
        REGION,
        "ssm",
        "UpdateInstanceInformation",
        json!({ "instanceId": WEB_1, "agentVersion": "3.3.40.0", "platformType": "Linux" }),
        Value::Null,
        false,
    );
    // ...while its credentials, read from IMDS over the SSH session, are used from outside.
    let role = &cast.stolen_role;
    story.call(
        role,
        at(14, 0),
        REGION,
        "sts",
        "GetCallerIdentity",
        json!({}),
        Value::Null,
        true,
    );
    story.call(
        role,
        at(14, 30),
        REGION,
        "s3",
        "ListBuckets",
        json!({ "Host": "s3.amazonaws.com" }),
        Value::Null,
        true,
    );
    story.call(
        role,
        at(15, 10),
        REGION,
        "ec2",
        "DescribeInstances",
        json!({ "instancesSet": {}, "filterSet": {} }),
        Value::Null,
        true,
    );
    story.call(ci, at(17, 0), REGION, "ec2", "ModifyInstanceMetadataOptions",
        json!({ "ModifyInstanceMetadataOptionsRequest": { "InstanceId": WEB_2, "HttpTokens": "optional", "HttpPutResponseHopLimit": 3 } }),
        json!({ "ModifyInstanceMetadataOptionsResponse": { "instanceId": WEB_2, "instanceMetadataOptions": { "state": "pending", "httpTokens": "optional", "httpPutResponseHopLimit": 3, "httpEndpoint": "enabled" } } }),
        false);
    story.call(ci, at(19, 0), REGION, "iam", "UploadSSHPublicKey",
        json!({ "userName": "bob", "sSHPublicKeyBody": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 attacker@kali" }),
        json!({ "sSHPublicKey": { "userName": "bob", "sSHPublicKeyId": "APKAATTACKER00000001", "fingerprint": "3a:7c:91:0e:5d:b2:48:f6:1c:d0:aa:29:6e:83:b7:54", "status": "Inactive", "uploadDate": "May 4, 2024 2:19:00 AM" } }),
        false);
    story.call(
        ci,
        at(19, 40),
        REGION,
        "iam",
        "UpdateSSHPublicKey",
        json!({ "userName": "bob", "sSHPublicKeyId": "APKAATTACKER00000001", "status": "Active" }),
        Value::Null,
        false,
    );
    story.call(
        ci,
        at(23, 0),
        REGION,
        "cloudtrail",
        "StopLogging",
        json!({ "name": format!("arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}") }),
        Value::Null,
        false,
    );
    story.call(ci, at(41, 0), REGION, "ec2", "DeleteKeyPair", json!({ "keyName": LEAKED_KEY }), json!({ "requestId": "6a7b8c9d-0e1f-4a2b-b3c4-d5e6f7a8b9c0", "_return": true, "keyPairId": "key-0b4c4c4c4e0000001" }), false);
    story.call(ci, at(42, 0), REGION, "ec2", "TerminateInstances", json!({ "instancesSet": instances_set(&[ROGUE]) }),
        json!({ "requestId": "9b8a7c6d-5e4f-4a3b-b2c1-d0e9f8a7b6c5", "instancesSet": { "items": [{ "instanceId": ROGUE, "currentState": { "code": 32, "name": "shutting-down" }, "previousState": { "code": 16, "name": "running" } }] } }),
        false);
}

/// The whole incident's records, in time order.
pub fn records(seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    let cast = cast();
    let start: Timestamp = "2024-05-01T00:00:00Z".parse().expect("static time");
    let mut story = Story {
        rng: &mut rng,
        records: Vec::new(),
    };
    background(&mut story, &cast, start, 4);
    attack(
        &mut story,
        &cast,
        "2024-05-04T02:00:00Z".parse().expect("static time"),
    );
    let mut records = story.records;
    records.sort_by(|a, b| a["eventTime"].as_str().cmp(&b["eventTime"].as_str()));
    records
}
