//! Reading a rendered PDF back in the documents' tests.

use lopdf::{Document, Object};

/// A PDF number, integer or real.
pub fn number(o: &Object) -> f32 {
    match o {
        Object::Integer(i) => *i as f32,
        Object::Real(r) => *r,
        other => panic!("not a number: {other:?}"),
    }
}

/// Parses `pdf`, which must start like one and hold one page, and answers
/// the document with that page's MediaBox.
pub fn one_page(pdf: &[u8]) -> (Document, Vec<f32>) {
    assert!(pdf.starts_with(b"%PDF-"));
    let doc = Document::load_mem(pdf).expect("the PDF parses");
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 1);
    let page = doc.get_object(pages[&1]).unwrap().as_dict().unwrap();
    let media_box = page
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(number)
        .collect();
    (doc, media_box)
}
