//! CORS checked by a real browser: headless Chromium loads a page from a second local origin and
//! calls the API with `fetch()`. Allowed requests must succeed in the browser and the rest must be
//! blocked by it, exactly as production would behave, for a REST API whose function returns CORS
//! headers, one whose function forgets them, and an HTTP API with `CorsConfiguration`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sluice_testkit::{chromium, HeadlessBrowser, PageServer, Server};

use crate::sluice;

/// The page: runs every case against `?api=` and posts `{case: "ok <status>" | "blocked"}` back.
const PAGE: &str = r#"<!doctype html>
<html><body><pre id="out">running</pre><script>
const params = new URLSearchParams(location.search);
const api = params.get("api");
async function attempt(path, init) {
  try {
    const response = await fetch(api + path, init);
    await response.text();
    return "ok " + response.status;
  } catch (e) {
    return "blocked";
  }
}
(async () => {
  const results = {};
  for (const path of ["/rest-good", "/rest-forgot", "/http"]) {
    results[path + " GET"] = await attempt(path, {});
    results[path + " POST"] = await attempt(path, {
      method: "POST",
      headers: { "Authorization": "Bearer token", "Content-Type": "application/json" },
      body: JSON.stringify({ hello: "world" }),
    });
  }
  document.getElementById("out").textContent = JSON.stringify(results);
  await fetch("/result", { method: "POST", body: JSON.stringify(results) });
})();
</script></body></html>"#;

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/browser-cors/template.yaml")
}

/// Loads the page at `page_url` and returns what it reported.
fn run_page(chromium: &Path, pages: &PageServer, page_url: &str) -> BTreeMap<String, String> {
    let _browser = HeadlessBrowser::open(chromium, page_url);
    let report = pages
        .next_result(Duration::from_secs(90))
        .unwrap_or_else(|| panic!("the page at {page_url} reported nothing within 90 s"));
    serde_json::from_str(&report).unwrap_or_else(|e| panic!("bad report {report}: {e}"))
}

fn expect(rows: &[(&str, &str)]) -> BTreeMap<String, String> {
    rows.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn browsers_allow_and_block_cross_origin_calls_as_in_production() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "SKIPPED browsers_allow_and_block_cross_origin_calls_as_in_production: chromium is not \
             installed here (CI installs it in .ci/run; locally: apt-get install chromium)"
        );
        return;
    };
    let pages = PageServer::start(PAGE);
    let port = pages.addr.port();
    let allowed_origin = format!("http://127.0.0.1:{port}");
    let server = Server::start(
        sluice(),
        &template(),
        &[
            "--parameter-overrides",
            &format!("AllowedOrigin={allowed_origin}"),
        ],
    );
    let api = &server.base_url;

    // The allowed origin: simple GETs and preflighted JSON POSTs with Authorization.
    let allowed = run_page(&chromium, &pages, &format!("{allowed_origin}/?api={api}"));
    assert_eq!(
        allowed,
        expect(&[
            ("/rest-good GET", "ok 200"),
            ("/rest-good POST", "ok 200"),
            // The REST gateway adds nothing to proxy responses: the browser blocks, as on AWS.
            ("/rest-forgot GET", "blocked"),
            ("/rest-forgot POST", "blocked"),
            ("/http GET", "ok 200"),
            ("/http POST", "ok 200"),
        ]),
        "from the allowed origin {allowed_origin}"
    );
    // Blocked by the browser, not by the network: the function did answer.
    assert!(
        server
            .wait_for_log("\"GET /rest-forgot HTTP/1.1\" 200")
            .is_some(),
        "the forgetful function ran"
    );

    // The same page from another origin (`localhost` is not `127.0.0.1` to a browser).
    let other_origin = format!("http://localhost:{port}");
    let refused = run_page(&chromium, &pages, &format!("{other_origin}/?api={api}"));
    assert!(
        refused.values().all(|v| v == "blocked") && refused.len() == 6,
        "from the disallowed origin {other_origin}: {refused:?}"
    );
}
