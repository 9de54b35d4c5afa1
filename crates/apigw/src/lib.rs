//! The API Gateway data plane: route → (guards) → integrate → map response.

pub mod integration;

pub use integration::{Invoke, InvokeError, InvokeFuture};
