//! The offline loader on the bundled incident snapshot and on hand-made edge fixtures.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use cloud::{NaclAction, RouteDestination, RouteState, RouteTarget, RuleSource};
use jiff::Timestamp;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn bundled_incident_snapshot() {
    let (a, report) = cloud::load(&repo("examples/incident/snapshot")).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.unrecognised.is_empty(), "{:?}", report.unrecognised);
    assert_eq!(report.files.len(), 13);
    // Exact counts of what the sample holds.
    assert_eq!(a.account_ids, ["111122223333"]);
    assert_eq!(a.regions, ["us-east-1"]);
    assert_eq!(a.instances.len(), 5);
    assert_eq!(a.network_interfaces.len(), 5);
    assert_eq!(a.security_groups.len(), 4);
    assert_eq!(a.key_pairs.len(), 2);
    assert_eq!(a.subnets.len(), 2);
    assert_eq!(a.vpcs.len(), 1);
    assert_eq!(a.route_tables.len(), 2);
    assert_eq!(a.network_acls.len(), 1);
    assert_eq!(a.internet_gateways.len(), 1);
    assert_eq!(a.nat_gateways.len(), 1);
    assert_eq!(a.trails.len(), 1);
    assert_eq!(a.users.len(), 1);
    assert!(a.roles.is_empty() && a.launch_templates.is_empty() && a.gaps.is_empty());

    // Region inferred from the zones of a flat dump, account from the reservations' owner.
    let web1 = a.instance("i-0a1b2c3d4e5f60001").unwrap();
    assert_eq!(web1.region, "us-east-1");
    assert_eq!(web1.account.as_deref(), Some("111122223333"));
    assert_eq!(web1.key_name.as_deref(), Some("deploy-2024"));
    assert_eq!(web1.launch_time, Some(ts("2024-04-02T09:12:44Z")));
    assert_eq!(web1.public_ip, Some(Ipv4Addr::new(3, 85, 10, 21)));
    assert_eq!(web1.tags.get("Name").map(String::as_str), Some("web-1"));
    assert_eq!(
        web1.metadata_options
            .as_ref()
            .unwrap()
            .http_tokens
            .as_deref(),
        Some("required")
    );
    assert_eq!(
        web1.iam_instance_profile.as_ref().unwrap().arn,
        "arn:aws:iam::111122223333:instance-profile/web-app-profile"
    );
    assert_eq!(
        web1.block_devices[0].volume_id.as_deref(),
        Some("vol-0a1b2c3d4e5f60001")
    );
    assert_eq!(
        web1.disable_api_termination, None,
        "not collected, so unknown"
    );

    // The terminated instance's ENI is only in describe-instances.
    let gone = a.instance("i-0badc0ffee0000001").unwrap();
    assert_eq!(gone.state, "terminated");
    let enis = a.enis_of_instance("i-0badc0ffee0000001");
    assert_eq!(enis.len(), 1);
    assert!(enis[0].from_instance_only);
    assert!(!a.enis_of_instance("i-0a1b2c3d4e5f60001")[0].from_instance_only);

    // Security groups: one rule per source, SG references kept.
    let web = a.security_group("sg-0e5b0c0a0000000a1").unwrap();
    assert_eq!(web.name, "web");
    let ssh = web
        .ingress
        .iter()
        .find(|r| r.covers_port("tcp", 22))
        .unwrap();
    assert!(ssh.source.is_anywhere());
    let db = a.security_group("sg-0db000000000000b2").unwrap();
    assert!(db.ingress.iter().any(|r| matches!(&r.source,
        RuleSource::Group { group_id: Some(g), .. } if g == "sg-0e5b0c0a0000000a1")));
    let in_web: Vec<&str> = a
        .instances_in_security_group("sg-0e5b0c0a0000000a1")
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(
        in_web,
        [
            "i-0a1b2c3d4e5f60001",
            "i-0a1b2c3d4e5f60002",
            "i-0badc0ffee0000001"
        ]
    );

    // Routing: the public subnet's explicit table, the private subnet falls back to main.
    let public = a.route_table_of_subnet("subnet-0a1b1111111111111").unwrap();
    assert_eq!(public.id, "rtb-0b1c0000000000001");
    assert!(
        public
            .routes
            .iter()
            .any(|r| r.target == RouteTarget::InternetGateway
                && r.destination == RouteDestination::Cidr4("0.0.0.0/0".parse().unwrap()))
    );
    let private = a.route_table_of_subnet("subnet-0c2d2222222222222").unwrap();
    assert!(private.main);
    assert_eq!(private.routes[1].target, RouteTarget::NatGateway);
    assert_eq!(
        a.nacl_of_subnet("subnet-0c2d2222222222222").unwrap().id,
        "acl-0def0000000000001"
    );

    // Keys: instances by key name, and the user known only from its SSH key file.
    assert_eq!(a.instances_by_key_name("deploy-2024").len(), 3);
    let kp = a.key_pair(None, "us-east-1", "win-admin").unwrap();
    assert_eq!(kp.create_time, Some(ts("2023-06-01T12:00:00Z")));
    assert_eq!(a.instances_using_key_pair(kp)[0].id, "i-0a1b2c3d4e5f60004");
    let bob = a.user("bob").unwrap();
    assert_eq!(bob.arn, "arn:aws:iam::111122223333:user/bob");
    assert!(bob.ssh_keys_known);
    assert_eq!(bob.ssh_public_keys.len(), 2);
    assert!(bob.ssh_public_keys.iter().all(|k| k.is_active()));

    let trail = &a.trails[0];
    assert_eq!(trail.status.as_ref().unwrap().is_logging, Some(false));
    assert_eq!(trail.is_multi_region, Some(true));
    assert!(!trail.selectors_known);

    // What the sample does not hold is reported, per file.
    let missing: Vec<&str> = report.missing.iter().map(|m| m.file.as_str()).collect();
    assert!(missing.contains(&"ec2-describe-launch-templates.json"));
    assert!(missing.contains(&"iam-get-account-authorization-details.json"));
    assert!(!missing.contains(&"ec2-describe-instances.json"));
    let attr = report
        .missing
        .iter()
        .find(|m| {
            m.file == "ec2-describe-instance-attribute-<instance id>-disableApiTermination.json"
        })
        .unwrap();
    assert_eq!((attr.count, attr.region.as_deref()), (5, Some("us-east-1")));
}

