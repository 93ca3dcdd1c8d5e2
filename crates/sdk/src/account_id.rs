//! The account id that goes into every request path.

use std::{fmt, str::FromStr};

use crate::Error;

/// A Cloudflare account id: 32 hexadecimal characters, kept in lower case.
///
/// Parsing is the only way to make one, so a value that could escape the
/// `/accounts/` path (`.`, `..`, `a/b`, `%2e%2e`) never reaches a request.
///
/// ```
/// use cf_ssh_settings::AccountId;
///
/// let account: AccountId = "699D98642C564D2E855E9661899B7252".parse()?;
/// assert_eq!(account.as_str(), "699d98642c564d2e855e9661899b7252");
/// assert!("..".parse::<AccountId>().is_err());
/// # Ok::<(), cf_ssh_settings::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(cf_ssh_settings_api::types::AccountId);

impl AccountId {
    /// The id as 32 lower-case hexadecimal characters.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl FromStr for AccountId {
    type Err = Error;

    /// Accepts exactly 32 hexadecimal characters, upper or lower case. The
    /// error describes the input without repeating it: a mistyped value can
    /// be a secret pasted into the wrong place.
    fn from_str(s: &str) -> Result<Self, Error> {
        const EXPECTED: &str = "expected 32 hexadecimal characters (0-9, a-f), \
                                like 699d98642c564d2e855e9661899b7252";
        let count = s.chars().count();
        if let Some((position, _)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_hexdigit()) {
            return Err(Error::invalid_input(
                "account id",
                format!(
                    "{EXPECTED}; character {} of {count} is not hexadecimal",
                    position + 1
                ),
            ));
        }
        if count != 32 {
            return Err(Error::invalid_input(
                "account id",
                format!("{EXPECTED}; got {count} characters"),
            ));
        }
        // The generated type checks the spec's pattern once more, here and
        // never again per call.
        let id = s
            .to_ascii_lowercase()
            .parse()
            .map_err(|e| Error::invalid_input("account id", format!("{e}")))?;
        Ok(AccountId(id))
    }
}

impl TryFrom<&str> for AccountId {
    type Error = Error;

    fn try_from(s: &str) -> Result<Self, Error> {
        s.parse()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0.as_str())
    }
}

impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl From<&AccountId> for cf_ssh_settings_api::types::AccountId {
    fn from(id: &AccountId) -> Self {
        // Same rule as the spec's pattern (^[0-9a-f]{32}$), checked when parsing.
        id.0.clone()
    }
}
