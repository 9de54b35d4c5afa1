//! The grammar of condition, filter and key-condition expressions and of projection expressions,
//! over the shared [`Cursor`]; nesting is bounded so hostile input gets a ValidationException instead
//! of overflowing the stack.

use super::ast::{CmpOp, Condition, Operand, Path};
use super::attrs::ExprAttrs;
use super::cursor::Cursor;
use super::eval::order;
use super::lexer::Tok;
use crate::attribute_value::AttributeValue;
use crate::protocol::DynamoResult;

/// Parses a condition-style expression (`kind` names the request member).
pub fn parse_condition(
    src: &str,
    kind: &'static str,
    attrs: &mut ExprAttrs,
) -> DynamoResult<Condition> {
    let mut cur = Cursor::new(src, kind, attrs)?;
    let condition = or(&mut cur)?;
    cur.finish()?;
    Ok(condition)
}

/// Parses a `ProjectionExpression`.
pub fn parse_projection(src: &str, attrs: &mut ExprAttrs) -> DynamoResult<Vec<Path>> {
    projection_expression(&mut Cursor::new(src, "ProjectionExpression", attrs)?)
}

fn or(cur: &mut Cursor) -> DynamoResult<Condition> {
    let mut left = and(cur)?;
    while cur.at_keyword("OR") {
        cur.bump();
        cur.operator()?;
        let right = and(cur)?;
        left = Condition::Or(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn and(cur: &mut Cursor) -> DynamoResult<Condition> {
    let mut left = not(cur)?;
    while cur.at_keyword("AND") {
        cur.bump();
        cur.operator()?;
        let right = not(cur)?;
        left = Condition::And(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn not(cur: &mut Cursor) -> DynamoResult<Condition> {
    if cur.at_keyword("NOT") {
        cur.bump();
        cur.operator()?;
        cur.enter()?;
        let inner = not(cur)?;
        cur.leave();
        return Ok(Condition::Not(Box::new(inner)));
    }
    primary(cur)
}

fn primary(cur: &mut Cursor) -> DynamoResult<Condition> {
    if *cur.peek() == Tok::LParen {
        let open = cur.pos();
        cur.bump();
        cur.enter()?;
        let c = or(cur)?;
        cur.leave();
        cur.expect(Tok::RParen)?;
        // `((x))`: the inner group is the whole content of the outer one. AWS rejects it in
        // conditions and filters but accepts `((pk = :p)) AND ((sk = :s))` as a key condition.
        if cur.kind() != "KeyConditionExpression" && cur.group_spans(open + 1, cur.pos() - 2) {
            return Err(cur.err("The expression has redundant parentheses;"));
        }
        return Ok(c);
    }
    // Condition functions (size is an operand, handled below).
    if let (Tok::Ident(f), Tok::LParen) = (cur.peek().clone(), cur.peek2().clone()) {
        if f != "size" {
            return function(cur, &f);
        }
    }
    comparison(cur)
}

/// A comparison, BETWEEN or IN. Kept out of [`primary`], which recursion passes through once per
/// nesting level, so that frame stays small (see eval.rs's worker-stack test).
#[inline(never)]
fn comparison(cur: &mut Cursor) -> DynamoResult<Condition> {
    let left = operand(cur)?;
    let op = match cur.peek() {
        Tok::Eq => CmpOp::Eq,
        Tok::Ne => CmpOp::Ne,
        Tok::Lt => CmpOp::Lt,
        Tok::Le => CmpOp::Le,
        Tok::Gt => CmpOp::Gt,
        Tok::Ge => CmpOp::Ge,
        Tok::Ident(w) if w.eq_ignore_ascii_case("BETWEEN") => {
            cur.bump();
            cur.operator()?;
            let lo = operand(cur)?;
            if !cur.at_keyword("AND") {
                return Err(cur.syntax_error());
            }
            cur.bump();
            let hi = operand(cur)?;
            for o in [&left, &lo, &hi] {
                constant_in(cur, o, "BETWEEN", &["S", "N", "B"])?;
            }
            if let (Operand::Value(l), Operand::Value(h)) = (&lo, &hi) {
                let show = |v: &AttributeValue| match v {
                    AttributeValue::S(s) => format!("{{S:{s}}}"),
                    AttributeValue::N(n) => format!("{{N:{n}}}"),
                    other => format!("{{{}}}", other.type_name()),
                };
                let problem = if l.type_name() != h.type_name() {
                    Some("requires same data type for lower and upper bounds")
                } else if order(l, h) == Some(std::cmp::Ordering::Greater) {
                    Some("requires upper bound to be greater than or equal to lower bound")
                } else {
                    None
                };
                if let Some(problem) = problem {
                    return Err(cur.err(format!(
                        "The BETWEEN operator {problem}; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                        show(l),
                        show(h)
                    )));
                }
            }
            return Ok(Condition::Between(left, lo, hi));
        }
        Tok::Ident(w) if w.eq_ignore_ascii_case("IN") => {
            cur.bump();
            cur.operator()?;
            cur.expect(Tok::LParen)?;
            let mut list = vec![operand(cur)?];
            while *cur.peek() == Tok::Comma {
                cur.bump();
                list.push(operand(cur)?);
            }
            cur.expect(Tok::RParen)?;
            if list.len() > 100 {
                return Err(cur.err(format!(
                    "The IN operator is provided with too many operands; number of operands: {}",
                    list.len()
                )));
            }
            return Ok(Condition::In(left, list));
        }
        _ if matches!(left, Operand::Size(_)) => {
            return Err(cur.err(
                "The function is not allowed to be used this way in an expression; function: size",
            ))
        }
        _ => return Err(cur.syntax_error()),
    };
    cur.bump();
    cur.operator()?;
    let right = operand(cur)?;
    let symbol = match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    };
    distinct(cur, symbol, &left, &right)?;
    if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
        for o in [&left, &right] {
            constant_in(cur, o, symbol, &["S", "N", "B"])?;
        }
    }
    Ok(Condition::Compare(left, op, right))
}

#[inline(never)]
fn function(cur: &mut Cursor, name: &str) -> DynamoResult<Condition> {
    let operands = match name {
        "attribute_exists" | "attribute_not_exists" => 1,
        "attribute_type" | "begins_with" | "contains" => 2,
        _ => return Err(unknown_function(cur, name)),
    };
    cur.bump();
    cur.expect(Tok::LParen)?;
    // AWS parses any operands, then checks their number, their distinctness, then what each
    // function asks of them (dynalite's condition grammar, which follows DynamoDB's errors).
    let mut args = vec![operand(cur)?];
    while *cur.peek() == Tok::Comma {
        cur.bump();
        args.push(operand(cur)?);
    }
    cur.expect(Tok::RParen)?;
    operand_count(cur, name, args.len(), operands)?;
    let mut args = args.into_iter();
    let (a, b) = (args.next(), args.next());
    Ok(match (name, a, b) {
        ("attribute_exists", Some(Operand::Path(p)), None) => Condition::Exists(p),
        ("attribute_not_exists", Some(Operand::Path(p)), None) => Condition::NotExists(p),
        // Alternator's test_update_condition_attribute_exists: a value is refused with "path".
        ("attribute_exists" | "attribute_not_exists", _, None) => {
            return Err(cur.err(format!(
                "Operator or function requires a document path; operator or function: {name}"
            )))
        }
        (_, Some(a), Some(b)) => {
            distinct(cur, name, &a, &b)?;
            match name {
                "attribute_type" => attribute_type(cur, a, b)?,
                "begins_with" => {
                    for o in [&a, &b] {
                        constant_in(cur, o, "begins_with", &["S", "B"])?;
                    }
                    Condition::BeginsWith(a, b)
                }
                _ => Condition::Contains(a, b),
            }
        }
        // operand_count let through only the shapes above.
        _ => return Err(cur.syntax_error()),
    })
}

/// AWS: a function called with the wrong number of operands.
fn operand_count(cur: &Cursor, name: &str, got: usize, want: usize) -> DynamoResult<()> {
    if got == want {
        return Ok(());
    }
    Err(cur.err(format!(
        "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {got}"
    )))
}

/// `attribute_type(x, :t)`. The type must be a `:value` naming a DynamoDB type (Alternator's
/// test_update_condition_attribute_type_second_arg); what it tests may be a value too
/// (test_update_condition_attribute_type: `attribute_type(:val, :type)` holds for a number).
fn attribute_type(cur: &Cursor, subject: Operand, t: Operand) -> DynamoResult<Condition> {
    let wrong_type = |shown: &str| {
        cur.err(format!(
            "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {shown}"
        ))
    };
    match &t {
        Operand::Value(AttributeValue::S(s)) => {
            let types = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];
            if !types.contains(&s.as_str()) {
                return Err(cur.err(format!("Invalid attribute type name found; type: {s}, valid types: {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}")));
            }
        }
        Operand::Value(v) => return Err(wrong_type(v.type_name())),
        Operand::Size(_) => return Err(wrong_type("N")),
        // A path's type is unknown until the item is read: AWS names every type it could have.
        Operand::Path(_) => return Err(wrong_type(
            "{S,SS,N,NS,B,BS,BOOL,NULL,L,M,HD,DOUBLE,FLOAT,HDS,FS,DOUBLESET,DICT,DECIMAL,INT,DECIMALSET,INTSET}",
        )),
    }
    Ok(Condition::AttributeType(subject, t))
}

/// Parses an operand: path, `:value` or `size(path)`.
fn operand(cur: &mut Cursor) -> DynamoResult<Operand> {
    match cur.peek().clone() {
        Tok::ValueRef(v) => {
            cur.bump();
            Ok(Operand::Value(cur.value_ref(&v)?))
        }
        Tok::Ident(f) if *cur.peek2() == Tok::LParen => {
            if f != "size" {
                return Err(unknown_function(cur, &f));
            }
            cur.bump();
            cur.bump();
            let mut args = vec![size_operand(cur)?];
            while *cur.peek() == Tok::Comma {
                cur.bump();
                args.push(size_operand(cur)?);
            }
            cur.expect(Tok::RParen)?;
            // AWS counts size()'s operands before anything else about them (Alternator's
            // test_update_condition_size: `size(a, a)` names 2).
            operand_count(cur, "size", args.len(), 1)?;
            match args.pop() {
                // size() of a constant is known now: fold it into a number.
                Some(Operand::Value(value)) => constant_size(cur, &value),
                Some(o) => Ok(o),
                None => Err(cur.syntax_error()),
            }
        }
        Tok::Ident(_) | Tok::NameRef(_) => Ok(Operand::Path(cur.path()?)),
        _ => Err(cur.syntax_error()),
    }
}

/// One operand of `size()`: a `:value`, or a path (as `Operand::Size`).
fn size_operand(cur: &mut Cursor) -> DynamoResult<Operand> {
    match cur.peek().clone() {
        Tok::ValueRef(v) => {
            cur.bump();
            Ok(Operand::Value(cur.value_ref(&v)?))
        }
        _ => Ok(Operand::Size(cur.path()?)),
    }
}

/// Parses a projection expression: comma-separated paths, none overlapping or conflicting.
fn projection_expression(cur: &mut Cursor) -> DynamoResult<Vec<Path>> {
    let mut paths = vec![cur.path()?];
    while *cur.peek() == Tok::Comma {
        cur.bump();
        paths.push(cur.path()?);
    }
    cur.finish()?;
    cur.check_clashes(&paths.iter().collect::<Vec<_>>())?;
    Ok(paths)
}

/// A function name that is not a condition function: update functions are "not allowed", a
/// condition function in operand position is "not allowed to be used this way", anything else unknown.
fn unknown_function(cur: &Cursor, name: &str) -> crate::protocol::DynamoError {
    match name {
        "list_append" | "if_not_exists" => cur.err(format!(
            "The function is not allowed in a condition expression; function: {name}"
        )),
        "attribute_exists"
        | "attribute_not_exists"
        | "attribute_type"
        | "begins_with"
        | "contains"
        | "size" => cur.err(format!(
            "The function is not allowed to be used this way in an expression; function: {name}"
        )),
        _ => cur.err(format!("Invalid function name; function: {name}")),
    }
}

/// A constant operand of `op` must have one of the types `allowed`.
fn constant_in(cur: &Cursor, o: &Operand, op: &str, allowed: &[&str]) -> DynamoResult<()> {
    match o {
        Operand::Value(v) if !allowed.contains(&v.type_name()) => Err(cur.err(format!(
            "Incorrect operand type for operator or function; operator or function: {op}, operand type: {}",
            v.type_name()
        ))),
        _ => Ok(()),
    }
}

/// The first operand of `op` must not be the same document path as the second.
fn distinct(cur: &Cursor, op: &str, a: &Operand, b: &Operand) -> DynamoResult<()> {
    match (a, b) {
        (Operand::Path(x), Operand::Path(y)) if x == y => Err(cur.err(format!(
            "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {x}"
        ))),
        _ => Ok(()),
    }
}

/// `size(:v)`: the size of a constant, as evaluation would compute it for an attribute.
fn constant_size(cur: &Cursor, v: &AttributeValue) -> DynamoResult<Operand> {
    let n = match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(x) => x.len(),
        AttributeValue::Ns(x) => x.len(),
        AttributeValue::Bs(x) => x.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => {
            return Err(cur.err(format!(
                "Incorrect operand type for operator or function; operator or function: size, operand type: {}",
                v.type_name()
            )))
        }
    };
    // A count always parses as a number; the error arm only keeps this free of panics.
    crate::number::Number::parse(&n.to_string())
        .map(|n| Operand::Value(AttributeValue::N(n)))
        .map_err(|_| cur.err("Invalid size"))
}
