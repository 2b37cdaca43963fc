//! Whether an IAM identity is an administrator: a policy allowing every action on every resource
//! (`"Action": "*"` or `"*:*"` with `"Resource": "*"`), from attached managed policies (by document,
//! or AWS's AdministratorAccess by ARN when the document is not in the snapshot), inline policies
//! and, for users, their groups' policies.

use cloud::{Account, AttachedPolicy, InlinePolicy, Role, User};
use serde_json::Value;

const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// True when a policy document has an Allow statement for every action on every resource, with no
/// condition (a conditioned grant is not unconditional admin).
pub fn document_is_admin(document: &Value) -> bool {
    as_list(&document["Statement"]).into_iter().any(|st| {
        st["Effect"].as_str() == Some("Allow")
            && st.get("Condition").is_none_or(|c| c.is_null())
            && as_list(&st["Action"])
                .iter()
                .any(|a| matches!(a.as_str(), Some("*") | Some("*:*")))
            && as_list(&st["Resource"])
                .iter()
                .any(|r| r.as_str() == Some("*"))
    })
}

fn policies_admin(account: &Account, attached: &[AttachedPolicy], inline: &[InlinePolicy]) -> bool {
    attached.iter().any(|p| {
        p.arn == ADMINISTRATOR_ACCESS
            || account
                .managed_policy(&p.arn)
                .and_then(|m| m.document.as_ref())
                .is_some_and(document_is_admin)
    }) || inline.iter().any(|p| document_is_admin(&p.document))
}

pub fn role_is_admin(account: &Account, role: &Role) -> bool {
    policies_admin(account, &role.attached_policies, &role.inline_policies)
}

pub fn user_is_admin(account: &Account, user: &User) -> bool {
    policies_admin(account, &user.attached_policies, &user.inline_policies)
        || user.groups.iter().any(|g| {
            account
                .group(g)
                .is_some_and(|g| policies_admin(account, &g.attached_policies, &g.inline_policies))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn admin_documents() {
        assert!(document_is_admin(
            &json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        ));
        assert!(document_is_admin(
            &json!({"Statement": {"Effect": "Allow", "Action": ["s3:Get*", "*:*"], "Resource": ["*"]}})
        ));
        assert!(!document_is_admin(
            &json!({"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]})
        ));
        assert!(!document_is_admin(
            &json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
        ));
        assert!(!document_is_admin(
            &json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})
        ));
        assert!(!document_is_admin(
            &json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}]})
        ));
    }
}
