//! YAML text → a small tree that keeps each node's tag and position, so every later error can name a line.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, StrInput, Tag};

use crate::error::TemplateError;

/// How deep YAML may nest before we refuse it; guards the recursive builder's stack.
const MAX_DEPTH: usize = 256;
/// How many nodes aliases may copy in total; stops "billion laughs" documents from exhausting memory.
const MAX_ALIAS_NODES: usize = 1_000_000;

/// One YAML node with its (1-based) position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// The value.
    pub kind: Kind,
    /// A local tag such as `!Ref`; core-schema tags (`!!str`) are dropped.
    pub tag: Option<String>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// The file the node was read from when it is not the template's own (an OpenAPI
    /// `DefinitionUri`, an `AWS::Include`), so errors name the right file.
    pub file: Option<Arc<Path>>,
}

/// The shape of a node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A scalar and whether it was written plain (plain `~`/`null`/empty mean null).
    Scalar(String, Style),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order, keys unique.
    Map(Vec<(String, Node)>),
}

/// Whether a scalar was plain (may be null, a number or a bool) or quoted/block (always a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Written without quotes.
    Plain,
    /// Quoted or a block scalar.
    Quoted,
}

impl Node {
    /// A new untagged scalar at a position (used for values computed from intrinsics).
    pub fn scalar(value: impl Into<String>, line: usize, col: usize) -> Node {
        Node {
            kind: Kind::Scalar(value.into(), Style::Quoted),
            tag: None,
            line,
            col,
            file: None,
        }
    }

