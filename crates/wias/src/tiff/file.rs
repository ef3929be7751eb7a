//! Documents in files: create (truncating only under the lock), append, the advisory
//! lock, and syncing file and directory for `Durability::Sync`.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use super::options::{Durability, Options};
use super::writer::TiffWriter;
use crate::error::{Error, Result};

impl TiffWriter<File> {
    /// Creates (or truncates) `path` and writes the TIFF header.
    ///
    /// The file is locked (an advisory lock, `flock` on Unix) for as long as the writer
    /// or the `File` it returns lives: a second `create` or `append` of the same file
    /// fails with [`Error::Locked`] and leaves it untouched, instead of interleaving
    /// pages. The file is truncated only once the lock is held.
    pub fn create(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        let path = path.as_ref();
        let f = open_locked(
            path,
            // Read too: a document that grows past 4 GiB reads its chain back.
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
            "creating",
        )?;
        // A device or FIFO (/dev/null) has no length to cut.
        if f.metadata().map_or(true, |m| m.is_file()) {
            f.set_len(0)
                .map_err(|e| Error::io(format!("truncating {}", path.display()), e))?;
        }
        let durable = options.file.durability == Durability::Sync;
        let mut w = TiffWriter::new_synced(f, options, sync_file)?;
        if durable {
            w.sync()?;
            sync_parent_dir(path)?;
        }
        Ok(w)
    }

    /// Opens an existing TIFF at `path` to add pages. A little-endian file wias wrote
    /// last is reopened in O(1) from the chain tail at its end (its first and last
    /// pages checked; what that leaves to `wias inspect` is listed in
    /// docs/bad-input.md); any other file, or one whose tail does not check out, has
    /// its chain walked once and validated, and gets a tail after our page, so the
    /// next append is O(1). Of another program's file only the last IFD's next-IFD
    /// field is written. A file that is not a TIFF, or whose chain is broken, is an error and
    /// is left untouched.
    pub fn append(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        let path = path.as_ref();
        let f = open_locked(path, OpenOptions::new().read(true).write(true), "opening")?;
        TiffWriter::append_to_synced(f, options, sync_file)
    }
}

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
/// let f = wias::tiff::open_locked(&path, OpenOptions::new().write(true).create(true), "creating")?;
/// // A second writer is refused while `f` is open.
/// let again = wias::tiff::open_locked(&path, OpenOptions::new().write(true), "opening");
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

fn sync_file(f: &mut File) -> io::Result<()> {
    f.sync_data()
}

/// Makes a new file's directory entry durable (Unix; elsewhere the file system does).
fn sync_parent_dir(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(format!("syncing the directory {}", dir.display()), e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
