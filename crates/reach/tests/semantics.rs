//! One test (or more) per statement of reachability-semantics.md; each name starts with the id.

mod common;

use common::*;
use reach::limits::Limits;
use reach::{Effect, Service, State, Verdict};

const CLIENT: &str = "203.0.113.5";
const CLIENT6: &str = "2001:db8::5";

// ---------------------------------------------------------------- security groups

#[test]
fn sg1_groups_attach_per_interface() {
    let mut b = public_vpc();
    b.sg("sg-none", "vpc-1", vec![], all_out());
    // A second interface of i-web, in the same subnet, with a group that opens nothing.
    b.input.interfaces.push(reach::input::Interface {
        id: "eni-web2".into(),
        subnet_id: "subnet-pub".into(),
        vpc_id: "vpc-1".into(),
        instance_id: Some("i-web".into()),
        private_ipv4: vec![reach::input::PrivateIpv4 {
            address: "10.0.1.11".parse().unwrap(),
            public: Some(reach::input::PublicIpv4 {
                address: "54.0.0.11".parse().unwrap(),
                elastic: true,
            }),
        }],
        group_ids: vec!["sg-none".into()],
        interface_type: "interface".into(),
        ..Default::default()
    });
    b.input.instances[0].interface_ids.push("eni-web2".into());
    let n = b.build();
    let a = ask(&n, "i-web", tcp(22), CLIENT);
    assert_eq!(a.paths.len(), 2);
    assert_eq!(a.paths[0].trace.verdict, Verdict::Reachable);
    assert_eq!(a.paths[1].trace.verdict, Verdict::Blocked);
    assert_eq!(a.verdict, Verdict::Reachable);
    assert_eq!(
        path(&n, "eni-web2", tcp(22), CLIENT).verdict,
        Verdict::Blocked
    );
}

#[test]
fn sg1_modify_instance_attribute_changes_only_the_primary_interface() {
    let mut b = public_vpc();
    b.host("other", "subnet-pub", "10.0.1.20", None, None, &["sg-web"]);
    b.input.instances[0].interface_ids.push("eni-other".into());
    let n = b.build();
    let scope = n.group_change_scope("i-web").unwrap();
    assert_eq!(scope.primary, "eni-web");
    assert_eq!(scope.untouched, ["eni-other"]);
    assert!(n.group_change_scope("i-nope").is_err());
}

#[test]
fn sg2_any_rule_of_any_group_allows() {
    let mut b = public_vpc();
    b.sg(
        "sg-a",
        "vpc-1",
        vec![perm("tcp", 80, 80, &["0.0.0.0/0"])],
        vec![],
    )
    .sg(
        "sg-b",
        "vpc-1",
        vec![perm("tcp", 443, 443, &["198.51.100.0/24"])],
        vec![],
    )
    .host(
        "two",
        "subnet-pub",
        "10.0.1.30",
        Some("54.0.0.30"),
        None,
        &["sg-a", "sg-b"],
    );
    let n = b.build();
    assert_eq!(
        path(&n, "i-two", tcp(80), CLIENT).verdict,
        Verdict::Reachable
    );
    let t = path(&n, "i-two", tcp(443), "198.51.100.7");
    assert_eq!(t.verdict, Verdict::Reachable);
    assert!(t.steps.iter().any(|s| s.id == "sg-b"
        && s.effect == Effect::Allow
        && s.detail.contains("tcp 443 from 198.51.100.0/24")));
    // Neither group opens 443 to 203.0.113.5: blocked, the group step says so.
    let t = path(&n, "i-two", tcp(443), CLIENT);
    assert_eq!(t.verdict, Verdict::Blocked);
    let (el, why) = blocker(&t).unwrap();
    assert_eq!(el, "security-group");
    assert!(why.contains("sg-a, sg-b"), "{why}");
}

#[test]
fn sg3_group_without_rules_allows_nothing_that_way() {
    let mut b = public_vpc();
    b.sg("sg-empty", "vpc-1", vec![], vec![])
        .host("mute", "subnet-priv", "10.0.2.5", None, None, &["sg-empty"])
        .sg(
            "sg-in",
            "vpc-1",
            vec![perm("tcp", 22, 22, &["10.0.0.0/16"])],
            all_out(),
        )
        .host("target", "subnet-priv", "10.0.2.6", None, None, &["sg-in"]);
    let n = b.build();
    // No inbound rules: nothing in.
    assert_eq!(
        path(&n, "i-mute", tcp(22), "10.0.2.6").verdict,
        Verdict::Blocked
    );
    // No outbound rules: new outbound is blocked at the source.
    let t = path(&n, "i-target", tcp(22), "i-mute");
    assert_eq!(t.verdict, Verdict::Blocked);
    assert!(
        blocker(&t)
            .unwrap()
            .1
            .contains("no outbound rule of sg-empty")
    );
    // With an outbound rule it passes.
    assert_eq!(
        path(&n, "i-target", tcp(22), "i-web").verdict,
        Verdict::Reachable
    );
}

