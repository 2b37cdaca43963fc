//! The lookup indexes of a large account: built in parallel, answering as a serial build would.

use cloud::{Account, Instance, NetworkInterface};

/// 20 000 instances (several stretches of the parallel build): every one in `sg-all` through its
/// own list, every third also in `sg-third` through an interface, and some listing a group twice.
fn account() -> Account {
    let mut a = Account::default();
    for i in 0..20_000 {
        let id = format!("i-{i:05}");
        let mut groups = vec!["sg-all".to_string()];
        if i % 7 == 0 {
            groups.push("sg-all".to_string());
        }
        let mut enis = Vec::new();
        if i % 3 == 0 {
            let eni = format!("eni-{i:05}");
            a.network_interfaces.push(NetworkInterface {
                id: eni.clone(),
                security_group_ids: vec!["sg-third".into(), "sg-all".into()],
                ..NetworkInterface::default()
            });
            enis.push(eni);
        }
        a.instances.push(Instance {
            id,
            security_group_ids: groups,
            network_interfaces: enis,
            ..Instance::default()
        });
    }
    a.reindex();
    a
}

fn ids<'a>(a: &'a Account, group: &str) -> Vec<&'a str> {
    a.instances_in_security_group(group)
        .iter()
        .map(|i| i.id.as_str())
        .collect()
}

#[test]
fn instances_of_a_group_come_once_each_in_instance_order() {
    let a = account();
    let all = ids(&a, "sg-all");
    let want: Vec<String> = (0..20_000).map(|i| format!("i-{i:05}")).collect();
    assert_eq!(all, want);
    let third = ids(&a, "sg-third");
    let want: Vec<String> = (0..20_000)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("i-{i:05}"))
        .collect();
    assert_eq!(third, want);
    assert!(ids(&a, "sg-none").is_empty());
}

#[test]
fn a_key_pair_is_found_in_its_account_else_where_an_account_is_unknown() {
    use cloud::KeyPair;
    let key = |id: &str, region: &str, account: Option<&str>| KeyPair {
        name: "ops".into(),
        id: Some(id.into()),
        region: region.into(),
        account: account.map(str::to_string),
        ..KeyPair::default()
    };
    let mut a = Account::default();
    a.key_pairs = vec![
        key("a-east", "us-east-1", Some("A")),
        key("unknown-east", "us-east-1", None),
        key("b-west", "eu-west-1", Some("B")),
        key("b-east", "us-east-1", Some("B")),
        key("a-east-again", "us-east-1", Some("A")),
    ];
    a.reindex();
    let found = |account: Option<&str>, region: &str, name: &str| {
        a.key_pair(account, region, name)
            .and_then(|k| k.id.as_deref())
    };
    // The account's own, the first of them.
    assert_eq!(found(Some("A"), "us-east-1", "ops"), Some("a-east"));
    assert_eq!(found(Some("B"), "us-east-1", "ops"), Some("b-east"));
    // No key of that account: one whose account is unknown.
    assert_eq!(found(Some("C"), "us-east-1", "ops"), Some("unknown-east"));
    // The instance's account unknown: the one without an account first, else any.
    assert_eq!(found(None, "us-east-1", "ops"), Some("unknown-east"));
    assert_eq!(found(None, "eu-west-1", "ops"), Some("b-west"));
    // Another account's key in that region does not count; nor another region's, nor name.
    assert_eq!(found(Some("A"), "eu-west-1", "ops"), None);
    assert_eq!(found(Some("A"), "us-west-2", "ops"), None);
    assert_eq!(found(Some("A"), "us-east-1", "dev"), None);
}
