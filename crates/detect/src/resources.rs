//! The AWS resources a CloudTrail record names, pulled out of its request and response by their
//! id shapes (`i-…`, `sg-…`, `ami-…`) and a few parameter names, whatever nesting the event uses.
//! These fill the placeholders of the knowledge base's remediation (`{instance_id}`, `{key_name}`…).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Resources named by the events behind a finding. Sets keep them unique and ordered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resources {
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub key_names: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub key_pair_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub instance_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub group_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub user_names: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub role_names: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub access_key_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub ssh_public_key_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub trail_names: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub image_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub snapshot_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub volume_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub network_acl_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub network_interface_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub association_ids: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub flow_log_ids: BTreeSet<String>,
}

/// Calls `$m!` with the names of [`Resources`]' sets in declaration order: the one list that
/// [`Resources::sets`], [`Resources::sets_mut`] and so [`Resources::merge`] share.
macro_rules! each_set {
    ($m:ident) => {
        $m!(
            key_names,
            key_pair_ids,
            instance_ids,
            group_ids,
            user_names,
            role_names,
            access_key_ids,
            ssh_public_key_ids,
            trail_names,
            image_ids,
            snapshot_ids,
            volume_ids,
            network_acl_ids,
            network_interface_ids,
            association_ids,
            flow_log_ids
        )
    };
}

/// Id prefixes EC2 uses, with the hex tail they carry.
/// Picks the set an id belongs in.
type Field = fn(&mut Resources) -> &mut BTreeSet<String>;

const ID_SHAPES: &[(&str, Field)] = &[
    ("i-", |r| &mut r.instance_ids),
    ("sg-", |r| &mut r.group_ids),
    ("key-", |r| &mut r.key_pair_ids),
    ("ami-", |r| &mut r.image_ids),
    ("snap-", |r| &mut r.snapshot_ids),
    ("vol-", |r| &mut r.volume_ids),
    ("acl-", |r| &mut r.network_acl_ids),
    ("eni-", |r| &mut r.network_interface_ids),
    ("iip-assoc-", |r| &mut r.association_ids),
    ("fl-", |r| &mut r.flow_log_ids),
];

