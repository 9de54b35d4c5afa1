//! HTML for the console: one escaper every piece of text goes through, and the page frame.
//!
//! Hand-written rather than a template crate: the pages are a few tables, and a proc-macro
//! template engine would cost more build time than the forty lines it saves.

use std::fmt::Write;

/// `text` with the five characters that can break out of HTML text or a quoted attribute
/// replaced by entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `value` percent-encoded for a URL's path segment or query value.
pub fn url_part(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Builds one page: a title, a navigation bar over the console's pages, and sections.
pub struct Page {
    prefix: String,
    title: String,
    body: String,
}

/// The page's inline style (no external assets: the console works offline and behind proxies).
const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}\
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}pre{margin:0;white-space:pre-wrap;word-break:break-all;max-width:60em}\
nav a{margin-right:1em}.err{color:#b00}.num{text-align:right}details{margin:.2em 0}";

impl Page {
    /// An empty page titled `title` (escaped) under the console at `prefix`.
    pub fn new(prefix: &str, title: &str) -> Page {
        Page {
            prefix: prefix.to_owned(),
            title: escape(title),
            body: String::new(),
        }
    }

    /// Appends a heading (escaped).
    pub fn heading(&mut self, text: &str) {
        let _ = write!(self.body, "<h2>{}</h2>", escape(text));
    }

    /// Appends a paragraph of text (escaped).
    pub fn text(&mut self, text: &str) {
        let _ = write!(self.body, "<p>{}</p>", escape(text));
    }

    /// Appends markup the caller built from escaped parts.
    pub fn raw(&mut self, html: &str) {
        self.body.push_str(html);
    }

    /// Appends a table: `header` and `rows` are already HTML (build cells with [`escape`]).
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.body.push_str("<table><tr>");
        for h in header {
            let _ = write!(self.body, "<th>{}</th>", escape(h));
        }
        self.body.push_str("</tr>");
        for row in rows {
            self.body.push_str("<tr>");
            for cell in row {
                let _ = write!(self.body, "<td>{cell}</td>");
            }
            self.body.push_str("</tr>");
        }
        self.body.push_str("</table>");
    }

    /// The finished document.
    pub fn finish(self) -> String {
        let p = escape(&self.prefix);
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title} · Sluice</title>\
<link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style></head><body><nav><a href=\"{p}/\">Overview</a><a href=\"{p}/requests\">Requests</a>\
<a href=\"{p}/tables\">Tables</a><a href=\"{p}/metrics\">Metrics</a></nav><h1>{title}</h1>{body}</body></html>",
            title = self.title,
            body = self.body
        )
    }
}

/// A `<pre>` block of `text` (escaped), pretty-printed first when it is JSON.
pub fn code_block(text: &[u8]) -> String {
    let pretty = serde_json::from_slice::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok());
    let shown = match &pretty {
        Some(p) => p.as_str().into(),
        None => String::from_utf8_lossy(text),
    };
    format!("<pre>{}</pre>", escape(&shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup_and_attribute_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("plain é text"), "plain é text");
    }

    #[test]
    fn pages_escape_titles_text_headings_and_code() {
        let mut page = Page::new("/_sluice", "<b>title</b>");
        page.heading("a<b");
        page.text("1 > 0 & \"q\"");
        page.raw(&code_block(br#"{"html":"<img src=x onerror=alert(1)>"}"#));
        page.raw(&code_block(b"not json <i>"));
        let html = page.finish();
        assert!(html.contains("<title>&lt;b&gt;title&lt;/b&gt; · Sluice</title>"));
        assert!(html.contains("<h2>a&lt;b</h2>"));
        assert!(html.contains("<p>1 &gt; 0 &amp; &quot;q&quot;</p>"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("not json &lt;i&gt;"));
        assert!(
            !html.contains("<img"),
            "no markup from data survives: {html}"
        );
        assert!(html.contains("href=\"/_sluice/requests\""));
        // A browser would otherwise ask the app for /favicon.ico, a request the user never made.
        assert!(html.contains("<link rel=\"icon\" href=\"data:,\">"));
    }

    #[test]
    fn json_bodies_are_pretty_printed() {
        assert_eq!(
            code_block(br#"{"a":1}"#),
            "<pre>{\n  &quot;a&quot;: 1\n}</pre>"
        );
    }
}
