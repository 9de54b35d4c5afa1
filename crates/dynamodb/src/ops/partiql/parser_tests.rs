//! The PartiQL parser's tests (kept apart: the parser is long enough on its own).
use super::*;

#[test]
fn select_with_index_projection_and_where() {
    let s = parse(
        r#"SELECT a, b.c[1] FROM "T"."I" WHERE pk = ? AND begins_with(sk, 'x') ORDER BY sk DESC"#,
        &[json!({"S": "k"})],
    )
    .unwrap();
    let Statement::Select {
        projection,
        table,
        index,
        filter,
        descending,
    } = s
    else {
        panic!("not a select")
    };
    assert_eq!(table, "T");
    assert_eq!(index.as_deref(), Some("I"));
    assert!(descending);
    assert_eq!(projection.unwrap()[1].0.len(), 3);
    let Some(Cond::And(l, _)) = filter else {
        panic!()
    };
    assert_eq!(
        *l,
        Cond::Cmp(
            Operand::Path(Path(vec![Step::Name("pk".into())])),
            "=",
            Operand::Value(json!({"S": "k"}))
        )
    );
}

#[test]
fn insert_values_become_attribute_values() {
    let s = parse(
        "INSERT INTO t VALUE {'pk': 'a', 'n': 1, 'l': [true, null], 'ss': <<'x','y'>>, 'm': {'k': 2}}",
        &[],
    )
    .unwrap();
    let Statement::Insert { item, .. } = s else {
        panic!()
    };
    assert_eq!(
        item,
        json!({"M": {"pk": {"S": "a"}, "n": {"N": "1"}, "l": {"L": [{"BOOL": true}, {"NULL": true}]},
            "ss": {"SS": ["x", "y"]}, "m": {"M": {"k": {"N": "2"}}}}})
    );
}

#[test]
fn update_actions_and_returning() {
    let s = parse(
        "UPDATE t SET a = a + 1, b = list_append(b, [1]) REMOVE c SET d = 'x' WHERE pk = 'k' RETURNING MODIFIED NEW *",
        &[],
    )
    .unwrap();
    let Statement::Update {
        actions, returning, ..
    } = s
    else {
        panic!()
    };
    assert_eq!(actions.len(), 4);
    assert_eq!(returning, Some(Returning::ModifiedNew));
}

#[test]
fn deep_nesting_long_chains_and_long_statements_are_refused_not_overflowed() {
    let deep = format!(
        "SELECT * FROM t WHERE {}a = 1{}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(parse(&deep[..8000], &[]).is_err());
    let nots = format!("SELECT * FROM t WHERE {}a = 1", "NOT ".repeat(1500));
    assert!(parse(&nots, &[]).is_err());
    let chain = format!("SELECT * FROM t WHERE a = 1{}", " AND a = 1".repeat(700));
    assert!(parse(&chain, &[]).is_err());
    let doc = format!("INSERT INTO t VALUE {}", "[".repeat(4000));
    assert!(parse(&doc, &[]).is_err());
    assert!(parse(&"a".repeat(9000), &[]).is_err());
    assert!(parse("", &[]).is_err());
    let fine = format!("SELECT * FROM t WHERE a = 1{}", " AND a = 1".repeat(200));
    assert!(parse(&fine, &[]).is_ok());
}

#[test]
fn parameter_counts_must_match() {
    assert!(parse("SELECT * FROM t WHERE pk = ?", &[]).is_err());
    assert!(parse("SELECT * FROM t WHERE pk = 'a'", &[json!({"S": "a"})]).is_err());
    assert!(parse("SELECTT * FROMM t", &[]).is_err());
}