#[test]
fn sg4_default_group_admits_its_own_members() {
    let mut b = public_vpc();
    b.sg(
        "sg-default",
        "vpc-1",
        vec![perm_sg("-1", 0, 0, "sg-default")],
        vec![perm("-1", 0, 0, &["0.0.0.0/0", "::/0"])],
    )
    .host(
        "d1",
        "subnet-priv",
        "10.0.2.11",
        None,
        None,
        &["sg-default"],
    )
    .host(
        "d2",
        "subnet-pub",
        "10.0.1.12",
        Some("54.0.0.12"),
        None,
        &["sg-default"],
    );
    let n = b.build();
    for port in [22, 5432, 65535] {
        assert_eq!(
            path(&n, "i-d2", tcp(port), "i-d1").verdict,
            Verdict::Reachable
        );
    }
    assert_eq!(
        path(&n, "i-d2", Service::udp(53), "i-d1").verdict,
        Verdict::Reachable
    );
    // Not a member: nothing.
    assert_eq!(path(&n, "i-d2", tcp(22), "i-web").verdict, Verdict::Blocked);
    assert_eq!(path(&n, "i-d2", tcp(22), CLIENT).verdict, Verdict::Blocked);
}

#[test]
fn sg5_protocol_all_and_unknown_protocols_ignore_ports() {
    let mut b = public_vpc();
    b.sg(
        "sg-all",
        "vpc-1",
        vec![perm("-1", 22, 22, &["0.0.0.0/0"])],
        vec![],
    )
    .sg(
        "sg-gre",
        "vpc-1",
        vec![perm("47", 22, 22, &["0.0.0.0/0"])],
        vec![],
    )
    .host(
        "all",
        "subnet-pub",
        "10.0.1.40",
        Some("54.0.0.40"),
        None,
        &["sg-all"],
    )
    .host(
        "gre",
        "subnet-pub",
        "10.0.1.41",
        Some("54.0.0.41"),
        None,
        &["sg-gre"],
    );
    let n = b.build();
    assert_eq!(
        path(&n, "i-all", tcp(8080), CLIENT).verdict,
        Verdict::Reachable
    );
    assert_eq!(
        path(&n, "i-all", Service::udp(9), CLIENT).verdict,
        Verdict::Reachable
    );
    let gre = Service {
        protocol: 47,
        value: 0,
    };
    assert_eq!(path(&n, "i-gre", gre, CLIENT).verdict, Verdict::Reachable);
    assert_eq!(path(&n, "i-gre", tcp(22), CLIENT).verdict, Verdict::Blocked);
}

#[test]
fn sg5_port_ranges_are_inclusive() {
    let mut b = public_vpc();
    b.sg(
        "sg-range",
        "vpc-1",
        vec![perm("tcp", 20, 22, &["0.0.0.0/0"])],
        vec![],
    )
    .host(
        "r",
        "subnet-pub",
        "10.0.1.42",
        Some("54.0.0.42"),
        None,
        &["sg-range"],
    );
    let n = b.build();
    assert_eq!(path(&n, "i-r", tcp(20), CLIENT).verdict, Verdict::Reachable);
    assert_eq!(path(&n, "i-r", tcp(22), CLIENT).verdict, Verdict::Reachable);
    assert_eq!(path(&n, "i-r", tcp(23), CLIENT).verdict, Verdict::Blocked);
    assert_eq!(path(&n, "i-r", tcp(19), CLIENT).verdict, Verdict::Blocked);
    assert_eq!(
        path(&n, "i-r", Service::udp(21), CLIENT).verdict,
        Verdict::Blocked
    );
}

#[test]
fn sg5_icmp_type_and_code() {
    let mut b = public_vpc();
    b.sg(
        "sg-ping",
        "vpc-1",
        vec![
            perm("icmp", 8, -1, &["0.0.0.0/0"]),
            perm("icmp", 3, 4, &["0.0.0.0/0"]),
        ],
        vec![],
    )
    .host(
        "p",
        "subnet-pub",
        "10.0.1.43",
        Some("54.0.0.43"),
        None,
        &["sg-ping"],
    );
    let n = b.build();
    let echo = Service::icmp(1, 8, 0);
    assert_eq!(path(&n, "i-p", echo, CLIENT).verdict, Verdict::Reachable);
    assert_eq!(
        path(&n, "i-p", Service::icmp(1, 3, 4), CLIENT).verdict,
        Verdict::Reachable
    );
    assert_eq!(
        path(&n, "i-p", Service::icmp(1, 3, 3), CLIENT).verdict,
        Verdict::Blocked
    );
    assert_eq!(
        path(&n, "i-p", Service::icmp(1, 13, 0), CLIENT).verdict,
        Verdict::Blocked
    );
}

#[test]
fn sg6_families_are_separate() {
    let mut b = public_vpc();
    b.sg(
        "sg-v6",
        "vpc-1",
        vec![perm("tcp", 443, 443, &["::/0"])],
        vec![],
    )
    .host(
        "dual",
        "subnet-pub",
        "10.0.1.50",
        Some("54.0.0.50"),
        Some("2600:1f18:0:1::50"),
        &["sg-web", "sg-v6"],
    );
    let n = b.build();
    // 0.0.0.0/0 on 22 never matches an IPv6 client; ::/0 on 443 never an IPv4 client.
    assert_eq!(
        path(&n, "i-dual", tcp(22), CLIENT).verdict,
        Verdict::Reachable
    );
    assert_eq!(
        path(&n, "i-dual", tcp(22), CLIENT6).verdict,
        Verdict::Blocked
    );
    assert_eq!(
        path(&n, "i-dual", tcp(443), CLIENT6).verdict,
        Verdict::Reachable
    );
    assert_eq!(
        path(&n, "i-dual", tcp(443), CLIENT).verdict,
        Verdict::Blocked
    );
}

