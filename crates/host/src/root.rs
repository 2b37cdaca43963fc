//! A host file system seen through `--root DIR` (the live `/`, or another instance's volume).
//!
//! Paths are host paths (`/etc/ssh/sshd_config`). Symlinks are followed as the host would see
//! them, with absolute targets re-rooted under DIR and `..` clamped at DIR, so nothing outside
//! DIR is ever read.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

const MAX_SYMLINK_HOPS: usize = 40;
/// Configuration and key files beyond this size are refused rather than read into memory.
const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(Clone, Debug)]
pub struct Root {
    base: PathBuf,
}

impl Root {
    pub fn new(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let base = dir.into().canonicalize()?;
        if !base.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", base.display()),
            ));
        }
        Ok(Root { base })
    }

    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The real path of `host_path` under the root, all symlinks resolved inside the root.
    pub fn resolve(&self, host_path: &str) -> io::Result<PathBuf> {
        let mut queue: VecDeque<OsString> = components(Path::new(host_path)).into();
        let mut cur: Vec<OsString> = Vec::new();
        let mut hops = 0;
        while let Some(comp) = queue.pop_front() {
            if comp == ".." {
                cur.pop();
                continue;
            }
            let candidate = self.real(&cur).join(&comp);
            match std::fs::symlink_metadata(&candidate) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(io::Error::other(format!(
                            "{host_path}: too many levels of symbolic links"
                        )));
                    }
                    let target = std::fs::read_link(&candidate)?;
                    if target.is_absolute() {
                        cur.clear();
                    }
                    for c in components(&target).into_iter().rev() {
                        queue.push_front(c);
                    }
                }
                _ => cur.push(comp),
            }
        }
        Ok(self.real(&cur))
    }

    fn real(&self, comps: &[OsString]) -> PathBuf {
        let mut p = self.base.clone();
        p.extend(comps);
        p
    }

    /// Reads a regular file (a device node or FIFO on a hostile volume would never end).
    pub fn read_to_string(&self, host_path: &str) -> io::Result<String> {
        let real = self.resolve(host_path)?;
        let meta = std::fs::metadata(&real)?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("larger than {} MiB", MAX_FILE_BYTES >> 20),
            ));
        }
        let bytes = std::fs::read(real)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    pub fn metadata(&self, host_path: &str) -> io::Result<std::fs::Metadata> {
        std::fs::metadata(self.resolve(host_path)?)
    }

    pub fn is_file(&self, host_path: &str) -> bool {
        self.metadata(host_path).is_ok_and(|m| m.is_file())
    }

    /// File names in a host directory, sorted.
    pub fn list_dir(&self, host_path: &str) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(self.resolve(host_path)?)?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Expands a glob(3) pattern (`*`, `?`, `[...]` per component) to existing host paths, in
    /// lexical order as OpenSSH's Include does.
    pub fn glob(&self, pattern: &str) -> Vec<String> {
        let mut found = vec![String::new()];
        for comp in pattern.split('/').filter(|c| !c.is_empty()) {
            let mut next = Vec::new();
            for prefix in &found {
                if comp.contains(['*', '?', '[']) {
                    let dir = if prefix.is_empty() {
                        "/"
                    } else {
                        prefix.as_str()
                    };
                    for name in self.list_dir(dir).unwrap_or_default() {
                        if !name.starts_with('.') && crate::pattern::glob_match(comp, &name) {
                            next.push(format!("{prefix}/{name}"));
                        }
                    }
                } else {
                    next.push(format!("{prefix}/{comp}"));
                }
            }
            found = next;
        }
        found.retain(|p| !p.is_empty() && self.metadata(p).is_ok());
        found.sort();
        found
    }

    /// Writes a file under the root (resolved like reads), keeping its permissions.
    pub fn write(&self, host_path: &str, contents: &str) -> io::Result<()> {
        std::fs::write(self.resolve(host_path)?, contents)
    }

    /// Copies a host file to a sibling path (same directory) under the root.
    pub fn copy_sibling(&self, host_path: &str, new_name: &str) -> io::Result<String> {
        let real = self.resolve(host_path)?;
        let dest = real.with_file_name(new_name);
        std::fs::copy(&real, &dest)?;
        Ok(dest.display().to_string())
    }
}

fn components(p: &Path) -> Vec<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_never_leave_the_root() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "outside").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("etc/ssh")).unwrap();
        std::fs::write(d.join("etc/ssh/real"), "inside").unwrap();
        // Absolute target: re-rooted.
        symlink("/etc/ssh/real", d.join("etc/ssh/abs")).unwrap();
        // Relative target climbing out: clamped at the root.
        symlink("../../../../../../etc/ssh/real", d.join("etc/ssh/climb")).unwrap();
        // Absolute target that exists on the real host only.
        symlink(outside.path().join("secret"), d.join("etc/ssh/escape")).unwrap();
        symlink("loop", d.join("etc/ssh/loop")).unwrap();
        let root = Root::new(d).unwrap();
        assert_eq!(root.read_to_string("/etc/ssh/abs").unwrap(), "inside");
        assert_eq!(root.read_to_string("/etc/ssh/climb").unwrap(), "inside");
        assert_eq!(
            root.read_to_string("/../../etc/ssh/real").unwrap(),
            "inside"
        );
        assert!(
            root.resolve("/etc/ssh/escape")
                .unwrap()
                .starts_with(root.base())
        );
        assert!(root.read_to_string("/etc/ssh/escape").is_err());
        assert!(root.read_to_string("/etc/ssh/loop").is_err());
        // A directory (or device) where a file should be is an error, not a hang.
        std::fs::create_dir_all(d.join("etc/ssh/dir")).unwrap();
        let err = root.read_to_string("/etc/ssh/dir").unwrap_err();
        assert_eq!(err.to_string(), "not a regular file");
    }

    #[test]
    fn glob_is_sorted_and_skips_dotfiles() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("etc/ssh/sshd_config.d");
        std::fs::create_dir_all(&d).unwrap();
        for name in ["b.conf", "a.conf", ".hidden.conf", "c.txt"] {
            std::fs::write(d.join(name), "").unwrap();
        }
        let root = Root::new(dir.path()).unwrap();
        assert_eq!(
            root.glob("/etc/ssh/sshd_config.d/*.conf"),
            vec![
                "/etc/ssh/sshd_config.d/a.conf",
                "/etc/ssh/sshd_config.d/b.conf"
            ]
        );
        assert!(root.glob("/etc/nothing/*").is_empty());
    }
}
