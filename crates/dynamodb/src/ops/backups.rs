//! On-demand backups (CreateBackup, DescribeBackup, DeleteBackup, ListBackups,
//! RestoreTableFromBackup) and point-in-time recovery settings (DescribeContinuousBackups,
//! UpdateContinuousBackups). Shapes from botocore's model; behaviour and words from
//! ack-api-quirks' recordings against DynamoDB (backup.md, table-restore.md, DDB-TABLE-098/447).
//! AWS: a backup is CREATING for a moment and a restored table CREATING for minutes; Sluice copies
//! at once, so each answers its first state and is ready when the next request comes.

use serde_json::{json, Map, Value};

use super::request_rules::table_name;
use crate::member_constraints::{check_enums, Violations};
use crate::protocol::{null_error, DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::store::RestoreSource;
use crate::table::TableDef;
use crate::table_backup::BackupRecord;
use crate::table_request::{check_length, parse_create_table, validate_table_name};
use crate::table_settings::PointInTimeRecovery;

/// `RecoveryPeriodInDays` unless given, and its largest value.
const MAX_RECOVERY_DAYS: i64 = 35;

/// The backup family's missing-table error ("Table not found: <name>", recorded).
fn table_not_found(name: &str) -> DynamoError {
    DynamoError::TableNotFound(format!("Table not found: {name}"))
}

/// CreateBackup: copies the table's definition and items; answers CREATING, as DynamoDB's
/// CreateBackup does (its DescribeBackup says AVAILABLE ~50 ms later).
pub fn create_backup(state: &mut State, r: &Req, now: f64) -> DynamoResult<Value> {
    let name = table_name(r)?;
    let backup_name = r
        .opt_str("BackupName")?
        .ok_or_else(|| null_error("backupName"))?;
    check_length(backup_name, "backupName", 3, 255)?;
    if !backup_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{backup_name}' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    let source = state
        .tables
        .get(name)
        .ok_or_else(|| table_not_found(name))?
        .clone();
    let (item_count, size_bytes) = state.store.stats(name)?;
    let record = BackupRecord {
        id: BackupRecord::new_id(name, now),
        name: backup_name.to_string(),
        created: now,
        item_count,
        size_bytes,
        source,
    };
    state.store.put_backup(&record)?;
    Ok(json!({ "BackupDetails": record.details(&state.aws, "CREATING") }))
}

/// The backup a `BackupArn` names. Recorded: the region in the ARN is not looked at; another
/// partition or service is "BackupArn is not valid", another account "Access is denied", and
/// anything not shaped as a backup ARN "Invalid Backup ARN".
fn find_backup(state: &State, arn: &str) -> DynamoResult<BackupRecord> {
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, service, _region, account, resource] = fields[..] else {
        return Err(DynamoError::validation("Invalid Backup ARN"));
    };
    if partition != state.aws.partition || service != "dynamodb" {
        return Err(DynamoError::validation("BackupArn is not valid"));
    }
    if account != state.aws.account_id {
        return Err(DynamoError::AccessDenied("Access is denied".into()));
    }
    let parts: Vec<&str> = resource.split('/').collect();
    if !matches!(parts[..], ["table", _, "backup", _]) {
        return Err(DynamoError::validation("Invalid Backup ARN"));
    }
    state
        .store
        .backups()?
        .into_iter()
        .find(|b| b.id == resource)
        // AWS's words for this one were not recorded; these are Sluice's.
        .ok_or_else(|| DynamoError::BackupNotFound(format!("Backup not found: {arn}")))
}

/// DescribeBackup.
pub fn describe_backup(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let record = find_backup(state, r.str("BackupArn")?)?;
    Ok(json!({ "BackupDescription": record.description(&state.aws, "AVAILABLE") }))
}

/// DeleteBackup: answers the backup as DELETED; it is gone for every later request.
pub fn delete_backup(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let record = find_backup(state, r.str("BackupArn")?)?;
    state.store.delete_backup(&record.id)?;
    Ok(json!({ "BackupDescription": record.description(&state.aws, "DELETED") }))
}

/// The 14-digit creation time a backup id starts with, for ordering ids of backups that may no
/// longer exist (a cursor).
fn id_time(id: &str) -> u64 {
    id.rsplit('/')
        .next()
        .and_then(|last| last.split('-').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0)
}