/// Whether `s` is `prefix` followed by 8 to 17 hex digits (EC2's short and long ids).
fn is_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|tail| {
        (8..=17).contains(&tail.len()) && tail.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

impl Resources {
    /// Adds what one record names: what its requestParameters and responseElements name, and
    /// what its caller's ARN names.
    pub fn add_record(&mut self, record: &Value) {
        let source = record["eventSource"].as_str().unwrap_or_default();
        self.walk(&record["requestParameters"], None, source, true);
        self.walk(&record["responseElements"], None, source, false);
        self.add_caller(record["userIdentity"]["arn"].as_str());
    }

    /// Adds what the caller's ARN names: an instance role's session is named after its instance.
    pub(crate) fn add_caller(&mut self, arn: Option<&str>) {
        if let Some(arn) = arn
            && arn.contains(":assumed-role/")
            && let Some(session) = arn.rsplit('/').next()
            && is_id(session, "i-")
        {
            self.instance_ids.insert(session.to_string());
        }
    }

    /// Adds what one part of a record (its requestParameters when `request`, else its
    /// responseElements) names, read straight from the part's JSON text: the same as
    /// [`Resources::walk`] on the parsed part, without building the tree. (A key given twice
    /// in one object is read twice here, where a parsed tree keeps only the last.)
    pub(crate) fn add_raw_part(
        &mut self,
        json: &str,
        source: &str,
        request: bool,
    ) -> Result<(), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(json);
        serde::de::DeserializeSeed::deserialize(
            RawWalk {
                resources: self,
                key: None,
                source,
                request,
            },
            &mut de,
        )?;
        de.end()
    }

    fn walk(&mut self, v: &Value, key: Option<&str>, source: &str, request: bool) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    self.walk(child, Some(k), source, request);
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.walk(item, key, source, request);
                }
            }
            Value::String(s) => self.add_string(s, key, source, request),
            _ => {}
        }
    }

    fn add_string(&mut self, s: &str, key: Option<&str>, source: &str, request: bool) {
        for (prefix, field) in ID_SHAPES {
            if is_id(s, prefix) {
                field(self).insert(s.to_string());
                return;
            }
        }
        let Some(key) = key else { return };
        let set = match key {
            "keyName" => &mut self.key_names,
            // The user an IAM call acts on; a response's userName repeats it.
            "userName" if source == "iam.amazonaws.com" => &mut self.user_names,
            "roleName" => &mut self.role_names,
            "sSHPublicKeyId" => &mut self.ssh_public_key_ids,
            "accessKeyId" if s.starts_with("AKIA") || s.starts_with("ASIA") => {
                &mut self.access_key_ids
            }
            "name" | "trailName" if request && source == "cloudtrail.amazonaws.com" => {
                self.trail_names
                    .insert(s.rsplit("trail/").next().unwrap_or(s).to_string());
                return;
            }
            "roleArn" if s.contains(":role/") => {
                self.role_names
                    .insert(s.rsplit('/').next().unwrap_or(s).to_string());
                return;
            }
            _ => return,
        };
        set.insert(s.to_string());
    }

    /// Every set, in declaration order (for compact encodings).
    pub(crate) fn sets(&self) -> [&BTreeSet<String>; 16] {
        macro_rules! refs {
            ($($f:ident),*) => { [$(&self.$f),*] };
        }
        each_set!(refs)
    }

    /// Every set, mutably, in the order of [`Resources::sets`].
    pub(crate) fn sets_mut(&mut self) -> [&mut BTreeSet<String>; 16] {
        macro_rules! refs {
            ($($f:ident),*) => { [$(&mut self.$f),*] };
        }
        each_set!(refs)
    }

    /// The members of the JSON object serde writes for these resources (the non-empty sets, in
    /// declaration order), without its braces.
    pub(crate) fn write_json_members(&self, buf: &mut Vec<u8>) {
        macro_rules! names {
            ($($f:ident),*) => { [$(stringify!($f)),*] };
        }
        let mut first = true;
        for (name, set) in each_set!(names).into_iter().zip(self.sets()) {
            if set.is_empty() {
                continue;
            }
            if !first {
                buf.push(b',');
            }
            first = false;
            buf.push(b'"');
            buf.extend_from_slice(name.as_bytes());
            buf.extend_from_slice(b"\":[");
            report::json::json_items(buf, set.iter());
            buf.push(b']');
        }
    }

    pub fn merge(&mut self, other: &Resources) {
        for (mine, theirs) in self.sets_mut().into_iter().zip(other.sets()) {
            for s in theirs {
                // Most are held already: copied only when new.
                if !mine.contains(s) {
                    mine.insert(s.clone());
                }
            }
        }
    }

    /// A short text for one-line stories: the most telling ids first.
    pub fn brief(&self) -> String {
        let mut out = String::new();
        self.write_brief(&mut out);
        out
    }

    /// Appends [`Resources::brief`] to `out`.
    pub(crate) fn write_brief(&self, out: &mut String) {
        use std::fmt::Write;
        let start = out.len();
        let mut push = |label: &str, set: &BTreeSet<String>| {
            if set.is_empty() {
                return;
            }
            if out.len() > start {
                out.push(' ');
            }
            out.push_str(label);
            for (i, item) in set.iter().take(3).enumerate() {
                out.push(if i == 0 { ' ' } else { ',' });
                out.push_str(item);
            }
            if set.len() > 3 {
                write!(out, " +{}", set.len() - 3).expect("writing to a String cannot fail");
            }
        };
        push("key", &self.key_names);
        push("instance", &self.instance_ids);
        push("group", &self.group_ids);
        push("user", &self.user_names);
        push("role", &self.role_names);
        push("trail", &self.trail_names);
        push("image", &self.image_ids);
        push("snapshot", &self.snapshot_ids);
        push("nacl", &self.network_acl_ids);
    }
}

/// [`Resources::walk`] over JSON text as it is read: strings are judged where they stand (under
/// the key of the object member or array that holds them), and nothing is kept.
struct RawWalk<'a> {
    resources: &'a mut Resources,
    key: Option<&'a str>,
    source: &'a str,
    request: bool,
}

