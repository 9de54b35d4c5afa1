//! Velocity Template Language (VTL), the subset API Gateway mapping templates use: references
//! (`$a.b`, `$a.m(x)`, `$a[0]`, `${a}`, quiet `$!a`), `#set`, `#if/#elseif/#else/#end`,
//! `#foreach` with `$foreach.hasNext/index/count`, `#define`, `#break`, `#stop`, comments (`##`, `#* *#`),
//! unparsed blocks (`#[[ ]]#`), Velocity 1.7's operators and the Java `String`/`List`/`Map` methods
//! templates commonly call.
//!
//! Why our own engine: crates.io has no Velocity implementation (the `velocity` crate is a TUI
//! library; `vtl` and `velocity-rs` do not exist), and the subset is small. The engine knows nothing
//! about API Gateway: the caller supplies `$input`, `$util`, `$context`… through [`Host`].
//!
//! Semantics follow Velocity 1.7, which API Gateway runs: a reference that resolves to null renders
//! as its own source text (`$!ref` renders nothing; a host may have every null render nothing, as
//! API Gateway does); `#set` to null leaves the variable unchanged;
//! any non-null, non-boolean value is true in `#if`; `==` between different types compares their
//! `toString()`; a directive alone on its line takes its line's indentation and newline with it.

mod ast;
mod eval;
mod methods;
mod parse;
mod value;

pub use eval::{Host, RenderError};
pub use parse::ParseError;
pub use value::Value;

/// A parsed template, ready to render any number of times.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<ast::Node>,
}

impl Template {
    /// Parses `source`; errors name the 1-based line and column.
    pub fn parse(source: &str) -> Result<Template, ParseError> {
        Ok(Template {
            nodes: parse::parse(source)?,
        })
    }

    /// Renders the template; variables the template does not set come from `host`.
    pub fn render(&self, host: &dyn Host) -> Result<String, RenderError> {
        eval::render(&self.nodes, host)
    }
}
