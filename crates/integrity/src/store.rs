//! Where digests and log files are read from: a folder (offline) or, through the CLI's adapter, an
//! S3 bucket. The validation logic sees only this trait.
//!
//! Offline folder layout: the bucket as `aws s3 sync s3://BUCKET DIR` writes it (or `s3://BUCKET/
//! PREFIX` with `--prefix PREFIX`). A sync drops S3 object metadata, so a digest's signature
//! (`x-amz-meta-signature`) is kept beside it in a sidecar `<digest>.json.gz.metadata.json`: the
//! JSON that `aws s3api head-object` prints (its `Metadata` object is read), or a flat object with
//! `signature`, `signature-algorithm` and, for backfill digests, `backfill-generation-timestamp`.
//! Without a sidecar a digest can still be verified with the signature its successor records
//! (`previousDigestSignature`); only the newest digest of a chain then lacks one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// S3 object metadata names, without `x-amz-meta-`.
pub const META_SIGNATURE: &str = "signature";
pub const META_ALGORITHM: &str = "signature-algorithm";
pub const META_BACKFILL_TIME: &str = "backfill-generation-timestamp";

/// The sidecar file name suffix for offline digest metadata.
pub const SIDECAR_SUFFIX: &str = ".metadata.json";

/// One object read.
#[derive(Clone, Debug, Default)]
pub struct Object {
    pub body: Vec<u8>,
    /// User metadata (names without `x-amz-meta-`, lowercase); `None` when the store has none for
    /// this object (a folder without a sidecar).
    pub metadata: Option<BTreeMap<String, String>>,
}

/// A failed read or listing: the message names the object or prefix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Read access to one bucket's CloudTrail objects.
pub trait Store: Sync {
    /// The bucket this store reads, when known (offline it is known only if the user said).
    fn bucket(&self) -> Option<&str>;
    /// The key prefix the user pointed at (empty for the whole bucket or folder).
    fn root(&self) -> &str;
    /// Every key under `prefix`, in key order.
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
    /// The folders directly under `prefix` (keys up to and including the next `/`), in order.
    fn folders(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
    /// One object with its metadata; `Ok(None)` when it does not exist.
    fn get(&self, bucket: &str, key: &str) -> Result<Option<Object>, StoreError>;
    /// One object's bytes (log files need no metadata); `Ok(None)` when it does not exist.
    fn get_bytes(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get(bucket, key)?.map(|o| o.body))
    }
    /// Where an object was read, for people: a local path offline, `None` when the S3 URL says it.
    fn local_path(&self, _key: &str) -> Option<PathBuf> {
        None
    }
}

/// A folder holding (part of) a CloudTrail bucket.
#[derive(Debug)]
pub struct DirStore {
    dir: PathBuf,
    bucket: Option<String>,
    /// The key prefix the folder stands for (`s3://BUCKET/PREFIX` synced into it).
    prefix: String,
    /// Every file's key (prefix included), sidecars left out.
    keys: BTreeSet<String>,
}

impl DirStore {
    /// Opens `dir` as the copy of `s3://bucket/prefix` (prefix empty or ending in `/`; `bucket`
    /// `None` when unknown, then any bucket a digest names maps to this folder).
    pub fn open(dir: &Path, bucket: Option<String>, prefix: &str) -> Result<DirStore, StoreError> {
        let meta =
            std::fs::metadata(dir).map_err(|e| StoreError(format!("{}: {e}", dir.display())))?;
        if !meta.is_dir() {
            return Err(StoreError(format!(
                "{}: not a folder (give the folder a bucket was synced into)",
                dir.display()
            )));
        }
        let prefix = normalize_prefix(prefix);
        let mut keys = BTreeSet::new();
        for entry in walkdir::WalkDir::new(dir).follow_links(true) {
            let entry = entry.map_err(|e| StoreError(format!("{}: {e}", dir.display())))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(dir) else {
                continue;
            };
            let Some(rel) = rel.to_str() else { continue };
            let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
            if rel.ends_with(SIDECAR_SUFFIX) {
                continue;
            }
            keys.insert(format!("{prefix}{rel}"));
        }
        Ok(DirStore {
            dir: dir.to_path_buf(),
            bucket,
            prefix,
            keys,
        })
    }

    fn path_of(&self, key: &str) -> Option<PathBuf> {
        let rel = key.strip_prefix(&self.prefix)?;
        if rel.split('/').any(|s| s == ".." || s.is_empty()) {
            return None;
        }
        Some(self.dir.join(rel))
    }

