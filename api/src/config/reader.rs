//! The one reader of environment variables. Each method reads one variable, gives its default
//! when it is unset, and refuses any other value with a message that names the variable and
//! says what it wants; a secret's message never repeats the value.

use std::{ops::RangeBounds, str::FromStr, time::Duration};

use anyhow::{Context, anyhow, bail};
use secrecy::{ExposeSecret, SecretString};

/// The longest timeout any `…_SECS` variable accepts: an hour.
const MAX_SECONDS: u64 = 3600;

/// The longest answer deadline a `…_HOURS` variable accepts: thirty days.
const MAX_HOURS: i64 = 24 * 30;

/// Typed reads of the variables `lookup` finds (the process environment, or a map in tests).
pub struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Reader<'a> {
    /// Reads through `lookup`.
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { lookup }
    }

    /// The value as it is set, if it is.
    pub fn text(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    /// The value of the choice whose name is set, or `default`.
    ///
    /// # Errors
    /// Any other value: "`name` must be `a` or `b`, not `value`".
    pub fn choice<T: Copy>(
        &self,
        name: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> anyhow::Result<T> {
        let Some(value) = self.text(name) else {
            return Ok(default);
        };
        if let Some((_, chosen)) = choices.iter().find(|(choice, _)| *choice == value) {
            return Ok(*chosen);
        }
        let names: Vec<String> = choices
            .iter()
            .map(|(choice, _)| format!("`{choice}`"))
            .collect();
        let expected = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::from("unset"),
        };
        bail!("{name} must be {expected}, not `{value}`")
    }

    /// `true` or `false`, or `default`.
    ///
    /// # Errors
    /// Any other value, `TRUE` and `yes` included.
    pub fn flag(&self, name: &str, default: bool) -> anyhow::Result<bool> {
        self.choice(name, &[("true", true), ("false", false)], default)
    }

    /// A number within `range`, or `default`.
    ///
    /// # Errors
    /// What does not parse or lies outside `range`: "`name` must be `expected`" (the parser's
    /// own complaint adds nothing for a number, and is left out).
    pub fn number<T>(
        &self,
        name: &str,
        default: T,
        range: impl RangeBounds<T>,
        expected: &str,
    ) -> anyhow::Result<T>
    where
        T: FromStr + PartialOrd,
    {
        match self.text(name) {
            Some(value) => value
                .parse::<T>()
                .ok()
                .filter(|number| range.contains(number))
                .ok_or_else(|| anyhow!("{name} must be {expected}")),
            None => Ok(default),
        }
    }

    /// A number of seconds from `least` to an hour, or `default` seconds.
    ///
    /// # Errors
    /// As [`Reader::number`], saying the bounds.
    pub fn seconds(&self, name: &str, default: u64, least: u64) -> anyhow::Result<Duration> {
        let expected = format!("a number of seconds, {least} to {MAX_SECONDS}");
        let seconds = self.number(name, default, least..=MAX_SECONDS, &expected)?;
        Ok(Duration::from_secs(seconds))
    }

    /// A number of hours from 1 to thirty days, or `default` hours.
    ///
    /// # Errors
    /// As [`Reader::number`], saying the bounds.
    pub fn hours(&self, name: &str, default: i64) -> anyhow::Result<chrono::Duration> {
        let expected = format!("a number of hours, 1 to {MAX_HOURS}");
        let hours = self.number(name, default, 1..=MAX_HOURS, &expected)?;
        Ok(chrono::Duration::hours(hours))
    }

    /// The value parsed by its type's `FromStr`, if set.
    ///
    /// # Errors
    /// What does not parse: "`name` must be `expected`", followed by the parser's complaint.
    pub fn parsed<T>(&self, name: &str, expected: &str) -> anyhow::Result<Option<T>>
    where
        T: FromStr,
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        self.text(name)
            .map(|value| {
                value
                    .parse::<T>()
                    .with_context(|| format!("{name} must be {expected}"))
            })
            .transpose()
    }

    /// The value parsed by `parse`, if set: for values with a syntax of their own (lists of
    /// origins, networks, keys), whose parser says what it refused.
    ///
    /// # Errors
    /// Those of `parse`, unchanged: it names the variable itself.
    pub fn parsed_with<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> anyhow::Result<T>,
    ) -> anyhow::Result<Option<T>> {
        self.text(name).map(|value| parse(&value)).transpose()
    }

    /// A secret at least `least` bytes long, if set; it is wrapped at once, so that it is never
    /// printed.
    ///
    /// # Errors
    /// A shorter value: "`name` must be at least `least` `unit` long", without the value.
    pub fn secret(
        &self,
        name: &str,
        least: usize,
        unit: &str,
    ) -> anyhow::Result<Option<SecretString>> {
        let Some(secret) = self.text(name).map(SecretString::from) else {
            return Ok(None);
        };
        if secret.expose_secret().len() < least {
            bail!("{name} must be at least {least} {unit} long");
        }
        Ok(Some(secret))
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use super::*;

    fn read<T>(
        value: Option<&str>,
        read: impl Fn(&Reader<'_>) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let value = value.map(str::to_owned);
        let lookup = move |_: &str| value.clone();
        read(&Reader::new(&lookup))
    }

    fn message<T: Debug>(result: anyhow::Result<T>) -> String {
        match result {
            Ok(value) => format!("accepted: {value:?}"),
            Err(error) => format!("{error:#}"),
        }
    }

    #[test]
    fn a_choice_names_its_values_and_what_was_set() {
        let choices = [("json", 1), ("pretty", 2)];
        assert_eq!(
            read(None, |reader| reader.choice("X", &choices, 2)).ok(),
            Some(2)
        );
        assert_eq!(
            read(Some("json"), |reader| reader.choice("X", &choices, 2)).ok(),
            Some(1)
        );
        assert_eq!(
            message(read(Some("text"), |reader| reader.choice("X", &choices, 2))),
            "X must be `json` or `pretty`, not `text`"
        );
        let three = [("a", 1), ("b", 2), ("c", 3)];
        assert_eq!(
            message(read(Some("d"), |reader| reader.choice("X", &three, 1))),
            "X must be `a`, `b` or `c`, not `d`"
        );
    }

    #[test]
    fn a_number_outside_its_range_says_what_is_wanted() {
        let read_number = |value| {
            read(value, |reader| {
                reader.number::<u32>("X", 7, 1..=10, "a number, 1 to 10")
            })
        };
        assert_eq!(read_number(None).ok(), Some(7));
        assert_eq!(read_number(Some("10")).ok(), Some(10));
        for wrong in ["0", "11", "-1", "x", "1.5", ""] {
            assert_eq!(
                message(read_number(Some(wrong))),
                "X must be a number, 1 to 10",
                "{wrong}"
            );
        }
        assert_eq!(
            message(read(Some("3601"), |reader| reader.seconds("X", 1, 0))),
            "X must be a number of seconds, 0 to 3600"
        );
        assert_eq!(
            message(read(Some("0"), |reader| reader.hours("X", 1))),
            "X must be a number of hours, 1 to 720"
        );
    }

    #[test]
    fn a_parsed_value_keeps_the_parsers_complaint_and_a_secret_is_never_repeated() {
        assert_eq!(
            message(read(Some("x"), |reader| reader
                .parsed::<u32>("X", "a positive number"))),
            "X must be a positive number: invalid digit found in string"
        );
        let refused = message(read(Some("hunter2"), |reader| {
            reader.secret("X", 8, "bytes")
        }));
        assert_eq!(refused, "X must be at least 8 bytes long");
        assert!(
            read(Some("hunter22"), |reader| reader.secret("X", 8, "bytes"))
                .is_ok_and(|secret| secret.is_some())
        );
    }
}
