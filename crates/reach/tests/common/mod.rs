//! A terse builder for test networks.
#![allow(dead_code)]

use reach::input::*;

pub struct B {
    pub input: NetworkInput,
}

pub fn perm(proto: &str, from: i32, to: i32, cidrs: &[&str]) -> Permission {
    let mut p = Permission {
        protocol: proto.into(),
        from_port: (proto != "-1").then_some(from),
        to_port: (proto != "-1").then_some(to),
        ..Default::default()
    };
    for c in cidrs {
        if c.starts_with("pl-") {
            p.prefix_lists.push(c.to_string());
        } else if c.contains(':') {
            p.ipv6.push(c.parse().unwrap());
        } else {
            p.ipv4.push(c.parse().unwrap());
        }
    }
    p
}

pub fn perm_sg(proto: &str, from: i32, to: i32, group: &str) -> Permission {
    Permission {
        protocol: proto.into(),
        from_port: (proto != "-1").then_some(from),
        to_port: (proto != "-1").then_some(to),
        groups: vec![GroupRef {
            group_id: group.into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub fn all_out() -> Vec<Permission> {
    vec![perm("-1", 0, 0, &["0.0.0.0/0", "::/0"])]
}

/// (rule number, egress, protocol, allow, cidr, ports)
pub type E<'a> = (u32, bool, &'a str, bool, &'a str, Option<(u16, u16)>);

pub fn entries(list: &[E]) -> Vec<NaclEntry> {
    list.iter()
        .map(|&(n, egress, proto, allow, cidr, ports)| NaclEntry {
            rule_number: n,
            egress,
            protocol: proto.into(),
            allow,
            cidr: cidr.parse().unwrap(),
            port_range: ports,
            icmp: None,
        })
        .collect()
}

/// The default NACL's rules (N5): allow everything both ways, both families.
pub fn allow_all() -> Vec<NaclEntry> {
    entries(&[
        (100, false, "-1", true, "0.0.0.0/0", None),
        (101, false, "-1", true, "::/0", None),
        (100, true, "-1", true, "0.0.0.0/0", None),
        (101, true, "-1", true, "::/0", None),
    ])
}

impl B {
    pub fn new() -> B {
        B {
            input: NetworkInput::default(),
        }
    }

    /// A VPC with its default NACL (allow all) and a main route table with only the local route.
    pub fn vpc(&mut self, id: &str, cidr4: &str, cidr6: Option<&str>) -> &mut Self {
        self.input.vpcs.push(Vpc {
            id: id.into(),
            owner_id: "111122223333".into(),
            region: "us-east-1".into(),
            cidrs_v4: vec![cidr4.parse().unwrap()],
            cidrs_v6: cidr6.iter().map(|c| c.parse().unwrap()).collect(),
        });
        self.input.network_acls.push(NetworkAcl {
            id: format!("acl-default-{id}"),
            vpc_id: id.into(),
            is_default: true,
            subnet_ids: vec![],
            entries: allow_all(),
        });
        self.input.route_tables.push(RouteTable {
            id: format!("rtb-main-{id}"),
            vpc_id: id.into(),
            main: true,
            ..Default::default()
        });
        self
    }

    pub fn subnet(&mut self, id: &str, vpc: &str, cidr4: &str, cidr6: Option<&str>) -> &mut Self {
        self.input.subnets.push(Subnet {
            id: id.into(),
            vpc_id: vpc.into(),
            cidr_v4: Some(cidr4.parse().unwrap()),
            cidrs_v6: cidr6.iter().map(|c| c.parse().unwrap()).collect(),
        });
        self
    }

    pub fn igw(&mut self, id: &str, vpc: &str) -> &mut Self {
        self.input.internet_gateways.push(Gateway {
            id: id.into(),
            vpc_ids: vec![vpc.into()],
        });
        self
    }

    pub fn eigw(&mut self, id: &str, vpc: &str) -> &mut Self {
        self.input.egress_only_gateways.push(Gateway {
            id: id.into(),
            vpc_ids: vec![vpc.into()],
        });
        self
    }

    /// A route table explicitly associated with `subnets`; routes as (destination, target).
    pub fn rt(
        &mut self,
        id: &str,
        vpc: &str,
        subnets: &[&str],
        routes: &[(&str, &str)],
    ) -> &mut Self {
        self.input.route_tables.push(RouteTable {
            id: id.into(),
            vpc_id: vpc.into(),
            main: false,
            subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
            gateway_ids: vec![],
            routes: routes
                .iter()
                .map(|&(d, t)| Route {
                    destination: if d.starts_with("pl-") {
                        RouteDestination::PrefixList(d.into())
                    } else {
                        RouteDestination::Cidr(d.parse().unwrap())
                    },
                    target: t.into(),
                    propagated: false,
                    active: true,
                })
                .collect(),
        });
        self
    }

    pub fn main_routes(&mut self, vpc: &str, routes: &[(&str, &str)]) -> &mut Self {
        let rt = self
            .input
            .route_tables
            .iter_mut()
            .find(|r| r.vpc_id == vpc && r.main)
            .unwrap();
        for &(d, t) in routes {
            rt.routes.push(Route {
                destination: RouteDestination::Cidr(d.parse().unwrap()),
                target: t.into(),
                propagated: false,
                active: true,
            });
        }
        self
    }

    pub fn nacl(&mut self, id: &str, vpc: &str, subnets: &[&str], list: &[E]) -> &mut Self {
        self.input.network_acls.push(NetworkAcl {
            id: id.into(),
            vpc_id: vpc.into(),
            is_default: false,
            subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
            entries: entries(list),
        });
        self
    }

    pub fn sg(
        &mut self,
        id: &str,
        vpc: &str,
        inbound: Vec<Permission>,
        outbound: Vec<Permission>,
    ) -> &mut Self {
        self.input.security_groups.push(SecurityGroup {
            id: id.into(),
            name: id.trim_start_matches("sg-").into(),
            vpc_id: vpc.into(),
            owner_id: "111122223333".into(),
            inbound,
            outbound,
        });
        self
    }

    /// An interface and an instance `i-<name>` holding it (eni-<name>).
    pub fn host(
        &mut self,
        name: &str,
        subnet: &str,
        private: &str,
        public: Option<&str>,
        ipv6: Option<&str>,
        groups: &[&str],
    ) -> &mut Self {
        let vpc = self
            .input
            .subnets
            .iter()
            .find(|s| s.id == subnet)
            .map(|s| s.vpc_id.clone())
            .unwrap_or_default();
        self.input.interfaces.push(Interface {
            id: format!("eni-{name}"),
            subnet_id: subnet.into(),
            vpc_id: vpc,
            instance_id: Some(format!("i-{name}")),
            private_ipv4: vec![PrivateIpv4 {
                address: private.parse().unwrap(),
                public: public.map(|p| PublicIpv4 {
                    address: p.parse().unwrap(),
                    elastic: false,
                }),
            }],
            ipv6: ipv6.iter().map(|a| a.parse().unwrap()).collect(),
            group_ids: groups.iter().map(|g| g.to_string()).collect(),
            interface_type: "interface".into(),
            description: String::new(),
        });
        self.input.instances.push(Instance {
            id: format!("i-{name}"),
            name: Some(name.into()),
            state: "running".into(),
            interface_ids: vec![format!("eni-{name}")],
        });
        self
    }

    pub fn build(&self) -> reach::Network {
        reach::Network::build(&self.input)
    }
}

/// A VPC (10.0.0.0/16, 2600:1f18::/56) with one public subnet routed to igw-1, one private
/// subnet routed to nat-1, default NACL, and group sg-web open on tcp 22 to 0.0.0.0/0.
pub fn public_vpc() -> B {
    let mut b = B::new();
    b.vpc("vpc-1", "10.0.0.0/16", Some("2600:1f18::/56"))
        .subnet(
            "subnet-pub",
            "vpc-1",
            "10.0.1.0/24",
            Some("2600:1f18:0:1::/64"),
        )
        .subnet(
            "subnet-priv",
            "vpc-1",
            "10.0.2.0/24",
            Some("2600:1f18:0:2::/64"),
        )
        .igw("igw-1", "vpc-1")
        .rt(
            "rtb-pub",
            "vpc-1",
            &["subnet-pub"],
            &[("0.0.0.0/0", "igw-1"), ("::/0", "igw-1")],
        )
        .rt(
            "rtb-priv",
            "vpc-1",
            &["subnet-priv"],
            &[("0.0.0.0/0", "nat-1")],
        )
        .sg(
            "sg-web",
            "vpc-1",
            vec![perm("tcp", 22, 22, &["0.0.0.0/0"])],
            all_out(),
        )
        .host(
            "web",
            "subnet-pub",
            "10.0.1.10",
            Some("54.0.0.10"),
            None,
            &["sg-web"],
        );
    b
}

pub fn tcp(port: u16) -> reach::Service {
    reach::Service::tcp(port)
}

pub fn ask(n: &reach::Network, to: &str, svc: reach::Service, from: &str) -> reach::Answer {
    n.check(&reach::Query {
        to: to.into(),
        service: svc,
        from: from.parse().unwrap(),
        client_ports: reach::DEFAULT_CLIENT_PORTS,
    })
    .unwrap()
}

/// The one path of a single-address query.
pub fn path(n: &reach::Network, to: &str, svc: reach::Service, from: &str) -> reach::Trace {
    let a = ask(n, to, svc, from);
    assert_eq!(a.paths.len(), 1, "{a:#?}");
    a.paths[0].trace.clone()
}

/// Whether a step of this element blocks, with its detail.
pub fn blocker(t: &reach::Trace) -> Option<(&'static str, String)> {
    t.steps
        .iter()
        .find(|s| s.effect == reach::Effect::Block)
        .map(|s| (s.element, s.detail.clone()))
}

pub fn show(t: &reach::Trace) -> String {
    let mut s = format!(
        "{} {} -> {} {}\n",
        t.verdict.as_str(),
        t.source,
        t.destination,
        t.service
    );
    for st in &t.steps {
        s.push_str(&format!(
            "  {:?} {:?} {} {}: {} [{}]\n",
            st.leg, st.effect, st.element, st.id, st.detail, st.statement
        ));
    }
    if let Some(p) = &t.return_ports {
        s.push_str(&format!("  return ports {p:?}\n"));
    }
    s
}
