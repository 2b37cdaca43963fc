//! The AWS test bed for tests: a real moto server on 127.0.0.1 (a free port, its own empty state)
//! and the aws CLI from the Python test bed (`bash scripts/testbed.sh`) pointed at it with dummy
//! credentials. Nothing here talks to a non-loopback address.
//!
//! ```no_run
//! let Some(moto) = testbed::Moto::start_or_skip("my_test") else { return };
//! let vpc = moto.aws(&["ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"]);
//! assert!(vpc["Vpc"]["VpcId"].is_string());
//! ```

use std::ffi::OsStr;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The environment variable naming the test bed's python (set by scripts/test.sh).
pub const PYTHON_VAR: &str = "TRAILHOUND_TESTBED_PYTHON";

/// The test bed's python, when `TRAILHOUND_TESTBED_PYTHON` is set.
pub fn python() -> Option<PathBuf> {
    std::env::var_os(PYTHON_VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// A program installed in the test bed's virtualenv (`aws`, `moto_server`). Panics with the fix
/// when the virtualenv lacks it.
pub fn venv_bin(name: &str) -> PathBuf {
    let python = python().unwrap_or_else(|| {
        panic!("{PYTHON_VAR} is not set: run `bash scripts/testbed.sh` and export its output")
    });
    let bin = python
        .parent()
        .map(|d| d.join(name))
        .unwrap_or_else(|| PathBuf::from(name));
    assert!(
        bin.exists(),
        "{} is missing: run `bash scripts/testbed.sh` (or scripts/test.sh) first",
        bin.display()
    );
    bin
}

/// The default region every command gets.
pub const REGION: &str = "us-east-1";

/// The account moto reports for its default credentials.
pub const ACCOUNT: &str = "123456789012";

/// A running moto server, stopped when dropped.
pub struct Moto {
    child: Child,
    url: String,
    home: tempfile::TempDir,
}

impl Moto {
    /// Starts moto, or prints why the test is skipped and returns None when the test bed is not
    /// configured (`TRAILHOUND_TESTBED_PYTHON` unset). Panics if it is configured but broken.
    pub fn start_or_skip(test: &str) -> Option<Moto> {
        if python().is_none() {
            eprintln!(
                "skipping {test}: {PYTHON_VAR} is not set (run `bash scripts/testbed.sh` and export \
                 {PYTHON_VAR}=<the path it prints>, or use scripts/test.sh)"
            );
            return None;
        }
        Some(Moto::start(&[]))
    }

    /// Starts moto with extra environment for the server (e.g. `INITIAL_NO_AUTH_ACTION_COUNT`).
    pub fn start(server_env: &[(&str, &str)]) -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let home = tempfile::tempdir().expect("a temporary HOME");
        let mut cmd = Command::new(venv_bin("moto_server"));
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("HOME", home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in server_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("moto_server starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            home,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The environment that sends the aws CLI (or the SDK) to this server with these credentials.
    pub fn env_with_key(&self, key: (&str, &str)) -> Vec<(String, String)> {
        let venv = python()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .map(|d| d.display().to_string());
        let path = std::env::var("PATH").unwrap_or_default();
        let path = match venv {
            Some(v) => format!("{v}:{path}"),
            None => path,
        };
        [
            ("PATH", path.as_str()),
            ("HOME", &self.home.path().display().to_string()),
            ("AWS_ACCESS_KEY_ID", key.0),
            ("AWS_SECRET_ACCESS_KEY", key.1),
            ("AWS_REGION", REGION),
            ("AWS_DEFAULT_REGION", REGION),
            ("AWS_ENDPOINT_URL", &self.url),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_PAGER", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// [`Moto::env_with_key`] with moto's default dummy credentials.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env_with_key(("testing", "testing"))
    }

    /// A command with a clean environment (no real credentials leak in), the test bed's
    /// virtualenv first on PATH, and every AWS call sent to this server.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        self.command_with_key(program, ("testing", "testing"))
    }

    /// [`Moto::command`] with other credentials (e.g. a user's access key, to test denials).
    pub fn command_with_key(&self, program: impl AsRef<OsStr>, key: (&str, &str)) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear().envs(self.env_with_key(key));
        cmd
    }

    /// Runs `aws ARGS --output json` and returns its output, whatever the status.
    pub fn try_aws(&self, args: &[&str]) -> Output {
        self.command(venv_bin("aws"))
            .args(args)
            .args(["--output", "json"])
            .output()
            .expect("the aws CLI runs")
    }

    /// Runs `aws ARGS --output json`, panics with its stderr on failure, and returns its JSON
    /// (Null when it printed nothing).
    pub fn aws(&self, args: &[&str]) -> Value {
        self.aws_as(("testing", "testing"), args)
    }

    /// [`Moto::aws`] with other credentials.
    pub fn aws_as(&self, key: (&str, &str), args: &[&str]) -> Value {
        let out = self
            .command_with_key(venv_bin("aws"), key)
            .args(args)
            .args(["--output", "json"])
            .output()
            .expect("the aws CLI runs");
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!(
                    "aws {args:?} printed no JSON ({e}): {}",
                    String::from_utf8_lossy(&out.stdout)
                )
            })
        }
    }

    /// A string field of an aws CLI answer, e.g. `moto.id(&v, "/Vpc/VpcId")`; panics naming the
    /// pointer when absent.
    pub fn id(&self, v: &Value, pointer: &str) -> String {
        v.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no {pointer} in {v}"))
            .to_string()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
