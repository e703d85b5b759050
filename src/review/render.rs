//! The dashboard as one self-contained HTML page: the console's 24-column
//! grid (each widget at its x, y, width and height; 60 px columns, 45 px
//! rows), text widgets as markdown, metric widgets as SVG graphs (`chart`)
//! with an HTML legend, alarm status widgets as each alarm's state. No
//! script and nothing external: a Content-Security-Policy forbids loading
//! anything, so the file shows the same from disk anywhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pulldown_cmark::{html, Event, Options, Parser};
use serde::Serialize;

use super::body::{Kind, MetricWidget, Widget};
use super::chart::{self, Level, Line, Spec, PALETTE};
use super::fetch::Fetched;
use super::model::{AlarmInfo, Window};

pub const COLUMN_PX: u32 = 60;
pub const ROW_PX: u32 = 45;
const HEADER_PX: u32 = 26;
const LEGEND_LINE_PX: u32 = 18;
const INSET_PX: u32 = 4;

/// What `--render` produced (`--output json` prints all but the HTML).
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    pub dashboard: String,
    pub region: String,
    pub window: Window,
    pub widgets: usize,
    /// Lines drawn across all graphs, and their datapoints.
    pub series: usize,
    pub datapoints: usize,
    #[serde(skip)]
    pub html: String,
}

/// The page. `data[i]` is what was fetched for widget `i` (metric widgets
/// only; an error is shown in the widget), `alarms` the alarms by ARN.
pub fn page(
    dashboard: &str,
    region: &str,
    window: Window,
    widgets: &[Widget],
    data: &[Option<Result<Vec<Fetched>, String>>],
    alarms: &BTreeMap<String, AlarmInfo>,
) -> Rendered {
    let rows = widgets.iter().map(|w| w.y + w.height).max().unwrap_or(1);
    let mut body = String::new();
    let (mut series, mut datapoints) = (0, 0);
    for (i, w) in widgets.iter().enumerate() {
        let (kind, inner) = match &w.kind {
            Kind::Text { markdown } => (
                "text",
                format!("<div class=\"markdown\">{}</div>", markdown_html(markdown)),
            ),
            Kind::Metric(m) => {
                let fetched = data.get(i).and_then(Option::as_ref);
                let (html, lines, points) = metric(m, w, window, fetched);
                series += lines;
                datapoints += points;
                ("metric", html)
            }
            Kind::Alarm {
                title,
                alarms: arns,
            } => ("alarm", alarm_status(title, arns, alarms)),
            Kind::Other { kind, title } => (
                "other",
                format!(
                    "<h2>{}</h2><p class=\"note\">A {} widget: not drawn by streamkit.</p>",
                    esc(title),
                    esc(kind)
                ),
            ),
        };
        let _ = writeln!(
            body,
            "<section class=\"widget {kind}\" data-widget=\"{i}\" data-type=\"{kind}\" data-x=\"{x}\" data-y=\"{y}\" \
             data-width=\"{wd}\" data-height=\"{ht}\" style=\"grid-column:{c}/span {wd};grid-row:{r}/span {ht}\">\
             <div class=\"card\">{inner}</div></section>",
            x = w.x,
            y = w.y,
            wd = w.width,
            ht = w.height,
            c = w.x + 1,
            r = w.y + 1,
        );
    }
    let range = format!(
        "{} to {} UTC",
        time(window.start, "%Y-%m-%d %H:%M"),
        time(window.end, "%Y-%m-%d %H:%M")
    );
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{name} (CloudWatch dashboard)</title>\n<style>{CSS}</style></head>\n<body>\n\
         <header><h1>{name}</h1><p>{region} &middot; {range} &middot; drawn by streamkit from GetDashboard and GetMetricData</p></header>\n\
         <main class=\"grid\" style=\"grid-template-rows:repeat({rows},{ROW_PX}px)\">\n{body}</main>\n</body></html>\n",
        name = esc(dashboard),
        region = esc(region),
    );
    Rendered {
        dashboard: dashboard.to_string(),
        region: region.to_string(),
        window,
        widgets: widgets.len(),
        series,
        datapoints,
        html,
    }
}

