//! Command-line flags, mirroring SAM CLI's so its users keep their habits.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

/// `sluice --version`: the crate version and the git commit it was built from (see `build.rs`).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SLUICE_BUILD_COMMIT"),
    ")"
);

/// Runs a SAM application's API Gateway and Lambda functions locally, without Docker.
#[derive(Debug, Parser)]
#[command(name = "sluice", version = VERSION, about)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the template's REST APIs (like `sam local start-api`).
    StartApi(StartApiArgs),
    /// Invoke one function once (like `sam local invoke`).
    Invoke(InvokeArgs),
    /// Serve the services endpoint alone: Lambda's Invoke API and DynamoDB (like `sam local start-lambda`).
    StartLambda(StartLambdaArgs),
    /// Serve each Function URL at the root of a port of its own (like `sam local start-function-urls`).
    StartFunctionUrls(StartFunctionUrlsArgs),
    /// Serve the services endpoint alone on --services-port (DynamoDB, Lambda Invoke API).
    StartServices(StartServicesArgs),
    /// Load the template and report problems, or summarize it.
    Validate(TemplateArgs),
    /// Export or import DynamoDB data (JSON lines) to seed and back up the local store.
    #[command(subcommand)]
    Ddb(DdbCommand),
    /// Print a signed Cognito-shaped token for a user pool of the template.
    Token(TokenArgs),
    /// List the template's API keys and their values.
    ApiKeys(ApiKeysArgs),
    /// SAM CLI's spelling: `sluice local start-api`, `sluice local invoke`.
    #[command(subcommand)]
    Local(LocalCommand),
    /// Print a sample event an AWS service sends to a function (like `sam local generate-event`).
    #[command(disable_help_flag = true)]
    GenerateEvent(GenerateEventArgs),
    /// Print functions' logs as CloudWatch keeps them (like `sam logs`).
    Logs(LogsArgs),
    /// Install functions' dependencies where Lambda would find them (like `sam build`).
    Build(BuildArgs),
    /// What the logged traffic would cost on AWS: Lambda, and each front door.
    Report(StoreArgs),
}

/// `sluice local …` aliases.
#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Same as `sluice start-api`.
    StartApi(StartApiArgs),
    /// Same as `sluice invoke`.
    Invoke(InvokeArgs),
    /// Same as `sluice start-lambda`.
    StartLambda(StartLambdaArgs),
    /// Same as `sluice start-function-urls`.
    StartFunctionUrls(StartFunctionUrlsArgs),
    /// Same as `sluice generate-event`.
    #[command(disable_help_flag = true)]
    GenerateEvent(GenerateEventArgs),
}

/// `generate-event SERVICE EVENT [--flag VALUE …]`: parsed by `generate_event::command`, whose
/// services, events and flags come from its catalog.
#[derive(Debug, Clone, ClapArgs)]
pub struct GenerateEventArgs {
    /// The service, the event and its flags (`--help` lists them).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub args: Vec<String>,
}

/// Which template, and how to resolve it.
#[derive(Debug, Clone, ClapArgs)]
pub struct TemplateArgs {
    /// The SAM template, or a folder holding template.yaml/template.yml (default: the current folder).
    #[arg(
        short = 't',
        long = "template",
        alias = "template-file",
        env = "SAM_TEMPLATE_FILE"
    )]
    pub template: Option<PathBuf>,
    /// Parameter values: `ParameterKey=K,ParameterValue=V ...` (SAM's form) or `K=V ...`.
    #[arg(long, num_args = 1.., value_name = "OVERRIDES")]
    pub parameter_overrides: Vec<String>,
    /// Region reported to functions and in ARNs (default: `AWS_REGION`, then `AWS_DEFAULT_REGION`,
    /// then us-east-1).
    #[arg(long, env = "AWS_REGION")]
    pub region: Option<String>,
    /// SAM's configuration file (default: samconfig.toml, .yaml or .yml next to the template).
    #[arg(long, value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// The samconfig environment to read (default: `default`).
    #[arg(long, value_name = "ENV")]
    pub config_env: Option<String>,
    /// Verbose logs: Sluice's own debug lines (as SAM's --debug).
    #[arg(long)]
    pub debug: bool,
    /// Does not apply: functions get Sluice's local credentials, no AWS profile is read.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Not supported yet: samconfig is read, never written.
    #[arg(long)]
    pub save_params: bool,
    /// Accepted for SAM compatibility; Sluice has no beta features to switch.
    #[arg(long, overrides_with = "no_beta_features")]
    pub beta_features: bool,
    /// Accepted for SAM compatibility; Sluice has no beta features to switch.
    #[arg(long)]
    pub no_beta_features: bool,
}

