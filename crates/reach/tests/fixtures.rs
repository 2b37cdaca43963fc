//! The cases other tools get wrong, each with its explained path kept as an insta snapshot.

mod common;

use common::*;
use reach::{Service, State, Verdict};

fn render(a: &reach::Answer) -> String {
    let mut s = format!(
        "{} {} from {}: {}\n",
        a.to,
        a.service,
        a.from,
        a.verdict.as_str()
    );
    for p in &a.paths {
        if let Some(src) = &p.sources {
            s.push_str(&format!("- sources {src}\n"));
        }
        if let Some(ip) = &p.source_address {
            s.push_str(&format!("- source {ip}\n"));
        }
        s.push_str(&show(&p.trace));
    }
    s
}

fn render_exposure(list: &[reach::Exposure]) -> String {
    let mut s = String::new();
    for x in list {
        for e in &x.entries {
            s.push_str(&format!(
                "{} {:?} {:?} {} from {} risk {} | {}{}\n",
                x.instance.as_deref().unwrap_or("-"),
                e.family,
                e.state,
                e.service,
                e.sources,
                e.risk,
                e.rules.join("; "),
                if e.reasons.is_empty() {
                    String::new()
                } else {
                    format!(" | {}", e.reasons.join("; "))
                }
            ));
        }
    }
    s
}

#[test]
fn nacl_deny_before_a_broad_allow() {
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
    let a = ask(&n, "i-web", tcp(22), "internet");
    assert_eq!(a.verdict, Verdict::Reachable);
    let blocked: Vec<_> = a
        .paths
        .iter()
        .filter(|p| p.trace.verdict == Verdict::Blocked)
        .collect();
    assert!(
        blocked
            .iter()
            .any(|p| p.sources.as_ref().unwrap().to_string() == "203.0.113.0/24")
    );
    insta::assert_snapshot!(render(&a));
    // The exposure map says "everywhere but 203.0.113.0/24".
    let x = n.exposure("i-web").unwrap();
    assert_eq!(
        x.entries[0].sources.to_string(),
        "0.0.0.0/0 except 203.0.113.0/24"
    );
}

#[test]
fn eigw_default_route_is_not_an_internet_gateway() {
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
            &[("0.0.0.0/0", "nat-6"), ("::/0", "eigw-6")],
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
    let a = ask(&n, "i-six", tcp(22), "2001:db8::9");
    assert_eq!(a.verdict, Verdict::ReachableReturnBlocked);
    insta::assert_snapshot!(render(&a));
    let x = n.exposure("i-six").unwrap();
    assert!(!x.is_exposed());
    assert!(
        x.entries[0].reasons.iter().any(|r| r.contains("eigw-6")),
        "{:?}",
        x.entries[0]
    );
}

#[test]
fn private_subnet_behind_an_open_group() {
    let mut b = public_vpc();
    b.sg(
        "sg-open",
        "vpc-1",
        vec![perm("-1", 0, 0, &["0.0.0.0/0"])],
        all_out(),
    )
    .host("db", "subnet-priv", "10.0.2.5", None, None, &["sg-open"]);
    let n = b.build();
    let a = ask(&n, "i-db", tcp(5432), "203.0.113.50");
    assert_eq!(a.verdict, Verdict::Blocked);
    insta::assert_snapshot!(render(&a));
    let x = n.exposure("i-db").unwrap();
    assert_eq!(x.entries.len(), 1);
    assert_eq!(x.entries[0].state, State::Latent);
    assert_eq!(&*x.entries[0].service, "all traffic");
    // Given a public IP, the NAT route still keeps it private (R4).
    let mut b = public_vpc();
    b.sg(
        "sg-open",
        "vpc-1",
        vec![perm("-1", 0, 0, &["0.0.0.0/0"])],
        all_out(),
    )
    .host(
        "db",
        "subnet-priv",
        "10.0.2.5",
        Some("54.0.0.5"),
        None,
        &["sg-open"],
    );
    let x = b.build().exposure("i-db").unwrap();
    assert!(!x.is_exposed());
    assert!(
        x.entries[0].reasons.iter().any(|r| r.contains("nat-1")),
        "{:?}",
        x.entries[0]
    );
}