#[test]
fn sg7_reference_matches_private_addresses_of_members() {
    let mut b = public_vpc();
    b.sg(
        "sg-app",
        "vpc-1",
        vec![perm_sg("tcp", 5432, 5432, "sg-web")],
        all_out(),
    )
    .host("db", "subnet-priv", "10.0.2.20", None, None, &["sg-app"])
    .sg("sg-other", "vpc-1", vec![], all_out())
    .host(
        "stranger",
        "subnet-pub",
        "10.0.1.21",
        None,
        None,
        &["sg-other"],
    );
    let n = b.build();
    let t = path(&n, "i-db", tcp(5432), "i-web");
    assert_eq!(t.verdict, Verdict::Reachable, "{}", show(&t));
    assert!(
        t.steps
            .iter()
            .any(|s| s.statement == "SG7" && s.detail.contains("members of sg-web"))
    );
    // The member's private address given as an address: it is that interface.
    assert_eq!(
        path(&n, "i-db", tcp(5432), "10.0.1.10").verdict,
        Verdict::Reachable
    );
    // Not a member.
    assert_eq!(
        path(&n, "i-db", tcp(5432), "i-stranger").verdict,
        Verdict::Blocked
    );
    // The member's public address on the internet never matches a reference.
    assert_eq!(
        path(&n, "i-db", tcp(5432), "54.0.0.10").verdict,
        Verdict::Blocked
    );
    // The reference does not import sg-web's rules: tcp 22 from the internet is not allowed on db.
    assert_eq!(
        path(&n, "i-db", tcp(22), "i-stranger").verdict,
        Verdict::Blocked
    );
}

#[test]
fn sg7_stale_references_match_nothing() {
    let mut b = public_vpc();
    b.sg(
        "sg-app",
        "vpc-1",
        vec![perm_sg("tcp", 5432, 5432, "sg-deleted")],
        all_out(),
    )
    .host("db", "subnet-priv", "10.0.2.20", None, None, &["sg-app"]);
    let n = b.build();
    let t = path(&n, "i-db", tcp(5432), "i-web");
    assert_eq!(t.verdict, Verdict::Blocked);
    let why = blocker(&t).unwrap().1;
    assert!(
        why.contains("sg-deleted (stale: sg-deleted no longer exists)"),
        "{why}"
    );
    // Another account's group: unknown, not stale.
    let mut b = public_vpc();
    let mut p = perm_sg("tcp", 5432, 5432, "sg-elsewhere");
    p.groups[0].user_id = Some("444455556666".into());
    b.sg("sg-app", "vpc-1", vec![p], all_out()).host(
        "db",
        "subnet-priv",
        "10.0.2.20",
        None,
        None,
        &["sg-app"],
    );
    let n = b.build();
    let ans = n
        .sources("i-db", tcp(5432), reach::DEFAULT_CLIENT_PORTS)
        .unwrap();
    assert!(matches!(ans.groups[0].state, reach::RefState::Unknown(_)));
}

#[test]
fn sg8_middlebox_route_stops_references() {
    let mut b = public_vpc();
    b.sg(
        "sg-app",
        "vpc-1",
        vec![
            perm_sg("tcp", 5432, 5432, "sg-web"),
            perm("tcp", 6432, 6432, &["10.0.1.0/24"]),
        ],
        all_out(),
    )
    .host("db", "subnet-priv", "10.0.2.20", None, None, &["sg-app"]);
    // Traffic from the public subnet to the private one goes through a firewall appliance.
    b.input.route_tables[1].routes.push(reach::input::Route {
        destination: reach::input::RouteDestination::Cidr("10.0.2.0/24".parse().unwrap()),
        target: "eni-firewall".into(),
        propagated: false,
        active: true,
    });
    let n = b.build();
    let t = path(&n, "i-db", tcp(5432), "i-web");
    assert_eq!(t.verdict, Verdict::Blocked, "{}", show(&t));
    assert!(t.via_appliance);
    assert!(t.steps.iter().any(|s| s.statement == "SG8"));
    // A CIDR rule still matches through the middlebox.
    assert_eq!(
        path(&n, "i-db", tcp(6432), "i-web").verdict,
        Verdict::Reachable
    );
}

