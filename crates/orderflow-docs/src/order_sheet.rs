//! The printable order: an A4 PDF of what the print view shows — title,
//! status, parties, facts and tables — running onto as many pages as it
//! needs, each table's header repeated on the page it continues on, and a
//! footer on every page.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::text::{width, win_ansi, wrap};

/// The page width: A4, 210 mm, in PDF points.
pub const A4_WIDTH_PT: f32 = 595.28;
/// The page height: A4, 297 mm, in PDF points.
pub const A4_HEIGHT_PT: f32 = 841.89;

const MARGIN: f32 = 48.0;
/// Where the content stops: above the footer.
const BOTTOM: f32 = MARGIN + 24.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
const BODY: f32 = 9.5;
const LEADING: f32 = 12.0;
/// Where a fact's value starts, right of its label.
const VALUE_X: f32 = MARGIN + 130.0;
const CELL_PAD: f32 = 4.0;
/// A cell longer than this is cut, so one row always fits on a page.
const CELL_LINES_MAX: usize = 40;

/// What the printed order shows, as text ready to print: the caller
/// formats dates, money and names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderSheet {
    pub title: String,
    /// The status as its label reads.
    pub status: String,
    /// (role, name) of each party.
    pub parties: Vec<(String, String)>,
    /// (label, value) of each fact: ids, dates, fields, totals.
    pub facts: Vec<(String, String)>,
    pub tables: Vec<SheetTable>,
    /// The last line of every page ("Printed … · version N").
    pub footer: String,
}

/// A table of the order: its lines, its records, its items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SheetTable {
    pub title: String,
    pub columns: Vec<String>,
    /// Columns set flush right, as numbers and amounts are.
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl OrderSheet {
    /// The order as an A4 PDF in the standard Helvetica fonts (not
    /// embedded), one page or several.
    pub fn pdf(&self) -> Vec<u8> {
        let pages = self.pages();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let page_ids: Vec<(Ref, Ref)> = (0..pages.len() as i32)
            .map(|i| (Ref::new(6 + 2 * i), Ref::new(7 + 2 * i)))
            .collect();

        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().map(|p| p.0))
            .count(page_ids.len() as i32);
        let count = pages.len();
        for (i, (content, &(page_id, content_id))) in pages.into_iter().zip(&page_ids).enumerate() {
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, A4_WIDTH_PT, A4_HEIGHT_PT))
                .parent(tree)
                .contents(content_id);
            page.resources()
                .fonts()
                .pair(REGULAR, regular)
                .pair(BOLD, bold);
            page.finish();
            let mut content = content;
            self.footer(&mut content, i + 1, count);
            pdf.stream(content_id, &content.finish());
        }
        for (id, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
            pdf.type1_font(id)
                .base_font(Name(name.as_bytes()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("orderflow"));
        pdf.finish()
    }

    /// The pages' contents, without their footers.
    fn pages(&self) -> Vec<Content> {
        let mut w = Writer::new();
        w.line(BOLD, 18.0, 22.0, MARGIN, &self.title);
        w.y -= 2.0;
        w.muted(true);
        w.line(BOLD, 11.0, 16.0, MARGIN, &self.status);
        w.muted(false);
        w.y -= 8.0;
        for (label, value) in self.parties.iter().chain(&self.facts) {
            w.fact(label, value);
        }
        for table in &self.tables {
            w.table(table);
        }
        w.finish()
    }

    fn footer(&self, c: &mut Content, page: usize, count: usize) {
        let y = MARGIN;
        c.set_fill_gray(0.35);
        show(c, REGULAR, 8.0, MARGIN, y, &self.footer);
        let number = format!("Page {page} of {count}");
        let x = A4_WIDTH_PT - MARGIN - width(&number, false, 8.0);
        show(c, REGULAR, 8.0, x, y, &number);
        c.set_fill_gray(0.0);
    }
}

/// Lays text out top to bottom, starting a new page when the next block
/// does not fit on this one.
struct Writer {
    done: Vec<Content>,
    page: Content,
    /// The top of the next line's box.
    y: f32,
}

impl Writer {
    fn new() -> Self {
        Writer {
            done: Vec::new(),
            page: Content::new(),
            y: A4_HEIGHT_PT - MARGIN,
        }
    }

    fn finish(mut self) -> Vec<Content> {
        self.done.push(self.page);
        self.done
    }

    fn at_top(&self) -> bool {
        self.y >= A4_HEIGHT_PT - MARGIN
    }

    /// Makes room for `height` points, on a new page if needed; whether it
    /// started one.
    fn room(&mut self, height: f32) -> bool {
        if self.y - height >= BOTTOM || self.at_top() {
            return false;
        }
        self.done
            .push(std::mem::replace(&mut self.page, Content::new()));
        self.y = A4_HEIGHT_PT - MARGIN;
        true
    }

    fn muted(&mut self, on: bool) {
        self.page.set_fill_gray(if on { 0.35 } else { 0.0 });
    }

    /// One line of text of `leading` height at `x`.
    fn line(&mut self, font: Name<'_>, size: f32, leading: f32, x: f32, s: &str) {
        self.room(leading);
        show(&mut self.page, font, size, x, self.y - size, s);
        self.y -= leading;
    }

