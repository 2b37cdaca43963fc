//! The offline loader: a snapshot folder of aws CLI JSON (docs/snapshot-format.md) → [`Account`].
//!
//! Layout: `DIR/<file>.json` holds global files (IAM, STS, `_gaps.json`) and, for a flat dump,
//! regional files; `DIR/<region>/<file>.json` holds one region's files; `DIR/<12-digit account
//! id>/...` repeats that layout per account. Each file is one aws CLI response, a JSON array of
//! page responses, or several responses one after another (JSON lines); pages are merged.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::*;
use crate::{convert, raw, split};

/// Why a snapshot could not be loaded at all (single bad files are in [`LoadReport::errors`]).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "snapshot folder {0} does not exist or is not a folder (make one with `trailhound collect --out DIR` or scripts/snapshot.sh)"
    )]
    NotAFolder(PathBuf),
    #[error("cannot list {path}: {source}")]
    List {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A file that could not be read or did not have the expected shape. The rest still loads.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    /// Where in the (page-merged) document the problem is, e.g. `Reservations[0].Instances[2].LaunchTime`.
    pub json_path: Option<String>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.json_path {
            Some(p) => write!(f, "{}: at {p}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// A file the snapshot format names that was not there. For per-resource files (`<id>` in the
/// name), `count` says how many resources lacked theirs.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct MissingFile {
    pub account: Option<String>,
    pub region: Option<String>,
    pub file: String,
    pub count: usize,
}

/// What the loader read, what it lacked and what it could not read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadReport {
    /// Files read successfully.
    pub files: Vec<PathBuf>,
    /// Files of the format that were absent (that part of the model is empty).
    pub missing: Vec<MissingFile>,
    /// Files that could not be read; the CLI should exit 2 when this is not empty.
    pub errors: Vec<FileError>,
    /// `.json` files and folders the format does not name (ignored).
    pub unrecognised: Vec<PathBuf>,
}

impl LoadReport {
    /// True when some file was skipped as unreadable.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Loads a snapshot folder. Fails only when `dir` cannot be listed; a bad file is reported in
/// [`LoadReport::errors`] and the rest loads.
pub fn load(dir: &Path) -> Result<(Account, LoadReport), LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::NotAFolder(dir.to_path_buf()));
    }
    let mut loader = Loader::default();
    let mut account = Account::default();
    let (files, subdirs) = list(dir)?;
    let has_top_level_data = files
        .iter()
        .any(|f| is_global_file(f) || is_regional_file(f));
    let account_dirs: Vec<&PathBuf> = subdirs.iter().filter(|d| is_account_dir(d)).collect();
    if account_dirs.is_empty() || has_top_level_data {
        // DIR itself is one account (its account subfolders, if any, are loaded below).
        let part = loader.load_account_folder(dir, None, files, &subdirs)?;
        merge(&mut account, part);
    } else {
        // The root of a multi-account snapshot may still hold a `_gaps.json` of its own.
        let mut root = Folder::new(dir, files);
        loader.gaps(&mut root, None, &mut account);
        loader.unrecognised(&root);
        for sub in subdirs.iter().filter(|d| !is_account_dir(d)) {
            loader.report.unrecognised.push(sub.clone());
        }
    }
    for sub in account_dirs {
        let (files, inner) = list(sub)?;
        let part = loader.load_account_folder(sub, Some(file_name(sub)), files, &inner)?;
        merge(&mut account, part);
    }
    finish(&mut account);
    loader.report.missing.sort();
    loader.report.files.sort();
    loader.report.unrecognised.sort();
    Ok((account, loader.report))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_account_dir(p: &Path) -> bool {
    let n = file_name(p);
    n.len() == 12 && n.bytes().all(|b| b.is_ascii_digit())
}

/// `us-east-1`, `us-gov-west-1`, `ap-southeast-2`, `cn-north-1`, ...
pub fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The region of an availability zone: `us-east-1a` → `us-east-1`, `us-west-2-lax-1a` →
/// `us-west-2`.
pub fn region_of_zone(zone: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for part in zone.split('-') {
        if part.starts_with(|c: char| c.is_ascii_digit()) {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            let region = format!("{}-{digits}", out.join("-"));
            return is_region_name(&region).then_some(region);
        }
        out.push(part);
    }
    None
}

/// `.json` file names and subfolders of a folder, sorted.
fn list(dir: &Path) -> Result<(Vec<String>, Vec<PathBuf>), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::List {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            dirs.push(path);
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(file_name(&path));
        }
    }
    files.sort();
    dirs.sort();
    Ok((files, dirs))
}

/// One folder's files and which of them the loader used.
struct Folder {
    dir: PathBuf,
    names: BTreeSet<String>,
    used: BTreeSet<String>,
    /// Files parsed ahead of the walk, in parallel ([`PREFETCH`]); taken by [`Loader::read`].
    prefetched: HashMap<&'static str, Parsed>,
}

/// A file parsed into its raw type, type-erased so files of different types share one map.
type Parsed = Result<Box<dyn Any + Send>, FileError>;

/// Parses one file into its raw type.
type Parser = fn(&Path) -> Parsed;

fn parse_boxed<T: DeserializeOwned + Send + 'static>(path: &Path) -> Parsed {
    read_typed::<T>(path).map(|v| Box::new(v) as Box<dyn Any + Send>)
}

/// Parses a response that is one big list (`key`) on every core ([`split`]); `whole` makes the
/// response of the list. Any other text (pages, errors) is read as [`read_typed`] reads it, so
/// errors name the file and JSON path as before.
fn parse_split<T, E>(path: &Path, key: &str, whole: fn(Vec<E>) -> T) -> Parsed
where
    T: DeserializeOwned + Send + 'static,
    E: DeserializeOwned + Send,
{
    read_split(path, key, whole).map(|v| Box::new(v) as Box<dyn Any + Send>)
}

fn read_split<T, E>(path: &Path, key: &str, whole: fn(Vec<E>) -> T) -> Result<T, FileError>
where
    T: DeserializeOwned,
    E: DeserializeOwned + Send,
{
    let text = read_text(path)?;
    if let Some(list) = split::parse_member_list::<E>(&text, key) {
        return Ok(whole(list));
    }
    typed_from_text(path, &text)
}

