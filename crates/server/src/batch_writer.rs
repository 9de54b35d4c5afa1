//! Writes taken off the request path: callers queue an item and return; a background thread
//! writes whatever has queued a moment after the first item, as one batch.
//!
//! Why: every invocation logs START, END and REPORT and every request an access line, each to the
//! terminal and the log store. Written in place that is seven `write(2)` calls a request, each
//! waking whoever reads the terminal, on the thread that should be answering (issue 13: logging
//! may cost no more than 5 % of throughput). Batched, it is one wake-up and a few writes per
//! [`WINDOW`] however many requests arrive.
//!
//! The writer keeps looking every [`WINDOW`] for a while ([`LINGER`]) after its last batch before it
//! sleeps until woken: under steady traffic no push wakes it. Waking a thread is a futex call on
//! the request's own thread and, when the other CPU idles, an inter-processor interrupt, each a few
//! µs on this VM, paid on the way to the function or back (bench/README.md).
//!
//! Readers that must see everything queued so far (the CloudWatch Logs API, `sluice logs` in
//! this process, shutdown) call [`BatchWriter::flush`], which writes on the caller's thread.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the writer waits after the first queued item, gathering the rest of the batch.
/// Short enough that a person at the terminal sees nothing late.
const WINDOW: Duration = Duration::from_millis(2);

/// How many empty windows the writer keeps looking before it sleeps until a push wakes it: short,
/// so an idle server's thread is still within a fraction of a second.
const LINGER: u32 = 25;

/// Past this many queued items the caller writes the batch itself: a terminal that stops reading
/// slows requests down, as a blocking write did, instead of growing the queue without bound.
const MAX_QUEUED: usize = 16 * 1024;

/// A queue of items written in batches by a background thread.
pub(crate) struct BatchWriter<T: Send + 'static> {
    shared: Arc<Shared<T>>,
    thread: Option<JoinHandle<()>>,
}

type WriteFn<T> = Box<dyn FnMut(&mut Vec<T>) + Send>;

struct Shared<T> {
    queue: Mutex<Queue<T>>,
    wake: Condvar,
    /// Held while a batch is written, so batches reach the destination in queue order.
    write: Mutex<Writing<T>>,
}

/// The write function and the batch being written. The batch's buffer is swapped with the
/// queue's, so neither is reallocated once both have grown to a window's worth of items.
struct Writing<T> {
    write: WriteFn<T>,
    batch: Vec<T>,
}

struct Queue<T> {
    items: Vec<T>,
    stop: bool,
    /// The writer waits for a push to wake it (else it looks again within a window by itself).
    asleep: bool,
}

fn lock<V>(m: &Mutex<V>) -> MutexGuard<'_, V> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<T: Send + 'static> BatchWriter<T> {
    /// A writer whose thread is called `name`; `write` gets each batch in queue order (what it
    /// leaves in the batch is dropped). Without a thread (the OS refused one) every push writes at
    /// once, as before batching.
    pub fn new(name: &str, write: impl FnMut(&mut Vec<T>) + Send + 'static) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                items: Vec::new(),
                stop: false,
                asleep: false,
            }),
            wake: Condvar::new(),
            write: Mutex::new(Writing {
                write: Box::new(write),
                batch: Vec::new(),
            }),
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || worker.run())
            .ok();
        BatchWriter { shared, thread }
    }

    /// Queue one item; it is written within [`WINDOW`] (or now, if the queue is full).
    pub fn push(&self, item: T) {
        let mut queue = lock(&self.shared.queue);
        let wake = queue.asleep && queue.items.is_empty();
        queue.items.push(item);
        let full = queue.items.len() >= MAX_QUEUED;
        drop(queue);
        if self.thread.is_none() || full {
            self.shared.flush();
        } else if wake {
            self.shared.wake.notify_one();
        }
    }

    /// Write everything queued so far, on this thread, before returning.
    pub fn flush(&self) {
        self.shared.flush();
    }
}

impl<T> Shared<T> {
    fn flush(&self) {
        let mut writing = lock(&self.write);
        let Writing { write, batch } = &mut *writing;
        {
            let mut queue = lock(&self.queue);
            if queue.items.is_empty() {
                return;
            }
            std::mem::swap(&mut queue.items, batch);
        }
        write(batch);
        batch.clear();
    }