impl TemplateArgs {
    /// The region: `--region` or `AWS_REGION`, else `AWS_DEFAULT_REGION` (the variable SAM CLI's
    /// boto session reads), else us-east-1.
    pub fn region(&self) -> String {
        let set = |region: &String| !region.is_empty();
        self.region
            .clone()
            .filter(set)
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok().filter(set))
            .unwrap_or_else(|| sluice_aws_env::AwsEnv::DEFAULT_REGION.to_owned())
    }
}

/// SAM CLI's flags for commands that run functions: debugger, logs, and the ones that configure
/// Docker (accepted so SAM command lines and samconfig files work; each says why it does not apply).
#[derive(Debug, Clone, Default, ClapArgs)]
pub struct SamRunArgs {
    /// Writes function logs to this file instead of the terminal (as SAM's --log-file).
    #[arg(short = 'l', long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Not supported yet: port for a debugger to attach to.
    #[arg(
        short = 'd',
        long,
        value_name = "PORT",
        env = "SAM_DEBUG_PORT",
        value_delimiter = ','
    )]
    pub debug_port: Vec<u16>,
    /// Not supported yet: the debugger to run `provided` functions under.
    #[arg(long, value_name = "PATH")]
    pub debugger_path: Option<PathBuf>,
    /// Not supported yet: arguments for the debugger.
    #[arg(
        long,
        value_name = "ARGS",
        allow_hyphen_values = true,
        env = "DEBUGGER_ARGS"
    )]
    pub debug_args: Option<String>,
    /// Does not apply (no Docker): SAM's container environment variables file.
    #[arg(long, value_name = "FILE")]
    pub container_env_vars: Option<PathBuf>,
    /// Does not apply (no Docker): the folder Docker mounts.
    #[arg(short = 'v', long, value_name = "DIR")]
    pub docker_volume_basedir: Option<PathBuf>,
    /// Does not apply (no Docker): the network containers join.
    #[arg(long, value_name = "NETWORK")]
    pub docker_network: Option<String>,
    /// Does not apply (no Docker): skip pulling the runtime image.
    #[arg(long)]
    pub skip_pull_image: bool,
    /// Does not apply (no Docker): rebuild the image used for layers.
    #[arg(long)]
    pub force_image_build: bool,
    /// Does not apply (no Docker): the image functions run in.
    #[arg(long, value_name = "IMAGE")]
    pub invoke_image: Vec<String>,
    /// Does not apply (no Docker): the host running the containers.
    #[arg(long, value_name = "HOST")]
    pub container_host: Option<String>,
    /// Does not apply (no Docker): the interface container ports bind to.
    #[arg(long, value_name = "IP")]
    pub container_host_interface: Option<String>,
    /// Does not apply (no Docker): extra /etc/hosts entries for containers.
    #[arg(long, value_name = "HOST:IP")]
    pub add_host: Vec<String>,
    /// Does not apply (no Docker): mount symlinks into containers.
    #[arg(long)]
    pub mount_symlinks: bool,
    /// SAM's spelling of --no-sandbox-limits: MemorySize (and Lambda's process limit) not enforced.
    #[arg(long)]
    pub no_memory_limit: bool,
    /// Does not apply: where downloaded layers are cached (only local layers are used).
    #[arg(long, value_name = "DIR", env = "SAM_LAYER_CACHE_BASEDIR")]
    pub layer_cache_basedir: Option<PathBuf>,
    /// Send extensions the SHUTDOWN event after the invocation and wait for them, as Lambda's
    /// Shutdown phase does (`invoke`); the servers always do so when a sandbox stops.
    #[arg(long)]
    pub shutdown: bool,
    /// Not supported yet: SAM's Terraform hook.
    #[arg(long, value_name = "HOOK")]
    pub hook_name: Option<String>,
    /// Not supported yet: SAM's Terraform hook.
    #[arg(long)]
    pub skip_prepare_infra: bool,
    /// Not supported yet: SAM's Terraform hook.
    #[arg(long, value_name = "FILE")]
    pub terraform_plan_file: Option<PathBuf>,
}

