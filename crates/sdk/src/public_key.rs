//! The HPKE public key that encrypts SSH session logs.

use std::{fmt, str::FromStr};

use base64::{Engine as _, engine::general_purpose::STANDARD};

use crate::Error;

/// An X25519 HPKE public key: 32 bytes, written as standard base64
/// (44 characters ending in `=`).
///
/// ```
/// use cf_ssh_settings::PublicKey;
///
/// let key: PublicKey = "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA=".parse()?;
/// assert_eq!(key.as_bytes().len(), 32);
/// assert!("not base64".parse::<PublicKey>().is_err());
/// # Ok::<(), cf_ssh_settings::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// The key from its 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PublicKey(bytes)
    }

    /// The key's 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key as standard base64, the form the API takes.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

impl FromStr for PublicKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        const EXPECTED: &str = "expected standard base64 of 32 bytes \
                                (44 characters ending in '=')";
        let bytes = STANDARD
            .decode(s)
            .map_err(|e| Error::invalid_input("public key", format!("{EXPECTED}; {e}")))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            Error::invalid_input(
                "public key",
                format!("{EXPECTED}; got {} bytes", bytes.len()),
            )
        })?;
        Ok(PublicKey(bytes))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_base64())
    }
}
