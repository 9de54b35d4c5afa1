//! `--static-dir`: files from a folder served at `/` before API routing, as SAM CLI's local API
//! does (its Flask app serves the folder as static files with `static_url_path=""`).

use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use http::{header, Method, Response, StatusCode};
use http_body_util::Full;

/// A folder whose files answer `GET`/`HEAD` requests for their path.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: PathBuf,
}

impl StaticFiles {
    /// Serves `root`; `None` when it is not a folder (SAM's default `public/` is often absent).
    pub fn new(root: &Path) -> Option<Self> {
        root.is_dir().then(|| Self {
            root: root.to_owned(),
        })
    }

    /// The file's response when the request names a file in the folder; `None` lets the request
    /// go on to the API routes.
    pub fn respond(&self, method: &Method, path: &str) -> Option<Response<Full<Bytes>>> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let file = self.file_for(path)?;
        let content = std::fs::read(&file).ok()?;
        let length = content.len();
        let body = if method == Method::HEAD {
            Bytes::new()
        } else {
            Bytes::from(content)
        };
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = StatusCode::OK;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(content_type(&file)),
        );
        headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(length));
        Some(response)
    }

    /// The file a URL path names, never outside the folder (`..` and absolute segments refused).
    fn file_for(&self, path: &str) -> Option<PathBuf> {
        let decoded = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .ok()?;
        let relative = Path::new(decoded.trim_start_matches('/'));
        if relative.as_os_str().is_empty()
            || relative
                .components()
                .any(|c| !matches!(c, Component::Normal(_)))
        {
            return None;
        }
        let file = self.root.join(relative);
        file.is_file().then_some(file)
    }
}

/// The `Content-Type` for a file, by extension (the common web types; anything else is bytes).
fn content_type(file: &Path) -> &'static str {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/vnd.microsoft.icon",
        Some("wasm") => "application/wasm",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_files_inside_the_folder_only() {
        let root = std::env::temp_dir().join(format!("sluice-static-{}", std::process::id()));
        std::fs::create_dir_all(root.join("css")).unwrap();
        std::fs::write(root.join("css/site.css"), "body{}").unwrap();
        let files = StaticFiles::new(&root).unwrap();
        let found = files.respond(&Method::GET, "/css/site.css").unwrap();
        assert_eq!(found.headers()["content-type"], "text/css; charset=utf-8");
        assert_eq!(found.headers()["content-length"], "6");
        assert!(files
            .respond(&Method::GET, "/css/../css/site.css")
            .is_none());
        assert!(files.respond(&Method::GET, "/%2e%2e/etc/passwd").is_none());
        assert!(files.respond(&Method::POST, "/css/site.css").is_none());
        assert!(
            files.respond(&Method::GET, "/").is_none(),
            "folders go to the API"
        );
        assert!(files.respond(&Method::GET, "/missing.js").is_none());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
