//! The one-minute summary an incident commander reads: the key, what it opens, what happened,
//! and the plan; and the JSONL form (one typed object per line).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::Response;
use crate::engine::Check;
use crate::journal::StepRecord;
use crate::plan::{DryRun, Execution, Plan};

fn or_dash(s: Option<&str>) -> &str {
    s.filter(|s| !s.is_empty()).unwrap_or("-")
}

/// The summary as text.
pub fn summary(r: &Response) -> String {
    let mut out = String::new();
    let b = &r.blast_radius;
    if let Some(k) = &r.key {
        let _ = writeln!(out, "KEY {}", k.query.text());
        for kp in &k.key_pairs {
            let _ = writeln!(
                out,
                "  {} in {} ({}, {}) fingerprint {}{}",
                kp.name,
                kp.region,
                or_dash(kp.id.as_deref()),
                or_dash(kp.key_type.as_deref()),
                or_dash(kp.fingerprint.as_deref()),
                kp.create_time
                    .map(|t| format!(", created {t}"))
                    .unwrap_or_default()
            );
        }
        for o in &k.orphan_names {
            let _ = writeln!(
                out,
                "  {} in {}: key pair deleted, still on {} instance(s)",
                o.name,
                o.region,
                o.instances.len()
            );
        }
        for fp in &k.sshd_fingerprints {
            let _ = writeln!(out, "  sshd logs it as {fp}");
        }
        for n in &k.notes {
            let _ = writeln!(out, "  note: {n}");
        }
        out.push('\n');
    }
    let live = b.instances.iter().filter(|i| i.is_live()).count();
    let running = b.instances.iter().filter(|i| i.state == "running").count();
    let public = b
        .instances
        .iter()
        .filter(|i| i.is_live() && !i.public_ips.is_empty())
        .count();
    let regions: std::collections::BTreeSet<&str> =
        b.instances.iter().map(|i| i.region.as_str()).collect();
    let admin = b.roles.iter().filter(|r| r.admin).count();
    let _ = writeln!(
        out,
        "BLAST RADIUS: {} instance(s) ({running} running, {} other live, {} terminated) in {} region(s); {public} with a public address; {} role(s), {admin} admin; {} launch template(s), {} launch configuration(s), {} Auto Scaling group(s), {} AMI(s)",
        b.instances.len(),
        live - running,
        b.instances.len() - live,
        regions.len(),
        b.roles.len(),
        b.launch_templates.len(),
        b.launch_configurations.len(),
        b.auto_scaling_groups.len(),
        b.images.len()
    );
    if !b.instances.is_empty() {
        let _ = writeln!(
            out,
            "  {:<20} {:<14} {:<10} {:<16} {:<16} {:<22} {:<14} {:<6} WHY",
            "INSTANCE", "REGION", "STATE", "NAME", "PUBLIC", "ROLE", "IMDS", "PROT"
        );
        for i in &b.instances {
            let role = if i.roles.is_empty() {
                "-".to_string()
            } else {
                let admin = i
                    .roles
                    .iter()
                    .any(|n| b.roles.iter().any(|r| &r.role_name == n && r.admin));
                format!("{}{}", i.roles.join(","), if admin { " ADMIN" } else { "" })
            };
            let imds = match &i.imds {
                Some(m) if !m.credentials_reachable => "off".to_string(),
                Some(m) if m.imdsv1 => "v1+v2".to_string(),
                Some(_) => "v2 only".to_string(),
                None => "?".to_string(),
            };
            let why: Vec<String> = i
                .reasons
                .iter()
                .map(|r| match r {
                    crate::blast::Reason::LaunchedWithKey(k) => format!("key {k}"),
                    crate::blast::Reason::LaunchedFromImage(a) => format!("from {a}"),
                    crate::blast::Reason::Named => "named".to_string(),
                })
                .collect();
            let _ = writeln!(
                out,
                "  {:<20} {:<14} {:<10} {:<16} {:<16} {:<22} {:<14} {:<6} {}",
                i.id,
                i.region,
                i.state,
                or_dash(i.name.as_deref()),
                if i.public_ips.is_empty() {
                    "-".to_string()
                } else {
                    i.public_ips.join(",")
                },
                role,
                imds,
                match i.termination_protection {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "?",
                },
                why.join("; ")
            );
            for e in &i.network_interfaces {
                let _ = writeln!(
                    out,
                    "      {} {} groups {}{}",
                    e.id,
                    or_dash(e.subnet_id.as_deref()),
                    e.security_groups.join(","),
                    e.public_ip
                        .as_deref()
                        .map(|p| format!(" public {p}"))
                        .unwrap_or_default()
                );
            }
            if let Some(x) = &i.exposure
                && !x.internet.is_empty()
            {
                let _ = writeln!(out, "      open to the internet: {}", x.internet.join(", "));
            }
        }
    }
    for role in &b.roles {
        let _ = writeln!(
            out,
            "  role {}{}: {}{}",
            role.role_name,
            if role.admin { " (ADMIN)" } else { "" },
            if role.notable.is_empty() {
                "no notable action".to_string()
            } else {
                role.notable
                    .iter()
                    .map(|g| format!("{}{}", g.action, if g.conditional { "?" } else { "" }))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            if role.unknown_policies.is_empty() {
                String::new()
            } else {
                format!(
                    " (+ policies not in the snapshot: {})",
                    role.unknown_policies.join(", ")
                )
            }
        );
    }
    for t in &b.launch_templates {
        let _ = writeln!(
            out,
            "  launch template {} ({}) in {}: versions {:?} have the key{}{}",
            t.id,
            or_dash(t.name.as_deref()),
            t.region,
            t.versions_with_key,
            if t.default_has_key {
                ", default included"
            } else {
                ""
            },
            if t.used_by.is_empty() {
                String::new()
            } else {
                format!("; used by {}", t.used_by.join(", "))
            }
        );
    }
    for c in &b.launch_configurations {
        let _ = writeln!(
            out,
            "  launch configuration {} in {}{}",
            c.name,
            c.region,
            if c.used_by.is_empty() {
                String::new()
            } else {
                format!("; used by {}", c.used_by.join(", "))
            }
        );
    }
    for g in &b.auto_scaling_groups {
        let _ = writeln!(
            out,
            "  auto scaling group {} in {}: {}{}; {} affected member(s)",
            g.name,
            g.region,
            g.launches_with,
            if g.launches_key {
                " (new instances get the key)"
            } else {
                ""
            },
            g.instances.len()
        );
    }
    for a in &b.images {
        let _ = writeln!(
            out,
            "  AMI {} ({}) in {} made from {}{}{}",
            a.id,
            or_dash(a.name.as_deref()),
            a.region,
            a.source_instance,
            if a.public == Some(true) {
                ", PUBLIC"
            } else {
                ""
            },
            if a.instances_launched.is_empty() {
                String::new()
            } else {
                format!("; launched as {}", a.instances_launched.join(", "))
            }
        );
    }
    for g in &b.gaps {
        let _ = writeln!(out, "  gap: {g}");
    }
    out.push('\n');
    out.push_str(&timeline(&r.timeline));
    out.push('\n');
    out.push_str(&plan(&r.plan, &r.checks));
    out
}

/// The timeline as text.
pub fn timeline(entries: &[crate::Entry]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "TIMELINE: {} event(s)", entries.len());
    for e in entries {
        let _ = writeln!(
            out,
            "  {}{} {:<15} {:<32} {:<16} {:<40} {}{}",
            e.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            if e.time_assumed { "*" } else { " " },
            e.kind.as_str(),
            e.event,
            or_dash(e.source_ip.as_deref()),
            or_dash(e.actor.as_deref().map(trail::record::short_principal)),
            e.subject,
            e.error
                .as_deref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default()
        );
    }
    if entries.iter().any(|e| e.time_assumed) {
        out.push_str("  * syslog time without year or zone: the given year and UTC assumed\n");
    }
    out
}