#[test]
fn flat_dump_timestamps_pages_and_bad_files() {
    let dir = fixture("flat");
    let (a, report) = cloud::load(&dir).unwrap();

    // Epoch seconds, epoch milliseconds (fractional) and ISO with an offset.
    let want = ts("2024-04-02T09:12:44Z");
    assert_eq!(a.instance("i-epochsec").unwrap().launch_time, Some(want));
    assert_eq!(a.instance("i-iso").unwrap().launch_time, Some(want));
    assert_eq!(
        a.instance("i-epochms").unwrap().launch_time,
        Some(ts("2024-04-02T09:12:44.25Z"))
    );
    assert_eq!(a.key_pairs[0].create_time, Some(want));
    let alice = a.user("alice").unwrap();
    assert_eq!(
        alice.access_keys[0].create_date,
        Some(ts("2020-01-01T00:00:00.5Z"))
    );
    assert_eq!(
        alice.access_keys[0]
            .last_used
            .as_ref()
            .unwrap()
            .service_name
            .as_deref(),
        Some("ec2")
    );

    // Empty strings are absent values, not errors; unknown fields are ignored.
    let i = a.instance("i-epochsec").unwrap();
    assert_eq!(i.public_ip, None);
    assert_eq!(a.instance("i-iso").unwrap().key_name, None);
    // Groups and IPv6 come from the instance's interfaces too.
    assert_eq!(i.security_group_ids, ["sg-a", "sg-b"]);
    assert_eq!(
        i.ipv6_addresses,
        ["2001:db8::5".parse::<std::net::Ipv6Addr>().unwrap()]
    );
    assert_eq!(i.region, "eu-central-1");
    assert_eq!(i.account.as_deref(), Some("123456789012"));

    // A JSON array of pages and JSON lines of pages both merge.
    assert_eq!(a.security_groups.len(), 2);
    assert_eq!(a.subnets.len(), 2);
    let sg_a = a.security_group("sg-a").unwrap();
    assert_eq!(sg_a.ingress.len(), 4, "{:?}", sg_a.ingress);
    assert!(
        sg_a.ingress
            .iter()
            .any(|r| matches!(r.source, RuleSource::Cidr6(n) if n.prefix_len() == 0))
    );
    assert_eq!(sg_a.ingress[1].description.as_deref(), Some("office"));
    assert_eq!(sg_a.egress[0].protocol, "-1");
    assert_eq!(sg_a.egress[0].from_port, None);
    let sg_b = a.security_group("sg-b").unwrap();
    assert_eq!(
        sg_b.ingress[0].protocol, "tcp",
        "protocol numbers are normalised"
    );
    assert_eq!(
        sg_b.ingress[0].source,
        RuleSource::PrefixList("pl-1".into())
    );

    // Two bad files: each named, with the JSON path when the shape is wrong; the rest loaded.
    assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
    let vpcs = report
        .errors
        .iter()
        .find(|e| e.path.ends_with("ec2-describe-vpcs.json"))
        .unwrap();
    assert_eq!(vpcs.json_path.as_deref(), Some("Vpcs[1].CidrBlock"));
    assert!(vpcs.to_string().contains("10.999.0.0/16"), "{vpcs}");
    let routes = report
        .errors
        .iter()
        .find(|e| e.path.ends_with("ec2-describe-route-tables.json"))
        .unwrap();
    assert!(
        routes.message.contains("not valid JSON"),
        "{}",
        routes.message
    );
    assert!(a.vpcs.is_empty() && a.route_tables.is_empty());
    assert!(report.has_errors());

    // Unknown files are listed, not errors.
    assert_eq!(report.unrecognised, [dir.join("notes.json")]);
}

