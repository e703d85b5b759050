//! Dashboard layout: turns the `DashboardSections` that fragments contribute into
//! the JSON body of the stack's one `AWS::CloudWatch::Dashboard`.
//!
//! Layout rules (from the spec): each section starts with a full-width markdown
//! header (24x1); graphs and alarm widgets are 6x6, four to a row; period 60 s
//! unless a widget says otherwise. The body goes through `Fn::Sub`, so widgets
//! name stack resources as `${Stream}` or `${SomeAlarm.Arn}`.

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::origins::Origins;

const GRID_WIDTH: u64 = 24;
const WIDGET: u64 = 6;
const LAYOUT_KEYS: [&str; 4] = ["alarm", "width", "height", "markdown"];

/// Fills `DashboardBody` of the single dashboard resource from `sections`.
pub fn attach(
    resources: &mut Map<String, Value>,
    sections: &[Value],
    origins: &Origins,
) -> Result<()> {
    let dashboards: Vec<String> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Dashboard")
        .map(|(id, _)| id.clone())
        .collect();
    let [id] = dashboards.as_slice() else {
        return Err(Error::template(
            "templates/",
            "DashboardSections",
            format!(
                "dashboard sections need exactly one AWS::CloudWatch::Dashboard resource, found {}",
                dashboards.len()
            ),
        ));
    };
    let origin = origins.get(id).cloned().unwrap_or_default();
    let body = layout(sections).map_err(|m| Error::template(&origin, id, m))?;
    let text = serde_json::to_string(&body).expect("dashboard body serializes");
    let properties = resources[id]
        .as_object_mut()
        .expect("resource is a mapping")
        .entry("Properties")
        .or_insert_with(|| json!({}));
    properties["DashboardBody"] = json!({ "Fn::Sub": text });
    Ok(())
}

/// Lays the sections out on the 24-column grid.
pub fn layout(sections: &[Value]) -> Result<Value, String> {
    let mut widgets = Vec::new();
    let mut y = 0;
    for section in sections {
        let title = section["title"]
            .as_str()
            .ok_or("every dashboard section needs a 'title'")?;
        widgets.push(json!({
            "type": "text", "x": 0, "y": y, "width": GRID_WIDTH, "height": 1,
            "properties": { "markdown": format!("## {title}") }
        }));
        y += 1;
        let (mut x, mut row_height) = (0, 0);
        let empty = Vec::new();
        for widget in section["widgets"].as_array().unwrap_or(&empty) {
            let width = widget["width"].as_u64().unwrap_or(WIDGET);
            let height = widget["height"].as_u64().unwrap_or(WIDGET);
            if x + width > GRID_WIDTH {
                x = 0;
                y += row_height;
                row_height = 0;
            }
            let (kind, properties) = widget_properties(widget, title)?;
            widgets.push(json!({
                "type": kind, "x": x, "y": y, "width": width, "height": height,
                "properties": properties
            }));
            x += width;
            row_height = row_height.max(height);
        }
        y += row_height;
    }
    Ok(json!({ "widgets": widgets }))
}

fn widget_properties(widget: &Value, section: &str) -> Result<(&'static str, Value), String> {
    let Some(spec) = widget.as_object() else {
        return Err(format!(
            "section '{section}': every widget must be a mapping"
        ));
    };
    if let Some(markdown) = spec.get("markdown") {
        return Ok(("text", json!({ "markdown": markdown })));
    }
    let mut props: Map<String, Value> = spec
        .iter()
        .filter(|(k, _)| !LAYOUT_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !props.contains_key("title") {
        return Err(format!("section '{section}': every widget needs a 'title'"));
    }
    if let Some(alarm) = spec.get("alarm") {
        let alarm = alarm
            .as_str()
            .ok_or_else(|| format!("section '{section}': 'alarm' must be a logical ID"))?;
        props.insert("alarms".into(), json!([format!("${{{alarm}.Arn}}")]));
        return Ok(("alarm", Value::Object(props)));
    }
    if !props.contains_key("metrics") {
        return Err(format!(
            "section '{section}': widget '{}' needs 'metrics' or 'alarm'",
            props["title"].as_str().unwrap_or_default()
        ));
    }
    props.entry("region").or_insert(json!("${AWS::Region}"));
    props.entry("view").or_insert(json!("timeSeries"));
    props.entry("stat").or_insert(json!("Average"));
    props.entry("period").or_insert(json!(60));
    Ok(("metric", Value::Object(props)))
}
