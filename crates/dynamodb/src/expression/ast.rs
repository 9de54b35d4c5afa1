//! The syntax trees of DynamoDB's expressions: what the parsers build and the evaluator and the update
//! applier read. A leaf: it depends on no other part of the expression language.

use crate::attribute_value::AttributeValue;

/// One step of a document path. Ordered map keys first, then list indexes by number, so paths sort
/// the way updates apply list elements.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElem {
    /// Map key / top-level attribute name.
    Attr(String),
    /// List index.
    Index(usize),
}

/// A document path such as `a.b[1].c`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path(pub Vec<PathElem>);

impl Path {
    /// The top-level attribute name.
    pub fn root(&self) -> &str {
        match self.0.first() {
            Some(PathElem::Attr(a)) => a,
            // Parser always starts a path with an attribute name.
            _ => "",
        }
    }
}

/// How two document paths of one expression collide, in DynamoDB's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clash {
    /// One path is the other or lies inside it (`a` and `a.b`).
    Overlap,
    /// They agree up to a step that is a map key in one and a list index in the other (`a.b`, `a[0]`).
    Conflict,
}

impl Path {
    /// Whether `self` and `other` may not both appear in one projection or update expression.
    pub fn clash(&self, other: &Path) -> Option<Clash> {
        for (a, b) in self.0.iter().zip(&other.0) {
            match (a, b) {
                (PathElem::Attr(_), PathElem::Index(_))
                | (PathElem::Index(_), PathElem::Attr(_)) => return Some(Clash::Conflict),
                _ if a != b => return None,
                _ => {}
            }
        }
        Some(Clash::Overlap)
    }
}

impl std::fmt::Display for Clash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Clash::Overlap => "overlap",
            Clash::Conflict => "conflict",
        })
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| match e {
                PathElem::Attr(a) => a.clone(),
                PathElem::Index(i) => format!("[{i}]"),
            })
            .collect();
        write!(f, "[{}]", parts.join(", "))
    }
}

/// A value-producing operand in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// Attribute at a path (absent if the item lacks it).
    Path(Path),
    /// A `:value`.
    Value(AttributeValue),
    /// `size(path)`.
    Size(Path),
}

/// Comparators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A boolean condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `a <op> b`
    Compare(Operand, CmpOp, Operand),
    /// `a BETWEEN lo AND hi`
    Between(Operand, Operand, Operand),
    /// `a IN (b, c, …)`
    In(Operand, Vec<Operand>),
    /// `x AND y`
    And(Box<Condition>, Box<Condition>),
    /// `x OR y`
    Or(Box<Condition>, Box<Condition>),
    /// `NOT x`
    Not(Box<Condition>),
    /// `attribute_exists(path)`
    Exists(Path),
    /// `attribute_not_exists(path)`
    NotExists(Path),
    /// `attribute_type(x, :t)`: `x` is a path, or a value whose type is known now.
    AttributeType(Operand, Operand),
    /// `begins_with(a, b)`
    BeginsWith(Operand, Operand),
    /// `contains(a, b)`
    Contains(Operand, Operand),
}

impl Condition {
    /// Calls `f` with every document path the condition reads.
    pub fn for_each_path(&self, f: &mut impl FnMut(&Path)) {
        let op = |o: &Operand, f: &mut dyn FnMut(&Path)| {
            if let Operand::Path(p) | Operand::Size(p) = o {
                f(p)
            }
        };
        match self {
            Condition::Compare(a, _, b)
            | Condition::BeginsWith(a, b)
            | Condition::Contains(a, b) => {
                op(a, f);
                op(b, f);
            }
            Condition::Between(a, lo, hi) => {
                op(a, f);
                op(lo, f);
                op(hi, f);
            }
            Condition::In(a, list) => {
                op(a, f);
                list.iter().for_each(|o| op(o, f));
            }
            Condition::And(x, y) | Condition::Or(x, y) => {
                x.for_each_path(f);
                y.for_each_path(f);
            }
            Condition::Not(x) => x.for_each_path(f),
            Condition::Exists(p) | Condition::NotExists(p) => f(p),
            Condition::AttributeType(a, t) => {
                op(a, f);
                op(t, f);
            }
        }
    }
}

/// Right-hand side operand of a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    /// Value at a path in the old item.
    Path(Path),
    /// A `:value`.
    Value(AttributeValue),
    /// `if_not_exists(path, fallback)`.
    IfNotExists(Path, Box<SetOperand>),
    /// `list_append(a, b)`.
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

/// Full right-hand side of a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// Plain operand.
    Operand(SetOperand),
    /// `a + b`.
    Plus(SetOperand, SetOperand),
    /// `a - b`.
    Minus(SetOperand, SetOperand),
}

/// A parsed update expression.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateExpression {
    /// SET actions.
    pub set: Vec<(Path, SetValue)>,
    /// REMOVE actions.
    pub remove: Vec<Path>,
    /// ADD actions.
    pub add: Vec<(Path, AttributeValue)>,
    /// DELETE actions.
    pub delete: Vec<(Path, AttributeValue)>,
    /// Built from legacy `AttributeUpdates`, whose type clashes DynamoDB words its own way.
    pub legacy: bool,
}

impl UpdateExpression {
    /// Every path the expression writes.
    pub fn target_paths(&self) -> Vec<&Path> {
        let mut v: Vec<&Path> = self.set.iter().map(|(p, _)| p).collect();
        v.extend(self.remove.iter());
        v.extend(self.add.iter().map(|(p, _)| p));
        v.extend(self.delete.iter().map(|(p, _)| p));
        v
    }
}