/// The regional files that can be large on a big account, parsed in parallel with each other
/// before the loader walks the folder in its fixed order (on 100k instances, describe-instances
/// alone is over 100 MB; parsing it beside the volumes and groups keeps both cores busy).
const PREFETCH: &[(&str, Parser)] = &[
    ("ec2-describe-instances.json", |path| {
        parse_split(path, "Reservations", |reservations| {
            raw::DescribeInstances { reservations }
        })
    }),
    ("ec2-describe-volumes.json", |path| {
        parse_split(path, "Volumes", |volumes| raw::DescribeVolumes { volumes })
    }),
    (
        "ec2-describe-security-groups.json",
        parse_boxed::<raw::DescribeSecurityGroups>,
    ),
    (
        "ec2-describe-network-interfaces.json",
        parse_boxed::<raw::DescribeNetworkInterfaces>,
    ),
    (
        "ec2-describe-snapshots.json",
        parse_boxed::<raw::DescribeSnapshots>,
    ),
    (
        "ec2-describe-images.json",
        parse_boxed::<raw::DescribeImages>,
    ),
];

impl Folder {
    fn new(dir: &Path, names: Vec<String>) -> Folder {
        Folder {
            dir: dir.to_path_buf(),
            names: names.into_iter().collect(),
            used: BTreeSet::new(),
            prefetched: HashMap::new(),
        }
    }

    /// Parses the folder's [`PREFETCH`] files in parallel (also one alone: its parser may
    /// split it).
    fn prefetch(&mut self) {
        let wanted: Vec<_> = PREFETCH.iter().filter(|(n, _)| self.has(n)).collect();
        if wanted.is_empty() {
            return;
        }
        let dir = &self.dir;
        self.prefetched = wanted
            .par_iter()
            .map(|(name, parse)| (*name, parse(&dir.join(name))))
            .collect();
    }

    fn has(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// `(qualifier, file name)` of files named `<prefix><qualifier>.json`.
    fn qualified(&self, prefix: &str) -> Vec<(String, String)> {
        self.names
            .range(prefix.to_string()..)
            .take_while(|n| n.starts_with(prefix))
            .filter_map(|n| {
                let q = n.strip_prefix(prefix)?.strip_suffix(".json")?;
                (!q.is_empty()).then(|| (q.to_string(), n.clone()))
            })
            .collect()
    }
}

/// Files named on a resource: `names.contains(&sanitise(x))` tells whether `x` has its file.
/// Mirrors the collector's file-name rule (characters outside `[A-Za-z0-9-_.@+=]` become `_`).
pub fn sanitise(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+' | '=') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[derive(Default)]
struct Loader {
    report: LoadReport,
}

/// Global (per account) files, read from the account folder's top.
pub const GLOBAL_FILES: &[&str] = &[
    "sts-get-caller-identity.json",
    "iam-get-account-authorization-details.json",
    "iam-list-users.json",
    "iam-list-instance-profiles.json",
    "iam-get-account-password-policy.json",
    "iam-get-credential-report.json",
];

/// Regional files with fixed names.
pub const REGIONAL_FILES: &[&str] = &[
    "ec2-describe-instances.json",
    "ec2-describe-network-interfaces.json",
    "ec2-describe-security-groups.json",
    "ec2-describe-network-acls.json",
    "ec2-describe-subnets.json",
    "ec2-describe-vpcs.json",
    "ec2-describe-route-tables.json",
    "ec2-describe-internet-gateways.json",
    "ec2-describe-nat-gateways.json",
    "ec2-describe-egress-only-internet-gateways.json",
    "ec2-describe-vpc-peering-connections.json",
    "ec2-describe-key-pairs.json",
    "ec2-describe-managed-prefix-lists.json",
    "ec2-describe-launch-templates.json",
    "ec2-describe-volumes.json",
    "ec2-get-ebs-encryption-by-default.json",
    "ec2-describe-images.json",
    "ec2-describe-snapshots.json",
    "ec2-describe-flow-logs.json",
    "ec2-get-instance-metadata-defaults.json",
    "ec2-get-serial-console-access-status.json",
    "autoscaling-describe-auto-scaling-groups.json",
    "autoscaling-describe-launch-configurations.json",
    "cloudtrail-describe-trails.json",
    "guardduty-list-detectors.json",
    "ssm-describe-instance-information.json",
];

/// Optional extras (written by scripts/snapshot.sh, not by `trailhound collect`): read when
/// present, never reported missing.
pub const OPTIONAL_FILES: &[&str] = &[
    "ec2-describe-security-group-rules.json",
    "ec2-describe-addresses.json",
    "ec2-describe-iam-instance-profile-associations.json",
    "ec2-describe-regions.json",
];

fn is_global_file(name: &str) -> bool {
    name.starts_with("iam-") || name.starts_with("sts-")
}

/// Files of the regional services (wherever they are found).
fn is_regional_file(name: &str) -> bool {
    ["ec2-", "autoscaling-", "cloudtrail-", "guardduty-", "ssm-"]
        .iter()
        .any(|p| name.starts_with(p))
}

impl Loader {
    /// Reads and pages-merges a file, then deserialises it; None (and a report entry) when the
    /// file is absent or bad.
    fn read<T: DeserializeOwned + 'static>(
        &mut self,
        folder: &mut Folder,
        name: &str,
    ) -> Option<T> {
        if !folder.has(name) {
            return None;
        }
        folder.used.insert(name.to_string());
        let path = folder.dir.join(name);
        let parsed = match folder.prefetched.remove(name) {
            Some(Ok(any)) => any
                .downcast::<T>()
                .map(|v| *v)
                .or_else(|_| read_typed(&path)),
            Some(Err(e)) => Err(e),
            None => read_typed(&path),
        };
        match parsed {
            Ok(v) => {
                self.report.files.push(path);
                Some(v)
            }
            Err(e) => {
                self.report.errors.push(e);
                None
            }
        }
    }

    fn missing(&mut self, account: Option<&str>, region: Option<&str>, file: &str, count: usize) {
        if count > 0 {
            self.report.missing.push(MissingFile {
                account: account.map(str::to_string),
                region: region.map(str::to_string),
                file: file.to_string(),
                count,
            });
        }
    }

    fn unrecognised(&mut self, folder: &Folder) {
        for n in folder.names.difference(&folder.used) {
            self.report.unrecognised.push(folder.dir.join(n));
        }
    }

    fn gaps(&mut self, folder: &mut Folder, account: Option<&str>, out: &mut Account) {
        let name = "_gaps.json";
        if !folder.has(name) {
            return;
        }
        folder.used.insert(name.to_string());
        let path = folder.dir.join(name);
        // A plain array of gaps (not pages), so read it directly.
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| FileError {
                path: path.clone(),
                json_path: None,
                message: format!("cannot read: {e}"),
            })
            .and_then(|text| {
                let v: Value = serde_json::from_str(&text).map_err(|e| FileError {
                    path: path.clone(),
                    json_path: None,
                    message: format!("not JSON: {e}"),
                })?;
                typed::<Vec<raw::GapEntry>>(&path, v)
            });
        match parsed {
            Ok(list) => {
                self.report.files.push(path);
                out.gaps.extend(list.into_iter().map(|g| Gap {
                    account: g.account.or_else(|| account.map(str::to_string)),
                    region: g.region,
                    operation: g.operation,
                    permission: g.permission,
                    access_denied: g.access_denied,
                    error_code: g.error_code,
                    error: g.error,
                }));
            }
            Err(e) => self.report.errors.push(e),
        }
    }

