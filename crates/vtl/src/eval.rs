//! Rendering: walks the nodes with one variable context (Velocity's is global to the template),
//! asking the [`Host`] for the variables and objects the template does not set itself.

use std::collections::HashMap;

use crate::ast::{BinaryOp, Expr, Node, Reference, Segment};
use crate::methods;
use crate::value::Value;

/// What the caller provides: the variables a template reads but does not set, and the properties
/// and methods of its own objects ([`Value::Host`]).
pub trait Host {
    /// A variable the template did not `#set` (`input`, `context`, `util`…); `None` if unknown.
    fn variable(&self, name: &str) -> Option<Value>;
    /// `$object.name` on a host object.
    fn property(&self, object: &str, name: &str) -> Value {
        let _ = (object, name);
        Value::Null
    }
    /// `$object.method(args)` on a host object.
    fn call(&self, object: &str, method: &str, args: &[Value]) -> Result<Value, RenderError> {
        let _ = args;
        Err(RenderError(format!("${object} has no method {method}")))
    }
    /// Called before `#set` assigns to `$name.path…` (the property names and index values along
    /// the way); an error fails the render. Hosts use it to refuse assignments, as API Gateway
    /// refuses a second override of one parameter.
    fn before_set(&self, name: &str, path: &[String]) -> Result<(), RenderError> {
        let _ = (name, path);
        Ok(())
    }
    /// Whether a reference that resolves to null renders as its source text (Velocity's default)
    /// rather than nothing (as `$!ref` does, and as API Gateway renders every null reference).
    fn null_renders_as_source(&self) -> bool {
        true
    }
}

/// A template that failed while rendering (a host method refused its arguments, a loop ran away).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

/// Iterations over all `#foreach` loops of one rendering; guards against `[1..2000000000]`.
const MAX_ITERATIONS: usize = 1_000_000;

/// How deep `#define` blocks may render one another (a block naming itself would never end).
const MAX_DEFINE_DEPTH: usize = 64;

/// Renders `nodes` with a fresh context.
pub(crate) fn render(nodes: &[Node], host: &dyn Host) -> Result<String, RenderError> {
    let mut renderer = Renderer {
        host,
        vars: HashMap::new(),
        defines: HashMap::new(),
        define_depth: 0,
        iterations: 0,
    };
    let mut out = String::new();
    renderer.nodes(nodes, &mut out)?;
    Ok(out)
}

/// How a block ended.
enum Flow {
    Normal,
    Break,
    Stop,
}

struct Renderer<'h> {
    host: &'h dyn Host,
    vars: HashMap<String, Value>,
    /// `#define` blocks by name: rendered where they are referenced, not where defined.
    defines: HashMap<String, Vec<Node>>,
    /// `#define` blocks rendering one inside another right now.
    define_depth: usize,
    iterations: usize,
}

