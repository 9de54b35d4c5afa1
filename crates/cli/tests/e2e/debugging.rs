//! `--debug-port`: functions started under their language's debugger (SAM parity, issue 7).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use sluice_testkit::Server;

use crate::{client, fixture_template, sluice};

#[test]
fn debug_port_starts_the_chosen_node_function_with_its_inspector_and_no_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let port_text = port.to_string();
    let server = Server::start(
        sluice(),
        &fixture_template(),
        &["-d", &port_text, "--debug-function", "NodeFunction"],
    );
    assert!(server
        .wait_for_log(&format!(
            "Debugger: function NodeFunction starts with a debugger on 127.0.0.1:{port}"
        ))
        .is_some());
    let response: serde_json::Value = client()
        .get(server.url("/node"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let remaining = response["remaining"].as_u64().unwrap();
    assert!(remaining > 3_600_000, "timeout lifted, {remaining} ms left");
    let inspector: serde_json::Value = client()
        .get(format!("http://127.0.0.1:{port}/json/version"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        inspector["Browser"]
            .as_str()
            .unwrap_or_default()
            .starts_with("node.js"),
        "{inspector}"
    );
    // Functions the debugger was not asked for run as usual.
    let shape = client().get(server.url("/shape/empty")).send().unwrap();
    assert_eq!(shape.status(), 200);
}

/// A minimal Debug Adapter Protocol client: `Content-Length` framed JSON over TCP, as VS Code
/// speaks it to debugpy.
struct Dap {
    reader: BufReader<std::net::TcpStream>,
    writer: std::net::TcpStream,
    seq: u64,
}

impl Dap {
    fn connect(port: u16) -> Dap {
        let deadline = Instant::now() + Duration::from_secs(60);
        let stream = loop {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(stream) => break stream,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("debugpy never listened on {port}: {e}"),
            }
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Dap {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            seq: 0,
        }
    }

    fn send(&mut self, command: &str, arguments: serde_json::Value) -> u64 {
        self.seq += 1;
        let body = serde_json::json!({
            "seq": self.seq, "type": "request", "command": command, "arguments": arguments,
        })
        .to_string();
        write!(self.writer, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.seq
    }

    fn read(&mut self) -> serde_json::Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("DAP header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length:") {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Reads messages until one matches, returning it (events and responses in between are skipped).
    fn until(&mut self, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        loop {
            let message = self.read();
            if wanted(&message) {
                return message;
            }
        }
    }

    fn response(&mut self, seq: u64) -> serde_json::Value {
        let response = self.until(|m| m["type"] == "response" && m["request_seq"] == seq);
        assert_eq!(response["success"], true, "{response}");
        response
    }
}

#[test]
fn debug_port_with_debugpy_stops_at_a_breakpoint_set_through_dap_and_continues() {
    if Command::new("python3")
        .args(["-c", "import debugpy"])
        .status()
        .map_or(true, |s| !s.success())
    {
        panic!("debugpy is missing: `python3 -m pip install -r requirements-test.txt`");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let debug_args = format!("-m debugpy --listen {listen} --wait-for-client");
    let server = Server::start(
        sluice(),
        &fixture_template(),
        &[
            "-d",
            &port.to_string(),
            "--debug-function",
            "ShapeFunction",
            "--debug-args",
            &debug_args,
        ],
    );
    // The sandbox starts with the first request and waits for the debugger before running it.
    let url = server.url("/shape/numeric-string");
    let request = std::thread::spawn(move || {
        let response = client().get(url).send().unwrap();
        (response.status().as_u16(), response.text().unwrap())
    });

    let handler = fixture_template()
        .parent()
        .unwrap()
        .join("py/shapes.py")
        .canonicalize()
        .unwrap();
    let line = std::fs::read_to_string(&handler)
        .unwrap()
        .lines()
        .position(|l| l.contains(r#"kind = event["pathParameters"]["kind"]"#))
        .expect("the handler's first line")
        + 1;

    let mut dap = Dap::connect(port);
    let init = dap.send(
        "initialize",
        serde_json::json!({"clientID": "sluice-test", "adapterID": "debugpy", "pathFormat": "path",
            "linesStartAt1": true, "columnsStartAt1": true}),
    );
    dap.response(init);
    let attach = dap.send("attach", serde_json::json!({"justMyCode": false}));
    dap.until(|m| m["type"] == "event" && m["event"] == "initialized");
    let set = dap.send(
        "setBreakpoints",
        serde_json::json!({"source": {"path": handler}, "breakpoints": [{"line": line}]}),
    );
    let breakpoints = dap.response(set);
    assert_eq!(
        breakpoints["body"]["breakpoints"][0]["verified"], true,
        "{breakpoints}"
    );
    let done = dap.send("configurationDone", serde_json::json!({}));
    dap.response(done);
    dap.response(attach);

    let stopped = dap.until(|m| m["type"] == "event" && m["event"] == "stopped");
    assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
    let thread = stopped["body"]["threadId"].clone();
    let trace = dap.send("stackTrace", serde_json::json!({"threadId": thread}));
    let frames = dap.response(trace);
    let top = &frames["body"]["stackFrames"][0];
    assert_eq!(top["name"], "handler", "{frames}");
    assert_eq!(top["line"], line, "{frames}");
    // The request is held at the breakpoint until the debugger continues it.
    assert!(!request.is_finished());
    let resume = dap.send("continue", serde_json::json!({"threadId": thread}));
    dap.response(resume);

    let (status, body) = request.join().unwrap();
    assert_eq!((status, body.as_str()), (201, "created"));
}
