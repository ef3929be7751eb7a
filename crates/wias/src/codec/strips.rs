//! The parallel strip engine: a page's strips encoded on several threads and handed
//! on in order, as soon as each and every one before it is done, never more than a
//! few strips ahead (so a page is never held whole). Container-neutral: it knows
//! strips, codecs and threads, not TIFF or PDF; the TIFF writers feed it from a page
//! in memory or from a reader (`tiff::encode`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, PoisonError};

use super::{CodecSettings, StripEncoder, StripLayout};
use crate::error::Result;

/// Encodes strips `chunks` (rows of `layout`, each strip on its own) on up to
/// `codec.thread_count` threads. Each strip is put back in order, so the bytes do not
/// depend on the number of threads.
pub(crate) fn encode_chunks(
    chunks: &[&[u8]],
    layout: StripLayout,
    codec: &CodecSettings,
    encoder: &dyn StripEncoder,
) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::with_capacity(chunks.len());
    encode_chunks_each(chunks, layout, codec, encoder, &mut |s| {
        // Kept until the page is written: at their size, not at the guess (half the
        // raw strip) that saved regrowing while encoding.
        let mut s = std::mem::take(s);
        s.shrink_to_fit();
        out.push(s);
        Ok(())
    })?;
    Ok(out)
}

/// Strips encoded ahead of the one `each` waits for, per thread, at most: enough that
/// no thread idles while the calling thread writes, few enough that a page is never
/// held (a window of 64 KiB strips, not the page).
const AHEAD_PER_THREAD: usize = 4;

/// Raw strip bytes a page may have in flight (encoded strips waiting to be handed on,
/// and spare buffers), whatever the number of cores: 4 strips a thread on a machine
/// of many cores would hold a page's worth of strips, and the memory goal (one page +
/// 16 MiB, BENCHMARKS.md) is per process, not per core. On 2 cores it does not bind.
const IN_FLIGHT_BYTES: usize = 6 << 20;

/// Strips of `strip_bytes` raw bytes that fit [`IN_FLIGHT_BYTES`], at least 2.
fn strips_in_flight(strip_bytes: usize) -> usize {
    (IN_FLIGHT_BYTES / strip_bytes.max(1)).max(2)
}

/// Where [`encode_strips_each`] takes its strips from: a page in memory, or a reader
/// the strips are read from one after another.
pub(crate) trait StripSource: Sync {
    /// Strips in the page.
    fn count(&self) -> usize;
    /// Strip `i`'s rows. Called for 0, 1, 2, ... in order, one call at a time;
    /// `spare` is an emptied buffer of an earlier strip, to read into if the rows
    /// must be read (reusing it spares page faults on fresh memory).
    fn strip(&self, i: usize, spare: Vec<u8>) -> Result<Cow<'_, [u8]>>;
}

/// The strips of a page in memory.
struct InMemory<'a>(&'a [&'a [u8]]);

impl StripSource for InMemory<'_> {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn strip(&self, i: usize, _spare: Vec<u8>) -> Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(self.0[i]))
    }
}

