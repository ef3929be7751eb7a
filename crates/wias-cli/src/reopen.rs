//! Reopening a TIFF to add pages with the chain walk's many small reads served from
//! whole blocks. `TiffWriter::append_to` walks and validates the chain once; on a
//! plain `File` its reader asks for the entry count, the entry table and each
//! out-of-line value of every IFD separately, a dozen seek-and-read system calls per
//! page. Through [`BlockCachedFile`] an IFD and its values usually cost one block read.
//! All checks stay the library's: this only changes how the bytes are fetched.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};

use wias::tiff::{Options, TiffWriter};

/// Bytes fetched per block read: an IFD with its values, usually.
const BLOCK: usize = 4 * 1024;

/// Opens `path` to add pages (`TiffWriter::append_to` over a block-cached file).
pub fn append(path: &str, options: Options) -> wias::Result<TiffWriter<BlockCachedFile>> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| wias::Error::io(format!("opening {path}"), e))?;
    TiffWriter::append_to(BlockCachedFile::new(file), options)
}

/// A file whose reads are served from the last block read; writes go straight to the
/// file (and drop the block, so a read never sees stale bytes).
pub struct BlockCachedFile {
    file: File,
    pos: u64,
    block_at: u64,
    block: Vec<u8>,
}

impl BlockCachedFile {
    pub fn new(file: File) -> Self {
        BlockCachedFile {
            file,
            pos: 0,
            block_at: 0,
            block: Vec::new(),
        }
    }

    fn in_block(&self) -> bool {
        self.pos >= self.block_at && self.pos < self.block_at + self.block.len() as u64
    }

    fn load(&mut self) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(self.pos))?;
        self.block.resize(BLOCK, 0);
        let mut n = 0;
        while n < BLOCK {
            match self.file.read(&mut self.block[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.block.clear();
                    return Err(e);
                }
            }
        }
        self.block.truncate(n);
        self.block_at = self.pos;
        Ok(())
    }
}

impl Read for BlockCachedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if !self.in_block() {
            self.load()?;
            if self.block.is_empty() {
                return Ok(0);
            }
        }
        let off = (self.pos - self.block_at) as usize;
        let n = buf.len().min(self.block.len() - off);
        buf[..n].copy_from_slice(&self.block[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Write for BlockCachedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.block.clear();
        self.file.seek(SeekFrom::Start(self.pos))?;
        let n = self.file.write(buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Seek for BlockCachedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::End(_) => self.file.seek(to)?,
            SeekFrom::Current(d) => self
                .pos
                .checked_add_signed(d)
                .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?,
        };
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_at(r: &mut BlockCachedFile, at: u64, len: usize) -> Vec<u8> {
        r.seek(SeekFrom::Start(at)).unwrap();
        let mut buf = vec![0; len];
        let mut got = 0;
        while got < len {
            let k = r.read(&mut buf[got..]).unwrap();
            if k == 0 {
                break;
            }
            got += k;
        }
        buf.truncate(got);
        buf
    }

    #[test]
    fn reads_across_blocks_and_after_writes_match_the_file() {
        let mut f = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let mut r = BlockCachedFile::new(f);
        for (at, len) in [
            (0, 10),
            (16_380, 10),
            (99_990, 20),
            (5, 40_000),
            (50_000, 1),
        ] {
            let end = (at as usize + len).min(data.len());
            assert_eq!(read_at(&mut r, at, len), &data[at as usize..end]);
        }
        assert_eq!(r.seek(SeekFrom::End(0)).unwrap(), 100_000);
        // A write inside the cached block is seen by the next read.
        assert_eq!(read_at(&mut r, 10, 4), &data[10..14]);
        r.seek(SeekFrom::Start(11)).unwrap();
        r.write_all(&[1, 2]).unwrap();
        assert_eq!(read_at(&mut r, 10, 4), [data[10], 1, 2, data[13]]);
        // Appending at the end.
        r.seek(SeekFrom::End(0)).unwrap();
        r.write_all(&[9; 3]).unwrap();
        assert_eq!(read_at(&mut r, 99_999, 10), [data[99_999], 9, 9, 9]);
    }
}
