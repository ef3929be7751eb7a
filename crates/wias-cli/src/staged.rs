//! A new output file written beside its final name and given that name only once its
//! first page is complete.
//!
//! Replacing a document by truncating it loses the old one the moment the new one's
//! first page fails (a full disk, a file-size limit, a bad input). Here the new
//! document goes into a temporary file in the same folder (so the rename cannot cross
//! file systems), locked as any writer's file is, and the rename happens after page 1
//! is committed: until then the old file is untouched, and after it the new file
//! holds a complete page. A kill before the rename leaves the temporary file
//! (`.NAME.XXXXXX.wias-partial`, NAME cut short where the whole would pass
//! `NAME_MAX`) and the old document as it was. The temporary file is created with the
//! permissions of the file it replaces (or tighter, by the umask), never wider.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;
use wias::tiff::{lock_file, open_locked};

/// What publishing does when the final name exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    /// Replace it (`-o OUT` without `--append`), unless another writer holds it.
    Replace,
    /// Leave it and report [`Published::Exists`] (`--append` to a file that was
    /// missing: another writer may have created it meanwhile).
    CreateOnly,
}

/// Why a staged file did not get its name.
#[derive(Debug)]
pub enum Unpublished {
    /// [`Publish::CreateOnly`] and the name exists now.
    Exists,
    Failed(wias::Error),
}

/// The temporary file a new document is written into.
pub struct StagedFile {
    temp: NamedTempFile,
    /// The name it gets (a symbolic link's target, so the link stays).
    target: PathBuf,
    publish: Publish,
}

impl StagedFile {
    /// A locked temporary file beside `out`, with the permissions of the file it
    /// replaces (a new one gets the usual 0666 less the umask). `None` when `out` is
    /// not a regular file (a device such as /dev/null, a FIFO): that is written in
    /// place, since renaming over it would replace the device node. Also `None` when
    /// the folder refuses new files but `out` exists: then the file is written in
    /// place as before (locked first).
    pub fn new(out: &str, publish: Publish) -> wias::Result<Option<Self>> {
        let mut target = PathBuf::from(out);
        let existing = match std::fs::metadata(&target) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(wias::Error::io(format!("opening {out}"), e)),
        };
        if let Some(m) = &existing {
            if !m.is_file() {
                return Ok(None);
            }
            target = std::fs::canonicalize(&target)
                .map_err(|e| wias::Error::io(format!("opening {out}"), e))?;
            // Held by another writer now: say so before any page is made (publishing
            // checks again, and that check is the one that counts).
            if publish == Publish::Replace {
                drop(open_locked(
                    &target,
                    std::fs::OpenOptions::new().read(true),
                    "opening",
                )?);
            }
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{}.", shortened(&name, NAME_MAX - STAGING_BYTES));
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(SUFFIX).rand_bytes(RANDOM);
        // The file is created with the mode it ends with (the umask can only take
        // bits away), never wider: a 0600 document's replacement is never readable
        // by another user, not even for the moment before a chmod.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = existing
                .as_ref()
                .map_or(0o666, |m| m.permissions().mode() & 0o777);
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        let temp = match builder.tempfile_in(&dir) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied && existing.is_some() => {
                return Ok(None)
            }
            Err(e) => {
                return Err(wias::Error::io(
                    format!("creating a temporary file in {}", dir.display()),
                    e,
                ))
            }
        };
        // The umask took bits the old file had: give them back (never more).
        if let Some(m) = &existing {
            temp.as_file()
                .set_permissions(m.permissions())
                .map_err(|e| wias::Error::io(format!("copying the permissions of {out}"), e))?;
        }
        lock_file(temp.as_file(), temp.path())?;
        Ok(Some(StagedFile {
            temp,
            target,
            publish,
        }))
    }

    /// The name the file gets when it is published.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary file, to write the document into (another handle to it shares
    /// its lock).
    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// The temporary file, to write the document into.
    pub fn file_mut(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Gives the file its final name. For [`Publish::Replace`] the file it replaces
    /// is locked first, so a writer appending to it finishes before it is replaced,
    /// or the replacement fails with [`wias::Error::Locked`] and nothing changes.
    pub fn publish(self) -> Result<File, Unpublished> {
        let StagedFile {
            temp,
            target,
            publish,
        } = self;
        let fail = |what: &str, e: io::Error| {
            Unpublished::Failed(wias::Error::io(format!("{what} {}", target.display()), e))
        };
        match publish {
            Publish::CreateOnly => temp.persist_noclobber(&target).map_err(|e| {
                if e.error.kind() == io::ErrorKind::AlreadyExists {
                    Unpublished::Exists
                } else {
                    fail("creating", e.error)
                }
            }),
            Publish::Replace => {
                let old =
                    match open_locked(&target, std::fs::OpenOptions::new().read(true), "opening") {
                        Ok(f) => Some(f),
                        Err(wias::Error::Io { source, .. })
                            if source.kind() == io::ErrorKind::NotFound =>
                        {
                            None
                        }
                        Err(e) => return Err(Unpublished::Failed(e)),
                    };
                let file = temp
                    .persist(&target)
                    .map_err(|e| fail("replacing", e.error))?;
                drop(old);
                Ok(file)
            }
        }
    }
}

/// The longest file name most file systems take (Linux `NAME_MAX`).
const NAME_MAX: usize = 255;
/// The staged name's suffix.
const SUFFIX: &str = ".wias-partial";
/// Random characters in the staged name (tempfile's default).
const RANDOM: usize = 6;
/// What the staged name adds to the document's: a dot before, a dot after, the
/// random characters and the suffix (21 bytes).
const STAGING_BYTES: usize = 2 + RANDOM + SUFFIX.len();

/// `name` cut to at most `max` bytes (at a character boundary), so that the staged
/// name of a document whose name is up to `NAME_MAX` bytes is no longer than that:
/// the staged name only has to be unique and recognisable, not whole.
fn shortened(name: &str, max: usize) -> &str {
    if name.len() <= max {
        return name;
    }
    let mut end = max;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Whether `a` and `b` name the same file (the same inode on Unix: hard links too).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt;
            x.dev() == y.dev() && x.ino() == y.ino()
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_names_never_pass_name_max() {
        assert_eq!(STAGING_BYTES, 21);
        let long = "é".repeat(120); // 240 bytes
        let cut = shortened(&long, NAME_MAX - STAGING_BYTES);
        assert!(cut.len() <= 234 && long.starts_with(cut) && cut.len() >= 233);
        assert_eq!(shortened("doc.tif", 234), "doc.tif");
    }
}
