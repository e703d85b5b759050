//! One time-series graph as inline SVG, drawn by `plotters` (SVG backend):
//! lines on the left and right y axes, horizontal annotations as dashed
//! lines, time labels in UTC. The legend and title are HTML around it
//! (`render`).

use plotters::prelude::*;

use super::body::{Axis, Side};

/// The console's palette, in the order it assigns colours to series.
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// One line: its colour (`#rrggbb`), axis and points (epoch seconds, value).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub color: String,
    pub side: Side,
    pub points: Vec<(i64, f64)>,
}

/// A horizontal line across the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub value: f64,
    pub color: String,
    pub side: Side,
}

/// Everything one graph needs.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    pub width: u32,
    pub height: u32,
    pub start: i64,
    pub end: i64,
    pub lines: &'a [Line],
    pub levels: &'a [Level],
    pub left: &'a Axis,
    pub right: &'a Axis,
}

/// The graph as an `<svg>` element.
pub fn svg(spec: &Spec) -> Result<String, String> {
    let mut out = String::new();
    draw(spec, &mut out).map_err(|e| format!("cannot draw the graph: {e}"))?;
    Ok(out)
}

fn draw(spec: &Spec, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let has_right = spec.lines.iter().any(|l| l.side == Side::Right);
    let (x0, x1) = (spec.start as f64, spec.end.max(spec.start + 60) as f64);
    let left = range(spec, Side::Left, spec.left);
    let right = range(spec, Side::Right, spec.right);
    let root = SVGBackend::with_string(out, (spec.width, spec.height)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(6)
        .margin_right(if has_right { 2 } else { 10 })
        .x_label_area_size(20)
        .y_label_area_size(46)
        .right_y_label_area_size(if has_right { 46 } else { 0 })
        .build_cartesian_2d(x0..x1, left.0..left.1)?
        .set_secondary_coord(x0..x1, right.0..right.1);
    let time = |x: &f64| {
        chrono::DateTime::from_timestamp(*x as i64, 0)
            .map_or_else(String::new, |t| t.format("%H:%M").to_string())
    };
    let grid = RGBColor(0xe9, 0xeb, 0xed);
    chart
        .configure_mesh()
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&time)
        .y_label_formatter(&|v| compact(*v))
        .label_style(
            ("sans-serif", 11)
                .into_font()
                .color(&RGBColor(0x54, 0x5b, 0x64)),
        )
        .bold_line_style(grid)
        .light_line_style(TRANSPARENT)
        .axis_style(RGBColor(0xaa, 0xb7, 0xb8))
        .draw()?;
    if has_right {
        chart
            .configure_secondary_axes()
            .y_labels(5)
            .y_label_formatter(&|v| compact(*v))
            .label_style(
                ("sans-serif", 11)
                    .into_font()
                    .color(&RGBColor(0x54, 0x5b, 0x64)),
            )
            .axis_style(RGBColor(0xaa, 0xb7, 0xb8))
            .draw()?;
    }
    for level in spec.levels {
        let style = color(&level.color).stroke_width(1);
        let points = [(x0, level.value), (x1, level.value)];
        match level.side {
            Side::Left => chart.draw_series(DashedLineSeries::new(points, 6, 4, style))?,
            Side::Right => {
                chart.draw_secondary_series(DashedLineSeries::new(points, 6, 4, style))?
            }
        };
    }
    for line in spec.lines {
        let style = color(&line.color).stroke_width(2);
        let points = line.points.iter().map(|&(t, v)| (t as f64, v));
        let series =
            LineSeries::new(points, style).point_size(if line.points.len() < 3 { 3 } else { 0 });
        match line.side {
            Side::Left => chart.draw_series(series)?,
            Side::Right => chart.draw_secondary_series(series)?,
        };
    }
    root.present()?;
    Ok(())
}

/// The y range of one side: the axis' min/max where set, else from the
/// data and levels (from 0 unless values are negative, 10 % headroom).
fn range(spec: &Spec, side: Side, axis: &Axis) -> (f64, f64) {
    let values: Vec<f64> = spec
        .lines
        .iter()
        .filter(|l| l.side == side)
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(
            spec.levels
                .iter()
                .filter(|l| l.side == side)
                .map(|l| l.value),
        )
        .filter(|v| v.is_finite())
        .collect();
    let lo = values.iter().copied().fold(0.0_f64, f64::min);
    let hi = values.iter().copied().fold(f64::MIN, f64::max);
    let hi = if hi <= lo {
        lo + 1.0
    } else {
        hi + (hi - lo) * 0.1
    };
    let (lo, hi) = (axis.min.unwrap_or(lo), axis.max.unwrap_or(hi));
    if hi > lo {
        (lo, hi)
    } else {
        (lo, lo + 1.0)
    }
}

/// `1.2k`, `3.4M`, `0.05`: short tick labels.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = if scaled.fract() == 0.0 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{suffix}")
}

fn color(hex: &str) -> RGBColor {
    let channel =
        |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(0x80);
    if hex.len() == 7 && hex.starts_with('#') {
        RGBColor(channel(1), channel(3), channel(5))
    } else {
        RGBColor(0x1f, 0x77, 0xb4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_polylines_on_both_axes() {
        let lines = [
            Line {
                label: "a".into(),
                color: PALETTE[0].into(),
                side: Side::Left,
                points: vec![(0, 1.0), (60, 2.0), (120, 3.0)],
            },
            Line {
                label: "b".into(),
                color: PALETTE[1].into(),
                side: Side::Right,
                points: vec![(0, 100.0), (60, 50.0), (120, 75.0)],
            },
        ];
        let levels = [Level {
            value: 2.5,
            color: "#d62728".into(),
            side: Side::Left,
        }];
        let axis = Axis::default();
        let out = svg(&Spec {
            width: 300,
            height: 160,
            start: 0,
            end: 180,
            lines: &lines,
            levels: &levels,
            left: &axis,
            right: &axis,
        })
        .unwrap();
        assert!(out.starts_with("<svg") && out.contains("viewBox=\"0 0 300 160\""));
        // Series are 2 px polylines in their colours; the annotation is dashed (1 px pieces).
        assert!(
            out.contains("stroke=\"#1F77B4\" stroke-width=\"2\" points=\"52,95 118,57 184,18 \""),
            "{out}"
        );
        assert_eq!(
            out.matches("stroke-width=\"2\" points=").count(),
            2,
            "{out}"
        );
        assert!(
            out.matches("stroke=\"#D62728\" stroke-width=\"1\"").count() > 5,
            "{out}"
        );
    }

    #[test]
    fn tick_labels_are_compact() {
        assert_eq!(compact(1500.0), "1.5k");
        assert_eq!(compact(2_000_000.0), "2M");
        assert_eq!(compact(0.05), "0.05");
        assert_eq!(compact(42.0), "42");
    }
}
