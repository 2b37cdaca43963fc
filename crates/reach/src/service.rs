//! Services as one integer axis: `protocol << 16 | value`, where value is the destination port for
//! TCP and UDP, `type << 8 | code` for ICMP and ICMPv6, and anything for other protocols. Every
//! rule (SG5, N6) then covers a single interval of this axis.

use serde::Serialize;

pub const TCP: u8 = 6;
pub const UDP: u8 = 17;
pub const ICMP: u8 = 1;
pub const ICMPV6: u8 = 58;

/// The whole axis: every protocol, every value.
pub const ALL: (u32, u32) = (0, 0x00FF_FFFF);

pub fn key(proto: u8, value: u16) -> u32 {
    (proto as u32) << 16 | value as u32
}

pub fn proto_of(key: u32) -> u8 {
    (key >> 16) as u8
}

pub fn value_of(key: u32) -> u16 {
    key as u16
}

pub fn whole_protocol(proto: u8) -> (u32, u32) {
    (key(proto, 0), key(proto, u16::MAX))
}

/// Parses an IpProtocol / NACL Protocol value: a name (`tcp`, `udp`, `icmp`, `icmpv6`, `all`) or a
/// number; `-1` means every protocol (`None`).
pub fn parse_protocol(s: &str) -> Result<Option<u8>, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "-1" | "all" => Ok(None),
        "tcp" => Ok(Some(TCP)),
        "udp" => Ok(Some(UDP)),
        "icmp" => Ok(Some(ICMP)),
        "icmpv6" => Ok(Some(ICMPV6)),
        other => other.parse::<u8>().map(Some).map_err(|_| {
            format!("unknown protocol {s:?}: use tcp, udp, icmp, icmpv6, all or a number 0-255")
        }),
    }
}

pub fn protocol_name(proto: u8) -> String {
    match proto {
        TCP => "tcp".into(),
        UDP => "udp".into(),
        ICMP => "icmp".into(),
        ICMPV6 => "icmpv6".into(),
        p => format!("proto {p}"),
    }
}

/// The ICMP interval for a type and code, where -1 (or anything outside 0-255) means "all":
/// all types takes all codes (SG5, N6).
pub fn icmp_interval(proto: u8, icmp_type: i32, code: i32) -> (u32, u32) {
    if !(0..=255).contains(&icmp_type) {
        return whole_protocol(proto);
    }
    let t = (icmp_type as u16) << 8;
    if !(0..=255).contains(&code) {
        (key(proto, t), key(proto, t | 0xFF))
    } else {
        let k = key(proto, t | code as u16);
        (k, k)
    }
}

/// The interval a security group rule covers (SG5): `-1` and protocols other than tcp, udp, icmp
/// and icmpv6 take every port; tcp/udp take FromPort..ToPort; icmp/icmpv6 take FromPort as type,
/// ToPort as code. A missing port range on icmpv6 means all types and codes.
pub fn sg_interval(protocol: Option<u8>, from: Option<i32>, to: Option<i32>) -> (u32, u32) {
    match protocol {
        None => ALL,
        Some(p @ (TCP | UDP)) => match (from, to) {
            (Some(f), Some(t)) if f >= 0 && t >= 0 => {
                let lo = f.clamp(0, 65535) as u16;
                let hi = t.clamp(0, 65535) as u16;
                if lo > hi {
                    // An empty range matches nothing: an inverted interval.
                    (1, 0)
                } else {
                    (key(p, lo), key(p, hi))
                }
            }
            // -1 ports on tcp/udp are "all ports" in the console's JSON.
            _ => whole_protocol(p),
        },
        Some(p @ (ICMP | ICMPV6)) => match from {
            Some(t) => icmp_interval(p, t, to.unwrap_or(-1)),
            None => whole_protocol(p),
        },
        Some(p) => whole_protocol(p),
    }
}

/// The interval a NACL entry covers (N6). `ipv6_cidr` tells the entry's family: protocol 58 with
/// an IPv4 CIDR takes every ICMP type, whatever the entry says.
pub fn nacl_interval(
    protocol: Option<u8>,
    ports: Option<(u16, u16)>,
    icmp: Option<(i32, i32)>,
    ipv6_cidr: bool,
) -> (u32, u32) {
    match protocol {
        None => ALL,
        Some(p @ (TCP | UDP)) => match ports {
            Some((lo, hi)) if lo <= hi => (key(p, lo), key(p, hi)),
            Some(_) => (1, 0),
            None => whole_protocol(p),
        },
        Some(ICMP) => match icmp {
            Some((t, c)) => icmp_interval(ICMP, t, c),
            None => whole_protocol(ICMP),
        },
        Some(ICMPV6) if ipv6_cidr => match icmp {
            Some((t, c)) => icmp_interval(ICMPV6, t, c),
            None => whole_protocol(ICMPV6),
        },
        Some(p) => whole_protocol(p),
    }
}

/// One point of the axis that a query asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Service {
    pub protocol: u8,
    /// Destination port (tcp/udp), `type << 8 | code` (icmp), 0 otherwise.
    pub value: u16,
}

impl Service {
    pub fn tcp(port: u16) -> Service {
        Service {
            protocol: TCP,
            value: port,
        }
    }
    pub fn udp(port: u16) -> Service {
        Service {
            protocol: UDP,
            value: port,
        }
    }
    pub fn icmp(proto: u8, icmp_type: u8, code: u8) -> Service {
        Service {
            protocol: proto,
            value: (icmp_type as u16) << 8 | code as u16,
        }
    }
    pub fn key(self) -> u32 {
        key(self.protocol, self.value)
    }
    pub fn has_ports(self) -> bool {
        matches!(self.protocol, TCP | UDP)
    }
    pub fn is_icmp(self) -> bool {
        matches!(self.protocol, ICMP | ICMPV6)
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.protocol {
            TCP | UDP => write!(f, "{}/{}", protocol_name(self.protocol), self.value),
            ICMP | ICMPV6 => write!(
                f,
                "{} type {} code {}",
                protocol_name(self.protocol),
                self.value >> 8,
                self.value & 0xFF
            ),
            p => write!(f, "{}", protocol_name(p)),
        }
    }
}

