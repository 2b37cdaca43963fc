//! Where records come from: the paths given on the command line, expanded into the files to read.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// Bytes fetched from elsewhere (an S3 object, a LookupEvents page), gzip or not, under the
    /// name problems are reported with (e.g. `s3://bucket/key`).
    Memory {
        name: String,
        bytes: Arc<[u8]>,
    },
}

impl Source {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Source::File {
            path: path.into(),
            walked: false,
        }
    }

    pub fn memory(name: impl Into<String>, bytes: impl Into<Arc<[u8]>>) -> Self {
        Source::Memory {
            name: name.into(),
            bytes: bytes.into(),
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
            Source::Memory { name, .. } => f.write_str(name),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{DecodeOptions, decode_source};

    #[test]
    fn memory_sources_decode_like_files_and_report_under_their_name() {
        let text = br#"{"Records":[{"eventID":"a","eventTime":"2024-01-01T00:00:00Z","eventName":"X"},42]}"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, text).unwrap();
        let src = Source::memory("s3://b/k.json.gz", gz.finish().unwrap());
        assert_eq!(src.to_string(), "s3://b/k.json.gz");
        assert!(!src.walked());
        let mut names = Vec::new();
        let out = decode_source(&src, &DecodeOptions::default(), &mut |r, _, _| {
            names.push(r.event_name.as_deref().unwrap_or_default().to_string());
            Ok(())
        });
        assert_eq!(names, ["X"]);
        assert_eq!((out.records, out.skipped_records), (1, 1));
        assert_eq!(out.problems[0].file, "s3://b/k.json.gz");
        assert_eq!(out.problems[0].at, Where::Record(1));
    }
}
