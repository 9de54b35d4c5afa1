//! A sandbox's stdout and stderr, turned into log lines.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use tokio::net::unix::pipe;

use crate::invocation_log::FunctionLog;

/// Longest line kept whole; longer output is split so one handler cannot exhaust memory.
const MAX_LINE: usize = 64 * 1024;

/// A sandbox's stdout or stderr, turned into log lines.
///
/// Read under a lock both by a background task and, at the end of each invocation, by the
/// supervisor itself with a direct `read(2)` (not gated by the reactor's readiness), so output
/// written before the response is always logged before END.
pub(crate) struct PipeReader {
    pipe: pipe::Receiver,
    partial: Mutex<Vec<u8>>,
    log: FunctionLog,
}

impl PipeReader {
    /// Watch `fd` in a background task; lines go to `log`.
    pub fn spawn(fd: OwnedFd, log: FunctionLog) -> std::io::Result<Arc<PipeReader>> {
        let reader = Arc::new(PipeReader {
            // Sets O_NONBLOCK, which `drain` relies on.
            pipe: pipe::Receiver::from_owned_fd(fd)?,
            partial: Mutex::new(Vec::new()),
            log,
        });
        tokio::spawn(reader.clone().run());
        Ok(reader)
    }

    async fn run(self: Arc<Self>) {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if self.pipe.readable().await.is_err() {
                return;
            }
            let mut partial = self.partial.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                // `try_read` clears the reactor's readiness on WouldBlock, ending this round.
                match self.pipe.try_read(&mut buf) {
                    Ok(0) => {
                        self.finish(&mut partial);
                        return;
                    }
                    Ok(n) => self.split_lines(&mut partial, &buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        self.finish(&mut partial);
                        return;
                    }
                }
            }
        }
    }

    /// Read what each pipe holds right now (at most `max_reads` chunks each). One `poll(2)` asks
    /// which have anything first: most invocations print nothing, and an empty pipe's `read`
    /// is a syscall spent per pipe per invocation (issue 13 point 2).
    pub fn drain_all<'a>(readers: impl Iterator<Item = &'a PipeReader> + Clone, max_reads: usize) {
        let mut fds: Vec<PollFd> = readers
            .clone()
            .map(|r| PollFd::new(r.pipe.as_fd(), PollFlags::POLLIN))
            .collect();
        let asked = loop {
            match poll(&mut fds, PollTimeout::ZERO) {
                Ok(0) => return,
                Ok(_) => break true,
                Err(nix::errno::Errno::EINTR) => {}
                // Cannot ask: read them all, as before.
                Err(_) => break false,
            }
        };
        for (reader, fd) in readers.zip(&fds) {
            // POLLHUP and POLLERR too: a closed pipe's `read` returns 0 and ends the stream.
            if !asked || fd.any() != Some(false) {
                reader.drain(max_reads);
            }
        }
    }

    /// Read what the pipe holds right now (at most `max_reads` chunks).
    pub fn drain(&self, max_reads: usize) {
        let mut partial = self.partial.lock().unwrap_or_else(|p| p.into_inner());
        let mut buf = [0u8; 16 * 1024];
        for _ in 0..max_reads {
            match nix::unistd::read(self.pipe.as_fd(), &mut buf) {
                Ok(0) => return self.finish(&mut partial),
                Ok(n) => self.split_lines(&mut partial, &buf[..n]),
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return,
            }
        }
    }

    /// Log what was written since the last newline as a line of its own.
    pub fn end_line(&self) {
        self.finish(&mut self.partial.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn finish(&self, partial: &mut Vec<u8>) {
        if !partial.is_empty() {
            self.emit(partial);
            partial.clear();
        }
    }

    fn split_lines(&self, partial: &mut Vec<u8>, mut data: &[u8]) {
        while let Some(pos) = data.iter().position(|&b| b == b'\n') {
            partial.extend_from_slice(&data[..pos]);
            self.emit(partial);
            partial.clear();
            data = &data[pos + 1..];
        }
        partial.extend_from_slice(data);
        if partial.len() > MAX_LINE {
            self.emit(partial);
            partial.clear();
        }
    }

    fn emit(&self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        self.log.line(&String::from_utf8_lossy(line));
    }
}
