//! Starting a sandbox inside an invocation (a cold start), and the invocation a runtime that
//! cannot start fails.

use std::time::Instant;

use super::{FunctionPool, Held};
use crate::invocation::{Invocation, InvokeError, InvokeOptions};
use crate::invocation_log::{self, init_report_line, FunctionLog, InitPhase, Report, ReportStatus};
use crate::sandbox::{Announce, InitType, Sandbox, StartError};

impl FunctionPool {
    /// Start a sandbox for the invocation `options` describes, waiting on it; a start that
    /// fails for the function's sake gives the invocation's failure (`Err` inside), one Sluice
    /// caused a service error.
    ///
    /// AWS (recorded 2024-2026): a runtime that cannot start fails its Init, which Lambda runs
    /// again inside the invocation (a "suppressed init"); so a second attempt follows the
    /// first, each with its `INIT_REPORT`, as for any failed Init ([`FunctionPool::start_failure`]).
    pub(super) async fn start_on_demand(
        &self,
        options: &InvokeOptions,
    ) -> Result<Result<Held, Invocation>, InvokeError> {
        let log = self.fresh_log();
        let began = Instant::now();
        let mut announce = Announce::InitStart;
        let mut phase = InitPhase::Init;
        loop {
            let started = Sandbox::start_logging_to(
                self.template.clone(),
                InitType::OnDemand,
                log.clone(),
                announce,
            )
            .await;
            match started {
                Ok(sandbox) => return Ok(Ok(Box::new(sandbox))),
                Err(StartError::Function(why)) => {
                    let took = began.elapsed();
                    let failed = init_report_line(took, phase, &invalid_entrypoint());
                    log.init_line(&failed, InitType::OnDemand.env_value(), true);
                    if phase == InitPhase::Invoke {
                        let failure = self.start_failure(&log, &why, began, options);
                        self.template
                            .sink
                            .invoked(&self.template.function, &failure);
                        return Ok(Err(failure));
                    }
                    announce = Announce::Nothing;
                    phase = InitPhase::Invoke;
                }
                Err(host @ StartError::Host { .. }) => {
                    tracing::error!(function = %self.template.function, "cannot start a sandbox: {host}");
                    return Err(InvokeError::Service {
                        message: format!("Sluice could not start a sandbox: {host}"),
                    });
                }
            }
        }
    }

    /// The invocation a runtime that could not even start fails (missing `bootstrap` or code
    /// folder, no interpreter, a runtime Sluice does not run, `why`), after both its Inits
    /// failed on `log`; its invoke phase began at `invoke_began`.
    ///
    /// AWS (recorded 2024-2026, CloudWatch and the Invoke API): after the two `INIT_REPORT`s,
    /// `START`, `RequestId: … Error: Couldn't find valid bootstrap(s): […]`, then
    /// `Runtime.InvalidEntrypoint` on a line of its own, `END`, and a REPORT with `Status: error`
    /// and `Error Type: Runtime.InvalidEntrypoint` but no `Init Duration`; the caller gets
    /// `Unhandled` and `{"errorType":"Runtime.InvalidEntrypoint","errorMessage":"RequestId: … Error: …"}`.
    fn start_failure(
        &self,
        log: &FunctionLog,
        why: &str,
        invoke_began: Instant,
        options: &InvokeOptions,
    ) -> Invocation {
        let request_id = options
            .request_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let message = format!("RequestId: {request_id} Error: {why}");
        log.line(&invocation_log::start_line_of(
            &request_id,
            options.executed_version(),
        ));
        log.line(&message);
        log.line(INVALID_ENTRYPOINT);
        log.line(&invocation_log::end_line(&request_id));
        let report = Report {
            request_id: &request_id,
            duration: invoke_began.elapsed(),
            memory_size_mb: self.template.memory_mb,
            // No process ran, so none used memory.
            max_memory_used_mb: 0,
            init_duration: None,
            status: invalid_entrypoint(),
        };
        log.line(&invocation_log::report_line(&report));
        let figures = report.figures();
        Invocation {
            payload: crate::sandbox::error_document(INVALID_ENTRYPOINT, &message),
            function_error: Some("Unhandled".to_owned()),
            log_tail: log.take_tail(),
            trace_id: String::new(),
            report: Some(figures),
            request_id,
        }
    }
}

/// Lambda's error type for a runtime that cannot be started.
const INVALID_ENTRYPOINT: &str = "Runtime.InvalidEntrypoint";

/// How a start that failed for the function's sake is reported.
pub(super) fn invalid_entrypoint() -> ReportStatus {
    ReportStatus::Error(INVALID_ENTRYPOINT.to_owned())
}
