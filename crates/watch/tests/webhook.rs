//! The webhook sink against a receiver on loopback: retries with backoff on 5xx, gives up on a
//! refusal (4xx), flags a resend whose first attempt may have arrived, and carries the finding id
//! as the idempotency key.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use watch::{Alert, Backoff, Sink, SinkError, WebhookSink};

/// The headers of each request received (and its body under "body").
type Log = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// Answers each POST with the next status of `script` (the last one repeats) and records the
/// headers it got.
fn receiver(script: Vec<u16>) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen: Log = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut headers = HashMap::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap();
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
            let len: usize = headers["content-length"].parse().unwrap();
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            headers.insert("body".into(), String::from_utf8(body).unwrap());
            log.lock().unwrap().push(headers);
            let status = script[n.min(script.len() - 1)];
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, seen)
}

fn quick(attempts: u32) -> Backoff {
    Backoff {
        attempts,
        first: Duration::from_millis(5),
        max: Duration::from_millis(20),
    }
}

const FINDING: &str = r#"{"id":"TH-00000000000000aa","severity":"high","title":"t"}"#;

fn alert(maybe: bool) -> Alert<'static> {
    Alert {
        finding_id: "TH-00000000000000aa",
        json: FINDING,
        attempt: 1,
        maybe_delivered: maybe,
    }
}

#[test]
fn server_errors_are_retried_until_the_receiver_takes_the_alert() {
    let (url, seen) = receiver(vec![500, 503, 200]);
    let mut sink =
        WebhookSink::new(&url, quick(5), vec![("X-Team".into(), "secops".into())]).unwrap();
    assert_eq!(sink.deliver(&alert(false)).unwrap(), None);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for (n, h) in seen.iter().enumerate() {
        assert_eq!(h["idempotency-key"], "TH-00000000000000aa");
        assert_eq!(h["trailhound-finding-id"], "TH-00000000000000aa");
        assert_eq!(h["trailhound-attempt"], (n + 1).to_string());
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["x-team"], "secops");
        assert_eq!(h["body"], FINDING);
        // A 5xx says the receiver did not take it: no duplicate to flag.
        assert!(!h.contains_key("trailhound-possible-duplicate"));
    }
}

#[test]
fn a_sink_that_keeps_failing_is_left_for_later_and_a_refusal_is_final() {
    let (url, seen) = receiver(vec![502]);
    let mut sink = WebhookSink::new(&url, quick(3), vec![]).unwrap();
    match sink.deliver(&alert(false)) {
        Err(SinkError::Retry {
            maybe_delivered, ..
        }) => assert!(!maybe_delivered),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().len(), 3);

    let (url, seen) = receiver(vec![400]);
    let mut sink = WebhookSink::new(&url, quick(3), vec![]).unwrap();
    assert!(matches!(
        sink.deliver(&alert(false)),
        Err(SinkError::Rejected(_))
    ));
    assert_eq!(seen.lock().unwrap().len(), 1, "a 400 is not retried");

    let (url, seen) = receiver(vec![429, 200]);
    let mut sink = WebhookSink::new(&url, quick(3), vec![]).unwrap();
    assert!(
        sink.deliver(&alert(false)).is_ok(),
        "429 is throttling: retried"
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_resend_after_an_unknown_outcome_says_so() {
    // After a crash mid-POST the state says the alert may have arrived.
    let (url, seen) = receiver(vec![200]);
    let mut sink = WebhookSink::new(&url, quick(2), vec![]).unwrap();
    sink.deliver(&alert(true)).unwrap();
    assert_eq!(
        seen.lock().unwrap()[0]["trailhound-possible-duplicate"],
        "true"
    );
    // Nobody listening: nothing went out, so a later attempt is not flagged.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut gone =
        WebhookSink::new(&format!("http://127.0.0.1:{port}/"), quick(2), vec![]).unwrap();
    match gone.deliver(&alert(false)) {
        Err(SinkError::Retry {
            message,
            maybe_delivered,
        }) => {
            assert!(message.contains("127.0.0.1"), "{message}");
            assert!(!maybe_delivered, "{message}");
        }
        other => panic!("{other:?}"),
    }
}