    /// One account's folder: global files at its top, regional files in region subfolders (and
    /// at the top for a flat dump).
    fn load_account_folder(
        &mut self,
        dir: &Path,
        account_id: Option<String>,
        files: Vec<String>,
        subdirs: &[PathBuf],
    ) -> Result<Account, LoadError> {
        let mut part = Account::default();
        let missing_from = self.report.missing.len();
        let mut top = Folder::new(dir, files);
        let mut hints = Hints::default();
        if let Some(id) = &account_id {
            hints.folder = Some(id.clone());
        }

        // Regional folders first, so per-user IAM files can find users from any source.
        let mut regions = Vec::new();
        for sub in subdirs {
            let name = file_name(sub);
            if is_region_name(&name) {
                let (files, inner) = list(sub)?;
                for d in inner {
                    self.report.unrecognised.push(d);
                }
                let mut folder = Folder::new(sub, files);
                let mut regional = Account::default();
                self.load_regional(&mut folder, &mut regional, &mut hints);
                self.unrecognised(&folder);
                stamp_region(&mut regional, &name);
                regional.regions.push(name.clone());
                regions.push((name, regional));
            } else if !is_account_dir(sub) {
                self.report.unrecognised.push(sub.clone());
            }
        }
        // Regional files at the top: a flat dump of one region.
        let flat = top.names.iter().any(|n| is_regional_file(n));
        if flat {
            let mut regional = Account::default();
            let from = self.report.missing.len();
            self.load_regional(&mut top, &mut regional, &mut hints);
            let region = infer_region(&regional).unwrap_or_default();
            for m in &mut self.report.missing[from..] {
                if m.region.is_none() && !region.is_empty() {
                    m.region = Some(region.clone());
                }
            }
            stamp_region(&mut regional, &region);
            if !region.is_empty() {
                regional.regions.push(region.clone());
            }
            regions.push((region, regional));
        }
        for (_, regional) in regions {
            merge(&mut part, regional);
        }

        self.load_global(&mut top, &mut part, &mut hints);
        let account = hints.best();
        self.gaps(&mut top, account.as_deref(), &mut part);
        self.unrecognised(&top);

        // Files that should be there.
        for f in GLOBAL_FILES {
            if !top.has(f) {
                self.missing(account.as_deref(), None, f, 1);
            }
        }
        self.missing_per_user(&top, &part, account.as_deref());
        for m in &mut self.report.missing[missing_from..] {
            if m.account.is_none() {
                m.account = account.clone();
            }
        }
        stamp_account(&mut part, account.as_deref());
        // Users known only from per-user file names get the ARN their account implies.
        if let Some(a) = &account {
            for u in part.users.iter_mut().filter(|u| u.arn.is_empty()) {
                u.arn = format!("arn:aws:iam::{a}:user/{}", u.name);
            }
        }
        if let Some(a) = account {
            part.account_ids.push(a);
        }
        Ok(part)
    }

    fn missing_per_user(&mut self, top: &Folder, part: &Account, account: Option<&str>) {
        for prefix in [
            "iam-list-ssh-public-keys-",
            "iam-list-access-keys-",
            "iam-list-mfa-devices-",
        ] {
            let lacking = part
                .users
                .iter()
                .filter(|u| !top.has(&format!("{prefix}{}.json", sanitise(&u.name))))
                .count();
            self.missing(account, None, &format!("{prefix}<user>.json"), lacking);
        }
        let keys_lacking = part
            .users
            .iter()
            .flat_map(|u| &u.access_keys)
            .filter(|k| !top.has(&format!("iam-get-access-key-last-used-{}.json", k.id)))
            .count();
        self.missing(
            account,
            None,
            "iam-get-access-key-last-used-<key id>.json",
            keys_lacking,
        );
    }