/// Options shared by commands that run functions.
#[derive(Debug, Clone, ClapArgs)]
pub struct RunArgs {
    /// JSON file of environment variable overrides, as SAM's `--env-vars`.
    #[arg(short = 'n', long)]
    pub env_vars: Option<PathBuf>,
    /// Where Sluice keeps its state (default: `.sluice/` next to the template).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Keep DynamoDB data in memory only: nothing is written, everything is gone at exit.
    #[arg(long)]
    pub in_memory: bool,
    /// Send DynamoDB and DynamoDB Streams calls to this DynamoDB-compatible service
    /// (`http://host:port` or `https://host:port`, trusting the host's roots, or SSL_CERT_FILE's when set:
    /// ScyllaDB Alternator, DynamoDB Local, or DynamoDB's regional endpoint, re-signed with the
    /// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY credentials) instead of the embedded store; the
    /// template's tables are created there.
    #[arg(long, value_name = "URL")]
    pub dynamodb_endpoint: Option<String>,
    /// Sandboxes per function when the template sets no ReservedConcurrentExecutions.
    #[arg(long, default_value_t = 10)]
    pub default_concurrency: usize,
    /// Do not enforce MemorySize or Lambda's process limit on sandboxes (for debugging).
    #[arg(long)]
    pub no_sandbox_limits: bool,
    /// When Sluice runs as root: the user sandboxes run as (default nobody; root keeps root).
    #[arg(long, value_name = "USER")]
    pub sandbox_user: Option<String>,
    /// Start every python sandbox as a fresh interpreter, instead of forking it from a warm
    /// template process that has the runtime loaded (slower cold starts; for debugging).
    #[arg(long)]
    pub no_fork_server: bool,
    /// Once listening, write `{"api": URL, "services": URL}` to this file (for scripts and tests
    /// that start Sluice on port 0).
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
    /// Most connections held at once on the API and services ports together (default: what the
    /// descriptor limit allows); at the limit the quietest connection is closed.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
}