const CSS: &str = "body{margin:0;background:#f2f3f3;color:#16191f;font:13px/1.4 'Amazon Ember','Helvetica Neue',Roboto,Arial,sans-serif}\
header{padding:12px 20px 4px}h1{font-size:20px;margin:0}header p{margin:2px 0;color:#545b64}\
.grid{display:grid;grid-template-columns:repeat(24,60px);width:1440px;margin:8px 16px 24px}\
.widget{box-sizing:border-box;margin:0;padding:4px;min-width:0;min-height:0}\
.card{box-sizing:border-box;height:100%;background:#fff;border-radius:2px;box-shadow:0 1px 1px rgba(0,28,36,.3);padding:4px 8px;overflow:hidden}\
.widget.text .card{background:transparent;box-shadow:none}\
h2{font-size:14px;font-weight:700;margin:0 0 4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\
.markdown h2{font-size:18px;margin:0}.markdown p{margin:0}figure{margin:0}figure svg{display:block;width:100%;height:auto}\
.legend{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:2px 12px;font-size:11px}\
.legend i{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}\
.nodata{color:#545b64;text-align:center;padding-top:40px}.error{color:#d13212}.note{color:#545b64}\
.single{font-size:28px;font-weight:300}.alarms{list-style:none;margin:0;padding:0}.alarms li{margin:4px 0}\
.state{display:inline-block;padding:1px 6px;margin-right:4px;border-radius:2px;color:#fff;font-weight:700;font-size:11px}\
.state-ALARM{background:#d13212}.state-OK{background:#1d8102}.state-INSUFFICIENT_DATA{background:#687078}\
.alarms small{display:block;color:#545b64;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}";

fn metric(
    m: &MetricWidget,
    w: &Widget,
    window: Window,
    fetched: Option<&Result<Vec<Fetched>, String>>,
) -> (String, usize, usize) {
    let title = format!("<h2>{}</h2>", esc(&m.title));
    let fetched = match fetched {
        Some(Ok(f)) => f,
        Some(Err(e)) => return (format!("{title}<p class=\"error\">{}</p>", esc(e)), 0, 0),
        None => {
            return (
                format!("{title}<p class=\"nodata\">No data available.</p>"),
                0,
                0,
            )
        }
    };
    let mut lines: Vec<Line> = Vec::new();
    for f in fetched {
        let Some(spec) = m.series.iter().find(|s| s.id == f.id) else {
            continue;
        };
        if !spec.visible {
            continue;
        }
        let color = spec
            .color
            .clone()
            .unwrap_or_else(|| PALETTE[lines.len() % PALETTE.len()].to_string());
        lines.push(Line {
            label: f.label.clone(),
            color,
            side: spec.side,
            points: f.points.clone(),
        });
    }
    let points: usize = lines.iter().map(|l| l.points.len()).sum();
    let legend: String = lines
        .iter()
        .map(|l| {
            format!(
                "<li><i style=\"background:{}\"></i>{}</li>",
                esc(&l.color),
                esc(&l.label)
            )
        })
        .collect();
    if m.view == "singleValue" {
        let values: String = lines
            .iter()
            .map(|l| match l.points.last() {
                Some(p) => format!(
                    "<div class=\"single\" style=\"color:{}\">{}</div><small>{}</small>",
                    esc(&l.color),
                    chart::compact(p.1),
                    esc(&l.label)
                ),
                None => format!(
                    "<div class=\"single\">&ndash;</div><small>{}</small>",
                    esc(&l.label)
                ),
            })
            .collect();
        return (format!("{title}{values}"), lines.len(), points);
    }
    if points == 0 {
        return (format!("{title}<p class=\"nodata\">No data available.</p><ul class=\"legend\">{legend}</ul>"), 0, 0);
    }
    let width = w.width * COLUMN_PX - 2 * INSET_PX - 16;
    let legend_rows =
        1 + lines.iter().map(|l| l.label.len() as u32 + 4).sum::<u32>() * 6 / width.max(1);
    let height = (w.height * ROW_PX)
        .saturating_sub(2 * INSET_PX + 8 + HEADER_PX + legend_rows * LEGEND_LINE_PX)
        .max(60);
    let levels: Vec<Level> = m
        .annotations
        .iter()
        .map(|a| Level {
            value: a.value,
            color: a.color.clone().unwrap_or_else(|| "#d62728".into()),
            side: a.side,
        })
        .collect();
    let svg = chart::svg(&Spec {
        width,
        height,
        start: window.start,
        end: window.end,
        lines: &lines,
        levels: &levels,
        left: &m.left,
        right: &m.right,
    });
    let figure = match svg {
        Ok(svg) => format!(
            "<figure data-series=\"{}\" data-points=\"{points}\">{svg}</figure>",
            lines.len()
        ),
        Err(e) => format!("<p class=\"error\">{}</p>", esc(&e)),
    };
    let drawn = lines.iter().filter(|l| !l.points.is_empty()).count();
    (
        format!("{title}{figure}<ul class=\"legend\">{legend}</ul>"),
        drawn,
        points,
    )
}