    fn load_regional(&mut self, f: &mut Folder, out: &mut Account, hints: &mut Hints) {
        let region_name = {
            let n = file_name(&f.dir);
            is_region_name(&n).then_some(n)
        };
        let region = region_name.as_deref();
        for name in REGIONAL_FILES {
            if !f.has(name) {
                self.missing(None, region, name, 1);
            }
        }
        f.prefetch();

        // Instances and interfaces. Each instance's embedded interfaces stay beside it (raw) until
        // `describe-network-interfaces` says which are known; no serial pass moves them.
        let first_instance = out.instances.len();
        let mut embedded_enis: Vec<Vec<raw::NetworkInterface>> = Vec::new();
        if let Some(d) = self.read::<raw::DescribeInstances>(f, "ec2-describe-instances.json") {
            if let Some(owner) = d.reservations.iter().find_map(|r| r.owner_id.as_ref()) {
                hints.owner.get_or_insert_with(|| owner.clone());
            }
            // Converted on every core, in order.
            let (instances, enis): (Vec<Instance>, Vec<Vec<raw::NetworkInterface>>) = d
                .reservations
                .into_par_iter()
                .flat_map_iter(|res| {
                    let owner = res.owner_id;
                    res.instances
                        .into_iter()
                        .map(move |i| convert::instance(i, owner.as_deref()))
                })
                .unzip();
            if out.instances.is_empty() {
                out.instances = instances;
            } else {
                out.instances.extend(instances);
            }
            embedded_enis = enis;
        }
        if let Some(d) =
            self.read::<raw::DescribeNetworkInterfaces>(f, "ec2-describe-network-interfaces.json")
        {
            out.network_interfaces.extend(
                d.network_interfaces
                    .into_iter()
                    .map(convert::network_interface),
            );
        }
        let known: BTreeSet<&str> = out
            .network_interfaces
            .iter()
            .map(|n| n.id.as_str())
            .collect();
        if !known.is_empty() {
            embedded_enis
                .par_iter_mut()
                .for_each(|enis| enis.retain(|e| !known.contains(e.network_interface_id.as_str())));
        }
        drop(known);
        // Converted on every core, in order, straight into the account's list.
        out.network_interfaces.par_extend(
            out.instances[first_instance..]
                .par_iter()
                .zip(embedded_enis.into_par_iter())
                .flat_map_iter(|(inst, enis)| {
                    enis.into_iter().map(|e| {
                        let mut eni = convert::network_interface(e);
                        eni.from_instance_only = true;
                        let instance_id = Some(inst.id.clone());
                        match eni.attachment.as_mut() {
                            Some(a) => {
                                if a.instance_id.is_none() {
                                    a.instance_id = instance_id;
                                }
                            }
                            None => {
                                eni.attachment = Some(EniAttachment {
                                    instance_id,
                                    ..EniAttachment::default()
                                })
                            }
                        }
                        eni
                    })
                }),
        );
        self.instance_attributes(f, out, region);
        if let Some(d) = self.read::<raw::DescribeProfileAssociations>(
            f,
            "ec2-describe-iam-instance-profile-associations.json",
        ) {
            let by_id: foldhash::HashMap<&str, usize> = out
                .instances
                .iter()
                .enumerate()
                .map(|(i, x)| (x.id.as_str(), i))
                .collect();
            // Where each live association goes, found before the instances are changed.
            let targets: Vec<(usize, raw::ProfileAssociation)> = d
                .iam_instance_profile_associations
                .into_iter()
                .filter(|a| {
                    a.state
                        .as_deref()
                        .is_none_or(|s| s == "associated" || s == "associating")
                })
                .filter_map(|a| Some((*by_id.get(a.instance_id.as_deref()?)?, a)))
                .collect();
            drop(by_id);
            for (i, a) in targets {
                let p = out.instances[i]
                    .iam_instance_profile
                    .get_or_insert_with(InstanceProfileRef::default);
                p.association_id = a.association_id;
                if let Some(r) = a.iam_instance_profile {
                    if p.arn.is_empty() {
                        p.arn = r.arn.unwrap_or_default();
                    }
                    p.id = p.id.take().or(r.id);
                }
            }
        }

        // Security groups.
        if let Some(d) =
            self.read::<raw::DescribeSecurityGroups>(f, "ec2-describe-security-groups.json")
        {
            for g in d.security_groups {
                if let Some(owner) = &g.owner_id {
                    hints.owner_sg.get_or_insert_with(|| owner.clone());
                }
                out.security_groups.push(convert::security_group(g));
            }
        }
        if let Some(d) = self
            .read::<raw::DescribeSecurityGroupRules>(f, "ec2-describe-security-group-rules.json")
        {
            convert::apply_security_group_rules(&mut out.security_groups, d.security_group_rules);
        }
        if let Some(d) =
            self.read::<raw::DescribePrefixLists>(f, "ec2-describe-managed-prefix-lists.json")
        {
            out.prefix_lists
                .extend(d.prefix_lists.into_iter().map(convert::prefix_list));
        }
        let mut lacking = 0;
        for pl in &mut out.prefix_lists {
            let name = format!(
                "ec2-get-managed-prefix-list-entries-{}.json",
                sanitise(&pl.id)
            );
            if !f.has(&name) {
                lacking += 1;
                continue;
            }
            if let Some(e) = self.read::<raw::PrefixListEntries>(f, &name) {
                pl.entries = e
                    .entries
                    .into_iter()
                    .filter_map(|e| {
                        Some(PrefixListEntry {
                            cidr: e.cidr?,
                            description: e.description,
                        })
                    })
                    .collect();
                pl.entries_known = true;
            }
        }
        self.missing(
            None,
            region,
            "ec2-get-managed-prefix-list-entries-<prefix list id>.json",
            lacking,
        );
        // Entry files for lists the list file did not name (e.g. AWS-managed lists).
        for (q, name) in f.qualified("ec2-get-managed-prefix-list-entries-") {
            if f.used.contains(&name) {
                continue;
            }
            if let Some(e) = self.read::<raw::PrefixListEntries>(f, &name) {
                out.prefix_lists.push(ManagedPrefixList {
                    id: q,
                    entries: e
                        .entries
                        .into_iter()
                        .filter_map(|e| {
                            Some(PrefixListEntry {
                                cidr: e.cidr?,
                                description: e.description,
                            })
                        })
                        .collect(),
                    entries_known: true,
                    ..ManagedPrefixList::default()
                });
            }
        }

        // Network plumbing.
        if let Some(d) = self.read::<raw::DescribeNetworkAcls>(f, "ec2-describe-network-acls.json")
        {
            out.network_acls
                .extend(d.network_acls.into_iter().map(convert::network_acl));
        }
        if let Some(d) = self.read::<raw::DescribeSubnets>(f, "ec2-describe-subnets.json") {
            out.subnets
                .extend(d.subnets.into_iter().map(convert::subnet));
        }
        if let Some(d) = self.read::<raw::DescribeVpcs>(f, "ec2-describe-vpcs.json") {
            for v in d.vpcs {
                if let Some(owner) = &v.owner_id {
                    hints.owner_sg.get_or_insert_with(|| owner.clone());
                }
                out.vpcs.push(convert::vpc(v));
            }
        }
        if let Some(d) = self.read::<raw::DescribeRouteTables>(f, "ec2-describe-route-tables.json")
        {
            out.route_tables
                .extend(d.route_tables.into_iter().map(convert::route_table));
        }
        if let Some(d) =
            self.read::<raw::DescribeInternetGateways>(f, "ec2-describe-internet-gateways.json")
        {
            out.internet_gateways.extend(
                d.internet_gateways
                    .into_iter()
                    .map(convert::internet_gateway),
            );
        }
        if let Some(d) = self.read::<raw::DescribeEgressOnlyGateways>(
            f,
            "ec2-describe-egress-only-internet-gateways.json",
        ) {
            out.egress_only_internet_gateways.extend(
                d.egress_only_internet_gateways
                    .into_iter()
                    .map(convert::egress_only_gateway),
            );
        }
        if let Some(d) = self.read::<raw::DescribeNatGateways>(f, "ec2-describe-nat-gateways.json")
        {
            out.nat_gateways
                .extend(d.nat_gateways.into_iter().map(convert::nat_gateway));
        }
        if let Some(d) =
            self.read::<raw::DescribePeerings>(f, "ec2-describe-vpc-peering-connections.json")
        {
            out.vpc_peering_connections
                .extend(d.vpc_peering_connections.into_iter().map(convert::peering));
        }
        if let Some(d) = self.read::<raw::DescribeAddresses>(f, "ec2-describe-addresses.json") {
            out.addresses
                .extend(d.addresses.into_iter().map(convert::address));
        }
        if let Some(d) = self.read::<raw::DescribeFlowLogs>(f, "ec2-describe-flow-logs.json") {
            out.flow_logs
                .extend(d.flow_logs.into_iter().map(convert::flow_log));
        }
        // Read only to mark it used: the region list is implied by the folders.
        let _ = self.read::<Value>(f, "ec2-describe-regions.json");

        // Keys, templates, scaling.
        if let Some(d) = self.read::<raw::DescribeKeyPairs>(f, "ec2-describe-key-pairs.json") {
            out.key_pairs
                .extend(d.key_pairs.into_iter().map(convert::key_pair));
        }
        if let Some(d) =
            self.read::<raw::DescribeLaunchTemplates>(f, "ec2-describe-launch-templates.json")
        {
            out.launch_templates
                .extend(d.launch_templates.into_iter().map(convert::launch_template));
        }
        let mut lacking = 0;
        for t in &mut out.launch_templates {
            let name = format!(
                "ec2-describe-launch-template-versions-{}.json",
                sanitise(&t.id)
            );
            if !f.has(&name) {
                lacking += 1;
                continue;
            }
            if let Some(v) = self.read::<raw::DescribeLaunchTemplateVersions>(f, &name) {
                t.versions = v
                    .launch_template_versions
                    .into_iter()
                    .map(convert::launch_template_version)
                    .collect();
                t.versions.sort_by_key(|v| v.number);
            }
        }
        self.missing(
            None,
            region,
            "ec2-describe-launch-template-versions-<template id>.json",
            lacking,
        );
        if let Some(d) = self.read::<raw::DescribeAutoScalingGroups>(
            f,
            "autoscaling-describe-auto-scaling-groups.json",
        ) {
            out.auto_scaling_groups.extend(
                d.auto_scaling_groups
                    .into_iter()
                    .map(convert::auto_scaling_group),
            );
        }
        if let Some(d) = self.read::<raw::DescribeLaunchConfigurations>(
            f,
            "autoscaling-describe-launch-configurations.json",
        ) {
            out.launch_configurations.extend(
                d.launch_configurations
                    .into_iter()
                    .map(convert::launch_configuration),
            );
        }

        // Images, volumes, snapshots.
        if let Some(d) = self.read::<raw::DescribeImages>(f, "ec2-describe-images.json") {
            out.images.extend(d.images.into_iter().map(convert::image));
        }
        let mut lacking = 0;
        for img in &mut out.images {
            let name = format!(
                "ec2-describe-image-attribute-{}-launchPermission.json",
                sanitise(&img.id)
            );
            if !f.has(&name) {
                lacking += 1;
                continue;
            }
            if let Some(a) = self.read::<raw::ImageAttribute>(f, &name) {
                img.launch_permissions = a
                    .launch_permissions
                    .into_iter()
                    .map(convert::permission)
                    .collect();
                img.launch_permissions_known = true;
            }
        }
        self.missing(
            None,
            region,
            "ec2-describe-image-attribute-<image id>-launchPermission.json",
            lacking,
        );
        if let Some(d) = self.read::<raw::DescribeVolumes>(f, "ec2-describe-volumes.json") {
            out.volumes
                .extend(d.volumes.into_iter().map(convert::volume));
        }
        if let Some(d) = self.read::<raw::DescribeSnapshots>(f, "ec2-describe-snapshots.json") {
            out.snapshots
                .extend(d.snapshots.into_iter().map(convert::snapshot));
        }
        let mut lacking = 0;
        for s in &mut out.snapshots {
            let name = format!(
                "ec2-describe-snapshot-attribute-{}-createVolumePermission.json",
                sanitise(&s.id)
            );
            if !f.has(&name) {
                lacking += 1;
                continue;
            }
            if let Some(a) = self.read::<raw::SnapshotAttribute>(f, &name) {
                s.create_volume_permissions = a
                    .create_volume_permissions
                    .into_iter()
                    .map(convert::permission)
                    .collect();
                s.permissions_known = true;
            }
        }
        self.missing(
            None,
            region,
            "ec2-describe-snapshot-attribute-<snapshot id>-createVolumePermission.json",
            lacking,
        );

        // Region settings.
        let ebs = self.read::<raw::EbsDefault>(f, "ec2-get-ebs-encryption-by-default.json");
        let imds = self.read::<raw::ImdsDefaults>(f, "ec2-get-instance-metadata-defaults.json");
        let serial =
            self.read::<raw::SerialConsole>(f, "ec2-get-serial-console-access-status.json");
        if ebs.is_some() || imds.is_some() || serial.is_some() {
            out.region_settings.push(RegionSettings {
                ebs_encryption_by_default: ebs.and_then(|e| e.ebs_encryption_by_default),
                imds_defaults: imds.map(|i| {
                    i.account_level
                        .map(convert::metadata_options)
                        .unwrap_or_default()
                }),
                serial_console_access: serial.and_then(|s| s.serial_console_access_enabled),
                ..RegionSettings::default()
            });
        }

        self.cloudtrail(f, out, region);
        self.guardduty(f, out, region);
        if let Some(d) = self
            .read::<raw::DescribeInstanceInformation>(f, "ssm-describe-instance-information.json")
        {
            out.ssm_instances.extend(
                d.instance_information_list
                    .into_iter()
                    .map(convert::ssm_instance),
            );
        }
    }

