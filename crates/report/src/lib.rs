//! Output formats shared by the commands.

pub mod json;

/// A finding id: `PREFIX-` and FNV-1a over the parts, each followed by a zero byte so that
/// ("ab", "c") and ("a", "bc") differ. Short, stable across runs and machines, and cheap enough to
/// compute for every finding; detection ids start `TH`, audit ids `TA`.
pub fn stable_id<'a>(prefix: &str, parts: impl IntoIterator<Item = &'a str>) -> String {
    format!("{prefix}-{:016x}", stable_hash(parts))
}

/// The number behind [`stable_id`]: its id is `PREFIX-` and this in 16 hex digits.
pub fn stable_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Appends `PREFIX-` and `hash` in 16 lowercase hex digits: [`stable_id`] without a `String`.
pub fn push_stable_id(out: &mut Vec<u8>, prefix: &str, hash: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(prefix.as_bytes());
    out.push(b'-');
    out.extend(
        (0..16)
            .rev()
            .map(|i| HEX[((hash >> (i * 4)) & 0xf) as usize]),
    );
}

/// The output formats a command may offer (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Jsonl,
    Json,
    Csv,
}

/// How bad a finding is, lowest first so that `>=` reads naturally (`--min-severity`, `--fail-on`).
/// Every command's findings use this one scale.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// From its name, or a Sigma `level` (`informational` is info); case-insensitive.
    pub fn parse(s: &str) -> Option<Severity> {
        if s.eq_ignore_ascii_case("informational") {
            return Some(Severity::Info);
        }
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }

    /// One step lower, never below low: how a failed attempt is rated.
    pub fn lowered(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            _ => Severity::Low,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::parse(s).ok_or_else(|| {
            format!("unknown severity {s:?}: use info, low, medium, high or critical")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_ids_are_fnv1a_and_separate_the_parts() {
        // FNV-1a's offset basis: no parts, no bytes hashed.
        assert_eq!(stable_id("X", []), "X-cbf29ce484222325");
        assert_ne!(stable_id("X", ["ab", "c"]), stable_id("X", ["a", "bc"]));
        assert_eq!(stable_id("TA", ["c", "r"]), stable_id("TA", ["c", "r"]));
        assert_ne!(stable_id("TA", ["c", "r"]), stable_id("TA", ["r", "c"]));
    }

    #[test]
    fn severity_order_parse_and_lowering() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!(Severity::Critical.lowered(), Severity::High);
        assert_eq!(Severity::Medium.lowered(), Severity::Low);
        assert_eq!(Severity::Info.lowered(), Severity::Low);
        assert_eq!(Severity::parse("informational"), Some(Severity::Info));
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn pushed_ids_equal_formatted_ones() {
        for parts in [
            vec![],
            vec![""],
            vec!["check", "i-0123"],
            vec!["a", "bc"],
            vec!["ab", "c"],
        ] {
            let mut pushed = Vec::new();
            push_stable_id(&mut pushed, "TA", stable_hash(parts.iter().copied()));
            assert_eq!(
                String::from_utf8(pushed).unwrap(),
                stable_id("TA", parts.iter().copied())
            );
        }
        assert_ne!(stable_id("TA", ["a", "bc"]), stable_id("TA", ["ab", "c"]));
    }
}
