//! Writing audit findings: a table by severity, JSON lines, JSON, CSV, and OCSF Detection Findings.

use std::io::{self, Write};

use report::Severity;
use report::json::{json_items, json_members, json_opt_str, json_str};
use serde_json::{Value, json};

use crate::AuditFinding;
use crate::check::display;

/// A table grouped by severity, worst first.
pub fn write_table(out: &mut dyn Write, findings: &[AuditFinding<'_>]) -> io::Result<()> {
    if findings.is_empty() {
        return writeln!(out, "No findings.");
    }
    for severity in Severity::ALL.iter().rev() {
        let group: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == *severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        writeln!(
            out,
            "{} ({})",
            severity.as_str().to_ascii_uppercase(),
            group.len()
        )?;
        for f in group {
            let status = f.status.map(|s| format!(" [{s}]")).unwrap_or_default();
            let place = match (&f.account, &f.region) {
                (Some(a), Some(r)) => format!("{a}/{r}"),
                (Some(a), None) => a.to_string(),
                (None, Some(r)) => r.to_string(),
                (None, None) => String::from("-"),
            };
            writeln!(
                out,
                "  {:<38} {:<24} {}{status}",
                f.check_id, place, f.message
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// One JSON object per line: the bytes `serde_json::to_writer` writes for each finding (same
/// fields, order and escaping), but written directly, a line at a time: strings without
/// characters to escape (nearly all) are copied whole instead of escaped byte by byte, and the
/// writer is called once per line instead of once per token.
pub fn write_jsonl(out: &mut dyn Write, findings: &[AuditFinding<'_>]) -> io::Result<()> {
    let mut line = Vec::with_capacity(1024);
    for f in findings {
        line.clear();
        finding_json(&mut line, f)?;
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// [`AuditFinding`] as its derived `Serialize` writes it with `serde_json` (compact).
fn finding_json(buf: &mut Vec<u8>, f: &AuditFinding<'_>) -> io::Result<()> {
    buf.extend_from_slice(b"{\"id\":");
    json_str(buf, &f.id);
    buf.extend_from_slice(b",\"check_id\":");
    json_str(buf, &f.check_id);
    buf.extend_from_slice(b",\"title\":");
    json_str(buf, &f.title);
    buf.extend_from_slice(b",\"severity\":");
    serde_json::to_writer(&mut *buf, &f.severity)?;
    json_status_and_resource(
        buf,
        f.status,
        f.resource_kind,
        &f.resource_id,
        f.account.as_deref(),
        f.region.as_deref(),
    );
    buf.extend_from_slice(b",\"message\":");
    json_str(buf, &f.message);
    buf.extend_from_slice(b",\"evidence\":{");
    json_members(buf, f.evidence.iter().map(|(k, v)| (k, &**v)));
    buf.extend_from_slice(b"},\"remediation\":");
    json_str(buf, &f.remediation);
    buf.extend_from_slice(b",\"kb\":");
    json_opt_str(buf, f.kb.as_deref());
    buf.extend_from_slice(b",\"prowler\":[");
    json_items(buf, f.prowler.iter());
    buf.extend_from_slice(b"]}");
    Ok(())
}

/// A finding's `,"status":…` (when it has one), `,"resource_kind":…,"resource_id":…,"account":…,
/// "region":…`, as its derived `Serialize` writes them; shared with [`crate::Matches::write_jsonl`].
pub(crate) fn json_status_and_resource(
    buf: &mut Vec<u8>,
    status: Option<&str>,
    kind: crate::Kind,
    id: &str,
    account: Option<&str>,
    region: Option<&str>,
) {
    if let Some(status) = status {
        buf.extend_from_slice(b",\"status\":");
        json_str(buf, status);
    }
    buf.extend_from_slice(b",\"resource_kind\":");
    json_str(buf, kind.as_str());
    buf.extend_from_slice(b",\"resource_id\":");
    json_str(buf, id);
    buf.extend_from_slice(b",\"account\":");
    json_opt_str(buf, account);
    buf.extend_from_slice(b",\"region\":");
    json_opt_str(buf, region);
}

pub fn write_json(out: &mut dyn Write, findings: &[AuditFinding<'_>]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, findings)?;
    out.write_all(b"\n")
}

pub fn write_csv(out: &mut dyn Write, findings: &[AuditFinding<'_>]) -> io::Result<()> {
    write_csv_header(&mut *out)?;
    write_csv_rows(out, findings)
}

/// The CSV header line alone (for writing the rows chunk by chunk).
pub fn write_csv_header(out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "check_id",
        "severity",
        "status",
        "resource_kind",
        "resource_id",
        "account",
        "region",
        "message",
        "kb",
    ])?;
    w.flush()
}

/// CSV rows without the header.
pub fn write_csv_rows(out: &mut dyn Write, findings: &[AuditFinding<'_>]) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    for f in findings {
        w.write_record([
            f.id.as_str(),
            &f.check_id,
            f.severity.as_str(),
            f.status.unwrap_or(""),
            f.resource_kind.as_str(),
            &f.resource_id,
            f.account.as_deref().unwrap_or(""),
            f.region.as_deref().unwrap_or(""),
            &f.message,
            f.kb.as_deref().unwrap_or(""),
        ])?;
    }
    w.flush()
}

fn ocsf_severity_id(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

/// The AWS resource type name OCSF consumers expect (as in AWS Security Hub's ASFF).
fn aws_resource_type(kind: crate::Kind) -> &'static str {
    use crate::Kind::*;
    match kind {
        Account | Region => "AwsAccount",
        Instance => "AwsEc2Instance",
        SecurityGroup => "AwsEc2SecurityGroup",
        NetworkAcl => "AwsEc2NetworkAcl",
        Vpc => "AwsEc2Vpc",
        LaunchTemplate => "AwsEc2LaunchTemplate",
        Volume => "AwsEc2Volume",
        KeyPair => "AwsEc2KeyPair",
        User => "AwsIamUser",
        AccessKey => "AwsIamAccessKey",
        IamSshKey => "AwsIamSshPublicKey",
        Trail => "AwsCloudTrailTrail",
    }
}

/// One finding as an OCSF 1.1 Detection Finding (class 2004).
pub fn ocsf(f: &AuditFinding<'_>, time_ms: i64) -> Value {
    let evidence: Vec<String> = f
        .evidence
        .iter()
        .map(|(k, v)| format!("{k}={}", display(Some(v))))
        .collect();
    json!({
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "severity_id": ocsf_severity_id(f.severity),
        "severity": f.severity.as_str(),
        "status_id": 1,
        "status": "New",
        "time": time_ms,
        "message": f.message,
        "metadata": {
            "version": "1.1.0",
            "product": {"name": "trailhound", "vendor_name": "trailhound", "version": env!("CARGO_PKG_VERSION")},
        },
        "finding_info": {
            "uid": f.id,
            "title": f.title,
            "desc": f.message,
            "types": [format!("trailhound audit/{}", f.check_id)],
            "analytic": {"uid": f.check_id, "name": f.title, "type_id": 1, "type": "Rule"},
        },
        "resources": [{
            "uid": f.resource_id,
            "type": aws_resource_type(f.resource_kind),
            "region": f.region,
            "cloud_partition": "aws",
            "data": f.evidence,
        }],
        "cloud": {"provider": "AWS", "account": {"uid": f.account, "type": "AWS Account", "type_id": 10}, "region": f.region},
        "remediation": {"desc": f.remediation, "references": f.kb.iter().map(|k| format!("trailhound explain {k}")).collect::<Vec<_>>()},
        "unmapped": {"status": f.status, "evidence": evidence, "prowler": f.prowler},
    })
}

/// One [`ocsf`] object per line, written directly: the bytes `serde_json` writes for the
/// [`ocsf`] value (its objects' keys sorted, as a `serde_json::Map` keeps them), without
/// building the value.
pub fn write_ocsf(
    out: &mut dyn Write,
    findings: &[AuditFinding<'_>],
    time_ms: i64,
) -> io::Result<()> {
    let mut line = Vec::with_capacity(2048);
    for f in findings {
        line.clear();
        ocsf_json(&mut line, f, time_ms)?;
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// [`ocsf`] as `serde_json` writes it. Every object's keys are in sorted order.
fn ocsf_json(buf: &mut Vec<u8>, f: &AuditFinding<'_>, time_ms: i64) -> io::Result<()> {
    buf.extend_from_slice(
        b"{\"activity_id\":1,\"activity_name\":\"Create\",\"category_name\":\"Findings\",\
          \"category_uid\":2,\"class_name\":\"Detection Finding\",\"class_uid\":2004,\
          \"cloud\":{\"account\":{\"type\":\"AWS Account\",\"type_id\":10,\"uid\":",
    );
    json_opt_str(buf, f.account.as_deref());
    buf.extend_from_slice(b"},\"provider\":\"AWS\",\"region\":");
    json_opt_str(buf, f.region.as_deref());
    buf.extend_from_slice(b"},\"finding_info\":{\"analytic\":{\"name\":");
    json_str(buf, &f.title);
    buf.extend_from_slice(b",\"type\":\"Rule\",\"type_id\":1,\"uid\":");
    json_str(buf, &f.check_id);
    buf.extend_from_slice(b"},\"desc\":");
    json_str(buf, &f.message);
    buf.extend_from_slice(b",\"title\":");
    json_str(buf, &f.title);
    buf.extend_from_slice(b",\"types\":[");
    json_str(buf, &format!("trailhound audit/{}", f.check_id));
    buf.extend_from_slice(b"],\"uid\":");
    json_str(buf, &f.id);
    buf.extend_from_slice(b"},\"message\":");
    json_str(buf, &f.message);
    buf.extend_from_slice(
        b",\"metadata\":{\"product\":{\"name\":\"trailhound\",\"vendor_name\":\"trailhound\",\
          \"version\":",
    );
    json_str(buf, env!("CARGO_PKG_VERSION"));
    buf.extend_from_slice(b"},\"version\":\"1.1.0\"},\"remediation\":{\"desc\":");
    json_str(buf, &f.remediation);
    buf.extend_from_slice(b",\"references\":[");
    if let Some(k) = &f.kb {
        json_str(buf, &format!("trailhound explain {k}"));
    }
    buf.extend_from_slice(b"]},\"resources\":[{\"cloud_partition\":\"aws\",\"data\":{");
    json_members(buf, f.evidence.iter().map(|(k, v)| (k, &**v)));
    buf.extend_from_slice(b"},\"region\":");
    json_opt_str(buf, f.region.as_deref());
    buf.extend_from_slice(b",\"type\":");
    json_str(buf, aws_resource_type(f.resource_kind));
    buf.extend_from_slice(b",\"uid\":");
    json_str(buf, &f.resource_id);
    buf.extend_from_slice(b"}],\"severity\":");
    json_str(buf, f.severity.as_str());
    buf.extend_from_slice(b",\"severity_id\":");
    serde_json::to_writer(&mut *buf, &ocsf_severity_id(f.severity))?;
    buf.extend_from_slice(b",\"status\":\"New\",\"status_id\":1,\"time\":");
    serde_json::to_writer(&mut *buf, &time_ms)?;
    buf.extend_from_slice(
        b",\"type_name\":\"Detection Finding: Create\",\"type_uid\":200401,\
          \"unmapped\":{\"evidence\":[",
    );
    let unmapped = f
        .evidence
        .iter()
        .map(|(k, v)| format!("{k}={}", display(Some(v))));
    json_items(buf, unmapped);
    buf.extend_from_slice(b"],\"prowler\":[");
    json_items(buf, f.prowler.iter());
    buf.extend_from_slice(b"],\"status\":");
    json_opt_str(buf, f.status);
    buf.extend_from_slice(b"}}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    use super::*;

    /// What the derived `Serialize` writes: the reference for [`write_jsonl`].
    fn serde_jsonl(findings: &[AuditFinding<'_>]) -> String {
        let mut out = Vec::new();
        for f in findings {
            serde_json::to_writer(&mut out, f).unwrap();
            out.push(b'\n');
        }
        String::from_utf8(out).unwrap()
    }

    fn jsonl(findings: &[AuditFinding<'_>]) -> String {
        let mut out = Vec::new();
        write_jsonl(&mut out, findings).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn jsonl_is_what_serde_writes() {
        let checks = crate::builtin_checks().unwrap();
        let resources: Vec<crate::Resource> = checks
            .iter()
            .flat_map(|c| c.tests.iter().map(move |t| (c.kind, t)))
            .map(|(kind, t)| crate::Resource {
                kind,
                id: "r-1".into(),
                account: Some("111122223333".into()),
                region: None,
                facts: t.resource.clone().into(),
            })
            .collect();
        let findings = crate::run(&checks, &resources, &crate::Config::defaults());
        assert!(findings.len() > 40);
        assert_eq!(jsonl(&findings), serde_jsonl(&findings));

        // Every optional part absent or empty, and strings that need escaping.
        let value = serde_json::json!({"a\"b": ["x\u{1}y", 1.5, null, {"k": "é\\"}]});
        let mut evidence = BTreeMap::new();
        evidence.insert(Cow::Borrowed("z.last"), Cow::Borrowed(&value));
        evidence.insert(
            Cow::Borrowed("a \"first\"\t"),
            Cow::Owned(Value::Bool(true)),
        );
        let prowler = vec!["p1".to_string(), "p\\2".to_string()];
        let odd = AuditFinding {
            id: "TA-\u{7f}\u{1f}".into(),
            check_id: Cow::Borrowed("c\"heck"),
            title: Cow::Owned("tab\there, newline\n, CR\r, \u{8}\u{c} and ü ✓".into()),
            severity: Severity::Low,
            status: None,
            resource_kind: crate::Kind::SecurityGroup,
            resource_id: Cow::Borrowed("/\\"),
            account: None,
            region: Some(Cow::Borrowed("")),
            message: String::new(),
            evidence,
            remediation: Cow::Borrowed("{x}\n"),
            kb: None,
            prowler: Cow::Owned(prowler),
        };
        let empty = AuditFinding {
            evidence: BTreeMap::new(),
            prowler: Cow::Owned(Vec::new()),
            status: Some("latent"),
            kb: Some(Cow::Borrowed("Event")),
            ..odd.clone()
        };
        let odd = [odd, empty];
        assert_eq!(jsonl(&odd), serde_jsonl(&odd));
        assert_eq!(ocsf_lines(&odd), value_ocsf_lines(&odd));
        assert_eq!(ocsf_lines(&findings), value_ocsf_lines(&findings));
    }

    fn ocsf_lines(findings: &[AuditFinding<'_>]) -> String {
        let mut out = Vec::new();
        write_ocsf(&mut out, findings, 1_796_083_200_123).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The reference for [`write_ocsf`]: the [`ocsf`] value, serialised.
    fn value_ocsf_lines(findings: &[AuditFinding<'_>]) -> String {
        let mut out = String::new();
        for f in findings {
            out.push_str(&serde_json::to_string(&ocsf(f, 1_796_083_200_123)).unwrap());
            out.push('\n');
        }
        out
    }
}