    fn instance_attributes(&mut self, f: &mut Folder, out: &mut Account, region: Option<&str>) {
        let files = f.qualified("ec2-describe-instance-attribute-");
        let any_files = !files.is_empty();
        // Only when there are attribute files to place (a large snapshot seldom has them).
        let by_id: HashMap<String, usize> = if any_files {
            out.instances
                .iter()
                .enumerate()
                .map(|(i, x)| (x.id.clone(), i))
                .collect()
        } else {
            HashMap::new()
        };
        for (q, name) in files {
            let Some(a) = self.read::<raw::InstanceAttribute>(f, &name) else {
                continue;
            };
            let id = a
                .instance_id
                .clone()
                .or_else(|| q.rsplit_once('-').map(|(id, _)| id.to_string()));
            let Some(&i) = id.as_deref().and_then(|id| by_id.get(id)) else {
                continue;
            };
            let inst = &mut out.instances[i];
            if let Some(v) = a.disable_api_termination {
                inst.disable_api_termination = v.value;
            }
            if let Some(v) = a.instance_initiated_shutdown_behavior {
                inst.shutdown_behavior = v.value;
            }
        }
        for attr in ["disableApiTermination", "instanceInitiatedShutdownBehavior"] {
            // With no attribute files at all, every instance lacks its own.
            let lacking = out
                .instances
                .iter()
                .filter(|i| {
                    !any_files
                        || !f.has(&format!(
                            "ec2-describe-instance-attribute-{}-{attr}.json",
                            sanitise(&i.id)
                        ))
                })
                .count();
            self.missing(
                None,
                region,
                &format!("ec2-describe-instance-attribute-<instance id>-{attr}.json"),
                lacking,
            );
        }
    }