/// Encodes strips `chunks` on up to `codec.thread_count` threads and gives each one
/// to `each`, in order, on the calling thread, as soon as it and every strip before it
/// are done (see [`encode_strips_each`]).
pub(crate) fn encode_chunks_each(
    chunks: &[&[u8]],
    layout: StripLayout,
    codec: &CodecSettings,
    encoder: &dyn StripEncoder,
    each: &mut dyn FnMut(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    encode_strips_each(&InMemory(chunks), layout, codec, encoder, each)
}

/// Encodes the strips of `source` on up to `codec.thread_count` threads and gives each
/// one to `each`, in order, on the calling thread, as soon as it and every strip
/// before it are done. Threads take the next strip in turn (strips differ in cost;
/// a strip from a reader is read by the thread that takes it, while the others
/// encode), never more than a few strips ahead of `each`; the calling thread encodes
/// too when it has nothing to hand on. The first error (of reading a strip, encoding
/// it, or of `each`) stops the work and is returned; no strip after it is handed on.
pub(crate) fn encode_strips_each(
    source: &dyn StripSource,
    layout: StripLayout,
    codec: &CodecSettings,
    encoder: &dyn StripEncoder,
    each: &mut dyn FnMut(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    // Buffers of strips handed on (and of rows read), reused for later strips: fresh
    // memory for every strip costs a page fault per 4 KiB.
    let pool = Mutex::new(Vec::<Vec<u8>>::new());
    let fit = strips_in_flight(layout.rows as usize * layout.row_bytes);
    let pool_cap = (4 * AHEAD_PER_THREAD).min(fit);
    let spare = || {
        pool.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    };
    let give_back = |mut v: Vec<u8>| {
        if v.capacity() > 0 {
            v.clear();
            let mut p = pool.lock().unwrap_or_else(PoisonError::into_inner);
            if p.len() < pool_cap {
                p.push(v);
            }
        }
    };
    let encode_one = |chunk: Cow<'_, [u8]>| -> Result<Vec<u8>> {
        let layout = StripLayout {
            // A strip holds at most rows-per-strip rows, a u32.
            rows: u32::try_from(chunk.len() / layout.row_bytes.max(1)).unwrap_or(layout.rows),
            ..layout
        };
        let mut out = spare();
        out.reserve(chunk.len() / 2 + 64);
        let r = encoder.encode(&chunk, &layout, &mut out);
        if let Cow::Owned(v) = chunk {
            give_back(v);
        }
        r.map(|()| out)
    };
    // Hands on one strip, then keeps its buffer unless `each` took it.
    let mut hand_on = |mut strip: Vec<u8>| -> Result<()> {
        each(&mut strip)?;
        give_back(strip);
        Ok(())
    };
    let n = source.count();
    // More threads than strips in flight would only wait for the window.
    let threads = codec.thread_count(n).min(fit);
    if threads <= 1 {
        for i in 0..n {
            hand_on(encode_one(source.strip(i, spare())?)?)?;
        }
        return Ok(());
    }
    let window = (threads * AHEAD_PER_THREAD).min(fit).max(threads);
    let state = Mutex::new(Window {
        next: 0,
        delivered: 0,
        done: BTreeMap::new(),
        stop: false,
    });
    let wake = Condvar::new();
    let lock = || state.lock().unwrap_or_else(PoisonError::into_inner);
    // Takes strip `next` (read under the lock: strips come in order) or files its
    // error; None when there is nothing to take.
    let take = |w: &mut Window| -> Option<(usize, Cow<'_, [u8]>)> {
        let i = w.next;
        w.next += 1;
        match source.strip(i, spare()) {
            Ok(c) => Some((i, c)),
            Err(e) => {
                w.stop = true;
                w.done.insert(i, Ok(Err(e)));
                wake.notify_all();
                None
            }
        }
    };
    // A helper: take the next strip while it is inside the window, encode, file it.
    let work = || loop {
        let (i, chunk) = {
            let mut w = lock();
            while !w.stop && w.next < n && w.next >= w.delivered + window {
                w = wake.wait(w).unwrap_or_else(PoisonError::into_inner);
            }
            if w.stop || w.next >= n {
                return;
            }
            match take(&mut w) {
                Some(t) => t,
                None => return,
            }
        };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| encode_one(chunk)));
        let mut w = lock();
        w.stop |= !matches!(r, Ok(Ok(_)));
        w.done.insert(i, r);
        wake.notify_all();
    };
    let work = &work;
    // The helpers run on rayon's pool, threads kept for the process (their encoder
    // state too); this thread works beside them. The main loop never waits for a
    // helper that has not started: it takes any strip nobody has taken, so a busy or
    // small pool only means fewer hands, never a stall.
    rayon_core::in_place_scope(|scope| {
        for _ in 1..threads {
            scope.spawn(move |_| work());
        }
        // However this thread leaves (done, an error, a panic), the helpers stop.
        let _stop = StopOnDrop(&state, &wake);
        loop {
            let mut w = lock();
            if w.delivered == n {
                return Ok(());
            }
            let d = w.delivered;
            if let Some(r) = w.done.remove(&d) {
                drop(w);
                let strip = match r {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => return Err(e),
                    Err(panic) => std::panic::resume_unwind(panic),
                };
                hand_on(strip)?;
                lock().delivered += 1;
                wake.notify_all();
            } else if !w.stop && w.next < n && w.next < d + window {
                // Nothing to hand on yet: encode the next strip here.
                let Some((i, chunk)) = take(&mut w) else {
                    continue;
                };
                drop(w);
                let r = encode_one(chunk);
                let mut w = lock();
                w.stop |= r.is_err();
                w.done.insert(i, Ok(r));
                wake.notify_all();
            } else {
                // The strip handed on next is being encoded by a helper.
                drop(wake.wait(w).unwrap_or_else(PoisonError::into_inner));
            }
        }
    })
}

