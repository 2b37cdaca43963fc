//! `trailhound reach`: exact network reachability to EC2 instances from a snapshot, with the
//! element that lets the traffic through or stops it.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use reach::{Answer, Effect, Exposure, Network, Query, Service, SourcesAnswer, Verdict};
use report::Format;

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  trailhound reach i-0abc --port 22 --from internet --snapshot snap/\n  trailhound reach eni-0abc --port 5432 --from sg-0123 --snapshot snap/ --format json\n  trailhound reach i-0abc --port 22 --sources --snapshot snap/\n  trailhound reach --exposure --snapshot snap/ --format jsonl"
)]
pub struct Args {
    /// The instance (i-…) or network interface (eni-…) to reach.
    #[arg(value_name = "TARGET", required_unless_present = "exposure")]
    target: Option<String>,
    /// Destination port (tcp/udp), or ICMP TYPE or TYPE/CODE with --protocol icmp|icmpv6.
    #[arg(long, value_name = "PORT", required_unless_present = "exposure")]
    port: Option<String>,
    /// tcp, udp, icmp, icmpv6 or a protocol number.
    #[arg(long, default_value = "tcp")]
    protocol: String,
    /// Where the traffic comes from: internet, a CIDR, an IP address, sg-…, i-… or eni-….
    #[arg(long, value_name = "SOURCE", conflicts_with_all = ["sources", "exposure"])]
    from: Option<String>,
    /// The inverse: every address range, group and interface that reaches TARGET on PORT.
    #[arg(long, conflicts_with = "exposure")]
    sources: bool,
    /// For every instance: what the internet reaches, from where, through which rule; and what
    /// is open but not carried (latent). Most dangerous first (all ports, 22, 3389).
    #[arg(long)]
    exposure: bool,
    /// With --exposure: also list latent entries (open in a group, not reachable).
    #[arg(long, requires = "exposure")]
    latent: bool,
    /// Account snapshot: a folder of aws CLI JSON (`trailhound collect --out DIR`).
    #[arg(long, value_name = "DIR")]
    snapshot: PathBuf,
    /// Client source ports a reply must reach through stateless NACLs.
    #[arg(long, value_name = "LO-HI", default_value = "1024-65535")]
    client_ports: String,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Exit 1 when the target is reachable, a source reaches it, or (with --exposure) anything is exposed.
    #[arg(long)]
    fail_on: bool,
}

fn parse_service(protocol: &str, port: &str) -> anyhow::Result<Service> {
    let proto = reach::service::parse_protocol(protocol)
        .map_err(anyhow::Error::msg)?
        .ok_or_else(|| {
            anyhow::anyhow!("--protocol: name one protocol (tcp, udp, icmp, …), not all")
        })?;
    match proto {
        reach::service::TCP | reach::service::UDP => {
            let p: u16 = port
                .parse()
                .with_context(|| format!("--port {port:?}: give a port number 0-65535"))?;
            Ok(Service {
                protocol: proto,
                value: p,
            })
        }
        reach::service::ICMP | reach::service::ICMPV6 => {
            let (t, c) = port.split_once('/').unwrap_or((port, "0"));
            let t: u8 = t
                .parse()
                .with_context(|| format!("--port {port:?}: give ICMP TYPE or TYPE/CODE (0-255)"))?;
            let c: u8 = c
                .parse()
                .with_context(|| format!("--port {port:?}: give ICMP TYPE or TYPE/CODE (0-255)"))?;
            Ok(Service::icmp(proto, t, c))
        }
        p => Ok(Service {
            protocol: p,
            value: 0,
        }),
    }
}