#[test]
fn account_and_region_folders() {
    let dir = fixture("multi");
    let (a, report) = cloud::load(&dir).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(a.account_ids, ["111122223333", "444455556666"]);
    assert_eq!(a.regions, ["eu-west-1", "us-east-1"]);
    assert_eq!(
        report.unrecognised,
        [dir.join("444455556666/notes")],
        "a folder that is neither a region nor an account"
    );

    let east = a.instance("i-east").unwrap();
    assert_eq!(
        (east.region.as_str(), east.account.as_deref()),
        ("us-east-1", Some("111122223333"))
    );
    assert_eq!(east.disable_api_termination, Some(true));
    assert_eq!(east.shutdown_behavior.as_deref(), Some("terminate"));
    assert!(east.metadata_options.as_ref().unwrap().allows_imdsv1());
    // An interface embedded in one region's instances is attached to its own instance, and to
    // no instance of another region.
    let enis = a.enis_of_instance("i-east");
    assert_eq!(enis.len(), 1);
    assert_eq!(enis[0].id, "eni-east");
    assert!(enis[0].from_instance_only);
    assert_eq!(
        enis[0].attachment.as_ref().unwrap().instance_id.as_deref(),
        Some("i-east")
    );
    let west = a.instance("i-west").unwrap();
    assert_eq!(west.region, "eu-west-1");
    assert!(a.enis_of_instance("i-west").is_empty());
    let other = a.instance("i-other").unwrap();
    assert_eq!(other.account.as_deref(), Some("444455556666"));

    // The same key name in two accounts: key pair lookups keep them apart.
    assert_eq!(a.instances_by_key_name("ops").len(), 3);
    let kp = a
        .key_pair(Some("444455556666"), "us-east-1", "ops")
        .unwrap();
    assert_eq!(kp.public_key.as_deref(), Some("ssh-rsa AAAAB3Nza ops"));
    let users: Vec<&str> = a
        .instances_using_key_pair(kp)
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(users, ["i-other"]);
    assert!(
        a.key_pair(Some("111122223333"), "us-east-1", "ops")
            .is_none()
    );

    // Instance → profile → role → policies.
    let profile = a.instance_profile_of_instance("i-east").unwrap();
    assert_eq!(profile.name, "web-profile");
    let roles = a.roles_of_instance("i-east");
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].name, "web-role");
    assert_eq!(
        roles[0].last_used.as_ref().unwrap().date,
        Some(ts("2024-05-04T00:00:00Z"))
    );
    assert_eq!(
        roles[0].trust_policy.as_ref().unwrap()["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );
    let policies = a.attached_policies_of_role(roles[0]);
    assert_eq!(
        policies[0].document.as_ref().unwrap()["Statement"][0]["Action"],
        "s3:GetObject",
        "the default version's document"
    );

    // Subnets: explicit NACL and route table, or the VPC's default / main.
    assert_eq!(a.nacl_of_subnet("subnet-e2").unwrap().id, "acl-tight");
    assert_eq!(a.nacl_of_subnet("subnet-e1").unwrap().id, "acl-default");
    assert_eq!(a.route_table_of_subnet("subnet-e1").unwrap().id, "rtb-main");
    let public = a.route_table_of_subnet("subnet-e2").unwrap();
    assert_eq!(public.id, "rtb-pub");
    let targets: Vec<&RouteTarget> = public.routes.iter().map(|r| &r.target).collect();
    assert_eq!(
        targets,
        [
            &RouteTarget::InternetGateway,
            &RouteTarget::EgressOnlyInternetGateway,
            &RouteTarget::VpcEndpoint,
            &RouteTarget::VpcPeering
        ]
    );
    assert_eq!(
        public.routes[2].destination,
        RouteDestination::PrefixList("pl-s3".into())
    );
    assert_eq!(public.routes[3].state, RouteState::Blackhole);
    assert_eq!(a.subnet("subnet-e2").unwrap().cidrs_v6.len(), 1);

    // NACL entries in evaluation order, protocols normalised, IPv6 and ICMP kept.
    let tight = a.network_acl("acl-tight").unwrap();
    let order: Vec<(bool, i32)> = tight
        .entries
        .iter()
        .map(|e| (e.egress, e.rule_number))
        .collect();
    assert_eq!(order, [(false, 100), (false, 200), (true, 110)]);
    assert_eq!(tight.entries[0].action, NaclAction::Deny);
    assert!(tight.entries[0].cidr_v6.is_some() && tight.entries[0].cidr_v4.is_none());
    assert_eq!(tight.entries[0].port_range, Some((22, 22)));
    assert_eq!(tight.entries[2].protocol, "icmp");
    assert_eq!(tight.entries[2].icmp_type_code, Some((8, -1)));
    let default = a.network_acl("acl-default").unwrap();
    assert_eq!(default.entries[0].rule_number, 100);

    // A multi-region trail listed in two regions is one trail, with its home copy's status.
    assert_eq!(a.trails.len(), 1);
    let t = &a.trails[0];
    assert_eq!(t.region, "us-east-1");
    assert_eq!(
        t.status.as_ref().unwrap().latest_delivery_time,
        Some(ts("2024-05-05T00:00:00Z"))
    );
    assert!(t.selectors_known);
    assert_eq!(
        t.advanced_event_selectors[0].field_selectors[1].field,
        "readOnly"
    );
    assert!(
        !report
            .missing
            .iter()
            .any(|m| m.file.starts_with("cloudtrail-get-trail-status")),
        "the shadow copy in eu-west-1 needs no status file: {:?}",
        report.missing
    );

    // Launch template versions, sorted; GuardDuty; SSM; region settings.
    let lt = a.launch_template("lt-1").unwrap();
    let keys: Vec<Option<&str>> = lt.versions.iter().map(|v| v.key_name.as_deref()).collect();
    assert_eq!(keys, [Some("old-key"), Some("ops")]);
    assert!(lt.versions[0].is_default);
    assert_eq!(a.guardduty_detectors[0].status.as_deref(), Some("ENABLED"));
    assert!(a.is_ssm_managed("i-east"));
    assert!(!a.is_ssm_managed("i-west"));
    let settings = a
        .region_settings(Some("111122223333"), "us-east-1")
        .unwrap();
    assert_eq!(settings.ebs_encryption_by_default, Some(false));
    assert_eq!(
        settings
            .imds_defaults
            .as_ref()
            .unwrap()
            .http_tokens
            .as_deref(),
        Some("required")
    );
    assert!(
        a.region_settings(Some("111122223333"), "eu-west-1")
            .is_none()
    );

    // IAM: details + list-users + per-user files + credential report.
    let alice = a.user("alice").unwrap();
    assert_eq!(alice.groups, ["admins"]);
    assert_eq!(alice.password_last_used, Some(ts("2024-05-02T08:00:00Z")));
    assert!(alice.login_profile.is_some() && alice.login_profile_known);
    assert!(alice.mfa_known && alice.mfa_devices.is_empty());
    assert_eq!(alice.inline_policies[0].document["Version"], "2012-10-17");
    let ci = a.user("ci").unwrap();
    assert!(
        ci.login_profile_known && ci.login_profile.is_none(),
        "listed, no profile file, no gap"
    );
    assert!(!ci.ssh_keys_known && !ci.access_keys_known);
    assert_eq!(
        a.group("admins").unwrap().attached_policies[0]
            .name
            .as_deref(),
        Some("AdministratorAccess")
    );
    assert_eq!(a.password_policy(None).unwrap().minimum_length, Some(14));
    assert_eq!(a.credential_report.len(), 3);
    let ci_row = a.credential_report_row("ci").unwrap();
    assert_eq!(ci_row.access_key_1.active, Some(true));
    assert_eq!(
        ci_row.access_key_2.last_rotated,
        Some(ts("2023-01-01T00:00:00Z"))
    );
    assert_eq!(ci_row.account.as_deref(), Some("111122223333"));

    // Gaps from collect, with the account of the folder.
    assert_eq!(a.gaps.len(), 1);
    assert_eq!(a.gaps[0].account.as_deref(), Some("111122223333"));
    assert!(a.gaps[0].access_denied);

    // Per-user files missing for ci, counted once.
    let ssh = report
        .missing
        .iter()
        .find(|m| m.file == "iam-list-ssh-public-keys-<user>.json")
        .unwrap();
    assert_eq!(
        (ssh.count, ssh.account.as_deref()),
        (1, Some("111122223333"))
    );
}

#[test]
fn a_stray_file_at_the_top_is_not_a_flat_dump() {
    let dir = tempfile::tempdir().unwrap();
    let region = dir.path().join("eu-north-1");
    std::fs::create_dir(&region).unwrap();
    std::fs::write(
        region.join("ec2-describe-key-pairs.json"),
        r#"{"KeyPairs": [{"KeyName": "k"}]}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("README.json"), "{}").unwrap();
    let (a, report) = cloud::load(dir.path()).unwrap();
    assert_eq!(a.key_pairs[0].region, "eu-north-1");
    assert_eq!(a.regions, ["eu-north-1"]);
    assert_eq!(report.unrecognised, [dir.path().join("README.json")]);
    // Regional files are reported missing for the region folder only, not for the top.
    assert!(
        report
            .missing
            .iter()
            .filter(|m| m.file == "ec2-describe-instances.json")
            .all(|m| m.region.as_deref() == Some("eu-north-1")),
        "{:?}",
        report.missing
    );
}

#[test]
fn a_missing_folder_is_an_error() {
    let err = cloud::load(Path::new("/nonexistent/snapshot")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/snapshot"), "{err}");
}

#[test]
fn an_empty_folder_loads_empty_and_reports_everything_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, report) = cloud::load(dir.path()).unwrap();
    assert!(a.instances.is_empty() && a.users.is_empty());
    assert!(report.errors.is_empty());
    assert_eq!(report.missing.len(), cloud::GLOBAL_FILES.len());
}

/// The large regional files are parsed ahead, in parallel: a bad one is still reported by name
/// (with its JSON path), and the others still load.
#[test]
fn a_bad_file_among_the_prefetched_ones_is_named_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let region = dir.path().join("eu-west-1");
    std::fs::create_dir(&region).unwrap();
    std::fs::write(
        region.join("ec2-describe-instances.json"),
        r#"{"Reservations": [{"Instances": [{"InstanceId": "i-1", "LaunchTime": "yesterday"}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        region.join("ec2-describe-volumes.json"),
        r#"{"Volumes": [{"VolumeId": "vol-1", "Encrypted": false}]}"#,
    )
    .unwrap();
    std::fs::write(
        region.join("ec2-describe-security-groups.json"),
        r#"{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp""#,
    )
    .unwrap();
    let (a, report) = cloud::load(dir.path()).unwrap();
    assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
    let instances = report
        .errors
        .iter()
        .find(|e| e.path.ends_with("ec2-describe-instances.json"))
        .unwrap();
    assert_eq!(
        instances.json_path.as_deref(),
        Some("Reservations[0].Instances[0].LaunchTime")
    );
    let groups = report
        .errors
        .iter()
        .find(|e| e.path.ends_with("ec2-describe-security-groups.json"))
        .unwrap();
    assert!(groups.message.contains("not valid JSON"), "{groups}");
    assert!(a.instances.is_empty() && a.security_groups.is_empty());
    assert_eq!(a.volumes.len(), 1);
    assert_eq!(a.volumes[0].region, "eu-west-1");
}

