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
        let right = and(cur)?;
        left = Condition::Or(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn and(cur: &mut Cursor) -> DynamoResult<Condition> {
    let mut left = not(cur)?;
    while cur.at_keyword("AND") {
        cur.bump();
        let right = not(cur)?;
        left = Condition::And(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn not(cur: &mut Cursor) -> DynamoResult<Condition> {
    if cur.at_keyword("NOT") {
        cur.bump();
        cur.enter()?;
        let inner = not(cur)?;
        cur.leave();
        return Ok(Condition::Not(Box::new(inner)));
    }
    primary(cur)
}

fn primary(cur: &mut Cursor) -> DynamoResult<Condition> {
    if *cur.peek() == Tok::LParen {
        cur.bump();
        cur.enter()?;
        let c = or(cur)?;
        cur.leave();
        cur.expect(Tok::RParen)?;
        return Ok(c);
    }
    // Condition functions (size is an operand, handled below).
    if let (Tok::Ident(f), Tok::LParen) = (cur.peek().clone(), cur.peek2().clone()) {
        if f != "size" {
            return function(cur, &f);
        }
    }
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
            let lo = operand(cur)?;
            if !cur.at_keyword("AND") {
                return Err(cur.syntax_error());
            }
            cur.bump();
            let hi = operand(cur)?;
            if let (Operand::Value(l), Operand::Value(h)) = (&lo, &hi) {
                if order(l, h) == Some(std::cmp::Ordering::Greater) {
                    let show = |v: &AttributeValue| match v {
                        AttributeValue::S(s) => format!("{{S:{s}}}"),
                        AttributeValue::N(n) => format!("{{N:{n}}}"),
                        other => format!("{{{}}}", other.type_name()),
                    };
                    return Err(cur.err(format!(
                        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                        show(l),
                        show(h)
                    )));
                }
            }
            return Ok(Condition::Between(left, lo, hi));
        }
        Tok::Ident(w) if w.eq_ignore_ascii_case("IN") => {
            cur.bump();
            cur.expect(Tok::LParen)?;
            let mut list = vec![operand(cur)?];
            while *cur.peek() == Tok::Comma {
                cur.bump();
                list.push(operand(cur)?);
            }
            cur.expect(Tok::RParen)?;
            if list.len() > 100 {
                return Err(cur.err(
                    "The IN operator is provided with too many operands; number of operands: 101",
                ));
            }
            return Ok(Condition::In(left, list));
        }
        _ => return Err(cur.syntax_error()),
    };
    cur.bump();
    let right = operand(cur)?;
    Ok(Condition::Compare(left, op, right))
}

fn function(cur: &mut Cursor, name: &str) -> DynamoResult<Condition> {
    let known = [
        "attribute_exists",
        "attribute_not_exists",
        "attribute_type",
        "begins_with",
        "contains",
    ];
    if !known.contains(&name) {
        return Err(cur.err(format!("Invalid function name; function: {name}")));
    }
    cur.bump();
    cur.expect(Tok::LParen)?;
    let c = match name {
        "attribute_exists" => Condition::Exists(cur.path()?),
        "attribute_not_exists" => Condition::NotExists(cur.path()?),
        "attribute_type" => {
            let p = cur.path()?;
            cur.expect(Tok::Comma)?;
            let t = operand(cur)?;
            if let Operand::Value(AttributeValue::S(s)) = &t {
                let types = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];
                if !types.contains(&s.as_str()) {
                    return Err(cur.err(format!("Invalid attribute type name found; type: {s}, valid types: {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}")));
                }
            }
            Condition::AttributeType(p, t)
        }
        "begins_with" => {
            let a = operand(cur)?;
            cur.expect(Tok::Comma)?;
            Condition::BeginsWith(a, operand(cur)?)
        }
        _ => {
            let a = operand(cur)?;
            cur.expect(Tok::Comma)?;
            Condition::Contains(a, operand(cur)?)
        }
    };
    cur.expect(Tok::RParen)?;
    Ok(c)
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
                return Err(cur.err(format!(
                    "The function is not allowed to be used this way in an expression; function: {f}"
                )));
            }
            cur.bump();
            cur.bump();
            let p = cur.path()?;
            cur.expect(Tok::RParen)?;
            Ok(Operand::Size(p))
        }
        Tok::Ident(_) | Tok::NameRef(_) => Ok(Operand::Path(cur.path()?)),
        _ => Err(cur.syntax_error()),
    }
}

/// Parses a projection expression: comma-separated paths.
fn projection_expression(cur: &mut Cursor) -> DynamoResult<Vec<Path>> {
    let mut paths = vec![cur.path()?];
    while *cur.peek() == Tok::Comma {
        cur.bump();
        paths.push(cur.path()?);
    }
    cur.finish()?;
    Ok(paths)
}
