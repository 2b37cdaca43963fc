//! Whatever bytes arrive, decoding reports problems and never panics; records it does hand out
//! always have an eventTime and eventName.

use proptest::prelude::*;
use trail::DecodeOptions;

fn decode(bytes: &[u8]) -> (u64, usize) {
    let small = DecodeOptions {
        max_record_bytes: 512,
        max_in_memory: 256,
    };
    let mut seen = 0usize;
    let mut each = |rec: &trail::Record<'_>, _: &serde_json::value::RawValue, _| {
        assert!(rec.event_time.is_some() && rec.event_name.is_some());
        seen += 1;
        Ok(())
    };
    let out = trail::decode::decode_bytes("fuzz", bytes, &DecodeOptions::default(), &mut each);
    let streamed = trail::decode::decode_bytes("fuzz", bytes, &small, &mut each);
    assert_eq!(out.records + streamed.records, seen as u64);
    (out.records, out.problems.len())
}

const GOOD: &str =
    r#"{"eventTime":"2024-05-01T00:00:00Z","eventName":"RunInstances","eventID":"x"}"#;

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        decode(&bytes);
    }

    #[test]
    fn damaged_batches_never_panic(cut in 0usize..200, flip in 0usize..200, byte in any::<u8>()) {
        let text = format!("{{\"Records\":[{GOOD},{GOOD}]}}\n{GOOD}\n");
        let mut bytes = text.into_bytes();
        let flip = flip % bytes.len();
        bytes[flip] = byte;
        bytes.truncate(bytes.len() - cut.min(bytes.len()));
        let (records, _) = decode(&bytes);
        prop_assert!(records <= 3);
    }
}
