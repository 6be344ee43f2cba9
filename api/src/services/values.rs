//! Values whose constructor is their check ("parse, don't validate"). A service parses its input
//! into them once, in its `validate`; whatever takes one of them afterwards trusts it as it is.

use crate::error::ApiError;

/// Why a value was refused: the sentence a client reads in `extensions.fields`. It names no
/// field: the same value is `input.phone` in one input and `contactPhone` in another, so the
/// caller places it (with [`Invalid::at`] or [`super::input::Problems::parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(String);

impl Invalid {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// The sentence.
    pub fn message(&self) -> &str {
        &self.0
    }

    /// A `BAD_USER_INPUT` error about the one field at `path`.
    pub fn at(self, path: &str) -> ApiError {
        ApiError::bad_input(path, self.0)
    }
}

impl From<Invalid> for String {
    fn from(invalid: Invalid) -> Self {
        invalid.0
    }
}

/// An email address, trimmed and lower-cased (as accounts are stored and looked up): one `@`,
/// something on both sides, a dot in the domain, no spaces, at most 254 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    const MAX_LENGTH: usize = 254;

    /// The form an address is stored and looked up in, without checking it (signing in looks up
    /// whatever was typed; only a new address must be valid).
    pub fn normalise(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    /// Normalises and checks an address.
    ///
    /// # Errors
    /// An address that is not one.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = Self::normalise(raw);
        let valid = email.len() <= Self::MAX_LENGTH
            && !email.chars().any(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Self(email))
        } else {
            Err(Invalid::new(
                "Enter an email address such as name@example.org.",
            ))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

/// A phone number as the directory shows it: trimmed, digits, spaces and `+ - ( )`, at most 32
/// characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    const MAX_CHARS: usize = 32;

    /// Trims and checks a number.
    ///
    /// # Errors
    /// Other characters, or a longer number.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let phone = raw.trim();
        let valid = phone.chars().count() <= Self::MAX_CHARS
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
        if valid {
            Ok(Self(phone.to_owned()))
        } else {
            Err(Invalid::new(
                "A phone number has digits, spaces, + - ( ) and at most 32 characters.",
            ))
        }
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> Self {
        phone.0
    }
}

/// A project's code as the office numbers its projects, `PO-<year>-<2 or 3 letters>-<2
/// digits>`; trimmed and upper-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectCode(String);

impl ProjectCode {
    /// Normalises and checks a code.
    ///
    /// # Errors
    /// Anything not of the pattern (the message quotes the normalised code).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_uppercase();
        let parts: Vec<&str> = code.split('-').collect();
        let valid = matches!(parts.as_slice(), [prefix, year, area, number]
            if *prefix == "PO"
                && year.len() == 4 && year.chars().all(|c| c.is_ascii_digit())
                && (2..=3).contains(&area.len()) && area.chars().all(|c| c.is_ascii_uppercase())
                && number.len() == 2 && number.chars().all(|c| c.is_ascii_digit()));
        if valid {
            Ok(Self(code))
        } else {
            Err(Invalid::new(format!(
                "`{code}` is not a project code like PO-2025-GE-01."
            )))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<ProjectCode> for String {
    fn from(code: ProjectCode) -> Self {
        code.0
    }
}

/// The district of an event, a centre or a case: trimmed, 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct District(String);

impl District {
    const MAX_CHARS: usize = 100;

    /// Trims and checks a district.
    ///
    /// # Errors
    /// An empty or longer district.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let district = raw.trim();
        if district.is_empty() || district.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(format!(
                "A district is 1 to {} characters long.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(district.to_owned()))
    }

    /// The district.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<District> for String {
    fn from(district: District) -> Self {
        district.0
    }
}

/// An account's display name: trimmed, 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    const MAX_CHARS: usize = 100;

    /// Trims and checks a name.
    ///
    /// # Errors
    /// An empty or longer name.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(format!(
                "A display name is 1 to {} characters long.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<DisplayName> for String {
    fn from(name: DisplayName) -> Self {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Name@Example.ORG ").map(String::from),
            Ok("name@example.org".to_owned())
        );
        for bad in [
            "",
            "name",
            "@example.org",
            "name@example",
            "name@.example.org",
            "name@example.org.",
            "na me@example.org",
            "a@b@example.org",
        ] {
            assert_eq!(
                Email::parse(bad).map_err(String::from),
                Err("Enter an email address such as name@example.org.".to_owned()),
                "{bad}"
            );
        }
        let long = format!("{}@example.org", "a".repeat(243));
        assert!(Email::parse(&long).is_err());
        assert!(Email::parse(&long[1..]).is_ok());
    }

    #[test]
    fn project_codes_are_upper_cased_and_quoted_when_refused() {
        assert_eq!(
            ProjectCode::parse(" po-2025-ge-01 ").map(String::from),
            Ok("PO-2025-GE-01".to_owned())
        );
        assert!(ProjectCode::parse("PO-2025-GEN-01").is_ok());
        assert_eq!(
            ProjectCode::parse("po-25-g-1").map_err(String::from),
            Err("`PO-25-G-1` is not a project code like PO-2025-GE-01.".to_owned())
        );
    }

    #[test]
    fn phones_districts_and_names_have_their_bounds() {
        assert_eq!(
            Phone::parse(" +992 (37) 123-45-67 ").map(String::from),
            Ok("+992 (37) 123-45-67".to_owned())
        );
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse(&"1".repeat(33)).is_err());
        assert_eq!(
            District::parse(" Bokhtar ").map(String::from),
            Ok("Bokhtar".to_owned())
        );
        assert_eq!(
            District::parse("  ").map_err(String::from),
            Err("A district is 1 to 100 characters long.".to_owned())
        );
        assert!(District::parse(&"д".repeat(100)).is_ok());
        assert!(District::parse(&"д".repeat(101)).is_err());
        assert_eq!(
            DisplayName::parse("").map_err(String::from),
            Err("A display name is 1 to 100 characters long.".to_owned())
        );
        assert!(DisplayName::parse(&"ы".repeat(100)).is_ok());
    }
}