    /// The scalar's text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// Whether this is YAML null (`~`, `null`, or nothing at all).
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s, Style::Plain) if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value under `key`, for replacing it, if this is a mapping that has it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.kind {
            Kind::Map(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The mapping's entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[(String, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Whether `key` (an intrinsic such as `Fn::ImportValue`) is a mapping key anywhere in here.
    pub(crate) fn mentions(&self, key: &str) -> bool {
        match &self.kind {
            Kind::Map(entries) => entries.iter().any(|(k, v)| k == key || v.mentions(key)),
            Kind::Seq(items) => items.iter().any(|item| item.mentions(key)),
            Kind::Scalar(..) => false,
        }
    }

    /// A short name for the node's shape, for messages.
    pub fn shape(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar(..) if self.is_null() => "null",
            Kind::Scalar(..) => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// Parses the first YAML document of `source`; `None` when the file holds no document or only null.
/// A key repeated in one mapping takes its last value, as CloudFormation and SAM CLI (PyYAML)
/// load it, with a line in `warnings`.
pub(crate) fn parse(
    source: &str,
    file: &Path,
    warnings: &mut Vec<String>,
) -> Result<Option<Node>, TemplateError> {
    parse_from(source, file, None, warnings)
}

/// [`parse`] for a file the template reads in (a `DefinitionUri`, an `AWS::Include`): its nodes
/// carry the file, so errors about them name it.
pub(crate) fn parse_other(
    source: &str,
    file: &Path,
    warnings: &mut Vec<String>,
) -> Result<Option<Node>, TemplateError> {
    parse_from(source, file, Some(Arc::from(file)), warnings)
}

/// How many lines [`parse_from`] moves right before it gives up.
const MAX_LENIENT_MOVES: usize = 256;

/// A construct saphyr-parser 0.3 refuses as "invalid indentation" and PyYAML (SAM CLI) and
/// CloudFormation accept, which [`parse_from`] reads as if indented one more space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lenient {
    /// A flow collection's closing `]` or `}` on a line of its own at its key's indentation.
    ClosingBracket,
    /// A quoted scalar's continuation lines at (or left of) its key's indentation.
    QuotedContinuation,
    /// A flow collection's entries on lines of their own at (or left of) its key's indentation.
    FlowContinuation,
}

/// [`parse_once`], accepting what PyYAML (SAM CLI) and CloudFormation accept and saphyr-parser
/// 0.3 refuses as "invalid indentation": a flow collection's closing `]` or `}` on a line of its
/// own at its key's indentation (`Action: [` … `]`), and a quoted scalar continued on lines at its
/// key's indentation (a long `"…"` request template in an `AWS::Include`d OpenAPI file), and a
/// flow collection's entries on lines at its key's indentation (`Cors: {` then `"Fn::Join": …`
/// on the next line, in SAM's own test templates). Strict YAML 1.2 wants all three indented
/// further (§8.2.3, §7.3, §7.4); published templates rely on the leniency
/// (saphyr-rs/saphyr#108 would add the first, not released). Such lines are read as if indented
/// one more space, with a warning; a quoted scalar's value does not change, since its
/// continuation lines lose their leading white space anyway.
fn parse_from(
    source: &str,
    file: &Path,
    origin: Option<Arc<Path>>,
    warnings: &mut Vec<String>,
) -> Result<Option<Node>, TemplateError> {
    let mut patched: Option<String> = None;
    let mut moves = 0;
    let mut moved: Vec<(usize, Lenient)> = Vec::new();
    loop {
        let text = patched.as_deref().unwrap_or(source);
        let mut found = Vec::new();
        let result = parse_once(text, file, origin.clone(), &mut found);
        if let Err(TemplateError::Syntax {
            line, col, message, ..
        }) = &result
        {
            let fixed = if moves >= MAX_LENIENT_MOVES {
                None
            } else if message.contains("invalid indentation in quoted scalar") {
                indent_quoted_continuation(text, *line, *col)
                    .map(|fixed| (fixed, Lenient::QuotedContinuation))
            } else if message.contains("invalid indentation") {
                indent_closing_bracket(text, *line)
                    .map(|fixed| (fixed, Lenient::ClosingBracket))
                    .or_else(|| {
                        indent_flow_continuation(text, *line, *col)
                            .map(|fixed| (fixed, Lenient::FlowContinuation))
                    })
            } else {
                None
            };
            if let Some((fixed, kind)) = fixed {
                patched = Some(fixed);
                moves += 1;
                if !moved.contains(&(*line, kind)) {
                    moved.push((*line, kind));
                }
                continue;
            }
        }
        for (line, kind) in moved {
            let what = match kind {
                Lenient::ClosingBracket => "a flow collection's closing bracket",
                Lenient::QuotedContinuation => "a quoted scalar's continuation lines",
                Lenient::FlowContinuation => "a flow collection's entries",
            };
            warnings.push(format!(
                "{}:{line}: {what} at its key's indentation, which YAML 1.2 forbids and PyYAML and CloudFormation accept; read as if indented further",
                file.display()
            ));
        }
        warnings.extend(found);
        return result;
    }
}

/// `text` with one more space before line `line` (1-based) when that line holds only a closing
/// `]` or `}` (and what may follow it: a comma, more brackets, a comment).
fn indent_closing_bracket(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let current = lines.get(line.checked_sub(1)?)?;
    if !matches!(current.trim_start().chars().next(), Some(']' | '}')) {
        return None;
    }
    Some(indented(&lines, line - 1..=line - 1))
}

/// `lines` joined again, with one more space before each line whose 0-based index is in `range`.
fn indented(lines: &[&str], range: std::ops::RangeInclusive<usize>) -> String {
    let mut out =
        String::with_capacity(lines.iter().map(|l| l.len()).sum::<usize>() + range.clone().count());
    for (i, current) in lines.iter().enumerate() {
        if range.contains(&i) {
            out.push(' ');
        }
        out.push_str(current);
    }
    out
}

/// `text` with one more space before line `line` (1-based) when the parser refused that line's
/// first character (`col`, 1-based) and the line continues a flow collection: the line before it
/// (blank and comment lines skipped) ends with `{`, `[` or `,`, and a `{` or `[` above it is
/// still open. A block line refused for its indentation is no such line, so it stays an error.
fn indent_flow_continuation(text: &str, line: usize, col: usize) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let current = lines.get(line.checked_sub(1)?)?;
    if current.len() - current.trim_start_matches(' ').len() + 1 != col {
        return None;
    }
    let above: Vec<&str> = lines[..line - 1]
        .iter()
        .map(|l| strip_comment(l).trim())
        .filter(|t| !t.is_empty())
        .collect();
    if !above.last()?.ends_with(['{', '[', ',']) {
        return None;
    }
    let mut depth = 0i64;
    let open = above.iter().rev().any(|l| {
        depth += bracket_balance(l);
        depth > 0
    });
    if !open {
        return None;
    }
    Some(indented(&lines, line - 1..=line - 1))
}

/// `line` without a trailing ` # comment` (a `#` after white space, outside quotes).
fn strip_comment(line: &str) -> &str {
    unquoted(line)
        .find(|&(_, c, before)| c == '#' && before.is_whitespace())
        .map_or(line, |(at, ..)| &line[..at])
}

/// Flow brackets `line` opens minus those it closes, outside quoted scalars.
fn bracket_balance(line: &str) -> i64 {
    unquoted(line)
        .map(|(_, c, _)| match c {
            '{' | '[' => 1,
            '}' | ']' => -1,
            _ => 0,
        })
        .sum()
}

/// The characters of `line` outside quoted scalars (the quotes excluded), each with its byte
/// offset and the character before it. A `'` opens a scalar only where one may start (after
/// white space or `[{,:`); a quote preceded by `\` does not close one.
fn unquoted(line: &str) -> impl Iterator<Item = (usize, char, char)> + '_ {
    let mut quote = None;
    let mut prev = ' ';
    line.char_indices().filter_map(move |(at, c)| {
        let before = std::mem::replace(&mut prev, c);
        match (quote, c) {
            (None, '"') => {
                quote = Some('"');
                None
            }
            (None, '\'') if before.is_whitespace() || "[{,:".contains(before) => {
                quote = Some('\'');
                None
            }
            (None, c) => Some((at, c, before)),
            (Some(q), c) if c == q && before != '\\' => {
                quote = None;
                None
            }
            _ => None,
        }
    })
}

