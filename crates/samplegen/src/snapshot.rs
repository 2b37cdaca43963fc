//! The account snapshot that goes with the bundled incident, as the aws CLI prints it
//! (`<service>-<cli-operation>.json`), taken just after the intruder left.

use std::path::Path;

use serde_json::{Value, json};

use crate::incident::*;

fn tag(key: &str, value: &str) -> Value {
    json!({ "Key": key, "Value": value })
}

#[allow(clippy::too_many_arguments)]
fn instance(
    id: &str,
    name: &str,
    key: &str,
    subnet: &str,
    private_ip: &str,
    public_ip: Option<&str>,
    groups: &[(&str, &str)],
    http_tokens: &str,
    profile: Option<&str>,
    state: (u16, &str),
    platform: Option<&str>,
) -> Value {
    let sg: Vec<Value> = groups
        .iter()
        .map(|(id, name)| json!({ "GroupId": id, "GroupName": name }))
        .collect();
    let mut eni = json!({
        "NetworkInterfaceId": format!("eni-{}", &id[2..]),
        "SubnetId": subnet,
        "VpcId": VPC,
        "PrivateIpAddress": private_ip,
        "PrivateIpAddresses": [{ "Primary": true, "PrivateIpAddress": private_ip }],
        "Groups": sg,
        "Attachment": { "AttachmentId": format!("eni-attach-{}", &id[2..]), "DeviceIndex": 0, "Status": "attached", "DeleteOnTermination": true },
        "Ipv6Addresses": [],
        "Status": "in-use",
        "InterfaceType": "interface",
        "SourceDestCheck": true,
    });
    let mut inst = json!({
        "InstanceId": id,
        "ImageId": "ami-0c55b159cbfafe1f0",
        "InstanceType": "t3.medium",
        "KeyName": key,
        "LaunchTime": "2024-04-02T09:12:44+00:00",
        "Placement": { "AvailabilityZone": "us-east-1a", "Tenancy": "default" },
        "PrivateIpAddress": private_ip,
        "State": { "Code": state.0, "Name": state.1 },
        "SubnetId": subnet,
        "VpcId": VPC,
        "Architecture": "x86_64",
        "RootDeviceType": "ebs",
        "RootDeviceName": "/dev/xvda",
        "BlockDeviceMappings": [{ "DeviceName": "/dev/xvda", "Ebs": { "VolumeId": format!("vol-{}", &id[2..]), "Status": "attached", "DeleteOnTermination": true, "AttachTime": "2024-04-02T09:12:45+00:00" } }],
        "SecurityGroups": groups.iter().map(|(id, name)| json!({ "GroupId": id, "GroupName": name })).collect::<Vec<_>>(),
        "NetworkInterfaces": [],
        "MetadataOptions": { "State": "applied", "HttpTokens": http_tokens, "HttpPutResponseHopLimit": if http_tokens == "optional" { 3 } else { 2 }, "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled", "InstanceMetadataTags": "disabled" },
        "Tags": [tag("Name", name)],
        "Monitoring": { "State": "disabled" },
    });
    if let Some(ip) = public_ip {
        inst["PublicIpAddress"] = json!(ip);
        eni["Association"] = json!({ "PublicIp": ip, "IpOwnerId": "amazon", "PublicDnsName": "" });
    }
    if let Some(p) = profile {
        inst["IamInstanceProfile"] = json!({ "Arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/{p}"), "Id": "AIPAWEBAPPPROFILE0001" });
    }
    if let Some(p) = platform {
        inst["Platform"] = json!(p);
        inst["PlatformDetails"] = json!("Windows");
    }
    inst["NetworkInterfaces"] = json!([eni]);
    inst
}

fn sg_rule(protocol: &str, from: i64, to: i64, cidrs: &[&str], groups: &[&str]) -> Value {
    json!({
        "IpProtocol": protocol,
        "FromPort": from,
        "ToPort": to,
        "IpRanges": cidrs.iter().map(|c| json!({ "CidrIp": c })).collect::<Vec<_>>(),
        "Ipv6Ranges": [],
        "PrefixListIds": [],
        "UserIdGroupPairs": groups.iter().map(|g| json!({ "GroupId": g, "UserId": ACCOUNT })).collect::<Vec<_>>(),
    })
}

