//! The grammar of update expressions: SET (with `if_not_exists`, `list_append`, `+`/`-`), REMOVE, ADD
//! and DELETE clauses, over the shared [`Cursor`]. Applying them is `crate::update_expression`'s job.

use super::ast::{SetOperand, SetValue, UpdateExpression};
use super::attrs::ExprAttrs;
use super::cursor::Cursor;
use super::lexer::Tok;
use crate::attribute_value::AttributeValue;
use crate::protocol::DynamoResult;

/// Parses an `UpdateExpression`.
pub fn parse_update(src: &str, attrs: &mut ExprAttrs) -> DynamoResult<UpdateExpression> {
    let mut p = Cursor::new(src, "UpdateExpression", attrs)?;
    let mut out = UpdateExpression::default();
    let mut seen: Vec<String> = Vec::new();
    while *p.peek() != Tok::Eof {
        let clause = match p.peek() {
            Tok::Ident(w) => w.to_ascii_uppercase(),
            _ => return Err(p.syntax_error()),
        };
        if !["SET", "REMOVE", "ADD", "DELETE"].contains(&clause.as_str()) {
            return Err(p.syntax_error());
        }
        if seen.contains(&clause) {
            return Err(p.err(format!(
                "The \"{clause}\" section can only be used once in an update expression;"
            )));
        }
        seen.push(clause.clone());
        p.bump();
        loop {
            match clause.as_str() {
                "SET" => {
                    let path = p.path()?;
                    p.expect(Tok::Eq)?;
                    let left = set_operand(&mut p, 0)?;
                    let value = match p.peek() {
                        Tok::Plus => {
                            p.bump();
                            SetValue::Plus(left, set_operand(&mut p, 0)?)
                        }
                        Tok::Minus => {
                            p.bump();
                            SetValue::Minus(left, set_operand(&mut p, 0)?)
                        }
                        _ => SetValue::Operand(left),
                    };
                    out.set.push((path, value));
                }
                "REMOVE" => out.remove.push(p.path()?),
                _ => {
                    let path = p.path()?;
                    let value = match p.bump() {
                        Tok::ValueRef(v) => p.value_ref(&v)?,
                        _ => return Err(p.syntax_error()),
                    };
                    let ok = matches!(
                        (&value, clause.as_str()),
                        (AttributeValue::N(_), "ADD")
                            | (
                                AttributeValue::Ss(_)
                                    | AttributeValue::Ns(_)
                                    | AttributeValue::Bs(_),
                                _
                            )
                    );
                    if !ok {
                        return Err(p.err(format!(
                            "Incorrect operand type for operator or function; operator: {clause}, operand type: {}",
                            value_type_long(&value)
                        )));
                    }
                    if clause == "ADD" {
                        out.add.push((path, value));
                    } else {
                        out.delete.push((path, value));
                    }
                }
            }
            if *p.peek() == Tok::Comma {
                p.bump();
            } else {
                break;
            }
        }
    }
    if seen.is_empty() {
        return Err(p.syntax_error());
    }
    check_overlaps(&out, &p)?;
    Ok(out)
}

fn value_type_long(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::Bool(_) => "BOOLEAN",
        AttributeValue::Null => "NULL",
        AttributeValue::M(_) => "MAP",
        AttributeValue::L(_) => "LIST",
        _ => "SET",
    }
}

fn set_operand(p: &mut Cursor, depth: usize) -> DynamoResult<SetOperand> {
    if depth > 32 {
        return Err(
            p.err("The expression has exceeded the maximum nesting depth; maximum depth: 32")
        );
    }
    match p.peek().clone() {
        Tok::ValueRef(v) => {
            p.bump();
            Ok(SetOperand::Value(p.value_ref(&v)?))
        }
        Tok::Ident(f) if *p.peek2() == Tok::LParen => {
            p.bump();
            p.bump();
            let op = match f.as_str() {
                "if_not_exists" => {
                    let path = p.path()?;
                    p.expect(Tok::Comma)?;
                    SetOperand::IfNotExists(path, Box::new(set_operand(p, depth + 1)?))
                }
                "list_append" => {
                    let a = set_operand(p, depth + 1)?;
                    p.expect(Tok::Comma)?;
                    SetOperand::ListAppend(Box::new(a), Box::new(set_operand(p, depth + 1)?))
                }
                other => return Err(p.err(format!("Invalid function name; function: {other}"))),
            };
            p.expect(Tok::RParen)?;
            Ok(op)
        }
        Tok::Ident(_) | Tok::NameRef(_) => Ok(SetOperand::Path(p.path()?)),
        _ => Err(p.syntax_error()),
    }
}

fn check_overlaps(u: &UpdateExpression, p: &Cursor) -> DynamoResult<()> {
    let paths = u.target_paths();
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            let n = a.0.len().min(b.0.len());
            if a.0[..n] == b.0[..n] {
                let what = if a.0.len() == b.0.len() {
                    "conflict"
                } else {
                    "overlap"
                };
                return Err(p.err(format!(
                    "Two document paths {what} with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
                )));
            }
        }
    }
    Ok(())
}
