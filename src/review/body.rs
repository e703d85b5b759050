//! The CloudWatch dashboard body (the JSON `GetDashboard` returns) as typed
//! widgets: their place on the 24-column grid and what they draw.
//!
//! Metric rows follow CloudWatch's format: `[Namespace, MetricName,
//! DimName, DimValue, ..., {options}]`, where `"."` repeats the value at the
//! same position of the previous row and a leading `"..."` repeats the
//! previous row up to the values that follow it; `[{"expression": ...}]` is a
//! metric math row. Rows without an `id` get `m1`, `m2`, ... (skipping ids in
//! use), as the console assigns them.

use serde_json::{Map, Value};

/// One widget: grid position and size, and its content.
#[derive(Debug, Clone, PartialEq)]
pub struct Widget {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Text {
        markdown: String,
    },
    Metric(Box<MetricWidget>),
    /// An alarm status widget: the states of the alarms named by ARN.
    Alarm {
        title: String,
        alarms: Vec<String>,
    },
    /// A widget type this renderer does not draw (log, explorer, custom).
    Other {
        kind: String,
        title: String,
    },
}

/// A graph (or single value) of metrics and metric math.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricWidget {
    pub title: String,
    pub region: Option<String>,
    pub view: String,
    pub stat: String,
    pub period: i32,
    pub left: Axis,
    pub right: Axis,
    pub series: Vec<Series>,
    pub annotations: Vec<Annotation>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Axis {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// One row of a metric widget.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub id: String,
    pub label: Option<String>,
    pub side: Side,
    pub visible: bool,
    pub color: Option<String>,
    pub region: Option<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Metric(MetricRef),
    Expression(String),
}

/// A metric with the statistic and period it is read with.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRef {
    pub namespace: String,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
    pub stat: String,
    pub period: i32,
}

/// A horizontal line at `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub value: f64,
    pub label: Option<String>,
    pub color: Option<String>,
    pub side: Side,
}