fn egress_all() -> Value {
    json!([{ "IpProtocol": "-1", "IpRanges": [{ "CidrIp": "0.0.0.0/0" }], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": [] }])
}

/// All files of the snapshot, by file name.
pub fn files() -> Vec<(&'static str, Value)> {
    let web = [(SG_WEB, "web")];
    let instances = vec![
        instance(
            WEB_1,
            "web-1",
            DEPLOY_KEY,
            PUBLIC_SUBNET,
            "10.0.1.11",
            Some("3.85.10.21"),
            &web,
            "required",
            Some("web-app-profile"),
            (16, "running"),
            None,
        ),
        instance(
            WEB_2,
            "web-2",
            DEPLOY_KEY,
            PUBLIC_SUBNET,
            "10.0.1.12",
            Some("3.85.10.22"),
            &web,
            "optional",
            Some("web-app-profile"),
            (16, "running"),
            None,
        ),
        instance(
            DB_1,
            "db-1",
            DEPLOY_KEY,
            PRIVATE_SUBNET,
            "10.0.2.21",
            None,
            &[(SG_DB, "db")],
            "required",
            None,
            (16, "running"),
            None,
        ),
        instance(
            WIN_BASTION,
            "win-bastion",
            "win-admin",
            PUBLIC_SUBNET,
            "10.0.1.30",
            Some("3.85.10.30"),
            &[(SG_BASTION, "rdp-bastion")],
            "optional",
            None,
            (16, "running"),
            Some("windows"),
        ),
        instance(
            ROGUE,
            "",
            LEAKED_KEY,
            PUBLIC_SUBNET,
            "10.0.1.200",
            None,
            &web,
            "optional",
            None,
            (48, "terminated"),
            None,
        ),
    ];
    let reservations: Vec<Value> = instances
        .into_iter()
        .enumerate()
        .map(|(i, inst)| json!({ "ReservationId": format!("r-0{:016x}", i + 1), "OwnerId": ACCOUNT, "Groups": [], "Instances": [inst] }))
        .collect();
    let enis: Vec<Value> = reservations
        .iter()
        .filter(|r| r["Instances"][0]["State"]["Name"] != "terminated")
        .map(|r| {
            let inst = &r["Instances"][0];
            let mut eni = inst["NetworkInterfaces"][0].clone();
            eni["Attachment"]["InstanceId"] = inst["InstanceId"].clone();
            eni["AvailabilityZone"] = json!("us-east-1a");
            eni["OwnerId"] = json!(ACCOUNT);
            eni
        })
        .collect();
    vec![
        (
            "ec2-describe-instances.json",
            json!({ "Reservations": reservations }),
        ),
        (
            "ec2-describe-network-interfaces.json",
            json!({ "NetworkInterfaces": enis }),
        ),
        (
            "ec2-describe-security-groups.json",
            json!({ "SecurityGroups": [
            { "GroupId": SG_WEB, "GroupName": "web", "Description": "web servers", "VpcId": VPC, "OwnerId": ACCOUNT,
              "IpPermissions": [sg_rule("tcp", 443, 443, &["0.0.0.0/0"], &[]), sg_rule("tcp", 22, 22, &["0.0.0.0/0"], &[])],
              "IpPermissionsEgress": egress_all(), "Tags": [] },
            { "GroupId": SG_DB, "GroupName": "db", "Description": "database", "VpcId": VPC, "OwnerId": ACCOUNT,
              "IpPermissions": [sg_rule("tcp", 5432, 5432, &[], &[SG_WEB]), sg_rule("tcp", 0, 65535, &["0.0.0.0/0"], &[])],
              "IpPermissionsEgress": egress_all(), "Tags": [] },
            { "GroupId": SG_BASTION, "GroupName": "rdp-bastion", "Description": "windows bastion", "VpcId": VPC, "OwnerId": ACCOUNT,
              "IpPermissions": [sg_rule("tcp", 3389, 3389, &["0.0.0.0/0"], &[])],
              "IpPermissionsEgress": egress_all(), "Tags": [] },
            { "GroupId": "sg-0def0000000000009", "GroupName": "default", "Description": "default VPC security group", "VpcId": VPC, "OwnerId": ACCOUNT,
              "IpPermissions": [sg_rule("-1", 0, 0, &[], &["sg-0def0000000000009"])],
              "IpPermissionsEgress": egress_all(), "Tags": [] },
        ] }),
        ),
        (
            "ec2-describe-key-pairs.json",
            json!({ "KeyPairs": [
            { "KeyPairId": "key-0de910e0000000001", "KeyFingerprint": "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f", "KeyName": DEPLOY_KEY, "KeyType": "rsa", "Tags": [], "CreateTime": "2024-01-15T10:00:00+00:00" },
            { "KeyPairId": "key-0a1d2100000000002", "KeyFingerprint": "a4:2c:77:19:0b:de:51:f3:68:9e:c2:04:7d:31:b5:e8", "KeyName": "win-admin", "KeyType": "rsa", "Tags": [], "CreateTime": "2023-06-01T12:00:00+00:00" },
        ] }),
        ),
        (
            "ec2-describe-vpcs.json",
            json!({ "Vpcs": [{ "VpcId": VPC, "CidrBlock": "10.0.0.0/16", "State": "available", "IsDefault": false, "OwnerId": ACCOUNT, "CidrBlockAssociationSet": [{ "CidrBlock": "10.0.0.0/16", "CidrBlockState": { "State": "associated" } }] }] }),
        ),
        (
            "ec2-describe-subnets.json",
            json!({ "Subnets": [
            { "SubnetId": PUBLIC_SUBNET, "VpcId": VPC, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a", "MapPublicIpOnLaunch": true, "State": "available", "OwnerId": ACCOUNT, "Ipv6CidrBlockAssociationSet": [] },
            { "SubnetId": PRIVATE_SUBNET, "VpcId": VPC, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "us-east-1a", "MapPublicIpOnLaunch": false, "State": "available", "OwnerId": ACCOUNT, "Ipv6CidrBlockAssociationSet": [] },
        ] }),
        ),
        (
            "ec2-describe-internet-gateways.json",
            json!({ "InternetGateways": [{ "InternetGatewayId": "igw-0a1a0000000000001", "OwnerId": ACCOUNT, "Attachments": [{ "State": "available", "VpcId": VPC }] }] }),
        ),
        (
            "ec2-describe-nat-gateways.json",
            json!({ "NatGateways": [{ "NatGatewayId": "nat-0a1a0000000000001", "SubnetId": PUBLIC_SUBNET, "VpcId": VPC, "State": "available", "NatGatewayAddresses": [{ "PublicIp": "3.85.10.99", "PrivateIp": "10.0.1.99" }] }] }),
        ),
        (
            "ec2-describe-route-tables.json",
            json!({ "RouteTables": [
            { "RouteTableId": "rtb-0b1c0000000000001", "VpcId": VPC, "OwnerId": ACCOUNT,
              "Associations": [{ "Main": false, "RouteTableAssociationId": "rtbassoc-0b1c000000001", "RouteTableId": "rtb-0b1c0000000000001", "SubnetId": PUBLIC_SUBNET, "AssociationState": { "State": "associated" } }],
              "Routes": [{ "DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active" },
                         { "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0a1a0000000000001", "Origin": "CreateRoute", "State": "active" }] },
            { "RouteTableId": "rtb-0a1a0000000000002", "VpcId": VPC, "OwnerId": ACCOUNT,
              "Associations": [{ "Main": true, "RouteTableAssociationId": "rtbassoc-0a1a00000002", "RouteTableId": "rtb-0a1a0000000000002", "AssociationState": { "State": "associated" } }],
              "Routes": [{ "DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active" },
                         { "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0a1a0000000000001", "Origin": "CreateRoute", "State": "active" }] },
        ] }),
        ),
        (
            "ec2-describe-network-acls.json",
            json!({ "NetworkAcls": [{ "NetworkAclId": "acl-0def0000000000001", "VpcId": VPC, "IsDefault": true, "OwnerId": ACCOUNT,
            "Associations": [{ "NetworkAclAssociationId": "aclassoc-0b1c000000001", "NetworkAclId": "acl-0def0000000000001", "SubnetId": PUBLIC_SUBNET },
                             { "NetworkAclAssociationId": "aclassoc-0c2d000000002", "NetworkAclId": "acl-0def0000000000001", "SubnetId": PRIVATE_SUBNET }],
            "Entries": [{ "CidrBlock": "0.0.0.0/0", "Egress": true, "Protocol": "-1", "RuleAction": "allow", "RuleNumber": 100 },
                        { "CidrBlock": "0.0.0.0/0", "Egress": true, "Protocol": "-1", "RuleAction": "deny", "RuleNumber": 32767 },
                        { "CidrBlock": "0.0.0.0/0", "Egress": false, "Protocol": "-1", "RuleAction": "allow", "RuleNumber": 100 },
                        { "CidrBlock": "0.0.0.0/0", "Egress": false, "Protocol": "-1", "RuleAction": "deny", "RuleNumber": 32767 }] }] }),
        ),
        (
            "iam-list-ssh-public-keys-bob.json",
            json!({ "SSHPublicKeys": [
            { "UserName": "bob", "SSHPublicKeyId": "APKABOBLEGIT00000001", "Status": "Active", "UploadDate": "2023-02-11T09:00:00+00:00" },
            { "UserName": "bob", "SSHPublicKeyId": "APKAATTACKER00000001", "Status": "Active", "UploadDate": "2024-05-04T02:19:00+00:00" },
        ] }),
        ),
        (
            "cloudtrail-describe-trails.json",
            json!({ "trailList": [{ "Name": TRAIL, "S3BucketName": "acme-cloudtrail-logs", "IncludeGlobalServiceEvents": true, "IsMultiRegionTrail": true, "HomeRegion": REGION, "TrailARN": format!("arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"), "LogFileValidationEnabled": true, "HasCustomEventSelectors": false, "HasInsightSelectors": false, "IsOrganizationTrail": false }] }),
        ),
        (
            "cloudtrail-get-trail-status-org-audit-trail.json",
            json!({ "IsLogging": false, "LatestDeliveryTime": "2024-05-04T02:25:00+00:00", "StartLoggingTime": "2023-01-01T00:00:00+00:00", "StopLoggingTime": "2024-05-04T02:23:00+00:00", "LatestDigestDeliveryTime": "2024-05-04T02:00:00+00:00" }),
        ),
    ]
}

pub fn write(dir: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let files = files();
    for (name, value) in &files {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        std::fs::write(dir.join(name), text)?;
    }
    Ok(files.len())
}
