//! DynamoDB stream consumers: `Events` of `Type: DynamoDB` on `AWS::Serverless::Function`, and
//! `AWS::Lambda::EventSourceMapping` resources whose `EventSourceArn` is a table's stream.
//! Read in their own pass, over the functions already built, as HTTP APIs are.

use crate::intrinsics::{join_path, Resolver};
use crate::model::{Function, StartingPosition, StreamMapping};
use crate::yaml_tree::{Kind, Node};
use crate::TemplateError;

/// Properties a DynamoDB mapping carries that Sluice reads (everything else gets a warning).
const READ: &[&str] = &[
    "Stream",
    "EventSourceArn",
    "FunctionName",
    "StartingPosition",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "FilterCriteria",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "FunctionResponseTypes",
    "DestinationConfig",
    "Enabled",
];

/// Every stream mapping of the template, in template order.
pub(crate) fn build(
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    functions: &[Function],
    warnings: &mut Vec<String>,
) -> Result<Vec<StreamMapping>, TemplateError> {
    let mut mappings = Vec::new();
    for (id, resource) in resources {
        let ty = resource.get("Type").and_then(Node::as_str).unwrap_or("");
        if !matches!(
            ty,
            "AWS::Serverless::Function" | "AWS::Lambda::EventSourceMapping"
        ) || !resolver.resource_enabled(id, resource)?
        {
            continue;
        }
        let path = format!("Resources.{id}.Properties");
        let empty = Node {
            kind: Kind::Map(Vec::new()),
            ..resource.clone()
        };
        let props = resource.get("Properties").unwrap_or(&empty);
        if ty == "AWS::Lambda::EventSourceMapping" {
            if let Some(m) = event_source_mapping(id, props, &path, resolver, functions, warnings)?
            {
                let at = props.get("EventSourceArn").unwrap_or(props);
                let at_path = join_path(&path, "EventSourceArn");
                push_unique(&mut mappings, m, at, &at_path, resolver)?;
            }
            continue;
        }
        // Image functions are not built; their events have nothing to invoke.
        if !functions.iter().any(|f| f.logical_id == *id) {
            continue;
        }
        let Some(events) = props.get("Events").and_then(Node::entries) else {
            continue;
        };
        for (name, event) in events {
            let event_path = format!("{}.{name}", join_path(&path, "Events"));
            let ty = match event.get("Type") {
                Some(t) => resolver.eval_string(t, &format!("{event_path}.Type"))?,
                None => None,
            };
            if ty.as_deref() != Some("DynamoDB") {
                continue;
            }
            let empty = Node {
                kind: Kind::Map(Vec::new()),
                ..event.clone()
            };
            let event_props = event.get("Properties").unwrap_or(&empty);
            let props_path = format!("{event_path}.Properties");
            let stream = required(event_props, "Stream", &props_path, resolver)?;
            let table = table_of_stream(&stream).ok_or_else(|| {
                resolver.error_hint(
                    event_props.get("Stream").unwrap_or(event_props),
                    &join_path(&props_path, "Stream"),
                    format!("{stream:?} is not a DynamoDB stream ARN"),
                    Some("use Stream: !GetAtt MyTable.StreamArn".into()),
                )
            })?;
            let mut mapping = StreamMapping::new(&format!("{id}/{name}"), id, &table, &stream);
            read_settings(event_props, &props_path, resolver, &mut mapping, warnings)?;
            let at = event_props.get("Stream").unwrap_or(event_props);
            push_unique(
                &mut mappings,
                mapping,
                at,
                &join_path(&props_path, "Stream"),
                resolver,
            )?;
        }
    }
    Ok(mappings)
}

/// Adds `mapping` unless the function already reads that stream: Lambda refuses a second
/// mapping of one stream to one function (409 ResourceConflictException, recorded in LocalStack's
/// test_duplicate_event_source_mappings), so such a template fails to deploy.
fn push_unique(
    mappings: &mut Vec<StreamMapping>,
    mapping: StreamMapping,
    at: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    if let Some(first) = mappings
        .iter()
        .find(|m| m.function == mapping.function && m.table == mapping.table)
    {
        return Err(resolver.error_hint(
            at,
            path,
            format!(
                "{} already reads the stream of table {} ({}); Lambda refuses a second mapping of one stream to one function (ResourceConflictException), so this template would not deploy",
                mapping.function, mapping.table, first.id
            ),
            Some("merge the two into one event (FilterCriteria takes several patterns)".into()),
        ));
    }
    mappings.push(mapping);
    Ok(())
}

