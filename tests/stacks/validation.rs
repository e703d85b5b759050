//! Each class of template defect is caught at render time, and the error names
//! the fragment file and the logical ID. Uses small broken fixtures.

use streamkit::catalog::parse_manifest;
use streamkit::render::{render_with, RenderOptions};
use streamkit::Error;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/broken");

fn render_fixture(extra: &str, groups: &str) -> Result<serde_json::Value, Error> {
    let manifest = parse_manifest(
        "patterns/fixture.yaml",
        &format!(
            "id: fixture\nname: fixture\ntitle: Fixture\ndescription: d\ntemplate_description: t\n\
             fragments: [base.yaml, {extra}]\nparameter_groups:\n  - label: All\n    parameters: [{groups}]\n"
        ),
    )?;
    let names = ["base.yaml", extra];
    let texts: Vec<String> = names
        .iter()
        .map(|n| std::fs::read_to_string(format!("{FIXTURES}/{n}")).unwrap())
        .collect();
    let sources: Vec<(&str, &str)> = names
        .iter()
        .copied()
        .zip(texts.iter().map(String::as_str))
        .collect();
    render_with(&manifest, &RenderOptions::default(), &sources).map(|r| r.template)
}

fn error_of(extra: &str, groups: &str) -> String {
    match render_fixture(extra, groups) {
        Ok(_) => panic!("{extra} rendered without an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_base_fixture_is_valid() {
    let template = render_fixture("html.yaml", "Size").expect("valid fixture renders");
    assert_eq!(template["Resources"]["Queue"]["Type"], "AWS::SQS::Queue");
}

#[test]
fn logical_id_collision_names_both_files() {
    let e = error_of("collision.yaml", "Size");
    assert!(
        e.starts_with("templates/collision.yaml: Queue: logical ID collision"),
        "{e}"
    );
    assert!(e.contains("already defined in templates/base.yaml"), "{e}");
}

#[test]
fn dangling_sub_variable_is_reported() {
    let e = error_of("dangling-ref.yaml", "Size");
    assert_eq!(
        e,
        "templates/dangling-ref.yaml: Topic: Fn::Sub variable '${Missing}' does not resolve: no such parameter, resource or pseudo parameter"
    );
}

#[test]
fn dangling_getatt_is_reported() {
    let e = error_of("dangling-getatt.yaml", "Size");
    assert!(
        e.starts_with("templates/dangling-getatt.yaml: Nope: Fn::GetAtt 'Nowhere'"),
        "{e}"
    );
}

#[test]
fn dangling_condition_is_reported() {
    let e = error_of("dangling-condition.yaml", "Size");
    assert!(
        e.contains("Topic: Condition 'NotDeclared' does not resolve"),
        "{e}"
    );
}

#[test]
fn dangling_depends_on_is_reported() {
    let e = error_of("dangling-dependson.yaml", "Size");
    assert!(
        e.contains("Topic: DependsOn 'Ghost' does not resolve"),
        "{e}"
    );
}

#[test]
fn unused_parameter_is_reported() {
    let e = error_of("unused-parameter.yaml", "Size, Unused");
    assert_eq!(
        e,
        "templates/unused-parameter.yaml: Unused: parameter is never used"
    );
}

#[test]
fn default_outside_allowed_values_is_reported() {
    let e = error_of("bad-default.yaml", "Size, Mode");
    assert!(
        e.starts_with(
            "templates/bad-default.yaml: Mode: Default of Mode 'FAST' is not one of SLOW, MEDIUM"
        ),
        "{e}"
    );
}

#[test]
fn default_outside_range_is_reported() {
    let e = error_of("bad-default-range.yaml", "Size, Count");
    assert!(
        e.contains("Count: Default of Count '500' is above MaxValue 200"),
        "{e}"
    );
}

#[test]
fn parameter_missing_from_groups_names_the_manifest() {
    let e = error_of("bad-default-range.yaml", "Size, Count, Ghost");
    assert!(
        e.starts_with("templates/bad-default-range.yaml: Count"),
        "{e}"
    );
    let manifest_error = match render_fixture("html.yaml", "") {
        Ok(_) => panic!("a parameter outside every group must fail"),
        Err(e) => e.to_string(),
    };
    assert!(
        manifest_error
            .starts_with("patterns/fixture.yaml: Size: parameter is in no parameter group"),
        "{manifest_error}"
    );
}

#[test]
fn unknown_top_level_key_is_reported() {
    let e = error_of("unknown-section.yaml", "Size");
    assert!(
        e.starts_with("templates/unknown-section.yaml: unknown top-level key 'Resourcez'"),
        "{e}"
    );
}

#[test]
fn fragments_are_never_html_escaped() {
    // The fixture title contains characters HTML escaping would mangle.
    let manifest = parse_manifest(
        "patterns/fixture.yaml",
        "id: fixture\nname: fixture\ntitle: \"A -> B & <C>\"\ndescription: d\ntemplate_description: t\n\
         fragments: [base.yaml, html.yaml]\nparameter_groups:\n  - label: All\n    parameters: [Size]\n",
    )
    .unwrap();
    let base = std::fs::read_to_string(format!("{FIXTURES}/base.yaml")).unwrap();
    let html = std::fs::read_to_string(format!("{FIXTURES}/html.yaml")).unwrap();
    let t = render_with(
        &manifest,
        &RenderOptions::default(),
        &[("base.yaml", &base), ("html.yaml", &html)],
    )
    .unwrap()
    .template;
    assert_eq!(
        t["Resources"]["Topic"]["Properties"]["DisplayName"],
        "A -> B & <C>"
    );
}

#[test]
fn sub_variable_parser_skips_escapes_and_keeps_attributes() {
    let vars = streamkit::validate::sub_variables("${A}-${!Literal}-${B.Arn}-${AWS::Region}");
    assert_eq!(vars, ["A", "B.Arn", "AWS::Region"]);
}
