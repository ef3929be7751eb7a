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
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        lock(&f, path)?;
        f.set_len(0)
            .map_err(|e| Error::io(format!("truncating {}", path.display()), e))?;
        let durable = options.file.durability == Durability::Sync;
        let mut w = TiffWriter::new_synced(f, options, sync_file)?;
        if durable {
            w.sync()?;
            sync_parent_dir(path)?;
        }
        Ok(w)
    }

    /// Opens an existing TIFF at `path` to add pages. The chain is walked once and
    /// validated; a file that is not a TIFF, or whose chain is broken, is an error and
    /// is left untouched.
    pub fn append(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        let path = path.as_ref();
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        lock(&f, path)?;
        TiffWriter::append_to_synced(f, options, sync_file)
    }
}

/// Takes the advisory lock on a file we are about to write, or says who holds it.
///
/// A `flock` lock belongs to the open file, and a process that forks (any thread
/// spawning a child) holds a copy of every open file until the child's `exec` closes
/// it: a lock just released can look held for a moment. So a busy lock is tried again
/// for a short while before it is reported.
fn lock(f: &File, path: &Path) -> Result<()> {
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
