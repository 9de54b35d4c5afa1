//! Integration tests for the Lambda service: real runtime processes over the Runtime API.

mod harness;

mod concurrency;
mod extensions;
mod failures;
mod hyper_body;
mod invoke_api;
mod logs;
mod node;
mod node_ric;
mod privilege;
mod provided;
mod python;
mod python_ric;
mod runtime_api;
mod sandbox_memory;
mod stream_shards;
mod streaming;
mod tenant_isolation;
mod warm_ahead;