#[test]
fn sg9_prefix_lists_expand_to_their_cidrs() {
    let mut b = public_vpc();
    b.input.prefix_lists.push(reach::input::PrefixList {
        id: "pl-office".into(),
        name: "office".into(),
        cidrs: vec![
            "198.51.100.0/24".parse().unwrap(),
            "192.0.2.0/28".parse().unwrap(),
        ],
        max_entries: Some(70),
    });
    b.sg(
        "sg-pl",
        "vpc-1",
        vec![perm("tcp", 22, 22, &["pl-office"])],
        vec![],
    )
    .host(
        "pl",
        "subnet-pub",
        "10.0.1.60",
        Some("54.0.0.60"),
        None,
        &["sg-pl"],
    );
    let n = b.build();
    assert_eq!(
        path(&n, "i-pl", tcp(22), "192.0.2.9").verdict,
        Verdict::Reachable
    );
    assert_eq!(
        path(&n, "i-pl", tcp(22), "192.0.2.17").verdict,
        Verdict::Blocked
    );
    assert_eq!(
        path(&n, "i-pl", tcp(22), "198.51.100.200").verdict,
        Verdict::Reachable
    );
    // It counts as its max entries toward the quota.
    let notes = n.check_limits(&Limits::CURRENT);
    assert!(
        notes
            .iter()
            .any(|x| x.id == "sg-pl" && x.detail.contains("70 inbound ipv4")),
        "{notes:?}"
    );
}

#[test]
fn sg10_tracked_replies_need_no_outbound_rule() {
    let mut b = public_vpc();
    b.sg(
        "sg-narrow",
        "vpc-1",
        vec![perm("tcp", 22, 22, &["203.0.113.5/32"])],
        vec![],
    )
    .host(
        "n",
        "subnet-pub",
        "10.0.1.70",
        Some("54.0.0.70"),
        None,
        &["sg-narrow"],
    );
    let n = b.build();
    let t = path(&n, "i-n", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::Reachable);
    let tr = t.tracking.unwrap();
    assert!(tr.tracked);
    assert!(!tr.rule_removal_cuts_open_connections);
    // Other protocols are tracked by address and protocol.
    let mut b = public_vpc();
    b.sg(
        "sg-gre",
        "vpc-1",
        vec![perm("47", 0, 0, &["0.0.0.0/0"])],
        all_out(),
    )
    .host(
        "g",
        "subnet-pub",
        "10.0.1.71",
        Some("54.0.0.71"),
        None,
        &["sg-gre"],
    );
    let t = path(
        &b.build(),
        "i-g",
        Service {
            protocol: 47,
            value: 0,
        },
        CLIENT,
    );
    assert!(t.tracking.unwrap().why.contains("SG10"));
}

#[test]
fn sg11_any_source_with_all_outbound_is_untracked() {
    let n = public_vpc().build();
    let t = path(&n, "i-web", tcp(22), CLIENT);
    let tr = t.tracking.unwrap();
    assert!(!tr.tracked, "{tr:?}");
    // Remove the IPv4 all-outbound rule: tracked again.
    let mut b = public_vpc();
    b.input.security_groups[0].outbound = vec![perm("-1", 0, 0, &["::/0"])];
    let t = path(&b.build(), "i-web", tcp(22), CLIENT);
    assert!(t.tracking.unwrap().tracked);
    // ICMP is always tracked.
    let mut b = public_vpc();
    b.input.security_groups[0]
        .inbound
        .push(perm("icmp", -1, -1, &["0.0.0.0/0"]));
    let t = path(&b.build(), "i-web", Service::icmp(1, 8, 0), CLIENT);
    assert!(t.tracking.unwrap().tracked);
}

#[test]
fn sg12_only_untracked_flows_are_cut_when_the_rule_goes() {
    let n = public_vpc().build();
    assert!(
        path(&n, "i-web", tcp(22), CLIENT)
            .tracking
            .unwrap()
            .rule_removal_cuts_open_connections
    );
    let mut b = public_vpc();
    b.input.security_groups[0].inbound = vec![perm("tcp", 22, 22, &["203.0.113.0/24"])];
    let t = path(&b.build(), "i-web", tcp(22), CLIENT);
    assert!(!t.tracking.unwrap().rule_removal_cuts_open_connections);
}

#[test]
fn sg13_transit_gateway_flows_are_tracked_automatically() {
    let mut b = public_vpc();
    b.sg(
        "sg-corp",
        "vpc-1",
        vec![perm("tcp", 22, 22, &["0.0.0.0/0"])],
        all_out(),
    )
    .host("c", "subnet-priv", "10.0.2.80", None, None, &["sg-corp"]);
    b.input.route_tables[2].routes.push(reach::input::Route {
        destination: reach::input::RouteDestination::Cidr("172.16.0.0/12".parse().unwrap()),
        target: "tgw-1".into(),
        propagated: false,
        active: true,
    });
    let n = b.build();
    let t = path(&n, "i-c", tcp(22), "172.16.5.5");
    assert_eq!(t.verdict, Verdict::Reachable, "{}", show(&t));
    let tr = t.tracking.unwrap();
    assert!(tr.tracked && tr.why.contains("SG13"), "{tr:?}");
}

// ---------------------------------------------------------------- network ACLs

#[test]
fn n1_a_subnet_without_association_uses_the_default_nacl() {
    let mut b = public_vpc();
    b.nacl("acl-closed", "vpc-1", &["subnet-priv"], &[]);
    let n = b.build();
    let t = path(&n, "i-web", tcp(22), CLIENT);
    assert!(t.steps.iter().any(|s| s.id == "acl-default-vpc-1"));
    // A subnet associated with more than one NACL is reported.
    let mut b = public_vpc();
    b.nacl("acl-x", "vpc-1", &["subnet-pub"], &[])
        .nacl("acl-y", "vpc-1", &["subnet-pub"], &[]);
    assert!(
        b.build()
            .warnings
            .iter()
            .any(|w| w.contains("more than one network ACL"))
    );
}