fn alarm_status(title: &str, arns: &[String], alarms: &BTreeMap<String, AlarmInfo>) -> String {
    let items: String = arns
        .iter()
        .map(|arn| match alarms.get(arn) {
            Some(a) => format!(
                "<li data-state=\"{state}\"><span class=\"state state-{state}\">{shown}</span> {name}<small title=\"{reason}\">{reason}</small></li>",
                state = esc(&a.state),
                shown = esc(&a.state.replace('_', " ")),
                name = esc(&a.name),
                reason = esc(&match a.updated {
                    Some(t) => format!("since {}: {}", time(t, "%H:%M UTC"), a.reason),
                    None => a.reason.clone(),
                }),
            ),
            None => format!(
                "<li data-state=\"unknown\"><span class=\"state state-INSUFFICIENT_DATA\">NOT FOUND</span> {}</li>",
                esc(arn.rsplit(':').next().unwrap_or(arn))
            ),
        })
        .collect();
    format!("<h2>{}</h2><ul class=\"alarms\">{items}</ul>", esc(title))
}

/// Markdown as the console renders it; raw HTML in it is shown as text.
pub fn markdown_html(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

fn time(epoch: i64, format: &str) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map_or_else(String::new, |t| t.format(format).to_string())
}

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::body;

    #[test]
    fn widgets_land_on_the_grid_with_graphs_text_and_alarm_states() {
        let widgets = body::parse(
            r###"{"widgets":[
              {"type":"text","x":0,"y":0,"width":24,"height":1,"properties":{"markdown":"## Stream <b>x</b>"}},
              {"type":"metric","x":6,"y":1,"width":6,"height":6,"properties":{"title":"In","stat":"Sum","period":60,
                "metrics":[["AWS/Kinesis","IncomingRecords","StreamName","s",{"id":"a"}],["AWS/Kinesis","IncomingBytes","StreamName","s",{"yAxis":"right","id":"b"}]]}},
              {"type":"alarm","x":0,"y":1,"width":6,"height":6,"properties":{"title":"A","alarms":["arn:aws:cloudwatch:us-east-1:1:alarm:x"]}}]}"###,
        )
        .unwrap();
        let fetched = vec![
            Fetched {
                id: "a".into(),
                label: "IncomingRecords".into(),
                points: vec![(0, 1.0), (60, 5.0), (120, 2.0)],
            },
            Fetched {
                id: "b".into(),
                label: "IncomingBytes".into(),
                points: vec![(0, 100.0), (60, 500.0)],
            },
        ];
        let alarm = AlarmInfo {
            name: "x".into(),
            arn: "arn:aws:cloudwatch:us-east-1:1:alarm:x".into(),
            region: "us-east-1".into(),
            state: "ALARM".into(),
            reason: "Threshold Crossed".into(),
            updated: Some(60),
            description: String::new(),
            metrics: vec![],
        };
        let alarms = BTreeMap::from([(alarm.arn.clone(), alarm)]);
        let out = page(
            "d",
            "us-east-1",
            Window { start: 0, end: 180 },
            &widgets,
            &[None, Some(Ok(fetched)), None],
            &alarms,
        );
        assert_eq!((out.widgets, out.series, out.datapoints), (3, 2, 5));
        assert!(out.html.contains("data-x=\"6\" data-y=\"1\" data-width=\"6\" data-height=\"6\" style=\"grid-column:7/span 6;grid-row:2/span 6\""));
        assert!(
            out.html.contains("<h2>Stream &lt;b&gt;x&lt;/b&gt;</h2>"),
            "raw HTML is text"
        );
        assert!(out
            .html
            .contains("<figure data-series=\"2\" data-points=\"5\"><svg"));
        assert!(out
            .html
            .contains("class=\"state state-ALARM\">ALARM</span> x"));
        assert!(!out.html.contains("<script"));
    }
}