    fn read_sidecar(path: &Path) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        let mut name = path.as_os_str().to_owned();
        name.push(SIDECAR_SUFFIX);
        let sidecar = PathBuf::from(name);
        let bytes = match std::fs::read(&sidecar) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError(format!("{}: {e}", sidecar.display()))),
        };
        let bad = |why: &str| {
            StoreError(format!(
                "{}: {why} (expected the JSON of `aws s3api head-object`, or {{\"signature\": ..., \"signature-algorithm\": ...}})",
                sidecar.display()
            ))
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(&format!("not JSON: {e}")))?;
        let object = value.get("Metadata").unwrap_or(&value);
        let object = object.as_object().ok_or_else(|| bad("not a JSON object"))?;
        let mut out = BTreeMap::new();
        for (name, v) in object {
            if let Some(s) = v.as_str() {
                let name = name.to_ascii_lowercase();
                let name = name
                    .strip_prefix("x-amz-meta-")
                    .unwrap_or(&name)
                    .to_string();
                out.insert(name, s.to_string());
            }
        }
        Ok(Some(out))
    }
}

/// `""`, or the prefix with one trailing `/`.
pub fn normalize_prefix(prefix: &str) -> String {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

impl Store for DirStore {
    fn bucket(&self) -> Option<&str> {
        self.bucket.as_deref()
    }

    fn root(&self) -> &str {
        &self.prefix
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .keys
            .range(prefix.to_string()..)
            .take_while(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }

    fn folders(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut out: Vec<String> = Vec::new();
        for key in self
            .keys
            .range(prefix.to_string()..)
            .take_while(|k| k.starts_with(prefix))
        {
            if let Some(slash) = key[prefix.len()..].find('/') {
                let folder = &key[..prefix.len() + slash + 1];
                if out.last().map(String::as_str) != Some(folder) {
                    out.push(folder.to_string());
                }
            }
        }
        Ok(out)
    }

    fn get(&self, bucket: &str, key: &str) -> Result<Option<Object>, StoreError> {
        if self.bucket.as_deref().is_some_and(|b| b != bucket) {
            return Ok(None);
        }
        let Some(path) = self.path_of(key) else {
            return Ok(None);
        };
        let body = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError(format!("{}: {e}", path.display()))),
        };
        let metadata = Self::read_sidecar(&path)?;
        Ok(Some(Object { body, metadata }))
    }

    fn get_bytes(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if self.bucket.as_deref().is_some_and(|b| b != bucket) {
            return Ok(None);
        }
        let Some(path) = self.path_of(key) else {
            return Ok(None);
        };
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError(format!("{}: {e}", path.display()))),
        }
    }

    fn local_path(&self, key: &str) -> Option<PathBuf> {
        self.path_of(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_lists_like_a_bucket() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir_all(d.join("AWSLogs/111122223333/CloudTrail/us-east-1")).unwrap();
        std::fs::create_dir_all(d.join("AWSLogs/111122223333/CloudTrail-Digest/us-east-1"))
            .unwrap();
        std::fs::write(
            d.join("AWSLogs/111122223333/CloudTrail/us-east-1/a.json.gz"),
            b"a",
        )
        .unwrap();
        std::fs::write(
            d.join("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/d.json.gz"),
            b"d",
        )
        .unwrap();
        std::fs::write(
            d.join("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/d.json.gz.metadata.json"),
            br#"{"AcceptRanges": "bytes", "Metadata": {"signature": "ab", "signature-algorithm": "SHA256withRSA"}}"#,
        )
        .unwrap();
        let store = DirStore::open(d, None, "team").unwrap();
        assert_eq!(store.root(), "team/");
        assert_eq!(
            store.folders("team/AWSLogs/111122223333/").unwrap(),
            [
                "team/AWSLogs/111122223333/CloudTrail-Digest/",
                "team/AWSLogs/111122223333/CloudTrail/"
            ]
        );
        assert_eq!(
            store.list("team/").unwrap().len(),
            2,
            "sidecars are not objects"
        );
        let digest = store
            .get(
                "any-bucket",
                "team/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/d.json.gz",
            )
            .unwrap()
            .unwrap();
        let meta = digest.metadata.unwrap();
        assert_eq!(meta["signature"], "ab");
        let log = store
            .get(
                "b",
                "team/AWSLogs/111122223333/CloudTrail/us-east-1/a.json.gz",
            )
            .unwrap()
            .unwrap();
        assert!(log.metadata.is_none());
        assert!(store.get("b", "team/AWSLogs/nothing").unwrap().is_none());
        assert!(store.get("b", "other/AWSLogs/x").unwrap().is_none());
        assert!(store.get("b", "team/../etc/passwd").unwrap().is_none());

        let pinned = DirStore::open(d, Some("mine".into()), "").unwrap();
        assert!(
            pinned
                .get(
                    "theirs",
                    "AWSLogs/111122223333/CloudTrail/us-east-1/a.json.gz"
                )
                .unwrap()
                .is_none()
        );
        assert!(DirStore::open(&d.join("missing"), None, "").is_err());
    }

    #[test]
    fn a_bad_sidecar_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("d.json.gz"), b"d").unwrap();
        std::fs::write(tmp.path().join("d.json.gz.metadata.json"), b"[1").unwrap();
        let store = DirStore::open(tmp.path(), None, "").unwrap();
        let err = store.get("b", "d.json.gz").unwrap_err();
        assert!(err.0.contains("d.json.gz.metadata.json"), "{err}");
    }
}