#[test]
fn n2_first_match_in_rule_order_decides() {
    let mut b = public_vpc();
    b.nacl(
        "acl-pub",
        "vpc-1",
        &["subnet-pub"],
        &[
            (90, false, "6", false, "203.0.113.0/24", Some((22, 22))),
            (100, false, "-1", true, "0.0.0.0/0", None),
            (100, true, "-1", true, "0.0.0.0/0", None),
        ],
    );
    let n = b.build();
    let t = path(&n, "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::Blocked);
    assert_eq!(blocker(&t).unwrap().0, "network-acl");
    assert!(blocker(&t).unwrap().1.contains("rule 90 denies"));
    assert_eq!(
        path(&n, "i-web", tcp(22), "198.51.100.1").verdict,
        Verdict::Reachable
    );
    // Entries are ordered by number, not by listing order.
    let mut b = public_vpc();
    b.nacl(
        "acl-pub",
        "vpc-1",
        &["subnet-pub"],
        &[
            (200, false, "-1", false, "0.0.0.0/0", None),
            (100, false, "6", true, "0.0.0.0/0", Some((22, 22))),
            (100, true, "-1", true, "0.0.0.0/0", None),
        ],
    );
    assert_eq!(
        path(&b.build(), "i-web", tcp(22), CLIENT).verdict,
        Verdict::Reachable
    );
}

#[test]
fn n2_no_match_is_the_implicit_deny() {
    let mut b = public_vpc();
    b.nacl(
        "acl-pub",
        "vpc-1",
        &["subnet-pub"],
        &[(100, true, "-1", true, "0.0.0.0/0", None)],
    );
    let t = path(&b.build(), "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::Blocked);
    assert!(blocker(&t).unwrap().1.contains("implicit * rule (32767)"));
}

#[test]
fn n3_nacls_do_not_apply_within_a_subnet() {
    let mut b = public_vpc();
    b.nacl("acl-closed", "vpc-1", &["subnet-pub"], &[])
        .sg(
            "sg-lan",
            "vpc-1",
            vec![perm("tcp", 22, 22, &["10.0.0.0/16"])],
            all_out(),
        )
        .host("a", "subnet-pub", "10.0.1.90", None, None, &["sg-lan"])
        .host("b", "subnet-priv", "10.0.2.90", None, None, &["sg-lan"]);
    let n = b.build();
    let t = path(&n, "i-a", tcp(22), "i-web");
    assert_eq!(t.verdict, Verdict::Reachable, "{}", show(&t));
    assert!(t.steps.iter().any(|s| s.statement == "N3"));
    // From another subnet the closed NACL applies.
    assert_eq!(path(&n, "i-a", tcp(22), "i-b").verdict, Verdict::Blocked);
}

#[test]
fn n4_replies_need_the_clients_ephemeral_ports() {
    let mut b = public_vpc();
    b.nacl(
        "acl-pub",
        "vpc-1",
        &["subnet-pub"],
        &[
            (100, false, "6", true, "0.0.0.0/0", Some((22, 22))),
            (100, true, "6", true, "0.0.0.0/0", Some((80, 80))),
        ],
    );
    let t = path(&b.build(), "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::ReachableReturnBlocked, "{}", show(&t));
    assert_eq!(t.return_ports, Some(vec![]));
    // Linux-style 32768-65535 lets some clients through, and says which.
    let mut b = public_vpc();
    b.nacl(
        "acl-pub",
        "vpc-1",
        &["subnet-pub"],
        &[
            (100, false, "6", true, "0.0.0.0/0", Some((22, 22))),
            (100, true, "6", true, "0.0.0.0/0", Some((32768, 65535))),
        ],
    );
    let t = path(&b.build(), "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::Reachable);
    assert_eq!(t.return_ports, Some(vec![(32768, 65535)]));
}

#[test]
fn n5_default_nacl_allows_all_a_custom_one_denies_all() {
    let n = public_vpc().build();
    let t = path(&n, "i-web", tcp(22), CLIENT);
    assert!(t.steps.iter().any(|s| {
        s.detail
            .contains("inbound rule 100 allows all traffic from 0.0.0.0/0")
    }));
    let mut b = public_vpc();
    b.nacl("acl-new", "vpc-1", &["subnet-pub"], &[]);
    assert_eq!(
        path(&b.build(), "i-web", tcp(22), CLIENT).verdict,
        Verdict::Blocked
    );
}

#[test]
fn n6_protocol_all_ignores_ports_and_families_stay_apart() {
    let mut b = public_vpc();
    let mut e = entries(&[
        (100, false, "-1", true, "0.0.0.0/0", Some((1, 1))),
        (100, true, "-1", true, "0.0.0.0/0", Some((1, 1))),
        // A non-canonical CIDR is canonicalized: 203.0.113.77/26 is 203.0.113.64/26.
        (50, false, "-1", false, "203.0.113.77/26", None),
    ]);
    e[0].icmp = Some((0, 0));
    b.nacl("acl-pub", "vpc-1", &["subnet-pub"], &[]);
    b.input.network_acls.last_mut().unwrap().entries = e;
    b.input.security_groups[0]
        .inbound
        .push(perm("tcp", 22, 22, &["::/0"]));
    b.input.interfaces[0]
        .ipv6
        .push("2600:1f18:0:1::10".parse().unwrap());
    let n = b.build();
    assert_eq!(
        path(&n, "i-web", tcp(22), CLIENT).verdict,
        Verdict::Reachable
    );
    // IPv4 entries never match IPv6: the implicit IPv6 deny (32768) applies.
    let t = path(&n, "i-web", tcp(22), CLIENT6);
    assert_eq!(t.verdict, Verdict::Blocked);
    assert!(blocker(&t).unwrap().1.contains("32768"));
    assert_eq!(
        path(&n, "i-web", tcp(22), "203.0.113.64").verdict,
        Verdict::Blocked
    );
    assert_eq!(
        path(&n, "i-web", tcp(22), "203.0.113.127").verdict,
        Verdict::Blocked
    );
    assert_eq!(
        path(&n, "i-web", tcp(22), "203.0.113.128").verdict,
        Verdict::Reachable
    );
}

// ---------------------------------------------------------------- routing

#[test]
fn r1_explicit_association_else_main() {
    let mut b = public_vpc();
    b.subnet("subnet-loose", "vpc-1", "10.0.3.0/24", None).host(
        "loose",
        "subnet-loose",
        "10.0.3.5",
        Some("54.0.0.35"),
        None,
        &["sg-web"],
    );
    let n = b.build();
    // The main table has only the local route: no way back to the internet.
    let t = path(&n, "i-loose", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::ReachableReturnBlocked);
    assert!(
        t.steps
            .iter()
            .any(|s| s.id == "rtb-main-vpc-1" && s.effect == Effect::Block)
    );
    let mut b2 = b;
    b2.main_routes("vpc-1", &[("0.0.0.0/0", "igw-1")]);
    let t = path(&b2.build(), "i-loose", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::Reachable);
    assert!(t.steps.iter().any(|s| {
        s.detail
            .contains("rtb-main-vpc-1 (main) route 0.0.0.0/0 -> igw-1")
    }));
}

#[test]
fn r2_longest_prefix_wins_and_static_beats_propagated() {
    let mut b = public_vpc();
    b.input.route_tables[1].routes.push(reach::input::Route {
        destination: reach::input::RouteDestination::Cidr("203.0.113.0/24".parse().unwrap()),
        target: "nat-1".into(),
        propagated: false,
        active: true,
    });
    let n = b.build();
    let t = path(&n, "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::ReachableReturnBlocked);
    assert!(blocker(&t).unwrap().1.contains("203.0.113.0/24 -> nat-1"));
    assert_eq!(
        path(&n, "i-web", tcp(22), "198.51.100.1").verdict,
        Verdict::Reachable
    );
    // Same prefix: the static route wins over the propagated one whatever the order.
    let mut b = public_vpc();
    let rt = &mut b.input.route_tables[1];
    rt.routes.insert(
        0,
        reach::input::Route {
            destination: reach::input::RouteDestination::Cidr("0.0.0.0/0".parse().unwrap()),
            target: "vgw-1".into(),
            propagated: true,
            active: true,
        },
    );
    assert_eq!(
        path(&b.build(), "i-web", tcp(22), CLIENT).verdict,
        Verdict::Reachable
    );
}

#[test]
fn r2_local_route_is_always_there() {
    let mut b = public_vpc();
    b.sg(
        "sg-lan",
        "vpc-1",
        vec![perm("tcp", 22, 22, &["10.0.0.0/16"])],
        all_out(),
    )
    .host("lan", "subnet-priv", "10.0.2.99", None, None, &["sg-lan"]);
    let n = b.build();
    // Neither table lists a local route; traffic between the subnets still flows.
    let t = path(&n, "i-lan", tcp(22), "i-web");
    assert_eq!(t.verdict, Verdict::Reachable, "{}", show(&t));
    assert!(
        t.steps
            .iter()
            .any(|s| s.detail.contains("10.0.0.0/16 -> local"))
    );
}

#[test]
fn r2_blackhole_routes_drop() {
    let mut b = public_vpc();
    b.input.route_tables[1].routes[0].active = false;
    let t = path(&b.build(), "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::ReachableReturnBlocked);
    assert!(blocker(&t).unwrap().1.contains("blackhole"));
}

#[test]
fn r3_internet_needs_gateway_public_address_and_route() {
    // All present.
    let n = public_vpc().build();
    let t = path(&n, "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::Reachable);
    assert!(
        t.steps
            .iter()
            .any(|s| s.element == "internet-gateway" && s.id == "igw-1")
    );
    assert!(
        t.steps.iter().any(|s| s.element == "public-ip"
            && s.detail.contains("54.0.0.10 maps to private 10.0.1.10"))
    );
    // No public address.
    let mut b = public_vpc();
    b.input.interfaces[0].private_ipv4[0].public = None;
    let t = path(&b.build(), "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::Blocked);
    assert_eq!(blocker(&t).unwrap().0, "public-ip");
    // No gateway.
    let mut b = public_vpc();
    b.input.internet_gateways.clear();
    let t = path(&b.build(), "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::Blocked);
    assert_eq!(blocker(&t).unwrap().0, "internet-gateway");
    // IPv6: an address and ::/0 to the igw.
    let mut b = public_vpc();
    b.input.security_groups[0]
        .inbound
        .push(perm("tcp", 22, 22, &["::/0"]));
    b.input.interfaces[0]
        .ipv6
        .push("2600:1f18:0:1::10".parse().unwrap());
    assert_eq!(
        path(&b.build(), "i-web", tcp(22), CLIENT6).verdict,
        Verdict::Reachable
    );
}

#[test]
fn r4_nat_default_route_means_no_inbound_even_with_a_public_ip() {
    let mut b = public_vpc();
    b.host(
        "hidden",
        "subnet-priv",
        "10.0.2.10",
        Some("54.0.0.99"),
        None,
        &["sg-web"],
    );
    let n = b.build();
    let t = path(&n, "i-hidden", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::ReachableReturnBlocked, "{}", show(&t));
    let (el, why) = blocker(&t).unwrap();
    assert_eq!(el, "route-table");
    assert!(
        why.contains("nat-1") && why.contains("NAT gateway"),
        "{why}"
    );
    let x = n.exposure("i-hidden").unwrap();
    assert!(!x.is_exposed());
    assert_eq!(x.entries[0].state, State::Latent);
}

#[test]
fn r4_eigw_is_not_an_internet_gateway() {
    let mut b = B::new();
    b.vpc("vpc-6", "10.6.0.0/16", Some("2600:1f18:6::/56"))
        .subnet(
            "subnet-6",
            "vpc-6",
            "10.6.1.0/24",
            Some("2600:1f18:6:1::/64"),
        )
        .igw("igw-6", "vpc-6")
        .eigw("eigw-6", "vpc-6")
        .rt(
            "rtb-6",
            "vpc-6",
            &["subnet-6"],
            &[("::/0", "eigw-6"), ("0.0.0.0/0", "igw-6")],
        )
        .sg(
            "sg-6",
            "vpc-6",
            vec![perm("tcp", 22, 22, &["::/0"])],
            all_out(),
        )
        .host(
            "six",
            "subnet-6",
            "10.6.1.5",
            None,
            Some("2600:1f18:6:1::5"),
            &["sg-6"],
        );
    let n = b.build();
    let t = path(&n, "i-six", tcp(22), CLIENT6);
    assert_eq!(t.verdict, Verdict::ReachableReturnBlocked);
    assert!(
        blocker(&t)
            .unwrap()
            .1
            .contains("eigw- is an egress-only internet gateway")
    );
    // With only the eigw attached, nothing comes in at all.
    b.input.internet_gateways.clear();
    let t = path(&b.build(), "i-six", tcp(22), CLIENT6);
    assert_eq!(t.verdict, Verdict::Blocked);
    assert!(blocker(&t).unwrap().1.contains("egress-only"));
}

#[test]
fn r5_ingress_routing_through_an_appliance_is_shown() {
    let mut b = public_vpc();
    b.input.route_tables.push(reach::input::RouteTable {
        id: "rtb-edge".into(),
        vpc_id: "vpc-1".into(),
        main: false,
        subnet_ids: vec![],
        gateway_ids: vec!["igw-1".into()],
        routes: vec![reach::input::Route {
            destination: reach::input::RouteDestination::Cidr("10.0.1.0/24".parse().unwrap()),
            target: "eni-inspect".into(),
            propagated: false,
            active: true,
        }],
    });
    let n = b.build();
    let t = path(&n, "i-web", tcp(22), CLIENT);
    assert_eq!(t.verdict, Verdict::Reachable);
    assert!(t.via_appliance);
    assert!(
        t.steps
            .iter()
            .any(|s| s.statement == "R5" && s.detail.contains("eni-inspect"))
    );
    assert!(n.exposure("i-web").unwrap().entries[0].via_appliance);
}

fn peered(status: &str, region_b: &str) -> B {
    let mut b = public_vpc();
    b.vpc("vpc-2", "10.2.0.0/16", None)
        .subnet("subnet-b", "vpc-2", "10.2.1.0/24", None)
        .rt(
            "rtb-b",
            "vpc-2",
            &["subnet-b"],
            &[("10.0.0.0/16", "pcx-12")],
        )
        .sg(
            "sg-b",
            "vpc-2",
            vec![perm_sg("tcp", 22, 22, "sg-web")],
            all_out(),
        )
        .host("peer", "subnet-b", "10.2.1.5", None, None, &["sg-b"]);
    b.input.route_tables[1].routes.push(reach::input::Route {
        destination: reach::input::RouteDestination::Cidr("10.2.0.0/16".parse().unwrap()),
        target: "pcx-12".into(),
        propagated: false,
        active: true,
    });
    b.input.vpcs[1].region = region_b.into();
    b.input.peerings.push(reach::input::Peering {
        id: "pcx-12".into(),
        status: status.into(),
        requester: reach::input::PeeringSide {
            vpc_id: "vpc-1".into(),
            owner_id: "111122223333".into(),
            region: "us-east-1".into(),
        },
        accepter: reach::input::PeeringSide {
            vpc_id: "vpc-2".into(),
            owner_id: "111122223333".into(),
            region: region_b.into(),
        },
    });
    b
}

#[test]
fn r6_peering_carries_references_and_needs_routes_both_ways() {
    let n = peered("active", "us-east-1").build();
    let t = path(&n, "i-peer", tcp(22), "i-web");
    assert_eq!(t.verdict, Verdict::Reachable, "{}", show(&t));
    // Without the route back from vpc-2 there is no way back.
    let mut b = peered("active", "us-east-1");
    b.input
        .route_tables
        .iter_mut()
        .find(|r| r.id == "rtb-b")
        .unwrap()
        .routes
        .clear();
    let t = path(&b.build(), "i-peer", tcp(22), "i-web");
    assert_ne!(t.verdict, Verdict::Reachable);
    // Inactive peering: nothing, and the reference is stale.
    let t = path(
        &peered("deleted", "us-east-1").build(),
        "i-peer",
        tcp(22),
        "i-web",
    );
    assert_eq!(t.verdict, Verdict::Blocked);
    assert!(
        t.steps
            .iter()
            .any(|s| s.element == "peering" && s.detail.contains("deleted"))
    );
    // Inter-region: routes work but references do not.
    let t = path(
        &peered("active", "eu-west-1").build(),
        "i-peer",
        tcp(22),
        "i-web",
    );
    assert_eq!(t.verdict, Verdict::Blocked);
    assert!(
        blocker(&t).unwrap().1.contains("crosses regions"),
        "{}",
        show(&t)
    );
}

#[test]
fn r6_peering_is_not_transitive() {
    let mut b = peered("active", "us-east-1");
    // vpc-3 peers with vpc-2 only; vpc-1 routes vpc-3's range to pcx-12 anyway.
    b.vpc("vpc-3", "10.3.0.0/16", None)
        .subnet("subnet-c", "vpc-3", "10.3.1.0/24", None)
        .rt(
            "rtb-c",
            "vpc-3",
            &["subnet-c"],
            &[("10.0.0.0/16", "pcx-23")],
        )
        .sg(
            "sg-c",
            "vpc-3",
            vec![perm("tcp", 22, 22, &["10.0.0.0/8"])],
            all_out(),
        )
        .host("far", "subnet-c", "10.3.1.5", None, None, &["sg-c"]);
    b.input.route_tables[1].routes.push(reach::input::Route {
        destination: reach::input::RouteDestination::Cidr("10.3.0.0/16".parse().unwrap()),
        target: "pcx-12".into(),
        propagated: false,
        active: true,
    });
    let mut p = b.input.peerings[0].clone();
    p.id = "pcx-23".into();
    p.requester.vpc_id = "vpc-2".into();
    p.accepter.vpc_id = "vpc-3".into();
    b.input.peerings.push(p);
    let t = path(&b.build(), "i-far", tcp(22), "i-web");
    assert_eq!(t.verdict, Verdict::Blocked);
    assert!(
        blocker(&t).unwrap().1.contains("not transitive"),
        "{}",
        show(&t)
    );
}

// ---------------------------------------------------------------- limits

#[test]
fn l1_current_quotas() {
    let mut b = public_vpc();
    let many: Vec<_> = (0..61)
        .map(|i| perm("tcp", 1000 + i, 1000 + i, &["0.0.0.0/0"]))
        .collect();
    b.sg("sg-big", "vpc-1", many, vec![]);
    let groups: Vec<String> = (0..6).map(|i| format!("sg-g{i}")).collect();
    for g in &groups {
        b.sg(g, "vpc-1", vec![], vec![]);
    }
    let refs: Vec<&str> = groups.iter().map(|s| s.as_str()).collect();
    b.host("six", "subnet-pub", "10.0.1.66", None, None, &refs);
    let n = b.build();
    let notes = n.check_limits(&Limits::CURRENT);
    assert!(
        notes
            .iter()
            .any(|x| x.id == "sg-big" && x.statement == "L1"),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|x| x.id == "eni-six"
            && x.detail
                .contains("6 security groups: above the default 5, so at most 60 rules per group")),
        "{notes:?}"
    );
    assert_eq!(Limits::CURRENT.rules_per_group_with(10), 60);
    assert_eq!(Limits::CURRENT.rules_per_group_with(16), 60);
    assert_eq!(Limits::CURRENT.rules_per_group_with(5), 60);
}

#[test]
fn l2_older_quotas() {
    let mut b = public_vpc();
    let many: Vec<_> = (0..55)
        .map(|i| perm("tcp", 1000 + i, 1000 + i, &["0.0.0.0/0"]))
        .collect();
    b.sg("sg-big", "vpc-1", many, vec![]);
    let n = b.build();
    assert!(n.check_limits(&Limits::CURRENT).is_empty());
    let notes = n.check_limits(&Limits::PRE_2018);
    assert!(
        notes
            .iter()
            .any(|x| x.id == "sg-big" && x.statement == "L2")
    );
    // "if you increase the limit to 10, we decrease your number of rules per security group to 25"
    assert_eq!(Limits::PRE_2018.rules_per_group_with(10), 25);
}