impl Renderer<'_> {
    fn nodes(&mut self, nodes: &[Node], out: &mut String) -> Result<Flow, RenderError> {
        for node in nodes {
            match node {
                Node::Text(text) => out.push_str(text),
                Node::Reference {
                    reference,
                    quiet,
                    source,
                } => match self.reference(reference)? {
                    Value::Null if *quiet || !self.host.null_renders_as_source() => {}
                    Value::Null => out.push_str(source),
                    value => out.push_str(&value.to_string()),
                },
                Node::Set { target, value } => {
                    let value = self.expr(value)?;
                    // Velocity 1.7: assigning null leaves the variable as it was.
                    if !value.is_null() {
                        self.assign(target, value)?;
                    }
                }
                Node::If {
                    branches,
                    otherwise,
                } => {
                    let mut chosen = otherwise.as_ref();
                    for (condition, body) in branches {
                        if self.expr(condition)?.truthy() {
                            chosen = Some(body);
                            break;
                        }
                    }
                    if let Some(body) = chosen {
                        match self.nodes(body, out)? {
                            Flow::Normal => {}
                            other => return Ok(other),
                        }
                    }
                }
                Node::Foreach {
                    var,
                    iterable,
                    body,
                } => {
                    if let Flow::Stop = self.foreach(var, iterable, body, out)? {
                        return Ok(Flow::Stop);
                    }
                }
                Node::Define { name, body } => {
                    self.vars.remove(name);
                    self.defines.insert(name.clone(), body.clone());
                }
                Node::Break => return Ok(Flow::Break),
                Node::Stop => return Ok(Flow::Stop),
            }
        }
        Ok(Flow::Normal)
    }

    fn foreach(
        &mut self,
        var: &str,
        iterable: &Expr,
        body: &[Node],
        out: &mut String,
    ) -> Result<Flow, RenderError> {
        let items: Vec<Value> = match self.expr(iterable)? {
            Value::List(items) | Value::JsonList(items) => items.borrow().clone(),
            // Velocity iterates a map's values.
            Value::Map(entries) => entries.borrow().values().cloned().collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        };
        let saved_var = self.vars.get(var).cloned();
        let saved_foreach = self.vars.get("foreach").cloned();
        let saved_count = self.vars.get("velocityCount").cloned();
        let mut flow = Flow::Normal;
        let count = items.len();
        for (index, item) in items.into_iter().enumerate() {
            self.iterations += 1;
            if self.iterations > MAX_ITERATIONS {
                return Err(RenderError(format!(
                    "#foreach ran more than {MAX_ITERATIONS} times"
                )));
            }
            self.vars.insert(var.to_owned(), item);
            self.vars.insert(
                "foreach".into(),
                Value::map([
                    ("hasNext", Value::Bool(index + 1 < count)),
                    ("index", Value::Int(index as i64)),
                    ("count", Value::Int(index as i64 + 1)),
                    ("first", Value::Bool(index == 0)),
                    ("last", Value::Bool(index + 1 == count)),
                ]),
            );
            self.vars
                .insert("velocityCount".into(), Value::Int(index as i64 + 1));
            match self.nodes(body, out)? {
                Flow::Normal => {}
                Flow::Break => break,
                Flow::Stop => {
                    flow = Flow::Stop;
                    break;
                }
            }
        }
        for (name, saved) in [
            (var, saved_var),
            ("foreach", saved_foreach),
            ("velocityCount", saved_count),
        ] {
            match saved {
                Some(value) => self.vars.insert(name.to_owned(), value),
                None => self.vars.remove(name),
            };
        }
        Ok(flow)
    }

    fn assign(&mut self, target: &Reference, value: Value) -> Result<(), RenderError> {
        let Some((last, init)) = target.path.split_last() else {
            self.defines.remove(&target.name);
            self.vars.insert(target.name.clone(), value);
            return Ok(());
        };
        let mut names = Vec::with_capacity(target.path.len());
        for segment in &target.path {
            names.push(match segment {
                Segment::Property(name) | Segment::Method(name, _) => name.clone(),
                Segment::Index(index) => self.expr(index)?.to_string(),
            });
        }
        self.host.before_set(&target.name, &names)?;
        let holder = self.walk(&Reference {
            name: target.name.clone(),
            path: init.to_vec(),
        })?;
        match (holder, last) {
            (Value::Map(entries), Segment::Property(key)) => {
                entries.borrow_mut().insert(key.clone(), value);
                Ok(())
            }
            (Value::Map(entries), Segment::Index(key)) => {
                let key = self.expr(key)?.to_string();
                entries.borrow_mut().insert(key, value);
                Ok(())
            }
            (Value::List(items) | Value::JsonList(items), Segment::Index(index)) => {
                let index = self.expr(index)?.as_int();
                let mut items = items.borrow_mut();
                match index.and_then(|i| usize::try_from(i).ok()) {
                    Some(i) if i < items.len() => {
                        items[i] = value;
                        Ok(())
                    }
                    _ => Err(RenderError("#set: list index out of range".into())),
                }
            }
            // Velocity logs and ignores an assignment it cannot make.
            _ => Ok(()),
        }
    }

    fn reference(&mut self, reference: &Reference) -> Result<Value, RenderError> {
        self.walk(reference)
    }

    fn walk(&mut self, reference: &Reference) -> Result<Value, RenderError> {
        let mut value = match self.vars.get(&reference.name) {
            Some(value) => value.clone(),
            None => match self.defines.get(&reference.name).cloned() {
                Some(body) => self.define(&body)?,
                None => self.host.variable(&reference.name).unwrap_or_default(),
            },
        };
        for segment in &reference.path {
            if value.is_null() {
                return Ok(Value::Null);
            }
            value = match segment {
                Segment::Property(name) => match &value {
                    Value::Host(object) => self.host.property(object, name),
                    other => methods::property(other, name),
                },
                Segment::Method(name, args) => {
                    let args = args
                        .iter()
                        .map(|a| self.expr(a))
                        .collect::<Result<Vec<_>, _>>()?;
                    match &value {
                        Value::Host(object) => self.host.call(object, name, &args)?,
                        other => methods::call(other, name, &args)?,
                    }
                }
                Segment::Index(index) => {
                    let index = self.expr(index)?;
                    methods::index(&value, &index)
                }
            };
        }
        Ok(value)
    }

    /// A `#define` block's text, rendered with the variables as they are now.
    fn define(&mut self, body: &[Node]) -> Result<Value, RenderError> {
        if self.define_depth >= MAX_DEFINE_DEPTH {
            return Err(RenderError(format!(
                "#define blocks nest more than {MAX_DEFINE_DEPTH} deep"
            )));
        }
        self.define_depth += 1;
        let mut out = String::new();
        let rendered = self.nodes(body, &mut out);
        self.define_depth -= 1;
        rendered?;
        Ok(Value::Str(out))
    }

    fn expr(&mut self, expr: &Expr) -> Result<Value, RenderError> {
        Ok(match expr {
            Expr::Literal(value) => value.clone(),
            Expr::Interpolated(nodes) => {
                let mut out = String::new();
                self.nodes(nodes, &mut out)?;
                Value::Str(out)
            }
            Expr::Ref(reference) => self.reference(reference)?,
            Expr::List(items) => Value::list(
                items
                    .iter()
                    .map(|i| self.expr(i))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Range(first, last) => {
                let (Some(first), Some(last)) =
                    (self.expr(first)?.as_int(), self.expr(last)?.as_int())
                else {
                    return Ok(Value::Null);
                };
                if first.abs_diff(last) > MAX_ITERATIONS as u64 {
                    return Err(RenderError(format!(
                        "range [{first}..{last}] is longer than {MAX_ITERATIONS}"
                    )));
                }
                let items: Vec<Value> = if first <= last {
                    (first..=last).map(Value::Int).collect()
                } else {
                    (last..=first).rev().map(Value::Int).collect()
                };
                Value::list(items)
            }
            Expr::Map(entries) => {
                let mut pairs = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    pairs.push((self.expr(k)?.to_string(), self.expr(v)?));
                }
                Value::map(pairs)
            }
            Expr::Not(inner) => Value::Bool(!self.expr(inner)?.truthy()),
            Expr::Neg(inner) => match self.expr(inner)? {
                Value::Int(i) => Value::Int(-i),
                Value::Float(f) => Value::Float(-f),
                _ => Value::Null,
            },
            Expr::Binary(op, left, right) => {
                // `&&` and `||` short-circuit, as Java's do.
                match op {
                    BinaryOp::And => {
                        return Ok(Value::Bool(
                            self.expr(left)?.truthy() && self.expr(right)?.truthy(),
                        ))
                    }
                    BinaryOp::Or => {
                        return Ok(Value::Bool(
                            self.expr(left)?.truthy() || self.expr(right)?.truthy(),
                        ))
                    }
                    _ => {}
                }
                let (l, r) = (self.expr(left)?, self.expr(right)?);
                binary(*op, &l, &r)
            }
        })
    }
}

