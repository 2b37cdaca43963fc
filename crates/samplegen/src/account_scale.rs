//! A large account snapshot for benchmarks: many VPCs, subnets, groups and instances, written as the
//! aws CLI's JSON (the same files `trailhound collect` writes), deterministic for a seed.
//!
//! Shapes are mixed on purpose so every audit and reachability path is exercised: public subnets
//! (internet gateway route, public IPs) and private ones (NAT route), NACLs that deny 22 before a
//! broad allow, groups open to the internet on 22/3389/all ports over IPv4 and IPv6, group
//! references, IMDSv1 and v2, key pairs in use and gone.

use std::path::Path;

use serde_json::{Value, json};

use crate::event::Rng;

pub struct Shape {
    pub instances: usize,
    pub groups: usize,
    pub subnets: usize,
    pub vpcs: usize,
    pub key_pairs: usize,
    pub users: usize,
}

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "111122223333";

fn hex_id(prefix: &str, n: usize) -> String {
    format!("{prefix}-{n:017x}")
}

fn write(dir: &Path, name: &str, value: &Value) -> anyhow::Result<()> {
    let file = std::fs::File::create(dir.join(name))?;
    serde_json::to_writer(std::io::BufWriter::new(file), value)?;
    Ok(())
}

/// Writes the snapshot into `dir/us-east-1/` and `dir/` (IAM); returns the number of files.
pub fn write_snapshot(dir: &Path, shape: &Shape, seed: u64) -> anyhow::Result<usize> {
    let mut rng = Rng::new(seed);
    let region_dir = dir.join(REGION);
    std::fs::create_dir_all(&region_dir)?;
    let vpc = |i: usize| hex_id("vpc", i % shape.vpcs);
    let vpcs: Vec<Value> = (0..shape.vpcs)
        .map(|v| {
            json!({"VpcId": hex_id("vpc", v), "CidrBlock": format!("10.{}.0.0/16", v % 256),
                   "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": format!("2600:1f18:{:x}::/56", v), "Ipv6CidrBlockState": {"State": "associated"}}],
                   "IsDefault": false, "State": "available", "OwnerId": ACCOUNT})
        })
        .collect();
    let igws: Vec<Value> = (0..shape.vpcs)
        .map(|v| {
            json!({"InternetGatewayId": hex_id("igw", v), "OwnerId": ACCOUNT,
                        "Attachments": [{"VpcId": hex_id("vpc", v), "State": "available"}]})
        })
        .collect();
    let nats: Vec<Value> = (0..shape.vpcs)
        .map(|v| json!({"NatGatewayId": hex_id("nat", v), "VpcId": hex_id("vpc", v), "SubnetId": hex_id("subnet", v),
                        "State": "available", "ConnectivityType": "public"}))
        .collect();
    // Subnet s lives in VPC s % vpcs; even subnets are public.
    let subnet_cidr = |s: usize| {
        format!(
            "10.{}.{}.0/24",
            (s % shape.vpcs) % 256,
            (s / shape.vpcs) % 256
        )
    };
    let subnets: Vec<Value> = (0..shape.subnets)
        .map(|s| {
            json!({"SubnetId": hex_id("subnet", s), "VpcId": vpc(s), "CidrBlock": subnet_cidr(s),
                   "AvailabilityZone": "us-east-1a", "MapPublicIpOnLaunch": s.is_multiple_of(2), "State": "available", "OwnerId": ACCOUNT})
        })
        .collect();
    let mut route_tables = Vec::new();
    for s in 0..shape.subnets {
        let v = s % shape.vpcs;
        let default = if s.is_multiple_of(2) {
            json!({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": hex_id("igw", v), "State": "active", "Origin": "CreateRoute"})
        } else {
            json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": hex_id("nat", v), "State": "active", "Origin": "CreateRoute"})
        };
        route_tables.push(json!({"RouteTableId": hex_id("rtb", s), "VpcId": vpc(s), "OwnerId": ACCOUNT,
            "Associations": [{"Main": false, "SubnetId": hex_id("subnet", s), "RouteTableAssociationId": hex_id("rtbassoc", s)}],
            "Routes": [{"DestinationCidrBlock": format!("10.{}.0.0/16", v % 256), "GatewayId": "local", "State": "active", "Origin": "CreateRouteTable"},
                       default,
                       {"DestinationIpv6CidrBlock": "::/0", "GatewayId": hex_id("igw", v), "State": "active", "Origin": "CreateRoute"}]}));
    }
    // One NACL per subnet; every fifth denies tcp/22 from anywhere before allowing everything.
    let acl_entry = |n: i64, egress: bool, proto: &str, action: &str, ports: Option<(i64, i64)>| {
        let mut e = json!({"RuleNumber": n, "Egress": egress, "Protocol": proto, "RuleAction": action, "CidrBlock": "0.0.0.0/0"});
        if let Some((a, b)) = ports {
            e["PortRange"] = json!({"From": a, "To": b});
        }
        e
    };
    let nacls: Vec<Value> = (0..shape.subnets)
        .map(|s| {
            let mut entries = vec![
                acl_entry(100, false, "-1", "allow", None),
                acl_entry(100, true, "-1", "allow", None),
                acl_entry(32767, false, "-1", "deny", None),
                acl_entry(32767, true, "-1", "deny", None),
            ];
            if s.is_multiple_of(5) {
                entries.push(acl_entry(50, false, "6", "deny", Some((22, 22))));
            }
            json!({"NetworkAclId": hex_id("acl", s), "VpcId": vpc(s), "IsDefault": false, "OwnerId": ACCOUNT,
                   "Associations": [{"NetworkAclAssociationId": hex_id("aclassoc", s), "NetworkAclId": hex_id("acl", s), "SubnetId": hex_id("subnet", s)}],
                   "Entries": entries})
        })
        .collect();
    let rule = |proto: &str, from: i64, to: i64, v4: &[&str], v6: &[&str], groups: &[String]| {
        let mut r = json!({"IpProtocol": proto,
            "IpRanges": v4.iter().map(|c| json!({"CidrIp": c})).collect::<Vec<_>>(),
            "Ipv6Ranges": v6.iter().map(|c| json!({"CidrIpv6": c})).collect::<Vec<_>>(),
            "UserIdGroupPairs": groups.iter().map(|g| json!({"GroupId": g, "UserId": ACCOUNT})).collect::<Vec<_>>(),
            "PrefixListIds": []});
        if proto != "-1" {
            r["FromPort"] = json!(from);
            r["ToPort"] = json!(to);
        }
        r
    };
    let groups: Vec<Value> = (0..shape.groups)
        .map(|g| {
            let mut ingress = vec![rule("tcp", 443, 443, &["0.0.0.0/0"], &["::/0"], &[])];
            match g % 10 {
                0 => ingress.push(rule("tcp", 22, 22, &["0.0.0.0/0"], &[], &[])),
                1 => ingress.push(rule("tcp", 3389, 3389, &["0.0.0.0/0"], &[], &[])),
                2 => ingress.push(rule("-1", 0, 0, &["0.0.0.0/0"], &[], &[])),
                3 => ingress.push(rule("tcp", 22, 22, &[], &["::/0"], &[])),
                4 => ingress.push(rule("tcp", 0, 65535, &["203.0.113.0/24"], &[], &[])),
                _ => ingress.push(rule("tcp", 22, 22, &["10.0.0.0/8"], &[], &[hex_id("sg", (g + 1) % shape.groups)])),
            }
            json!({"GroupId": hex_id("sg", g), "GroupName": format!("group-{g}"), "Description": "generated",
                   "VpcId": vpc(g), "OwnerId": ACCOUNT, "IpPermissions": ingress,
                   "IpPermissionsEgress": [rule("-1", 0, 0, &["0.0.0.0/0"], &[], &[])]})
        })
        .collect();
    let key_name = |k: usize| format!("key-{k}");
    let key_pairs: Vec<Value> = (0..shape.key_pairs)
        .map(|k| json!({"KeyPairId": hex_id("key", k), "KeyName": key_name(k), "KeyType": "ed25519",
                        "KeyFingerprint": format!("{:x}", k), "CreateTime": "2023-01-01T00:00:00+00:00"}))
        .collect();
    let mut instances = Vec::with_capacity(shape.instances);
    for i in 0..shape.instances {
        // Subnets and groups of one VPC: subnet s and group g share a VPC when s ≡ g (mod vpcs).
        let s = rng.below(shape.subnets as u64) as usize;
        let v = s % shape.vpcs;
        let pick_group = |r: u64| {
            let per_vpc = (shape.groups / shape.vpcs).max(1);
            let k = (r as usize) % per_vpc;
            hex_id("sg", (v + k * shape.vpcs) % shape.groups)
        };
        let group_ids: Vec<String> = (0..1 + rng.below(3))
            .map(|_| pick_group(rng.next_u64()))
            .collect();
        let public = s.is_multiple_of(2);
        let private_ip = format!("10.{}.{}.{}", v % 256, (s / shape.vpcs) % 256, 4 + i % 250);
        let mut eni = json!({"NetworkInterfaceId": hex_id("eni", i), "SubnetId": hex_id("subnet", s), "VpcId": vpc(s),
            "PrivateIpAddress": private_ip, "Status": "in-use", "InterfaceType": "interface", "OwnerId": ACCOUNT,
            "Attachment": {"AttachmentId": hex_id("eni-attach", i), "DeviceIndex": 0, "Status": "attached", "DeleteOnTermination": true},
            "Groups": group_ids.iter().map(|g| json!({"GroupId": g})).collect::<Vec<_>>(),
            "Ipv6Addresses": if i.is_multiple_of(7) { json!([{"Ipv6Address": format!("2600:1f18:{:x}::{:x}:{:x}", v, (i + 1) >> 16, (i + 1) & 0xffff)}]) } else { json!([]) },
            "PrivateIpAddresses": [{"PrivateIpAddress": private_ip, "Primary": true}], "SourceDestCheck": true});
        let public_ip = format!("54.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        if public {
            eni["Association"] = json!({"PublicIp": public_ip, "IpOwnerId": "amazon"});
        }
        let mut inst = json!({"InstanceId": hex_id("i", i), "InstanceType": "t3.micro", "ImageId": "ami-0123456789abcdef0",
            "State": {"Code": 16, "Name": if i.is_multiple_of(13) { "stopped" } else { "running" }},
            "KeyName": key_name(rng.below(shape.key_pairs as u64 + 20) as usize),
            "LaunchTime": "2024-06-01T00:00:00+00:00", "SubnetId": hex_id("subnet", s), "VpcId": vpc(s), "PrivateIpAddress": private_ip,
            "SecurityGroups": group_ids.iter().map(|g| json!({"GroupId": g})).collect::<Vec<_>>(),
            "NetworkInterfaces": [eni],
            "MetadataOptions": {"HttpTokens": if i.is_multiple_of(3) { "optional" } else { "required" }, "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1 + (i % 4) as i64, "State": "applied"},
            "RootDeviceType": "ebs", "RootDeviceName": "/dev/xvda",
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeId": hex_id("vol", i), "DeleteOnTermination": true, "Status": "attached"}}],
            "Tags": [{"Key": "Name", "Value": format!("host-{i}")}]});
        if public {
            inst["PublicIpAddress"] = json!(public_ip);
        }
        instances.push(inst);
    }
    // Reservations of up to 10 instances, as the CLI returns them.
    let reservations: Vec<Value> = instances
        .chunks(10)
        .enumerate()
        .map(|(r, chunk)| json!({"ReservationId": hex_id("r", r), "OwnerId": ACCOUNT, "Groups": [], "Instances": chunk}))
        .collect();
    let volumes: Vec<Value> = (0..shape.instances)
        .map(|i| json!({"VolumeId": hex_id("vol", i), "Size": 8, "State": "in-use", "Encrypted": !i.is_multiple_of(4), "VolumeType": "gp3",
                        "AvailabilityZone": "us-east-1a", "Attachments": [{"InstanceId": hex_id("i", i), "Device": "/dev/xvda", "State": "attached", "DeleteOnTermination": true}]}))
        .collect();
    write(
        &region_dir,
        "ec2-describe-vpcs.json",
        &json!({"Vpcs": vpcs}),
    )?;
    write(
        &region_dir,
        "ec2-describe-internet-gateways.json",
        &json!({"InternetGateways": igws}),
    )?;
    write(
        &region_dir,
        "ec2-describe-nat-gateways.json",
        &json!({"NatGateways": nats}),
    )?;
    write(
        &region_dir,
        "ec2-describe-subnets.json",
        &json!({"Subnets": subnets}),
    )?;
    write(
        &region_dir,
        "ec2-describe-route-tables.json",
        &json!({"RouteTables": route_tables}),
    )?;
    write(
        &region_dir,
        "ec2-describe-network-acls.json",
        &json!({"NetworkAcls": nacls}),
    )?;
    write(
        &region_dir,
        "ec2-describe-security-groups.json",
        &json!({"SecurityGroups": groups}),
    )?;
    write(
        &region_dir,
        "ec2-describe-key-pairs.json",
        &json!({"KeyPairs": key_pairs}),
    )?;
    write(
        &region_dir,
        "ec2-describe-instances.json",
        &json!({"Reservations": reservations}),
    )?;
    write(
        &region_dir,
        "ec2-describe-volumes.json",
        &json!({"Volumes": volumes}),
    )?;
    write(
        &region_dir,
        "ec2-get-ebs-encryption-by-default.json",
        &json!({"EbsEncryptionByDefault": false}),
    )?;
    let users: Vec<Value> = (0..shape.users)
        .map(|u| json!({"UserName": format!("user-{u}"), "UserId": format!("AIDA{u:016}"), "Arn": format!("arn:aws:iam::{ACCOUNT}:user/user-{u}"),
                        "Path": "/", "CreateDate": "2022-01-01T00:00:00+00:00", "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": []}))
        .collect();
    write(
        dir,
        "iam-get-account-authorization-details.json",
        &json!({"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": [], "Policies": []}),
    )?;
    write(
        dir,
        "sts-get-caller-identity.json",
        &json!({"Account": ACCOUNT, "Arn": format!("arn:aws:iam::{ACCOUNT}:user/auditor"), "UserId": "AIDAAUDITOR"}),
    )?;
    Ok(13)
}