/// `text` with one more space before each continuation line of the quoted scalar that opens at
/// `line`:`col` (1-based; the parser's mark of the opening quote), up to the line of its closing
/// quote; `None` when no multi-line quoted scalar opens there.
fn indent_quoted_continuation(text: &str, line: usize, col: usize) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let opening = lines.get(line.checked_sub(1)?)?;
    let mut rest = opening.chars().skip(col.checked_sub(1)?);
    let quote = rest.next().filter(|q| matches!(q, '"' | '\''))?;
    // Find the line of the closing quote: `\x` escapes in "…", `''` in '…'.
    let mut last = line - 1;
    let mut chars = rest.collect::<String>();
    let mut closed = false;
    'lines: loop {
        let mut it = chars.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '\\' if quote == '"' => {
                    it.next();
                }
                '\'' if quote == '\'' && it.peek() == Some(&'\'') => {
                    it.next();
                }
                c if c == quote => {
                    closed = true;
                    break 'lines;
                }
                _ => {}
            }
        }
        last += 1;
        match lines.get(last) {
            Some(next) => chars = (*next).to_owned(),
            None => break,
        }
    }
    if !closed || last == line - 1 {
        return None;
    }
    Some(indented(&lines, line..=last))
}

fn parse_once(
    source: &str,
    file: &Path,
    origin: Option<Arc<Path>>,
    warnings: &mut Vec<String>,
) -> Result<Option<Node>, TemplateError> {
    let mut builder = Builder {
        parser: Parser::new_from_str(source),
        anchors: HashMap::new(),
        alias_nodes: 0,
        file,
        origin,
        warnings,
    };
    loop {
        let (event, span) = builder.next()?;
        match event {
            Event::StreamStart | Event::DocumentStart(_) => continue,
            Event::StreamEnd | Event::DocumentEnd => return Ok(None),
            event => {
                let node = builder.node(event, span, "", 0)?;
                return Ok(if node.is_null() { None } else { Some(node) });
            }
        }
    }
}

