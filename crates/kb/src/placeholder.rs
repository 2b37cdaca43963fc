//! `{name}` placeholders in entry texts: the known names, finding them, and filling them.
//!
//! A placeholder is `{` + a lowercase identifier + `}`; anything else in braces (JSON, Python
//! dicts) is plain text. Unfilled placeholders stay visible as `{name}`.

use std::collections::BTreeMap;

/// Every placeholder an entry may use, with what fills it.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("account", "the AWS account id"),
    ("region", "the AWS region"),
    ("principal", "the ARN of the caller"),
    ("user_name", "an IAM user name"),
    ("role_name", "an IAM role name"),
    ("key_name", "an EC2 key pair name"),
    ("key_pair_id", "an EC2 key pair id (key-...)"),
    ("instance_id", "an EC2 instance id (i-...)"),
    ("group_id", "a security group id (sg-...)"),
    ("network_acl_id", "a network ACL id (acl-...)"),
    ("subnet_id", "a subnet id (subnet-...)"),
    ("vpc_id", "a VPC id (vpc-...)"),
    ("access_key_id", "an IAM access key id (AKIA...)"),
    ("ssh_public_key_id", "an IAM SSH public key id (APKA...)"),
    ("trail_name", "a CloudTrail trail name"),
    ("snapshot_id", "an EBS snapshot id (snap-...)"),
    ("image_id", "an AMI id (ami-...)"),
    (
        "association_id",
        "an association id (iip-assoc-... for instance profiles)",
    ),
    ("flow_log_id", "a VPC flow log id (fl-...)"),
    ("launch_template_id", "a launch template id (lt-...)"),
    ("asg_name", "an Auto Scaling group name"),
    ("source_ip", "the caller's source address"),
    ("trail", "the path to the CloudTrail logs trailhound reads"),
    ("document_name", "an SSM document name"),
    ("policy_arn", "an IAM policy ARN"),
    ("kms_key_id", "a KMS key id or ARN"),
];

pub fn is_known(name: &str) -> bool {
    PLACEHOLDERS.iter().any(|(n, _)| *n == name)
}

/// The closest known placeholder to a misspelt one.
pub fn suggestion(name: &str) -> Option<&'static str> {
    crate::suggest::closest(name, PLACEHOLDERS.iter().map(|(n, _)| *n))
        .into_iter()
        .next()
}

/// The placeholder names in `text`, in order, with repeats.
pub fn names_in(text: &str) -> Vec<&str> {
    spans(text).into_iter().map(|(_, _, name)| name).collect()
}

/// `(start, end, name)` of each placeholder; `start..end` covers the braces.
fn spans(text: &str) -> Vec<(usize, usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            let start = i + 1;
            let mut j = start;
            while j < b.len()
                && (b[j].is_ascii_lowercase() || b[j].is_ascii_digit() || b[j] == b'_')
            {
                j += 1;
            }
            if j > start && j < b.len() && b[j] == b'}' && b[start].is_ascii_lowercase() {
                out.push((i, j + 1, &text[start..j]));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Values for placeholders; a name may have several (three instance ids).
pub type Values = BTreeMap<String, Vec<String>>;

/// Replaces each placeholder that has exactly one value; the others stay as `{name}`.
pub fn fill_first(text: &str, values: &Values) -> String {
    let one: BTreeMap<&str, &str> = values
        .iter()
        .filter_map(|(k, v)| v.first().map(|first| (k.as_str(), first.as_str())))
        .collect();
    substitute(text, &one)
}

/// Replaces each placeholder that has values with all of them joined by ", " (for prose).
pub fn fill_joined(text: &str, values: &Values) -> String {
    let joined: BTreeMap<&str, String> = values
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.as_str(), v.join(", ")))
        .collect();
    let refs: BTreeMap<&str, &str> = joined.iter().map(|(k, v)| (*k, v.as_str())).collect();
    substitute(text, &refs)
}

/// Most variants [`expand`] makes of one text; the rest are summarised by the caller.
pub const MAX_VARIANTS: usize = 50;

/// One copy of `text` per combination of the values its placeholders have (one command per
/// instance id), at most [`MAX_VARIANTS`]. Placeholders without a value stay visible.
/// Returns the copies and whether some were left out.
pub fn expand(text: &str, values: &Values) -> (Vec<String>, bool) {
    let mut names: Vec<&str> = names_in(text);
    names.sort_unstable();
    names.dedup();
    let used: Vec<(&str, &[String])> = names
        .into_iter()
        .filter_map(|n| {
            values
                .get(n)
                .filter(|v| !v.is_empty())
                .map(|v| (n, v.as_slice()))
        })
        .collect();
    let total: usize = used
        .iter()
        .map(|(_, v)| v.len())
        .try_fold(1usize, |acc, n| acc.checked_mul(n))
        .unwrap_or(usize::MAX);
    let mut out = Vec::new();
    for index in 0..total.min(MAX_VARIANTS) {
        // Mixed-radix counter over the value lists: the last placeholder varies fastest.
        let mut rest = index;
        let mut pick = BTreeMap::new();
        for (name, vals) in used.iter().rev() {
            pick.insert(*name, vals[rest % vals.len()].as_str());
            rest /= vals.len();
        }
        out.push(substitute(text, &pick));
    }
    (out, total > MAX_VARIANTS)
}

fn substitute(text: &str, pick: &BTreeMap<&str, &str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, name) in spans(text) {
        if let Some(value) = pick.get(name) {
            out.push_str(&text[last..start]);
            out.push_str(value);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &[&str])]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn finds_placeholders_not_json_or_dicts() {
        let text = r#"aws ec2 x --id {instance_id} --j '{"A": 1}' {} {Name} {x1} {1x} {a-b}"#;
        assert_eq!(names_in(text), ["instance_id", "x1"]);
    }

    #[test]
    fn expands_one_command_per_value() {
        let v = values(&[("instance_id", &["i-1", "i-2"]), ("region", &["eu-west-1"])]);
        let (out, cut) = expand(
            "aws ec2 stop-instances --instance-ids {instance_id} --region {region} {vpc_id}",
            &v,
        );
        assert!(!cut);
        assert_eq!(
            out,
            [
                "aws ec2 stop-instances --instance-ids i-1 --region eu-west-1 {vpc_id}",
                "aws ec2 stop-instances --instance-ids i-2 --region eu-west-1 {vpc_id}",
            ]
        );
    }

    #[test]
    fn expansion_is_capped() {
        let many: Vec<String> = (0..20).map(|i| format!("i-{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let v = values(&[("instance_id", &refs), ("group_id", &refs)]);
        let (out, cut) = expand("{instance_id} {group_id}", &v);
        assert_eq!(out.len(), MAX_VARIANTS);
        assert!(cut);
    }

    #[test]
    fn text_without_values_is_unchanged() {
        let (out, cut) = expand("keep {key_name} as is", &Values::new());
        assert_eq!(out, ["keep {key_name} as is"]);
        assert!(!cut);
        assert_eq!(
            fill_first(
                "{key_name}/{region}",
                &values(&[("region", &["us-east-1"])])
            ),
            "{key_name}/us-east-1"
        );
    }
}
