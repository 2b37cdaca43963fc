//! What an attacker on an instance may do with the role its instance profile hands out over IMDS:
//! admin or not, and the actions that matter in an incident. A reading of the role's identity
//! policies (attached managed policies whose documents the snapshot holds, and inline policies);
//! not a full IAM evaluation: permissions boundaries, SCPs and resource policies are not seen.

use cloud::{Account, Role};
use serde::Serialize;
use serde_json::Value;

/// Actions worth naming in a one-minute summary: each lets an attacker persist, escalate, move
/// to other instances or take data.
pub const NOTABLE_ACTIONS: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:CreateUser",
    "iam:CreateLoginProfile",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:AttachUserPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
    "sts:AssumeRole",
    "ec2:RunInstances",
    "ec2:CreateKeyPair",
    "ec2:ImportKeyPair",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:ModifyInstanceAttribute",
    "ec2:CreateSnapshot",
    "ec2:ModifySnapshotAttribute",
    "ec2:ModifyImageAttribute",
    "ec2:TerminateInstances",
    "ec2-instance-connect:SendSSHPublicKey",
    "ssm:SendCommand",
    "ssm:StartSession",
    "ssm:GetParameter",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "lambda:UpdateFunctionCode",
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "guardduty:DeleteDetector",
];

/// AWS-managed policies often attached to instance roles, for when the snapshot lacks their
/// documents (moto and `get-account-authorization-details` without AWS-managed policies).
const KNOWN_MANAGED: &[(&str, KnownPolicy)] = &[
    ("AdministratorAccess", KnownPolicy::Admin),
    (
        "PowerUserAccess",
        KnownPolicy::AllBut(&["iam:", "organizations:", "account:"]),
    ),
    ("IAMFullAccess", KnownPolicy::Services(&["iam:"])),
    (
        "AmazonEC2FullAccess",
        KnownPolicy::Services(&["ec2:", "iam:PassRole"]),
    ),
    ("AmazonS3FullAccess", KnownPolicy::Services(&["s3:"])),
    ("AmazonSSMFullAccess", KnownPolicy::Services(&["ssm:"])),
    (
        "AmazonSSMManagedInstanceCore",
        KnownPolicy::Services(&["ssm:GetParameter", "ssmmessages:", "ec2messages:"]),
    ),
];

#[derive(Clone, Copy, Debug)]
enum KnownPolicy {
    Admin,
    AllBut(&'static [&'static str]),
    Services(&'static [&'static str]),
}

/// One notable action the role may perform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub action: String,
    /// The policies that allow it (`name` or `name (inline)`).
    pub via: Vec<String>,
    /// True when every allowing statement has a Condition (may not apply).
    pub conditional: bool,
    /// True when an allowing statement is limited to named resources.
    pub resource_limited: bool,
}

/// The role an instance hands out and what it may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleAccess {
    pub role_name: String,
    pub role_arn: String,
    pub instance_profiles: Vec<String>,
    /// Affected instances that run with it.
    pub instances: Vec<String>,
    /// `Action: "*"` on `Resource: "*"` without a condition, or AdministratorAccess attached.
    pub admin: bool,
    /// Service-wide grants found literally (`iam:*`, `ec2:*`, `s3:*`, `*`).
    pub wildcards: Vec<String>,
    pub notable: Vec<Grant>,
    /// Attached policies whose documents the snapshot lacks (what they allow is unknown).
    pub unknown_policies: Vec<String>,
}

struct Statement<'a> {
    allow: bool,
    actions: Vec<&'a str>,
    not_actions: Vec<&'a str>,
    resource_all: bool,
    conditional: bool,
    source: String,
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn statements<'a>(doc: &'a Value, source: &str, out: &mut Vec<Statement<'a>>) {
    let list: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    for s in list {
        let resources = strings(s.get("Resource"));
        out.push(Statement {
            allow: s.get("Effect").and_then(Value::as_str) == Some("Allow"),
            actions: strings(s.get("Action")),
            not_actions: strings(s.get("NotAction")),
            resource_all: resources.contains(&"*") || s.get("NotResource").is_some(),
            conditional: s
                .get("Condition")
                .is_some_and(|c| c.as_object().is_some_and(|o| !o.is_empty())),
            source: source.to_string(),
        });
    }
}

