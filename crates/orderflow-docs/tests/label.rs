//! The shipping label parses as a 4 × 6 in PDF, carries its text, and its
//! bars are the Code 128 encoding of the tracking number.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/pdf.rs"]
mod support;

use lopdf::Document;
use lopdf::content::Content;
use orderflow_docs::{LABEL_HEIGHT_PT, LABEL_WIDTH_PT, ShippingLabel, code128};
use support::{number, one_page};

fn label(tracking_number: &str) -> ShippingLabel {
    ShippingLabel {
        ship_from: vec![
            "Inkworks Print Co. — Chicago".to_owned(),
            "2200 W Fulton St".to_owned(),
            "Chicago IL 60612".to_owned(),
            "US".to_owned(),
        ],
        ship_to: vec![
            "Zoë Lovelace".to_owned(),
            "1 Lake Dr".to_owned(),
            "Milwaukee WI 53202".to_owned(),
            "US".to_owned(),
        ],
        order: "0192f1c4-7a2b-7c3d-9e4f-5a6b7c8d9e0f".to_owned(),
        reference: Some("SO-1001".to_owned()),
        contents: "1 × tee (dtg), job-3".to_owned(),
        carrier: Some("UPS".to_owned()),
        tracking_number: tracking_number.to_owned(),
    }
}

/// The bars drawn on the page, read back into modules (1 a bar, 0 a space)
/// from the rectangles of the barcode's height.
fn drawn_modules(doc: &Document) -> Vec<u8> {
    let (_, page) = doc.get_pages().into_iter().next().unwrap();
    let content = Content::decode(&doc.get_page_content(page)).unwrap();
    let bars: Vec<(f32, f32)> = content
        .operations
        .iter()
        .filter(|op| op.operator == "re")
        .map(|op| (number(&op.operands[0]), number(&op.operands[2])))
        .collect();
    assert!(!bars.is_empty(), "no bars");
    let module = bars.iter().map(|b| b.1).fold(f32::INFINITY, f32::min);
    let mut modules = Vec::new();
    let mut end = bars[0].0;
    for (x, width) in bars {
        let spaces = ((x - end) / module).round() as usize;
        modules.extend(std::iter::repeat_n(0, spaces));
        modules.extend(std::iter::repeat_n(1, (width / module).round() as usize));
        end = x + width;
    }
    modules
}

#[test]
fn the_label_is_a_4_by_6_inch_pdf_with_its_text() {
    let (doc, media_box) = one_page(&label("1Z999AA10123456784").pdf());
    assert_eq!(media_box, [0.0, 0.0, 288.0, 432.0]);
    assert_eq!((LABEL_WIDTH_PT, LABEL_HEIGHT_PT), (4.0 * 72.0, 6.0 * 72.0));
    let text = doc.extract_text(&[1]).unwrap();
    for expected in [
        "1Z999AA10123456784",
        "0192f1c4-7a2b-7c3d-9e4f-5a6b7c8d9e0f",
        "SO-1001",
        "Zoë Lovelace",
        "Milwaukee WI 53202",
        "Inkworks Print Co.",
        "2200 W Fulton St",
        "SHIP TO",
        "FROM",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
}

#[test]
fn the_bars_encode_the_tracking_number() {
    for tracking in ["1Z999AA10123456784", "9400111899223197428490", "TBA-12"] {
        let doc = Document::load_mem(&label(tracking).pdf()).unwrap();
        let expected = code128(tracking).unwrap();
        assert_eq!(drawn_modules(&doc), expected, "{tracking}");
    }
    // Set C for an even count of digits: start C, two digits a symbol.
    let c = code128("9400111899223197428490").unwrap();
    assert_eq!(&c[..11], &[1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0]);
    assert_eq!(c.len(), 11 * (1 + 11 + 1) + 13);
}

#[test]
fn a_tracking_number_code_128_cannot_carry_prints_as_text() {
    let doc = Document::load_mem(&label("番号42").pdf()).unwrap();
    let text = doc.extract_text(&[1]).unwrap();
    assert!(text.contains("No barcode"), "{text}");
    let (_, page) = doc.get_pages().into_iter().next().unwrap();
    let content = Content::decode(&doc.get_page_content(page)).unwrap();
    assert!(!content.operations.iter().any(|op| op.operator == "re"));
}