#[test]
fn tcp_all_ports_from_anywhere_ranks_first() {
    let mut b = public_vpc();
    b.sg(
        "sg-wide",
        "vpc-1",
        vec![perm("tcp", 0, 65535, &["0.0.0.0/0"])],
        all_out(),
    )
    .sg(
        "sg-http",
        "vpc-1",
        vec![perm("tcp", 80, 80, &["0.0.0.0/0"])],
        all_out(),
    )
    .sg(
        "sg-rdp",
        "vpc-1",
        vec![perm("tcp", 3389, 3389, &["198.51.100.0/24"])],
        all_out(),
    )
    .host(
        "http",
        "subnet-pub",
        "10.0.1.21",
        Some("54.0.0.21"),
        None,
        &["sg-http"],
    )
    .host(
        "rdp",
        "subnet-pub",
        "10.0.1.22",
        Some("54.0.0.22"),
        None,
        &["sg-rdp"],
    )
    .host(
        "wide",
        "subnet-pub",
        "10.0.1.23",
        Some("54.0.0.23"),
        None,
        &["sg-wide"],
    );
    let n = b.build();
    let map = n.exposure_map();
    let order: Vec<&str> = map.iter().map(|x| x.instance.as_deref().unwrap()).collect();
    assert_eq!(order, ["i-wide", "i-web", "i-rdp", "i-http"]);
    insta::assert_snapshot!(render_exposure(&map));
    // Every port of the wide instance answers, 22 and 3389 among them.
    for port in [0, 22, 3389, 65535] {
        assert_eq!(
            path(&n, "i-wide", tcp(port), "192.0.2.1").verdict,
            Verdict::Reachable
        );
    }
    assert_eq!(
        path(&n, "i-wide", Service::udp(53), "192.0.2.1").verdict,
        Verdict::Blocked
    );
}

#[test]
fn ipv6_only_exposure() {
    let mut b = public_vpc();
    b.sg(
        "sg-v6",
        "vpc-1",
        vec![
            perm("tcp", 22, 22, &["::/0"]),
            perm("tcp", 22, 22, &["10.0.0.0/16"]),
        ],
        all_out(),
    )
    .host(
        "v6",
        "subnet-pub",
        "10.0.1.60",
        None,
        Some("2600:1f18:0:1::60"),
        &["sg-v6"],
    );
    let n = b.build();
    let x = n.exposure("i-v6").unwrap();
    insta::assert_snapshot!(render_exposure(std::slice::from_ref(&x)));
    assert!(x.entries.iter().all(|e| e.family == reach::Family::V6));
    assert!(x.is_exposed());
    let a = ask(&n, "i-v6", tcp(22), "internet");
    assert_eq!(a.verdict, Verdict::Reachable);
    // IPv4 from the internet: no public address and no rule.
    assert!(
        a.paths
            .iter()
            .filter(|p| p.trace.family == reach::Family::V4)
            .all(|p| p.trace.verdict == Verdict::Blocked)
    );
}

#[test]
fn sg_reference_across_a_peering() {
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
    b.input.peerings.push(reach::input::Peering {
        id: "pcx-12".into(),
        status: "active".into(),
        requester: reach::input::PeeringSide {
            vpc_id: "vpc-1".into(),
            ..Default::default()
        },
        accepter: reach::input::PeeringSide {
            vpc_id: "vpc-2".into(),
            ..Default::default()
        },
    });
    let n = b.build();
    let a = ask(&n, "i-peer", tcp(22), "sg-web");
    assert_eq!(a.verdict, Verdict::Reachable);
    insta::assert_snapshot!(render(&a));
    let s = n
        .sources("i-peer", tcp(22), reach::DEFAULT_CLIENT_PORTS)
        .unwrap();
    assert_eq!(s.groups.len(), 1);
    assert_eq!(s.groups[0].state, reach::RefState::Live);
    assert_eq!(s.groups[0].members, 1);
    assert_eq!(s.interfaces.len(), 1);
    assert_eq!(s.interfaces[0].interface, "eni-web");
}

#[test]
fn stale_sg_reference() {
    let mut b = public_vpc();
    let mut p = perm_sg("tcp", 22, 22, "sg-0gone");
    p.groups[0].peering_id = Some("pcx-old".into());
    p.groups[0].peering_status = Some("deleted".into());
    b.sg(
        "sg-app",
        "vpc-1",
        vec![p, perm_sg("tcp", 22, 22, "sg-1deleted")],
        all_out(),
    )
    .host("app", "subnet-priv", "10.0.2.30", None, None, &["sg-app"]);
    let n = b.build();
    let a = ask(&n, "i-app", tcp(22), "i-web");
    assert_eq!(a.verdict, Verdict::Blocked);
    insta::assert_snapshot!(render(&a));
    let s = n
        .sources("i-app", tcp(22), reach::DEFAULT_CLIENT_PORTS)
        .unwrap();
    assert!(
        s.groups
            .iter()
            .all(|g| matches!(g.state, reach::RefState::Stale(_)))
    );
    assert!(s.interfaces.is_empty());
    assert!(s.addresses.is_empty(), "{:?}", s.addresses);
}