/// An object key, borrowed from the text unless it holds escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(s))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(s.to_string()))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for RawWalk<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RawWalk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            map.next_value_seed(RawWalk {
                resources: &mut *self.resources,
                key: Some(key.as_str()),
                source: self.source,
                request: self.request,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Items of an array stand under the array's key.
        while seq
            .next_element_seed(RawWalk {
                resources: &mut *self.resources,
                key: self.key,
                source: self.source,
                request: self.request,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.resources
            .add_string(s, self.key, self.source, self.request);
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_by_shape_at_any_depth() {
        let mut r = Resources::default();
        r.add_record(&json!({
            "eventSource": "ec2.amazonaws.com",
            "requestParameters": { "instancesSet": { "items": [{ "imageId": "ami-0c55b159cbfafe1f0", "keyName": "backup-key" }] },
                                   "groupSet": { "items": [{ "groupId": "sg-0e5b0c0a0000000a1" }] } },
            "responseElements": { "instancesSet": { "items": [{ "instanceId": "i-0badc0ffee0000001" }] } },
        }));
        assert_eq!(r.key_names, BTreeSet::from(["backup-key".to_string()]));
        assert_eq!(
            r.instance_ids,
            BTreeSet::from(["i-0badc0ffee0000001".to_string()])
        );
        assert_eq!(
            r.group_ids,
            BTreeSet::from(["sg-0e5b0c0a0000000a1".to_string()])
        );
        assert_eq!(
            r.image_ids,
            BTreeSet::from(["ami-0c55b159cbfafe1f0".to_string()])
        );
    }

    #[test]
    fn not_ids_are_not_taken() {
        let mut r = Resources::default();
        r.add_record(&json!({
            "eventSource": "ec2.amazonaws.com",
            "requestParameters": { "description": "i-am-not-an-id", "x": "sg-zz", "userName": "bob" },
        }));
        assert_eq!(
            r,
            Resources::default(),
            "userName outside IAM, and id look-alikes, are ignored"
        );
    }

    #[test]
    fn iam_names_trail_names_and_instance_sessions() {
        let mut r = Resources::default();
        r.add_record(&json!({
            "eventSource": "iam.amazonaws.com",
            "userIdentity": { "arn": "arn:aws:sts::1:assumed-role/web/i-0a1b2c3d4e5f60001" },
            "requestParameters": { "userName": "bob", "sSHPublicKeyId": "APKAATTACKER00000001" },
        }));
        r.add_record(&json!({
            "eventSource": "cloudtrail.amazonaws.com",
            "requestParameters": { "name": "arn:aws:cloudtrail:us-east-1:1:trail/org-audit-trail" },
        }));
        assert_eq!(r.user_names, BTreeSet::from(["bob".to_string()]));
        assert_eq!(
            r.ssh_public_key_ids,
            BTreeSet::from(["APKAATTACKER00000001".to_string()])
        );
        assert_eq!(
            r.instance_ids,
            BTreeSet::from(["i-0a1b2c3d4e5f60001".to_string()])
        );
        assert_eq!(
            r.trail_names,
            BTreeSet::from(["org-audit-trail".to_string()])
        );
        assert_eq!(
            r.brief(),
            "instance i-0a1b2c3d4e5f60001 user bob trail org-audit-trail"
        );
    }

    /// Reading a part from its text finds what walking its parsed tree finds.
    fn raw_equals_tree(json: &str, source: &str) {
        let tree: Value = serde_json::from_str(json).unwrap();
        for request in [true, false] {
            let mut from_tree = Resources::default();
            from_tree.walk(&tree, None, source, request);
            let mut from_text = Resources::default();
            from_text.add_raw_part(json, source, request).unwrap();
            assert_eq!(from_text, from_tree, "{json} (request: {request})");
        }
    }

    #[test]
    fn parts_read_from_text_name_what_their_trees_name() {
        for (json, source) in [
            (
                r#"{"instancesSet":{"items":[{"instanceId":"i-0badc0ffee0000001","keyName":"k1"}]}}"#,
                "ec2.amazonaws.com",
            ),
            (
                r#"{"key\u004eame":"escaped-key","userName":"b\u006fb","roleArn":"arn:aws:iam::1:role/r"}"#,
                "iam.amazonaws.com",
            ),
            (
                r#"{"name":"arn:aws:cloudtrail:us-east-1:1:trail/t","n":[1,2.5,true,null,{"x":["sg-0123456789abcdef0"]}]}"#,
                "cloudtrail.amazonaws.com",
            ),
            (
                r#"["vol-01234567", {"accessKeyId":"AKIAEXAMPLE"}, [[["ami-abcdef01"]]]]"#,
                "ec2.amazonaws.com",
            ),
            (r#""i-0123456789abcdef0""#, "ec2.amazonaws.com"),
            ("null", "ec2.amazonaws.com"),
        ] {
            raw_equals_tree(json, source);
        }
    }

    #[test]
    fn a_part_too_deep_to_read_is_an_error_not_a_crash() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(
            Resources::default()
                .add_raw_part(&deep, "ec2.amazonaws.com", true)
                .is_err()
        );
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let keys = prop::sample::select(vec![
            "keyName",
            "userName",
            "roleName",
            "roleArn",
            "name",
            "trailName",
            "accessKeyId",
            "sSHPublicKeyId",
            "items",
            "groupId",
            "key\"Name",
            "x\u{e9}",
        ]);
        let strings = prop::sample::select(vec![
            "i-0badc0ffee0000001",
            "sg-0e5b0c0a",
            "ami-zz",
            "AKIAIOSFODNN7EXAMPLE",
            "arn:aws:iam::1:role/admin",
            "arn:aws:cloudtrail:us-east-1:1:trail/t",
            "bob",
            "",
            "line\nbreak \"quoted\" é",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            strings.prop_map(|s| Value::String(s.to_string())),
        ];
        leaf.prop_recursive(4, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(keys.clone().prop_map(str::to_string), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn any_part_read_from_text_names_what_its_tree_names(
            v in json_value(),
            source in proptest::sample::select(vec!["ec2.amazonaws.com", "iam.amazonaws.com", "cloudtrail.amazonaws.com"]),
        ) {
            raw_equals_tree(&serde_json::to_string(&v).unwrap(), source);
        }
    }
}
