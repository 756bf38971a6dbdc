//! The printed order parses as an A4 PDF carrying the order's text, and a
//! long order runs onto more pages, each table header repeated.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/pdf.rs"]
mod support;

use lopdf::Document;
use orderflow_docs::{A4_HEIGHT_PT, A4_WIDTH_PT, OrderSheet, SheetTable};
use support::one_page;

fn sheet(lines: usize) -> OrderSheet {
    OrderSheet {
        title: "Dental lab order 0192f1c4".to_owned(),
        status: "In Production".to_owned(),
        parties: vec![
            ("Clinic".to_owned(), "Smile Clinic".to_owned()),
            ("Lab".to_owned(), "Dental Lab Co".to_owned()),
        ],
        facts: vec![
            ("Order id".to_owned(), "0192f1c4-7a2b-7c3d-9e4f-5a6b7c8d9e0f".to_owned()),
            ("Notes".to_owned(), "Shade A2, please call before shipping. ".repeat(12)),
            ("Total".to_owned(), "$240.00".to_owned()),
        ],
        tables: vec![SheetTable {
            title: "Lines".to_owned(),
            columns: vec!["Product".into(), "Quantity".into(), "Unit price".into()],
            numeric: vec![false, true, true],
            rows: (0..lines)
                .map(|i| {
                    vec![
                        if i == 0 {
                            "Zirconia crown".to_owned()
                        } else {
                            format!("Crown no. {i} with a description long enough to wrap inside its cell of the table, twice over at the least")
                        },
                        "2".to_owned(),
                        "$120.00".to_owned(),
                    ]
                })
                .collect(),
        }],
        footer: "Printed 2026-11-30 03:00 UTC · version 4".to_owned(),
    }
}

#[test]
fn the_order_is_an_a4_pdf_with_its_text() {
    let (doc, media_box) = one_page(&sheet(1).pdf());
    assert_eq!(media_box, [0.0, 0.0, A4_WIDTH_PT, A4_HEIGHT_PT]);
    // 210 × 297 mm.
    assert!((A4_WIDTH_PT / 72.0 * 25.4 - 210.0).abs() < 0.01);
    assert!((A4_HEIGHT_PT / 72.0 * 25.4 - 297.0).abs() < 0.01);
    let text = doc.extract_text(&[1]).unwrap();
    for expected in [
        "Dental lab order 0192f1c4",
        "In Production",
        "Smile Clinic",
        "Zirconia crown",
        "$120.00",
        "$240.00",
        "Unit price",
        "version 4",
        "Page 1 of 1",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
}

#[test]
fn a_long_order_runs_onto_more_pages_with_the_table_header_on_each() {
    let doc = Document::load_mem(&sheet(200).pdf()).unwrap();
    let count = doc.get_pages().len() as u32;
    assert!(count > 1, "200 lines on {count} page(s)");
    for page in 1..=count {
        let text = doc.extract_text(&[page]).unwrap();
        assert!(text.contains("Unit price"), "page {page}: {text}");
        assert!(
            text.contains(&format!("Page {page} of {count}")),
            "page {page}: {text}"
        );
    }
    let last = doc.extract_text(&[count]).unwrap();
    assert!(last.contains("Crown no. 199"), "{last}");
    assert!(
        doc.extract_text(&[2])
            .unwrap()
            .contains("Lines (continued)"),
        "the table says it continues"
    );
}
