//! The advisory writer lock every document file is written under (TIFF and PDF, by the
//! library and the CLI), and the guard against a rename between opening a path and
//! locking it. Container-neutral: `tiff::{lock_file, open_locked}` re-export these.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{Error, Result};

/// Opens `path` and takes its writer lock, making sure that, once the lock is held,
/// `path` still names the file locked. A writer that replaces a document by renaming a
/// new file over it (as `wias write` and `wias scan` do) releases the old file's lock
/// after the rename: a second writer that was waiting for that lock holds it on a file
/// that has no name any more, and pages written there would be lost. It opens the path
/// again instead.
///
/// ```
/// use std::fs::OpenOptions;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("doc.tif");
/// let f = wias::lock::open_locked(&path, OpenOptions::new().write(true).create(true), "creating")?;
/// // A second writer is refused while `f` is open.
/// let again = wias::lock::open_locked(&path, OpenOptions::new().write(true), "opening");
/// assert!(matches!(again, Err(wias::Error::Locked(_))));
/// # drop(f);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_locked(path: &Path, open: &OpenOptions, doing: &str) -> Result<File> {
    // Each round is a rename by another writer between our open and our lock; a
    // path replaced this often is not a document anyone can share.
    const ROUNDS: u32 = 100;
    for _ in 0..ROUNDS {
        let f = open
            .open(path)
            .map_err(|e| Error::io(format!("{doing} {}", path.display()), e))?;
        lock_file(&f, path)?;
        if names_file(path, &f) {
            return Ok(f);
        }
    }
    Err(Error::Locked(path.display().to_string()))
}

/// Whether `path` names the open file `f` (same device and inode). Elsewhere than on
/// Unix, where files are not renamed over while open, always true.
fn names_file(path: &Path, f: &File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(path), f.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, f);
        true
    }
}

/// Takes the advisory lock on a file we are about to write, or says who holds it.
///
/// A `flock` lock belongs to the open file, and a process that forks (any thread
/// spawning a child) holds a copy of every open file until the child's `exec` closes
/// it: a lock just released can look held for a moment. So a busy lock is tried again
/// for a short while before it is reported.
pub fn lock_file(f: &File, path: &Path) -> Result<()> {
    const TRIES: u32 = 20;
    for attempt in 1..=TRIES {
        match fs4::FileExt::try_lock(f) {
            Ok(()) => return Ok(()),
            Err(fs4::TryLockError::WouldBlock) if attempt < TRIES => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(fs4::TryLockError::WouldBlock) => break,
            Err(fs4::TryLockError::Error(e)) => {
                return Err(Error::io(format!("locking {}", path.display()), e))
            }
        }
    }
    Err(Error::Locked(path.display().to_string()))
}
