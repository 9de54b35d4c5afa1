//! Tokens of DynamoDB's expression language (shared by condition, projection and update expressions).

/// One token with its byte offset in the source (for "near:" in syntax errors).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: Tok,
    /// Byte offset where it starts.
    pub at: usize,
    /// The source text of the token.
    pub text: String,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Bare word: attribute name, keyword or function name.
    Ident(String),
    /// `#name` placeholder (without `#`).
    NameRef(String),
    /// `:value` placeholder (text including `:`).
    ValueRef(String),
    /// Unsigned integer (list index).
    Int(String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `.`
    Dot,
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
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// Any other printable ASCII character (`!`, `;`, a leading `_`…): no rule uses it, so the
    /// parser reports it as DynamoDB does, `Syntax error; token: "!"`.
    Unknown,
    /// End of input.
    Eof,
}

/// Splits an expression into tokens; `Err(offset)` names an invalid (control or non-ASCII) character.
pub fn tokenize(src: &str) -> Result<Vec<Token>, (usize, char)> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |start: usize| -> usize {
        let mut j = start;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
            j += 1;
        }
        j
    };
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b',' => Tok::Comma,
            b'.' => Tok::Dot,
            b'=' => Tok::Eq,
            b'+' => Tok::Plus,
            b'-' => Tok::Minus,
            b'<' => match bytes.get(i + 1) {
                Some(b'>') => {
                    i += 1;
                    Tok::Ne
                }
                Some(b'=') => {
                    i += 1;
                    Tok::Le
                }
                _ => Tok::Lt,
            },
            b'>' => match bytes.get(i + 1) {
                Some(b'=') => {
                    i += 1;
                    Tok::Ge
                }
                _ => Tok::Gt,
            },
            b'#' | b':' => {
                let end = word(i + 1);
                if end == i + 1 {
                    return Err((i, char::from(c)));
                }
                let name = &src[i + 1..end];
                i = end;
                let kind = if c == b'#' {
                    Tok::NameRef(name.to_string())
                } else {
                    Tok::ValueRef(format!(":{name}"))
                };
                out.push(Token {
                    kind,
                    at: start,
                    text: src[start..end].to_string(),
                });
                continue;
            }
            b'0'..=b'9' => {
                let mut end = i;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                let text = &src[i..end];
                i = end;
                out.push(Token {
                    kind: Tok::Int(text.to_string()),
                    at: start,
                    text: text.to_string(),
                });
                continue;
            }
            // AWS: a name starts with a letter; `_version` is a syntax error at "_".
            c if c.is_ascii_alphabetic() => {
                let end = word(i);
                let text = &src[i..end];
                i = end;
                out.push(Token {
                    kind: Tok::Ident(text.to_string()),
                    at: start,
                    text: text.to_string(),
                });
                continue;
            }
            c if c.is_ascii_graphic() => Tok::Unknown,
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err((i, ch));
            }
        };
        i += 1;
        out.push(Token {
            kind,
            at: start,
            text: src[start..i].to_string(),
        });
    }
    out.push(Token {
        kind: Tok::Eof,
        at: src.len(),
        text: "<EOF>".into(),
    });
    Ok(out)
}