/// What a response to a forward packet looks like, for the stateless NACL return check (N4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Response {
    /// TCP/UDP: to the client's source port, one of the client's ephemeral ports.
    Ports(u8),
    /// ICMP queries answered by one reply type (echo, timestamp).
    Point(u32),
    /// Other protocols: the same protocol back; port fields do not apply.
    Protocol(u8),
    /// ICMP messages that get no reply.
    None,
}

pub fn response_of(svc: Service) -> Response {
    match svc.protocol {
        TCP | UDP => Response::Ports(svc.protocol),
        ICMP => match svc.value >> 8 {
            8 => Response::Point(key(ICMP, 0)),
            13 => Response::Point(key(ICMP, 14 << 8)),
            _ => Response::None,
        },
        ICMPV6 => match svc.value >> 8 {
            128 => Response::Point(key(ICMPV6, 129 << 8)),
            _ => Response::None,
        },
        p => Response::Protocol(p),
    }
}

/// A readable name for an interval of the axis: `tcp 22`, `tcp 1024-65535`, `all traffic`,
/// `icmp type 8`, `proto 47`, `protocols 0-5 (all)`.
pub fn describe(lo: u32, hi: u32) -> String {
    if (lo, hi) == ALL {
        return "all traffic".into();
    }
    let (pl, ph) = (proto_of(lo), proto_of(hi));
    if pl != ph {
        if value_of(lo) == 0 && value_of(hi) == u16::MAX {
            return format!("protocols {pl}-{ph} (all)");
        }
        return format!(
            "{} to {}",
            describe(lo, key(pl, u16::MAX)),
            describe(key(ph, 0), hi)
        );
    }
    let (vl, vh) = (value_of(lo), value_of(hi));
    let name = protocol_name(pl);
    match pl {
        TCP | UDP if vl == vh => format!("{name} {vl}"),
        TCP | UDP => format!("{name} {vl}-{vh}"),
        ICMP | ICMPV6 => {
            if vl == 0 && vh == u16::MAX {
                format!("{name} all")
            } else if vl == vh {
                format!("{name} type {} code {}", vl >> 8, vl & 0xFF)
            } else if vl & 0xFF == 0 && vh & 0xFF == 0xFF && vl >> 8 == vh >> 8 {
                format!("{name} type {}", vl >> 8)
            } else {
                format!("{name} types {}-{}", vl >> 8, vh >> 8)
            }
        }
        _ => name,
    }
}

/// The port range of an interval within one tcp/udp protocol, for tables and JSON.
pub fn ports_of(lo: u32, hi: u32) -> Option<(u16, u16)> {
    if proto_of(lo) == proto_of(hi) && matches!(proto_of(lo), TCP | UDP) {
        Some((value_of(lo), value_of(hi)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sg5_all_protocols_and_unknown_protocols_take_every_port() {
        assert_eq!(sg_interval(None, Some(22), Some(22)), ALL);
        assert_eq!(
            sg_interval(Some(47), Some(22), Some(22)),
            whole_protocol(47)
        );
        assert_eq!(
            sg_interval(Some(TCP), Some(20), Some(25)),
            (key(TCP, 20), key(TCP, 25))
        );
        assert_eq!(
            sg_interval(Some(ICMP), Some(8), Some(-1)),
            (key(ICMP, 8 << 8), key(ICMP, 8 << 8 | 0xFF))
        );
        assert_eq!(
            sg_interval(Some(ICMP), Some(-1), Some(3)),
            whole_protocol(ICMP)
        );
        assert_eq!(
            sg_interval(Some(ICMPV6), None, None),
            whole_protocol(ICMPV6)
        );
        let k = key(ICMP, 3 << 8 | 4);
        assert_eq!(sg_interval(Some(ICMP), Some(3), Some(4)), (k, k));
    }

    #[test]
    fn n6_protocol_58_with_ipv4_takes_all_types() {
        assert_eq!(
            nacl_interval(Some(ICMPV6), None, Some((128, 0)), false),
            whole_protocol(ICMPV6)
        );
        let k = key(ICMPV6, 128 << 8);
        assert_eq!(
            nacl_interval(Some(ICMPV6), None, Some((128, 0)), true),
            (k, k)
        );
        assert_eq!(
            nacl_interval(Some(47), Some((22, 22)), None, false),
            whole_protocol(47)
        );
        assert_eq!(nacl_interval(None, Some((22, 22)), None, false), ALL);
    }

    #[test]
    fn names() {
        assert_eq!(describe(ALL.0, ALL.1), "all traffic");
        assert_eq!(describe(key(TCP, 22), key(TCP, 22)), "tcp 22");
        assert_eq!(describe(key(TCP, 0), key(TCP, 65535)), "tcp 0-65535");
        assert_eq!(
            describe(key(ICMP, 8 << 8), key(ICMP, 8 << 8 | 255)),
            "icmp type 8"
        );
        assert_eq!(parse_protocol("TCP"), Ok(Some(6)));
        assert_eq!(parse_protocol("-1"), Ok(None));
        assert!(parse_protocol("tcpp").is_err());
    }
}