    /// A label and its value beside it, the value wrapped onto as many
    /// lines as it takes.
    fn fact(&mut self, label: &str, value: &str) {
        let lines = wrap(value, false, BODY, A4_WIDTH_PT - MARGIN - VALUE_X);
        for (i, text) in lines.iter().enumerate() {
            self.room(LEADING);
            if i == 0 {
                self.muted(true);
                show(&mut self.page, BOLD, BODY, MARGIN, self.y - BODY, label);
                self.muted(false);
            }
            show(&mut self.page, REGULAR, BODY, VALUE_X, self.y - BODY, text);
            self.y -= LEADING;
        }
    }

    fn table(&mut self, t: &SheetTable) {
        let widths = column_widths(t);
        let header = Row::of(&t.columns, &widths, true);
        let rows: Vec<Row> = t.rows.iter().map(|r| Row::of(r, &widths, false)).collect();
        // The title stays with the header and the first row.
        let first = rows.first().map_or(0.0, |r| r.height);
        self.y -= 10.0;
        self.room(18.0 + header.height + first);
        self.line(BOLD, 12.0, 18.0, MARGIN, &t.title);
        self.header(&header, &widths, t);
        for row in &rows {
            if self.room(row.height) {
                self.line(
                    BOLD,
                    12.0,
                    18.0,
                    MARGIN,
                    &format!("{} (continued)", t.title),
                );
                self.header(&header, &widths, t);
            }
            self.row(row, &widths, t);
            self.rule(0.85, 0.5);
        }
    }

    fn header(&mut self, header: &Row, widths: &[f32], t: &SheetTable) {
        self.muted(true);
        self.row(header, widths, t);
        self.muted(false);
        self.rule(0.3, 0.8);
    }

    fn row(&mut self, row: &Row, widths: &[f32], t: &SheetTable) {
        let font = if row.bold { BOLD } else { REGULAR };
        let mut x = MARGIN;
        for (i, (cell, w)) in row.cells.iter().zip(widths).enumerate() {
            let right = t.numeric.get(i).copied().unwrap_or(false);
            for (n, text) in cell.iter().enumerate() {
                let tx = if right {
                    x + w - CELL_PAD - width(text, row.bold, BODY)
                } else {
                    x + CELL_PAD
                };
                let ty = self.y - CELL_PAD - BODY - LEADING * n as f32;
                show(&mut self.page, font, BODY, tx, ty, text);
            }
            x += w;
        }
        self.y -= row.height;
    }

    /// A rule across the page under what was just written.
    fn rule(&mut self, gray: f32, line_width: f32) {
        let c = &mut self.page;
        c.set_stroke_gray(gray);
        c.set_line_width(line_width);
        c.move_to(MARGIN, self.y);
        c.line_to(A4_WIDTH_PT - MARGIN, self.y);
        c.stroke();
    }
}

/// A table row with its cells wrapped to their columns.
struct Row {
    cells: Vec<Vec<String>>,
    bold: bool,
    height: f32,
}

impl Row {
    fn of(cells: &[String], widths: &[f32], bold: bool) -> Row {
        let cells: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let text = cells.get(i).map_or("", String::as_str);
                let mut lines = wrap(text, bold, BODY, w - 2.0 * CELL_PAD);
                if lines.len() > CELL_LINES_MAX {
                    lines.truncate(CELL_LINES_MAX);
                    if let Some(last) = lines.last_mut() {
                        last.push('…');
                    }
                }
                lines
            })
            .collect();
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        Row {
            cells,
            bold,
            height: lines as f32 * LEADING + 2.0 * CELL_PAD - (LEADING - BODY) + 2.0,
        }
    }
}

/// The columns' widths across the page: each as wide as its widest cell
/// (on one line), the spare room given to the text columns, or the widths scaled down
/// when together they are wider than the page, so long cells wrap.
fn column_widths(t: &SheetTable) -> Vec<f32> {
    let available = A4_WIDTH_PT - 2.0 * MARGIN;
    let count = t
        .columns
        .len()
        .max(t.rows.iter().map(Vec::len).max().unwrap_or(0));
    if count == 0 {
        return Vec::new();
    }
    let natural: Vec<f32> = (0..count)
        .map(|i| {
            let header = t.columns.get(i).map_or(0.0, |c| width(c, true, BODY));
            let cells = t
                .rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| width(c, false, BODY))
                .fold(0.0, f32::max);
            header.max(cells) + 2.0 * CELL_PAD + 1.0
        })
        .collect();
    let total: f32 = natural.iter().sum();
    if total <= available {
        // Spare room goes to the text columns, keeping amounts beside
        // their headers; to all columns when every one is a number.
        let numeric = |i: usize| t.numeric.get(i).copied().unwrap_or(false);
        let texts = (0..count).filter(|i| !numeric(*i)).count();
        let spare = (available - total) / texts.max(1) as f32;
        return natural
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if texts == 0 || !numeric(i) {
                    w + spare
                } else {
                    *w
                }
            })
            .collect();
    }
    // Narrow columns (a quantity, a status) keep their width; the wide
    // ones share what is left in proportion.
    let fair = available / count as f32;
    let kept: f32 = natural.iter().filter(|w| **w <= fair).sum();
    let wide: f32 = natural.iter().filter(|w| **w > fair).sum();
    let scale = (available - kept) / wide;
    natural
        .iter()
        .map(|w| if *w <= fair { *w } else { w * scale })
        .collect()
}

/// One line of text with its baseline at (`x`, `y`).
fn show(c: &mut Content, font: Name<'_>, size: f32, x: f32, y: f32, s: &str) {
    c.begin_text();
    c.set_font(font, size);
    c.next_line(x, y);
    c.show(Str(&win_ansi(s)));
    c.end_text();
}