/// describe-instances and describe-volumes as one response each (the loader splits their lists
/// and parses the parts on every core).
fn many_instances(bad_at: Option<usize>) -> (String, String) {
    let reservations: Vec<String> = (0..300)
        .map(|r| {
            let instances: Vec<String> = (0..3)
                .map(|k| {
                    let n = r * 3 + k;
                    let launch = if bad_at == Some(n) {
                        "yesterday".to_string()
                    } else {
                        format!("2024-06-01T00:00:{:02}+00:00", n % 60)
                    };
                    format!(
                        r#"{{"InstanceId":"i-{n:05}","LaunchTime":"{launch}","KeyName":"k \"{k}\"","Tags":[{{"Key":"Name","Value":"h{n}]}}"}}],"NetworkInterfaces":[{{"NetworkInterfaceId":"eni-{n:05}","Groups":[{{"GroupId":"sg-{k}"}}],"Attachment":{{"DeviceIndex":0}}}}],"State":{{"Name":"running"}}}}"#
                    )
                })
                .collect();
            format!(
                r#"{{"OwnerId":"111122223333","ReservationId":"r-{r}","Instances":[{}]}}"#,
                instances.join(",")
            )
        })
        .collect();
    let volumes: Vec<String> = (0..300)
        .map(|v| format!(r#"{{"VolumeId":"vol-{v:05}","Encrypted":{}}}"#, v % 2 == 0))
        .collect();
    (
        format!(
            "{{\n  \"Reservations\": [{}],\n  \"NextToken\": null\n}}\n",
            reservations.join(",\n")
        ),
        format!(r#"{{"Volumes":[{}]}}"#, volumes.join(",")),
    )
}

fn load_region(instances: &str, volumes: &str) -> (cloud::Account, cloud::LoadReport) {
    let dir = tempfile::tempdir().unwrap();
    let region = dir.path().join("eu-west-1");
    std::fs::create_dir(&region).unwrap();
    std::fs::write(region.join("ec2-describe-instances.json"), instances).unwrap();
    std::fs::write(region.join("ec2-describe-volumes.json"), volumes).unwrap();
    cloud::load(dir.path()).unwrap()
}

fn model_json(a: &cloud::Account) -> String {
    serde_json::to_string(a).unwrap()
}

/// The parallel parse of one large response gives the model the ordinary (sequential) parse
/// gives: the same text as a one-page array goes through the page merge, never split.
#[test]
fn a_split_parse_gives_the_model_the_sequential_one_gives() {
    let (instances, volumes) = many_instances(None);
    let (split, report) = load_region(&instances, &volumes);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(split.instances.len(), 900);
    assert_eq!(split.volumes.len(), 300);
    assert_eq!(split.instances[899].id, "i-00899");
    assert_eq!(split.instances[5].key_name.as_deref(), Some("k \"2\""));
    let (paged, report) = load_region(&format!("[{instances}]"), &format!("[{volumes}]"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(model_json(&split), model_json(&paged));
}

/// A bad element deep in a split list is still reported with the file and its JSON path, and the
/// other files load.
#[test]
fn a_bad_element_in_a_split_list_is_named_with_its_path() {
    let (instances, volumes) = many_instances(Some(700));
    let (a, report) = load_region(&instances, &volumes);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let e = &report.errors[0];
    assert!(
        e.path.ends_with("eu-west-1/ec2-describe-instances.json"),
        "{e}"
    );
    assert_eq!(
        e.json_path.as_deref(),
        Some("Reservations[233].Instances[1].LaunchTime")
    );
    assert!(a.instances.is_empty());
    assert_eq!(a.volumes.len(), 300);
    // A syntax error: named with the file, the rest loads.
    let (a, report) = load_region(&instances.replace("\"r-5\"", "\"r-5"), &volumes);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].message.contains("not valid JSON"),
        "{}",
        report.errors[0]
    );
    assert_eq!(a.volumes.len(), 300);
}
