//! The one table the bench prints: each measure beside the limit (or the
//! target) it is compared with, and the ratio of the two.

#[derive(Default)]
pub struct Table {
    rows: Vec<[String; 4]>,
}

/// How a value compares with its limit.
pub enum Ratio {
    /// A rate: the value as a share of the limit (1.00 is at the limit).
    Rate(f64, f64),
    /// A cost (time, memory): the value as a multiple of the target
    /// (≤ 1.00 meets it).
    Cost(f64, f64),
    None,
}

impl Table {
    pub fn row(&mut self, what: &str, value: String, limit: &str, ratio: Ratio) {
        let ratio = match ratio {
            Ratio::Rate(v, l) | Ratio::Cost(v, l) if l > 0.0 && v.is_finite() => {
                format!("{:.2}", v / l)
            }
            _ => "—".to_owned(),
        };
        eprintln!("  {what}: {value}");
        self.rows
            .push([what.to_owned(), value, limit.to_owned(), ratio]);
    }

    /// Markdown, ready for docs/performance.md.
    pub fn render(&self) -> String {
        let mut out = String::from("| measure | value | limit or target | ratio |\n");
        out.push_str("| --- | --- | --- | --- |\n");
        for [what, value, limit, ratio] in &self.rows {
            out.push_str(&format!("| {what} | {value} | {limit} | {ratio} |\n"));
        }
        out
    }
}