fn dry_label(d: DryRun) -> &'static str {
    match d {
        DryRun::Ec2 => "EC2 DryRun",
        DryRun::Simulated => "simulated",
        DryRun::ReadOnly => "read-only",
        DryRun::NotApplicable => "-",
    }
}

fn check_label(c: &Check) -> String {
    match c {
        Check::WouldSucceed(d) => format!("would succeed{}", detail(d)),
        Check::NotPermitted(d) => format!("NOT PERMITTED{}", detail(d)),
        Check::Simulated(d) => format!("simulated{}", detail(d)),
        Check::Read(d) => format!("read{}", detail(d)),
        Check::Failed(d) => format!("WOULD FAIL{}", detail(d)),
        Check::NotExecuted => "not executed".to_string(),
    }
}

fn detail(d: &str) -> String {
    if d.is_empty() {
        String::new()
    } else {
        format!(": {d}")
    }
}

/// The plan as text.
pub fn plan(p: &Plan, checks: &[(usize, Check)]) -> String {
    let mut out = String::new();
    let auto = p
        .steps
        .iter()
        .filter(|s| s.execution == Execution::Automatic)
        .count();
    let _ = writeln!(
        out,
        "CONTAINMENT PLAN (case {}): {} step(s), {auto} automatic; dry run unless --execute",
        p.options.case_id,
        p.steps.len()
    );
    for s in &p.steps {
        let mode = match s.execution {
            Execution::Automatic => "",
            Execution::Instructions => " [instructions]",
            Execution::NotSelected => " [not selected]",
        };
        let _ = writeln!(out, "{:>3}. {}{mode}", s.index, s.title);
        let _ = writeln!(
            out,
            "     id {} | {} | {} | dry run: {}{}",
            s.id,
            serde_json::to_value(s.phase)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            if s.reversible {
                "reversible"
            } else {
                "NOT reversible"
            },
            dry_label(s.dry_run),
            checks
                .iter()
                .find(|(i, _)| *i == s.index)
                .map(|(_, c)| format!(" -> {}", check_label(c)))
                .unwrap_or_default()
        );
        let _ = writeln!(out, "     why: {}", s.why);
        let _ = writeln!(out, "     risk: {}", s.risk);
        for c in &s.cli {
            let _ = writeln!(out, "     $ {c}");
        }
        for c in &s.rollback {
            let _ = writeln!(out, "     undo: {c}");
        }
    }
    for n in &p.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    out
}

