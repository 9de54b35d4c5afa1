//! Command-line flags, mirroring SAM CLI's so its users keep their habits.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

/// Runs a SAM application's API Gateway and Lambda functions locally, without Docker.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about)]
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
    /// Serve the services endpoint alone on --services-port (DynamoDB, Lambda Invoke API).
    StartServices(StartServicesArgs),
    /// Load the template and report problems, or summarize it.
    Validate(TemplateArgs),
    /// Export or import DynamoDB data (JSON lines) to seed and back up the local store.
    #[command(subcommand)]
    Ddb(DdbCommand),
    /// Print a signed Cognito-shaped token for a user pool of the template.
    Token(crate::auth_commands::TokenArgs),
    /// List the template's API keys and their values.
    ApiKeys(crate::auth_commands::ApiKeysArgs),
    /// SAM CLI's spelling: `sluice local start-api`, `sluice local invoke`.
    #[command(subcommand)]
    Local(LocalCommand),
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
}

/// Which template, and how to resolve it.
#[derive(Debug, Clone, ClapArgs)]
pub struct TemplateArgs {
    /// The SAM template (default: template.yaml or template.yml in the current folder).
    #[arg(short = 't', long = "template", alias = "template-file")]
    pub template: Option<PathBuf>,
    /// Parameter values: `ParameterKey=K,ParameterValue=V ...` (SAM's form) or `K=V ...`.
    #[arg(long, num_args = 1.., value_name = "OVERRIDES")]
    pub parameter_overrides: Vec<String>,
    /// Region reported to functions and in ARNs.
    #[arg(long, default_value = sluice_aws_env::AwsEnv::DEFAULT_REGION, env = "AWS_REGION")]
    pub region: String,
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
    /// Sandboxes per function when the template sets no ReservedConcurrentExecutions.
    #[arg(long, default_value_t = 10)]
    pub default_concurrency: usize,
    /// Once listening, write `{"api": URL, "services": URL}` to this file (for scripts and tests
    /// that start Sluice on port 0).
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
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
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port of the services endpoint (DynamoDB, Lambda Invoke API) that handlers reach; 0 picks a free one.
    #[arg(long, default_value_t = 4566)]
    pub services_port: u16,
    /// EAGER starts one sandbox per function at startup; LAZY on first request.
    #[arg(long, value_enum, ignore_case = true, default_value = "LAZY")]
    pub warm_containers: Warm,
    /// Do not watch the template and the functions' code for changes (reload is on by default).
    #[arg(long)]
    pub no_reload: bool,
    /// Where usage-plan counters and token buckets live: `redis://host:port` shares them with
    /// other Sluice processes (default: this process, quotas kept in the state folder).
    #[arg(long, value_name = "URL")]
    pub limits_store: Option<String>,
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
    /// EAGER starts one sandbox per function at startup; LAZY on first request.
    #[arg(long, value_enum, ignore_case = true, default_value = "LAZY")]
    pub warm_containers: Warm,
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
    #[arg(short = 'e', long)]
    pub event: Option<PathBuf>,
    /// Template selection.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Function options.
    #[command(flatten)]
    pub run: RunArgs,
    /// Port of the services endpoint handlers reach during the invocation (default: a free one).
    #[arg(long, default_value_t = 0)]
    pub services_port: u16,
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
