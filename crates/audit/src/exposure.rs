//! Exposure facts from the reachability evaluator: what each instance exposes to the internet,
//! exposed (a full path exists) or latent (a group opens it, the network does not carry it).

use std::borrow::Cow;

use reach::{Network, State};

use crate::facts::{Exposure, ExposureOracle, InstanceExposure};

/// The whole account's exposure map, computed once.
pub struct ReachOracle {
    by_instance: foldhash::HashMap<String, InstanceExposure>,
}

fn state(s: State) -> Exposure {
    match s {
        State::Exposed => Exposure::Exposed,
        State::Latent => Exposure::Latent,
    }
}

/// The worse of two: exposed over latent over none.
fn worst(a: Exposure, b: Exposure) -> Exposure {
    match (a, b) {
        (Exposure::Exposed, _) | (_, Exposure::Exposed) => Exposure::Exposed,
        (Exposure::Latent, _) | (_, Exposure::Latent) => Exposure::Latent,
        _ => Exposure::None,
    }
}

/// Condenses one instance's exposure entries, in the order its exposure lists them, into the
/// facts the checks read.
pub fn summarize<'e>(
    entries: impl IntoIterator<Item = &'e reach::ExposureEntry>,
) -> InstanceExposure {
    let mut out = InstanceExposure::default();
    // Exposure entries may span whole protocols (`protocols A-B`): ask the entry, not its label.
    let covers_tcp =
        |entry: &reach::ExposureEntry, port: u16| entry.covers(reach::Service::tcp(port));
    let mut v4_exposed = false;
    let mut seen_sources: Vec<std::sync::Arc<reach::Sources>> = Vec::new();
    for entry in entries {
        let s = state(entry.state);
        if covers_tcp(entry, 22) {
            out.ssh = worst(out.ssh, s);
        }
        if covers_tcp(entry, 3389) {
            out.rdp = worst(out.rdp, s);
        }
        if entry.risk == 0 {
            out.all_ports = worst(out.all_ports, s);
        }
        if entry.state == State::Exposed {
            let port = match entry.ports {
                Some((a, b)) if a == b => format!("{}/{a}", entry.protocol),
                Some((a, b)) => format!("{}/{a}-{b}", entry.protocol),
                None => entry.protocol.to_string(),
            };
            if !out.ports.contains(&port) {
                out.ports.push(port);
            }
            match entry.family {
                reach::Family::V6 => out.ipv6 = true,
                reach::Family::V4 => v4_exposed = true,
            }
        }
        // Entries share their sources: a list already read adds nothing new.
        if seen_sources
            .iter()
            .any(|s| std::sync::Arc::ptr_eq(s, &entry.sources))
        {
            continue;
        }
        seen_sources.push(std::sync::Arc::clone(&entry.sources));
        for cidr in &entry.sources.cidrs {
            let c = cidr.to_string();
            if !out.sources.contains(&c) {
                out.sources.push(c);
            }
        }
    }
    out.ipv6_only = out.ipv6 && !v4_exposed;
    out
}

impl ReachOracle {
    pub fn new(network: &Network) -> ReachOracle {
        // Summarised on every core from the entries the exposure map would list, without
        // building it; collected in its order, so that an instance listed twice keeps its last
        // summary.
        let by_instance = network
            .instance_summaries(|entries| summarize(entries.iter().copied()))
            .into_iter()
            .collect();
        ReachOracle { by_instance }
    }
}

impl ExposureOracle for ReachOracle {
    fn instance(&self, instance_id: &str) -> Cow<'_, InstanceExposure> {
        match self.by_instance.get(instance_id) {
            Some(e) => Cow::Borrowed(e),
            None => Cow::Owned(InstanceExposure::default()),
        }
    }
}