/// ListBackups. Recorded: BackupType defaults to USER (Sluice makes no other kind), the time
/// range includes its lower bound and excludes its upper one, `ExclusiveStartBackupArn` is a pure
/// position (a deleted backup's ARN resumes after it), and a missing table lists nothing.
pub fn list_backups(state: &mut State, r: &Req) -> DynamoResult<Value> {
    check_enums(
        r,
        &[("BackupType", &["USER", "SYSTEM", "AWS_BACKUP", "ALL"])],
    )?;
    let limit = r.opt_i64("Limit")?;
    let mut v = Violations::new();
    v.check_range(limit, "limit", 1, Some(100));
    v.finish()?;
    let table = r.opt_str("TableName")?;
    let bound = |key: &str| r.0.get(key).and_then(Value::as_f64);
    let (lower, upper) = (bound("TimeRangeLowerBound"), bound("TimeRangeUpperBound"));
    if let (Some(l), Some(u)) = (lower, upper) {
        if l > u {
            return Err(DynamoError::validation(
                "Time range lower bound must be less than or equal to upper bound",
            ));
        }
    }
    let after = r
        .opt_str("ExclusiveStartBackupArn")?
        .and_then(|arn| arn.splitn(6, ':').nth(5))
        .map(|id| (id_time(id), id.to_string()));
    let kind = r.opt_str("BackupType")?.unwrap_or("USER");
    let ms = |t: f64| (t * 1000.0).round() as u64;
    let matching: Vec<BackupRecord> = state
        .store
        .backups()?
        .into_iter()
        .filter(|_| matches!(kind, "USER" | "ALL"))
        .filter(|b| table.is_none_or(|t| b.source.name == t))
        .filter(|b| lower.is_none_or(|l| ms(b.created) >= ms(l)))
        .filter(|b| upper.is_none_or(|u| ms(b.created) < ms(u)))
        .filter(|b| {
            after
                .as_ref()
                .is_none_or(|(t, id)| (id_time(&b.id), &b.id) > (*t, id))
        })
        .collect();
    let limit = limit.map_or(usize::MAX, |l| l as usize);
    let page: Vec<Value> = matching
        .iter()
        .take(limit)
        .map(|b| b.summary(&state.aws))
        .collect();
    let mut answer = Map::new();
    answer.insert("BackupSummaries".into(), Value::Array(page));
    if matching.len() > limit {
        answer.insert(
            "LastEvaluatedBackupArn".into(),
            json!(matching[limit - 1].arn(&state.aws)),
        );
    }
    Ok(Value::Object(answer))
}

/// RestoreTableFromBackup: a new table with the backup's keys, indexes, billing, encryption and
/// items; as on AWS (recorded), not its stream, TTL, point-in-time recovery, tags, deletion
/// protection, resource policy or table class. The overrides replace what they name.
pub fn restore_table_from_backup(state: &mut State, r: &Req, now: f64) -> DynamoResult<Value> {
    let target = target_name(r)?;
    let record = find_backup(state, r.str("BackupArn")?)?;
    check_target_free(state, target)?;
    let summary = json!({
        "SourceBackupArn": record.arn(&state.aws),
        "SourceTableArn": record.source.arn(&state.aws),
        "RestoreDateTime": now,
        "RestoreInProgress": true,
    });
    let source = record.source.clone();
    restore(
        state,
        r,
        now,
        target,
        &source,
        RestoreSource::Backup(&record.id),
        summary,
    )
}