    fn cloudtrail(&mut self, f: &mut Folder, out: &mut Account, region: Option<&str>) {
        let Some(d) = self.read::<raw::DescribeTrails>(f, "cloudtrail-describe-trails.json") else {
            return;
        };
        let (mut no_status, mut no_selectors) = (0, 0);
        for t in d.trail_list {
            let mut trail = convert::trail(t);
            let name = sanitise(&trail.name);
            let status_file = format!("cloudtrail-get-trail-status-{name}.json");
            let selectors_file = format!("cloudtrail-get-event-selectors-{name}.json");
            // Shadow copies of a multi-region trail (listed outside its home region) have no
            // status file of their own; only count the home copy as missing.
            let home_here = match (&trail.home_region, region) {
                (Some(h), Some(r)) => h == r,
                _ => true,
            };
            if f.has(&status_file) {
                if let Some(s) = self.read::<raw::TrailStatus>(f, &status_file) {
                    trail.status = Some(convert::trail_status(s));
                }
            } else if home_here {
                no_status += 1;
            }
            if f.has(&selectors_file) {
                if let Some(s) = self.read::<raw::EventSelectors>(f, &selectors_file) {
                    convert::apply_selectors(&mut trail, s);
                }
            } else if home_here {
                no_selectors += 1;
            }
            out.trails.push(trail);
        }
        self.missing(
            None,
            region,
            "cloudtrail-get-trail-status-<trail name>.json",
            no_status,
        );
        self.missing(
            None,
            region,
            "cloudtrail-get-event-selectors-<trail name>.json",
            no_selectors,
        );
    }

    fn guardduty(&mut self, f: &mut Folder, out: &mut Account, region: Option<&str>) {
        let mut ids: Vec<String> = self
            .read::<raw::ListDetectors>(f, "guardduty-list-detectors.json")
            .map(|d| d.detector_ids)
            .unwrap_or_default();
        for (q, _) in f.qualified("guardduty-get-detector-") {
            if !ids.contains(&q) {
                ids.push(q);
            }
        }
        let mut lacking = 0;
        for id in ids {
            let name = format!("guardduty-get-detector-{}.json", sanitise(&id));
            let mut det = GuardDutyDetector {
                id,
                ..GuardDutyDetector::default()
            };
            if f.has(&name) {
                if let Some(d) = self.read::<raw::Detector>(f, &name) {
                    det.status = d.status;
                    det.finding_publishing_frequency = d.finding_publishing_frequency;
                    det.created_at = d.created_at;
                    det.updated_at = d.updated_at;
                }
            } else {
                lacking += 1;
            }
            out.guardduty_detectors.push(det);
        }
        self.missing(
            None,
            region,
            "guardduty-get-detector-<detector id>.json",
            lacking,
        );
    }

    fn load_global(&mut self, f: &mut Folder, out: &mut Account, hints: &mut Hints) {
        if let Some(id) = self.read::<raw::CallerIdentity>(f, "sts-get-caller-identity.json") {
            hints.sts = id.account;
        }
        if let Some(d) =
            self.read::<raw::AuthorizationDetails>(f, "iam-get-account-authorization-details.json")
        {
            convert::authorization_details(d, out);
        }
        if let Some(d) =
            self.read::<raw::ListInstanceProfiles>(f, "iam-list-instance-profiles.json")
        {
            for p in d.instance_profiles {
                let p = convert::instance_profile(p);
                if !out.instance_profiles.iter().any(|x| x.arn == p.arn) {
                    out.instance_profiles.push(p);
                }
            }
        }
        let listed_users = f.has("iam-list-users.json");
        if let Some(d) = self.read::<raw::ListUsers>(f, "iam-list-users.json") {
            for u in d.users {
                match out.users.iter_mut().find(|x| x.name == u.user_name) {
                    Some(x) => {
                        x.password_last_used = u.password_last_used;
                        if x.id.is_none() {
                            x.id = u.user_id;
                        }
                    }
                    None => out.users.push(convert::user(u)),
                }
            }
        }
        for u in &out.users {
            if let Some(a) = account_of_arn(&u.arn) {
                hints.iam.get_or_insert(a);
            }
        }
        for r in &out.roles {
            if let Some(a) = account_of_arn(&r.arn) {
                hints.iam.get_or_insert(a);
            }
        }

        // Per-user files. The user comes from the items' UserName, else from the file name.
        for (q, name) in f.qualified("iam-list-ssh-public-keys-") {
            let Some(d) = self.read::<raw::ListSshPublicKeys>(f, &name) else {
                continue;
            };
            let who = d
                .keys
                .first()
                .and_then(|k| k.user_name.clone())
                .unwrap_or(q);
            let user = user_entry(out, &who);
            user.ssh_keys_known = true;
            user.ssh_public_keys = d.keys.into_iter().map(convert::ssh_key).collect();
        }
        for (_, name) in f.qualified("iam-get-ssh-public-key-") {
            let Some(k) = self
                .read::<raw::GetSshPublicKey>(f, &name)
                .and_then(|d| d.key)
            else {
                continue;
            };
            let Some(who) = k.user_name.clone() else {
                continue;
            };
            let user = user_entry(out, &who);
            let full = convert::ssh_key(k);
            match user.ssh_public_keys.iter_mut().find(|x| x.id == full.id) {
                Some(x) => {
                    x.fingerprint = full.fingerprint;
                    x.body = full.body;
                }
                None => user.ssh_public_keys.push(full),
            }
        }
        for (q, name) in f.qualified("iam-list-access-keys-") {
            let Some(d) = self.read::<raw::ListAccessKeys>(f, &name) else {
                continue;
            };
            let who = d
                .access_key_metadata
                .first()
                .and_then(|k| k.user_name.clone())
                .unwrap_or(q);
            let user = user_entry(out, &who);
            user.access_keys_known = true;
            user.access_keys = d
                .access_key_metadata
                .into_iter()
                .map(convert::access_key)
                .collect();
        }
        for (q, name) in f.qualified("iam-get-access-key-last-used-") {
            let Some(d) = self.read::<raw::AccessKeyLastUsedOut>(f, &name) else {
                continue;
            };
            let last = d.access_key_last_used.map(|l| AccessKeyLastUsed {
                date: l.last_used_date,
                service_name: l.service_name.filter(|s| s != "N/A"),
                region: l.region.filter(|s| s != "N/A"),
            });
            for user in &mut out.users {
                if let Some(k) = user.access_keys.iter_mut().find(|k| k.id == q) {
                    k.last_used = last.clone();
                }
            }
        }
        for (q, name) in f.qualified("iam-list-mfa-devices-") {
            let Some(d) = self.read::<raw::ListMfaDevices>(f, &name) else {
                continue;
            };
            let who = d
                .devices
                .first()
                .and_then(|k| k.user_name.clone())
                .unwrap_or(q);
            let user = user_entry(out, &who);
            user.mfa_known = true;
            user.mfa_devices = d
                .devices
                .into_iter()
                .map(|m| MfaDevice {
                    serial_number: m.serial_number,
                    enable_date: m.enable_date,
                })
                .collect();
        }
        for (q, name) in f.qualified("iam-get-login-profile-") {
            let Some(d) = self.read::<raw::GetLoginProfile>(f, &name) else {
                continue;
            };
            let Some(p) = d.login_profile else { continue };
            let who = p.user_name.clone().unwrap_or(q);
            let user = user_entry(out, &who);
            user.login_profile_known = true;
            user.login_profile = Some(LoginProfile {
                create_date: p.create_date,
                password_reset_required: p.password_reset_required,
            });
        }
        if let Some(d) =
            self.read::<raw::GetPasswordPolicy>(f, "iam-get-account-password-policy.json")
            && let Some(p) = d.password_policy
        {
            out.password_policies.push(convert::password_policy(p));
        }
        if f.has("iam-get-credential-report.json") {
            let path = f.dir.join("iam-get-credential-report.json");
            if let Some(r) = self.read::<raw::CredentialReport>(f, "iam-get-credential-report.json")
            {
                match convert::credential_report(r) {
                    Ok(rows) => out.credential_report = rows,
                    Err(message) => self.report.errors.push(FileError {
                        path,
                        json_path: Some("Content".into()),
                        message,
                    }),
                }
            }
        }

        // What "no login profile file" means: when the users were listed (so per-user calls were
        // made) and the call was not refused, the user has no console password.
        let login_gap = self_gaps_name(f);
        for user in &mut out.users {
            if !user.login_profile_known && listed_users && !login_gap {
                user.login_profile_known = true;
            }
            if let Some(row) = out.credential_report.iter().find(|r| r.user == user.name)
                && !user.login_profile_known
                && let Some(enabled) = row.password_enabled
            {
                user.login_profile_known = true;
                if enabled {
                    user.login_profile = Some(LoginProfile::default());
                }
            }
        }
    }
}

