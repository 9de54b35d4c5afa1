//! Swapping a template generation while requests are in flight: none fails, and new requests
//! reach the new generation's code.

use std::sync::Arc;
use std::time::Duration;

use sluice_server::{Application, Config, Listeners};
use tokio::net::TcpListener;

/// A template whose one python function answers with `version`.
fn template(version: &str) -> String {
    format!(
        r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Version:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {{"statusCode": 200, "body": "{version}"}}
      Events:
        Get:
          Type: Api
          Properties:
            Path: /version
            Method: get
"#
    )
}

fn load(path: &std::path::Path, version: &str) -> sluice_template::Model {
    std::fs::write(path, template(version)).expect("write template");
    sluice_template::load(path, &sluice_template::LoadOptions::default()).expect("valid template")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generation_swapped_under_load_fails_no_request() {
    let dir = sluice_testkit::fresh_dir("reload");
    let path = dir.join("template.yaml");
    let mut config = Config::new(path.clone());
    config.in_memory = true;
    config.state_dir = Some(dir.join(".sluice"));

    let services = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let api = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/version", api.local_addr().expect("addr"));
    let app = Arc::new(
        Application::build(
            &config,
            load(&path, "v1"),
            services.local_addr().expect("addr"),
        )
        .expect("application builds"),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = {
        let app = app.clone();
        tokio::spawn(async move {
            let listeners = Listeners {
                api: Some(api),
                function_urls: Vec::new(),
                services,
            };
            app.run(listeners, async move {
                let _ = stopped.await;
            })
            .await;
        })
    };

    let client = reqwest::Client::new();
    let load_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (client, url, done) = (client.clone(), url.clone(), load_done.clone());
        clients.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            // Bounded: stops when the reloads are over, or after 20,000 requests.
            while !done.load(std::sync::atomic::Ordering::Relaxed) && answers.len() < 20_000 {
                let answer = match client.get(&url).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        (status, response.text().await.unwrap_or_default())
                    }
                    Err(error) => (0, error.to_string()),
                };
                answers.push(answer);
            }
            answers
        }));
    }

    // Swap back and forth under the load; after each swap, wait until the new code answers (a
    // cold start on a busy machine can take a while), so every swap happens mid-traffic.
    let answers_with = |version: &'static str| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            for _ in 0..400 {
                if let Ok(response) = client.get(&url).send().await {
                    if response.text().await.unwrap_or_default() == version {
                        return true;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    assert!(
        answers_with("v1").await,
        "the first generation never answered"
    );
    for round in 0..6 {
        let version = if round % 2 == 0 { "v2" } else { "v1" };
        app.reload(load(&path, version), &Default::default())
            .expect("reload builds");
        assert!(answers_with(version).await, "{version} never answered");
    }
    load_done.store(true, std::sync::atomic::Ordering::Relaxed);

    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.expect("client task"));
    }
    let failed: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(
        failed.is_empty(),
        "failed requests: {:?}",
        &failed[..failed.len().min(5)]
    );
    // Every answer came from one generation or the other.
    assert!(answers.iter().all(|(_, body)| body == "v1" || body == "v2"));
    // The last reload installed v1: a new request gets it.
    let last = client.get(&url).send().await.expect("request");
    assert_eq!(last.text().await.expect("body"), "v1");

    let _ = stop.send(());
    server.await.expect("server task");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_functions_stay_warm_across_a_reload_and_changed_code_starts_cold() {
    let dir = sluice_testkit::fresh_dir("reload");
    let path = dir.join("template.yaml");
    let mut config = Config::new(path.clone());
    config.in_memory = true;
    config.state_dir = Some(dir.join(".sluice"));
    let services = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let app = Application::build(
        &config,
        load(&path, "v1"),
        services.local_addr().expect("addr"),
    )
    .expect("application builds");
    let cold = |tail: &str| tail.contains("Init Duration");

    let first = app.invoke("Version", "{}".into()).await.expect("invoke");
    assert!(
        cold(&first.log_tail),
        "the first invocation starts a sandbox"
    );

    // Same template, nothing changed: the warm sandbox is kept.
    app.reload(load(&path, "v1"), &Default::default())
        .expect("reload");
    let warm = app.invoke("Version", "{}".into()).await.expect("invoke");
    assert!(!cold(&warm.log_tail), "{}", warm.log_tail);

    // The same spec, but the watcher says its code changed: fresh sandboxes.
    let changed = ["Version".to_owned()].into_iter().collect();
    app.reload(load(&path, "v1"), &changed).expect("reload");
    let fresh = app.invoke("Version", "{}".into()).await.expect("invoke");
    assert!(cold(&fresh.log_tail), "{}", fresh.log_tail);

    // A changed template (new code inline): fresh sandboxes answering with the new code.
    app.reload(load(&path, "v2"), &Default::default())
        .expect("reload");
    let new = app.invoke("Version", "{}".into()).await.expect("invoke");
    assert!(cold(&new.log_tail), "{}", new.log_tail);
    assert!(String::from_utf8_lossy(&new.payload).contains("v2"));
    app.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
