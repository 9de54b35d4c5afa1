//! PartiQL's tokens as DynamoDB reads them: identifiers (bare or `"quoted"`), `'strings'`,
//! numbers, `?` parameters and punctuation (`<<`/`>>` open and close sets).

use crate::protocol::{DynamoError, DynamoResult};

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// A bare word: a keyword or an attribute name (keywords are matched case-insensitively).
    Word(String),
    /// A `"double-quoted"` name: never a keyword.
    Quoted(String),
    /// A `'single-quoted'` string literal.
    Str(String),
    /// A number literal as written.
    Num(String),
    /// `?`: the next of the request's `Parameters`.
    Param,
    /// Punctuation and operators.
    Sym(&'static str),
}

/// DynamoDB's answer to a statement it cannot parse.
pub(super) fn malformed(why: impl std::fmt::Display) -> DynamoError {
    DynamoError::Validation(format!(
        "Statement wasn't well formed, can't be processed: {why}"
    ))
}

const SYMBOLS: [&str; 20] = [
    "<<", ">>", "<>", "!=", "<=", ">=", "||", "(", ")", "[", "]", "{", "}", ",", ".", ":", "*",
    "=", "<", ">",
];

/// The statement's tokens.
pub(super) fn tokens(text: &str) -> DynamoResult<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let (text, next) = quoted(&chars, i)?;
            out.push(if c == '\'' {
                Token::Str(text)
            } else {
                Token::Quoted(text)
            });
            i = next;
        } else if c.is_ascii_digit()
            || (c == '-'
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                && numeric_start(&out))
            || (c == '.'
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                && numeric_start(&out))
        {
            let start = i;
            i += 1;
            while i < chars.len() {
                let d = chars[i];
                let exponent_sign = (d == '+' || d == '-') && matches!(chars[i - 1], 'e' | 'E');
                if d.is_ascii_digit() || d == '.' || d == 'e' || d == 'E' || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push(Token::Num(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else if c == '?' {
            out.push(Token::Param);
            i += 1;
        } else if c == '+' || c == '-' {
            out.push(Token::Sym(if c == '+' { "+" } else { "-" }));
            i += 1;
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) else {
                return Err(malformed(format!("Unexpected character '{c}'")));
            };
            out.push(Token::Sym(sym));
            i += sym.chars().count();
        }
    }
    Ok(out)
}

/// A minus or dot begins a number only where a value may stand (not after a name: `a-1`).
fn numeric_start(before: &[Token]) -> bool {
    !matches!(
        before.last(),
        Some(Token::Word(_) | Token::Quoted(_) | Token::Num(_) | Token::Str(_) | Token::Param)
            | Some(Token::Sym(")" | "]"))
    )
}

/// A quoted run starting at `at`, with the quote doubled inside as an escape.
fn quoted(chars: &[char], at: usize) -> DynamoResult<(String, usize)> {
    let q = chars[at];
    let mut text = String::new();
    let mut i = at + 1;
    loop {
        match chars.get(i) {
            None => return Err(malformed("Unterminated quoted text")),
            Some(&c) if c == q => {
                if chars.get(i + 1) == Some(&q) {
                    text.push(q);
                    i += 2;
                } else {
                    return Ok((text, i + 1));
                }
            }
            Some(&c) => {
                text.push(c);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_strings_numbers_sets_and_parameters() {
        let t = tokens(
            r#"SELECT "a""b", x FROM t WHERE y = 'it''s' AND z < -1.5e3 AND s = <<1>> AND p = ?"#,
        )
        .unwrap();
        assert!(t.contains(&Token::Quoted("a\"b".into())));
        assert!(t.contains(&Token::Str("it's".into())));
        assert!(t.contains(&Token::Num("-1.5e3".into())));
        assert!(t.contains(&Token::Sym("<<")));
        assert!(t.contains(&Token::Sym(">>")));
        assert_eq!(t.last(), Some(&Token::Param));
    }

    #[test]
    fn a_minus_after_a_name_is_an_operator() {
        let t = tokens("SET a = a-1").unwrap();
        assert_eq!(t[4], Token::Sym("-"));
        assert_eq!(t[5], Token::Num("1".into()));
    }
}