fn parse_ports(s: &str) -> anyhow::Result<(u16, u16)> {
    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
    let lo: u16 = lo
        .trim()
        .parse()
        .with_context(|| format!("--client-ports {s:?}: give LO-HI, e.g. 1024-65535"))?;
    let hi: u16 = hi
        .trim()
        .parse()
        .with_context(|| format!("--client-ports {s:?}: give LO-HI, e.g. 1024-65535"))?;
    if lo > hi {
        bail!("--client-ports {s:?}: the low port is above the high one");
    }
    Ok((lo, hi))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let client_ports = parse_ports(&args.client_ports)?;
    let (account, report) = cloud::load(&args.snapshot)
        .with_context(|| format!("reading snapshot {}", args.snapshot.display()))?;
    for e in &report.errors {
        eprintln!("trailhound: skipped {e}");
    }
    for g in &account.gaps {
        eprintln!(
            "trailhound: the snapshot lacks {} ({}): reachability through it is unknown",
            g.operation,
            g.region.as_deref().unwrap_or("global")
        );
    }
    let incomplete = !report.errors.is_empty() || !account.gaps.is_empty();
    let network = Network::from_account(&account);
    for w in &network.warnings {
        eprintln!("trailhound: warning: {w}");
    }
    let mut out = io::stdout().lock();
    let hit = if args.exposure {
        let mut map = network.exposure_map();
        if !args.latent {
            for x in &mut map {
                x.entries.retain(|e| e.state == reach::State::Exposed);
            }
            map.retain(|x| !x.entries.is_empty());
        }
        print_exposure(&mut out, &map, args.format)?;
        map.iter().any(|x| x.is_exposed())
    } else {
        let target = args.target.as_deref().expect("clap requires it");
        let service = parse_service(
            &args.protocol,
            args.port.as_deref().expect("clap requires it"),
        )?;
        if args.sources {
            let ans = network
                .sources(target, service, client_ports)
                .map_err(anyhow::Error::msg)?;
            print_sources(&mut out, &ans, args.format)?;
            ans.addresses
                .iter()
                .any(|a| a.verdict == Verdict::Reachable)
                || ans
                    .interfaces
                    .iter()
                    .any(|i| i.verdict == Verdict::Reachable)
        } else {
            let Some(from) = &args.from else {
                bail!(
                    "say where the traffic comes from: --from internet|CIDR|IP|sg-…|i-…|eni-…, or ask --sources"
                );
            };
            let query = Query {
                to: target.to_string(),
                service,
                from: from.parse().map_err(anyhow::Error::msg)?,
                client_ports,
            };
            let ans = network.check(&query).map_err(anyhow::Error::msg)?;
            print_answer(&mut out, &ans, args.format)?;
            ans.verdict == Verdict::Reachable
        }
    };
    out.flush()?;
    Ok(if incomplete {
        ExitCode::from(2)
    } else if args.fail_on && hit {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn effect_mark(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "allow",
        Effect::Block => "BLOCK",
        Effect::Note => "note",
        Effect::Assumed => "assumed",
    }
}

fn print_answer(out: &mut impl Write, ans: &Answer, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json | Format::Jsonl => {
            serde_json::to_writer_pretty(&mut *out, ans)?;
            writeln!(out)?;
        }
        Format::Csv => bail!("--format csv is not offered for a single query: use table or json"),
        Format::Table => {
            writeln!(
                out,
                "{} {} from {}: {}",
                ans.to,
                ans.service,
                ans.from,
                ans.verdict.as_str()
            )?;
            for p in &ans.paths {
                let t = &p.trace;
                let from = match (&p.sources, &p.source_address) {
                    (Some(s), _) => format!("{} {s}", t.source),
                    (None, Some(a)) => format!("{} {a}", t.source),
                    (None, None) => t.source.clone(),
                };
                writeln!(out)?;
                writeln!(
                    out,
                    "  {} -> {} [{}]: {}",
                    from,
                    t.destination,
                    t.family.as_str(),
                    t.verdict.as_str()
                )?;
                for s in &t.steps {
                    writeln!(
                        out,
                        "    {:<7} {:<6} {:<16} {}  ({})",
                        effect_mark(s.effect),
                        match s.leg {
                            reach::Leg::Forward => "in",
                            reach::Leg::Return => "reply",
                        },
                        s.element,
                        s.detail,
                        s.statement
                    )?;
                }
                if let Some(ports) = &t.return_ports {
                    let list: Vec<String> = ports.iter().map(|(a, b)| format!("{a}-{b}")).collect();
                    writeln!(
                        out,
                        "    replies reach client ports: {}",
                        if list.is_empty() {
                            "none".into()
                        } else {
                            list.join(", ")
                        }
                    )?;
                }
            }
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct Row<'a> {
    instance: Option<&'a str>,
    name: Option<&'a str>,
    #[serde(flatten)]
    entry: &'a reach::ExposureEntry,
}

fn print_exposure(out: &mut impl Write, map: &[Exposure], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, map)?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            for x in map {
                for e in &x.entries {
                    serde_json::to_writer(
                        &mut *out,
                        &Row {
                            instance: x.instance.as_deref(),
                            name: x.name.as_deref(),
                            entry: e,
                        },
                    )?;
                    writeln!(out)?;
                }
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record([
                "instance",
                "name",
                "interface",
                "family",
                "state",
                "service",
                "sources",
                "rules",
                "reasons",
            ])?;
            for x in map {
                for e in &x.entries {
                    w.write_record([
                        x.instance.as_deref().unwrap_or(""),
                        x.name.as_deref().unwrap_or(""),
                        &e.interface,
                        e.family.as_str(),
                        state_str(e.state),
                        &e.service,
                        &e.sources.to_string(),
                        &e.rules.join("; "),
                        &e.reasons.join("; "),
                    ])?;
                }
            }
            w.flush()?;
        }
        Format::Table => {
            if map.is_empty() {
                writeln!(out, "nothing is reachable from the internet")?;
                return Ok(());
            }
            writeln!(
                out,
                "{:<21} {:<14} {:<4} {:<7} {:<16} {:<24} RULE / WHY NOT",
                "INSTANCE", "NAME", "IP", "STATE", "SERVICE", "FROM"
            )?;
            for x in map {
                let id = x.instance.as_deref().unwrap_or(&x.interfaces[0]);
                for e in &x.entries {
                    let why = if e.state == reach::State::Exposed {
                        e.rules.join("; ")
                    } else {
                        format!("{} | {}", e.rules.join("; "), e.reasons.join("; "))
                    };
                    writeln!(
                        out,
                        "{:<21} {:<14} {:<4} {:<7} {:<16} {:<24} {}",
                        id,
                        truncate(x.name.as_deref().unwrap_or("-"), 14),
                        match e.family {
                            reach::Family::V4 => "v4",
                            reach::Family::V6 => "v6",
                        },
                        state_str(e.state),
                        e.service,
                        e.sources.to_string(),
                        why
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn state_str(s: reach::State) -> &'static str {
    match s {
        reach::State::Exposed => "exposed",
        reach::State::Latent => "latent",
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn print_sources(out: &mut impl Write, ans: &SourcesAnswer, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json | Format::Jsonl => {
            serde_json::to_writer_pretty(&mut *out, ans)?;
            writeln!(out)?;
        }
        Format::Csv => bail!("--format csv is not offered for --sources: use table or json"),
        Format::Table => {
            writeln!(out, "who reaches {} on {}", ans.to, ans.service)?;
            writeln!(out)?;
            writeln!(out, "addresses:")?;
            if ans.addresses.is_empty() {
                writeln!(out, "  none")?;
            }
            for a in &ans.addresses {
                writeln!(
                    out,
                    "  {:<4} {:<28} {:<28} {}",
                    match a.family {
                        reach::Family::V4 => "v4",
                        reach::Family::V6 => "v6",
                    },
                    a.location,
                    a.verdict.as_str(),
                    a.sources
                )?;
                for r in &a.allowed_by {
                    writeln!(out, "         via {r}")?;
                }
            }
            writeln!(out)?;
            writeln!(out, "security groups named by allowing rules:")?;
            if ans.groups.is_empty() {
                writeln!(out, "  none")?;
            }
            for g in &ans.groups {
                let state = match &g.state {
                    reach::RefState::Live => format!("{} member interface(s)", g.members),
                    reach::RefState::Stale(w) => format!("stale, matches nothing: {w}"),
                    reach::RefState::Unknown(w) => format!("unknown: {w}"),
                };
                writeln!(out, "  {:<24} {}  ({})", g.group, state, g.rule)?;
            }
            writeln!(out)?;
            writeln!(out, "interfaces in the snapshot that reach it:")?;
            if ans.interfaces.is_empty() {
                writeln!(out, "  none")?;
            }
            for i in &ans.interfaces {
                writeln!(
                    out,
                    "  {:<24} {:<21} {:<40} {}",
                    i.interface,
                    i.instance.as_deref().unwrap_or("-"),
                    i.address,
                    i.verdict.as_str()
                )?;
            }
        }
    }
    Ok(())
}
