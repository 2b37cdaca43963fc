//! The audit over the bundled incident's snapshot: facts from the real loader, exposure from a fixed
//! oracle (reachability has its own tests; `audit` over `reach` is tested in the CLI tests).

use std::path::Path;

use audit::{Config, Coverage, Exposure, ExposureOracle, InstanceExposure, builtin_checks};

struct Fixed;

impl ExposureOracle for Fixed {
    fn instance(&self, id: &str) -> std::borrow::Cow<'_, InstanceExposure> {
        std::borrow::Cow::Owned(match id {
            // web-1: SSH open and routed; web-2: open, no path.
            "i-0a1b2c3d4e5f60001" => InstanceExposure {
                ssh: Exposure::Exposed,
                ports: vec!["tcp/22".into()],
                sources: vec!["0.0.0.0/0".into()],
                ..Default::default()
            },
            "i-0a1b2c3d4e5f60002" => InstanceExposure {
                ssh: Exposure::Latent,
                ..Default::default()
            },
            _ => InstanceExposure::default(),
        })
    }
}

fn run() -> Vec<audit::AuditFinding<'static>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/snapshot");
    let (account, report) = cloud::load(&dir).expect("the incident snapshot loads");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let coverage = Coverage::from_load(&account, &report);
    let checks = builtin_checks().unwrap();
    let now: jiff::Timestamp = "2024-05-06T00:00:00Z".parse().unwrap();
    audit::audit(
        &account,
        &coverage,
        &Fixed,
        &checks,
        &Config::defaults(),
        now,
    )
}

#[test]
fn incident_snapshot_findings() {
    let findings = run();
    let rows: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}{}",
                f.severity,
                f.check_id,
                f.resource_id,
                f.message,
                f.status.map(|s| format!(" [{s}]")).unwrap_or_default()
            )
        })
        .collect();
    insta::assert_snapshot!(rows.join("\n"));
}

#[test]
fn exposure_and_imds_findings_name_the_right_instances() {
    let findings = run();
    let on = |check: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.check_id == check)
            .map(|f| format!("{}:{}", f.resource_id, f.status.unwrap_or_default()))
            .collect()
    };
    // Exposed stays high, latent is one step lower.
    assert_eq!(
        on("ec2-instance-ssh-exposed"),
        ["i-0a1b2c3d4e5f60001:exposed", "i-0a1b2c3d4e5f60002:latent"]
    );
    let ssh: Vec<_> = findings
        .iter()
        .filter(|f| f.check_id == "ec2-instance-ssh-exposed")
        .map(|f| f.severity)
        .collect();
    assert_eq!(ssh, [report::Severity::High, report::Severity::Medium]);
    // IMDSv1: web-2 and the Windows host (tokens optional), not the terminated instance.
    let mut imds = on("ec2-instance-imdsv1");
    imds.sort();
    assert_eq!(imds, ["i-0a1b2c3d4e5f60002:", "i-0a1b2c3d4e5f60004:"]);
    // Findings are stable: the same id for the same check and resource on every run.
    let again = run();
    assert_eq!(
        findings.iter().map(|f| &f.id).collect::<Vec<_>>(),
        again.iter().map(|f| &f.id).collect::<Vec<_>>()
    );
}

#[test]
fn an_absent_file_is_unknown_not_missing() {
    // The incident snapshot has no flow-log, GuardDuty or SSM files: no finding may claim they are off.
    let findings = run();
    for check in [
        "ec2-vpc-no-flow-logs",
        "guardduty-disabled",
        "ec2-instance-not-ssm-managed",
    ] {
        assert!(
            !findings.iter().any(|f| f.check_id == check),
            "{check} reported from an absent file"
        );
    }
}