/// One `AWS::Lambda::EventSourceMapping`; `None` (with a warning) when its source is not a
/// DynamoDB stream.
fn event_source_mapping(
    id: &str,
    props: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    functions: &[Function],
    warnings: &mut Vec<String>,
) -> Result<Option<StreamMapping>, TemplateError> {
    let source = required(props, "EventSourceArn", path, resolver)?;
    let Some(table) = table_of_stream(&source) else {
        warnings.push(format!(
            "Resources.{id}: event source {source} is not a DynamoDB stream; only DynamoDB stream mappings are emulated (ignored)"
        ));
        return Ok(None);
    };
    let name = required(props, "FunctionName", path, resolver)?;
    // `!Ref Fn` gives the name, `!GetAtt Fn.Arn` the ARN; an alias or version suffix names the
    // same code locally.
    let bare = name
        .split_once(":function:")
        .map_or(name.as_str(), |(_, rest)| rest);
    let bare = bare.split(':').next().unwrap_or(bare);
    let Some(function) = functions
        .iter()
        .find(|f| f.name == bare)
        .or_else(|| functions.iter().find(|f| f.logical_id == bare))
    else {
        return Err(resolver.error_hint(
            props.get("FunctionName").unwrap_or(props),
            &join_path(path, "FunctionName"),
            format!("{name:?} is not a function of this template"),
            Some("use FunctionName: !Ref MyFunction".into()),
        ));
    };
    let mut mapping = StreamMapping::new(id, &function.logical_id, &table, &source);
    read_settings(props, path, resolver, &mut mapping, warnings)?;
    Ok(Some(mapping))
}

/// The settings a SAM event and a mapping resource share.
fn read_settings(
    props: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    m: &mut StreamMapping,
    warnings: &mut Vec<String>,
) -> Result<(), TemplateError> {
    let at = |key: &str| props.get(key).unwrap_or(props);
    let text = |key: &str| -> Result<Option<String>, TemplateError> {
        match props.get(key) {
            Some(node) => resolver.eval_string(node, &join_path(path, key)),
            None => Ok(None),
        }
    };
    let number = |key: &str, min: i64, max: i64| -> Result<Option<i64>, TemplateError> {
        let Some(t) = text(key)? else { return Ok(None) };
        match t.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(resolver.error(
                at(key),
                &join_path(path, key),
                format!("{t:?} is not a whole number from {min} to {max}"),
            )),
        }
    };
    let boolean = |key: &str| -> Result<Option<bool>, TemplateError> {
        match text(key)?.as_deref() {
            None => Ok(None),
            Some("true" | "True" | "TRUE") => Ok(Some(true)),
            Some("false" | "False" | "FALSE") => Ok(Some(false)),
            Some(other) => Err(resolver.error(
                at(key),
                &join_path(path, key),
                format!("{other:?} is not true or false"),
            )),
        }
    };
    m.starting_position = match text("StartingPosition")?.as_deref() {
        Some("TRIM_HORIZON") => StartingPosition::TrimHorizon,
        Some("LATEST") => StartingPosition::Latest,
        other => {
            let found = other.map_or("nothing".to_owned(), |o| format!("{o:?}"));
            return Err(resolver.error_hint(
                at("StartingPosition"),
                &join_path(path, "StartingPosition"),
                format!("a DynamoDB stream mapping needs StartingPosition TRIM_HORIZON or LATEST, found {found}"),
                Some("add StartingPosition: TRIM_HORIZON".into()),
            ));
        }
    };
    if let Some(n) = number("BatchSize", 1, 10_000)? {
        m.batch_size = n as u32;
    }
    if let Some(n) = number("MaximumBatchingWindowInSeconds", 0, 300)? {
        m.batching_window_secs = n as u32;
    }
    if let Some(n) = number("MaximumRetryAttempts", -1, 10_000)? {
        m.maximum_retry_attempts = n;
    }
    if let Some(n) = number("MaximumRecordAgeInSeconds", -1, 604_800)? {
        if (0..60).contains(&n) {
            return Err(resolver.error(
                at("MaximumRecordAgeInSeconds"),
                &join_path(path, "MaximumRecordAgeInSeconds"),
                format!("{n} is not -1 or from 60 to 604800"),
            ));
        }
        m.maximum_record_age_secs = n;
    }
    m.bisect_on_error = boolean("BisectBatchOnFunctionError")?.unwrap_or(false);
    m.enabled = boolean("Enabled")?.unwrap_or(true);
    if let Some(node) = props.get("FunctionResponseTypes") {
        let types = resolver.eval_string_list(node, &join_path(path, "FunctionResponseTypes"))?;
        if let Some(bad) = types.iter().find(|t| *t != "ReportBatchItemFailures") {
            return Err(resolver.error(
                node,
                &join_path(path, "FunctionResponseTypes"),
                format!(
                    "{bad:?} is not a function response type (expected ReportBatchItemFailures)"
                ),
            ));
        }
        m.report_batch_item_failures = !types.is_empty();
    }
    if let Some(node) = props.get("FilterCriteria") {
        m.filter_patterns = filter_patterns(node, &join_path(path, "FilterCriteria"), resolver)?;
    }
    if let Some(node) = props.get("DestinationConfig") {
        let config = resolver.eval(node, &join_path(path, "DestinationConfig"))?;
        let destination = config
            .as_ref()
            .and_then(|c| c.get("OnFailure"))
            .and_then(|o| o.get("Destination"))
            .and_then(Node::as_str);
        m.on_failure_destination = destination.map(str::to_owned);
    }
    for (key, _) in props.entries().unwrap_or_default() {
        if !READ.contains(&key.as_str()) {
            warnings.push(format!(
                "{}: not emulated yet (ignored)",
                join_path(path, key)
            ));
        }
    }
    Ok(())
}