/// True when `_gaps.json` in this folder mentions `iam get-login-profile` (a cheap text check so
/// the gaps file is parsed once, by [`Loader::gaps`]).
fn self_gaps_name(f: &Folder) -> bool {
    f.has("_gaps.json")
        && std::fs::read_to_string(f.dir.join("_gaps.json"))
            .is_ok_and(|t| t.contains("iam get-login-profile"))
}

/// The user of this name, created (with what the name alone tells) when no other file listed it.
fn user_entry<'a>(out: &'a mut Account, name: &str) -> &'a mut User {
    let pos = out
        .users
        .iter()
        .position(|u| u.name == name || sanitise(&u.name) == name);
    match pos {
        Some(i) => &mut out.users[i],
        None => {
            out.users.push(User {
                name: name.to_string(),
                ..User::default()
            });
            out.users.last_mut().expect("just pushed")
        }
    }
}

/// `arn:aws:iam::123456789012:user/bob` → `123456789012`.
pub fn account_of_arn(arn: &str) -> Option<String> {
    let acct = arn.split(':').nth(4)?;
    (acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())).then(|| acct.to_string())
}

/// Where the account id comes from, best first.
#[derive(Default)]
struct Hints {
    folder: Option<String>,
    sts: Option<String>,
    owner: Option<String>,
    iam: Option<String>,
    owner_sg: Option<String>,
}

impl Hints {
    fn best(&self) -> Option<String> {
        self.folder
            .clone()
            .or_else(|| self.sts.clone())
            .or_else(|| self.owner.clone())
            .or_else(|| self.iam.clone())
            .or_else(|| self.owner_sg.clone())
    }
}

/// The region a flat dump's regional files belong to: from availability zones, else a trail's
/// home region.
fn infer_region(a: &Account) -> Option<String> {
    let zones = a
        .instances
        .iter()
        .filter_map(|i| i.availability_zone.as_deref())
        .chain(
            a.subnets
                .iter()
                .filter_map(|s| s.availability_zone.as_deref()),
        )
        .chain(
            a.network_interfaces
                .iter()
                .filter_map(|n| n.availability_zone.as_deref()),
        )
        .chain(
            a.volumes
                .iter()
                .filter_map(|v| v.availability_zone.as_deref()),
        );
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for z in zones {
        if let Some(r) = region_of_zone(z) {
            *counts.entry(r).or_default() += 1;
        }
    }
    if let Some((r, _)) = counts.into_iter().max_by_key(|(_, n)| *n) {
        return Some(r);
    }
    a.trails.iter().find_map(|t| t.home_region.clone())
}

/// Reads and deserialises a file. One response (the common case) is deserialised straight from
/// the text; an array of pages or several responses go through [`pages_from_text`]'s page merge.
fn read_typed<T: DeserializeOwned>(path: &Path) -> Result<T, FileError> {
    let text = read_text(path)?;
    typed_from_text(path, &text)
}

fn read_text(path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|e| FileError {
        path: path.to_path_buf(),
        json_path: None,
        message: format!("cannot read: {e}"),
    })
}

/// [`read_typed`] for text already read.
fn typed_from_text<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, FileError> {
    if !text.trim_start().starts_with('[') {
        // Without path tracking first (it costs about as much as the parse); a shape error is
        // read again with it, to name the JSON path.
        let mut de = serde_json::Deserializer::from_str(text);
        match T::deserialize(&mut de) {
            Ok(v) if de.end().is_ok() => return Ok(v),
            // More after the first document: pages, one after another.
            Ok(_) => {}
            Err(e) if e.is_data() => {
                let mut de = serde_json::Deserializer::from_str(text);
                let (json_path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                    Err(e) => {
                        let p = e.path().to_string();
                        (
                            (p != "." && !p.is_empty()).then_some(p),
                            e.into_inner().to_string(),
                        )
                    }
                    Ok(_) => (None, e.to_string()),
                };
                return Err(FileError {
                    path: path.to_path_buf(),
                    json_path,
                    message,
                });
            }
            // Syntax errors are reported by the page reader, which says where.
            Err(_) => {}
        }
    }
    pages_from_text(path, text).and_then(|v| typed(path, v))
}