/// `start-api` flags.
#[derive(Debug, Clone, ClapArgs)]
pub struct StartApiArgs {
    /// Template selection.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Function options.
    #[command(flatten)]
    pub run: RunArgs,
    /// Port to listen on (0 picks a free one).
    #[arg(short = 'p', long, default_value_t = 3000)]
    pub port: u16,
    /// Address the API listens on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[command(flatten)]
    pub services: ServicesEndpointArgs,
    /// Where the local console answers on the API port (routes, functions, last requests,
    /// tables, costs; Prometheus metrics under `/metrics`).
    /// [default: /_sluice]
    #[arg(long, value_name = "PATH")]
    pub console_path: Option<String>,
    /// Turn the local console off: its path is routed like any other.
    #[arg(long)]
    pub no_console: bool,
    /// Where usage-plan counters and token buckets live: `redis://host:port` shares them with
    /// other Sluice processes (default: this process, quotas kept in the state folder).
    #[arg(long, value_name = "URL")]
    pub limits_store: Option<String>,
    /// The account-level throttle all APIs share, as a raised Service Quotas limit would set it:
    /// `RATE` requests per second, with a burst of `BURST` (default: half the rate).
    /// [default: 10000,5000, AWS's default quota]
    #[arg(long, value_name = "RATE[,BURST]", value_parser = parse_throttle)]
    pub account_throttle: Option<sluice_template::auth_model::Throttle>,
    /// Static files served at `/` before routing (default: `public/` next to the template).
    #[arg(short = 's', long, value_name = "DIR", default_value = "public")]
    pub static_dir: PathBuf,
    /// Turns authorizers off (kept in the configuration for when authorizers are emulated).
    #[arg(long)]
    pub disable_authorizer: bool,
    /// Not supported yet: HTTPS certificate (Sluice serves plain HTTP).
    #[arg(long, value_name = "FILE")]
    pub ssl_cert_file: Option<PathBuf>,
    /// Not supported yet: HTTPS key (Sluice serves plain HTTP).
    #[arg(long, value_name = "FILE")]
    pub ssl_key_file: Option<PathBuf>,
    /// How the functions run and reload.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// `start-lambda` flags (SAM's: the endpoint on -p, default 3001).
#[derive(Debug, Clone, ClapArgs)]
pub struct StartLambdaArgs {
    /// Template selection.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Function options.
    #[command(flatten)]
    pub run: RunArgs,
    /// Port to listen on (0 picks a free one).
    #[arg(short = 'p', long, default_value_t = 3001)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// How the functions run and reload.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// `start-function-urls` flags (SAM's: one port per URL from `--port-range`, or `--port` for the
/// one URL `--function-name` names).
#[derive(Debug, Clone, ClapArgs)]
pub struct StartFunctionUrlsArgs {
    /// Template selection.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Function options.
    #[command(flatten)]
    pub run: RunArgs,
    /// Address the URLs listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Ports the URLs take, in template order, skipping ports in use (`START-END`, or `START` for
    /// `START-(START+10)`).
    #[arg(long, value_name = "START-END", default_value = "3001-3010", value_parser = parse_port_range)]
    pub port_range: (u16, u16),
    /// Serve only this function's URL (logical id or FunctionName).
    #[arg(long, value_name = "FUNCTION")]
    pub function_name: Option<String>,
    /// With --function-name: its URL's port (0 picks a free one).
    #[arg(long, requires = "function_name")]
    pub port: Option<u16>,
    #[command(flatten)]
    pub services: ServicesEndpointArgs,
    /// Not supported: `AWS_IAM` URLs keep requiring a SigV4 signature (SAM's flag skips it).
    #[arg(long)]
    pub disable_authorizer: bool,
    /// How the functions run and reload.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// `START-END` or `START` (SAM's `--port-range`: a lone start means ten more).
fn parse_port_range(value: &str) -> Result<(u16, u16), String> {
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .map_err(|_| format!("{p:?} is not a port number"))
    };
    let (start, end) = match value.split_once('-') {
        Some((start, end)) => (port(start)?, port(end)?),
        None => {
            let start = port(value)?;
            (start, start.saturating_add(10))
        }
    };
    if start == 0 || end < start {
        return Err(format!("{value:?}: give START-END with 0 < START <= END"));
    }
    Ok((start, end))
}

/// What every serving command (`start-api`, `start-lambda`, `start-function-urls`) takes on how
/// its functions run: sandboxes started ahead, reload on save, SAM's run flags, the debugger.
#[derive(Debug, Clone, ClapArgs)]
pub struct ServeArgs {
    /// EAGER starts one sandbox per function at startup; LAZY on first request.
    #[arg(long, value_enum, ignore_case = true, default_value = "LAZY")]
    pub warm_containers: Warm,
    /// Do not watch the template and the functions' code for changes (reload is on by default).
    #[arg(long)]
    pub no_reload: bool,
    /// SAM's flags for running functions.
    #[command(flatten)]
    pub sam: SamRunArgs,
    /// Not supported yet: the function a debugger attaches to.
    #[arg(long, value_name = "FUNCTION")]
    pub debug_function: Option<String>,
}

/// Where the services endpoint (DynamoDB, Lambda Invoke API) that handlers reach listens.
#[derive(Debug, Clone, ClapArgs)]
pub struct ServicesEndpointArgs {
    /// Port of the services endpoint (DynamoDB, Lambda Invoke API) that handlers reach; 0 picks a free one.
    #[arg(long, default_value_t = 4566)]
    pub services_port: u16,
    /// Address of the services endpoint. It accepts any credentials, so it stays on loopback
    /// unless this says otherwise (whatever --host is).
    #[arg(long, default_value = "127.0.0.1")]
    pub services_host: String,
}

/// `start-services` flags.
#[derive(Debug, Clone, ClapArgs)]
pub struct StartServicesArgs {
    /// Template selection.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Function options.
    #[command(flatten)]
    pub run: RunArgs,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 4566)]
    pub services_port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Do not watch the template and the functions' code for changes (reload is on by default).
    #[arg(long)]
    pub no_reload: bool,
}

