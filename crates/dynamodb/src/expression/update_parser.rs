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
                    let value = set_value(&mut p, 0)?;
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
    p.check_clashes(&out.target_paths())?;
    Ok(out)
}

/// The right-hand side of a SET action: an operand, or two joined by `+`/`-`, optionally in
/// parentheses (AWS accepts `SET c = (c - :v)`).
fn set_value(p: &mut Cursor, depth: usize) -> DynamoResult<SetValue> {
    if *p.peek() == Tok::LParen {
        if depth > 32 {
            return Err(
                p.err("The expression has exceeded the maximum nesting depth; maximum depth: 32")
            );
        }
        p.bump();
        let value = set_value(p, depth + 1)?;
        p.expect(Tok::RParen)?;
        return Ok(value);
    }
    let left = set_operand(p, 0)?;
    Ok(match p.peek() {
        Tok::Plus | Tok::Minus => {
            let plus = p.bump() == Tok::Plus;
            let right = set_operand(p, 0)?;
            let op = if plus { "+" } else { "-" };
            constant_of_type(p, &left, op, "N")?;
            constant_of_type(p, &right, op, "N")?;
            if plus {
                SetValue::Plus(left, right)
            } else {
                SetValue::Minus(left, right)
            }
        }
        _ => SetValue::Operand(left),
    })
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
                    let b = set_operand(p, depth + 1)?;
                    // AWS parses a list_append inside another but refuses it, though
                    // if_not_exists inside one is fine (Alternator's
                    // test_update_expression_function_nesting, written against DynamoDB).
                    if [&a, &b]
                        .iter()
                        .any(|o| matches!(o, SetOperand::ListAppend(..)))
                    {
                        return Err(p.err(
                            "The function is not allowed to be used this way in an expression; function: list_append",
                        ));
                    }
                    for o in [&a, &b] {
                        constant_of_type(p, o, "list_append", "L")?;
                    }
                    SetOperand::ListAppend(Box::new(a), Box::new(b))
                }
                "attribute_exists"
                | "attribute_not_exists"
                | "attribute_type"
                | "begins_with"
                | "contains"
                | "size" => {
                    return Err(p.err(format!(
                        "The function is not allowed in an update expression; function: {f}"
                    )))
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

/// The type an operand is known to have before any item is read: a constant's, `list_append`'s list,
/// or `if_not_exists`'s fallback (DynamoDB types `if_not_exists(a, :l) + :n` by `:l`).
fn static_type(o: &SetOperand) -> Option<&'static str> {
    match o {
        SetOperand::Value(v) => Some(v.type_name()),
        SetOperand::ListAppend(..) => Some("L"),
        SetOperand::IfNotExists(_, fallback) => static_type(fallback),
        SetOperand::Path(_) => None,
    }
}

/// An operand of `op` whose type is already known must be `want` (checked before reading the item).
fn constant_of_type(p: &Cursor, o: &SetOperand, op: &str, want: &str) -> DynamoResult<()> {
    match static_type(o) {
        Some(t) if t != want => Err(p.err(format!(
            "Incorrect operand type for operator or function; operator or function: {op}, operand type: {t}"
        ))),
        _ => Ok(()),
    }
}