/// RestoreTableToPointInTime, for the one time Sluice can restore: the latest (it keeps no
/// history). The checks run in the order DynamoDB's do (recorded, DDB-TABLE-100): the request's
/// shape, the source, point-in-time recovery on, the time, the target.
pub fn restore_table_to_point_in_time(state: &mut State, r: &Req, now: f64) -> DynamoResult<Value> {
    let target = target_name(r)?;
    let latest = r.opt_bool("UseLatestRestorableTime")?.unwrap_or(false);
    let at = r.0.get("RestoreDateTime").and_then(Value::as_f64);
    if latest && at.is_some() {
        // The recording is cut after "Pleas"; the end of the sentence is Sluice's.
        return Err(DynamoError::validation(
            "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set for point-in-time restore request. Please specify only one of them.",
        ));
    }
    if !latest && at.is_none() {
        return Err(DynamoError::validation(
            "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both",
        ));
    }
    let source_name = match (r.opt_str("SourceTableName")?, r.opt_str("SourceTableArn")?) {
        (Some(name), None) => name.to_string(),
        (None, Some(arn)) => arn
            .strip_prefix(&state.aws.table_arn(""))
            .filter(|n| !n.contains('/'))
            .map(str::to_string)
            // Recorded: a SourceTableArn naming no table here is the bare words.
            .ok_or_else(|| DynamoError::TableNotFound("Table not found".into()))?,
        // Sluice's words: AWS's for these two were not recorded.
        _ => return Err(DynamoError::validation(
            "Invalid Request: Exactly one of SourceTableArn or SourceTableName must be specified",
        )),
    };
    let source = state
        .tables
        .get(&source_name)
        .ok_or_else(|| table_not_found(&source_name))?
        .clone();
    if source.settings.point_in_time_recovery.is_none() {
        return Err(DynamoError::PointInTimeRecoveryUnavailable(format!(
            "Point in time recovery is not enabled for table '{source_name}'"
        )));
    }
    // The latest restorable time is now (see `continuous_backups`); a RestoreDateTime is
    // accepted within the second it names, so a client that read the window and asks for its end
    // gets it.
    if let Some(at) = at.filter(|at| (now - at).abs() > 1.0) {
        return Err(DynamoError::InvalidRestoreTime(format!(
            "RestoreDateTime '{}' must be within EarliestRestorableDateTime '{}' and LatestRestorableDateTime '{}'",
            iso_seconds(at),
            iso_seconds(now),
            iso_seconds(now)
        )));
    }
    check_target_free(state, target)?;
    let summary = json!({
        "SourceTableArn": source.arn(&state.aws),
        "RestoreDateTime": at.unwrap_or(now),
        "RestoreInProgress": true,
    });
    restore(
        state,
        r,
        now,
        target,
        &source,
        RestoreSource::Table(&source_name),
        summary,
    )
}

/// `TargetTableName`, checked by CreateTable's name rules.
fn target_name<'a>(r: &Req<'a>) -> DynamoResult<&'a str> {
    let target = r
        .opt_str("TargetTableName")?
        .ok_or_else(|| null_error("targetTableName"))?;
    validate_table_name(target)?;
    Ok(target)
}

fn check_target_free(state: &State, target: &str) -> DynamoResult<()> {
    if state.tables.contains_key(target) {
        return Err(DynamoError::TableAlreadyExists(format!(
            "Table already exists: {target}"
        )));
    }
    Ok(())
}

/// Creates `target` as a copy of `source` (its definition as the restore keeps it, the
/// overrides applied) holding the items of `from`; answers the new table CREATING with its
/// `RestoreSummary`, as DynamoDB's restores do (DescribeTable then says ACTIVE and drops the
/// summary, as AWS's does once the restore is done).
fn restore(
    state: &mut State,
    r: &Req,
    now: f64,
    target: &str,
    source: &TableDef,
    from: RestoreSource<'_>,
    summary: Value,
) -> DynamoResult<Value> {
    let described = source.describe(&state.aws, 0, 0, "ACTIVE", &|_| (0, 0));
    let mut request = match crate::backup::create_request(&described) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    request.insert("TableName".into(), json!(target));
    request.remove("StreamSpecification");
    if let Some(sse) = &source.settings.sse {
        request.insert(
            "SSESpecification".into(),
            json!({"Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": sse.key_arn}),
        );
    }
    if let Some((read, write)) = source.settings.on_demand {
        request.insert(
            "OnDemandThroughput".into(),
            json!({"MaxReadRequestUnits": read, "MaxWriteRequestUnits": write}),
        );
    }
    apply_overrides(r, &mut request)?;
    let def = parse_create_table(&Req(&request), now, &state.aws)?;
    state.store.restore(from, &def)?;
    let mut description = def.describe(&state.aws, 0, 0, "CREATING", &|_| (0, 0));
    if let Value::Object(d) = &mut description {
        d.insert("RestoreSummary".into(), summary);
    }
    state.tables.insert(def.name.clone(), def);
    Ok(json!({ "TableDescription": description }))
}

