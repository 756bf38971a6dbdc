//! Printable documents of orderflow, rendered as PDF in pure Rust (no system
//! libraries, no fonts to install): the shipping label of a print-production
//! job ([`ShippingLabel`]) and the printable order ([`OrderSheet`]). The
//! application layer fills a document from an order's data and renders it;
//! nothing here reads a store or a clock.

mod barcode;
mod label;
mod order_sheet;
mod text;

pub use barcode::code128;
pub use label::{LABEL_HEIGHT_PT, LABEL_WIDTH_PT, ShippingLabel};
pub use order_sheet::{A4_HEIGHT_PT, A4_WIDTH_PT, OrderSheet, SheetTable};
