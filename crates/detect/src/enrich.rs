//! What an account snapshot adds to findings: the instances still launched with a key pair, the
//! instances behind a security group, and whether an instance role's credentials were used from
//! outside that instance's own addresses.
//!
//! Reads the snapshot folder through the account model (`cloud::load`): instances and their
//! network interfaces, at the top or in region and account folders.

use std::collections::BTreeSet;
use std::path::Path;

use cloud::{Account, Instance};

use crate::finding::Finding;
use crate::pipeline::Enricher;

/// The account model, with the per-instance addresses detection compares source IPs against.
#[derive(Debug, Default)]
pub struct SnapshotContext {
    account: Account,
}

/// The files this enricher reads: a bad one is an error, other bad files are not its concern.
const USED_FILES: &[&str] = &[
    "ec2-describe-instances.json",
    "ec2-describe-network-interfaces.json",
];

impl SnapshotContext {
    /// Loads the snapshot folder `dir`. An instance or interface file that does not parse is an
    /// error naming it (and the JSON path).
    pub fn load(dir: &Path) -> Result<SnapshotContext, String> {
        if !dir.is_dir() {
            return Err(format!("--snapshot {}: not a folder", dir.display()));
        }
        let (account, report) = cloud::load(dir).map_err(|e| e.to_string())?;
        let bad: Vec<String> = report
            .errors
            .iter()
            .filter(|e| {
                e.path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| USED_FILES.contains(&n))
            })
            .map(ToString::to_string)
            .collect();
        if !bad.is_empty() {
            return Err(bad.join("; "));
        }
        Ok(SnapshotContext::from_account(account))
    }

    /// Uses an account model loaded elsewhere.
    pub fn from_account(account: Account) -> SnapshotContext {
        SnapshotContext { account }
    }

    /// The model behind the context.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// Every address of an instance: its own and those of its interfaces, as text.
    fn addresses(&self, inst: &Instance) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = BTreeSet::new();
        out.extend(inst.private_ip.map(|a| a.to_string()));
        out.extend(inst.public_ip.map(|a| a.to_string()));
        out.extend(inst.ipv6_addresses.iter().map(|a| a.to_string()));
        for eni in self.account.enis_of_instance(&inst.id) {
            out.extend(eni.private_ip.map(|a| a.to_string()));
            out.extend(eni.public_ip.map(|a| a.to_string()));
            for p in &eni.private_ips {
                out.insert(p.address.to_string());
                out.extend(p.public_ip.map(|a| a.to_string()));
            }
            out.extend(eni.ipv6_addresses.iter().map(|a| a.to_string()));
        }
        out
    }

    /// Live instances, by id.
    fn live(mut instances: Vec<&Instance>) -> Vec<&Instance> {
        instances.retain(|i| i.state != "terminated");
        instances.sort_by(|a, b| a.id.cmp(&b.id));
        instances.dedup_by(|a, b| a.id == b.id);
        instances
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
            let using = Self::live(self.account.instances_by_key_name(key));
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
            let behind = Self::live(self.account.instances_in_security_group(group));
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
            .and_then(|id| self.account.instance(id));
        if let Some(inst) = session_instance {
            let addresses = self.addresses(inst);
            let ips: BTreeSet<&str> = f
                .source_ip
                .iter()
                .chain(&f.source_ips)
                .map(String::as_str)
                .collect();
            let known: Vec<&str> = addresses.iter().map(String::as_str).collect();
            for ip in ips {
                if ip.parse::<std::net::IpAddr>().is_ok() && !addresses.contains(ip) {
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
        let mut a = cloud::Account::default();
        a.instances.push(cloud::Instance {
            id: "i-0a1b2c3d4e5f60001".into(),
            state: "running".into(),
            key_name: Some("deploy".into()),
            private_ip: Some("10.0.1.11".parse().unwrap()),
            public_ip: Some("3.85.10.21".parse().unwrap()),
            security_group_ids: vec!["sg-0123456789abcdef0".into()],
            ..cloud::Instance::default()
        });
        a.instances.push(cloud::Instance {
            id: "i-0a1b2c3d4e5f60009".into(),
            state: "terminated".into(),
            key_name: Some("deploy".into()),
            ..cloud::Instance::default()
        });
        a.reindex();
        SnapshotContext::from_account(a)
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
    fn addresses_of_the_instances_interfaces_count_as_its_own() {
        let mut c = ctx();
        c.account.network_interfaces.push(cloud::NetworkInterface {
            id: "eni-1".into(),
            attachment: Some(cloud::EniAttachment {
                instance_id: Some("i-0a1b2c3d4e5f60001".into()),
                ..cloud::EniAttachment::default()
            }),
            private_ips: vec![cloud::PrivateIp {
                address: "10.0.1.99".parse().unwrap(),
                primary: false,
                public_ip: Some("54.1.2.3".parse().unwrap()),
            }],
            ..cloud::NetworkInterface::default()
        });
        c.account.reindex();
        let role = "arn:aws:sts::1:assumed-role/web/i-0a1b2c3d4e5f60001";
        let mut f = finding("ListBuckets", role, "54.1.2.3", Resources::default());
        c.enrich(&mut f);
        assert!(f.context.is_empty(), "{:?}", f.context);
        let mut f = finding("ListBuckets", role, "54.1.2.4", Resources::default());
        c.enrich(&mut f);
        assert!(f.context[0].contains("10.0.1.99"), "{:?}", f.context);
    }

    #[test]
    fn loads_the_bundled_snapshot_and_names_a_bad_instances_file() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/snapshot");
        let c = SnapshotContext::load(&sample).unwrap();
        assert_eq!(c.account().instances.len(), 5);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ec2-describe-instances.json"),
            "{\"Reservations\": [",
        )
        .unwrap();
        let err = SnapshotContext::load(dir.path()).unwrap_err();
        assert!(err.contains("ec2-describe-instances.json"), "{err}");
        // A bad file the enricher does not read is not its concern.
        std::fs::write(dir.path().join("ec2-describe-instances.json"), "{}").unwrap();
        std::fs::write(dir.path().join("ec2-describe-vpcs.json"), "[1]").unwrap();
        assert!(SnapshotContext::load(dir.path()).is_ok());
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
