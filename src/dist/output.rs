//! The output directory is replaced in one rename: everything is written into a
//! staging directory next to it first, so a failure leaves no partial output.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::MANIFEST_FILE;
use crate::error::{Error, Result};

/// A staging directory that becomes `out` on [`Staging::commit`] and is removed
/// (with any parent directories it created) when dropped uncommitted.
pub struct Staging {
    dir: Option<TempDir>,
    out: PathBuf,
    /// Topmost directory created for `out`'s parent, removed on failure.
    created: Option<PathBuf>,
}

impl Staging {
    /// Checks that `out` may be replaced and that its parent is writable.
    pub fn create(out: &Path) -> Result<Staging> {
        let bad = |why: String| Error::BadInput(format!("--out {}: {why}", out.display()));
        if out.is_file() {
            return Err(bad("is a file; choose a directory".into()));
        }
        if out.is_dir() && !out.join(MANIFEST_FILE).is_file() {
            let empty = std::fs::read_dir(out)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if !empty {
                return Err(bad(format!(
                    "exists and is not a build-dist output (no {MANIFEST_FILE}); \
                     choose another directory or remove it"
                )));
            }
        }
        let name = out
            .file_name()
            .ok_or_else(|| bad("must name a directory".into()))?
            .to_string_lossy()
            .into_owned();
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let created = first_missing(&parent);
        let write_err = |source| Error::Write {
            path: out.to_path_buf(),
            source,
        };
        let result = std::fs::create_dir_all(&parent).and_then(|()| {
            tempfile::Builder::new()
                .prefix(&format!(".{name}.tmp-"))
                .tempdir_in(&parent)
        });
        match result {
            Ok(dir) => Ok(Staging {
                dir: Some(dir),
                out: out.to_path_buf(),
                created,
            }),
            Err(source) => {
                if let Some(c) = &created {
                    let _ = std::fs::remove_dir_all(c);
                }
                Err(write_err(source))
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.as_ref().expect("not committed").path()
    }

    /// Writes `relative` (which may contain one directory level) into staging.
    pub fn write(&self, relative: &str, data: &[u8]) -> Result<()> {
        let path = self.path().join(relative);
        let io = |source| Error::Write {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, data).map_err(io)
    }

    /// Replaces `out` with the staging directory.
    pub fn commit(mut self) -> Result<()> {
        let dir = self.dir.take().expect("committed once");
        let io = |source| Error::Write {
            path: self.out.clone(),
            source,
        };
        // The staging directory is private (0700); the output is not.
        set_mode(dir.path(), 0o755).map_err(io)?;
        let old = if self.out.exists() {
            let mut old = dir.path().as_os_str().to_owned();
            old.push(".old");
            let old = PathBuf::from(old);
            std::fs::rename(&self.out, &old).map_err(io)?;
            Some(old)
        } else {
            None
        };
        let staged = dir.keep();
        if let Err(source) = std::fs::rename(&staged, &self.out) {
            if let Some(old) = &old {
                let _ = std::fs::rename(old, &self.out);
            }
            let _ = std::fs::remove_dir_all(&staged);
            return Err(io(source));
        }
        if let Some(old) = old {
            let _ = std::fs::remove_dir_all(old);
        }
        self.created = None;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        drop(self.dir.take());
        if let Some(c) = &self.created {
            let _ = std::fs::remove_dir_all(c);
        }
    }
}

/// The topmost ancestor of `dir` (or `dir` itself) that does not exist yet.
fn first_missing(dir: &Path) -> Option<PathBuf> {
    let mut missing = None;
    let mut cur = Some(dir);
    while let Some(p) = cur {
        if p.as_os_str().is_empty() || p.exists() {
            break;
        }
        missing = Some(p.to_path_buf());
        cur = p.parent();
    }
    missing
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_a_previous_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("deployment");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join(MANIFEST_FILE), "{}").unwrap();
        std::fs::write(out.join("stale"), "x").unwrap();
        let staging = Staging::create(&out).unwrap();
        staging.write("a/b.txt", b"new").unwrap();
        staging.commit().unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a/b.txt")).unwrap(), "new");
        assert!(!out.join("stale").exists());
        let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only deployment/ is left");
    }

    #[test]
    fn dropping_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("x/y/deployment");
        let staging = Staging::create(&out).unwrap();
        staging.write("f", b"1").unwrap();
        drop(staging);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn refuses_a_foreign_directory() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("file"), "x").unwrap();
        let err = Staging::create(tmp.path()).err().unwrap().to_string();
        assert!(err.contains("not a build-dist output"), "{err}");
    }
}
