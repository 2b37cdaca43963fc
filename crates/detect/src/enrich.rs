//! What an account snapshot adds to findings: the instances still launched with a key pair, the
//! instances behind a security group, and whether an instance role's credentials were used from
//! outside that instance's own addresses.
//!
//! Reads the snapshot folder's aws CLI JSON (`ec2-describe-instances.json`, at the top or in one
//! subfolder per region).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::finding::Finding;
use crate::pipeline::Enricher;

#[derive(Clone, Debug, Default)]
struct Instance {
    id: String,
    state: String,
    key_name: Option<String>,
    groups: BTreeSet<String>,
    addresses: BTreeSet<String>,
}

/// The parts of a snapshot detection uses, indexed.
#[derive(Debug, Default)]
pub struct SnapshotContext {
    instances: BTreeMap<String, Instance>,
}

impl SnapshotContext {
    /// Loads every `ec2-describe-instances.json` under `dir` (top level and region folders).
    /// A file that does not parse is an error naming it.
    pub fn load(dir: &Path) -> Result<SnapshotContext, String> {
        if !dir.is_dir() {
            return Err(format!("--snapshot {}: not a folder", dir.display()));
        }
        let mut files = vec![dir.join("ec2-describe-instances.json")];
        let mut subdirs: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        files.extend(
            subdirs
                .iter()
                .map(|d| d.join("ec2-describe-instances.json")),
        );
        let mut ctx = SnapshotContext::default();
        for file in files.iter().filter(|f| f.is_file()) {
            let text =
                std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}: invalid JSON: {e}", file.display()))?;
            ctx.add_instances(&v);
        }
        Ok(ctx)
    }

    fn add_instances(&mut self, v: &Value) {
        let reservations = v["Reservations"].as_array().cloned().unwrap_or_default();
        for inst in reservations
            .iter()
            .flat_map(|r| r["Instances"].as_array().cloned().unwrap_or_default())
        {
            let Some(id) = inst["InstanceId"].as_str() else {
                continue;
            };
            let mut i = Instance {
                id: id.to_string(),
                state: inst["State"]["Name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                key_name: inst["KeyName"].as_str().map(str::to_string),
                ..Instance::default()
            };
            let mut text_at = |v: &Value| {
                if let Some(s) = v.as_str() {
                    i.addresses.insert(s.to_string());
                }
            };
            text_at(&inst["PrivateIpAddress"]);
            text_at(&inst["PublicIpAddress"]);
            text_at(&inst["Ipv6Address"]);
            for eni in inst["NetworkInterfaces"].as_array().into_iter().flatten() {
                text_at(&eni["PrivateIpAddress"]);
                text_at(&eni["Association"]["PublicIp"]);
                for p in eni["PrivateIpAddresses"].as_array().into_iter().flatten() {
                    text_at(&p["PrivateIpAddress"]);
                    text_at(&p["Association"]["PublicIp"]);
                }
                for a in eni["Ipv6Addresses"].as_array().into_iter().flatten() {
                    text_at(&a["Ipv6Address"]);
                }
                for g in eni["Groups"].as_array().into_iter().flatten() {
                    if let Some(g) = g["GroupId"].as_str() {
                        i.groups.insert(g.to_string());
                    }
                }
            }
            for g in inst["SecurityGroups"].as_array().into_iter().flatten() {
                if let Some(g) = g["GroupId"].as_str() {
                    i.groups.insert(g.to_string());
                }
            }
            self.instances.insert(i.id.clone(), i);
        }
    }

    fn list(instances: &[&Instance]) -> String {
        instances
            .iter()
            .map(|i| format!("{} ({})", i.id, i.state))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Enricher for SnapshotContext {
    fn enrich(&self, f: &mut Finding) {
        for key in &f.resources.key_names {
            let using: Vec<&Instance> = self
                .instances
                .values()
                .filter(|i| i.key_name.as_deref() == Some(key.as_str()) && i.state != "terminated")
                .collect();
            if !using.is_empty() {
                f.context.push(format!(
                    "instances launched with key pair {key}: {}",
                    Self::list(&using)
                ));
            } else if f.event_name.contains("DeleteKeyPair") {
                f.context.push(format!(
                    "no instance in the snapshot is launched with key pair {key}"
                ));
            }
        }
        for group in &f.resources.group_ids {
            let behind: Vec<&Instance> = self
                .instances
                .values()
                .filter(|i| i.groups.contains(group) && i.state != "terminated")
                .collect();
            if !behind.is_empty() {
                f.context
                    .push(format!("instances behind {group}: {}", Self::list(&behind)));
            }
        }
        // An instance role's session is named after the instance: its calls should come from it.
        let session_instance = f
            .principal
            .as_deref()
            .filter(|p| p.contains(":assumed-role/"))
            .and_then(|p| p.rsplit('/').next())
            .and_then(|id| self.instances.get(id));
        if let Some(inst) = session_instance {
            let ips: BTreeSet<&str> = f
                .source_ip
                .iter()
                .chain(&f.source_ips)
                .map(String::as_str)
                .collect();
            let known: Vec<&str> = inst.addresses.iter().map(String::as_str).collect();
            for ip in ips {
                if ip.parse::<std::net::IpAddr>().is_ok() && !inst.addresses.contains(ip) {
                    f.context.push(format!(
                        "credentials of {}'s role used from {ip}, which is not one of its addresses ({})",
                        inst.id,
                        known.join(", ")
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Outcome, Severity};
    use crate::resources::Resources;
    use serde_json::json;

    fn finding(event: &str, principal: &str, ip: &str, resources: Resources) -> Finding {
        Finding {
            id: "TH-0".into(),
            rule_id: "r".into(),
            title: "t".into(),
            severity: Severity::High,
            outcome: Outcome::Succeeded,
            event_ids: vec!["e".into()],
            event_name: event.into(),
            event_time: "2024-05-04T02:00:00Z".into(),
            principal: Some(principal.into()),
            source_ip: Some(ip.into()),
            source_ips: vec![],
            account: None,
            region: None,
            error_code: None,
            resources,
            attack: vec![],
            kb: None,
            story: String::new(),
            context: vec![],
        }
    }

    fn ctx() -> SnapshotContext {
        let mut c = SnapshotContext::default();
        c.add_instances(&json!({ "Reservations": [{ "Instances": [
            { "InstanceId": "i-0a1b2c3d4e5f60001", "State": { "Name": "running" }, "KeyName": "deploy",
              "PrivateIpAddress": "10.0.1.11", "PublicIpAddress": "3.85.10.21",
              "SecurityGroups": [{ "GroupId": "sg-0123456789abcdef0" }] },
            { "InstanceId": "i-0a1b2c3d4e5f60009", "State": { "Name": "terminated" }, "KeyName": "deploy" },
        ]}]}));
        c
    }

    #[test]
    fn key_pairs_groups_and_outside_credentials() {
        let c = ctx();
        let mut r = Resources::default();
        r.key_names.insert("deploy".into());
        let mut f = finding("DeleteKeyPair", "arn:aws:iam::1:user/x", "198.51.100.77", r);
        c.enrich(&mut f);
        assert_eq!(
            f.context,
            ["instances launched with key pair deploy: i-0a1b2c3d4e5f60001 (running)"]
        );

        let mut r = Resources::default();
        r.group_ids.insert("sg-0123456789abcdef0".into());
        let mut f = finding(
            "AuthorizeSecurityGroupIngress",
            "arn:aws:iam::1:user/x",
            "198.51.100.77",
            r,
        );
        c.enrich(&mut f);
        assert_eq!(
            f.context,
            ["instances behind sg-0123456789abcdef0: i-0a1b2c3d4e5f60001 (running)"]
        );

        let role = "arn:aws:sts::1:assumed-role/web/i-0a1b2c3d4e5f60001";
        let mut outside = finding("ListBuckets", role, "198.51.100.77", Resources::default());
        c.enrich(&mut outside);
        assert_eq!(outside.context.len(), 1);
        assert!(outside.context[0].contains("not one of its addresses (10.0.1.11, 3.85.10.21)"));
        let mut inside = finding("ListBuckets", role, "3.85.10.21", Resources::default());
        c.enrich(&mut inside);
        assert!(inside.context.is_empty());
    }

    #[test]
    fn a_deleted_key_no_instance_uses() {
        let c = ctx();
        let mut r = Resources::default();
        r.key_names.insert("backup-key".into());
        let mut f = finding("DeleteKeyPair", "arn:aws:iam::1:user/x", "198.51.100.77", r);
        c.enrich(&mut f);
        assert_eq!(
            f.context,
            ["no instance in the snapshot is launched with key pair backup-key"]
        );
    }
}
