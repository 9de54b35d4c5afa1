//! The parsed form of a template: nodes that produce text, and the expressions they evaluate.

use crate::value::Value;

/// One piece of a template.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Literal text.
    Text(String),
    /// `$ref`, `$!ref`, `${ref}`: its value, or (null, not quiet) its source text.
    Reference {
        /// What to evaluate.
        reference: Reference,
        /// `$!`: render nothing for null.
        quiet: bool,
        /// The reference as written, rendered when it is null.
        source: String,
    },
    /// `#set($target = value)`.
    Set { target: Reference, value: Expr },
    /// `#if(cond) … #elseif(cond) … #else … #end`.
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Option<Vec<Node>>,
    },
    /// `#foreach($var in iterable) … #end`.
    Foreach {
        var: String,
        iterable: Expr,
        body: Vec<Node>,
    },
    /// `#define($name) … #end`: `$name` renders the block, with the variables as they are then.
    Define { name: String, body: Vec<Node> },
    /// `#break`: leaves the innermost `#foreach`.
    Break,
    /// `#stop`: ends rendering.
    Stop,
}

/// `$name` followed by properties, method calls and indexes.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub name: String,
    pub path: Vec<Segment>,
}

/// One step of a reference.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    /// `.name`
    Property(String),
    /// `.name(args)`
    Method(String, Vec<Expr>),
    /// `[expr]`
    Index(Expr),
}

/// An expression inside a directive, a method's arguments or an index.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Literal(Value),
    /// A double-quoted string: rendered as a template.
    Interpolated(Vec<Node>),
    Ref(Reference),
    List(Vec<Expr>),
    /// `[a..b]`
    Range(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

/// Binary operators, Velocity's symbols and words alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}