/// Tells the helpers of [`encode_strips_each`] to stop when dropped.
struct StopOnDrop<'a>(&'a Mutex<Window>, &'a Condvar);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
        self.1.notify_all();
    }
}

/// The strips in flight in [`encode_strips_each`].
struct Window {
    /// The next strip to encode.
    next: usize,
    /// Strips handed on so far.
    delivered: usize,
    /// Strips encoded, not handed on yet (a helper's panic kept to be resumed).
    done: BTreeMap<usize, std::thread::Result<Result<Vec<u8>>>>,
    /// An error or a panic: take no further strip.
    stop: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::pixel::PixelType;

    /// Copies strips and counts them.
    struct Counting(std::sync::atomic::AtomicUsize);
    impl StripEncoder for Counting {
        fn encode(&self, strip: &[u8], _: &StripLayout, out: &mut Vec<u8>) -> Result<()> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if strip[0] == 0xEE {
                return Err(Error::Codec {
                    codec: "test",
                    detail: "strip 0xEE".into(),
                });
            }
            out.extend_from_slice(strip);
            Ok(())
        }
    }

    #[test]
    fn strips_are_handed_on_in_order_and_never_many_ahead() {
        let data: Vec<u8> = (0..200u8).collect();
        let chunks: Vec<&[u8]> = data.chunks(1).collect();
        let layout = StripLayout {
            width: 8,
            rows: 1,
            pixel: PixelType::Gray8,
            row_bytes: 1,
        };
        let codec = CodecSettings::default().threads(2);
        let enc = Counting(Default::default());
        let mut got = Vec::new();
        encode_chunks_each(&chunks, layout, &codec, &enc, &mut |s| {
            // A slow sink: the helper runs ahead meanwhile, but only as far as the
            // window lets it, so a page is never held whole.
            std::thread::sleep(std::time::Duration::from_micros(200));
            let encoded = enc.0.load(std::sync::atomic::Ordering::SeqCst);
            assert!(
                encoded <= got.len() + 1 + 2 * AHEAD_PER_THREAD,
                "{encoded} strips encoded when strip {} is handed on",
                got.len()
            );
            got.push(s[0]);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, data);

        // An error of the sink stops the work; a strip's error is returned in order.
        let mut n = 0;
        let e = encode_chunks_each(&chunks, layout, &codec, &enc, &mut |_| {
            n += 1;
            if n == 10 {
                return Err(Error::Unsupported("sink".into()));
            }
            Ok(())
        });
        assert!(matches!(e, Err(Error::Unsupported(_))), "{e:?}");
        assert_eq!(n, 10);
        let mut bad = data.clone();
        bad[50] = 0xEE;
        let chunks: Vec<&[u8]> = bad.chunks(1).collect();
        let mut seen = 0;
        let e = encode_chunks_each(&chunks, layout, &codec, &enc, &mut |_| {
            seen += 1;
            Ok(())
        });
        assert!(
            matches!(e, Err(Error::Codec { codec: "test", .. })),
            "{e:?}"
        );
        assert_eq!(seen, 50, "every strip before the bad one, none after");
    }

    #[test]
    fn many_threads_hold_no_more_strips_than_the_in_flight_budget() {
        // 2 MiB strips on 16 threads: 4 a thread would be 128 MiB in flight; the
        // budget keeps it to IN_FLIGHT_BYTES (3 strips), whatever the core count.
        let strip = 2 << 20;
        let fit = strips_in_flight(strip);
        assert_eq!(fit, 3);
        let data = vec![7u8; strip * 12];
        let chunks: Vec<&[u8]> = data.chunks(strip).collect();
        let layout = StripLayout {
            width: 2048,
            rows: 1024,
            pixel: PixelType::Gray8,
            row_bytes: 2048,
        };
        let codec = CodecSettings::default().threads(16);
        let enc = Counting(Default::default());
        let mut handed = 0;
        encode_chunks_each(&chunks, layout, &codec, &enc, &mut |s| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            let encoded = enc.0.load(std::sync::atomic::Ordering::SeqCst);
            assert!(
                encoded <= handed + 1 + fit,
                "{encoded} strips encoded when strip {handed} is handed on"
            );
            assert_eq!(s.len(), strip);
            handed += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(handed, 12);
    }
}