/// One typed JSON object per line: key, instance, role, template, group, image, event, step.
pub fn jsonl(r: &Response) -> Vec<Value> {
    let mut lines = Vec::new();
    let tag = |kind: &str, v: Value| {
        let mut v = v;
        if let Some(o) = v.as_object_mut() {
            o.insert("record".into(), json!(kind));
        }
        v
    };
    if let Some(k) = &r.key {
        lines.push(tag("key", json!(k)));
    }
    let b = &r.blast_radius;
    lines.extend(b.instances.iter().map(|i| tag("instance", json!(i))));
    lines.extend(b.roles.iter().map(|i| tag("role", json!(i))));
    lines.extend(
        b.launch_templates
            .iter()
            .map(|i| tag("launch-template", json!(i))),
    );
    lines.extend(
        b.launch_configurations
            .iter()
            .map(|i| tag("launch-configuration", json!(i))),
    );
    lines.extend(
        b.auto_scaling_groups
            .iter()
            .map(|i| tag("auto-scaling-group", json!(i))),
    );
    lines.extend(b.images.iter().map(|i| tag("image", json!(i))));
    lines.extend(r.timeline.iter().map(|e| tag("event", json!(e))));
    for s in &r.plan.steps {
        let mut v = tag("step", json!(s));
        if let Some((_, c)) = r.checks.iter().find(|(i, _)| *i == s.index) {
            v["check"] = json!(c);
        }
        lines.push(v);
    }
    lines
}

/// Where a journaled run stands, as text.
pub fn status(run: &str, plan: &Plan, records: &[StepRecord]) -> String {
    let mut out = String::new();
    let count = |st: crate::journal::Status| records.iter().filter(|r| r.status == st).count();
    use crate::journal::Status::*;
    let _ = writeln!(
        out,
        "RUN {run}: {} step(s): {} done, {} pending, {} running, {} failed, {} rolled back, {} skipped",
        records.len(),
        count(Done),
        count(Pending),
        count(Running),
        count(Failed),
        count(RolledBack),
        count(Skipped)
    );
    for r in records {
        let title = plan
            .steps
            .get(r.index - 1)
            .map(|s| s.title.as_str())
            .unwrap_or("?");
        let _ = writeln!(
            out,
            "{:>3}. {:<12} {}{}{}",
            r.index,
            r.status.as_str(),
            title,
            r.finished_at
                .as_deref()
                .or(r.started_at.as_deref())
                .map(|t| format!("  ({t})"))
                .unwrap_or_default(),
            r.error
                .as_deref()
                .map(|e| format!("\n     error: {e}"))
                .unwrap_or_default()
        );
    }
    out
}
