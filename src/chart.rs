//! Charts as inline SVG, drawn at build time: no JavaScript, no image files. Each chart is
//! an image with an accessible name (`<title>`) and description (`<desc>`); the page puts
//! a table with the same numbers beside it.

use std::fmt::Write as _;

use crate::urls::escape;

/// Fill colours of a chart's series: dark enough for white text and distinct in grey.
pub const PALETTE: [&str; 6] = [
    "#0b4f8a", "#d9822b", "#2e7d32", "#6a1b9a", "#b71c1c", "#455a64",
];

const TEXT: &str = "#1a1a1a";
const GRID: &str = "#c8c8c8";

fn open(id: &str, title: &str, desc: &str, width: u32, height: u32) -> String {
    format!(
        "<svg class=\"grafik\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-judul {id}-ket\" font-family=\"system-ui, sans-serif\" font-size=\"13\"><title id=\"{id}-judul\">{}</title><desc id=\"{id}-ket\">{}</desc>",
        escape(title),
        escape(desc)
    )
}

/// One bar of a horizontal bar chart.
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as shown ("3,52", "95,0 %").
    pub shown: String,
}

/// Horizontal bars from 0 to `max`, with `ticks` grid lines (values and their labels).
pub fn bars(
    id: &str,
    title: &str,
    desc: &str,
    bars: &[Bar],
    max: f64,
    ticks: &[(f64, String)],
) -> String {
    // Room for the regulation's longest element name at 12 units.
    let (label_w, plot_w, row, top) = (320.0, 280.0, 26.0, 8.0);
    let height = top + row * bars.len() as f64 + 24.0;
    // Room after a full bar for "100,0 %".
    let mut svg = open(id, title, desc, 680, height.ceil() as u32);
    let x = |v: f64| label_w + plot_w * (v / max).clamp(0.0, 1.0);
    for (v, label) in ticks {
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top}\" y2=\"{1:.1}\" stroke=\"{GRID}\"/><text x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\" fill=\"{TEXT}\" font-size=\"11\">{3}</text>",
            x(*v),
            height - 20.0,
            height - 6.0,
            escape(label)
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{TEXT}\" font-size=\"12\">{}</text><rect x=\"{label_w}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{TEXT}\">{}</text>",
            label_w - 8.0,
            y + row * 0.62,
            escape(&b.label),
            y + 4.0,
            x(b.value) - label_w,
            row - 8.0,
            PALETTE[0],
            x(b.value) + 6.0,
            y + row * 0.62,
            escape(&b.shown)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Stacked columns: one per category (a month), one segment per series (a channel), with
/// a legend; `totals` are written above the columns.
pub fn stacked(
    id: &str,
    title: &str,
    desc: &str,
    categories: &[String],
    series: &[(String, Vec<u32>)],
) -> String {
    let totals: Vec<u32> = (0..categories.len())
        .map(|c| {
            series
                .iter()
                .map(|(_, v)| v.get(c).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = f64::from(totals.iter().copied().max().unwrap_or(0).max(1));
    let (left, top, plot_h, col_gap) = (40.0, 20.0, 200.0, 14.0);
    let plot_w = 600.0;
    let col_w = ((plot_w - col_gap) / categories.len().max(1) as f64 - col_gap).max(4.0);
    let legend_y = top + plot_h + 40.0;
    let height = legend_y + 22.0 * series.len().div_ceil(3) as f64 + 6.0;
    let mut svg = open(id, title, desc, 660, height.ceil() as u32);
    let _ = write!(
        svg,
        "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{TEXT}\"/>",
        left + plot_w,
        top + plot_h,
        top + plot_h
    );
    for (c, name) in categories.iter().enumerate() {
        let x = left + col_gap + (col_w + col_gap) * c as f64;
        let mut y = top + plot_h;
        for (s, (_, values)) in series.iter().enumerate() {
            let v = values.get(c).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let h = plot_h * f64::from(v) / max;
            y -= h;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{col_w:.1}\" height=\"{h:.1}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1\"/>",
                PALETTE[s % PALETTE.len()]
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{0:.1}\" y=\"{1:.1}\" text-anchor=\"middle\" fill=\"{TEXT}\">{2}</text><text x=\"{0:.1}\" y=\"{3:.1}\" text-anchor=\"middle\" fill=\"{TEXT}\" font-size=\"12\">{4}</text>",
            x + col_w / 2.0,
            y - 5.0,
            totals[c],
            top + plot_h + 18.0,
            escape(name)
        );
    }
    for (s, (name, _)) in series.iter().enumerate() {
        let (col, line) = (s % 3, s / 3);
        let x = left + 200.0 * col as f64;
        let y = legend_y + 22.0 * line as f64;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"14\" height=\"14\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{y:.1}\" fill=\"{TEXT}\">{}</text>",
            y - 11.0,
            PALETTE[s % PALETTE.len()],
            x + 20.0,
            escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn charts_are_named_images_with_one_mark_per_value() {
        let b = bars(
            "c",
            "NRR <per> unsur",
            "d",
            &[
                Bar {
                    label: "U1".into(),
                    value: 2.0,
                    shown: "2,00".into(),
                },
                Bar {
                    label: "U2".into(),
                    value: 4.0,
                    shown: "4,00".into(),
                },
            ],
            4.0,
            &[(0.0, "0".into()), (4.0, "4".into())],
        );
        assert!(b.contains("role=\"img\" aria-labelledby=\"c-judul c-ket\""));
        assert!(b.contains("<title id=\"c-judul\">NRR &lt;per&gt; unsur</title>"));
        // Half and full width of the 280-unit plot.
        assert!(b.contains("width=\"140.0\""), "{b}");
        assert!(b.contains("width=\"280.0\""), "{b}");
        let s = stacked(
            "v",
            "t",
            "d",
            &["Jul".into(), "Agu".into()],
            &[
                ("Email".into(), vec![3, 0]),
                ("Tatap muka".into(), vec![1, 2]),
            ],
        );
        assert_eq!(
            s.matches("<rect").count(),
            3 + 2,
            "3 segments, 2 legend keys"
        );
        assert!(s.contains(">4</text>") && s.contains(">2</text>"), "totals");
    }
}
