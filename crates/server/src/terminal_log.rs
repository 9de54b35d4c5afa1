//! What a person sees in the terminal: function output prefixed with the function's name (colored
//! on a TTY, as SAM CLI users are used to), and one access line per request.

use std::fs::File;
use std::io::Write;

use sluice_apigw::{AccessLog, AccessRecord};
use sluice_lambda::LogSink;

use crate::batch_writer::BatchWriter;

/// Where a queued line goes.
enum Target {
    Stderr,
    File,
}

/// Writes function log lines to stderr (or the `--log-file`) and access lines to stderr, whole
/// lines only, so lines from parallel sandboxes never interleave. Lines are queued and written
/// in batches off the request path ([`BatchWriter`]).
pub struct TerminalLog {
    color: bool,
    /// `--log-file`: function lines go there, uncoloured, instead of stderr (access lines stay on
    /// stderr, as SAM CLI keeps its request lines on the terminal).
    to_file: bool,
    lines: BatchWriter<(Target, String)>,
}

impl TerminalLog {
    /// Function logs on stderr, coloured when `color` (the binary decides: a terminal, no `NO_COLOR`).
    pub fn new(color: bool) -> Self {
        Self::with_file(color, None)
    }

    /// Function logs to `path` (created or truncated, as SAM CLI opens its log file).
    pub fn to_file(path: &std::path::Path, color: bool) -> std::io::Result<Self> {
        Ok(Self::with_file(color, Some(File::create(path)?)))
    }

    fn with_file(color: bool, mut file: Option<File>) -> Self {
        let to_file = file.is_some();
        let mut stderr_text = String::new();
        let mut file_text = String::new();
        let lines = BatchWriter::new(
            "sluice-terminal",
            move |batch: &mut Vec<(Target, String)>| {
                for (target, line) in batch.drain(..) {
                    match target {
                        Target::Stderr => stderr_text.push_str(&line),
                        Target::File => file_text.push_str(&line),
                    }
                }
                if !stderr_text.is_empty() {
                    let _ = std::io::stderr().lock().write_all(stderr_text.as_bytes());
                    stderr_text.clear();
                }
                if let Some(file) = &mut file {
                    if !file_text.is_empty() {
                        let _ = file.write_all(file_text.as_bytes());
                    }
                }
                file_text.clear();
            },
        );
        Self {
            color,
            to_file,
            lines,
        }
    }

    /// Write every queued line now (at shutdown, and before Sluice prints its own summary).
    pub fn flush(&self) {
        self.lines.flush();
    }

    /// Prints one access line: `"GET /hello HTTP/1.1" 200 1.23 ms`.
    fn access(
        &self,
        method: &str,
        path: &str,
        suffix: &str,
        protocol: &str,
        status: u16,
        elapsed_ms: f64,
    ) {
        let line = if self.color {
            let code = if status >= 500 {
                31
            } else if status >= 400 {
                33
            } else {
                32
            };
            format!(
                "\"{method} {path} {protocol}\" \x1b[{code}m{status}\x1b[0m {elapsed_ms:.2} ms{suffix}\n"
            )
        } else {
            format!("\"{method} {path} {protocol}\" {status} {elapsed_ms:.2} ms{suffix}\n")
        };
        self.lines.push((Target::Stderr, line));
    }
}

impl AccessLog for TerminalLog {
    fn record(&self, record: &AccessRecord) {
        // What decided the outcome, after the path: `[authorizer=TokenAuth cached]`, `[throttled: …]`.
        let mut decided = Vec::new();
        if let Some(name) = &record.authorizer {
            let cache = match record.authorizer_cache_hit {
                Some(true) => " cached",
                _ => "",
            };
            decided.push(format!("authorizer={name}{cache}"));
        }
        if record.response_cache_hit == Some(true) {
            decided.push("response cache hit".to_owned());
        }
        if let Some(limit) = &record.throttled_by {
            decided.push(format!("throttled by {limit}"));
        }
        let suffix = if decided.is_empty() {
            String::new()
        } else {
            format!(" [{}]", decided.join(", "))
        };
        self.access(
            &record.method,
            &record.path,
            &suffix,
            record.protocol,
            record.status,
            record.elapsed.as_secs_f64() * 1000.0,
        );
    }
}

impl LogSink for TerminalLog {
    fn line(&self, function: &str, line: &str) {
        let target = if self.to_file {
            Target::File
        } else {
            Target::Stderr
        };
        let text = function_line(function, line, self.color && !self.to_file);
        self.lines.push((target, text));
    }
}

/// Colors of function names on a terminal: red, green, yellow, blue, magenta, cyan.
const HUES: [&str; 6] = [
    "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m", "\x1b[36m",
];

/// `[Function] line\n`, the name colored when `color`. Built by hand: `format!` guesses the
/// length and grows the string two or three times, on every line of every invocation.
///
/// A record whose lines are joined with `\r` (a Python runtime's error and its traceback, kept
/// as one event as CloudWatch keeps it) is shown a line per part: a bare `\r` would send the
/// cursor back and each part would overwrite the last.
fn function_line(function: &str, line: &str, color: bool) -> String {
    let mut text = String::with_capacity(function.len() + line.len() + 16);
    // A stable color per function name makes parallel output easy to follow.
    let hue = color.then(|| {
        let sum = function
            .bytes()
            .fold(0u32, |a, b| a.wrapping_add(u32::from(b)));
        HUES[(sum % 6) as usize]
    });
    for part in line.split('\r') {
        if let Some(hue) = hue {
            text.push_str(hue);
        }
        text.push('[');
        text.push_str(function);
        text.push(']');
        if color {
            text.push_str("\x1b[0m");
        }
        text.push(' ');
        text.push_str(part);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_lines_are_prefixed_and_colored_per_function() {
        assert_eq!(
            function_line("Hello", "START x", false),
            "[Hello] START x\n"
        );
        // "Hello" sums to 500, and 500 % 6 == 2: yellow.
        assert_eq!(
            function_line("Hello", "START x", true),
            "\x1b[33m[Hello]\x1b[0m START x\n"
        );
        assert_eq!(
            function_line("Hellp", "", true),
            "\x1b[34m[Hellp]\x1b[0m \n"
        );
    }

    #[test]
    fn a_carriage_return_joined_record_is_shown_a_line_per_part() {
        assert_eq!(
            function_line(
                "Boom",
                "[ERROR] E: x\rTraceback (most recent call last):",
                false
            ),
            "[Boom] [ERROR] E: x\n[Boom] Traceback (most recent call last):\n"
        );
    }
}
