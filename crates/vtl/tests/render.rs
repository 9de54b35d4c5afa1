//! Table tests: template + variables → output, as Velocity 1.7 renders them.

use sluice_vtl::{Host, Template, Value};

/// Variables from a JSON object.
struct Vars(serde_json::Value);

impl Host for Vars {
    fn variable(&self, name: &str) -> Option<Value> {
        self.0.get(name).map(Value::from_json)
    }
}

fn render(template: &str, vars: serde_json::Value) -> String {
    Template::parse(template)
        .unwrap_or_else(|e| panic!("{template:?}: {e}"))
        .render(&Vars(vars))
        .unwrap_or_else(|e| panic!("{template:?}: {e}"))
}

#[test]
fn renders_as_velocity() {
    let vars = serde_json::json!({
        "name": "Ann", "n": 3, "x": 2.5, "items": ["a", "b", "c"],
        "obj": {"k": "v", "nested": {"deep": 1}}, "flag": true, "empty": "",
    });
    let rows: &[(&str, &str)] = &[
        ("Hello $name!", "Hello Ann!"),
        ("${name}s", "Anns"),
        ("$missing and $!missing.", "$missing and ."),
        ("${missing}|$!{missing}|", "${missing}||"),
        ("$obj.k $obj.nested.deep $obj.none", "v 1 $obj.none"),
        ("$obj", "{k=v, nested={deep=1}}"),
        (
            "$items $items[1] $items.get(2) $items.size()",
            "[a, b, c] b c 3",
        ),
        ("cost: $5.00, #hash", "cost: $5.00, #hash"),
        ("\\$name", "$name"),
        ("#set($a = $n + 1)$a", "4"),
        ("#set($a = $n * $x)$a", "7.5"),
        ("#set($a = 7 / 2)$a #set($b = 7 % 2)$b", "3 1"),
        ("#set($a = \"Hi $name\")$a", "Hi Ann"),
        ("#set($a = 'Hi $name')$a", "Hi $name"),
        ("#set($a = $name + '!')$a", "Ann!"),
        ("#set($m = {\"a\": 1, \"b\": [1, 2]})$m.a $m.b", "1 [1, 2]"),
        ("#set($m = {})#set($m.k = 'v')$m", "{k=v}"),
        ("#set($l = [])#set($ok = $l.add('x'))$l $ok", "[x] true"),
        ("#set($a = 1)#set($a = $missing)$a", "1"),
        ("#if($flag)yes#else no#end", "yes"),
        ("#if($missing)yes#elseif($n > 2)big#else no#end", "big"),
        ("#if($n == 3 && $name == 'Ann')ok#end", "ok"),
        ("#if($n != 3 || !$flag)no#else ok#end", " ok"),
        ("#if($n eq 3 and not $missing)ok#end", "ok"),
        ("#if($n >= 3 && $n <= 3 && $n gt 2 && $n lt 4)ok#end", "ok"),
        ("#if($empty)truthy#end", "truthy"),
        ("#if($n == '3')same#end", "same"),
        ("#{if}($flag)a#{else}b#{end}", "a"),
        (
            "#foreach($i in $items)$i#if($foreach.hasNext),#end#end",
            "a,b,c",
        ),
        (
            "#foreach($i in $items)$foreach.index:$foreach.count:$velocityCount #end",
            "0:1:1 1:2:2 2:3:3 ",
        ),
        ("#foreach($i in [1..3])$i#end", "123"),
        ("#foreach($i in [3..1])$i#end", "321"),
        ("#foreach($v in $obj)[$v]#end", "[v][{deep=1}]"),
        (
            "#foreach($k in $obj.keySet())$k=$obj.get($k);#end",
            "k=v;nested={deep=1};",
        ),
        ("#foreach($i in $items)#if($i == 'b')#break#end$i#end", "a"),
        ("a#stop b", "a"),
        ("a## comment\nb", "ab"),
        ("a#* block\ncomment *#b", "ab"),
        ("#[[ $name #if ]]#", " $name #if "),
        (
            "$name.toUpperCase() $name.toLowerCase() $name.length()",
            "ANN ann 3",
        ),
        (
            "$name.substring(1) $name.substring(0, 1) $name.indexOf('n')",
            "nn A 1",
        ),
        (
            "$name.replace('n', 'm') $name.replaceAll('n+', '_') $name.contains('nn')",
            "Amm A_ true",
        ),
        (
            "$name.startsWith('A') $name.endsWith('x') $name.equals('Ann') $name.isEmpty()",
            "true false true false",
        ),
        (
            "#set($s = 'a,b,,c,,')#set($p = $s.split(','))$p $p.size()",
            "[a, b, , c] 4",
        ),
        ("' x '.trim()", "' x '.trim()"),
        ("#set($t = ' x ')[$t.trim()]", "[x]"),
        ("$name.matches('A.*') $name.matches('n')", "true false"),
        (
            "$obj.containsKey('k') $obj.size() $obj.isEmpty() $obj.empty",
            "true 2 false $obj.empty",
        ),
        ("#set($s = \"$n\")#if($s == 3)eq#end", "eq"),
        ("#set($f = 1.0)$f #set($g = 10 - 0.5)$g", "1.0 9.5"),
        ("#set($neg = -2)$neg #set($m = -$n)$m", "-2 -3"),
    ];
    for (template, expected) in rows {
        assert_eq!(render(template, vars.clone()), *expected, "{template:?}");
    }
}

