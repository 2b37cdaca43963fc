//! Writing audit findings: a table by severity, JSON lines, JSON, CSV, and OCSF Detection Findings.

use std::io::{self, Write};

use report::Severity;
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

pub fn write_jsonl(out: &mut dyn Write, findings: &[AuditFinding<'_>]) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *out, f)?;
        out.write_all(b"\n")?;
    }
    Ok(())
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

pub fn write_ocsf(
    out: &mut dyn Write,
    findings: &[AuditFinding<'_>],
    time_ms: i64,
) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *out, &ocsf(f, time_ms))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
