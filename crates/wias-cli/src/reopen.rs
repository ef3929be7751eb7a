//! Reopening a TIFF to add pages, with the chain walk's many small reads served from
//! whole blocks: `TiffFile::read` asks for the entry count, the entry table and each
//! out-of-line value of every IFD separately, a dozen seek-and-read syscalls per page
//! on a plain `File`; here an IFD and its values usually come from one block read.
//! The walk and its validation are the library's (`TiffFile::read`); the file is
//! then continued with `TiffWriter::resume`, as `TiffWriter::append` does.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};

use wias::tiff::{Options, TiffFile, TiffWriter, Variant};

/// Bytes fetched per block read: a few IFDs' worth of tags and values.
const BLOCK: usize = 16 * 1024;

/// Opens `path` to add pages after walking and validating its IFD chain once.
pub fn append(path: &str, options: Options) -> wias::Result<TiffWriter<File>> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| wias::Error::io(format!("opening {path}"), e))?;
    let len = file
        .metadata()
        .map_err(|e| wias::Error::io(format!("reading the length of {path}"), e))?
        .len();
    let doc = TiffFile::read(&mut BlockReader::new(&file, len))?;
    if doc.variant != Variant::Classic {
        return Err(wias::Error::Unsupported(
            "appending to a BigTIFF file is not supported yet".into(),
        ));
    }
    Ok(TiffWriter::resume(file, doc.chain_end(), len, options))
}

/// A read-only `Read + Seek` view of a file that keeps the last block read.
struct BlockReader<'a> {
    file: &'a File,
    len: u64,
    pos: u64,
    block_at: u64,
    block: Vec<u8>,
}

impl<'a> BlockReader<'a> {
    fn new(file: &'a File, len: u64) -> Self {
        BlockReader {
            file,
            len,
            pos: 0,
            block_at: 0,
            block: Vec::new(),
        }
    }

    fn in_block(&self) -> bool {
        self.pos >= self.block_at && self.pos < self.block_at + self.block.len() as u64
    }

    fn load(&mut self) -> io::Result<()> {
        let mut f = self.file;
        f.seek(SeekFrom::Start(self.pos))?;
        self.block.resize(BLOCK, 0);
        let mut n = 0;
        while n < BLOCK {
            match f.read(&mut self.block[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.block.truncate(n);
        self.block_at = self.pos;
        Ok(())
    }
}

impl Read for BlockReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
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

impl Seek for BlockReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_across_blocks_match_the_file() {
        let mut f = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let mut r = BlockReader::new(&f, data.len() as u64);
        for (at, len) in [
            (0, 10),
            (16_380, 10),
            (99_990, 20),
            (5, 40_000),
            (50_000, 1),
        ] {
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
            let end = (at as usize + len).min(data.len());
            assert_eq!(&buf[..got], &data[at as usize..end]);
        }
        assert_eq!(r.seek(SeekFrom::End(0)).unwrap(), 100_000);
    }
}
