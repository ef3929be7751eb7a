//! Documents in files: create (truncating only under the lock, `crate::lock`), append,
//! and syncing file and directory for `Durability::Sync`.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use super::options::{Durability, Options};
use super::writer::TiffWriter;
use crate::error::{Error, Result};
use crate::lock::open_locked;

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