/// IAM action globbing: `*` and `?`, case-insensitive.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

fn statement_covers(s: &Statement<'_>, action: &str) -> bool {
    if !s.actions.is_empty() {
        s.actions.iter().any(|p| action_matches(p, action))
    } else if !s.not_actions.is_empty() {
        !s.not_actions.iter().any(|p| action_matches(p, action))
    } else {
        false
    }
}

/// What one role may do.
pub fn role_access(account: &Account, role: &Role) -> RoleAccess {
    let mut stmts = Vec::new();
    let mut unknown = Vec::new();
    let mut admin = false;
    let mut known_grants: Vec<(String, KnownPolicy)> = Vec::new();
    let docs: Vec<(String, &Value)> = role
        .attached_policies
        .iter()
        .filter_map(|a| {
            let name = a
                .name
                .clone()
                .unwrap_or_else(|| a.arn.rsplit('/').next().unwrap_or(&a.arn).to_string());
            match account
                .managed_policy(&a.arn)
                .and_then(|p| p.document.as_ref())
            {
                Some(doc) => Some((name, doc)),
                None => {
                    let aws_managed = a.arn.starts_with("arn:aws:iam::aws:policy/")
                        || a.arn.contains(":iam::aws:policy/");
                    match KNOWN_MANAGED.iter().find(|(n, _)| *n == name) {
                        Some((_, k)) if aws_managed => known_grants.push((name, *k)),
                        _ => unknown.push(name),
                    }
                    None
                }
            }
        })
        .collect();
    for (name, doc) in &docs {
        statements(doc, name, &mut stmts);
    }
    for p in &role.inline_policies {
        statements(&p.document, &format!("{} (inline)", p.name), &mut stmts);
    }
    for (_, k) in &known_grants {
        if matches!(k, KnownPolicy::Admin) {
            admin = true;
        }
    }
    if stmts
        .iter()
        .any(|s| s.allow && s.resource_all && !s.conditional && s.actions.contains(&"*"))
    {
        admin = true;
    }
    // A blanket deny without condition cancels matching allows.
    let denied = |action: &str| {
        stmts
            .iter()
            .any(|s| !s.allow && s.resource_all && !s.conditional && statement_covers(s, action))
    };
    let mut wildcards: Vec<String> = stmts
        .iter()
        .filter(|s| s.allow)
        .flat_map(|s| s.actions.iter())
        .filter(|a| **a == "*" || a.ends_with(":*"))
        .map(|a| a.to_string())
        .collect();
    for (name, k) in &known_grants {
        match k {
            KnownPolicy::Admin => wildcards.push(format!("* ({name})")),
            KnownPolicy::AllBut(_) => wildcards.push(format!("*, except IAM ({name})")),
            KnownPolicy::Services(s) => wildcards.extend(
                s.iter()
                    .filter(|p| p.ends_with(':'))
                    .map(|p| format!("{p}* ({name})")),
            ),
        }
    }
    wildcards.sort();
    wildcards.dedup();
    let mut notable = Vec::new();
    for action in NOTABLE_ACTIONS {
        if denied(action) {
            continue;
        }
        let allowing: Vec<&Statement<'_>> = stmts
            .iter()
            .filter(|s| s.allow && statement_covers(s, action))
            .collect();
        let mut via: Vec<String> = allowing.iter().map(|s| s.source.clone()).collect();
        for (name, k) in &known_grants {
            let grants = match k {
                KnownPolicy::Admin => true,
                KnownPolicy::AllBut(except) => !except.iter().any(|e| action.starts_with(e)),
                KnownPolicy::Services(s) => s.iter().any(|p| {
                    if p.ends_with(':') {
                        action.starts_with(p)
                    } else {
                        action == p
                    }
                }),
            };
            if grants {
                via.push(format!("{name} (AWS managed)"));
            }
        }
        if via.is_empty() {
            continue;
        }
        via.sort();
        via.dedup();
        let conditional = !allowing.is_empty()
            && allowing.iter().all(|s| s.conditional)
            && known_grants.is_empty();
        notable.push(Grant {
            action: action.to_string(),
            via,
            conditional,
            resource_limited: allowing.iter().any(|s| !s.resource_all),
        });
    }
    unknown.sort();
    RoleAccess {
        role_name: role.name.clone(),
        role_arn: role.arn.clone(),
        instance_profiles: Vec::new(),
        instances: Vec::new(),
        admin,
        wildcards,
        notable,
        unknown_policies: unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloud::{AttachedPolicy, InlinePolicy, ManagedPolicy};
    use serde_json::json;

    fn role_with(inline: Value, attached: &[(&str, &str)]) -> (Account, Role) {
        let mut a = Account::default();
        let role = Role {
            name: "web".into(),
            arn: "arn:aws:iam::111122223333:role/web".into(),
            inline_policies: vec![InlinePolicy {
                name: "inline".into(),
                document: inline,
            }],
            attached_policies: attached
                .iter()
                .map(|(n, arn)| AttachedPolicy {
                    name: Some(n.to_string()),
                    arn: arn.to_string(),
                })
                .collect(),
            ..Role::default()
        };
        a.roles.push(role.clone());
        a.managed_policies.push(ManagedPolicy {
            name: "s3-read".into(),
            arn: "arn:aws:iam::111122223333:policy/s3-read".into(),
            document: Some(json!({"Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]})),
            ..ManagedPolicy::default()
        });
        a.reindex();
        (a, role)
    }

    #[test]
    fn globbing() {
        assert!(action_matches("s3:Get*", "s3:GetObject"));
        assert!(action_matches("*", "iam:PassRole"));
        assert!(action_matches("IAM:passrole", "iam:PassRole"));
        assert!(action_matches("ec2:Run?nstances", "ec2:RunInstances"));
        assert!(!action_matches("s3:Get*", "s3:PutObject"));
        assert!(!action_matches("ec2:Describe*", "ec2:RunInstances"));
    }

    #[test]
    fn admin_from_inline_star() {
        let (a, r) = role_with(
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
            &[],
        );
        let access = role_access(&a, &r);
        assert!(access.admin);
        assert!(
            access
                .notable
                .iter()
                .any(|g| g.action == "iam:CreateAccessKey")
        );
        assert_eq!(access.wildcards, vec!["*"]);
    }

    #[test]
    fn scoped_role_is_not_admin_and_names_its_grants() {
        let (a, r) = role_with(
            json!({"Statement": [
                {"Effect": "Allow", "Action": ["ssm:SendCommand", "ec2:*"], "Resource": "*"},
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::1:role/x", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
                {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}
            ]}),
            &[
                ("s3-read", "arn:aws:iam::111122223333:policy/s3-read"),
                ("Mystery", "arn:aws:iam::111122223333:policy/Mystery"),
            ],
        );
        let access = role_access(&a, &r);
        assert!(!access.admin);
        let names: Vec<&str> = access.notable.iter().map(|g| g.action.as_str()).collect();
        assert!(names.contains(&"ssm:SendCommand"));
        assert!(names.contains(&"ec2:RunInstances"));
        assert!(names.contains(&"s3:GetObject"));
        assert!(!names.contains(&"s3:PutObject"));
        assert!(!names.contains(&"ec2:TerminateInstances"), "denied");
        assert!(!names.contains(&"iam:PassRole"));
        let assume = access
            .notable
            .iter()
            .find(|g| g.action == "sts:AssumeRole")
            .unwrap();
        assert!(assume.conditional && assume.resource_limited);
        assert_eq!(access.wildcards, vec!["ec2:*"]);
        assert_eq!(access.unknown_policies, vec!["Mystery"]);
    }

    #[test]
    fn aws_managed_admin_without_document() {
        let (a, r) = role_with(
            json!({"Statement": []}),
            &[(
                "AdministratorAccess",
                "arn:aws:iam::aws:policy/AdministratorAccess",
            )],
        );
        let access = role_access(&a, &r);
        assert!(access.admin);
        assert!(access.unknown_policies.is_empty());
    }

    #[test]
    fn not_action_allows_the_rest() {
        let (a, r) = role_with(
            json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}),
            &[],
        );
        let access = role_access(&a, &r);
        assert!(!access.admin);
        let names: Vec<&str> = access.notable.iter().map(|g| g.action.as_str()).collect();
        assert!(names.contains(&"ec2:RunInstances"));
        assert!(!names.contains(&"iam:PassRole"));
    }
}
