//! The shipping label of a print-production job: 4 × 6 in, the ship-from
//! and ship-to addresses, the order number and the tracking number, as text
//! and as a Code 128 barcode.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::barcode::code128;
use crate::text::{fit, win_ansi};

/// The page width: 4 in, in PDF points.
pub const LABEL_WIDTH_PT: f32 = 288.0;
/// The page height: 6 in, in PDF points.
pub const LABEL_HEIGHT_PT: f32 = 432.0;

const MARGIN: f32 = 14.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// White space on each side of the bars, in modules (Code 128 asks for 10).
const QUIET_MODULES: f32 = 10.0;
/// The widest a module is drawn: 2 pt is 0.7 mm, easy for any scanner.
const MODULE_MAX_PT: f32 = 2.0;

/// What a shipping label shows. Lines are printed as given, cut to fit the
/// label's width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingLabel {
    /// The sender and its address, first line the sender's name.
    pub ship_from: Vec<String>,
    /// The recipient and their address, first line the recipient.
    pub ship_to: Vec<String>,
    /// The order number as its parties know it.
    pub order: String,
    /// The merchant's reference of the order.
    pub reference: Option<String>,
    /// What is in the parcel, on one line.
    pub contents: String,
    pub carrier: Option<String>,
    pub tracking_number: String,
}

impl ShippingLabel {
    /// The label as a one-page PDF of 288 × 432 pt, in the standard
    /// Helvetica fonts (not embedded).
    pub fn pdf(&self) -> Vec<u8> {
        let catalog = Ref::new(1);
        let pages = Ref::new(2);
        let page_id = Ref::new(3);
        let regular = Ref::new(4);
        let bold = Ref::new(5);
        let content = Ref::new(6);
        let info = Ref::new(7);

        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(pages);
        pdf.pages(pages).kids([page_id]).count(1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, LABEL_WIDTH_PT, LABEL_HEIGHT_PT))
            .parent(pages)
            .contents(content);
        page.resources()
            .fonts()
            .pair(REGULAR, regular)
            .pair(BOLD, bold);
        page.finish();
        for (id, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
            pdf.type1_font(id)
                .base_font(Name(name.as_bytes()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        let title = format!("Shipping label {}", self.tracking_number);
        pdf.document_info(info)
            .title(TextStr(&title))
            .producer(TextStr("orderflow"));
        pdf.stream(content, &self.content().finish());
        pdf.finish()
    }

    fn content(&self) -> Content {
        let mut c = Content::new();
        let left = MARGIN;
        let top = LABEL_HEIGHT_PT - MARGIN;

        text(&mut c, BOLD, 7.0, left, top - 6.0, "FROM");
        for (i, line) in self.ship_from.iter().take(4).enumerate() {
            text(
                &mut c,
                REGULAR,
                9.0,
                left,
                top - 18.0 - 11.0 * i as f32,
                line,
            );
        }
        rule(&mut c, top - 66.0);

        text(&mut c, BOLD, 8.0, left, top - 80.0, "SHIP TO");
        let mut lines = self.ship_to.iter().take(5);
        if let Some(recipient) = lines.next() {
            text(&mut c, BOLD, 16.0, left, top - 100.0, recipient);
        }
        for (i, line) in lines.enumerate() {
            text(
                &mut c,
                REGULAR,
                13.0,
                left,
                top - 118.0 - 16.0 * i as f32,
                line,
            );
        }
        rule(&mut c, top - 182.0);

        text(&mut c, BOLD, 7.0, left, top - 194.0, "ORDER");
        text(&mut c, BOLD, 12.0, left, top - 208.0, &self.order);
        let mut y = top - 221.0;
        if let Some(reference) = &self.reference {
            text(
                &mut c,
                REGULAR,
                9.0,
                left,
                y,
                &format!("Reference {reference}"),
            );
            y -= 12.0;
        }
        text(&mut c, REGULAR, 9.0, left, y, &self.contents);
        rule(&mut c, top - 258.0);

        let heading = match &self.carrier {
            Some(carrier) => format!("TRACKING #  {}", carrier.to_uppercase()),
            None => "TRACKING #".to_owned(),
        };
        text(&mut c, BOLD, 7.0, left, top - 270.0, &heading);
        match code128(&self.tracking_number) {
            Some(modules) => bars(&mut c, &modules, MARGIN + 36.0, 80.0),
            None => text(
                &mut c,
                REGULAR,
                8.0,
                left,
                MARGIN + 70.0,
                "No barcode: the tracking number has characters Code 128 cannot carry.",
            ),
        }
        text(
            &mut c,
            BOLD,
            12.0,
            left,
            MARGIN + 18.0,
            &self.tracking_number,
        );
        c
    }
}

/// One line of text at (`x`, `y`), cut to the label's width.
fn text(c: &mut Content, font: Name<'_>, size: f32, x: f32, y: f32, s: &str) {
    // Helvetica averages a little over half an em per character.
    let max = ((LABEL_WIDTH_PT - 2.0 * MARGIN) / (0.56 * size)) as usize;
    c.begin_text();
    c.set_font(font, size);
    c.next_line(x, y);
    c.show(Str(&win_ansi(&fit(s, max))));
    c.end_text();
}

/// A full-width rule at `y`.
fn rule(c: &mut Content, y: f32) {
    c.set_line_width(1.5);
    c.move_to(MARGIN, y);
    c.line_to(LABEL_WIDTH_PT - MARGIN, y);
    c.stroke();
}

/// The bars of `modules`, centred, from `y` up `height` points: one filled
/// rectangle per run of bar modules.
fn bars(c: &mut Content, modules: &[u8], y: f32, height: f32) {
    let count = modules.len() as f32;
    let module =
        ((LABEL_WIDTH_PT - 2.0 * MARGIN) / (count + 2.0 * QUIET_MODULES)).min(MODULE_MAX_PT);
    let mut x = (LABEL_WIDTH_PT - count * module) / 2.0;
    for run in modules.chunk_by(|a, b| a == b) {
        let width = run.len() as f32 * module;
        if run.first() == Some(&1) {
            c.rect(x, y, width, height);
        }
        x += width;
    }
    c.fill_nonzero();
}
