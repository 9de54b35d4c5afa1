//! AWS's binary event-stream framing (`application/vnd.amazon.eventstream`), as SDKs read
//! `InvokeWithResponseStream`: each message is its total and header lengths, a CRC32 of those,
//! the headers (name, type 7 = string, value), the payload, and a CRC32 of everything before it.

use bytes::Bytes;

/// The string header type.
const STRING: u8 = 7;

/// One `event` message of type `event_type` whose payload has `content_type`.
pub(super) fn event(event_type: &str, content_type: &str, payload: &[u8]) -> Bytes {
    message(
        &[
            (":event-type", event_type),
            (":content-type", content_type),
            (":message-type", "event"),
        ],
        payload,
    )
}

fn message(headers: &[(&str, &str)], payload: &[u8]) -> Bytes {
    let mut encoded = Vec::new();
    for (name, value) in headers {
        // Header names and values here are short constants; the casts cannot truncate.
        encoded.push(name.len() as u8);
        encoded.extend_from_slice(name.as_bytes());
        encoded.push(STRING);
        encoded.extend_from_slice(&(value.len() as u16).to_be_bytes());
        encoded.extend_from_slice(value.as_bytes());
    }
    let total = 12 + encoded.len() + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&encoded);
    out.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_carries_its_lengths_headers_payload_and_checksums() {
        let frame = event("PayloadChunk", "application/octet-stream", b"hi");
        let total = u32::from_be_bytes(frame[0..4].try_into().unwrap()) as usize;
        let headers = u32::from_be_bytes(frame[4..8].try_into().unwrap()) as usize;
        assert_eq!(total, frame.len());
        assert_eq!(
            u32::from_be_bytes(frame[8..12].try_into().unwrap()),
            crc32fast::hash(&frame[..8])
        );
        assert_eq!(&frame[12 + headers..total - 4], b"hi");
        assert_eq!(
            u32::from_be_bytes(frame[total - 4..].try_into().unwrap()),
            crc32fast::hash(&frame[..total - 4])
        );
        let header_bytes = &frame[12..12 + headers];
        assert_eq!(header_bytes[0] as usize, ":event-type".len());
        assert_eq!(&header_bytes[1..12], b":event-type");
        assert_eq!(header_bytes[12], STRING);
        assert_eq!(&header_bytes[15..27], b"PayloadChunk");
    }
}