/// Parses a dashboard body; the error names the widget at fault.
pub fn parse(body: &str) -> Result<Vec<Widget>, String> {
    let doc: Value =
        serde_json::from_str(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let widgets = doc["widgets"]
        .as_array()
        .ok_or("the body has no 'widgets' array")?;
    widgets
        .iter()
        .enumerate()
        .map(|(i, w)| widget(w).map_err(|e| format!("widget {}: {e}", i + 1)))
        .collect()
}

fn widget(w: &Value) -> Result<Widget, String> {
    let number = |key: &str, default: u32| -> Result<u32, String> {
        match &w[key] {
            Value::Null => Ok(default),
            v => v
                .as_u64()
                .map(|n| n as u32)
                .ok_or_else(|| format!("'{key}' must be a whole number")),
        }
    };
    let props = w["properties"].as_object().cloned().unwrap_or_default();
    let title = text(&props, "title").unwrap_or_default();
    let kind = match w["type"].as_str().unwrap_or_default() {
        "text" => Kind::Text {
            markdown: text(&props, "markdown").unwrap_or_default(),
        },
        "alarm" => Kind::Alarm {
            title,
            alarms: props
                .get("alarms")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        },
        "metric" => Kind::Metric(Box::new(metric_widget(&props, title)?)),
        other => Kind::Other {
            kind: other.to_string(),
            title,
        },
    };
    Ok(Widget {
        x: number("x", 0)?,
        y: number("y", 0)?,
        width: number("width", 6)?,
        height: number("height", 6)?,
        kind,
    })
}

fn metric_widget(props: &Map<String, Value>, title: String) -> Result<MetricWidget, String> {
    let stat = text(props, "stat").unwrap_or_else(|| "Average".into());
    let period = props.get("period").and_then(Value::as_i64).unwrap_or(300) as i32;
    let rows = props
        .get("metrics")
        .and_then(Value::as_array)
        .ok_or("a metric widget needs a 'metrics' array")?;
    let mut series = Vec::new();
    let mut previous: Vec<String> = Vec::new();
    let used: Vec<String> = rows
        .iter()
        .filter_map(|r| r.as_array()?.last()?.get("id")?.as_str().map(String::from))
        .collect();
    let mut next_id = 1;
    for (i, row) in rows.iter().enumerate() {
        let row = row
            .as_array()
            .ok_or_else(|| format!("metric row {} is not an array", i + 1))?;
        let options = row
            .last()
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let id = match text(&options, "id") {
            Some(id) => id,
            None => loop {
                let candidate = format!("m{next_id}");
                next_id += 1;
                if !used.contains(&candidate) {
                    break candidate;
                }
            },
        };
        let source = match text(&options, "expression") {
            Some(expr) => Source::Expression(expr),
            None => {
                let values =
                    expand(row, &previous).map_err(|e| format!("metric row {}: {e}", i + 1))?;
                previous = values.clone();
                Source::Metric(MetricRef {
                    namespace: values[0].clone(),
                    name: values[1].clone(),
                    dimensions: values[2..]
                        .chunks(2)
                        .map(|kv| (kv[0].clone(), kv.get(1).cloned().unwrap_or_default()))
                        .collect(),
                    stat: text(&options, "stat").unwrap_or_else(|| stat.clone()),
                    period: options
                        .get("period")
                        .and_then(Value::as_i64)
                        .map_or(period, |p| p as i32),
                })
            }
        };
        series.push(Series {
            id,
            label: text(&options, "label"),
            side: side(&options),
            visible: options
                .get("visible")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            color: text(&options, "color"),
            region: text(&options, "region"),
            source,
        });
    }
    let axis = |name: &str| -> Axis {
        let a = &props.get("yAxis").cloned().unwrap_or_default()[name];
        Axis {
            min: a["min"].as_f64(),
            max: a["max"].as_f64(),
            label: a["label"].as_str().map(String::from),
        }
    };
    let annotations = props
        .get("annotations")
        .and_then(|a| a["horizontal"].as_array())
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    let a = a.as_object()?;
                    Some(Annotation {
                        value: a.get("value")?.as_f64()?,
                        label: text(a, "label"),
                        color: text(a, "color"),
                        side: side(a),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(MetricWidget {
        title,
        region: text(props, "region"),
        view: text(props, "view").unwrap_or_else(|| "timeSeries".into()),
        stat,
        period,
        left: axis("left"),
        right: axis("right"),
        series,
        annotations,
    })
}

/// The row's strings with `"."` and `"..."` resolved against the previous row.
fn expand(row: &[Value], previous: &[String]) -> Result<Vec<String>, String> {
    let strings: Vec<&str> = row.iter().filter_map(Value::as_str).collect();
    let mut out: Vec<String> = Vec::new();
    let rest = match strings.first() {
        Some(&"...") => {
            let keep = previous.len().saturating_sub(strings.len() - 1);
            out.extend(previous[..keep].iter().cloned());
            &strings[1..]
        }
        _ => &strings[..],
    };
    for s in rest {
        let position = out.len();
        if *s == "." {
            let repeated = previous
                .get(position)
                .ok_or("'.' has no value above it to repeat")?;
            out.push(repeated.clone());
        } else {
            out.push((*s).to_string());
        }
    }
    if out.len() < 2 || !out.len().is_multiple_of(2) {
        return Err("expected a namespace, a metric name and name/value pairs".into());
    }
    Ok(out)
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(String::from)
}

fn side(map: &Map<String, Value>) -> Side {
    match map.get("yAxis").and_then(Value::as_str) {
        Some("right") => Side::Right,
        _ => Side::Left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_shorthand_ids_and_options() {
        let body = r#"{"widgets":[{"type":"metric","x":6,"y":1,"width":6,"height":6,"properties":{
            "title":"t","stat":"Sum","period":60,"metrics":[
              ["AWS/EC2","CPU","InstanceId","i-1"],
              [".",".",".","i-2",{"yAxis":"right","stat":"p99"}],
              ["...","i-3"],
              [{"expression":"m1 + m2","label":"both","id":"e1"}]]}}]}"#;
        let [w] = parse(body).unwrap().try_into().unwrap();
        assert_eq!((w.x, w.y, w.width, w.height), (6, 1, 6, 6));
        let Kind::Metric(m) = w.kind else { panic!() };
        let dims: Vec<_> = m
            .series
            .iter()
            .filter_map(|s| match &s.source {
                Source::Metric(r) => {
                    Some((s.id.clone(), r.dimensions[0].1.clone(), r.stat.clone()))
                }
                Source::Expression(_) => None,
            })
            .collect();
        assert_eq!(
            dims,
            [
                ("m1".into(), "i-1".into(), "Sum".into()),
                ("m2".into(), "i-2".into(), "p99".into()),
                ("m3".into(), "i-3".into(), "Sum".into())
            ]
        );
        assert_eq!(m.series[1].side, Side::Right);
        assert_eq!(m.series[3].source, Source::Expression("m1 + m2".into()));
    }

    #[test]
    fn a_broken_row_names_its_widget() {
        let body = r#"{"widgets":[{"type":"text","properties":{"markdown":"x"}},
            {"type":"metric","properties":{"metrics":[["AWS/EC2"]]}}]}"#;
        assert_eq!(
            parse(body).unwrap_err(),
            "widget 2: metric row 1: expected a namespace, a metric name and name/value pairs"
        );
    }
}