/// `FilterCriteria.Filters[].Pattern`: each must be a JSON object, as Lambda requires.
fn filter_patterns(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<Vec<String>, TemplateError> {
    let Some(criteria) = resolver.eval(node, path)? else {
        return Ok(Vec::new());
    };
    let filters_path = join_path(path, "Filters");
    let filters = match criteria.get("Filters").map(|f| &f.kind) {
        None => return Ok(Vec::new()),
        Some(Kind::Seq(items)) => items.clone(),
        Some(_) => {
            return Err(resolver.error(&criteria, &filters_path, "Filters must be a list"));
        }
    };
    let mut patterns = Vec::new();
    for (i, filter) in filters.iter().enumerate() {
        let pattern_path = format!("{filters_path}[{i}].Pattern");
        let Some(text) = filter.get("Pattern").and_then(Node::as_str) else {
            return Err(resolver.error_hint(
                filter,
                &pattern_path,
                "a filter needs a Pattern string",
                Some(r#"write e.g. Pattern: '{"eventName": ["INSERT"]}'"#.into()),
            ));
        };
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(_)) => patterns.push(text.to_owned()),
            Ok(_) | Err(_) => {
                return Err(resolver.error_hint(
                    filter.get("Pattern").unwrap_or(filter),
                    &pattern_path,
                    format!("{text:?} is not a JSON object (Lambda's filter pattern syntax)"),
                    Some(r#"write e.g. Pattern: '{"eventName": ["INSERT"]}'"#.into()),
                ))
            }
        }
    }
    Ok(patterns)
}

/// A required, non-empty string property.
fn required(
    props: &Node,
    key: &str,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<String, TemplateError> {
    let value = match props.get(key) {
        Some(node) => resolver.eval_string(node, &join_path(path, key))?,
        None => None,
    };
    value.filter(|v| !v.is_empty()).ok_or_else(|| {
        resolver.error(
            props.get(key).unwrap_or(props),
            &join_path(path, key),
            format!("{key} is required"),
        )
    })
}

/// The table of a stream ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`).
pub(crate) fn table_of_stream(arn: &str) -> Option<String> {
    let rest = arn.split_once(":table/")?.1;
    let (table, label) = rest.split_once("/stream/")?;
    (arn.starts_with("arn:")
        && arn.contains(":dynamodb:")
        && !table.is_empty()
        && !label.is_empty())
    .then(|| table.to_owned())
}