/// `--warm-containers` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum Warm {
    /// Start sandboxes at startup.
    Eager,
    /// Start sandboxes on first use.
    Lazy,
}

/// `invoke` flags.
#[derive(Debug, Clone, ClapArgs)]
pub struct InvokeArgs {
    /// The function's logical id or name (optional when the template has one function).
    pub function: Option<String>,
    /// The event: a JSON file, or `-` for standard input (default: `{}`).
    #[arg(short = 'e', long, conflicts_with = "no_event")]
    pub event: Option<PathBuf>,
    /// Invoke with an empty event, `{}` (as SAM's --no-event).
    #[arg(long)]
    pub no_event: bool,
    /// Runs the function on this runtime instead of the template's (as SAM's --runtime).
    #[arg(long, value_name = "RUNTIME")]
    pub runtime: Option<String>,
    /// Template selection.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Function options.
    #[command(flatten)]
    pub run: RunArgs,
    /// Port of the services endpoint handlers reach during the invocation (default: a free one).
    #[arg(long, default_value_t = 0)]
    pub services_port: u16,
    /// SAM's flags for running functions.
    #[command(flatten)]
    pub sam: SamRunArgs,
}

/// `sluice ddb …`.
#[derive(Debug, Subcommand)]
pub enum DdbCommand {
    /// Write tables and items as JSON lines (`{"CreateTable": …}`, then `{"PutItem": …}` per item).
    Export(DdbExportArgs),
    /// Read JSON lines written by `export` (or by hand): create missing tables, put every item.
    Import(DdbImportArgs),
}

/// Which local store: the template's `.sluice/`, or `--state-dir`.
#[derive(Debug, Clone, ClapArgs)]
pub struct StoreArgs {
    /// Template selection.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Where Sluice keeps its state (default: `.sluice/` next to the template).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
}

/// `build` flags (SAM's `sam build`).
#[derive(Debug, Clone, ClapArgs)]
pub struct BuildArgs {
    /// Which template and state folder (builds go to `<state>/build`).
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only this function (logical id or name; default: every function).
    pub function: Option<String>,
    /// Leave this function out (repeatable).
    #[arg(short = 'x', long, value_name = "FUNCTION")]
    pub exclude: Vec<String>,
    /// Does not apply: Sluice builds with the host's tools, as it runs functions on the host.
    #[arg(short = 'u', long)]
    pub use_container: bool,
    /// Accepted: builds are always cached, by a hash of each function's manifest.
    #[arg(short = 'c', long)]
    pub cached: bool,
    /// Accepted: functions are built one after another.
    #[arg(short = 'p', long)]
    pub parallel: bool,
}

/// `logs` flags (SAM's `sam logs`, where `-t` is `--tail`: the template is `--template` here).
#[derive(Debug, Clone, ClapArgs)]
#[command(mut_arg("template", |a| a.short(None)))]
pub struct LogsArgs {
    /// Which template and state folder.
    #[command(flatten)]
    pub store: StoreArgs,
    /// A function's logical id or name; repeat for several (default: every function).
    #[arg(short = 'n', long = "name", value_name = "FUNCTION")]
    pub names: Vec<String>,
    /// A log group to read as well (`/aws/lambda/<name>`).
    #[arg(long = "cw-log-group", value_name = "GROUP")]
    pub log_groups: Vec<String>,
    /// Only events matching this CloudWatch Logs filter pattern (`ERROR`, `"timed out"`,
    /// `{ $.level = "ERROR" }`).
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// From this time: `10m`, `"5mins ago"`, `2h`, `2026-01-31 10:00:00` (default: 10 minutes ago).
    #[arg(short = 's', long, value_name = "TIME", allow_hyphen_values = true)]
    pub start_time: Option<String>,
    /// Up to this time (same forms).
    #[arg(short = 'e', long, value_name = "TIME", allow_hyphen_values = true)]
    pub end_time: Option<String>,
    /// Keep printing new events as they arrive, until interrupted.
    #[arg(short = 't', long)]
    pub tail: bool,
    /// `text` (stream, time, message) or `json` (one object per event).
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: LogsOutput,
    /// Does not apply: the logs are local, there is no deployed stack to name.
    #[arg(long, value_name = "STACK")]
    pub stack_name: Option<String>,
    /// Not supported yet: X-Ray traces are not emulated.
    #[arg(long)]
    pub include_traces: bool,
}

