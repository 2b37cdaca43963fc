//! Where records come from: the paths given on the command line, expanded into the files to read.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::problem::{Problem, Where};

/// One input to read: a file found on disk, or standard input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    File {
        path: PathBuf,
        /// Found by walking a folder rather than named by the user: a file that turns out not to be
        /// CloudTrail is then ignored (counted), not an error.
        walked: bool,
    },
    Stdin,
}

impl Source {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Source::File {
            path: path.into(),
            walked: false,
        }
    }

    pub fn walked(&self) -> bool {
        matches!(self, Source::File { walked: true, .. })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File { path, .. } => write!(f, "{}", path.display()),
            Source::Stdin => f.write_str("<stdin>"),
        }
    }
}

/// The result of expanding the command-line paths.
#[derive(Debug, Default)]
pub struct Discovered {
    pub sources: Vec<Source>,
    /// Files passed over without reading, e.g. CloudTrail digest files in an S3 layout tree.
    pub ignored_digests: u64,
    pub problems: Vec<Problem>,
}

/// Whether a path lies in a `CloudTrail-Digest/` folder of the S3 layout: digests describe log
/// files, they hold no events.
pub fn is_digest_path(path: &Path) -> bool {
    path.components()
        .any(|c| c.as_os_str().eq_ignore_ascii_case("CloudTrail-Digest"))
}

/// Expands paths (`-` is stdin) into sources: folders are walked recursively in name order, so the
/// file list (and with it every error listing) is deterministic. Unreadable paths become problems.
pub fn discover<S: AsRef<str>>(paths: &[S]) -> Discovered {
    let mut out = Discovered::default();
    for arg in paths {
        let arg = arg.as_ref();
        if arg == "-" {
            out.sources.push(Source::Stdin);
            continue;
        }
        let path = Path::new(arg);
        match std::fs::metadata(path) {
            Err(err) => out.problems.push(Problem::new(
                arg,
                Where::File,
                format!("cannot read: {err}"),
            )),
            Ok(meta) if meta.is_dir() => walk(path, &mut out),
            Ok(_) => out.sources.push(Source::file(path)),
        }
    }
    out
}

fn walk(root: &Path, out: &mut Discovered) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        match entry {
            Err(err) => {
                let at = err
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string());
                let why = err
                    .io_error()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| err.to_string());
                out.problems
                    .push(Problem::new(at, Where::File, format!("cannot read: {why}")));
            }
            Ok(entry) => {
                let ft = entry.file_type();
                // A symlink to a file is read; a symlink to a folder is not followed (no loops).
                let is_file = ft.is_file()
                    || (ft.is_symlink() && entry.path().metadata().is_ok_and(|m| m.is_file()));
                if !is_file {
                    continue;
                }
                if is_digest_path(entry.path()) {
                    out.ignored_digests += 1;
                    continue;
                }
                out.sources.push(Source::File {
                    path: entry.into_path(),
                    walked: true,
                });
            }
        }
    }
}