    fn run(&self) {
        let mut empty_windows = LINGER;
        loop {
            let mut queue = lock(&self.queue);
            if queue.items.is_empty() && !queue.stop && empty_windows < LINGER {
                // Lingering: look again after a window, unwoken.
                drop(queue);
                std::thread::sleep(WINDOW);
                empty_windows += 1;
                continue;
            }
            let woken = queue.items.is_empty();
            while queue.items.is_empty() && !queue.stop {
                queue.asleep = true;
                queue = self.wake.wait(queue).unwrap_or_else(|p| p.into_inner());
            }
            queue.asleep = false;
            let stop = queue.stop;
            drop(queue);
            if woken && !stop {
                // Woken by the first item: gather the rest of the batch. A lingering writer's
                // items have waited up to a window already.
                std::thread::sleep(WINDOW);
            }
            self.flush();
            if stop {
                return;
            }
            empty_windows = 0;
        }
    }
}

impl<T: Send + 'static> Drop for BatchWriter<T> {
    fn drop(&mut self) {
        lock(&self.shared.queue).stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.shared.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Batches = Arc<Mutex<Vec<Vec<u32>>>>;

    fn collector() -> (Batches, impl FnMut(&mut Vec<u32>) + Send + 'static) {
        let batches = Batches::default();
        let sink = batches.clone();
        (batches, move |batch: &mut Vec<u32>| {
            // A copy, not `mem::take`: the writer's buffer stays with the writer, as in use.
            sink.lock().unwrap().push(batch.clone())
        })
    }

    #[test]
    fn flush_writes_everything_queued_in_order() {
        let (batches, write) = collector();
        let writer = BatchWriter::new("test-writer", write);
        for i in 0..100 {
            writer.push(i);
        }
        writer.flush();
        let written: Vec<u32> = batches.lock().unwrap().concat();
        assert_eq!(written, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn the_thread_writes_without_a_flush() {
        let (batches, write) = collector();
        let writer = BatchWriter::new("test-writer", write);
        writer.push(7);
        for _ in 0..500 {
            if !batches.lock().unwrap().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(batches.lock().unwrap().concat(), vec![7]);
    }

    /// Pushes soon after a batch find the writer lingering and need no wake-up; once it has slept
    /// past its linger, a push wakes it. Either way every item is written without a flush.
    #[test]
    fn the_writer_lingers_after_a_batch_then_sleeps_until_woken() {
        let (batches, write) = collector();
        let writer = BatchWriter::new("test-writer", write);
        let written = |n: usize| {
            for _ in 0..500 {
                if batches.lock().unwrap().concat().len() == n {
                    return;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            panic!("item {n} was not written: {:?}", batches.lock().unwrap());
        };
        let asleep = || lock(&writer.shared.queue).asleep;
        writer.push(1);
        written(1);
        let pushed = std::time::Instant::now();
        writer.push(2);
        written(2);
        // It writes 2 after `pushed`, then lingers LINGER windows at the least before it sleeps.
        while !asleep() {
            assert!(
                pushed.elapsed() < Duration::from_secs(5),
                "the writer never went to sleep"
            );
            std::thread::sleep(WINDOW);
        }
        assert!(
            pushed.elapsed() >= WINDOW * LINGER,
            "asleep {:?} after a batch: it did not linger",
            pushed.elapsed()
        );
        writer.push(3);
        written(3);
        assert_eq!(batches.lock().unwrap().concat(), vec![1, 2, 3]);
    }

    /// After two batches the queue's buffer and the batch's both hold a batch's worth: pushes
    /// under steady traffic no longer reallocate on the request's thread.
    #[test]
    fn the_queue_keeps_its_buffer_from_batch_to_batch() {
        let (batches, write) = collector();
        let writer = BatchWriter::new("test-writer", write);
        for round in 0..2 {
            // Held, the write lock keeps the thread from taking part of a round.
            let writing = lock(&writer.shared.write);
            for i in 0..100 {
                writer.push(round * 100 + i);
            }
            drop(writing);
            writer.flush();
        }
        assert!(lock(&writer.shared.queue).items.capacity() >= 100);
        assert_eq!(
            batches.lock().unwrap().concat(),
            (0..200).collect::<Vec<_>>()
        );
    }

    #[test]
    fn drop_writes_what_is_left() {
        let (batches, write) = collector();
        let writer = BatchWriter::new("test-writer", write);
        for i in 0..1000 {
            writer.push(i);
        }
        drop(writer);
        assert_eq!(
            batches.lock().unwrap().concat(),
            (0..1000).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_full_queue_is_written_by_the_caller() {
        let (batches, write) = collector();
        let writer = BatchWriter::new("test-writer", write);
        // Whoever writes (the thread or a caller at the cap), no batch exceeds the cap.
        for i in 0..(MAX_QUEUED as u32 * 3) {
            writer.push(i);
        }
        writer.flush();
        let batches = batches.lock().unwrap();
        assert!(batches.iter().all(|b| b.len() <= MAX_QUEUED));
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), MAX_QUEUED * 3);
    }
}