#[test]
fn directives_alone_on_their_line_take_the_newline() {
    let template = "{\n  #set($a = 1)\n  #if($a == 1)\n  \"a\": $a\n  #end\n}\n";
    assert_eq!(
        render(template, serde_json::json!({})),
        "{\n  \"a\": 1\n}\n"
    );
    let template = "[\n#foreach($i in [1..2])\n  $i#if($foreach.hasNext),#end\n\n#end\n]";
    assert_eq!(
        render(template, serde_json::json!({})),
        "[\n  1,\n\n  2\n\n]"
    );
}

#[test]
fn parse_errors_name_line_and_column() {
    for (template, line, col, needle) in [
        ("#if($a)\nno end", 1, 1, "#if has no #end"),
        ("ok\n#end", 2, 1, "#end without"),
        ("x\n  #set($a = )", 2, 13, "unexpected `)`"),
        ("#foreach($i $list)#end", 1, 13, "`in`"),
        ("#set($a = 'open)", 1, 11, "never closed"),
        ("#* never", 1, 1, "never closed"),
    ] {
        let error = Template::parse(template).expect_err(template);
        assert_eq!(
            (error.line, error.col),
            (line, col),
            "{template:?}: {error}"
        );
        assert!(error.message.contains(needle), "{template:?}: {error}");
    }
}

/// Velocity 1.7's `#define`: the block renders where `$name` is referenced, with the variables
/// as they are then. API Gateway runs it: the Serverless Framework's default `integration: lambda`
/// request template builds its `headers`, `query` and `path` objects with one `#define( $loop )`.
#[test]
fn define_blocks_render_where_they_are_referenced() {
    let vars = serde_json::json!({"h": {"a": "1", "b": "2"}, "q": {"x": "y"}});
    let template = "#define( $loop )\n{#foreach($k in $map.keySet())\"$k\": \"$map.get($k)\"#if($foreach.hasNext), #end#end}\n#end\n#set( $map = $h )\n\"headers\": $loop,\n#set( $map = $q )\n\"query\": $loop";
    assert_eq!(
        render(template, vars.clone()),
        // The block keeps the newline before its `#end`, as Velocity's does.
        "\"headers\": {\"a\": \"1\", \"b\": \"2\"}\n,\n\"query\": {\"x\": \"y\"}\n"
    );
    for (template, expected) in [
        // The block's text is a string value, and `#set` replaces the block.
        ("#define($d)abc#end$d.length() ${d}!", "3 abc!"),
        ("#define($d)abc#end#set($d = 'x')$d", "x"),
        // Defined after a reference: that reference saw nothing yet.
        ("[$!d]#define($d)abc#end[$d]", "[][abc]"),
    ] {
        assert_eq!(render(template, vars.clone()), expected, "{template:?}");
    }
    // A block that names itself fails instead of recursing forever.
    let template = Template::parse("#define($d)x$d#end$d").expect("parses");
    assert!(template.render(&Vars(serde_json::json!({}))).is_err());
    let error = Template::parse("#define($d)never ends").expect_err("no #end");
    assert!(error.message.contains("#define has no #end"), "{error}");
}

#[test]
fn runaway_loops_fail_instead_of_hanging() {
    let template = Template::parse("#foreach($i in [1..2000000000])x#end").expect("parses");
    assert!(template.render(&Vars(serde_json::json!({}))).is_err());
}

/// A host that has null references render nothing, as API Gateway's mapping templates do.
struct Silent(Vars);

impl Host for Silent {
    fn variable(&self, name: &str) -> Option<Value> {
        self.0.variable(name)
    }
    fn null_renders_as_source(&self) -> bool {
        false
    }
}

#[test]
fn a_host_may_render_null_references_as_nothing() {
    let template = Template::parse("[$missing][$obj.none][$!missing][$obj.k]").expect("parses");
    let vars = || Vars(serde_json::json!({"obj": {"k": "v"}}));
    assert_eq!(
        template.render(&vars()).expect("renders"),
        "[$missing][$obj.none][][v]"
    );
    assert_eq!(
        template.render(&Silent(vars())).expect("renders"),
        "[][][][v]"
    );
}
