//! A job's barcode read from a photo taken at the station: a phone's
//! camera through a plain file input (no script on the page), the photo
//! decoded here in pure Rust (`rxing`, a port of ZXing) into the text a
//! scanner would have typed, which the station then looks up as typed.
//!
//! Only Code 128 is looked for: it is what orderflow's shipping labels
//! print (`orderflow_docs::code128`), and one format reads faster and
//! mistakes nothing else in a photo for a code.

use image::imageops::FilterType;
use rxing::BarcodeFormat;

/// Photos are read at most this many pixels on their longer side: a
/// phone's 12-megapixel photo takes seconds to search at full size, and a
/// label filling part of the frame still has bars several pixels wide.
const SIDE_MAX: u32 = 1600;

/// The largest picture decoded: a 50-megapixel phone's, with room.
const PIXELS_SIDE_MAX: u32 = 12_000;
/// Memory one decoding may take.
const DECODE_BYTES_MAX: u64 = 512 * 1024 * 1024;

/// Why a photo gave no code, said beside the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// Not a picture this server reads (PNG or JPEG).
    NotAPicture,
    /// A picture without a readable Code 128 barcode.
    NoBarcode,
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unread::NotAPicture => "This is not a photo the station reads (PNG or JPEG).",
            Unread::NoBarcode => {
                "No barcode found in the photo: hold the label flat, fill the frame with it and take it again, or type the code."
            }
        })
    }
}

/// The text of the Code 128 barcode in `photo` (PNG or JPEG bytes).
pub fn read_code(photo: &[u8]) -> Result<String, Unread> {
    let format = image::guess_format(photo).map_err(|_| Unread::NotAPicture)?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
        return Err(Unread::NotAPicture);
    }
    // A small file may claim a huge picture: bounded before decoding.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(PIXELS_SIDE_MAX);
    limits.max_image_height = Some(PIXELS_SIDE_MAX);
    limits.max_alloc = Some(DECODE_BYTES_MAX);
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(photo), format);
    reader.limits(limits);
    let picture = reader.decode().map_err(|_| Unread::NotAPicture)?;
    let picture = if picture.width().max(picture.height()) > SIDE_MAX {
        picture.resize(SIDE_MAX, SIDE_MAX, FilterType::Triangle)
    } else {
        picture
    };
    let luma = picture.to_luma8();
    let (width, height) = luma.dimensions();
    let found = rxing::helpers::detect_in_luma(
        luma.into_raw(),
        width,
        height,
        Some(BarcodeFormat::CODE_128),
    )
    .map_err(|_| Unread::NoBarcode)?;
    let code = found.getText().trim();
    if code.is_empty() {
        return Err(Unread::NoBarcode);
    }
    Ok(code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(picture: &image::GrayImage) -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        picture
            .write_to(&mut bytes, image::ImageFormat::Png)
            .map_or_else(|_| Vec::new(), |()| bytes.into_inner())
    }

    #[test]
    fn what_is_not_a_readable_photo_is_named() {
        assert_eq!(read_code(b"not a picture"), Err(Unread::NotAPicture));
        assert_eq!(
            read_code(b"GIF89a\x01\x00\x01\x00"),
            Err(Unread::NotAPicture)
        );
        let blank = image::GrayImage::from_pixel(640, 480, image::Luma([200]));
        assert_eq!(read_code(&png(&blank)), Err(Unread::NoBarcode));
        // A PNG header claiming 100,000 × 100,000 pixels is not decoded.
        let mut huge = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        huge.extend(100_000u32.to_be_bytes());
        huge.extend(100_000u32.to_be_bytes());
        huge.extend([8, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(read_code(&huge), Err(Unread::NotAPicture));
    }
}