/// A time as the restore errors show it: `2026-10-06T23:16:32Z`.
fn iso_seconds(t: f64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(t as i64)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Puts a restore's overrides into the CreateTable request that makes its target. An index
/// override list replaces the backup's list (an empty one drops them all, as recorded).
fn apply_overrides(r: &Req, request: &mut Map<String, Value>) -> DynamoResult<()> {
    check_enums(
        r,
        &[("BillingModeOverride", &["PROVISIONED", "PAY_PER_REQUEST"])],
    )?;
    if let Some(mode) = r.opt_str("BillingModeOverride")? {
        request.insert("BillingMode".into(), json!(mode));
        if mode == "PAY_PER_REQUEST" {
            request.remove("ProvisionedThroughput");
            if let Some(Value::Array(gsis)) = request.get_mut("GlobalSecondaryIndexes") {
                for gsi in gsis.iter_mut().filter_map(Value::as_object_mut) {
                    gsi.remove("ProvisionedThroughput");
                }
            }
        }
    }
    for (given, member) in [
        ("ProvisionedThroughputOverride", "ProvisionedThroughput"),
        ("OnDemandThroughputOverride", "OnDemandThroughput"),
        ("SSESpecificationOverride", "SSESpecification"),
    ] {
        if let Some(v) = r.opt_obj(given)? {
            request.insert(member.into(), Value::Object(v.clone()));
        }
    }
    for (given, member) in [
        ("GlobalSecondaryIndexOverride", "GlobalSecondaryIndexes"),
        ("LocalSecondaryIndexOverride", "LocalSecondaryIndexes"),
    ] {
        match r.opt_arr(given)? {
            Some(list) if list.is_empty() => {
                request.remove(member);
            }
            Some(list) => {
                request.insert(member.into(), Value::Array(list.clone()));
            }
            None => {}
        }
    }
    // Definitions of attributes only dropped indexes used would fail CreateTable's check that
    // every definition is a key; DynamoDB drops them with the index.
    let used: Vec<String> = key_names(request.get("KeySchema"))
        .chain(
            ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
                .iter()
                .flat_map(|m| {
                    request
                        .get(*m)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .flat_map(|i| key_names(i.get("KeySchema")))
                }),
        )
        .collect();
    if let Some(Value::Array(defs)) = request.get_mut("AttributeDefinitions") {
        defs.retain(|d| {
            d.get("AttributeName")
                .and_then(Value::as_str)
                .is_some_and(|n| used.iter().any(|u| u == n))
        });
    }
    Ok(())
}

/// The attribute names of a `KeySchema` list.
fn key_names(schema: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    schema
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|k| k.get("AttributeName").and_then(Value::as_str))
        .map(str::to_string)
}

/// `ContinuousBackupsDescription`: on-demand backups are always on (ENABLED, as recorded for an
/// ACTIVE table); point-in-time recovery as set. AWS: the restorable window runs from when
/// recovery was enabled (or the recovery period ago) to about five minutes ago; Sluice keeps no
/// history, so its window is the present only (AWS shows the same one-instant window for the
/// first minutes after recovery is enabled).
fn continuous_backups(pitr: Option<&PointInTimeRecovery>, now: f64) -> Value {
    let pitr = match pitr {
        None => json!({"PointInTimeRecoveryStatus": "DISABLED"}),
        Some(p) => json!({
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": p.recovery_period_days,
            "EarliestRestorableDateTime": now,
            "LatestRestorableDateTime": now,
        }),
    };
    json!({"ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": pitr,
    }})
}

/// DescribeContinuousBackups.
pub fn describe_continuous_backups(state: &mut State, r: &Req, now: f64) -> DynamoResult<Value> {
    let name = table_name(r)?;
    let def = state
        .tables
        .get(name)
        .ok_or_else(|| table_not_found(name))?;
    Ok(continuous_backups(
        def.settings.point_in_time_recovery.as_ref(),
        now,
    ))
}

/// UpdateContinuousBackups: turns point-in-time recovery on or off.
pub fn update_continuous_backups(state: &mut State, r: &Req, now: f64) -> DynamoResult<Value> {
    let name = table_name(r)?;
    let spec = r
        .opt_obj("PointInTimeRecoverySpecification")?
        .ok_or_else(|| null_error("pointInTimeRecoverySpecification"))?;
    let spec = Req(spec);
    let enabled = spec
        .opt_bool("PointInTimeRecoveryEnabled")?
        .ok_or_else(|| null_error("pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled"))?;
    let days = spec.opt_i64("RecoveryPeriodInDays")?;
    let mut v = Violations::new();
    v.check_range(
        days,
        "pointInTimeRecoverySpecification.recoveryPeriodInDays",
        1,
        Some(MAX_RECOVERY_DAYS),
    );
    v.finish()?;
    let mut def = state
        .tables
        .get(name)
        .ok_or_else(|| table_not_found(name))?
        .clone();
    def.settings.point_in_time_recovery = enabled.then(|| PointInTimeRecovery {
        recovery_period_days: days.unwrap_or(MAX_RECOVERY_DAYS),
    });
    let answer = continuous_backups(def.settings.point_in_time_recovery.as_ref(), now);
    state.store.put_table(&def)?;
    state.tables.insert(def.name.clone(), def);
    Ok(answer)
}