/// Pulls events from the parser and folds them into [`Node`]s.
struct Builder<'a> {
    parser: Parser<'a, StrInput<'a>>,
    /// Anchored nodes (and their sizes) by the parser's anchor id, cloned on each alias.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes copied by aliases so far, checked against [`MAX_ALIAS_NODES`].
    alias_nodes: usize,
    file: &'a Path,
    /// Set on every node when the file is not the template's own.
    origin: Option<Arc<Path>>,
    /// Repeated keys, each said once.
    warnings: &'a mut Vec<String>,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), TemplateError> {
        match self.parser.next_event() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(e)) => Err(TemplateError::Syntax {
                file: self.file.to_path_buf(),
                line: e.marker().line(),
                col: e.marker().col() + 1,
                message: e.info().to_string(),
            }),
            // The parser always ends with StreamEnd before running dry, so this is only reached
            // if we ask again after the end; report it rather than panic.
            None => Err(TemplateError::Syntax {
                file: self.file.to_path_buf(),
                line: 0,
                col: 0,
                message: "unexpected end of input".into(),
            }),
        }
    }

    fn invalid(&self, span: Span, path: &str, message: String) -> TemplateError {
        TemplateError::Invalid {
            file: self.file.to_path_buf(),
            line: span.start.line(),
            col: span.start.col() + 1,
            property: display_path(path),
            message,
            hint: None,
        }
    }

    fn node(
        &mut self,
        event: Event<'a>,
        span: Span,
        path: &str,
        depth: usize,
    ) -> Result<Node, TemplateError> {
        if depth > MAX_DEPTH {
            return Err(self.invalid(
                span,
                path,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        let (line, col) = (span.start.line(), span.start.col() + 1);
        let (node, anchor) = match event {
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    _ => Style::Quoted,
                };
                let node = Node {
                    kind: Kind::Scalar(value.into_owned(), style),
                    tag: local_tag(tag.as_deref()),
                    line,
                    col,
                    file: self.origin.clone(),
                };
                (node, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let item_path = format!("{path}[{}]", items.len());
                    items.push(self.node(event, span, &item_path, depth + 1)?);
                }
                let node = Node {
                    kind: Kind::Seq(items),
                    tag: local_tag(tag.as_deref()),
                    line,
                    col,
                    file: self.origin.clone(),
                };
                (node, anchor)
            }
            Event::MappingStart(anchor, tag) => {
                let mut entries: Vec<(String, Node)> = Vec::new();
                // Lines of the keys, parallel to `entries`, for duplicate-key messages.
                let mut key_lines: Vec<usize> = Vec::new();
                // `<<: *anchor` merge keys: their entries fill in keys the mapping does not set.
                let mut merged: Vec<(String, Node)> = Vec::new();
                loop {
                    let (event, key_span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = match self.node(event, key_span, path, depth + 1)? {
                        Node {
                            kind: Kind::Scalar(key, _),
                            ..
                        } => key,
                        _ => {
                            return Err(self.invalid(
                                key_span,
                                path,
                                "mapping keys must be plain strings".into(),
                            ));
                        }
                    };
                    let value_path = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    let repeated = entries.iter().position(|(k, _)| *k == key);
                    let (event, span) = self.next()?;
                    let value = self.node(event, span, &value_path, depth + 1)?;
                    if let Some(i) = repeated {
                        self.warnings.push(format!(
                            "{}:{}:{}: {}: duplicate key {key:?} (also on line {}); the last value wins, as CloudFormation and SAM CLI load it",
                            self.file.display(),
                            key_span.start.line(),
                            key_span.start.col() + 1,
                            display_path(&value_path),
                            key_lines[i]
                        ));
                        entries[i].1 = value;
                        key_lines[i] = key_span.start.line();
                        continue;
                    }
                    if key == "<<" {
                        let sources = match value.kind {
                            Kind::Map(_) => vec![value],
                            Kind::Seq(items) => items,
                            Kind::Scalar(..) => {
                                return Err(self.invalid(
                                    span,
                                    &value_path,
                                    "<< merges a mapping or a list of mappings".into(),
                                ));
                            }
                        };
                        for source in sources {
                            let Kind::Map(source_entries) = source.kind else {
                                return Err(self.invalid(
                                    span,
                                    &value_path,
                                    "<< merges a mapping or a list of mappings".into(),
                                ));
                            };
                            for (k, v) in source_entries {
                                if !merged.iter().any(|(m, _)| *m == k) {
                                    merged.push((k, v));
                                }
                            }
                        }
                        continue;
                    }
                    entries.push((key, value));
                    key_lines.push(key_span.start.line());
                }
                for (k, v) in merged {
                    if !entries.iter().any(|(e, _)| *e == k) {
                        entries.push((k, v));
                    }
                }
                let node = Node {
                    kind: Kind::Map(entries),
                    tag: local_tag(tag.as_deref()),
                    line,
                    col,
                    file: self.origin.clone(),
                };
                (node, anchor)
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((node, size)) => {
                    self.alias_nodes += size;
                    if self.alias_nodes > MAX_ALIAS_NODES {
                        return Err(self.invalid(
                            span,
                            path,
                            "aliases expand to too many nodes".into(),
                        ));
                    }
                    (node.clone(), 0)
                }
                None => return Err(self.invalid(span, path, "alias to an unknown anchor".into())),
            },
            other => {
                return Err(self.invalid(span, path, format!("unexpected YAML event {other:?}")));
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size(&node)));
        }
        Ok(node)
    }
}

/// The number of nodes in a tree.
fn size(node: &Node) -> usize {
    match &node.kind {
        Kind::Scalar(..) => 1,
        Kind::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Kind::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + size(v)).sum::<usize>(),
    }
}

/// Keeps application tags (`!Ref`) and drops YAML core-schema ones (`!!str`), which change nothing here.
fn local_tag(tag: Option<&Tag>) -> Option<String> {
    tag.filter(|t| !t.is_yaml_core_schema())
        .map(ToString::to_string)
}

/// The root of the document has an empty path; say so in messages.
pub(crate) fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(template)".to_string()
    } else {
        path.to_string()
    }
}
