//! Progress of a long command: a bar redrawn in place on a terminal, plain
//! lines every few seconds otherwise (logs, CI).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Reports progress on standard error.
pub struct Progress {
    total: u64,
    started: Instant,
    last: Instant,
    terminal: bool,
    what: &'static str,
}

impl Progress {
    /// Progress over `total` units (bytes of a file), counting `what`.
    pub fn new(total: u64, what: &'static str) -> Self {
        let now = Instant::now();
        Self {
            total: total.max(1),
            started: now,
            last: now,
            terminal: std::io::stderr().is_terminal(),
            what,
        }
    }

    /// Reports that `done` units are done and `items` items processed.
    pub fn update(&mut self, done: u64, items: u64) {
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(2)
        };
        if self.last.elapsed() < every {
            return;
        }
        self.last = Instant::now();
        self.draw(done, items);
    }

    /// Reports the end.
    pub fn finish(&mut self, items: u64) {
        self.draw(self.total, items);
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }

    fn draw(&self, done: u64, items: u64) {
        let fraction = (done as f64 / self.total as f64).clamp(0.0, 1.0);
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = items as f64 / seconds;
        let mut err = std::io::stderr();
        if self.terminal {
            let width = 30;
            let filled = (fraction * width as f64).round() as usize;
            let _ = write!(
                err,
                "\r[{}{}] {:>3.0}%  {items} {}  {rate:.0}/s ",
                "#".repeat(filled),
                " ".repeat(width - filled),
                fraction * 100.0,
                self.what
            );
            let _ = err.flush();
        } else {
            let _ = writeln!(
                err,
                "progress: {:.0}% ({items} {}, {rate:.0}/s)",
                fraction * 100.0,
                self.what
            );
        }
    }
}
