//! Taking a mutex whose holder may have panicked.

use std::sync::{Mutex, MutexGuard};

/// Lock `m`, poisoned or not: every lock in this crate guards plain collections or options
/// whose updates a panic cannot leave half-done (a push, a pop, an insert, a swap).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