/// `sluice logs --output` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "lower")]
pub enum LogsOutput {
    /// `<stream> <time> <message>`, as `sam logs` prints.
    Text,
    /// One JSON object per event.
    Json,
}

/// `ddb export` flags.
#[derive(Debug, Clone, ClapArgs)]
pub struct DdbExportArgs {
    /// Which store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Tables to export (default: all).
    pub tables: Vec<String>,
    /// Output file (default: standard output).
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

/// `ddb import` flags.
#[derive(Debug, Clone, ClapArgs)]
pub struct DdbImportArgs {
    /// Which store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Input file, or `-` for standard input.
    pub input: PathBuf,
}

/// `sluice token` flags.
#[derive(Debug, Clone, ClapArgs)]
pub struct TokenArgs {
    /// Template selection.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Where Sluice keeps its state (default: `.sluice/` next to the template); the pool's key is there.
    #[arg(long)]
    pub state_dir: Option<std::path::PathBuf>,
    /// The user pool: logical id or pool id (optional when the template has one).
    #[arg(long)]
    pub pool: Option<String>,
    /// The app client: logical id or client id (default: the pool's first client).
    #[arg(long)]
    pub client: Option<String>,
    /// `sub` (default: a UUID derived from the username).
    #[arg(long)]
    pub sub: Option<String>,
    /// `cognito:username`.
    #[arg(long, default_value = "user")]
    pub username: String,
    /// `cognito:groups`, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub groups: Vec<String>,
    /// OAuth scopes (repeat or separate with spaces); any scope makes it an access token.
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// Extra claims, `key=value` (repeatable).
    #[arg(long = "claim", value_name = "KEY=VALUE")]
    pub claims: Vec<String>,
    /// Lifetime: `3600`, `90s`, `15m`, `1h`, `2d`; negative (`-1h`) gives an expired token.
    #[arg(long, default_value = "1h", allow_hyphen_values = true)]
    pub expires_in: String,
}

/// `sluice api-keys` flags.
#[derive(Debug, Clone, ClapArgs)]
pub struct ApiKeysArgs {
    /// Template selection.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Where Sluice keeps its state (default: `.sluice/` next to the template).
    #[arg(long)]
    pub state_dir: Option<std::path::PathBuf>,
}

/// `RATE[,BURST]`: a positive rate in requests per second and a whole burst of at least 1.
fn parse_throttle(text: &str) -> Result<sluice_template::auth_model::Throttle, String> {
    let (rate, burst) = match text.split_once(',') {
        Some((rate, burst)) => (rate, Some(burst)),
        None => (text, None),
    };
    let rate: f64 = rate
        .trim()
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r > 0.0)
        .ok_or_else(|| format!("{rate:?} is not a positive number of requests per second"))?;
    let burst = match burst {
        Some(b) => b
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|b| *b >= 1)
            .ok_or_else(|| format!("{b:?} is not a whole burst of at least 1"))?,
        // AWS's default quota has half its rate as burst (10,000 / 5,000).
        None => ((rate / 2.0).ceil() as u32).max(1),
    };
    Ok(sluice_template::auth_model::Throttle {
        rate_limit: rate,
        burst_limit: burst,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_throttle;

    #[test]
    fn an_account_throttle_is_a_rate_and_an_optional_burst() {
        let t = parse_throttle("20000").unwrap();
        assert_eq!((t.rate_limit, t.burst_limit), (20_000.0, 10_000));
        let t = parse_throttle("0.5,3").unwrap();
        assert_eq!((t.rate_limit, t.burst_limit), (0.5, 3));
        assert_eq!(parse_throttle("0.01").unwrap().burst_limit, 1);
        for bad in ["0", "-1", "x", "10,0", "10,1.5", "inf"] {
            assert!(parse_throttle(bad).is_err(), "{bad}");
        }
    }
}
