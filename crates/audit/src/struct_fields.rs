//! A facts struct as its named values ([`crate::facts::Facts::Fields`]), straight from its
//! `Serialize`: each field's value is made only when the field is kept, and no JSON map (a key
//! string per field, a tree per resource) is built to be thrown away.

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::Value;

/// The fields of `t` (a struct with named fields) for which `keep` holds, in declaration order,
/// each as `serde_json::to_value` gives it. None when `t` does not serialize as such a struct.
pub(crate) fn struct_fields<T: Serialize>(
    t: &T,
    keep: impl FnMut(&'static str) -> bool,
) -> Option<Vec<(&'static str, Value)>> {
    t.serialize(Fields { keep }).ok()
}

#[derive(Debug)]
struct NotAStruct;

impl std::fmt::Display for NotAStruct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("facts are a struct with named fields")
    }
}

impl std::error::Error for NotAStruct {}

impl ser::Error for NotAStruct {
    fn custom<M: std::fmt::Display>(_: M) -> NotAStruct {
        NotAStruct
    }
}

struct Fields<K> {
    keep: K,
}

struct Collect<K> {
    keep: K,
    out: Vec<(&'static str, Value)>,
}

impl<K: FnMut(&'static str) -> bool> ser::SerializeStruct for Collect<K> {
    type Ok = Vec<(&'static str, Value)>;
    type Error = NotAStruct;

    fn serialize_field<V: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &V,
    ) -> Result<(), NotAStruct> {
        if (self.keep)(name) {
            let value = serde_json::to_value(value).map_err(|_| NotAStruct)?;
            self.out.push((name, value));
        }
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, NotAStruct> {
        Ok(self.out)
    }
}

/// Everything but a struct is refused.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, NotAStruct> {
            Err(NotAStruct)
        })*
    };
}

impl<K: FnMut(&'static str) -> bool> ser::Serializer for Fields<K> {
    type Ok = Vec<(&'static str, Value)>;
    type Error = NotAStruct;
    type SerializeSeq = Impossible<Self::Ok, NotAStruct>;
    type SerializeTuple = Impossible<Self::Ok, NotAStruct>;
    type SerializeTupleStruct = Impossible<Self::Ok, NotAStruct>;
    type SerializeTupleVariant = Impossible<Self::Ok, NotAStruct>;
    type SerializeMap = Impossible<Self::Ok, NotAStruct>;
    type SerializeStruct = Collect<K>;
    type SerializeStructVariant = Impossible<Self::Ok, NotAStruct>;

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Collect<K>, NotAStruct> {
        Ok(Collect {
            keep: self.keep,
            out: Vec::with_capacity(len),
        })
    }

    refuse!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Self::Ok, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAStruct> {
        Err(NotAStruct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Default)]
    struct Sample {
        id: String,
        count: Option<i64>,
        tags: Vec<String>,
        nested: Inner,
    }

    #[derive(Serialize, Default)]
    struct Inner {
        on: bool,
    }

    #[test]
    fn a_struct_gives_its_kept_fields_in_order_as_to_value_would() {
        let s = Sample {
            id: "vol-1".into(),
            count: None,
            tags: vec!["a".into()],
            nested: Inner { on: true },
        };
        let all = struct_fields(&s, |_| true).unwrap();
        let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["id", "count", "tags", "nested"]);
        let object: serde_json::Map<String, Value> =
            all.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
        assert_eq!(Value::Object(object), serde_json::to_value(&s).unwrap());
        let some = struct_fields(&s, |n| n != "tags" && n != "id").unwrap();
        assert_eq!(
            some,
            [
                ("count", Value::Null),
                ("nested", serde_json::json!({"on": true}))
            ]
        );
    }

    #[test]
    fn anything_but_a_struct_is_refused() {
        assert_eq!(struct_fields(&"text", |_| true), None);
        assert_eq!(struct_fields(&vec![1, 2], |_| true), None);
        assert_eq!(struct_fields(&Some(3), |_| true), None);
        let map: std::collections::BTreeMap<String, i32> = [("a".into(), 1)].into();
        assert_eq!(struct_fields(&map, |_| true), None);
    }
}