/// A comparison or arithmetic operator on two values; null where Velocity logs an error.
fn binary(op: BinaryOp, l: &Value, r: &Value) -> Value {
    match op {
        BinaryOp::Eq => Value::Bool(l == r),
        BinaryOp::Ne => Value::Bool(l != r),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ordering = match (l.as_f64(), r.as_f64()) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => match (l, r) {
                    (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
                    _ => None,
                },
            };
            let Some(ordering) = ordering else {
                return Value::Bool(false);
            };
            Value::Bool(match op {
                BinaryOp::Lt => ordering.is_lt(),
                BinaryOp::Le => ordering.is_le(),
                BinaryOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        BinaryOp::Add if matches!(l, Value::Str(_)) || matches!(r, Value::Str(_)) => {
            Value::Str(format!("{l}{r}"))
        }
        _ => arithmetic(op, l, r),
    }
}

fn arithmetic(op: BinaryOp, l: &Value, r: &Value) -> Value {
    if let (Value::Int(a), Value::Int(b)) = (l, r) {
        let (a, b) = (*a, *b);
        return match op {
            BinaryOp::Add => a.checked_add(b).map(Value::Int),
            BinaryOp::Sub => a.checked_sub(b).map(Value::Int),
            BinaryOp::Mul => a.checked_mul(b).map(Value::Int),
            BinaryOp::Div => a.checked_div(b).map(Value::Int),
            BinaryOp::Mod => a.checked_rem(b).map(Value::Int),
            _ => None,
        }
        .unwrap_or_default();
    }
    let (Some(a), Some(b)) = (l.as_f64(), r.as_f64()) else {
        return Value::Null;
    };
    match op {
        BinaryOp::Add => Value::Float(a + b),
        BinaryOp::Sub => Value::Float(a - b),
        BinaryOp::Mul => Value::Float(a * b),
        BinaryOp::Div if b != 0.0 => Value::Float(a / b),
        BinaryOp::Mod if b != 0.0 => Value::Float(a % b),
        _ => Value::Null,
    }
}
