//! `trailhound reach` end to end on the bundled incident snapshot: verdicts, paths, the exposure
//! map in every format, the inverse, exit codes and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WEB: &str = "i-0a1b2c3d4e5f60001";
const DB: &str = "i-0a1b2c3d4e5f60003";
const RDP: &str = "i-0a1b2c3d4e5f60004";
const WEB_SG: &str = "sg-0e5b0c0a0000000a1";

fn snapshot() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/snapshot")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .arg("reach")
        .args(args)
        .arg("--snapshot")
        .arg(snapshot())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn ssh_from_the_internet_to_the_web_server_is_reachable_and_explained() {
    let o = run(&[
        WEB, "--port", "22", "--from", "internet", "--format", "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["verdict"], "reachable");
    let reachable = v["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["verdict"] == "reachable")
        .unwrap();
    assert_eq!(reachable["sources"]["cidrs"][0], "0.0.0.0/0");
    let elements: Vec<&str> = reachable["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["element"].as_str().unwrap())
        .collect();
    for e in [
        "internet-gateway",
        "public-ip",
        "network-acl",
        "security-group",
        "route-table",
    ] {
        assert!(elements.contains(&e), "{elements:?}");
    }
    // The table names the rule and the gateway.
    let o = run(&[WEB, "--port", "22", "--from", "203.0.113.9"]);
    let t = stdout(&o);
    assert!(t.contains("reachable"), "{t}");
    assert!(t.contains("igw-0a1a0000000000001"), "{t}");
    assert!(t.contains("inbound #2: tcp 22 from 0.0.0.0/0"), "{t}");
}

#[test]
fn the_database_is_blocked_from_the_internet_but_open_to_the_web_group() {
    let o = run(&[
        DB,
        "--port",
        "5432",
        "--from",
        "203.0.113.9",
        "--format",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(v["verdict"], "blocked");
    let steps = v["paths"][0]["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["element"] == "public-ip" && s["effect"] == "block")
    );
    assert!(
        steps.iter().any(
            |s| s["element"] == "route-table" && s["detail"].as_str().unwrap().contains("nat-")
        )
    );
    let o = run(&[DB, "--port", "5432", "--from", WEB_SG, "--format", "json"]);
    let v = json(&o);
    assert_eq!(v["verdict"], "reachable", "{v:#}");
    assert_eq!(
        v["paths"].as_array().unwrap().len(),
        2,
        "both web servers are members"
    );
    // --fail-on: 1 when reachable, 0 when not.
    assert_eq!(
        run(&[DB, "--port", "5432", "--from", WEB, "--fail-on"])
            .status
            .code(),
        Some(1)
    );
    // The group opens every tcp port to anyone, but no udp.
    assert_eq!(
        run(&[DB, "--port", "5433", "--from", WEB, "--fail-on"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&[
            DB,
            "--port",
            "5432",
            "--protocol",
            "udp",
            "--from",
            WEB,
            "--fail-on"
        ])
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn exposure_map_ranks_ssh_and_rdp_and_keeps_latent_apart() {
    let o = run(&["--exposure", "--format", "jsonl"]);
    assert!(o.status.success());
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.iter().all(|r| r["state"] == "exposed"));
    let first: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["instance"].as_str().unwrap(),
                r["service"].as_str().unwrap(),
            )
        })
        .collect();
    // Instances by their worst entry (22 before 3389), entries in each by risk.
    assert_eq!(first[0], (WEB, "tcp 22"));
    assert_eq!(first[1], (WEB, "tcp 443"));
    assert_eq!(first.last(), Some(&(RDP, "tcp 3389")), "{first:?}");
    assert!(!first.iter().any(|r| r.0 == DB));
    // With --latent the database's open 0-65535 shows, with why it is not reachable.
    let o = run(&["--exposure", "--latent", "--format", "json"]);
    let v = json(&o);
    let db = v
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["instance"] == DB)
        .unwrap();
    assert_eq!(db["entries"][0]["state"], "latent");
    assert_eq!(db["entries"][0]["service"], "tcp 0-65535");
    assert!(
        db["entries"][0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("no public IPv4")
    );
    // csv and table.
    let o = run(&["--exposure", "--format", "csv"]);
    let csv = stdout(&o);
    assert!(csv.starts_with("instance,name,interface,family,state,service,sources,rules,reasons"));
    assert!(csv.contains(&format!("{RDP},win-bastion")), "{csv}");
    let o = run(&["--exposure", "--fail-on"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("win-bastion"));
}

#[test]
fn sources_lists_addresses_groups_and_interfaces() {
    let o = run(&[DB, "--port", "5432", "--sources", "--format", "json"]);
    assert!(o.status.success());
    let v = json(&o);
    assert_eq!(v["groups"][0]["group"], WEB_SG);
    assert_eq!(v["groups"][0]["state"], "live");
    let ifaces: Vec<&str> = v["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["instance"].as_str().unwrap_or(""))
        .collect();
    assert!(
        ifaces.contains(&WEB) && ifaces.contains(&"i-0a1b2c3d4e5f60002"),
        "{ifaces:?}"
    );
    // The group's tcp 0-65535 from 0.0.0.0/0 lets the RDP bastion in too, and every address in
    // the VPC.
    assert!(ifaces.contains(&RDP));
    assert!(v["addresses"].as_array().unwrap().iter().any(|a| {
        a["location"]
            .as_str()
            .unwrap()
            .starts_with("a host in subnet-")
    }));
    let t = stdout(&run(&[DB, "--port", "5432", "--sources"]));
    assert!(t.contains("member interface(s)"), "{t}");
}

#[test]
fn bad_input_is_named() {
    let o = run(&["i-nope", "--port", "22", "--from", "internet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("i-nope is neither an instance nor a network interface")
    );
    let o = run(&[WEB, "--port", "22", "--from", "somewhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--from \"somewhere\""));
    let o = run(&[WEB, "--port", "ssh", "--from", "internet"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[WEB, "--port", "22"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--sources"));
}

#[test]
fn a_broken_snapshot_file_is_skipped_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(snapshot()).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
    }
    std::fs::write(
        dir.path().join("ec2-describe-network-acls.json"),
        "{ not json",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args([
            "reach",
            WEB,
            "--port",
            "22",
            "--from",
            "internet",
            "--snapshot",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ec2-describe-network-acls.json"), "{err}");
    // Without NACLs the subnets have none: traffic is treated as denied, and said so.
    assert!(stdout(&o).contains("blocked"), "{}", stdout(&o));
}
