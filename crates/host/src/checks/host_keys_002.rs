//! HOST-KEYS-002: one key opens several accounts.
use std::collections::BTreeMap;

use super::Check;
use crate::audit::HostData;
use crate::{Evidence, Severity};

pub static CHECK: Check = Check {
    id: "HOST-KEYS-002",
    title: "Same key authorised for several users",
    severity: Severity::Medium,
    description: "A key shared between accounts hides who logged in and turns one leaked key into \
                  access to all of them; it is also a common persistence trick (the attacker's key \
                  copied next to every user's).",
    remediation: "Give each person their own key; remove the key from the accounts it does not \
                  belong to.",
    run,
};

fn run(h: &HostData, out: &mut Vec<crate::Finding>) {
    let mut by_key: BTreeMap<&str, Vec<(&str, Evidence)>> = BTreeMap::new();
    for file in &h.authorized {
        for key in &file.keys {
            by_key.entry(key.public.sha256.as_str()).or_default().push((
                file.user.as_str(),
                Evidence::line(&file.path, key.line, key.text.clone()),
            ));
        }
    }
    for (fp, places) in by_key {
        let mut users: Vec<&str> = places.iter().map(|(u, _)| *u).collect();
        users.sort();
        users.dedup();
        if users.len() > 1 {
            out.push(CHECK.finding(
                format!("{fp} is authorised for {}", users.join(", ")),
                None,
                places.into_iter().map(|(_, e)| e).collect(),
                Vec::new(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{ED_A, PASSWD, RSA_1024, run};

    #[test]
    fn shared_between_alice_and_root() {
        let a = format!("{ED_A}\n");
        let f = run(
            "HOST-KEYS-002",
            &[
                ("/etc/passwd", PASSWD),
                ("/home/alice/.ssh/authorized_keys", &a),
                ("/root/.ssh/authorized_keys", &a),
            ],
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.ends_with("is authorised for alice, root"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].evidence.len(), 2);
    }

    #[test]
    fn distinct_keys_or_same_user_twice() {
        let a = format!("{ED_A}\n{ED_A}\n");
        let b = format!("{RSA_1024}\n");
        assert!(
            run(
                "HOST-KEYS-002",
                &[
                    ("/etc/passwd", PASSWD),
                    ("/home/alice/.ssh/authorized_keys", &a),
                    ("/home/bob/.ssh/authorized_keys", &b)
                ],
            )
            .is_empty()
        );
    }
}