/// Merges a file's text read as one response, an array of page responses, or a stream of
/// responses (lists concatenated, other keys from the first page that has them).
fn pages_from_text(path: &Path, text: &str) -> Result<Value, FileError> {
    let err = |json_path: Option<String>, message: String| FileError {
        path: path.to_path_buf(),
        json_path,
        message,
    };
    let mut docs = Vec::new();
    for v in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        docs.push(v.map_err(|e| err(None, format!("not valid JSON: {e}")))?);
    }
    let pages = match docs.len() {
        0 => {
            return Err(err(
                None,
                "empty file (expected an aws CLI JSON response)".into(),
            ));
        }
        1 => match docs.pop().expect("one document") {
            Value::Array(items) => items,
            v => vec![v],
        },
        _ => docs,
    };
    let mut merged = serde_json::Map::new();
    for (i, page) in pages.into_iter().enumerate() {
        let Value::Object(map) = page else {
            return Err(err(
                Some(format!("[{i}]")),
                "expected a JSON object (an aws CLI response)".into(),
            ));
        };
        for (k, v) in map {
            match (merged.get_mut(&k), v) {
                (Some(Value::Array(have)), Value::Array(more)) => have.extend(more),
                (Some(_), _) => {}
                (None, v) => {
                    merged.insert(k, v);
                }
            }
        }
    }
    Ok(Value::Object(merged))
}

fn typed<T: DeserializeOwned>(path: &Path, v: Value) -> Result<T, FileError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let p = e.path().to_string();
        FileError {
            path: path.to_path_buf(),
            json_path: (p != "." && !p.is_empty()).then_some(p),
            message: e.into_inner().to_string(),
        }
    })
}

macro_rules! regional_lists {
    ($m:ident, $a:expr, $b:expr) => {
        $m!(
            $a,
            $b,
            instances,
            network_interfaces,
            key_pairs,
            launch_templates,
            launch_configurations,
            auto_scaling_groups,
            images,
            volumes,
            snapshots,
            addresses,
            vpcs,
            subnets,
            security_groups,
            prefix_lists,
            network_acls,
            route_tables,
            internet_gateways,
            egress_only_internet_gateways,
            nat_gateways,
            vpc_peering_connections,
            flow_logs,
            region_settings,
            trails,
            guardduty_detectors,
            ssm_instances
        )
    };
}

macro_rules! global_lists {
    ($m:ident, $a:expr, $b:expr) => {
        $m!(
            $a,
            $b,
            users,
            groups,
            roles,
            instance_profiles,
            managed_policies,
            password_policies,
            credential_report
        )
    };
}

macro_rules! set_region {
    ($a:expr, $r:expr, $($f:ident),*) => {
        $(for x in &mut $a.$f { if x.region.is_empty() { x.region = $r.to_string(); } })*
    };
}

macro_rules! set_account {
    ($a:expr, $acct:expr, $($f:ident),*) => {
        $(for x in &mut $a.$f { if x.account.is_none() { x.account = $acct.map(str::to_string); } })*
    };
}

macro_rules! extend {
    ($a:expr, $b:expr, $($f:ident),*) => {
        // Moving a list into an empty one costs nothing; extending copies it (100k instances
        // are moved twice: region into account folder, account folder into the snapshot).
        $(if $a.$f.is_empty() { $a.$f = $b.$f; } else { $a.$f.extend($b.$f); })*
    };
}

fn stamp_region(a: &mut Account, region: &str) {
    regional_lists!(set_region, a, region);
}

fn stamp_account(a: &mut Account, account: Option<&str>) {
    regional_lists!(set_account, a, account);
    global_lists!(set_account, a, account);
}

fn merge(into: &mut Account, part: Account) {
    regional_lists!(extend, into, part);
    global_lists!(extend, into, part);
    into.gaps.extend(part.gaps);
    into.account_ids.extend(part.account_ids);
    into.regions.extend(part.regions);
}

/// Final tidying across folders: one trail per ARN, sorted id lists, indexes.
fn finish(a: &mut Account) {
    a.account_ids.sort();
    a.account_ids.dedup();
    a.regions.sort();
    a.regions.dedup();
    a.trails = dedupe_trails(std::mem::take(&mut a.trails));
    image_sources_from_snapshots(a);
    a.reindex();
}

/// EC2 describes the snapshots behind an AMI as `Created by CreateImage(i-...) for ami-...`: the
/// image's source instance when the image itself does not say.
fn image_sources_from_snapshots(a: &mut Account) {
    let described: HashMap<&str, &str> = a
        .snapshots
        .iter()
        .filter_map(|s| Some((s.id.as_str(), s.description.as_deref()?)))
        .collect();
    for img in a
        .images
        .iter_mut()
        .filter(|i| i.source_instance_id.is_none())
    {
        img.source_instance_id = img
            .snapshot_ids
            .iter()
            .filter_map(|s| described.get(s.as_str()))
            .find_map(|d| convert::instance_in_description(d));
    }
}

/// A multi-region trail is listed in every region; keep one entry per ARN (the home region's),
/// filling status and selectors from any copy that has them.
fn dedupe_trails(trails: Vec<Trail>) -> Vec<Trail> {
    let mut out: Vec<Trail> = Vec::new();
    let mut seen: HashMap<(Option<String>, String), usize> = HashMap::new();
    for t in trails {
        let key = (
            t.account.clone(),
            t.arn.clone().unwrap_or_else(|| t.name.clone()),
        );
        match seen.get(&key) {
            None => {
                seen.insert(key, out.len());
                out.push(t);
            }
            Some(&i) => {
                let have = &mut out[i];
                let t_home = t.home_region.as_deref() == Some(t.region.as_str());
                let mut t = t;
                if t_home {
                    std::mem::swap(have, &mut t);
                }
                // `have` is the preferred copy, `t` the other one.
                if have.status.is_none() {
                    have.status = t.status;
                }
                if !have.selectors_known && t.selectors_known {
                    have.event_selectors = t.event_selectors;
                    have.advanced_event_selectors = t.advanced_event_selectors;
                    have.selectors_known = true;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_and_zones() {
        for r in ["us-east-1", "us-gov-west-1", "ap-southeast-2", "cn-north-1"] {
            assert!(is_region_name(r), "{r}");
        }
        for r in ["us-east", "111122223333", "US-east-1", "us-east-1a", "logs"] {
            assert!(!is_region_name(r), "{r}");
        }
        assert_eq!(region_of_zone("us-east-1a").as_deref(), Some("us-east-1"));
        assert_eq!(
            region_of_zone("us-west-2-lax-1a").as_deref(),
            Some("us-west-2")
        );
        assert_eq!(
            region_of_zone("us-gov-west-1b").as_deref(),
            Some("us-gov-west-1")
        );
        assert_eq!(region_of_zone("nowhere"), None);
    }

    #[test]
    fn arns_name_their_account() {
        assert_eq!(
            account_of_arn("arn:aws:iam::111122223333:user/bob").as_deref(),
            Some("111122223333")
        );
        assert_eq!(account_of_arn("arn:aws:iam::aws:policy/Admin"), None);
    }
}
